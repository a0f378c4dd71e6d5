/**
 * Row types of every table, as Kysely sees them. The same types serve SQLite and PostgreSQL,
 * so flags are 0/1 integers, times are unix milliseconds, and JSON is text on both.
 * Repositories map rows to domain values; nothing outside src/store sees these names.
 */
import type { Generated } from 'kysely';
import type { TasksTables } from './tasks.tables.ts';
import type { TeamOpsTables } from './team-ops.tables.ts';

export interface AccountsTable {
  id: string;
  user_id: number | null;
  auth_state: string;
  /** starting | loading | reconciling | ready | loggedOut */
  sync_state: string;
  sync_complete: number;
  updated_at: number;
}

export interface UsersTable {
  id: number;
  first_name: string;
  last_name: string;
  username: string | null;
  is_bot: number;
  last_seen_at: number | null;
  updated_at: number;
}

export interface TeamMembersTable {
  user_id: number;
  role: string;
  /** config | teamChat | api */
  source: string;
  name: string | null;
  added_at: number;
}

export interface ChatsTable {
  key: string;
  td_chat_id: number;
  type: string;
  type_id: number;
  title: string;
  /** When tgdesk first saw the chat: the "creation order" of the stable order. */
  first_seen_at: number;
  updated_at: number;
}

export interface ChatMembersTable {
  chat_key: string;
  user_id: number;
  status: string;
  updated_at: number;
}

/** What one account sees of one chat. Message ids here are in that account's id space. */
export interface AccountChatsTable {
  account_id: string;
  chat_key: string;
  td_chat_id: number;
  unread_count: number;
  last_read_inbox_id: number;
  last_read_outbox_id: number;
  unread_mention_count: number;
  is_marked_as_unread: number;
  notification_settings: string;
  positions: string;
  last_td_message_id: number;
  updated_at: number;
}

/**
 * How far an account's copy of a chat is known to be complete: every message of the chat up to
 * `complete_to_td_message_id` is stored. `is_synced` is 0 from start or a detected gap until a
 * reconcile pass has paged history back down to the cursor.
 */
export interface SyncCursorsTable {
  account_id: string;
  td_chat_id: number;
  complete_to_td_message_id: number;
  is_synced: number;
  updated_at: number;
}

export interface MessagesTable {
  id: Generated<number>;
  chat_key: string;
  /** Equal across accounts; see src/domain/ids.ts. */
  msg_key: string;
  sort_key: number;
  sender_key: string;
  sender_user_id: number | null;
  date: number;
  edit_date: number;
  reply_to_key: string | null;
  text: string;
  /** JSON array of TextEntity. */
  entities: string;
  /** 1 when any entity mentions a user: the cheap test for "who was mentioned". */
  has_mention: number;
  content_kind: string;
  media_summary: string | null;
  is_service: number;
  deleted_at: number | null;
  first_seen_at: number;
}

/** Per-account message ids for chats whose ids differ per account (basic groups, private chats). */
export interface MessageAliasesTable {
  account_id: string;
  chat_key: string;
  td_message_id: number;
  message_id: number;
  sender_key: string;
  date: number;
}

/** Every change a subscriber can see, in commit order; `seq` is the global sequence number. */
export interface EventsTable {
  seq: Generated<number>;
  type: string;
  account_id: string | null;
  chat_key: string | null;
  payload: string;
  at: number;
}

export interface AlarmsTable {
  chat_key: string;
  raised_by: number;
  raised_at: number;
  reason: string;
  /** The caller as the audit log names it (`token:<name>`); null for alarms raised before 0008. */
  raised_by_actor: string | null;
}

export interface AcknowledgementsTable {
  id: Generated<number>;
  chat_key: string;
  by_user_id: number;
  at: number;
}

export interface StarsTable {
  member_user_id: number;
  chat_key: string;
  at: number;
}

export interface ChatSettingsTable {
  chat_key: string;
  kind_override: string | null;
  policy_id: string | null;
  manual_position: number | null;
  updated_at: number;
}

export interface PoliciesTable {
  id: string;
  name: string;
  threshold_seconds: number;
  time_zone: string | null;
  /** JSON: weekly intervals, see src/domain/business-hours.ts. */
  business_hours: string | null;
  /** JSON array of patterns of client messages that do not start waiting. */
  ignore_patterns: string;
  updated_at: number;
}

/** The current waiting state per support chat: derived from messages and acks, kept for fast reads. */
export interface WaitingStateTable {
  chat_key: string;
  waiting_since: number | null;
  first_message_id: number | null;
  deadline: number | null;
  overdue_since: number | null;
  acknowledged_by: number | null;
  acknowledged_at: number | null;
  updated_at: number;
}

export interface ResponseEpisodesTable {
  id: Generated<number>;
  chat_key: string;
  /** first | next */
  kind: string;
  started_at: number;
  first_message_id: number | null;
  ended_at: number | null;
  /** reply | ack */
  ended_by: string | null;
  answered_by: number | null;
  overdue_at: number | null;
  threshold_seconds: number;
}

export interface AuditLogTable {
  id: Generated<number>;
  at: number;
  actor: string;
  action: string;
  account_id: string | null;
  chat_key: string | null;
  details: string;
  /** ok | error */
  outcome: string;
  error_code: string | null;
}

export interface PreferencesTable {
  member_user_id: number;
  send_typing: number;
  link_previews: number;
  language: string | null;
  alert_channels: string;
  updated_at: number;
}

export interface ScopeNotificationSettingsTable {
  account_id: string;
  /** private | group | channel */
  scope: string;
  mute_for: number;
}

/** API tokens are stored as SHA-256 hashes only; the token itself is shown once at creation. */
export interface ApiTokensTable {
  id: string;
  name: string;
  role: string;
  member_user_id: number | null;
  hash: string;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
}

/** The tables of the sync core and the team layer. */
export interface CoreDatabase {
  accounts: AccountsTable;
  users: UsersTable;
  team_members: TeamMembersTable;
  chats: ChatsTable;
  chat_members: ChatMembersTable;
  account_chats: AccountChatsTable;
  sync_cursors: SyncCursorsTable;
  messages: MessagesTable;
  message_aliases: MessageAliasesTable;
  events: EventsTable;
  alarms: AlarmsTable;
  acknowledgements: AcknowledgementsTable;
  stars: StarsTable;
  chat_settings: ChatSettingsTable;
  policies: PoliciesTable;
  waiting_state: WaitingStateTable;
  response_episodes: ResponseEpisodesTable;
  audit_log: AuditLogTable;
  preferences: PreferencesTable;
  api_tokens: ApiTokensTable;
  scope_notification_settings: ScopeNotificationSettingsTable;
}

/**
 * Every table. A feature with tables of its own declares them in `src/store/<feature>.tables.ts`
 * and adds them here with `&`, so features do not edit one another's declarations.
 */
export type Database = CoreDatabase & TasksTables & TeamOpsTables;
