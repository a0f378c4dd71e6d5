/**
 * The portal outbox: task events written in the transaction of their change, then delivered by
 * a worker. Only the head of each task's queue (its lowest undelivered `seq`) can be claimed,
 * so a task's events reach the portal one at a time and in order; a dead head holds the task's
 * later events back until it is retried. A claim is a lease: a worker that dies leaves the
 * event to be claimed again once the lease runs out (on PostgreSQL, by another process too).
 */
import type { Kysely, Selectable } from 'kysely';
import type { Database } from './schema.ts';
import type { OutboxTable } from './tasks.tables.ts';

type Db = Kysely<Database>;

export type OutboxState = 'pending' | 'delivered' | 'dead';

export interface OutboxRecord {
  readonly id: number;
  readonly taskId: number;
  readonly seq: number;
  readonly idempotencyKey: string;
  readonly type: string;
  readonly body: string;
  readonly createdAt: number;
  readonly state: OutboxState;
  readonly attempts: number;
  readonly nextAttemptAt: number;
  readonly lastStatus: number | null;
  readonly lastError: string | null;
  readonly deliveredAt: number | null;
  readonly deadAt: number | null;
}

function toRecord(r: Selectable<OutboxTable>): OutboxRecord {
  return {
    id: Number(r.id),
    taskId: Number(r.task_id),
    seq: r.seq,
    idempotencyKey: r.idempotency_key,
    type: r.type,
    body: r.body,
    createdAt: Number(r.created_at),
    state: r.state as OutboxState,
    attempts: r.attempts,
    nextAttemptAt: Number(r.next_attempt_at),
    lastStatus: r.last_status,
    lastError: r.last_error,
    deliveredAt: r.delivered_at === null ? null : Number(r.delivered_at),
    deadAt: r.dead_at === null ? null : Number(r.dead_at),
  };
}

export interface NewOutboxEvent {
  readonly taskId: number;
  readonly seq: number;
  readonly idempotencyKey: string;
  readonly type: string;
  readonly body: string;
  readonly createdAt: number;
}

export async function insertOutbox(db: Db, e: NewOutboxEvent): Promise<void> {
  await db
    .insertInto('outbox')
    .values({
      task_id: e.taskId,
      seq: e.seq,
      idempotency_key: e.idempotencyKey,
      type: e.type,
      body: e.body,
      created_at: e.createdAt,
      state: 'pending',
      attempts: 0,
      next_attempt_at: e.createdAt,
      lease_until: 0,
      leased_by: null,
      last_status: null,
      last_error: null,
      delivered_at: null,
      dead_at: null,
    })
    .execute();
}

/** Pending heads that are due and not held by a worker: what may be sent now. */
function dueHeads(db: Db, now: number) {
  return db
    .selectFrom('outbox as o')
    .where('o.state', '=', 'pending')
    .where('o.next_attempt_at', '<=', now)
    .where('o.lease_until', '<=', now)
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('outbox as p')
            .select('p.id')
            .whereRef('p.task_id', '=', 'o.task_id')
            .whereRef('p.seq', '<', 'o.seq')
            .where('p.state', '<>', 'delivered'),
        ),
      ),
    );
}

/**
 * Leases up to `limit` due heads to `worker` until `leaseUntil`, oldest due first. The update
 * re-checks the lease, so of two processes that picked the same rows only one gets each.
 */
export async function claimDue(db: Db, options: { now: number; limit: number; leaseUntil: number; worker: string }): Promise<OutboxRecord[]> {
  const { now } = options;
  const candidates = await dueHeads(db, now).select('o.id').orderBy('o.next_attempt_at').orderBy('o.id').limit(options.limit).execute();
  if (candidates.length === 0) return [];
  const rows = await db
    .updateTable('outbox')
    .set({ lease_until: options.leaseUntil, leased_by: options.worker })
    .where(
      'id',
      'in',
      candidates.map((c) => c.id),
    )
    .where('state', '=', 'pending')
    .where('lease_until', '<=', now)
    .returningAll()
    .execute();
  return rows.map(toRecord).sort((a, b) => a.nextAttemptAt - b.nextAttemptAt || a.id - b.id);
}

/** When the next pending event not yet due falls due; null when none waits for a retry. */
export async function nextDueAfter(db: Db, now: number): Promise<number | null> {
  const row = await db.selectFrom('outbox').select((eb) => eb.fn.min('next_attempt_at').as('due')).where('state', '=', 'pending').where('next_attempt_at', '>', now).executeTakeFirst();
  return row?.due === null || row?.due === undefined ? null : Number(row.due);
}

export async function markDelivered(db: Db, id: number, worker: string, at: number, status: number): Promise<boolean> {
  const r = await db
    .updateTable('outbox')
    .set((eb) => ({ state: 'delivered', delivered_at: at, attempts: eb('attempts', '+', 1), last_status: status, last_error: null, lease_until: 0, leased_by: null }))
    .where('id', '=', id)
    .where('state', '=', 'pending')
    .where('leased_by', '=', worker)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** Marks several events delivered at once; returns the ids this worker still held (the others were taken over). */
export async function markDeliveredMany(db: Db, items: readonly { id: number; status: number }[], worker: string, at: number): Promise<number[]> {
  const byStatus = new Map<number, number[]>();
  for (const i of items) byStatus.set(i.status, [...(byStatus.get(i.status) ?? []), i.id]);
  const marked: number[] = [];
  for (const [status, ids] of byStatus) {
    for (let i = 0; i < ids.length; i += 400) {
      const rows = await db
        .updateTable('outbox')
        .set((eb) => ({ state: 'delivered', delivered_at: at, attempts: eb('attempts', '+', 1), last_status: status, last_error: null, lease_until: 0, leased_by: null }))
        .where('id', 'in', ids.slice(i, i + 400))
        .where('state', '=', 'pending')
        .where('leased_by', '=', worker)
        .returning('id')
        .execute();
      marked.push(...rows.map((r) => Number(r.id)));
    }
  }
  return marked;
}

export async function markRetry(db: Db, id: number, worker: string, nextAttemptAt: number, status: number | null, error: string): Promise<void> {
  await db
    .updateTable('outbox')
    .set((eb) => ({ attempts: eb('attempts', '+', 1), next_attempt_at: nextAttemptAt, last_status: status, last_error: error.slice(0, 1000), lease_until: 0, leased_by: null }))
    .where('id', '=', id)
    .where('state', '=', 'pending')
    .where('leased_by', '=', worker)
    .execute();
}

export async function markDead(db: Db, id: number, worker: string, at: number, status: number | null, error: string): Promise<void> {
  await db
    .updateTable('outbox')
    .set((eb) => ({ state: 'dead', dead_at: at, attempts: eb('attempts', '+', 1), last_status: status, last_error: error.slice(0, 1000), lease_until: 0, leased_by: null }))
    .where('id', '=', id)
    .where('state', '=', 'pending')
    .where('leased_by', '=', worker)
    .execute();
}

/** Gives back leases a stopping worker still holds, so the events are claimable at once. */
export async function releaseLeases(db: Db, ids: readonly number[], worker: string): Promise<void> {
  if (ids.length === 0) return;
  await db.updateTable('outbox').set({ lease_until: 0, leased_by: null }).where('id', 'in', [...ids]).where('leased_by', '=', worker).where('state', '=', 'pending').execute();
}

/** Frees every lease: right at start when this process is the only one using the store (SQLite). */
export async function releaseAllLeases(db: Db): Promise<number> {
  const r = await db.updateTable('outbox').set({ lease_until: 0, leased_by: null }).where('lease_until', '>', 0).executeTakeFirst();
  return Number(r.numUpdatedRows);
}

/** Dead letters back to pending, due now, their attempts counted afresh. All of them when `ids` is null. */
export async function retryDead(db: Db, ids: readonly number[] | null, now: number): Promise<OutboxRecord[]> {
  let q = db.updateTable('outbox').set({ state: 'pending', attempts: 0, next_attempt_at: now, dead_at: null, lease_until: 0, leased_by: null }).where('state', '=', 'dead');
  if (ids !== null) q = q.where('id', 'in', ids.length > 0 ? [...ids] : [-1]);
  return (await q.returningAll().execute()).map(toRecord);
}

export async function getOutbox(db: Db, ids: readonly number[]): Promise<OutboxRecord[]> {
  if (ids.length === 0) return [];
  return (await db.selectFrom('outbox').selectAll().where('id', 'in', [...ids]).execute()).map(toRecord);
}

/** Events in one state, newest first; `beforeId` continues a page. */
export async function listOutbox(db: Db, options: { state?: OutboxState | null; taskId?: number | null; beforeId?: number; limit: number }): Promise<OutboxRecord[]> {
  let q = db.selectFrom('outbox').selectAll();
  if (options.state) q = q.where('state', '=', options.state);
  if (options.taskId !== undefined && options.taskId !== null) q = q.where('task_id', '=', options.taskId);
  if (options.beforeId !== undefined) q = q.where('id', '<', options.beforeId);
  return (await q.orderBy('id', 'desc').limit(options.limit).execute()).map(toRecord);
}

export async function countOutbox(db: Db): Promise<Record<OutboxState, number>> {
  const rows = await db.selectFrom('outbox').select((eb) => ['state', eb.fn.countAll<number>().as('n')]).groupBy('state').execute();
  const out: Record<OutboxState, number> = { pending: 0, delivered: 0, dead: 0 };
  for (const r of rows) out[r.state as OutboxState] = Number(r.n);
  return out;
}

/** The oldest event not yet delivered: how far behind the portal is. */
export async function oldestUndelivered(db: Db): Promise<number | null> {
  const row = await db.selectFrom('outbox').select((eb) => eb.fn.min('created_at').as('t')).where('state', '<>', 'delivered').executeTakeFirst();
  return row?.t === null || row?.t === undefined ? null : Number(row.t);
}
