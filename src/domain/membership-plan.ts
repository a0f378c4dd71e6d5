/**
 * Planning of membership jobs (DESIGN.md §1 row 16, §6 "Adding members"): for each chat and
 * member, whether there is anything to do, which of the daemon's accounts acts, which others
 * could take over, and, when nobody can, why. Plus the throttle arithmetic for adds and the
 * shapes a job's progress is reported in.
 *
 * Pure: the app gathers what is known (chats, who is in them with what status, the accounts and
 * their add limits) and hands it in. Membership may be unknown (Telegram did not tell the daemon
 * the member list); such items are planned anyway and the runner checks before it acts.
 *
 * Rights are judged from member status only: Telegram does not report an administrator's exact
 * rights in the member list, so an administrator counts as able to add and remove, and a refusal
 * at run time moves the item to the next candidate. In basic groups every member may add people
 * (Telegram's default permission); in supergroups only administrators.
 */
import type { ChatKind } from './classification.ts';
import type { ChatKey, ChatType } from './ids.ts';
import type { AccountId, ChatMemberStatus } from './telegram.ts';
import { DAY, type DurationMs, type UnixMs } from './time.ts';

export type MembershipAction = 'add' | 'remove';

/** The three jobs the API and CLI offer. */
export type MembershipJobKind = 'addMembersToChat' | 'addMemberToChats' | 'removeMemberFromChats';

export interface PlanChat {
  readonly chatKey: ChatKey;
  readonly tdChatId: number;
  readonly type: ChatType;
  readonly kind: ChatKind;
  readonly title: string;
  /** Current members by user id with their status, or null when the member list is unknown. */
  readonly members: ReadonlyMap<number, ChatMemberStatus> | null;
  /** The daemon's accounts that see this chat. */
  readonly accountIds: readonly AccountId[];
}

export interface PlanAccount {
  readonly accountId: AccountId;
  readonly userId: number;
  /** False when the account cannot act now (logged out, not started); `unusableReason` says why. */
  readonly usable: boolean;
  readonly unusableReason: string | null;
  /** Adds are stopped until then (PEER_FLOOD). */
  readonly addsBlockedUntil: UnixMs | null;
}

export interface PlanInput {
  readonly action: MembershipAction;
  readonly memberUserIds: readonly number[];
  readonly chats: readonly PlanChat[];
  readonly accounts: ReadonlyMap<AccountId, PlanAccount>;
  readonly now: UnixMs;
}

export type PlanOutcome = 'todo' | 'skip' | 'impossible';

export interface PlannedItem {
  readonly chatKey: ChatKey;
  readonly tdChatId: number;
  readonly chatType: ChatType;
  readonly title: string;
  readonly memberUserId: number;
  readonly outcome: PlanOutcome;
  /** The account that acts first; null unless `todo`. */
  readonly accountId: AccountId | null;
  /** Every account that may act, best first (`accountId` is the first). */
  readonly candidates: readonly AccountId[];
  /** Why it is skipped or impossible, or a caution for a `todo` (membership unverified, account paused). */
  readonly reason: string | null;
}

export interface MembershipPlan {
  readonly action: MembershipAction;
  readonly items: readonly PlannedItem[];
  readonly counts: { readonly todo: number; readonly skip: number; readonly impossible: number };
}

const PRESENT: ReadonlySet<ChatMemberStatus> = new Set(['creator', 'administrator', 'member', 'restricted']);

export function isPresent(status: ChatMemberStatus | undefined | null): boolean {
  return status !== undefined && status !== null && PRESENT.has(status);
}

/** How good an account is at acting in a chat: lower is better, null is "cannot". */
function rank(action: MembershipAction, chat: PlanChat, status: ChatMemberStatus | null): number | null {
  if (status === 'creator') return 0;
  if (status === 'administrator') return 1;
  if (status === null) return 3; // sees the chat, list unknown: the runner verifies
  if (action === 'add' && chat.type === 'basic' && (status === 'member' || status === 'restricted')) return 2;
  return null;
}

function describeStatus(status: ChatMemberStatus | null): string {
  return status === null ? 'status unknown' : status;
}

/**
 * The plan. Items come out in input order (chats × members). Adds are spread over the accounts
 * that can act: among equally good candidates the one with the fewest adds planned so far acts,
 * so a large job uses every account's daily allowance instead of exhausting one.
 */
export function planMembership(input: PlanInput): MembershipPlan {
  const load = new Map<AccountId, number>();
  const items: PlannedItem[] = [];
  let todo = 0;
  let skip = 0;
  let impossible = 0;
  for (const chat of input.chats) {
    for (const memberUserId of input.memberUserIds) {
      const item = planOne(input, chat, memberUserId, load);
      items.push(item);
      if (item.outcome === 'todo') {
        todo++;
        load.set(item.accountId!, (load.get(item.accountId!) ?? 0) + 1);
      } else if (item.outcome === 'skip') skip++;
      else impossible++;
    }
  }
  return { action: input.action, items, counts: { todo, skip, impossible } };
}

function planOne(input: PlanInput, chat: PlanChat, memberUserId: number, load: ReadonlyMap<AccountId, number>): PlannedItem {
  const base = { chatKey: chat.chatKey, tdChatId: chat.tdChatId, chatType: chat.type, title: chat.title, memberUserId };
  const none = (outcome: 'skip' | 'impossible', reason: string): PlannedItem => ({ ...base, outcome, accountId: null, candidates: [], reason });

  if (chat.type === 'private' || chat.type === 'secret') return none('impossible', 'a private chat has no members to change');
  if (chat.type === 'channel') return none('impossible', 'channels are not handled by membership jobs');

  const memberStatus = chat.members ? (chat.members.get(memberUserId) ?? null) : null;
  if (chat.members) {
    if (input.action === 'add' && isPresent(memberStatus)) return none('skip', memberStatus === 'member' ? 'already a member' : `already in the chat (${memberStatus})`);
    if (input.action === 'remove' && !isPresent(memberStatus)) return none('skip', 'not a member');
    if (input.action === 'remove' && memberStatus === 'creator') return none('impossible', "the member created this chat; a chat's creator cannot be removed");
  }

  const scored: { accountId: AccountId; score: number; blocked: boolean }[] = [];
  const refused: string[] = [];
  for (const accountId of chat.accountIds) {
    const account = input.accounts.get(accountId);
    if (!account) continue;
    if (account.userId === memberUserId) {
      refused.push(`${accountId} is the member's own account`);
      continue;
    }
    if (!account.usable) {
      refused.push(`${accountId} ${account.unusableReason ?? 'cannot act now'}`);
      continue;
    }
    const status = chat.members ? (chat.members.get(account.userId) ?? null) : null;
    if (chat.members && !isPresent(status)) {
      refused.push(`${accountId} is no longer in the chat`);
      continue;
    }
    const score = rank(input.action, chat, status);
    if (score === null) {
      refused.push(`${accountId} is only a ${describeStatus(status)}`);
      continue;
    }
    const blocked = input.action === 'add' && account.addsBlockedUntil !== null && account.addsBlockedUntil > input.now;
    scored.push({ accountId, score, blocked });
  }
  if (scored.length === 0) {
    if (chat.accountIds.length === 0) return none('impossible', "none of the daemon's accounts is in this chat");
    const verb = input.action === 'add' ? 'add members' : 'remove members';
    return none('impossible', `no account can ${verb} here: ${refused.join('; ')}`);
  }
  scored.sort((a, b) => Number(a.blocked) - Number(b.blocked) || a.score - b.score || (load.get(a.accountId) ?? 0) - (load.get(b.accountId) ?? 0) || (a.accountId < b.accountId ? -1 : a.accountId > b.accountId ? 1 : 0));
  const first = scored[0]!;
  let reason: string | null = null;
  if (first.blocked) {
    const until = input.accounts.get(first.accountId)?.addsBlockedUntil ?? null;
    reason = `every account that can add here is paused after PEER_FLOOD (first free: ${first.accountId} at ${until === null ? '?' : new Date(until).toISOString()})`;
  } else if (chat.members === null) reason = 'member list unknown: checked before acting';
  return { ...base, outcome: 'todo', accountId: first.accountId, candidates: scored.map((s) => s.accountId), reason };
}

// ---- throttling ------------------------------------------------------------------------------

export interface AddLimits {
  /** Least time between two add calls of one account (DESIGN.md §6: 30–60 s). */
  readonly minIntervalMs: DurationMs;
  /** Most users one account adds per day. */
  readonly maxPerDay: number;
}

export const DEFAULT_ADD_LIMITS: AddLimits = { minIntervalMs: 30_000, maxPerDay: 40 };

/** How long PEER_FLOOD stops an account's adds (tdlib-notes §10: "about a day"). */
export const PEER_FLOOD_PAUSE_MS = DAY;

export interface AccountAddState {
  readonly lastAddAt: UnixMs | null;
  /** Start of the current 24-hour window and the users added in it. */
  readonly windowStart: UnixMs | null;
  readonly addsInWindow: number;
  readonly blockedUntil: UnixMs | null;
  readonly blockedReason: string | null;
}

export const FRESH_ADD_STATE: AccountAddState = { lastAddAt: null, windowStart: null, addsInWindow: 0, blockedUntil: null, blockedReason: null };

/**
 * When the account may next add, and how many users at most then. `count` 0 with `at` later
 * than `now` means "not now"; the reason says which limit holds it back.
 */
export function addBudget(state: AccountAddState, limits: AddLimits, now: UnixMs): { at: UnixMs; count: number; reason: string | null } {
  if (state.blockedUntil !== null && state.blockedUntil > now) {
    return { at: state.blockedUntil, count: 0, reason: state.blockedReason ?? 'adds paused' };
  }
  const windowOpen = state.windowStart !== null && now - state.windowStart < DAY;
  const used = windowOpen ? state.addsInWindow : 0;
  if (used >= limits.maxPerDay) {
    return { at: state.windowStart! + DAY, count: 0, reason: `daily limit of ${limits.maxPerDay} adds reached` };
  }
  const gapEnd = state.lastAddAt === null ? now : state.lastAddAt + limits.minIntervalMs;
  if (gapEnd > now) return { at: gapEnd, count: 0, reason: `at least ${Math.round(limits.minIntervalMs / 1000)} s between adds` };
  return { at: now, count: limits.maxPerDay - used, reason: null };
}

/** The state after `count` users were added at `now` (an attempt counts even if some failed). */
export function recordAdds(state: AccountAddState, now: UnixMs, count: number): AccountAddState {
  const windowOpen = state.windowStart !== null && now - state.windowStart < DAY;
  return {
    ...state,
    lastAddAt: now,
    windowStart: windowOpen ? state.windowStart : now,
    addsInWindow: (windowOpen ? state.addsInWindow : 0) + count,
  };
}

export function blockAdds(state: AccountAddState, until: UnixMs, reason: string): AccountAddState {
  return { ...state, blockedUntil: until, blockedReason: reason };
}

// ---- progress --------------------------------------------------------------------------------

export type JobState = 'running' | 'paused' | 'done' | 'cancelled';

/**
 * pending: not yet acted on; running: a Telegram call is (or was, before a crash) under way;
 * done: added or removed; skipped: nothing to do; invited: privacy settings refused the add and
 * a one-use invite link was sent or reported; failed: gave up, `reason` says why.
 */
export type JobItemState = 'pending' | 'running' | 'done' | 'skipped' | 'invited' | 'failed' | 'cancelled';

export const FINAL_ITEM_STATES: ReadonlySet<JobItemState> = new Set(['done', 'skipped', 'invited', 'failed', 'cancelled']);

export interface JobCounts {
  readonly total: number;
  readonly pending: number;
  readonly running: number;
  readonly done: number;
  readonly skipped: number;
  readonly invited: number;
  readonly failed: number;
  readonly cancelled: number;
}

export function countItems(states: Iterable<JobItemState>): JobCounts {
  const c = { total: 0, pending: 0, running: 0, done: 0, skipped: 0, invited: 0, failed: 0, cancelled: 0 };
  for (const s of states) {
    c.total++;
    c[s]++;
  }
  return c;
}

export interface JobItemView {
  readonly id: number;
  readonly chatKey: ChatKey;
  readonly title: string;
  readonly memberUserId: number;
  readonly state: JobItemState;
  readonly accountId: AccountId | null;
  readonly reason: string | null;
  /** The one-use invite link of an `invited` item. */
  readonly inviteLink: string | null;
  /** `dm` when the link went to the member by direct message, `report` when it is only reported. */
  readonly inviteDelivery: 'dm' | 'report' | null;
  readonly updatedAt: UnixMs;
}

/** A job as subscribers see it: absolute counts, so each progress event stands on its own. */
export interface MembershipJobView {
  readonly id: number;
  readonly kind: MembershipJobKind;
  readonly action: MembershipAction;
  readonly state: JobState;
  /** Why the job is paused, or why it ended early. */
  readonly reason: string | null;
  readonly createdBy: string;
  readonly createdAt: UnixMs;
  readonly updatedAt: UnixMs;
  readonly finishedAt: UnixMs | null;
  readonly memberUserIds: readonly number[];
  readonly counts: JobCounts;
}
