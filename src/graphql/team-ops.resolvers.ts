/**
 * Resolvers of the team-operations part of the schema (the roster, membership jobs, duty,
 * alerts, admin activity): presenters over `daemon.teamOps`, merged into the rest by
 * `withTeamOps`. Conventions as in resolvers.ts: roles are checked before arguments
 * (team-ops.roles.ts), errors are DomainErrors with their codes, subscriptions are abortable.
 */
import type { JobItemView, MembershipJobView, MembershipPlan } from '../domain/membership-plan.ts';
import type { AlertChannel as DomainAlertChannel, AlertView } from '../domain/alerts.ts';
import { actorOf } from '../app/tokens.ts';
import { toDomainEvent } from '../app/writer.ts';
import { badInput, DomainError, notFound } from '../domain/errors.ts';
import type { DomainEvent } from '../domain/events.ts';
import { INVITE_LINK_ROLES, requireRole } from './auth.ts';
import type * as G from './generated/resolvers-types.ts';
import type { ApiContext } from './mappers.ts';
import { abortable, unwrapStreamValue, type StreamError, type StreamHooks } from './subscriptions.ts';
import { TEAM_OPS_MUTATION_ROLES } from './team-ops.roles.ts';

type EventOf<T extends DomainEvent['type']> = Extract<DomainEvent, { type: T }>;

// ---- arguments ----------------------------------------------------------------------------

function userId(name: string, value: string): number {
  const m = /^u?(\d{1,15})$/.exec(value);
  if (!m) throw badInput(`${name} is not a Telegram user id`, { argument: name });
  return Number(m[1]);
}

function numericId(name: string, value: string): number {
  if (!/^\d{1,15}$/.test(value)) throw badInput(`${name} is not a valid id`, { argument: name });
  return Number(value);
}

function ownMember(ctx: ApiContext, what: string): number {
  const member = ctx.principal.memberUserId;
  if (member === null) throw new DomainError('FORBIDDEN', `${what} needs a token tied to a team member (tgdesk token create --member USER_ID)`);
  return member;
}

const CHANNEL_IN: Record<G.AlertChannel, DomainAlertChannel> = { TEAM_CHAT: 'teamChat', DM: 'dm' };
const CHANNEL_OUT: Record<DomainAlertChannel, G.AlertChannel> = { teamChat: 'TEAM_CHAT', dm: 'DM' };

/** `addMembersToChat` → `ADD_MEMBERS_TO_CHAT`: the schema's enum names of the app's values. */
function upper<T extends string>(value: string): T {
  return value.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase() as T;
}

// ---- presenting -------------------------------------------------------------------------------

export function jobOut(v: MembershipJobView): G.MembershipJob {
  return {
    id: String(v.id),
    kind: upper<G.MembershipJobKind>(v.kind),
    action: upper<G.MembershipAction>(v.action),
    state: upper<G.MembershipJobState>(v.state),
    reason: v.reason,
    createdBy: v.createdBy,
    createdAt: v.createdAt,
    updatedAt: v.updatedAt,
    finishedAt: v.finishedAt,
    memberIds: v.memberUserIds.map(String),
    counts: { ...v.counts },
  };
}

export function itemOut(i: JobItemView): G.MembershipJobItem {
  return {
    id: String(i.id),
    chatId: i.chatKey,
    title: i.title,
    memberId: String(i.memberUserId),
    state: upper<G.MembershipItemState>(i.state),
    accountId: i.accountId,
    reason: i.reason,
    inviteLink: i.inviteLink,
    inviteDelivery: i.inviteDelivery === null ? null : upper<G.InviteDelivery>(i.inviteDelivery),
    updatedAt: i.updatedAt,
  };
}

function planOut(p: MembershipPlan): G.ResolversTypes['MembershipPlan'] {
  return {
    action: upper<G.MembershipAction>(p.action),
    counts: { ...p.counts },
    items: p.items.map((i) => ({
      chatId: i.chatKey,
      title: i.title,
      chatType: i.chatType,
      memberId: String(i.memberUserId),
      outcome: upper<G.PlanOutcome>(i.outcome),
      accountId: i.accountId,
      candidates: [...i.candidates],
      reason: i.reason,
    })),
  };
}

function alertOut(a: AlertView): G.Alert {
  return {
    id: a.id,
    key: a.key,
    kind: upper<G.AlertKind>(a.kind),
    chatId: a.chatKey,
    chatTitle: a.chatTitle,
    since: a.since,
    reminder: a.reminder,
    recipients: a.recipients.map(String),
    memberId: a.memberUserId === null ? null : String(a.memberUserId),
    text: a.text,
    link: a.link,
  };
}

function memberOf(ctx: ApiContext, id: number): G.ResolversTypes['TeamMember'] {
  return ctx.daemon.model.roster.byId.get(id) ?? { userId: id, name: ctx.daemon.model.users.get(id)?.name ?? `user ${id}`, role: 'admin', source: 'api' };
}

/** The event a `…Event` type is resolved from (its parent is the stored domain event, see resolvers.ts). */
function eventOf<T extends DomainEvent['type']>(parent: unknown): EventOf<T> {
  return parent as EventOf<T>;
}

// ---- queries ----------------------------------------------------------------------------------

const Query: G.QueryResolvers = {
  duty: (_, args, ctx) => {
    const view = ctx.daemon.teamOps.duty.view(args.at ? args.at.getTime() : undefined);
    return {
      at: view.at,
      schedulesInUse: view.schedulesInUse,
      onDuty: view.onDuty.map((e) => ({ member: memberOf(ctx, e.memberUserId), from: null, until: e.until })),
      next: view.next.map((e) => ({ member: memberOf(ctx, e.memberUserId), from: e.from, until: e.until })),
    };
  },
  dutySchedules: (_, __, ctx) => ctx.daemon.teamOps.duty.scheduleList().map((s) => ({ memberId: String(s.memberUserId), timeZone: s.timeZone, shifts: s.shifts.map((x) => ({ ...x })), muteOffDuty: s.muteOffDuty })),
  dutyOverrides: (_, __, ctx) => ctx.daemon.teamOps.duty.overrideList().map(overrideOut),
  membershipJobs: async (_, args, ctx) => {
    const first = args.first ?? 20;
    if (!Number.isInteger(first) || first < 1 || first > 100) throw badInput('first must be 1 to 100', { argument: 'first' });
    const jobs = await ctx.daemon.teamOps.jobs.list({
      limit: first,
      ...(args.states ? { states: args.states.map((s) => s.toLowerCase() as MembershipJobView['state']) } : {}),
      ...(args.before ? { beforeId: numericId('before', args.before) } : {}),
    });
    return jobs.map(jobOut);
  },
  membershipJob: async (_, args, ctx) => {
    const report = await ctx.daemon.teamOps.jobs.job(numericId('id', args.id));
    return { job: jobOut(report.job), items: report.items.map(itemOut) };
  },
  accountAddLimits: (_, __, ctx) =>
    [...ctx.daemon.accounts.keys()].map((accountId) => {
      const s = ctx.daemon.teamOps.jobs.limitsOf(accountId);
      const now = ctx.daemon.now();
      const windowOpen = s.windowStart !== null && now - s.windowStart < 86_400_000;
      const blocked = s.blockedUntil !== null && s.blockedUntil > now;
      return {
        accountId,
        addsToday: windowOpen ? s.addsInWindow : 0,
        windowStart: windowOpen ? s.windowStart : null,
        lastAddAt: s.lastAddAt,
        blockedUntil: blocked ? s.blockedUntil : null,
        blockedReason: blocked ? s.blockedReason : null,
      };
    }),
  alertChannels: (_, args, ctx) => {
    const member = args.memberId ? userId('memberId', args.memberId) : ownMember(ctx, 'alertChannels without memberId');
    if (!ctx.daemon.model.roster.byId.has(member)) throw notFound('team member', member);
    return ctx.daemon.teamOps.alerts.channelsOf(member).map((c) => CHANNEL_OUT[c]);
  },
  adminActivity: async (_, args, ctx) => {
    const rows = await ctx.daemon.teamOps.activity.report({ from: args.from.getTime(), to: args.to.getTime() });
    return rows.map((r) => ({
      member: memberOf(ctx, r.memberUserId),
      onDuty: r.onDuty,
      onDutyUntil: r.onDutyUntil,
      nextOnDutyAt: r.nextOnDutyAt,
      lastActivityAt: r.lastActivityAt,
      lastActivityChatId: r.lastActivityChatKey,
      shifts: r.shifts.map((s) => ({
        from: s.from,
        to: s.to,
        replies: s.replies,
        chats: s.chats,
        answered: s.answered,
        avgResponseSeconds: s.avgResponseMs === null ? null : s.avgResponseMs / 1000,
        maxResponseSeconds: s.maxResponseMs === null ? null : s.maxResponseMs / 1000,
        answeredOverdue: s.answeredOverdue,
      })),
    }));
  },
};

function overrideOut(o: { id: number; memberUserId: number; from: number; to: number; onDuty: boolean; note: string | null; createdBy: string; createdAt: number }): G.DutyOverride {
  return { id: String(o.id), memberId: String(o.memberUserId), from: o.from, to: o.to, onDuty: o.onDuty, note: o.note, createdBy: o.createdBy, createdAt: o.createdAt };
}

// ---- mutations --------------------------------------------------------------------------------

const start = async (ctx: ApiContext, request: Parameters<ApiContext['daemon']['teamOps']['jobs']['create']>[1], dryRun: boolean | null | undefined) => {
  const r = await ctx.daemon.teamOps.jobs.create(actorOf(ctx.principal), request, dryRun ?? false);
  return { plan: planOut(r.plan), job: r.job ? jobOut(r.job) : null };
};

const Mutation: G.MutationResolvers = {
  addMembersToChat: (_, args, ctx) =>
    start(ctx, { kind: 'addMembersToChat', chatKey: args.chatId, memberUserIds: args.memberIds.map((m) => userId('memberIds', m)) }, args.dryRun),
  addMemberToChats: (_, args, ctx) =>
    start(ctx, { kind: 'addMemberToChats', memberUserId: userId('memberId', args.memberId), chatKeys: args.chatIds ?? null, allSupport: args.allSupport ?? null }, args.dryRun),
  removeMemberFromChats: (_, args, ctx) =>
    start(ctx, { kind: 'removeMemberFromChats', memberUserId: userId('memberId', args.memberId), chatKeys: args.chatIds ?? null, all: args.all ?? null }, args.dryRun),
  cancelJob: async (_, args, ctx) => jobOut(await ctx.daemon.teamOps.jobs.cancel(actorOf(ctx.principal), numericId('jobId', args.jobId))),
  addTeamMember: (_, args, ctx) => ctx.daemon.teamOps.roster.add(actorOf(ctx.principal), { userId: userId('userId', args.userId), role: args.role, name: args.name ?? null }),
  removeTeamMember: (_, args, ctx) => ctx.daemon.teamOps.roster.remove(actorOf(ctx.principal), userId('userId', args.userId)),
  setDutySchedule: async (_, args, ctx) => {
    const s = await ctx.daemon.teamOps.duty.setSchedule(actorOf(ctx.principal), {
      memberUserId: userId('memberId', args.memberId),
      timeZone: args.timeZone,
      shifts: args.shifts.map((x) => ({ day: x.day as 1, from: x.from, to: x.to })),
      muteOffDuty: args.muteOffDuty ?? false,
    });
    return { memberId: String(s.memberUserId), timeZone: s.timeZone, shifts: s.shifts.map((x) => ({ ...x })), muteOffDuty: s.muteOffDuty };
  },
  removeDutySchedule: (_, args, ctx) => ctx.daemon.teamOps.duty.removeSchedule(actorOf(ctx.principal), userId('memberId', args.memberId)),
  addDutyOverride: async (_, args, ctx) =>
    overrideOut(
      await ctx.daemon.teamOps.duty.addOverride(actorOf(ctx.principal), {
        memberUserId: userId('memberId', args.memberId),
        from: args.from.getTime(),
        to: args.to.getTime(),
        onDuty: args.onDuty,
        note: args.note ?? null,
      }),
    ),
  removeDutyOverride: (_, args, ctx) => ctx.daemon.teamOps.duty.removeOverride(actorOf(ctx.principal), numericId('id', args.id)),
  setAlertChannels: async (_, args, ctx) => {
    const own = ctx.principal.memberUserId;
    const member = args.memberId ? userId('memberId', args.memberId) : ownMember(ctx, 'setAlertChannels without memberId');
    if (ctx.principal.role !== 'manager' && member !== own) throw new DomainError('FORBIDDEN', "setting another member's alert channels needs the role manager", { required: ['manager'] });
    const channels = args.channels === null || args.channels === undefined ? null : args.channels.map((c) => CHANNEL_IN[c]);
    return (await ctx.daemon.teamOps.alerts.setChannels(actorOf(ctx.principal), member, channels)).map((c) => CHANNEL_OUT[c]);
  },
};

function guarded(mutations: G.MutationResolvers): G.MutationResolvers {
  const out: Record<string, unknown> = {};
  for (const [name, resolve] of Object.entries(mutations) as [keyof typeof TEAM_OPS_MUTATION_ROLES, (...a: unknown[]) => unknown][]) {
    const roles = TEAM_OPS_MUTATION_ROLES[name];
    out[name] = (parent: unknown, args: unknown, ctx: ApiContext, info: unknown) => {
      requireRole(ctx.principal, roles, name);
      return resolve(parent, args, ctx, info);
    };
  }
  return out as G.MutationResolvers;
}

// ---- subscriptions ----------------------------------------------------------------------------

function resync(error: unknown): StreamError {
  if (error instanceof DomainError && error.code === 'RESYNC_REQUIRED') return { streamError: error };
  throw error;
}

/** A job has ended when it is done, or cancelled with no call of it still under way. */
function ended(job: MembershipJobView): boolean {
  return job.state === 'done' || (job.state === 'cancelled' && job.counts.running + job.counts.pending === 0);
}

function jobProgressStream(ctx: ApiContext, jobId: number, hooks: StreamHooks) {
  return abortable(async function* (signal): AsyncGenerator<G.MembershipJobProgress | StreamError> {
    // Listening starts before the snapshot is read, so no change between the two is lost.
    const source = ctx.daemon.queries.events(undefined, signal);
    const first = source.next();
    const report = await ctx.daemon.teamOps.jobs.job(jobId);
    let lastUpdate = report.job.updatedAt;
    yield { seq: 0, at: report.job.updatedAt, job: jobOut(report.job), changedItems: [] };
    if (ended(report.job)) return;
    try {
      for (let r = await first; !r.done; r = await source.next()) {
        const e = toDomainEvent(r.value);
        if (e.type !== 'membershipJobChanged' || e.job.id !== jobId || e.job.updatedAt < lastUpdate) continue;
        lastUpdate = e.job.updatedAt;
        yield { seq: e.seq, at: e.at, job: jobOut(e.job), changedItems: e.items.map(itemOut) };
        if (ended(e.job)) return;
      }
    } catch (error) {
      yield resync(error);
    }
  }, hooks);
}

function alertStream(ctx: ApiContext, forMe: boolean, after: number | null | undefined, hooks: StreamHooks) {
  if (after !== null && after !== undefined && (!Number.isInteger(after) || after < 0)) throw badInput('after must be a sequence number (0 or more)', { argument: 'after' });
  const member = forMe ? ownMember(ctx, 'alerts(forMe: true)') : null;
  return abortable(async function* (signal): AsyncGenerator<G.Alert | StreamError> {
    try {
      for await (const stored of ctx.daemon.queries.events(after ?? undefined, signal)) {
        if (stored.type !== 'alert') continue;
        const e = toDomainEvent(stored) as EventOf<'alert'>;
        if (member === null || e.alert.recipients.includes(member)) yield alertOut(e.alert);
      }
    } catch (error) {
      yield resync(error);
    }
  }, hooks);
}

// ---- wiring -----------------------------------------------------------------------------------

/** The team-operations resolvers merged into the rest (resolvers.ts calls this once). */
export function withTeamOps(resolvers: G.Resolvers, streamHooks: (ctx: ApiContext) => StreamHooks): G.Resolvers {
  return {
    ...resolvers,
    Query: { ...resolvers.Query, ...Query },
    Mutation: { ...resolvers.Mutation, ...guarded(Mutation) },
    Subscription: {
      ...resolvers.Subscription,
      jobProgress: {
        subscribe: async (_, args, ctx) => {
          const id = numericId('jobId', args.jobId);
          await ctx.daemon.teamOps.jobs.job(id); // NOT_FOUND before any stream opens
          return jobProgressStream(ctx, id, streamHooks(ctx));
        },
        resolve: (value: unknown) => unwrapStreamValue(value) as never,
      },
      alerts: {
        subscribe: (_, args, ctx) => alertStream(ctx, args.forMe ?? false, args.after, streamHooks(ctx)),
        resolve: (value: unknown) => unwrapStreamValue(value) as never,
      },
    },
    MembershipJobItem: {
      inviteLink: (i, _, ctx) => (INVITE_LINK_ROLES.includes(ctx.principal.role) ? i.inviteLink : null),
    },
    MembershipJobChangedEvent: {
      job: (e) => jobOut(eventOf<'membershipJobChanged'>(e).job),
      changedItems: (e) => eventOf<'membershipJobChanged'>(e).items.map(itemOut),
    },
    AlertEvent: {
      alert: (e) => alertOut(eventOf<'alert'>(e).alert),
    },
    DutyChangedEvent: {
      onDutyIds: (e) => eventOf<'dutyChanged'>(e).duty.onDuty.map(String),
      changed: (e) => eventOf<'dutyChanged'>(e).duty.changed.map((c) => ({ memberId: String(c.memberUserId), onDuty: c.onDuty })),
    },
  };
}
