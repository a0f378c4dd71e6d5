/** Chats, what each account sees of them, and who is in them. */
import type { Kysely, Selectable } from 'kysely';
import { bulkInsert, type BulkInsertSpec } from './bulk.ts';
import type { ChatKey, ChatType } from '../domain/ids.ts';
import type { ChatMemberStatus, ChatPosition, NotificationSettings } from '../domain/telegram.ts';
import type { AccountChatsTable, Database } from './schema.ts';

type Db = Kysely<Database>;

export interface ChatRecord {
  readonly key: ChatKey;
  readonly tdChatId: number;
  readonly type: ChatType;
  readonly typeId: number;
  readonly title: string;
  readonly firstSeenAt: number;
}

export interface AccountChatState {
  readonly unreadCount: number;
  readonly lastReadInboxId: number;
  readonly lastReadOutboxId: number;
  readonly unreadMentionCount: number;
  readonly isMarkedAsUnread: boolean;
  readonly notificationSettings: NotificationSettings;
  readonly positions: readonly ChatPosition[];
  readonly lastTdMessageId: number;
}

export interface AccountChatRecord extends AccountChatState {
  readonly accountId: string;
  readonly chatKey: ChatKey;
  readonly tdChatId: number;
}

export async function upsertChats(db: Db, chats: readonly Omit<ChatRecord, 'firstSeenAt'>[], now: number): Promise<void> {
  const unique = [...new Map(chats.map((c) => [c.key, c])).values()];
  for (let i = 0; i < unique.length; i += 400) {
    await db
      .insertInto('chats')
      .values(
        unique.slice(i, i + 400).map((c) => ({
          key: c.key,
          td_chat_id: c.tdChatId,
          type: c.type,
          type_id: c.typeId,
          title: c.title,
          first_seen_at: now,
          updated_at: now,
        })),
      )
      .onConflict((oc) =>
        oc.column('key').doUpdateSet((eb) => ({
          title: eb.ref('excluded.title'),
          updated_at: eb.ref('excluded.updated_at'),
        })),
      )
      .execute();
  }
}

export async function setChatTitle(db: Db, key: ChatKey, title: string, now: number): Promise<void> {
  await db.updateTable('chats').set({ title, updated_at: now }).where('key', '=', key).execute();
}

function rowToChat(r: Selectable<Database['chats']>): ChatRecord {
  return { key: r.key, tdChatId: r.td_chat_id, type: r.type as ChatType, typeId: r.type_id, title: r.title, firstSeenAt: r.first_seen_at };
}

export async function listChats(db: Db): Promise<ChatRecord[]> {
  return (await db.selectFrom('chats').selectAll().orderBy('key').execute()).map(rowToChat);
}

export async function getChat(db: Db, key: ChatKey): Promise<ChatRecord | null> {
  const r = await db.selectFrom('chats').selectAll().where('key', '=', key).executeTakeFirst();
  return r ? rowToChat(r) : null;
}

const stateColumns = (s: Partial<AccountChatState>) => ({
  ...(s.unreadCount !== undefined ? { unread_count: s.unreadCount } : {}),
  ...(s.lastReadInboxId !== undefined ? { last_read_inbox_id: s.lastReadInboxId } : {}),
  ...(s.lastReadOutboxId !== undefined ? { last_read_outbox_id: s.lastReadOutboxId } : {}),
  ...(s.unreadMentionCount !== undefined ? { unread_mention_count: s.unreadMentionCount } : {}),
  ...(s.isMarkedAsUnread !== undefined ? { is_marked_as_unread: s.isMarkedAsUnread ? 1 : 0 } : {}),
  ...(s.notificationSettings !== undefined ? { notification_settings: JSON.stringify(s.notificationSettings) } : {}),
  ...(s.positions !== undefined ? { positions: JSON.stringify(s.positions) } : {}),
  ...(s.lastTdMessageId !== undefined ? { last_td_message_id: s.lastTdMessageId } : {}),
});

/** Writes the whole state of chats as one account sees them (from `updateNewChat` or `getChat`). */
export function putAccountChats(db: Db, accountId: string, rows: readonly (AccountChatState & { chatKey: ChatKey; tdChatId: number })[], now: number): Promise<void> {
  return putAccountChatRows(db, rows.map((r) => ({ ...r, accountId })), now);
}

// A chat's notification settings change rarely, while its row is written with every message:
// the same settings object (kept across row updates) is serialized once.
const settingsText = new WeakMap<object, string>();
function settingsJson(settings: object): string {
  let text = settingsText.get(settings);
  if (text === undefined) settingsText.set(settings, (text = JSON.stringify(settings)));
  return text;
}

/** Whole chat states of several accounts, in as few statements as the parameter limit allows. */
export async function putAccountChatRows(db: Db, rows: readonly (AccountChatState & { accountId: string; chatKey: ChatKey; tdChatId: number })[], now: number): Promise<void> {
  await bulkInsert(
    db as Kysely<unknown>,
    ACCOUNT_CHAT_UPSERT,
    rows.map((r) => [
      r.accountId,
      r.chatKey,
      r.tdChatId,
      r.unreadCount,
      r.lastReadInboxId,
      r.lastReadOutboxId,
      r.unreadMentionCount,
      r.isMarkedAsUnread ? 1 : 0,
      settingsJson(r.notificationSettings),
      JSON.stringify(r.positions),
      r.lastTdMessageId,
      now,
    ]),
  );
}

const ACCOUNT_CHAT_UPSERT: BulkInsertSpec = {
  table: 'account_chats',
  columns: ['account_id', 'chat_key', 'td_chat_id', 'unread_count', 'last_read_inbox_id', 'last_read_outbox_id', 'unread_mention_count', 'is_marked_as_unread', 'notification_settings', 'positions', 'last_td_message_id', 'updated_at'],
  conflict: ['account_id', 'chat_key'],
  update: ['td_chat_id', 'unread_count', 'last_read_inbox_id', 'last_read_outbox_id', 'unread_mention_count', 'is_marked_as_unread', 'notification_settings', 'positions', 'last_td_message_id', 'updated_at'],
};

/** Changes some fields of chats an account already has; values are absolute, as Telegram sends them. */
export async function patchAccountChat(db: Db, accountId: string, chatKey: ChatKey, patch: Partial<AccountChatState>, now: number): Promise<void> {
  const set = stateColumns(patch);
  if (Object.keys(set).length === 0) return;
  await db
    .updateTable('account_chats')
    .set({ ...set, updated_at: now })
    .where('account_id', '=', accountId)
    .where('chat_key', '=', chatKey)
    .execute();
}

export async function getAccountChatPositions(db: Db, accountId: string, chatKey: ChatKey): Promise<ChatPosition[] | null> {
  const row = await db
    .selectFrom('account_chats')
    .select('positions')
    .where('account_id', '=', accountId)
    .where('chat_key', '=', chatKey)
    .executeTakeFirst();
  return row ? (JSON.parse(row.positions) as ChatPosition[]) : null;
}

function rowToAccountChat(r: Selectable<AccountChatsTable>): AccountChatRecord {
  return {
    accountId: r.account_id,
    chatKey: r.chat_key,
    tdChatId: r.td_chat_id,
    unreadCount: r.unread_count,
    lastReadInboxId: r.last_read_inbox_id,
    lastReadOutboxId: r.last_read_outbox_id,
    unreadMentionCount: r.unread_mention_count,
    isMarkedAsUnread: r.is_marked_as_unread === 1,
    notificationSettings: JSON.parse(r.notification_settings) as NotificationSettings,
    positions: JSON.parse(r.positions) as ChatPosition[],
    lastTdMessageId: r.last_td_message_id,
  };
}

export async function listAccountChats(db: Db, accountId: string): Promise<AccountChatRecord[]> {
  return (await db.selectFrom('account_chats').selectAll().where('account_id', '=', accountId).execute()).map(rowToAccountChat);
}

export async function listAccountChatsByKeys(db: Db, accountId: string, chatKeys: readonly ChatKey[]): Promise<AccountChatRecord[]> {
  const out: AccountChatRecord[] = [];
  for (let i = 0; i < chatKeys.length; i += 400) {
    const rows = await db.selectFrom('account_chats').selectAll().where('account_id', '=', accountId).where('chat_key', 'in', chatKeys.slice(i, i + 400)).execute();
    out.push(...rows.map(rowToAccountChat));
  }
  return out;
}

export async function listAccountChatsOfChat(db: Db, chatKey: ChatKey): Promise<AccountChatRecord[]> {
  return (await db.selectFrom('account_chats').selectAll().where('chat_key', '=', chatKey).execute()).map(rowToAccountChat);
}

export async function upsertChatMembers(
  db: Db,
  members: readonly { chatKey: ChatKey; userId: number; status: ChatMemberStatus }[],
  now: number,
): Promise<void> {
  const unique = [...new Map(members.map((m) => [`${m.chatKey}\u0000${m.userId}`, m])).values()];
  for (let i = 0; i < unique.length; i += 400) {
    await db
      .insertInto('chat_members')
      .values(unique.slice(i, i + 400).map((m) => ({ chat_key: m.chatKey, user_id: m.userId, status: m.status, updated_at: now })))
      .onConflict((oc) =>
        oc.columns(['chat_key', 'user_id']).doUpdateSet((eb) => ({ status: eb.ref('excluded.status'), updated_at: eb.ref('excluded.updated_at') })),
      )
      .execute();
  }
}

export async function listChatMembers(db: Db, chatKey: ChatKey): Promise<{ userId: number; status: ChatMemberStatus }[]> {
  const rows = await db.selectFrom('chat_members').select(['user_id', 'status']).where('chat_key', '=', chatKey).orderBy('user_id').execute();
  return rows.map((r) => ({ userId: r.user_id, status: r.status as ChatMemberStatus }));
}

/** Every chat's known members who have not left or been banned. */
export async function listAllChatMembers(db: Db): Promise<Map<ChatKey, { userId: number; status: ChatMemberStatus }[]>> {
  const rows = await db.selectFrom('chat_members').select(['chat_key', 'user_id', 'status']).where('status', 'not in', ['left', 'banned']).execute();
  const out = new Map<ChatKey, { userId: number; status: ChatMemberStatus }[]>();
  for (const r of rows) {
    const list = out.get(r.chat_key);
    const m = { userId: r.user_id, status: r.status as ChatMemberStatus };
    if (list) list.push(m);
    else out.set(r.chat_key, [m]);
  }
  return out;
}

export async function listAllAccountChats(db: Db): Promise<AccountChatRecord[]> {
  return (await db.selectFrom('account_chats').selectAll().execute()).map(rowToAccountChat);
}
