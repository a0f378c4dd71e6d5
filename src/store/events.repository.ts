/**
 * The event log: every change a subscriber can see, numbered by a global sequence in commit
 * order. Events are appended inside the transaction of the change they describe, so a stored
 * event always matches stored state; they are published only after that commit.
 */
import type { Kysely } from 'kysely';
import { bulkInsertNumbered } from './bulk.ts';
import { decodeEventPayload, encodeEventPayload } from './event-codec.ts';
import type { Database } from './schema.ts';

type Db = Kysely<Database>;

export interface EventToStore {
  readonly type: string;
  readonly accountId: string | null;
  readonly chatKey: string | null;
  readonly payload: unknown;
  readonly at: number;
}

export interface StoredEvent extends EventToStore {
  readonly seq: number;
}

export async function appendEvents(db: Db, events: readonly EventToStore[]): Promise<StoredEvent[]> {
  if (events.length === 0) return [];
  const seqs = await bulkInsertNumbered(
    db as Kysely<unknown>,
    EVENT_INSERT,
    events.map((e) => [e.type, e.accountId, e.chatKey, encodeEventPayload(e.payload as { type: string; at: number }), e.at]),
  );
  return events.map((e, j) => ({ seq: seqs[j]!, type: e.type, accountId: e.accountId, chatKey: e.chatKey, payload: e.payload, at: e.at }));
}

const EVENT_INSERT = { table: 'events', columns: ['type', 'account_id', 'chat_key', 'payload', 'at'], returning: ['seq'] } as const;

export async function listEventsAfter(db: Db, afterSeq: number, limit: number): Promise<StoredEvent[]> {
  const rows = await db.selectFrom('events').selectAll().where('seq', '>', afterSeq).orderBy('seq').limit(limit).execute();
  return rows.map((r) => ({ seq: r.seq, type: r.type, accountId: r.account_id, chatKey: r.chat_key, payload: decodeEventPayload(r.payload, r.type, Number(r.at)), at: r.at }));
}

/** The lowest and highest sequence numbers still kept; `null` when the log is empty. */
export async function eventBounds(db: Db): Promise<{ oldest: number; newest: number } | null> {
  const row = await db
    .selectFrom('events')
    .select((eb) => [eb.fn.min('seq').as('oldest'), eb.fn.max('seq').as('newest')])
    .executeTakeFirst();
  if (!row || row.oldest === null || row.newest === null) return null;
  return { oldest: Number(row.oldest), newest: Number(row.newest) };
}

/**
 * Drops events older than `beforeAt` but always keeps the newest `keepAtLeast`. Returns how many
 * went. Deletes the oldest `chunk` at a time and yields between chunks: a log that has grown
 * large (millions of rows) would otherwise hold SQLite's only connection, and with it every
 * ingest and request, for seconds in one statement.
 */
export async function pruneEvents(db: Db, beforeAt: number, keepAtLeast: number, chunk = 5_000): Promise<number> {
  const bounds = await eventBounds(db);
  if (!bounds) return 0;
  // The newest `keepAtLeast` events by count: sequence numbers have gaps (rolled-back inserts on PostgreSQL).
  const floor = keepAtLeast <= 0 ? null : await db.selectFrom('events').select('seq').orderBy('seq', 'desc').limit(1).offset(keepAtLeast - 1).executeTakeFirst();
  if (keepAtLeast > 0 && !floor) return 0;
  const end = floor ? Number(floor.seq) : bounds.newest + 1;
  // Only ranges of the primary key are read (`at` has no index): events are stored in time
  // order, so the first range that keeps a young event is where the old ones end.
  let deleted = 0;
  for (let from = bounds.oldest; from < end; from += chunk) {
    if (from > bounds.oldest) await new Promise((resolve) => setImmediate(resolve));
    const to = Math.min(from + chunk, end);
    const result = await db.deleteFrom('events').where('seq', '>=', from).where('seq', '<', to).where('at', '<', beforeAt).executeTakeFirst();
    deleted += Number(result.numDeletedRows);
    if (await db.selectFrom('events').select('seq').where('seq', '>=', from).where('seq', '<', to).limit(1).executeTakeFirst()) break;
  }
  return deleted;
}

/** When the newest stored event happened: the moment subscribers were last told anything. */
export async function lastEventAt(db: Db): Promise<number | null> {
  const row = await db.selectFrom('events').select('at').orderBy('seq', 'desc').limit(1).executeTakeFirst();
  return row ? row.at : null;
}
