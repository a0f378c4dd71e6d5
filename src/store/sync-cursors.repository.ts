/**
 * Sync cursors: per account and chat, the message id up to which the stored history is known
 * to be complete. The cursor moves only when that is proven: by in-order live updates while the
 * chat is synced, or at the end of a reconcile pass that paged back down to it.
 */
import type { Kysely } from 'kysely';
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
  for (let i = 0; i < cursors.length; i += 400) {
    await db
      .insertInto('sync_cursors')
      .values(
        cursors.slice(i, i + 400).map((c) => ({
          account_id: accountId,
          td_chat_id: c.tdChatId,
          complete_to_td_message_id: c.completeTo,
          is_synced: c.isSynced ? 1 : 0,
          updated_at: now,
        })),
      )
      .onConflict((oc) =>
        oc.columns(['account_id', 'td_chat_id']).doUpdateSet((eb) => ({
          complete_to_td_message_id: eb.ref('excluded.complete_to_td_message_id'),
          is_synced: eb.ref('excluded.is_synced'),
          updated_at: eb.ref('excluded.updated_at'),
        })),
      )
      .execute();
  }
}

/** At start nothing is proven synced: every chat is reconciled once before its cursor moves again. */
export async function markAllUnsynced(db: Db, accountId: string, now: number): Promise<void> {
  await db.updateTable('sync_cursors').set({ is_synced: 0, updated_at: now }).where('account_id', '=', accountId).execute();
}
