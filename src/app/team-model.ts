/**
 * The team's live picture, kept in memory: every chat with its kind, client name, members and
 * last message; what each account sees of it; the overdue clocks; alarms, acknowledgements and
 * stars. Dialog views are built from it by the pure functions of src/domain, so a view of
 * thousands of chats costs milliseconds and no query.
 *
 * The store stays the truth. The model is loaded from it at start and changed only inside the
 * writer's transactions, right after the store, by ingest and actions; a rolled-back
 * transaction reloads it.
 *
 * It also holds `mirror`: the state subscribers have, as the events published so far describe
 * it. After every change the model diffs the truth against the mirror and emits exactly the
 * events that close the gap, so "state before + events == state read afresh" holds by
 * construction (and is tested).
 */
import type { Kysely } from 'kysely';
import { classifyChat, compileClassifier, type ChatKind, type Classifier } from '../domain/classification.ts';
import { clientNameFromTitle, clientNameOf, compileClientNamer, mostActiveOutsider, type ClientNamer } from '../domain/client-name.ts';
import { everyoneOnDuty, teamSummary, type OnDutyPredicate, type TeamSummary } from '../domain/counts.ts';
import { buildTitleOrder, createTitleCollator, type TitleOrder } from '../domain/dialog-order.ts';
import { buildDialogRow, mainListPosition, snapshotOf, type Acknowledged, type Alarm, type DialogInput, type DialogSnapshot, type LastMessageInput, type ScopeMuteFor } from '../domain/dialogs.ts';
import { applyDomainEvent, emptyClientState, type ClientState, type DomainEvent, type WaitingView } from '../domain/events.ts';
import { parseSenderKey, type ChatKey } from '../domain/ids.ts';
import { compileOverduePolicy, DEFAULT_OVERDUE_POLICY, type OverduePolicy } from '../domain/overdue-policy.ts';
import type { OverdueState } from '../domain/overdue.ts';
import { buildRoster, isTeamSender, type Roster, type TeamMember } from '../domain/roster.ts';
import type { AccountId, NotificationScope } from '../domain/telegram.ts';
import { fromUnixSeconds, type UnixMs } from '../domain/time.ts';
import { listAccounts, listScopeMutes } from '../store/accounts.repository.ts';
import { listAllAccountChats, listAllChatMembers, listChats, type AccountChatRecord, type ChatRecord } from '../store/chats.repository.ts';
import { latestMessages, senderActivity, type StoredMessage } from '../store/messages.repository.ts';
import type { Database } from '../store/schema.ts';
import { listAlarms, listChatSettings, listLatestAcks, listPolicies, listStars, listTeamMembers, listWaitingStates, type PolicyRecord } from '../store/team.repository.ts';
import { displayName } from '../store/users.repository.ts';
import { countOpenTasksByChat } from '../store/tasks.repository.ts';
import type { Emit, NewEvent } from './writer.ts';

export interface TeamConfig {
  readonly teamChatId: number | null;
  readonly members: readonly { userId: number; role: 'admin' | 'manager'; name: string | null }[];
  readonly supportChatIds: readonly number[];
  readonly otherChatIds: readonly number[];
  readonly supportTitlePattern: string | null;
  readonly companyNames: readonly string[];
}

export interface ChatEntry {
  record: ChatRecord;
  kind: ChatKind;
  clientName: string | null;
  kindOverride: ChatKind | null;
  policyId: string | null;
  manualPosition: number | null;
  /** Current members (left and banned excluded), or people seen writing when the list is hidden. */
  members: Set<number>;
  /** Messages per user in the last 30 days: who the client is when the title does not say. */
  activity: Map<number, number>;
  lastMessage: (LastMessageInput & { sortKey: number }) | null;
}

const NO_SCOPE_MUTE: ScopeMuteFor = { private: 0, group: 0, channel: 0 };
const ACTIVITY_WINDOW_S = 30 * 86_400;

/** Event types that change nothing of `ClientState` but its sequence (see applyDomainEvent). */
const OUTSIDE_CLIENT_STATE: ReadonlySet<string> = new Set(['messageAdded', 'messageEdited', 'messagesDeleted', 'membershipJobChanged', 'alert', 'dutyChanged', 'taskChanged']);

export class TeamModel {
  readonly chats = new Map<ChatKey, ChatEntry>();
  readonly accountChats = new Map<AccountId, Map<ChatKey, AccountChatRecord>>();
  readonly accountUsers = new Map<AccountId, number>();
  readonly scopeMutes = new Map<AccountId, ScopeMuteFor>();
  readonly users = new Map<number, { name: string; isBot: boolean; username: string | null }>();
  readonly overdue = new Map<ChatKey, OverdueState>();
  readonly alarms = new Map<ChatKey, Alarm>();
  readonly acks = new Map<ChatKey, Acknowledged>();
  readonly stars = new Map<number, Set<ChatKey>>();
  readonly policies = new Map<string, { record: PolicyRecord; compiled: OverduePolicy }>();
  /** Open tasks per chat: loaded here, kept in step by src/app/tasks.ts. */
  readonly openTasks = new Map<ChatKey, number>();
  roster: Roster = buildRoster([]);
  /** Who is on duty at an instant: set by the duty service (src/app/duty.ts); null counts everyone on the roster. */
  onDutyAt: ((at: UnixMs) => OnDutyPredicate) | null = null;
  titleOrder: TitleOrder;
  /** What subscribers know, as the published events describe it. */
  mirror: ClientState = emptyClientState();
  private mirrorSeq = 0;
  private readonly classifier: Classifier;
  private readonly namer: ClientNamer;
  /** The client name each title gives (null: none), for `namer`; as many entries as titles seen. */
  private readonly titleClientNames = new Map<string, string | null>();
  private readonly collator = createTitleCollator('en');
  private storedMembers: TeamMember[] = [];

  constructor(private readonly config: TeamConfig) {
    this.classifier = compileClassifier({
      teamChatId: config.teamChatId,
      supportChatIds: config.supportChatIds,
      otherChatIds: config.otherChatIds,
      supportTitlePattern: config.supportTitlePattern,
    });
    this.namer = compileClientNamer({ companyNames: config.companyNames, titlePattern: this.classifier.supportTitlePattern });
    this.titleOrder = buildTitleOrder([], this.collator);
  }

  /** Loads everything from the store; waiting states come from the overdue clock afterwards. */
  async load(db: Kysely<Database>, now: UnixMs): Promise<void> {
    this.chats.clear();
    this.accountChats.clear();
    this.users.clear();
    this.alarms.clear();
    this.acks.clear();
    this.stars.clear();
    this.policies.clear();
    for (const a of await listAccounts(db)) if (a.userId !== null) this.accountUsers.set(a.id, a.userId);
    for (const s of await listScopeMutes(db)) this.setScopeMute(s.accountId, s.scope as NotificationScope, s.muteFor);
    const userRows = await db.selectFrom('users').select(['id', 'first_name', 'last_name', 'username', 'is_bot']).execute();
    for (const u of userRows) this.users.set(u.id, { name: displayName({ id: u.id, firstName: u.first_name, lastName: u.last_name, username: u.username }), isBot: u.is_bot === 1, username: u.username });
    this.storedMembers = (await listTeamMembers(db)).map((m) => ({ userId: m.userId, role: m.role, source: m.source, name: m.name ?? '' }));
    const settings = new Map((await listChatSettings(db)).map((s) => [s.chatKey, s]));
    const members = await listAllChatMembers(db);
    for (const record of await listChats(db)) {
      const s = settings.get(record.key);
      this.chats.set(record.key, {
        record,
        kind: 'other',
        clientName: null,
        kindOverride: (s?.kindOverride as ChatKind | null) ?? null,
        policyId: s?.policyId ?? null,
        manualPosition: s?.manualPosition ?? null,
        members: new Set((members.get(record.key) ?? []).map((m) => m.userId)),
        activity: new Map(),
        lastMessage: null,
      });
    }
    for (const a of await senderActivity(db, Math.floor(now / 1000) - ACTIVITY_WINDOW_S)) {
      const entry = this.chats.get(a.chatKey);
      if (entry) entry.activity.set(a.userId, a.count);
    }
    for (const ac of await listAllAccountChats(db)) this.accountChat(ac.accountId).set(ac.chatKey, ac);
    for (const a of await listAlarms(db)) this.alarms.set(a.chatKey, { raisedBy: a.raisedBy, raisedAt: a.raisedAt, reason: a.reason });
    // An acknowledgement shows until the next wait starts; a later episode means one did.
    const lastStarts = new Map(
      (await db.selectFrom('response_episodes').select((eb) => ['chat_key', eb.fn.max('started_at').as('last')]).groupBy('chat_key').execute()).map((r) => [r.chat_key, Number(r.last)]),
    );
    for (const a of await listLatestAcks(db)) if (a.at >= (lastStarts.get(a.chatKey) ?? 0)) this.acks.set(a.chatKey, { by: a.by, at: a.at });
    for (const s of await listStars(db)) this.starsOf(s.memberUserId).add(s.chatKey);
    this.openTasks.clear();
    for (const [chatKey, n] of await countOpenTasksByChat(db)) this.openTasks.set(chatKey, n);
    for (const p of await listPolicies(db)) this.setPolicy(p);
    this.rebuildRoster();
    for (const entry of this.chats.values()) this.classify(entry);
    for (const [chatKey, m] of await latestMessages(db)) this.setLastMessage(chatKey, m, true);
    this.rebuildTitleOrder();
  }

  // ---- roster and classification -------------------------------------------------------

  rebuildRoster(): void {
    const entries: TeamMember[] = [];
    for (const m of this.config.members) entries.push({ userId: m.userId, role: m.role, source: 'config', name: m.name ?? this.users.get(m.userId)?.name ?? '' });
    entries.push(...this.storedMembers.map((m) => ({ ...m, name: m.name || this.users.get(m.userId)?.name || '' })));
    const teamChat = this.teamChat();
    if (teamChat) {
      for (const userId of teamChat.members) {
        const u = this.users.get(userId);
        if (u?.isBot) continue;
        entries.push({ userId, role: 'admin', source: 'teamChat', name: u?.name ?? '' });
      }
    }
    this.roster = buildRoster(entries);
  }

  setStoredMembers(members: readonly TeamMember[]): void {
    this.storedMembers = [...members];
  }

  teamChat(): ChatEntry | null {
    if (this.config.teamChatId === null) return null;
    for (const c of this.chats.values()) if (c.record.tdChatId === this.config.teamChatId && c.record.type !== 'private') return c;
    return null;
  }

  isTeamUser(userId: number): boolean {
    return this.roster.byId.has(userId);
  }

  /** Recomputes a chat's kind and client name; true if either changed. */
  classify(entry: ChatEntry): boolean {
    const members = [...entry.members].map((userId) => ({ userId, isBot: this.users.get(userId)?.isBot ?? false }));
    // Big supergroups hide their member list: people seen writing stand in for it.
    for (const userId of entry.activity.keys()) if (!entry.members.has(userId)) members.push({ userId, isBot: this.users.get(userId)?.isBot ?? false });
    const { kind } = classifyChat(this.classifier, this.roster, {
      tdChatId: entry.record.tdChatId,
      type: entry.record.type,
      title: entry.record.title,
      members,
      override: entry.kindOverride,
    });
    let clientName: string | null = null;
    if (kind === 'support') {
      // A support chat is classified again with every new message; most titles name the client.
      let fromTitle = this.titleClientNames.get(entry.record.title);
      if (fromTitle === undefined) this.titleClientNames.set(entry.record.title, (fromTitle = clientNameFromTitle(this.namer, entry.record.title)));
      if (fromTitle !== null) clientName = fromTitle;
      else {
        const outsider = mostActiveOutsider(
          [...entry.activity].map(([userId, count]) => ({ userId, name: this.users.get(userId)?.name ?? `user ${userId}`, messageCount: count })),
          (id) => this.isTeamUser(id) || (this.users.get(id)?.isBot ?? false),
        );
        clientName = clientNameOf(this.namer, entry.record.title, outsider?.name ?? null);
      }
    }
    const changed = kind !== entry.kind || clientName !== entry.clientName;
    entry.kind = kind;
    entry.clientName = clientName;
    return changed;
  }

  // ---- per-account state -----------------------------------------------------------------

  accountChat(accountId: AccountId): Map<ChatKey, AccountChatRecord> {
    let m = this.accountChats.get(accountId);
    if (!m) this.accountChats.set(accountId, (m = new Map()));
    return m;
  }

  starsOf(memberUserId: number): Set<ChatKey> {
    let s = this.stars.get(memberUserId);
    if (!s) this.stars.set(memberUserId, (s = new Set()));
    return s;
  }

  setScopeMute(accountId: AccountId, scope: NotificationScope, muteFor: number): void {
    this.scopeMutes.set(accountId, { ...(this.scopeMutes.get(accountId) ?? NO_SCOPE_MUTE), [scope]: muteFor });
  }

  setPolicy(record: PolicyRecord): void {
    const bh = record.businessHours as { timeZone?: string; intervals?: unknown } | null;
    const compiled = compileOverduePolicy({
      thresholdMinutes: record.thresholdSeconds / 60,
      businessHours: bh ? ({ ...bh, timeZone: record.timeZone ?? bh.timeZone ?? 'UTC' } as never) : null,
      ...(record.ignorePatterns ? { ignorePatterns: record.ignorePatterns } : {}),
    });
    this.policies.set(record.id, { record, compiled });
  }

  policyOf(chatKey: ChatKey): OverduePolicy {
    const entry = this.chats.get(chatKey);
    const id = entry?.policyId ?? 'default';
    return this.policies.get(id)?.compiled ?? this.policies.get('default')?.compiled ?? DEFAULT_OVERDUE_POLICY;
  }

  thresholdSecondsOf(chatKey: ChatKey): number {
    return Math.round(this.policyOf(chatKey).thresholdMs / 1000);
  }

  /** Keeps the chat's newest message; `force` replaces it even when older (after a deletion). */
  setLastMessage(chatKey: ChatKey, m: StoredMessage, force = false): void {
    const entry = this.chats.get(chatKey);
    if (!entry) return;
    if (!force && entry.lastMessage && entry.lastMessage.sortKey > m.sortKey) return;
    const sender = parseSenderKey(m.senderKey) ?? { kind: 'user' as const, id: m.senderUserId ?? 0 };
    const name = sender.kind === 'user' ? (this.users.get(sender.id)?.name ?? `user ${sender.id}`) : entry.record.title;
    entry.lastMessage = {
      messageId: String(m.id),
      sender,
      senderName: name,
      isTeam: isTeamSender(this.roster, sender),
      at: fromUnixSeconds(m.date),
      text: m.text,
      contentKind: m.contentKind as LastMessageInput['contentKind'],
      mediaSummary: m.mediaSummary,
      sortKey: m.sortKey,
    };
  }

  rebuildTitleOrder(): void {
    this.titleOrder = buildTitleOrder([...this.chats.values()].map((c) => c.record.title), this.collator);
  }

  // ---- views -------------------------------------------------------------------------

  waitingOf(chatKey: ChatKey): { since: UnixMs; deadline: UnixMs } | null {
    const w = this.overdue.get(chatKey)?.waiting;
    return w ? { since: w.since, deadline: w.deadline } : null;
  }

  waitingView(chatKey: ChatKey, now: UnixMs): WaitingView {
    const w = this.overdue.get(chatKey)?.waiting ?? null;
    if (!w) return { waitingSince: null, deadline: null, isOverdue: false, overdueSince: null };
    const overdue = now >= w.deadline;
    return { waitingSince: w.since, deadline: Number.isFinite(w.deadline) ? w.deadline : null, isOverdue: overdue, overdueSince: overdue ? w.deadline : null };
  }

  /** The waiting state subscribers were last told about a chat (from any account's row). */
  mirroredWaitingView(chatKey: ChatKey): WaitingView | null {
    for (const rows of this.mirror.dialogs.values()) {
      const row = rows.get(chatKey);
      if (row) return { waitingSince: row.waitingSince, deadline: row.deadline, isOverdue: row.isOverdue, overdueSince: row.overdueSince };
    }
    return null;
  }

  dialogInput(accountId: AccountId, ac: AccountChatRecord): DialogInput | null {
    const entry = this.chats.get(ac.chatKey);
    // A chat in none of the account's chat lists (main, archive, folders) is not a dialog of the
    // account: TDLib takes a supergroup the account left or was removed from out of every list.
    if (!entry || ac.positions.length === 0) return null;
    return {
      chatKey: ac.chatKey,
      tdChatId: ac.tdChatId,
      chatType: entry.record.type,
      kind: entry.kind,
      title: entry.record.title,
      clientName: entry.clientName,
      unreadCount: ac.unreadCount,
      unreadMentionCount: ac.unreadMentionCount,
      isMarkedAsUnread: ac.isMarkedAsUnread,
      notification: { useDefaultMuteFor: ac.notificationSettings.useDefaultMuteFor ?? false, muteFor: ac.notificationSettings.muteFor ?? 0 },
      position: mainListPosition(ac.positions),
      createdAt: entry.record.firstSeenAt,
      manualPosition: entry.manualPosition,
      lastMessage: entry.lastMessage,
      waiting: entry.kind === 'support' ? this.waitingOf(ac.chatKey) : null,
      alarm: this.alarms.get(ac.chatKey) ?? null,
      acknowledged: this.acks.get(ac.chatKey) ?? null,
      openTaskCount: this.openTasks.get(ac.chatKey) ?? 0,
    };
  }

  dialogInputs(accountId: AccountId): DialogInput[] {
    const out: DialogInput[] = [];
    for (const ac of this.accountChats.get(accountId)?.values() ?? []) {
      const input = this.dialogInput(accountId, ac);
      if (input) out.push(input);
    }
    return out;
  }

  scopeMuteOf(accountId: AccountId): ScopeMuteFor {
    return this.scopeMutes.get(accountId) ?? NO_SCOPE_MUTE;
  }

  snapshot(accountId: AccountId, chatKey: ChatKey, now: UnixMs): DialogSnapshot | null {
    const ac = this.accountChats.get(accountId)?.get(chatKey);
    if (!ac) return null;
    const input = this.dialogInput(accountId, ac);
    if (!input) return null;
    return snapshotOf(buildDialogRow(input, { now, scopeMuteFor: this.scopeMuteOf(accountId), starred: new Set() }));
  }

  summary(now: UnixMs): TeamSummary {
    const chats = [...this.chats.values()].map((c) => ({
      chatKey: c.record.key,
      kind: c.kind,
      waiting: c.kind === 'support' ? this.waitingOf(c.record.key) : null,
      hasAlarm: this.alarms.has(c.record.key),
    }));
    const accountFacts = [];
    for (const [accountId, rows] of this.accountChats) {
      const userId = this.accountUsers.get(accountId);
      if (userId === undefined) continue;
      for (const ac of rows.values()) accountFacts.push({ chatKey: ac.chatKey, accountUserId: userId, unreadCount: ac.unreadCount, unreadMentionCount: ac.unreadMentionCount });
    }
    return teamSummary(chats, accountFacts, now, this.onDutyAt?.(now) ?? everyoneOnDuty(this.roster));
  }

  // ---- events ------------------------------------------------------------------------

  /**
   * A copy of the mirror, to put back when the transaction about to emit rolls back (its events
   * are never published, so subscribers still hold this). Maps are copied, rows shared: rows are
   * replaced, never changed, when the mirror moves.
   */
  mirrorCheckpoint(): { readonly mirror: ClientState; readonly seq: number } {
    const m = this.mirror;
    return {
      mirror: {
        ...m,
        dialogs: new Map([...m.dialogs].map(([accountId, rows]) => [accountId, new Map(rows)] as const)),
        stars: new Map([...m.stars].map(([member, chats]) => [member, new Set(chats)] as const)),
        accounts: new Map(m.accounts),
      },
      seq: this.mirrorSeq,
    };
  }

  restoreMirror(checkpoint: { readonly mirror: ClientState; readonly seq: number }): void {
    this.mirror = checkpoint.mirror;
    this.mirrorSeq = checkpoint.seq;
  }

  /** Emits an event and applies it to the mirror, as a subscriber would. */
  emitTo(emit: Emit, event: NewEvent): void {
    emit(event);
    const seq = ++this.mirrorSeq;
    // Most events (a message each) leave a client's dialog state as it was, the sequence aside.
    if (OUTSIDE_CLIENT_STATE.has(event.type)) {
      (this.mirror as { seq: number }).seq = seq;
      return;
    }
    const applied = { ...event, seq } as DomainEvent;
    if (!this.applyToMirrorInPlace(applied)) this.mirror = applyDomainEvent(this.mirror, applied);
  }

  /**
   * Applies the events that change dialog rows or the summary to the mirror in place: the pure
   * reducer copies an account's whole row map per event, O(chats) for every row that changes.
   * The result is the same state; the mirror is the model's own and nobody keeps its old maps.
   */
  private applyToMirrorInPlace(event: DomainEvent): boolean {
    const dialogs = this.mirror.dialogs as Map<AccountId, Map<ChatKey, DialogSnapshot>>;
    const patchEverywhere = (chatKey: ChatKey, patch: Partial<DialogSnapshot>): void => {
      for (const rows of dialogs.values()) {
        const row = rows.get(chatKey);
        if (row !== undefined) rows.set(chatKey, { ...row, ...patch });
      }
    };
    switch (event.type) {
      case 'dialogChanged': {
        let rows = dialogs.get(event.accountId);
        if (!rows) dialogs.set(event.accountId, (rows = new Map()));
        rows.set(event.dialog.chatKey, event.dialog);
        break;
      }
      case 'dialogRemoved':
        dialogs.get(event.accountId)?.delete(event.chatKey);
        break;
      case 'teamSummaryChanged':
        (this.mirror as { teamSummary: TeamSummary }).teamSummary = event.summary;
        break;
      case 'alarmRaised':
        patchEverywhere(event.chatKey, { alarm: event.alarm });
        break;
      case 'alarmCleared':
        patchEverywhere(event.chatKey, { alarm: null });
        break;
      case 'acknowledged':
        patchEverywhere(event.chatKey, { acknowledged: event.acknowledged });
        break;
      case 'chatKindChanged':
        patchEverywhere(event.chatKey, { kind: event.kind, clientName: event.clientName });
        break;
      case 'chatTitleChanged':
        patchEverywhere(event.chatKey, { title: event.title, clientName: event.clientName });
        break;
      case 'overdueChanged':
        patchEverywhere(event.chatKey, { ...event.waiting });
        break;
      default:
        return false;
    }
    (this.mirror as { seq: number }).seq = event.seq;
    return true;
  }

  /** Sets the mirror to the truth without events: at start, the store is what subscribers were told. */
  resetMirror(now: UnixMs): void {
    let state = emptyClientState();
    const dialogs = new Map<AccountId, Map<ChatKey, DialogSnapshot>>();
    for (const accountId of this.accountChats.keys()) {
      const rows = new Map<ChatKey, DialogSnapshot>();
      for (const chatKey of this.accountChats.get(accountId)!.keys()) {
        const snap = this.snapshot(accountId, chatKey, now);
        if (snap) rows.set(chatKey, snap);
      }
      dialogs.set(accountId, rows);
    }
    state = { ...state, dialogs, teamSummary: this.summary(now), stars: new Map([...this.stars].map(([k, v]) => [k, new Set(v)])) };
    this.mirrorSeq = 0;
    this.mirror = state;
  }

  /**
   * Emits `dialogChanged`/`dialogRemoved` for every row of the given chats that differs from
   * what subscribers have, then `teamSummaryChanged` if the summary moved.
   */
  emitDialogDiffs(emit: Emit, chatKeys: Iterable<ChatKey>, now: UnixMs, accounts?: Iterable<AccountId>): void {
    const keys = [...new Set(chatKeys)];
    const accountIds = accounts ? [...accounts] : [...this.accountChats.keys()];
    for (const accountId of accountIds) {
      const mirrored = this.mirror.dialogs.get(accountId);
      const rows = this.accountChats.get(accountId);
      for (const chatKey of keys) {
        // Only accounts that see the chat, or were told about it, can have a difference.
        if (!rows?.has(chatKey) && !mirrored?.has(chatKey)) continue;
        const truth = this.snapshot(accountId, chatKey, now);
        const known = mirrored?.get(chatKey) ?? null;
        if (truth === null) {
          if (known !== null) this.emitTo(emit, { type: 'dialogRemoved', at: now, accountId, chatKey });
          continue;
        }
        if (known === null || !sameSnapshot(known, truth)) this.emitTo(emit, { type: 'dialogChanged', at: now, accountId, dialog: truth });
      }
    }
    const summary = this.summary(now);
    const m = this.mirror.teamSummary;
    if (summary.overdueChats !== m.overdueChats || summary.alarms !== m.alarms || summary.unreadSupportChats !== m.unreadSupportChats || summary.mentionedOnDuty !== m.mentionedOnDuty) {
      this.emitTo(emit, { type: 'teamSummaryChanged', at: now, summary });
    }
  }
}

/** Field by field: snapshots hold only plain values, arrays and objects of them. */
function sameSnapshot(a: DialogSnapshot, b: DialogSnapshot): boolean {
  return samePlainValue(a, b);
}

function samePlainValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) if (!samePlainValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  return true;
}

/**
 * Puts the stored waiting states into the model's clocks, as subscribers last heard of them.
 * Enough to show rows; the overdue clock recomputes from history before it runs.
 */
export async function loadStoredWaiting(model: TeamModel, db: Kysely<Database>): Promise<void> {
  for (const w of await listWaitingStates(db)) {
    if (w.waitingSince === null || w.firstMessageId === null) continue;
    model.overdue.set(w.chatKey, {
      chatKey: w.chatKey,
      lastMessageAt: null,
      waiting: {
        since: w.waitingSince,
        firstClientMessageId: String(w.firstMessageId),
        deadline: w.deadline ?? Number.POSITIVE_INFINITY,
        overdueSince: w.overdueSince,
        kind: 'next',
        pending: [{ id: String(w.firstMessageId), at: w.waitingSince }],
      },
    });
  }
}

/** The state a client gets by reading everything afresh from the store: the right side of the test of record. */
export async function readClientStateFromStore(db: Kysely<Database>, config: TeamConfig, now: UnixMs): Promise<ClientState> {
  const model = new TeamModel(config);
  await model.load(db, now);
  await loadStoredWaiting(model, db);
  model.resetMirror(now);
  return model.mirror;
}
