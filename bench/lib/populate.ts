/**
 * Fills a SQLite store fast with raw batched INSERTs (one better-sqlite3 connection, big
 * transactions) so a daemon can start on a large, realistic state: users, accounts, chats,
 * members, what each account sees, messages (stored once) with per-account aliases where ids
 * differ per account (basic groups), and sync cursors. Rows follow the repositories' formats
 * (src/store/*.repository.ts, src/domain/ids.ts), so the daemon reads them as its own.
 */
import type SQLite from 'better-sqlite3';
import { chatKeyOf, messageKeyOf, messageSortKeyOf, senderKey, type ChatKey } from '../../src/domain/ids.ts';
import { MESSAGE_COLUMNS, sqliteBulk, type Row } from './raw.ts';

export interface PopUser {
  readonly id: number;
  readonly firstName: string;
  readonly lastName: string;
  readonly username: string | null;
}

export interface PopChat {
  readonly tdChatId: number;
  readonly type: 'supergroup' | 'basic';
  readonly typeId: number;
  readonly title: string;
  readonly createdAt: number;
  readonly members: readonly { userId: number; status: 'creator' | 'administrator' | 'member' }[];
  /** The accounts that see the chat. */
  readonly viewers: readonly string[];
}

export interface PopMessage {
  readonly senderUserId: number;
  /** Unix seconds; strictly increasing within a chat. */
  readonly date: number;
  readonly text: string;
  /** Supergroups: the shared TDLib message id. Basic groups: each viewer's own id. */
  readonly tdIds: number | Readonly<Record<string, number>>;
}

const NOTIFICATION_DEFAULT = JSON.stringify({ useDefaultMuteFor: true, muteFor: 0, raw: {} });

export interface Populator {
  users(users: readonly PopUser[]): void;
  accounts(accounts: readonly { accountId: string; userId: number }[]): void;
  /** Chats, members and account_chats rows; returns the chat keys. */
  chats(chats: readonly PopChat[]): ChatKey[];
  /** A chat's messages, oldest first; ids are assigned here. Returns the last stored td id per viewer. */
  messages(chat: PopChat, messages: Iterable<PopMessage>): Map<string, number>;
  /** Every account's cursor on every chat it sees: synced up to the given ids. */
  cursors(rows: readonly { accountId: string; tdChatId: number; completeTo: number }[]): void;
  /** Marks every stored message as already indexed for search (as a daemon that has run would have it). */
  markSearchIndexed(): void;
  readonly stats: { messages: number; aliases: number };
}

export function createPopulator(database: SQLite.Database, now: number): Populator {
  const stats = { messages: 0, aliases: 0 };
  let nextId = Number((database.prepare('select coalesce(max(id), 0) as m from messages').get() as { m: number }).m) + 1;
  const insertMessages = sqliteBulk(database, 'messages', ['id', ...MESSAGE_COLUMNS]);
  const insertAliases = sqliteBulk(database, 'message_aliases', ['account_id', 'chat_key', 'td_message_id', 'message_id', 'sender_key', 'date']);
  const tx = <T>(fn: () => T): T => database.transaction(fn)();

  return {
    stats,
    users(users) {
      const insert = sqliteBulk(database, 'users', ['id', 'first_name', 'last_name', 'username', 'is_bot', 'last_seen_at', 'updated_at'], 'ON CONFLICT (id) DO NOTHING');
      tx(() => insert(users.map((u) => [u.id, u.firstName, u.lastName, u.username, 0, null, now])));
    },
    accounts(accounts) {
      const insert = sqliteBulk(database, 'accounts', ['id', 'user_id', 'auth_state', 'sync_state', 'sync_complete', 'updated_at'], 'ON CONFLICT (id) DO NOTHING');
      tx(() => insert(accounts.map((a) => [a.accountId, a.userId, 'ready', 'ready', 1, now])));
    },
    chats(chats) {
      const insertChats = sqliteBulk(database, 'chats', ['key', 'td_chat_id', 'type', 'type_id', 'title', 'first_seen_at', 'updated_at']);
      const insertMembers = sqliteBulk(database, 'chat_members', ['chat_key', 'user_id', 'status', 'updated_at']);
      const insertAccountChats = sqliteBulk(database, 'account_chats', [
        'account_id',
        'chat_key',
        'td_chat_id',
        'unread_count',
        'last_read_inbox_id',
        'last_read_outbox_id',
        'unread_mention_count',
        'is_marked_as_unread',
        'notification_settings',
        'positions',
        'last_td_message_id',
        'updated_at',
      ]);
      const keys = chats.map((c) => chatKeyOf(c.type, c.tdChatId, 0));
      tx(() => {
        insertChats(chats.map((c, i) => [keys[i], c.tdChatId, c.type, c.typeId, c.title, c.createdAt * 1000, now]));
        insertMembers(chats.flatMap((c, i) => c.members.map((m) => [keys[i], m.userId, m.status, now])));
        insertAccountChats(chats.flatMap((c, i) => c.viewers.map((a) => [a, keys[i], c.tdChatId, 0, 0, 0, 0, 0, NOTIFICATION_DEFAULT, '[]', 0, now])));
      });
      return keys;
    },
    messages(chat, messages) {
      const key = chatKeyOf(chat.type, chat.tdChatId, 0);
      const last = new Map<string, number>();
      let rows: Row[] = [];
      let aliases: Row[] = [];
      const flush = () => {
        tx(() => {
          insertMessages(rows);
          insertAliases(aliases);
        });
        stats.messages += rows.length;
        stats.aliases += aliases.length;
        rows = [];
        aliases = [];
      };
      for (const m of messages) {
        const sender = { kind: 'user' as const, id: m.senderUserId };
        const shared = typeof m.tdIds === 'number';
        const td = shared ? (m.tdIds as number) : 0;
        const msgKey = messageKeyOf(chat.type, td, sender, m.date, 0);
        const sortKey = messageSortKeyOf(chat.type, td, m.date, 0);
        const id = nextId++;
        rows.push([id, key, msgKey, sortKey, senderKey(sender), m.senderUserId, m.date, 0, null, m.text, '[]', 0, 'text', null, 0, null, now]);
        if (shared) for (const a of chat.viewers) last.set(a, td);
        else
          for (const [a, tdId] of Object.entries(m.tdIds as Record<string, number>)) {
            aliases.push([a, key, tdId, id, senderKey(sender), m.date]);
            last.set(a, tdId);
          }
        if (rows.length >= 20_000) flush();
      }
      if (rows.length > 0) flush();
      return last;
    },
    cursors(rows) {
      const insert = sqliteBulk(database, 'sync_cursors', ['account_id', 'td_chat_id', 'complete_to_td_message_id', 'is_synced', 'updated_at'], 'ON CONFLICT (account_id, td_chat_id) DO UPDATE SET complete_to_td_message_id = excluded.complete_to_td_message_id, is_synced = 1');
      tx(() => insert(rows.map((r) => [r.accountId, r.tdChatId, r.completeTo, 1, now])));
    },
    markSearchIndexed() {
      database.prepare('update search_index_state set indexed_to_id = (select coalesce(max(id), 0) from messages), updated_at = ? where id = 1').run(now);
    },
  };
}

/** A pool of realistic message texts (the simulator's corpus), cycled through cheaply. */
export function textPool(make: () => string, size = 4_000): () => string {
  const pool = Array.from({ length: size }, make);
  let i = 0;
  return () => pool[i++ % pool.length]!;
}
