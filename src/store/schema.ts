/**
 * Row types of every table, as Kysely sees them. The same types serve SQLite and PostgreSQL,
 * so flags are 0/1 integers, times are unix milliseconds, and JSON is text on both.
 * Repositories map rows to domain values; nothing outside src/store sees these names.
 */
import type { Generated } from 'kysely';

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

export interface Database {
  accounts: AccountsTable;
  users: UsersTable;
  team_members: TeamMembersTable;
  chats: ChatsTable;
  chat_members: ChatMembersTable;
  account_chats: AccountChatsTable;
  sync_cursors: SyncCursorsTable;
  messages: MessagesTable;
  message_aliases: MessageAliasesTable;
}
