/**
 * The events a subscriber sees (DESIGN.md §4 "Events"), and a pure reducer over a small
 * client-side state, so that "state before + published events == state read afresh" can be
 * checked for every action.
 *
 * Rules every event follows:
 * - `seq` is the global sequence number, assigned by the store when the event is stored (build
 *   events with `seq: 0` and let the store number them); `at` is when the change happened, unix ms.
 * - Values are absolute: a dialog event carries the whole row, an overdue event the whole
 *   waiting state. Applying an event twice, or an older copy after a newer one, changes nothing
 *   (the reducer skips seq ≤ the last seq applied).
 * - Events are plain JSON (no Map, no Date, no undefined), so they survive storage and the wire.
 *
 * Which event changes what in the client state:
 * - per-account dialog fields (unread, mention, mute, pin, last message, order) change only by
 *   `dialogChanged` / `dialogRemoved`, which carry the whole row;
 * - team-wide chat fields (kind, client name, title, waiting/overdue, alarm, acknowledgement)
 *   are carried once by their own event and applied to that chat's row in every account;
 * - the team summary changes only by `teamSummaryChanged`;
 * - message events are for history views and change no dialog: the app sends the dialog's own
 *   `dialogChanged` when a message moves its last message or unread count.
 */
import type { AlertView } from './alerts.ts';
import type { ChatKind } from './classification.ts';
import type { TeamSummary } from './counts.ts';
import { EMPTY_TEAM_SUMMARY } from './counts.ts';
import type { Acknowledged, Alarm, DialogRow, DialogSnapshot } from './dialogs.ts';
import type { DutyChange } from './duty.ts';
import type { ChatKey, SenderRef } from './ids.ts';
import type { JobItemView, MembershipJobView } from './membership-plan.ts';
import type { TaskChangeKind, TaskHeader } from './tasks.ts';
import type { AccountId, AuthState, ContentKind } from './telegram.ts';
import type { UnixMs } from './time.ts';

export interface MessageView {
  /** Account-independent message key (ids.ts `messageKeyOf`). */
  readonly messageId: string;
  readonly sender: SenderRef;
  readonly senderName: string;
  readonly isTeam: boolean;
  readonly at: UnixMs;
  readonly editedAt: UnixMs | null;
  readonly replyToMessageId: string | null;
  readonly text: string;
  readonly contentKind: ContentKind;
  readonly mediaSummary: string | null;
  readonly isService: boolean;
}

/** Matches the store's accounts.sync_state. */
export type AccountSyncPhase = 'starting' | 'loading' | 'reconciling' | 'ready' | 'loggedOut';

export interface AccountSync {
  readonly authState: AuthState['kind'];
  readonly phase: AccountSyncPhase;
  /** Every chat's history is stored down to the sync cursor. */
  readonly syncComplete: boolean;
}

export interface WaitingView {
  readonly waitingSince: UnixMs | null;
  readonly deadline: UnixMs | null;
  readonly isOverdue: boolean;
  readonly overdueSince: UnixMs | null;
}

interface EventBase {
  readonly seq: number;
  readonly at: UnixMs;
}

export type DomainEvent = EventBase &
  (
    | { readonly type: 'dialogChanged'; readonly accountId: AccountId; readonly dialog: DialogSnapshot }
    | { readonly type: 'dialogRemoved'; readonly accountId: AccountId; readonly chatKey: ChatKey }
    | { readonly type: 'teamSummaryChanged'; readonly summary: TeamSummary }
    | { readonly type: 'alarmRaised'; readonly chatKey: ChatKey; readonly alarm: Alarm }
    | { readonly type: 'alarmCleared'; readonly chatKey: ChatKey; readonly clearedBy: number }
    | { readonly type: 'acknowledged'; readonly chatKey: ChatKey; readonly acknowledged: Acknowledged }
    | { readonly type: 'starred'; readonly memberUserId: number; readonly chatKey: ChatKey; readonly isStarred: boolean }
    | { readonly type: 'chatKindChanged'; readonly chatKey: ChatKey; readonly kind: ChatKind; readonly clientName: string | null }
    | { readonly type: 'chatTitleChanged'; readonly chatKey: ChatKey; readonly title: string; readonly clientName: string | null }
    /** Waiting started, moved or ended, or the chat became overdue: the whole waiting state. */
    | { readonly type: 'overdueChanged'; readonly chatKey: ChatKey; readonly waiting: WaitingView }
    | { readonly type: 'messageAdded'; readonly chatKey: ChatKey; readonly message: MessageView }
    | { readonly type: 'messageEdited'; readonly chatKey: ChatKey; readonly message: MessageView }
    | { readonly type: 'messagesDeleted'; readonly chatKey: ChatKey; readonly messageIds: readonly string[] }
    | { readonly type: 'accountSyncChanged'; readonly accountId: AccountId; readonly sync: AccountSync }
    /** A membership job moved: the whole job with absolute counts, and the items that changed. */
    | { readonly type: 'membershipJobChanged'; readonly job: MembershipJobView; readonly items: readonly JobItemView[] }
    /** An alert to the admins on duty (src/domain/alerts.ts). */
    | { readonly type: 'alert'; readonly alert: AlertView }
    /** Someone's duty began or ended: who is on duty now, and whose duty flipped. */
    | { readonly type: 'dutyChanged'; readonly duty: DutyChange }
    /** A task was created or changed: the whole task as it is now (its message snapshot is read when asked for). */
    | { readonly type: 'taskChanged'; readonly chatKey: ChatKey; readonly change: TaskChangeKind; readonly task: TaskHeader }
  );

/** Matches the store's `events.type` column. */
export type DomainEventType = DomainEvent['type'];

/** The account and chat an event is about, for the store's indexed columns and for routing. */
export function eventScope(event: DomainEvent): { readonly accountId: AccountId | null; readonly chatKey: ChatKey | null } {
  switch (event.type) {
    case 'dialogChanged':
      return { accountId: event.accountId, chatKey: event.dialog.chatKey };
    case 'dialogRemoved':
      return { accountId: event.accountId, chatKey: event.chatKey };
    case 'accountSyncChanged':
      return { accountId: event.accountId, chatKey: null };
    case 'teamSummaryChanged':
    case 'membershipJobChanged':
    case 'dutyChanged':
      return { accountId: null, chatKey: null };
    case 'alert':
      return { accountId: null, chatKey: event.alert.chatKey };
    default:
      return { accountId: null, chatKey: event.chatKey };
  }
}

/** A client's picture of the team, kept current by applying events. */
export interface ClientState {
  /** The last event applied; resume a subscription after it. */
  readonly seq: number;
  readonly dialogs: ReadonlyMap<AccountId, ReadonlyMap<ChatKey, DialogSnapshot>>;
  readonly teamSummary: TeamSummary;
  /** Starred chats by team member. */
  readonly stars: ReadonlyMap<number, ReadonlySet<ChatKey>>;
  readonly accounts: ReadonlyMap<AccountId, AccountSync>;
}

export function emptyClientState(seq = 0): ClientState {
  return { seq, dialogs: new Map(), teamSummary: EMPTY_TEAM_SUMMARY, stars: new Map(), accounts: new Map() };
}

/** Applies team-wide chat fields to that chat's row in every account that has it. */
function updateChatEverywhere(state: ClientState, chatKey: ChatKey, patch: Partial<DialogSnapshot>): ClientState['dialogs'] {
  let dialogs: Map<AccountId, ReadonlyMap<ChatKey, DialogSnapshot>> | null = null;
  for (const [accountId, rows] of state.dialogs) {
    const row = rows.get(chatKey);
    if (row === undefined) continue;
    dialogs ??= new Map(state.dialogs);
    dialogs.set(accountId, new Map(rows).set(chatKey, { ...row, ...patch }));
  }
  return dialogs ?? state.dialogs;
}

/**
 * The state after one event. Pure: the input state is not changed; an untouched part of the
 * state is shared with the result. Events at or below `state.seq` are skipped.
 */
export function applyDomainEvent(state: ClientState, event: DomainEvent): ClientState {
  if (event.seq <= state.seq) return state;
  const next = { ...state, seq: event.seq };
  switch (event.type) {
    case 'dialogChanged': {
      const rows = new Map(state.dialogs.get(event.accountId) ?? []);
      rows.set(event.dialog.chatKey, event.dialog);
      return { ...next, dialogs: new Map(state.dialogs).set(event.accountId, rows) };
    }
    case 'dialogRemoved': {
      const current = state.dialogs.get(event.accountId);
      if (current === undefined || !current.has(event.chatKey)) return next;
      const rows = new Map(current);
      rows.delete(event.chatKey);
      return { ...next, dialogs: new Map(state.dialogs).set(event.accountId, rows) };
    }
    case 'teamSummaryChanged':
      return { ...next, teamSummary: event.summary };
    case 'alarmRaised':
      return { ...next, dialogs: updateChatEverywhere(state, event.chatKey, { alarm: event.alarm }) };
    case 'alarmCleared':
      return { ...next, dialogs: updateChatEverywhere(state, event.chatKey, { alarm: null }) };
    case 'acknowledged':
      return { ...next, dialogs: updateChatEverywhere(state, event.chatKey, { acknowledged: event.acknowledged }) };
    case 'chatKindChanged':
      return { ...next, dialogs: updateChatEverywhere(state, event.chatKey, { kind: event.kind, clientName: event.clientName }) };
    case 'chatTitleChanged':
      return { ...next, dialogs: updateChatEverywhere(state, event.chatKey, { title: event.title, clientName: event.clientName }) };
    case 'overdueChanged':
      return { ...next, dialogs: updateChatEverywhere(state, event.chatKey, { ...event.waiting }) };
    case 'starred': {
      const mine = new Set(state.stars.get(event.memberUserId) ?? []);
      if (event.isStarred) mine.add(event.chatKey);
      else mine.delete(event.chatKey);
      return { ...next, stars: new Map(state.stars).set(event.memberUserId, mine) };
    }
    case 'accountSyncChanged':
      return { ...next, accounts: new Map(state.accounts).set(event.accountId, event.sync) };
    case 'messageAdded':
    case 'messageEdited':
    case 'messagesDeleted':
    // Jobs, alerts and duty are not part of the dialog state a client keeps.
    case 'membershipJobChanged':
    case 'alert':
    case 'dutyChanged':
    // A task's count on its chat's rows comes with the dialogChanged the app emits beside it.
    case 'taskChanged':
      return next;
  }
}

export function applyDomainEvents(state: ClientState, events: Iterable<DomainEvent>): ClientState {
  let s = state;
  for (const e of events) s = applyDomainEvent(s, e);
  return s;
}

/** One account's dialogs as a member sees them (with their stars), in no particular order. */
export function dialogRowsFor(state: ClientState, accountId: AccountId, memberUserId: number): DialogRow[] {
  const stars = state.stars.get(memberUserId);
  const rows: DialogRow[] = [];
  for (const d of state.dialogs.get(accountId)?.values() ?? []) rows.push({ ...d, isStarred: stars?.has(d.chatKey) ?? false });
  return rows;
}
