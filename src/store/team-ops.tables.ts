/**
 * Tables of the team-operations feature: membership jobs and their items, per-account add
 * limits, duty schedules and overrides, the notification settings saved while a member's support
 * chats are muted off duty, and the state of alerts. Created by migration 0005; the alert
 * outbox by 0006.
 */
import type { Generated } from 'kysely';

export interface MembershipJobsTable {
  id: Generated<number>;
  /** addMembersToChat | addMemberToChats | removeMemberFromChats */
  kind: string;
  /** add | remove */
  action: string;
  /** running | paused | done | cancelled */
  state: string;
  reason: string | null;
  created_by: string;
  /** JSON array of user ids. */
  member_user_ids: string;
  /** JSON: the request as given, for the record. */
  request: string;
  created_at: number;
  updated_at: number;
  finished_at: number | null;
}

export interface MembershipJobItemsTable {
  id: Generated<number>;
  job_id: number;
  chat_key: string;
  td_chat_id: number;
  chat_type: string;
  title: string;
  member_user_id: number;
  action: string;
  /** pending | running | done | skipped | invited | failed | cancelled */
  state: string;
  account_id: string | null;
  /** JSON array of account ids that may act, best first. */
  candidates: string;
  reason: string | null;
  invite_link: string | null;
  /** dm | report */
  invite_delivery: string | null;
  attempts: number;
  /** Not to be tried before this instant (a flood wait). */
  not_before: number | null;
  updated_at: number;
}

export interface AccountAddLimitsTable {
  account_id: string;
  last_add_at: number | null;
  window_start: number | null;
  adds_in_window: number;
  blocked_until: number | null;
  blocked_reason: string | null;
  updated_at: number;
}

export interface DutySchedulesTable {
  member_user_id: number;
  time_zone: string;
  /** JSON array of { day, from, to }. */
  shifts: string;
  mute_off_duty: number;
  updated_at: number;
}

export interface DutyOverridesTable {
  id: Generated<number>;
  member_user_id: number;
  starts_at: number;
  ends_at: number;
  on_duty: number;
  note: string | null;
  created_by: string;
  created_at: number;
}

/**
 * A support chat the off-duty switch looked at: muted, with the settings to restore, or left
 * alone because it was already silent (`left_alone` 1; nothing to restore, not looked at again).
 */
export interface DutyMutesTable {
  account_id: string;
  chat_key: string;
  td_chat_id: number;
  member_user_id: number;
  /** JSON: the chat's whole notification settings before the mute. */
  previous: string;
  muted_at: number;
  left_alone: Generated<number>;
}

export interface AlertStateTable {
  key: string;
  kind: string;
  chat_key: string;
  first_seen_at: number;
  sent_at: number | null;
  last_sent_at: number | null;
  reminders: number;
}

/**
 * One Telegram message of an alert (migration 0006), stored in the transaction that records the
 * alert, so neither a message waiting for the rate limit nor one being sent is lost by a restart.
 */
export interface AlertOutboxTable {
  id: Generated<number>;
  /** The alert firing it belongs to (`AlertView.id`: condition key # reminder). */
  alert_id: string;
  /** `teamChat` or `dm:<member user id>`: the rate limit's bucket. */
  destination: string;
  td_chat_id: number;
  /** For a direct message: the member it goes to. */
  member_user_id: number | null;
  text: string;
  /** pending | sending (a call was under way) | sent | failed */
  state: string;
  created_at: number;
  /** Not to be sent before this instant (a flood wait). */
  not_before: number | null;
  attempted_at: number | null;
  sent_at: number | null;
  error: string | null;
}

export interface TeamOpsTables {
  membership_jobs: MembershipJobsTable;
  membership_job_items: MembershipJobItemsTable;
  account_add_limits: AccountAddLimitsTable;
  duty_schedules: DutySchedulesTable;
  duty_overrides: DutyOverridesTable;
  duty_mutes: DutyMutesTable;
  alert_state: AlertStateTable;
  alert_outbox: AlertOutboxTable;
}
