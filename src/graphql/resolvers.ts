/**
 * Resolvers: thin presenters from app values to the schema's types, typed by the code generated
 * from schema.graphql (codegen.ts). No business logic here: facts come from the app's queries
 * and model, changes go through its actions.
 *
 * `Strict<…>` makes a missing resolver a type error: every schema field that the parent value
 * does not carry under the same name must have a resolver, so a field added to the schema
 * without code to serve it fails the build.
 */
import { GraphQLScalarType, Kind, type ValueNode } from 'graphql';
import type { MessageView } from '../app/queries.ts';
import { actorOf } from '../app/tokens.ts';
import { groupIntoBlocks } from '../domain/blocks.ts';
import { withStar, type DialogFilter as DomainDialogFilter, type DialogRow } from '../domain/dialogs.ts';
import { badInput, DomainError, notFound } from '../domain/errors.ts';
import { parseSenderKey, senderKey } from '../domain/ids.ts';
import { MUTATION_ROLES, QUERY_ROLES, requireRole } from './auth.ts';
import type * as G from './generated/resolvers-types.ts';
import { pageSize } from './limits.ts';
import type * as P from './mappers.ts';
import type { ApiContext, DialogParent, SenderParent, UserParent } from './mappers.ts';
import { dialogViews } from './view-cache.ts';
import { dialogChangeStream, eventStream, teamSummaryStream, unwrapStreamValue, type StreamHooks } from './subscriptions.ts';
import { messageTasks, withTaskResolvers } from './tasks.resolvers.ts';
import { withTeamOps } from './team-ops.resolvers.ts';
import { withMonitoring } from './stats.resolvers.ts';
import { withConsole } from './console.resolvers.ts';

/** Resolvers for every schema field of `S` that the parent `P` lacks are required. */
type Strict<R, P, S> = R & { [K in Exclude<keyof S, keyof P | '__typename'> & keyof R]-?: NonNullable<R[K]> };

// ---- scalars ---------------------------------------------------------------------------------

function parseDate(value: unknown): Date {
  if (typeof value !== 'string') throw badInput('a DateTime is an ISO 8601 string');
  const d = new Date(value);
  if (Number.isNaN(d.getTime()) || !/^\d{4}-\d{2}-\d{2}/.test(value)) throw badInput(`not an ISO 8601 date-time: ${value.slice(0, 40)}`);
  return d;
}

const DateTime = new GraphQLScalarType<Date, string>({
  name: 'DateTime',
  serialize: (value) => new Date(value as Date | number | string).toISOString(),
  parseValue: parseDate,
  parseLiteral: (ast) => parseDate(ast.kind === Kind.STRING ? ast.value : undefined),
});

function literalValue(ast: ValueNode): unknown {
  switch (ast.kind) {
    case Kind.STRING:
    case Kind.BOOLEAN:
    case Kind.ENUM:
      return ast.value;
    case Kind.INT:
    case Kind.FLOAT:
      return Number(ast.value);
    case Kind.NULL:
      return null;
    case Kind.LIST:
      return ast.values.map(literalValue);
    case Kind.OBJECT:
      return Object.fromEntries(ast.fields.map((f) => [f.name.value, literalValue(f.value)]));
    case Kind.VARIABLE:
      throw badInput('variables inside a JSON literal are not supported');
  }
}

const JSONScalar = new GraphQLScalarType({
  name: 'JSON',
  serialize: (value) => value,
  parseValue: (value) => value,
  parseLiteral: literalValue,
});

// ---- helpers ---------------------------------------------------------------------------------

function idArg(name: string, value: string | null | undefined): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (!/^\d{1,15}$/.test(value)) throw badInput(`${name} is not a valid id`, { argument: name });
  return Number(value);
}

/** A user id given as `123` or as a sender id `u123`. */
function userIdArg(name: string, value: string | null | undefined): number | undefined {
  if (value === undefined || value === null) return undefined;
  const m = /^u?(\d{1,15})$/.exec(value);
  if (!m) throw badInput(`${name} is not a user id`, { argument: name });
  return Number(m[1]);
}

function userOf(ctx: ApiContext, id: number): UserParent {
  const u = ctx.daemon.model.users.get(id);
  return { id, name: u?.name ?? `user ${id}`, username: u?.username ?? null };
}

function chatRecord(ctx: ApiContext, chatKey: string) {
  return ctx.daemon.model.chats.get(chatKey)?.record ?? ctx.daemon.queries.chat(chatKey);
}

function requireAccount(ctx: ApiContext, accountId: string): void {
  if (!ctx.daemon.accounts.has(accountId) && !ctx.daemon.model.accountChats.has(accountId)) throw notFound('account', accountId);
}

function requireMember(ctx: ApiContext, what: string): number {
  const member = ctx.principal.memberUserId;
  if (member === null) throw new DomainError('FORBIDDEN', `${what} needs a token tied to a team member (tgdesk token create --member USER_ID)`);
  return member;
}

function toFilter(f: G.DialogFilter | null | undefined): DomainDialogFilter | null {
  if (!f) return null;
  return { kind: f.kind ?? null, unread: f.unread ?? null, mentioned: f.mentioned ?? null, overdue: f.overdue ?? null, alarm: f.alarm ?? null, starred: f.starred ?? null, muted: f.muted ?? null };
}

function dialogOf(row: DialogRow, accountId: string): DialogParent {
  return { ...row, accountId };
}

function encodeCursor(chatKey: string, index: number): string {
  return Buffer.from(JSON.stringify([chatKey, index]), 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): { chatKey: string; index: number } {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(v) && typeof v[0] === 'string' && Number.isInteger(v[1]) && (v[1] as number) >= 0) return { chatKey: v[0], index: v[1] as number };
  } catch {
    // falls through to the error below
  }
  throw badInput('after is not a cursor this API gave', { argument: 'after' });
}

function alarmOf(alarm: P.AlarmParent | null | undefined, chatKey: string): P.AlarmParent | null {
  return alarm ? { ...alarm, chatKey } : null;
}

function senderOfMessage(m: MessageView): SenderParent {
  return { id: m.sender.key, userId: m.sender.userId, name: m.sender.name, username: m.sender.username };
}

// ---- resolvers -------------------------------------------------------------------------------

const Query: G.QueryResolvers = {
  me: (_, __, ctx) => ctx.principal,
  accounts: (_, __, ctx) => ctx.daemon.queries.accounts(),
  dialogs: (_, args, ctx) => {
    const first = pageSize('dialogs', args.first);
    requireAccount(ctx, args.accountId);
    const { view, parents } = dialogViews(ctx.daemon).get({
      accountId: args.accountId,
      memberUserId: ctx.principal.memberUserId,
      filter: toFilter(args.filter),
      order: args.order ?? 'STABLE',
      stableKey: args.stableKey ?? 'title',
    });
    let start = 0;
    if (args.after) {
      const cursor = decodeCursor(args.after);
      // Continue after the same chat even if rows moved; if it left the list, after its old place.
      const at = view.rows[cursor.index]?.chatKey === cursor.chatKey ? cursor.index : view.rows.findIndex((r) => r.chatKey === cursor.chatKey);
      start = Math.min(view.rows.length, (at === -1 ? cursor.index : at) + 1);
    }
    // Edges, nodes and cursors are made only if the query asks for them (DialogConnection below).
    return {
      rows: parents(),
      start,
      end: Math.min(view.rows.length, start + first),
      totalCount: view.totalCount,
      unreadChatCount: view.unreadChatCount,
      unreadChatCounts: view.unreadChatsByKind,
    };
  },
  dialog: (_, args, ctx) => {
    requireAccount(ctx, args.accountId);
    const row = ctx.daemon.queries.dialog(args.accountId, args.chatId, ctx.principal.memberUserId);
    return row ? dialogOf(row, args.accountId) : null;
  },
  chats: (_, __, ctx) => ctx.daemon.queries.chats(),
  chat: (_, args, ctx) => ctx.daemon.queries.chat(args.id),
  messages: async (_, args, ctx) => {
    const first = pageSize('messages', args.first);
    const cursors = [args.around, args.before, args.after].filter((v) => v !== undefined && v !== null);
    if (cursors.length > 1) throw badInput('give at most one of around, before and after');
    const messages = await ctx.daemon.queries.history({
      chatKey: args.chatId,
      around: idArg('around', args.around),
      before: idArg('before', args.before),
      after: idArg('after', args.after),
      first: first + (args.around ? 0 : 1),
    });
    // One extra row tells whether an older page exists, without a count query.
    const hasOlder = !args.around && !args.after && messages.length > first;
    const page = hasOlder ? messages.slice(1) : args.after ? messages.slice(0, first) : messages;
    const blocks = groupIntoBlocks(
      page.map((m) => ({ sender: parseSenderKey(m.sender.key) ?? { kind: 'user' as const, id: m.sender.userId ?? 0 }, at: m.date * 1000, isService: m.isService, view: m })),
    );
    return {
      hasOlder,
      blocks: blocks.map((b) => ({
        sender: senderOfMessage(b.messages[0]!.view),
        isService: b.isService,
        firstAt: b.firstAt,
        lastAt: b.lastAt,
        messages: b.messages.map((m) => m.view),
      })),
    };
  },
  search: async (_, args, ctx) => {
    const query = args.query.trim();
    if (query.length === 0 || args.query.length > 512) throw badInput('query must be 1 to 512 characters', { argument: 'query' });
    if (args.chatIds && args.chatIds.length > 1000) throw badInput('at most 1000 chatIds', { argument: 'chatIds' });
    const result = await ctx.daemon.search.search({
      query,
      ...(args.chatIds ? { chatKeys: args.chatIds } : {}),
      ...(args.from ? { from: args.from.getTime() } : {}),
      ...(args.to ? { to: args.to.getTime() } : {}),
      ...(args.senderId ? { senderUserId: userIdArg('senderId', args.senderId)! } : {}),
      limit: pageSize('search', args.first),
    });
    return [...result.groups];
  },
  teamSummary: (_, __, ctx) => ctx.daemon.queries.teamSummary(),
  teamMembers: (_, __, ctx) => ctx.daemon.queries.teamMembers(),
  policies: (_, __, ctx) => [...ctx.daemon.model.policies.values()].map((p) => p.record),
  preferences: (_, __, ctx) => (ctx.principal.memberUserId === null ? null : ctx.daemon.preferences.get(ctx.principal.memberUserId)),
  auditLog: (_, args, ctx) => {
    requireRole(ctx.principal, QUERY_ROLES.auditLog!, 'auditLog');
    return ctx.daemon.audit.list({
      limit: pageSize('auditLog', args.first),
      ...(args.before ? { beforeId: idArg('before', args.before)! } : {}),
      ...(args.chatId ? { chatKey: args.chatId } : {}),
      ...(args.action ? { action: args.action } : {}),
    });
  },
};

const Mutation: G.MutationResolvers = {
  pinChat: async (_, args, ctx) => dialogOf(await ctx.daemon.actions.pinChat(actorOf(ctx.principal), args.accountId, args.chatId, args.pinned ?? true), args.accountId),
  muteChat: async (_, args, ctx) =>
    dialogOf(await ctx.daemon.actions.muteChat(actorOf(ctx.principal), args.accountId, args.chatId, args.muted ?? true, args.forSeconds ?? null), args.accountId),
  readAll: (_, args, ctx) => ctx.daemon.actions.readAll(actorOf(ctx.principal), args.accountId, args.kind ?? null),
  raiseAlarm: async (_, args, ctx) => ({ ...(await ctx.daemon.actions.raiseAlarm(actorOf(ctx.principal), args.chatId, args.reason)), chatKey: args.chatId }),
  clearAlarm: (_, args, ctx) => ctx.daemon.actions.clearAlarm(actorOf(ctx.principal), args.chatId),
  acknowledge: async (_, args, ctx) => {
    const member = requireMember(ctx, 'acknowledge');
    await ctx.daemon.actions.acknowledge(actorOf(ctx.principal), args.chatId);
    return ctx.daemon.model.acks.get(args.chatId) ?? { by: member, at: Date.now() };
  },
  starChat: (_, args, ctx) => {
    requireMember(ctx, 'starChat');
    return ctx.daemon.actions.starChat(actorOf(ctx.principal), args.chatId, args.starred ?? true);
  },
  setChatKind: async (_, args, ctx) => {
    await ctx.daemon.actions.setChatKind(actorOf(ctx.principal), args.chatId, args.kind ?? null);
    return chatRecord(ctx, args.chatId);
  },
  setChatPolicy: async (_, args, ctx) => {
    await ctx.daemon.actions.setChatPolicy(actorOf(ctx.principal), args.chatId, args.policyId ?? null);
    return chatRecord(ctx, args.chatId);
  },
  putPolicy: (_, { input }, ctx) =>
    ctx.daemon.actions.putPolicy(actorOf(ctx.principal), {
      id: input.id,
      name: input.name,
      thresholdSeconds: input.thresholdSeconds,
      timeZone: input.timeZone ?? null,
      businessHours: input.businessHours ?? null,
      ignorePatterns: input.ignorePatterns ?? null,
    }),
  setChatPosition: async (_, args, ctx) => {
    await ctx.daemon.actions.setChatPosition(actorOf(ctx.principal), args.chatId, args.position ?? null);
    return chatRecord(ctx, args.chatId);
  },
  setPreferences: (_, args, ctx) => {
    requireMember(ctx, 'setPreferences');
    return ctx.daemon.preferences.set(actorOf(ctx.principal), { sendTyping: args.sendTyping ?? null, linkPreviews: args.linkPreviews ?? null });
  },
};

/** Every mutation checks its roles first (auth.ts), before any argument is looked at. */
function guarded(mutations: G.MutationResolvers): G.MutationResolvers {
  const out: Record<string, unknown> = {};
  for (const [name, resolve] of Object.entries(mutations) as [keyof typeof MUTATION_ROLES, (...a: unknown[]) => unknown][]) {
    const roles = MUTATION_ROLES[name];
    out[name] = (parent: unknown, args: unknown, ctx: ApiContext, info: unknown) => {
      requireRole(ctx.principal, roles, name);
      return resolve(parent, args, ctx, info);
    };
  }
  return out as G.MutationResolvers;
}

const EVENT_TYPE_NAMES = {
  dialogChanged: 'DialogChangedEvent',
  dialogRemoved: 'DialogRemovedEvent',
  teamSummaryChanged: 'TeamSummaryChangedEvent',
  alarmRaised: 'AlarmRaisedEvent',
  alarmCleared: 'AlarmClearedEvent',
  acknowledged: 'AcknowledgedEvent',
  starred: 'StarredEvent',
  chatKindChanged: 'ChatKindChangedEvent',
  chatTitleChanged: 'ChatTitleChangedEvent',
  overdueChanged: 'OverdueChangedEvent',
  messageAdded: 'MessageAddedEvent',
  messageEdited: 'MessageEditedEvent',
  messagesDeleted: 'MessagesDeletedEvent',
  accountSyncChanged: 'AccountSyncChangedEvent',
  taskChanged: 'TaskChangedEvent',
  membershipJobChanged: 'MembershipJobChangedEvent',
  alert: 'AlertEvent',
  dutyChanged: 'DutyChangedEvent',
} as const;

export interface ResolverHooks {
  /** Called as a subscription opens and closes, for metrics. */
  readonly subscription?: (ctx: ApiContext) => StreamHooks;
}

export function createResolvers(hooks: ResolverHooks = {}): G.Resolvers {
  const streamHooks = (ctx: ApiContext) => hooks.subscription?.(ctx) ?? {};
  const chatId = (e: { chatKey: string }) => e.chatKey;

  const Chat: Strict<G.ChatResolvers, P.ChatRecordParent, G.Chat> = {
    id: (c) => c.key,
    telegramId: (c) => String(c.tdChatId),
    kind: (c, _, ctx) => ctx.daemon.queries.chatKind(c.key).kind,
    clientName: (c, _, ctx) => ctx.daemon.queries.chatKind(c.key).clientName,
    firstSeenAt: (c) => c.firstSeenAt,
    manualPosition: (c, _, ctx) => ctx.daemon.model.chats.get(c.key)?.manualPosition ?? null,
    alarm: (c, _, ctx) => alarmOf(ctx.daemon.model.alarms.get(c.key), c.key),
    policy: (c, _, ctx) => {
      const model = ctx.daemon.model;
      const entry = model.chats.get(c.key);
      return model.policies.get(entry?.policyId ?? 'default')?.record ?? null;
    },
    accountStates: (c, _, ctx) => ctx.daemon.queries.accountStates(c.key),
  };

  const DialogConnection: Strict<G.DialogConnectionResolvers, P.DialogConnectionParent, G.DialogConnection> = {
    edges: (c) => {
      const out: { cursor: string; node: DialogParent }[] = [];
      for (let i = c.start; i < c.end; i++) out.push({ cursor: encodeCursor(c.rows[i]!.chatKey, i), node: c.rows[i]! });
      return out;
    },
    nodes: (c) => c.rows.slice(c.start, c.end),
    pageInfo: (c) => ({
      hasNextPage: c.end < c.rows.length,
      hasPreviousPage: c.start > 0,
      startCursor: c.end > c.start ? encodeCursor(c.rows[c.start]!.chatKey, c.start) : null,
      endCursor: c.end > c.start ? encodeCursor(c.rows[c.end - 1]!.chatKey, c.end - 1) : null,
    }),
  };

  const Dialog: Strict<G.DialogResolvers, DialogParent, G.Dialog> = {
    id: (d) => `${d.accountId}:${d.chatKey}`,
    chat: (d, _, ctx) => chatRecord(ctx, d.chatKey),
    waitingSince: (d) => d.waitingSince,
    deadline: (d) => d.deadline,
    overdueSince: (d) => d.overdueSince,
    lastMessage: (d) => d.lastMessage,
    alarm: (d) => alarmOf(d.alarm, d.chatKey),
  };

  const resolvers: G.Resolvers = {
    DateTime,
    JSON: JSONScalar,
    ChatKind: { SUPPORT: 'support', TEAM: 'team', PERSONAL: 'personal', OTHER: 'other' },
    StableKey: { TITLE: 'title', MANUAL: 'manual', CREATED: 'created' },
    TeamRole: { ADMIN: 'admin', MANAGER: 'manager' },
    ApiRole: { VIEWER: 'viewer', ADMIN: 'admin', MANAGER: 'manager', INTEGRATION: 'integration' },
    AuditOutcome: { OK: 'ok', ERROR: 'error' },
    ChatType: { PRIVATE: 'private', BASIC: 'basic', SUPERGROUP: 'supergroup', CHANNEL: 'channel', SECRET: 'secret' },
    Query,
    Mutation: guarded(Mutation),
    Subscription: {
      dialogChanged: {
        subscribe: (_, args, ctx) => dialogChangeStream(ctx, args.accountId, toFilter(args.filter), streamHooks(ctx)),
        resolve: (value: unknown) => unwrapStreamValue(value) as never,
      },
      teamSummaryChanged: {
        subscribe: (_, __, ctx) => teamSummaryStream(ctx, streamHooks(ctx)),
        resolve: (value: unknown) => unwrapStreamValue(value) as never,
      },
      events: {
        subscribe: (_, args, ctx) => eventStream(ctx, args.after, streamHooks(ctx)),
        resolve: (value: unknown) => unwrapStreamValue(value) as never,
      },
    },
    Principal: {
      tokenId: (p) => p.tokenId,
      member: (p, _, ctx) => (p.memberUserId === null ? null : (ctx.daemon.model.roster.byId.get(p.memberUserId) ?? null)),
    } satisfies Strict<G.PrincipalResolvers, P.PrincipalParent, G.Principal>,
    Account: {
      user: (a, _, ctx) => (a.userId === null ? null : ctx.daemon.queries.user(a.userId)),
    } satisfies Strict<G.AccountResolvers, P.AccountRecordParent, G.Account>,
    User: {
      id: (u) => String(u.id),
    },
    TeamMember: {
      id: (m) => String(m.userId),
      // A member added by id whom no account has seen on Telegram yet has no name to show.
      name: (m) => m.name || `user ${m.userId}`,
      onDuty: (m, _, ctx) => ctx.daemon.teamOps.duty.isOnDuty(m.userId),
    } satisfies Strict<G.TeamMemberResolvers, P.TeamMemberParent, G.TeamMember>,
    Preferences: {
      memberId: (p) => String(p.memberUserId),
    } satisfies Strict<G.PreferencesResolvers, P.MemberPreferencesParent, G.Preferences>,
    Chat,
    AccountChatState: {
      isPinned: (s) => s.positions.some((p) => p.list === 'main' && p.isPinned),
    } satisfies Strict<G.AccountChatStateResolvers, P.AccountChatRecordParent, G.AccountChatState>,
    DialogConnection,
    Dialog,
    LastMessage: {
      id: (m) => m.messageId,
      sender: (m, _, ctx) => ({
        id: senderKey(m.sender),
        userId: m.sender.kind === 'user' ? m.sender.id : null,
        name: m.senderName,
        username: m.sender.kind === 'user' ? (ctx.daemon.model.users.get(m.sender.id)?.username ?? null) : null,
        isTeam: m.isTeam,
      }),
      date: (m) => m.at,
    } satisfies Strict<G.LastMessageResolvers, P.LastMessageViewParent, G.LastMessage>,
    Alarm: {
      raisedBy: (a, _, ctx) => (a.raisedBy ? userOf(ctx, a.raisedBy) : null),
      raisedByActor: (a, _, ctx) => (a.chatKey === undefined ? null : ctx.daemon.queries.alarmActor(a.chatKey, a.raisedAt)),
      raisedAt: (a) => a.raisedAt,
    } satisfies Strict<G.AlarmResolvers, P.AlarmParent, G.Alarm>,
    Acknowledgement: {
      by: (a, _, ctx) => userOf(ctx, a.by),
      at: (a) => a.at,
    },
    Policy: {
      businessHours: (p) => p.businessHours ?? null,
      ignorePatterns: (p) => (p.ignorePatterns ? [...p.ignorePatterns] : null),
    } satisfies Strict<G.PolicyResolvers, P.PolicyParent, G.Policy>,
    MessageBlock: {},
    Sender: {
      isTeam: (s, _, ctx) => s.isTeam ?? (s.userId !== null && ctx.daemon.model.isTeamUser(s.userId)),
    } satisfies Strict<G.SenderResolvers, SenderParent, G.Sender>,
    Message: {
      id: (m) => String(m.id),
      chatId: (m) => m.chatKey,
      sender: (m) => senderOfMessage(m),
      date: (m) => m.date * 1000,
      editedAt: (m) => (m.editDate ? m.editDate * 1000 : null),
      entities: (m) => [...m.entities],
      replyToId: (m) => (m.replyToId === null ? null : String(m.replyToId)),
      tasks: messageTasks,
    } satisfies Strict<G.MessageResolvers, MessageView, G.Message>,
    TextEntity: {
      userId: (e) => (e.userId === undefined ? null : String(e.userId)),
      url: (e) => e.url ?? null,
    } satisfies Strict<G.TextEntityResolvers, P.TextEntityParent, G.TextEntity>,
    SearchGroup: {
      chat: (g, _, ctx) => chatRecord(ctx, g.chatKey),
      hits: (g) => [...g.hits],
    } satisfies Strict<G.SearchGroupResolvers, P.SearchGroupViewParent, G.SearchGroup>,
    SearchHit: {
      snippet: (h) => ({ text: h.snippetText, segments: h.snippet.segments }),
    } satisfies Strict<G.SearchHitResolvers, P.SearchHitViewParent, G.SearchHit>,
    Snippet: {
      segments: (s) => [...s.segments],
    },
    AuditEntry: {
      id: (e) => String(e.id),
      chatId: (e) => e.chatKey,
    } satisfies Strict<G.AuditEntryResolvers, P.AuditEntryViewParent, G.AuditEntry>,
    Event: {
      __resolveType: (e) => EVENT_TYPE_NAMES[e.type],
    },
    DialogChangedEvent: {
      dialog: (e, _, ctx) => {
        const member = ctx.principal.memberUserId;
        const stars = member === null ? new Set<string>() : (ctx.daemon.model.stars.get(member) ?? new Set<string>());
        return dialogOf(withStar(e.dialog, stars), e.accountId);
      },
    },
    DialogRemovedEvent: { chatId },
    TeamSummaryChangedEvent: {},
    AlarmRaisedEvent: { chatId, alarm: (e) => ({ ...e.alarm, chatKey: e.chatKey }) },
    AlarmClearedEvent: { chatId, clearedBy: (e, _, ctx) => (e.clearedBy ? userOf(ctx, e.clearedBy) : null) },
    AcknowledgedEvent: { chatId, acknowledgement: (e) => e.acknowledged },
    StarredEvent: { chatId, memberId: (e) => String(e.memberUserId) },
    ChatKindChangedEvent: { chatId },
    ChatTitleChangedEvent: { chatId },
    OverdueChangedEvent: {
      chatId,
      waitingSince: (e) => e.waiting.waitingSince,
      deadline: (e) => e.waiting.deadline,
      isOverdue: (e) => e.waiting.isOverdue,
      overdueSince: (e) => e.waiting.overdueSince,
    } satisfies Strict<G.OverdueChangedEventResolvers, P.OverdueChangedEventParent, G.OverdueChangedEvent>,
    MessageAddedEvent: { chatId },
    MessageEditedEvent: { chatId },
    MessagesDeletedEvent: { chatId, messageIds: (e) => [...e.messageIds] },
    AccountSyncChangedEvent: {
      authState: (e) => e.sync.authState,
      syncState: (e) => e.sync.phase,
      syncComplete: (e) => e.sync.syncComplete,
    } satisfies Strict<G.AccountSyncChangedEventResolvers, P.AccountSyncChangedEventParent, G.AccountSyncChangedEvent>,
    MessageSnapshot: {
      id: (m) => m.messageId,
      sender: (m, _, ctx) => ({
        id: senderKey(m.sender),
        userId: m.sender.kind === 'user' ? m.sender.id : null,
        name: m.senderName,
        username: m.sender.kind === 'user' ? (ctx.daemon.model.users.get(m.sender.id)?.username ?? null) : null,
        isTeam: m.isTeam,
      }),
      date: (m) => m.at,
      editedAt: (m) => m.editedAt,
      replyToId: (m) => m.replyToMessageId,
    } satisfies Strict<G.MessageSnapshotResolvers, P.EventMessageViewParent, G.MessageSnapshot>,
  };
  return withConsole(withTaskResolvers(withTeamOps(withMonitoring(resolvers, streamHooks), streamHooks), streamHooks));
}
