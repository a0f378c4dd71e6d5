/**
 * API tokens (migration 0003's `api_tokens`). Only a SHA-256 hash of each token is stored: a
 * copy of the database lets nobody call the API.
 */
import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';

type Db = Kysely<Database>;

export interface ApiTokenRecord {
  readonly id: string;
  readonly name: string;
  readonly role: string;
  readonly memberUserId: number | null;
  readonly createdAt: number;
  readonly lastUsedAt: number | null;
  readonly revokedAt: number | null;
}

type Row = Database['api_tokens'];

function toRecord(r: Pick<Row, 'id' | 'name' | 'role' | 'member_user_id' | 'created_at' | 'last_used_at' | 'revoked_at'>): ApiTokenRecord {
  return {
    id: r.id,
    name: r.name,
    role: r.role,
    memberUserId: r.member_user_id === null ? null : Number(r.member_user_id),
    createdAt: Number(r.created_at),
    lastUsedAt: r.last_used_at === null ? null : Number(r.last_used_at),
    revokedAt: r.revoked_at === null ? null : Number(r.revoked_at),
  };
}

const PUBLIC_COLUMNS = ['id', 'name', 'role', 'member_user_id', 'created_at', 'last_used_at', 'revoked_at'] as const;

export async function insertApiToken(db: Db, t: { id: string; name: string; role: string; memberUserId: number | null; hash: string; createdAt: number }): Promise<void> {
  await db
    .insertInto('api_tokens')
    .values({ id: t.id, name: t.name, role: t.role, member_user_id: t.memberUserId, hash: t.hash, created_at: t.createdAt, last_used_at: null, revoked_at: null })
    .execute();
}

/** The live (not revoked) token with this hash. */
export async function findApiTokenByHash(db: Db, hash: string): Promise<ApiTokenRecord | null> {
  const r = await db.selectFrom('api_tokens').select(PUBLIC_COLUMNS).where('hash', '=', hash).where('revoked_at', 'is', null).executeTakeFirst();
  return r ? toRecord(r) : null;
}

/**
 * Which of these token ids are live (not revoked). An id missing from the answer was revoked or
 * never existed. Asked in slices, as an `IN` list has a parameter limit on both databases.
 */
export async function liveApiTokenIds(db: Db, ids: readonly string[]): Promise<Set<string>> {
  const live = new Set<string>();
  for (let i = 0; i < ids.length; i += 500) {
    const rows = await db.selectFrom('api_tokens').select('id').where('id', 'in', ids.slice(i, i + 500)).where('revoked_at', 'is', null).execute();
    for (const r of rows) live.add(r.id);
  }
  return live;
}

export async function listApiTokens(db: Db, options: { includeRevoked?: boolean } = {}): Promise<ApiTokenRecord[]> {
  let q = db.selectFrom('api_tokens').select(PUBLIC_COLUMNS);
  if (!options.includeRevoked) q = q.where('revoked_at', 'is', null);
  return (await q.orderBy('created_at').orderBy('id').execute()).map(toRecord);
}

/** Revokes live tokens whose id or name is `idOrName`; returns the ones revoked. */
export async function revokeApiTokens(db: Db, idOrName: string, now: number): Promise<ApiTokenRecord[]> {
  return db.transaction().execute(async (trx) => {
    const rows = await trx
      .selectFrom('api_tokens')
      .select(PUBLIC_COLUMNS)
      .where((eb) => eb.or([eb('id', '=', idOrName), eb('name', '=', idOrName)]))
      .where('revoked_at', 'is', null)
      .execute();
    if (rows.length === 0) return [];
    await trx.updateTable('api_tokens').set({ revoked_at: now }).where('id', 'in', rows.map((r) => r.id)).execute();
    return rows.map((r) => toRecord({ ...r, revoked_at: now }));
  });
}

export async function touchApiToken(db: Db, id: string, now: number): Promise<void> {
  await db.updateTable('api_tokens').set({ last_used_at: now }).where('id', '=', id).execute();
}
