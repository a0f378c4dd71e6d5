/**
 * Sync cursors: per account and chat, the message id up to which the stored history is known
 * to be complete. The cursor moves only when that is proven: by in-order live updates while the
 * chat is synced, or at the end of a reconcile pass that paged back down to it.
 */
import type { Kysely } from 'kysely';
import { bulkInsert, type BulkInsertSpec } from './bulk.ts';
import type { Database } from './schema.ts';

type Db = Kysely<Database>;

export interface SyncCursor {
  readonly tdChatId: number;
  readonly completeTo: number;
  readonly isSynced: boolean;
}

export async function listCursors(db: Db, accountId: string): Promise<Map<number, SyncCursor>> {
  const rows = await db.selectFrom('sync_cursors').selectAll().where('account_id', '=', accountId).execute();
  return new Map(rows.map((r) => [r.td_chat_id, { tdChatId: r.td_chat_id, completeTo: r.complete_to_td_message_id, isSynced: r.is_synced === 1 }]));
}

export async function putCursors(db: Db, accountId: string, cursors: readonly SyncCursor[], now: number): Promise<void> {
  await putCursorsOfAccounts(db, cursors.map((c) => ({ ...c, accountId })), now);
}

/** Cursors of several accounts in one statement. */
export async function putCursorsOfAccounts(db: Db, cursors: readonly (SyncCursor & { accountId: string })[], now: number): Promise<void> {
  await bulkInsert(
    db as Kysely<unknown>,
    CURSOR_UPSERT,
    cursors.map((c) => [c.accountId, c.tdChatId, c.completeTo, c.isSynced ? 1 : 0, now]),
  );
}

const CURSOR_UPSERT: BulkInsertSpec = {
  table: 'sync_cursors',
  columns: ['account_id', 'td_chat_id', 'complete_to_td_message_id', 'is_synced', 'updated_at'],
  conflict: ['account_id', 'td_chat_id'],
  update: ['complete_to_td_message_id', 'is_synced', 'updated_at'],
};

/** At start nothing is proven synced: every chat is reconciled once before its cursor moves again. */
export async function markAllUnsynced(db: Db, accountId: string, now: number): Promise<void> {
  await db.updateTable('sync_cursors').set({ is_synced: 0, updated_at: now }).where('account_id', '=', accountId).execute();
}
