/** The accounts the daemon drives and how far each has synced. */
import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';

type Db = Kysely<Database>;

export type SyncState = 'starting' | 'loading' | 'reconciling' | 'ready' | 'loggedOut';

export interface AccountRecord {
  readonly id: string;
  readonly userId: number | null;
  readonly authState: string;
  readonly syncState: SyncState;
  readonly syncComplete: boolean;
  readonly updatedAt: number;
}

export async function ensureAccounts(db: Db, ids: readonly string[], now: number): Promise<void> {
  if (ids.length === 0) return;
  await db
    .insertInto('accounts')
    .values(ids.map((id) => ({ id, user_id: null, auth_state: 'unknown', sync_state: 'starting', sync_complete: 0, updated_at: now })))
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();
}

export async function updateAccount(
  db: Db,
  id: string,
  patch: { userId?: number; authState?: string; syncState?: SyncState; syncComplete?: boolean },
  now: number,
): Promise<void> {
  await db
    .updateTable('accounts')
    .set({
      ...(patch.userId !== undefined ? { user_id: patch.userId } : {}),
      ...(patch.authState !== undefined ? { auth_state: patch.authState } : {}),
      ...(patch.syncState !== undefined ? { sync_state: patch.syncState } : {}),
      ...(patch.syncComplete !== undefined ? { sync_complete: patch.syncComplete ? 1 : 0 } : {}),
      updated_at: now,
    })
    .where('id', '=', id)
    .execute();
}

export async function listAccounts(db: Db): Promise<AccountRecord[]> {
  const rows = await db.selectFrom('accounts').selectAll().orderBy('id').execute();
  return rows.map((r) => ({
    id: r.id,
    userId: r.user_id,
    authState: r.auth_state,
    syncState: r.sync_state as SyncState,
    syncComplete: r.sync_complete === 1,
    updatedAt: r.updated_at,
  }));
}

export async function putScopeMute(db: Db, accountId: string, scope: string, muteFor: number): Promise<void> {
  await db
    .insertInto('scope_notification_settings')
    .values({ account_id: accountId, scope, mute_for: muteFor })
    .onConflict((oc) => oc.columns(['account_id', 'scope']).doUpdateSet({ mute_for: muteFor }))
    .execute();
}

export async function listScopeMutes(db: Db): Promise<{ accountId: string; scope: string; muteFor: number }[]> {
  const rows = await db.selectFrom('scope_notification_settings').selectAll().execute();
  return rows.map((r) => ({ accountId: r.account_id, scope: r.scope, muteFor: r.mute_for }));
}
