/**
 * Messages, stored once however many accounts see them (DESIGN.md §6).
 *
 * In supergroups the Telegram id is the identity. Elsewhere each account has its own ids, so a
 * message is keyed by sender, second and ordinal (src/domain/ids.ts) and every account's id for
 * it is kept in `message_aliases`. All writes are idempotent upserts: replaying a batch, or
 * seeing the same message from a second account, changes nothing.
 */
import type { Kysely, Selectable } from 'kysely';
import { bulkInsert, bulkUpdate, type BulkInsertSpec, type BulkUpdateSpec } from './bulk.ts';
import { hasSharedMessageIds, messageKeyOf, messageSortKeyOf, senderKey, type ChatKey, type ChatType } from '../domain/ids.ts';
import type { TgMessage, TextEntity } from '../domain/telegram.ts';
import type { Database, MessagesTable } from './schema.ts';

type Db = Kysely<Database>;

export interface MessageToStore {
  readonly chatKey: ChatKey;
  readonly chatType: ChatType;
  readonly message: TgMessage;
}

/** A message as one account saw it: the account matters where message ids are per account. */
export interface AccountMessageToStore extends MessageToStore {
  readonly accountId: string;
}

export interface MessageRef {
  readonly chatKey: ChatKey;
  readonly chatType: ChatType;
  readonly tdMessageId: number;
}

export interface StoredMessage {
  readonly id: number;
  readonly chatKey: ChatKey;
  readonly msgKey: string;
  readonly sortKey: number;
  readonly senderKey: string;
  readonly senderUserId: number | null;
  readonly date: number;
  readonly editDate: number;
  readonly replyToKey: string | null;
  readonly text: string;
  readonly entities: readonly TextEntity[];
  readonly hasMention: boolean;
  readonly contentKind: string;
  readonly mediaSummary: string | null;
  readonly isService: boolean;
  readonly deletedAt: number | null;
}

// RETURNING yields inserted rows and rows whose content an edit replaced; the latter keep their
// old first_seen_at, which tells them apart (callers pass a strictly increasing `now`).
const MESSAGE_UPSERT: BulkInsertSpec = {
  table: 'messages',
  columns: ['chat_key', 'msg_key', 'sort_key', 'sender_key', 'sender_user_id', 'date', 'edit_date', 'reply_to_key', 'is_service', 'deleted_at', 'first_seen_at', 'text', 'entities', 'has_mention', 'content_kind', 'media_summary'],
  conflict: ['chat_key', 'msg_key'],
  update: ['text', 'entities', 'has_mention', 'content_kind', 'media_summary', 'edit_date'],
  updateWhere: 'excluded."edit_date" > "messages"."edit_date"',
  returning: ['id', 'chat_key', 'msg_key', 'first_seen_at'],
};

const ALIAS_INSERT: BulkInsertSpec = {
  table: 'message_aliases',
  columns: ['account_id', 'chat_key', 'td_message_id', 'sender_key', 'date', 'message_id'],
  conflict: ['account_id', 'chat_key', 'td_message_id'],
};

// Keeps each statement well under SQLite's and PostgreSQL's bound-parameter limits.
const CHUNK = 400;

function chunks<T>(items: readonly T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

const mentionTypes = new Set(['mention', 'mentionName']);

function contentColumns(m: TgMessage) {
  return {
    text: m.text,
    entities: JSON.stringify(m.entities),
    has_mention: m.entities.some((e) => mentionTypes.has(e.type)) ? 1 : 0,
    content_kind: m.contentKind,
    media_summary: m.mediaSummary,
  };
}

export interface StoredRef {
  readonly id: number;
  readonly msgKey: string;
  readonly sortKey: number;
  /** True when this call stored the message for the first time (not a replay, not a second account). */
  readonly inserted: boolean;
  /**
   * The row as this call inserted it, on the ref that reports the insert: followers in the same
   * transaction need not read it back. Later changes in that transaction (an edit, a deletion)
   * are not in it.
   */
  readonly row?: StoredMessage;
}

/** Supergroup messages known to be stored, by chat and Telegram id; the caller fills it only after a commit. */
export interface KnownMessages {
  get(chatKey: ChatKey, tdMessageId: number): { readonly id: number; readonly editDate: number } | undefined;
}

/** Stores messages seen by one account; see upsertAccountMessages. */
export function upsertMessages(db: Db, accountId: string, items: readonly MessageToStore[], now: number, known?: KnownMessages): Promise<StoredRef[]> {
  return upsertAccountMessages(db, items.map((item) => ({ ...item, accountId })), now, known);
}

/**
 * Stores messages seen by any number of accounts in one pass. Returns, for each input in order,
 * the stored message's id and keys. Each distinct message is written once, however many
 * accounts' copies the batch carries; the first copy counts as the one that inserted it. A later
 * edit (higher edit date) replaces the content; an older copy never overwrites a newer one.
 */
export async function upsertAccountMessages(db: Db, items: readonly AccountMessageToStore[], now: number, known?: KnownMessages): Promise<StoredRef[]> {
  if (items.length === 0) return [];
  const refs = new Array<StoredRef>(items.length);
  const shared: { index: number; item: AccountMessageToStore }[] = [];
  const perAccount: { index: number; item: AccountMessageToStore }[] = [];
  items.forEach((item, index) => {
    if (!hasSharedMessageIds(item.chatType)) return perAccount.push({ index, item });
    // Another account's copy of a message already stored, and no newer edit: nothing to write.
    const hit = known?.get(item.chatKey, item.message.tdMessageId);
    if (hit && hit.editDate >= item.message.editDate) {
      const m = item.message;
      refs[index] = { id: hit.id, msgKey: messageKeyOf(item.chatType, m.tdMessageId, m.sender, m.date, 0), sortKey: messageSortKeyOf(item.chatType, m.tdMessageId, m.date, 0), inserted: false };
      return;
    }
    shared.push({ index, item });
  });

  const keyed: { index: number; chatKey: string; msgKey: string; sortKey: number; item: MessageToStore; replyToKey: string | null }[] = [];

  for (const { index, item } of shared) {
    const m = item.message;
    keyed.push({
      index,
      item,
      chatKey: item.chatKey,
      msgKey: messageKeyOf(item.chatType, m.tdMessageId, m.sender, m.date, 0),
      sortKey: messageSortKeyOf(item.chatType, m.tdMessageId, m.date, 0),
      replyToKey: m.replyToTdMessageId ? `m${m.replyToTdMessageId}` : null,
    });
  }

  const newAliases: { account_id: string; chat_key: string; td_message_id: number; sender_key: string; date: number; keyedIndex: number }[] = [];
  for (const [accountId, mine] of groupBy(perAccount, (p) => p.item.accountId)) {
    // The messages themselves and the ones they reply to, in one lookup.
    const known = await loadAliases(db, accountId, [
      ...mine.map(({ item }) => ({ chatKey: item.chatKey, tdMessageId: item.message.tdMessageId })),
      ...mine.filter(({ item }) => item.message.replyToTdMessageId).map(({ item }) => ({ chatKey: item.chatKey, tdMessageId: item.message.replyToTdMessageId! })),
    ]);
    const replyTargets = known;
    // Only messages this account has not stored yet need an ordinal.
    const secondMates = await loadSecondMates(
      db,
      accountId,
      mine.filter(({ item }) => !known.has(`${item.chatKey}\u0000${item.message.tdMessageId}`)).map(({ item }) => item),
    );
    // Sorted by id so that ordinals within one second follow the account's own order.
    const ordered = [...mine].sort((a, b) => a.item.message.tdMessageId - b.item.message.tdMessageId);
    const seenInBatch = new Map<string, number[]>();
    for (const { index, item } of ordered) {
      const m = item.message;
      const aliasKey = `${item.chatKey}\u0000${m.tdMessageId}`;
      const existing = known.get(aliasKey);
      const sKey = senderKey(m.sender);
      const secondKey = `${item.chatKey}\u0000${sKey}\u0000${m.date}`;
      const replyTo = m.replyToTdMessageId ? replyTargets.get(`${item.chatKey}\u0000${m.replyToTdMessageId}`) : undefined;
      const replyToKey = replyTo?.msgKey ?? null;
      if (existing) {
        keyed.push({ index, item, chatKey: item.chatKey, msgKey: existing.msgKey, sortKey: existing.sortKey, replyToKey });
        continue;
      }
      const mates = [...(secondMates.get(secondKey) ?? []), ...(seenInBatch.get(secondKey) ?? [])];
      const ordinal = mates.filter((id) => id < m.tdMessageId).length;
      seenInBatch.set(secondKey, [...(seenInBatch.get(secondKey) ?? []), m.tdMessageId]);
      keyed.push({
        index,
        item,
        chatKey: item.chatKey,
        msgKey: messageKeyOf(item.chatType, m.tdMessageId, m.sender, m.date, ordinal),
        sortKey: messageSortKeyOf(item.chatType, m.tdMessageId, m.date, ordinal),
        replyToKey,
      });
      newAliases.push({ account_id: accountId, chat_key: item.chatKey, td_message_id: m.tdMessageId, sender_key: sKey, date: m.date, keyedIndex: keyed.length - 1 });
    }
  }

  // One row per identity: a batch may carry the same message twice (an update and a history page).
  // Identities are looked up by chat, then key: the chat key strings are long-lived, so only the
  // short message key is hashed per message.
  interface Identity {
    /** The copy written: the newest edit. */
    best: (typeof keyed)[number];
    id: number;
    inserted: boolean;
    /** Whether a ref has reported it as inserted yet: a message twice in one batch is new once. */
    reported: boolean;
  }
  const identities = new Map<string, Map<string, Identity>>();
  const identityOf = (k: (typeof keyed)[number]): Identity => identities.get(k.chatKey)!.get(k.msgKey)!;
  const written: Identity[] = [];
  for (const k of keyed) {
    let inChat = identities.get(k.chatKey);
    if (!inChat) identities.set(k.chatKey, (inChat = new Map()));
    const prev = inChat.get(k.msgKey);
    if (!prev) {
      const entry: Identity = { best: k, id: 0, inserted: false, reported: false };
      inChat.set(k.msgKey, entry);
      written.push(entry);
    } else if (k.item.message.editDate >= prev.best.item.message.editDate) prev.best = k;
  }

  const returned = await bulkInsert<{ id: number; chat_key: string; msg_key: string; first_seen_at: number }>(
    db as Kysely<unknown>,
    MESSAGE_UPSERT,
    written.map(({ best: k }) => {
      const m = k.item.message;
      const content = contentColumns(m);
      return [
        k.chatKey,
        k.msgKey,
        k.sortKey,
        senderKey(m.sender),
        m.sender.kind === 'user' ? m.sender.id : null,
        m.date,
        m.editDate,
        k.replyToKey,
        m.isService ? 1 : 0,
        null,
        now,
        content.text,
        content.entities,
        content.has_mention,
        content.content_kind,
        content.media_summary,
      ];
    }),
  );
  matchReturnedRows(written, returned, now);
  const missing = written.filter((e) => e.id === 0);
  if (missing.length > 0) {
    const ids = await loadIds(db, missing.map((e) => ({ chatKey: e.best.chatKey, msgKey: e.best.msgKey })));
    for (const e of missing) e.id = ids.get(`${e.best.chatKey}\u0000${e.best.msgKey}`) ?? 0;
  }

  for (const k of keyed) {
    const entry = identityOf(k);
    const inserted = entry.inserted && !entry.reported;
    let row: StoredMessage | undefined;
    if (inserted) {
      entry.reported = true;
      const w = entry.best;
      const m = w.item.message;
      row = {
        id: entry.id,
        chatKey: w.chatKey,
        msgKey: w.msgKey,
        sortKey: w.sortKey,
        senderKey: senderKey(m.sender),
        senderUserId: m.sender.kind === 'user' ? m.sender.id : null,
        date: m.date,
        editDate: m.editDate,
        replyToKey: w.replyToKey,
        text: m.text,
        entities: m.entities,
        hasMention: m.entities.some((e) => mentionTypes.has(e.type)),
        contentKind: m.contentKind,
        mediaSummary: m.mediaSummary,
        isService: m.isService,
        deletedAt: null,
      };
    }
    refs[k.index] = row ? { id: entry.id, msgKey: k.msgKey, sortKey: k.sortKey, inserted, row } : { id: entry.id, msgKey: k.msgKey, sortKey: k.sortKey, inserted };
  }

  if (newAliases.length > 0) {
    const unique = new Map(newAliases.map((a) => [`${a.chat_key}\u0000${a.td_message_id}`, a]));
    await bulkInsert(
      db as Kysely<unknown>,
      ALIAS_INSERT,
      [...unique.values()].map((a) => [a.account_id, a.chat_key, a.td_message_id, a.sender_key, a.date, identityOf(keyed[a.keyedIndex]!).id]),
    );
  }
  return refs;
}

/** A row `upsertAccountMessages` writes, and what the database said of it. */
export interface WrittenRow {
  readonly best: { readonly chatKey: string; readonly msgKey: string };
  id: number;
  inserted: boolean;
}

/**
 * Gives each written row the id and insert flag of its RETURNING row (rows that conflicted
 * without an update return nothing and keep id 0). Both databases return the rows in the order
 * written, so they are matched walking both lists; neither promises it, so a row out of that
 * order sends the whole result through a map by identity instead.
 */
export function matchReturnedRows(written: readonly WrittenRow[], returned: readonly { id: number; chat_key: string; msg_key: string; first_seen_at: number }[], now: number): void {
  let at = 0;
  for (const r of returned) {
    while (at < written.length && (written[at]!.best.msgKey !== r.msg_key || written[at]!.best.chatKey !== r.chat_key)) at++;
    const entry = written[at++];
    if (!entry) return matchByIdentity(written, returned, now);
    entry.id = Number(r.id);
    entry.inserted = Number(r.first_seen_at) === now;
  }
}

function matchByIdentity(written: readonly WrittenRow[], returned: readonly { id: number; chat_key: string; msg_key: string; first_seen_at: number }[], now: number): void {
  const byIdentity = new Map<string, WrittenRow>();
  for (const e of written) {
    e.id = 0;
    e.inserted = false;
    byIdentity.set(`${e.best.chatKey}\u0000${e.best.msgKey}`, e);
  }
  for (const r of returned) {
    const entry = byIdentity.get(`${r.chat_key}\u0000${r.msg_key}`);
    if (!entry) continue;
    entry.id = Number(r.id);
    entry.inserted = Number(r.first_seen_at) === now;
  }
}

/** Stored ids of messages by their keys; the map is keyed `chatKey \\0 msgKey`. */
export const idsOfKeys = (db: Db, keys: readonly { chatKey: string; msgKey: string }[]): Promise<Map<string, number>> => loadIds(db, keys);

async function loadIds(db: Db, keys: readonly { chatKey: string; msgKey: string }[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  // One statement for every chat in the batch: (chat_key, msg_key) IN ((…), (…)) uses the identity index.
  for (const part of chunks(keys)) {
    const rows = await db
      .selectFrom('messages')
      .select(['id', 'chat_key', 'msg_key'])
      .where((eb) => eb(eb.refTuple('chat_key', 'msg_key'), 'in', part.map((k) => eb.tuple(k.chatKey, k.msgKey))))
      .execute();
    for (const r of rows) out.set(`${r.chat_key}\u0000${r.msg_key}`, r.id);
  }
  return out;
}

async function loadAliases(
  db: Db,
  accountId: string,
  refs: readonly { chatKey: string; tdMessageId: number }[],
): Promise<Map<string, { messageId: number; msgKey: string; sortKey: number }>> {
  const out = new Map<string, { messageId: number; msgKey: string; sortKey: number }>();
  const unique = [...new Map(refs.map((r) => [`${r.chatKey}\u0000${r.tdMessageId}`, r])).values()];
  for (const part of chunks(unique)) {
    const rows = await db
      .selectFrom('message_aliases as a')
      .innerJoin('messages as m', 'm.id', 'a.message_id')
      .select(['a.chat_key', 'a.td_message_id', 'a.message_id', 'm.msg_key', 'm.sort_key'])
      .where('a.account_id', '=', accountId)
      .where((eb) => eb(eb.refTuple('a.chat_key', 'a.td_message_id'), 'in', part.map((r) => eb.tuple(r.chatKey, r.tdMessageId))))
      .execute();
    for (const r of rows) out.set(`${r.chat_key}\u0000${r.td_message_id}`, { messageId: r.message_id, msgKey: r.msg_key, sortKey: r.sort_key });
  }
  return out;
}

/** This account's known ids of messages sent by the same sender in the same second: the ordinal's input. */
async function loadSecondMates(db: Db, accountId: string, items: readonly MessageToStore[]): Promise<Map<string, number[]>> {
  const out = new Map<string, number[]>();
  const seconds = new Map<string, { chatKey: string; sender: string; date: number }>();
  for (const i of items) {
    const sender = senderKey(i.message.sender);
    seconds.set(`${i.chatKey}\u0000${sender}\u0000${i.message.date}`, { chatKey: i.chatKey, sender, date: i.message.date });
  }
  // One statement for all chats: (chat_key, sender_key, date) follows message_aliases_by_sender_second.
  for (const part of chunks([...seconds.values()])) {
    const rows = await db
      .selectFrom('message_aliases')
      .select(['chat_key', 'sender_key', 'date', 'td_message_id'])
      .where('account_id', '=', accountId)
      .where((eb) => eb(eb.refTuple('chat_key', 'sender_key', 'date'), 'in', part.map((p) => eb.tuple(p.chatKey, p.sender, p.date))))
      .execute();
    for (const r of rows) {
      const k = `${r.chat_key}\u0000${r.sender_key}\u0000${r.date}`;
      const arr = out.get(k);
      if (arr) arr.push(r.td_message_id);
      else out.set(k, [r.td_message_id]);
    }
  }
  return out;
}

/** Finds stored message ids for an account's view of messages; unknown ones are absent. */
export async function resolveMessageIds(db: Db, accountId: string, refs: readonly MessageRef[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const shared = refs.filter((r) => hasSharedMessageIds(r.chatType));
  const ids = await loadIds(db, shared.map((r) => ({ chatKey: r.chatKey, msgKey: `m${r.tdMessageId}` })));
  for (const r of shared) {
    const id = ids.get(`${r.chatKey}\u0000m${r.tdMessageId}`);
    if (id !== undefined) out.set(`${r.chatKey}\u0000${r.tdMessageId}`, id);
  }
  const aliases = await loadAliases(db, accountId, refs.filter((r) => !hasSharedMessageIds(r.chatType)));
  for (const [k, v] of aliases) out.set(k, v.messageId);
  return out;
}

export const refKey = (chatKey: string, tdMessageId: number): string => `${chatKey}\u0000${tdMessageId}`;

export async function setEditDate(db: Db, messageId: number, editDate: number): Promise<void> {
  await setEditDates(db, [{ id: messageId, editDate }]);
}

/** Raises edit dates (never lowers one), all in one statement. */
export async function setEditDates(db: Db, edits: readonly { id: number; editDate: number }[]): Promise<void> {
  await bulkUpdate(db as Kysely<unknown>, EDIT_DATE_UPDATE, edits.map((e) => [e.id, e.editDate]));
}

export async function setContent(db: Db, messageId: number, content: MessageContent): Promise<void> {
  await setContents(db, [{ id: messageId, content }]);
}

/** Replaces messages' content (text, entities, kind, media), all in one statement. */
export async function setContents(db: Db, changes: readonly { id: number; content: MessageContent }[]): Promise<void> {
  await bulkUpdate(
    db as Kysely<unknown>,
    CONTENT_UPDATE,
    changes.map(({ id, content }) => {
      const c = contentColumns({ ...content } as TgMessage);
      return [id, c.text, c.entities, c.has_mention, c.content_kind, c.media_summary];
    }),
  );
}

export type MessageContent = Pick<TgMessage, 'text' | 'entities' | 'contentKind' | 'mediaSummary'>;

const EDIT_DATE_UPDATE: BulkUpdateSpec = {
  table: 'messages',
  key: { name: 'id', pgType: 'bigint' },
  set: [{ name: 'edit_date', pgType: 'bigint' }],
  where: '"messages"."edit_date" < v.column2',
};

const CONTENT_UPDATE: BulkUpdateSpec = {
  table: 'messages',
  key: { name: 'id', pgType: 'bigint' },
  set: [
    { name: 'text', pgType: 'text' },
    { name: 'entities', pgType: 'text' },
    { name: 'has_mention', pgType: 'integer' },
    { name: 'content_kind', pgType: 'text' },
    { name: 'media_summary', pgType: 'text' },
  ],
};

export async function markDeleted(db: Db, messageIds: readonly number[], at: number): Promise<void> {
  for (const part of chunks(messageIds)) {
    await db.updateTable('messages').set({ deleted_at: at }).where('id', 'in', part).where('deleted_at', 'is', null).execute();
  }
}

function rowToMessage(r: Selectable<MessagesTable>): StoredMessage {
  return {
    id: r.id,
    chatKey: r.chat_key,
    msgKey: r.msg_key,
    sortKey: r.sort_key,
    senderKey: r.sender_key,
    senderUserId: r.sender_user_id,
    date: r.date,
    editDate: r.edit_date,
    replyToKey: r.reply_to_key,
    text: r.text,
    entities: JSON.parse(r.entities) as TextEntity[],
    hasMention: r.has_mention === 1,
    contentKind: r.content_kind,
    mediaSummary: r.media_summary,
    isService: r.is_service === 1,
    deletedAt: r.deleted_at,
  };
}

export interface HistoryQuery {
  readonly chatKey: ChatKey;
  /** Messages strictly older than this sort key. */
  readonly beforeSortKey?: number;
  /** Messages strictly newer than this sort key. */
  readonly afterSortKey?: number;
  readonly limit: number;
  readonly includeDeleted?: boolean;
}

/** A page of a chat's history in chronological order (oldest first). */
export async function listMessages(db: Db, q: HistoryQuery): Promise<StoredMessage[]> {
  let query = db.selectFrom('messages').selectAll().where('chat_key', '=', q.chatKey);
  if (!q.includeDeleted) query = query.where('deleted_at', 'is', null);
  if (q.afterSortKey !== undefined) {
    const rows = await query.where('sort_key', '>', q.afterSortKey).orderBy('sort_key', 'asc').limit(q.limit).execute();
    return rows.map(rowToMessage);
  }
  if (q.beforeSortKey !== undefined) query = query.where('sort_key', '<', q.beforeSortKey);
  const rows = await query.orderBy('sort_key', 'desc').limit(q.limit).execute();
  return rows.reverse().map(rowToMessage);
}

export async function getMessagesByIds(db: Db, ids: readonly number[]): Promise<StoredMessage[]> {
  const out: StoredMessage[] = [];
  for (const part of chunks(ids)) out.push(...(await db.selectFrom('messages').selectAll().where('id', 'in', part).execute()).map(rowToMessage));
  return out;
}

export async function countMessages(db: Db, chatKey?: ChatKey): Promise<number> {
  let q = db.selectFrom('messages').select((eb) => eb.fn.countAll<number>().as('n'));
  if (chatKey) q = q.where('chat_key', '=', chatKey);
  const row = await q.executeTakeFirstOrThrow();
  return Number(row.n);
}

function groupBy<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const arr = out.get(k);
    if (arr) arr.push(item);
    else out.set(k, [item]);
  }
  return out;
}

/** The newest non-deleted message of every chat (or of the given chats). */
export async function latestMessages(db: Db, chatKeys?: readonly ChatKey[]): Promise<Map<ChatKey, StoredMessage>> {
  const out = new Map<ChatKey, StoredMessage>();
  let tops = db
    .selectFrom('messages')
    .select((eb) => ['chat_key', eb.fn.max('sort_key').as('top')])
    .where('deleted_at', 'is', null)
    .groupBy('chat_key');
  if (chatKeys) tops = tops.where('chat_key', 'in', chatKeys.length ? [...chatKeys] : ['\u0000']);
  const rows = await tops.execute();
  for (const part of chunks(rows)) {
    const messages = await db
      .selectFrom('messages')
      .selectAll()
      .where((eb) => eb.or(part.map((r) => eb.and([eb('chat_key', '=', r.chat_key), eb('sort_key', '=', Number(r.top))]))))
      .execute();
    for (const m of messages) out.set(m.chat_key, rowToMessage(m));
  }
  return out;
}

/** How many messages each user wrote in each chat since `sinceDate` (unix seconds): who is most active. */
export async function senderActivity(db: Db, sinceDate: number, chatKeys?: readonly ChatKey[]): Promise<{ chatKey: ChatKey; userId: number; count: number; lastDate: number }[]> {
  let q = db
    .selectFrom('messages')
    .select((eb) => ['chat_key', 'sender_user_id', eb.fn.countAll<number>().as('n'), eb.fn.max('date').as('last')])
    .where('date', '>=', sinceDate)
    .where('sender_user_id', 'is not', null)
    .where('is_service', '=', 0)
    .groupBy(['chat_key', 'sender_user_id']);
  if (chatKeys) q = q.where('chat_key', 'in', chatKeys.length ? [...chatKeys] : ['\u0000']);
  const rows = await q.execute();
  return rows.map((r) => ({ chatKey: r.chat_key, userId: Number(r.sender_user_id), count: Number(r.n), lastDate: Number(r.last) }));
}
