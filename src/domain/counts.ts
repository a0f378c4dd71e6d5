/**
 * Counts of chats, never of messages (DESIGN.md §1 row 3): per account and per kind, and the
 * team-level figures the NOC wall shows.
 */
import type { ChatKind } from './classification.ts';
import type { ChatKey } from './ids.ts';
import type { Roster } from './roster.ts';
import type { UnixMs } from './time.ts';

export interface UnreadChatCounts {
  readonly total: number;
  readonly byKind: Readonly<Record<ChatKind, number>>;
}

/**
 * Unread chats of one account: a chat counts once if it has unread messages or is marked as
 * unread (`DialogSnapshot.isUnread`).
 */
export function countUnreadChats(rows: Iterable<{ readonly kind: ChatKind; readonly isUnread: boolean }>): UnreadChatCounts {
  let support = 0;
  let team = 0;
  let personal = 0;
  let other = 0;
  for (const r of rows) {
    if (!r.isUnread) continue;
    if (r.kind === 'support') support++;
    else if (r.kind === 'team') team++;
    else if (r.kind === 'personal') personal++;
    else other++;
  }
  return { total: support + team + personal + other, byKind: { support, team, personal, other } };
}

export interface TeamSummary {
  /** Support chats whose wait passed its deadline. */
  readonly overdueChats: number;
  /** Chats of any kind with an alarm raised. */
  readonly alarms: number;
  /** Support chats with unread messages in at least one account. */
  readonly unreadSupportChats: number;
  /** Support chats where an unread message mentions a team member who is on duty. */
  readonly mentionedOnDuty: number;
}

export const EMPTY_TEAM_SUMMARY: TeamSummary = { overdueChats: 0, alarms: 0, unreadSupportChats: 0, mentionedOnDuty: 0 };

/** Team-wide facts of one chat. */
export interface TeamChatFact {
  readonly chatKey: ChatKey;
  readonly kind: ChatKind;
  readonly waiting: { readonly deadline: UnixMs } | null;
  readonly hasAlarm: boolean;
}

/** One account's view of one chat; `accountUserId` is the Telegram user the account is. */
export interface AccountChatFact {
  readonly chatKey: ChatKey;
  readonly accountUserId: number;
  readonly unreadCount: number;
  readonly unreadMentionCount: number;
}

/**
 * Who is on duty. Until duty schedules exist every team member is on duty: use
 * `everyoneOnDuty(roster)`. An account that is not a team member (a service account) is never
 * "on duty", so a mention of it does not count.
 */
export type OnDutyPredicate = (userId: number) => boolean;

export function everyoneOnDuty(roster: Roster): OnDutyPredicate {
  return (userId) => roster.byId.has(userId);
}

/**
 * The team summary at `now`. "Unread" here means unread messages (unreadCount > 0): marking a
 * chat as unread is one person's reminder, not news for the team.
 */
export function teamSummary(
  chats: Iterable<TeamChatFact>,
  accountChats: Iterable<AccountChatFact>,
  now: UnixMs,
  isOnDuty: OnDutyPredicate,
): TeamSummary {
  let overdueChats = 0;
  let alarms = 0;
  const support = new Set<ChatKey>();
  for (const c of chats) {
    if (c.hasAlarm) alarms++;
    if (c.kind !== 'support') continue;
    support.add(c.chatKey);
    if (c.waiting !== null && now >= c.waiting.deadline) overdueChats++;
  }
  const unread = new Set<ChatKey>();
  const mentioned = new Set<ChatKey>();
  for (const a of accountChats) {
    if (!support.has(a.chatKey)) continue;
    if (a.unreadCount > 0) unread.add(a.chatKey);
    if (a.unreadMentionCount > 0 && isOnDuty(a.accountUserId)) mentioned.add(a.chatKey);
  }
  return { overdueChats, alarms, unreadSupportChats: unread.size, mentionedOnDuty: mentioned.size };
}
