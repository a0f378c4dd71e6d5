/**
 * The app's side of the portal outbox: what the delivery worker (src/portal) claims, and what
 * it reports back; plus the dead letters the API lists and retries. The worker never touches
 * the store itself (DESIGN.md §4: portal → app).
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Kysely } from 'kysely';
import { badInput } from '../domain/errors.ts';
import { DEFAULT_RETRY_POLICY, parsePortalAnswer, retryDelay, type DeliveryOutcome, type RetryPolicy } from '../domain/tasks.ts';
import type { Logger } from '../shared/log.ts';
import {
  claimDue,
  countOutbox,
  getOutbox,
  listOutbox,
  markDead,
  markDelivered,
  markDeliveredMany,
  markRetry,
  nextDueAfter,
  oldestUndelivered,
  releaseAllLeases,
  releaseLeases,
  retryDead,
  type OutboxRecord,
  type OutboxState,
} from '../store/outbox.repository.ts';
import type { Database } from '../store/schema.ts';
import { appendAudit } from '../store/team.repository.ts';
import type { Actor } from './actions.ts';
import type { Tasks } from './tasks.ts';
import type { Writer } from './writer.ts';

export type { OutboxRecord, OutboxState };

export interface PortalOutboxDeps {
  readonly db: Kysely<Database>;
  readonly dialect: 'sqlite' | 'postgres';
  readonly writer: Writer;
  readonly tasks: Tasks;
  readonly now: () => number;
  readonly logger: Logger;
  readonly retry?: RetryPolicy;
  readonly random?: () => number;
}

export interface OutboxStatus {
  readonly pending: number;
  readonly delivered: number;
  readonly dead: number;
  /** When the oldest event not yet delivered was written; null when the portal has everything. */
  readonly oldestUndeliveredAt: number | null;
}

export interface OutboxPage {
  readonly nodes: readonly OutboxRecord[];
  readonly hasNextPage: boolean;
  readonly endCursor: string | null;
}

export class PortalOutbox {
  /** Names this process's leases; unique per process start. */
  readonly workerId = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  readonly retryPolicy: RetryPolicy;
  private readonly random: () => number;

  constructor(private readonly d: PortalOutboxDeps) {
    this.retryPolicy = d.retry ?? DEFAULT_RETRY_POLICY;
    this.random = d.random ?? Math.random;
  }

  /**
   * On SQLite this process is the store's only user, so leases left by a killed predecessor are
   * freed at once instead of waiting for them to run out. On PostgreSQL another live process may
   * hold them: they run out on their own.
   */
  async start(): Promise<void> {
    if (this.d.dialect === 'sqlite') {
      const freed = await releaseAllLeases(this.d.db);
      if (freed > 0) this.d.logger.info('freed portal deliveries leased before a restart', { freed });
    }
  }

  onWritten(listener: () => void): () => void {
    return this.d.tasks.onOutboxWritten(listener);
  }

  /** Up to `limit` events to send now, at most one per task (the next in its order), leased for `leaseMs`. */
  claim(limit: number, leaseMs: number): Promise<OutboxRecord[]> {
    const now = this.d.now();
    return claimDue(this.d.db, { now, limit, leaseUntil: now + leaseMs, worker: this.workerId });
  }

  /** Gives back events claimed but not sent (the worker is stopping). */
  release(events: readonly OutboxRecord[]): Promise<void> {
    return releaseLeases(this.d.db, events.map((e) => e.id), this.workerId);
  }

  /** When a retry falls due, to sleep until then; null when nothing waits for one. */
  nextDueAfter(): Promise<number | null> {
    return nextDueAfter(this.d.db, this.d.now());
  }

  /** Records what became of one attempt; returns the event's new state. */
  async report(event: OutboxRecord, outcome: DeliveryOutcome): Promise<OutboxState> {
    const now = this.d.now();
    switch (outcome.kind) {
      case 'delivered': {
        const marked = await markDelivered(this.d.db, event.id, this.workerId, now, outcome.status);
        if (marked) {
          await this.d.tasks.recordPortalAnswer(event.taskId, parsePortalAnswer(outcome.answer)).catch((error) => {
            this.d.logger.warn('could not store the portal\'s task id', { taskId: event.taskId, error });
          });
        }
        return 'delivered';
      }
      case 'retry': {
        const attempts = event.attempts + 1;
        if (attempts >= this.retryPolicy.maxAttempts) {
          await markDead(this.d.db, event.id, this.workerId, now, outcome.status, `gave up after ${attempts} attempts: ${outcome.error}`);
          this.d.logger.warn('portal event is a dead letter', { key: event.idempotencyKey, attempts, error: outcome.error });
          return 'dead';
        }
        const wait = retryDelay(attempts, this.retryPolicy, this.random(), outcome.retryAfterMs);
        await markRetry(this.d.db, event.id, this.workerId, now + wait, outcome.status, outcome.error);
        return 'pending';
      }
      case 'refused':
        await markDead(this.d.db, event.id, this.workerId, now, outcome.status, outcome.error);
        this.d.logger.warn('the portal refused an event; it is a dead letter until retried', { key: event.idempotencyKey, status: outcome.status, error: outcome.error });
        return 'dead';
    }
  }

  /**
   * Records several accepted deliveries at once (one statement, one transaction for the portal's
   * answers): a busy drain would otherwise spend more time recording than sending.
   */
  async reportDelivered(items: readonly { event: OutboxRecord; status: number; answer: unknown }[]): Promise<void> {
    if (items.length === 0) return;
    const marked = new Set(await markDeliveredMany(this.d.db, items.map((i) => ({ id: i.event.id, status: i.status })), this.workerId, this.d.now()));
    const answers = items.filter((i) => marked.has(i.event.id)).map((i) => ({ taskId: i.event.taskId, ...parsePortalAnswer(i.answer) }));
    await this.d.tasks.recordPortalAnswers(answers).catch((error) => this.d.logger.warn('could not store the portal\'s task ids', { error }));
  }

  // ---- what the API shows and does ---------------------------------------------------------------

  async status(): Promise<OutboxStatus> {
    const counts = await countOutbox(this.d.db);
    return { ...counts, oldestUndeliveredAt: await oldestUndelivered(this.d.db) };
  }

  /** Events by state (dead letters by default), newest first. */
  async list(options: { state?: OutboxState | null; taskId?: string | null; first: number; after?: string | null }): Promise<OutboxPage> {
    const beforeId = options.after ? idOf(options.after, 'after') : undefined;
    const taskId = options.taskId ? idOf(options.taskId, 'taskId') : null;
    const rows = await listOutbox(this.d.db, { state: options.state ?? null, taskId, ...(beforeId !== undefined ? { beforeId } : {}), limit: options.first + 1 });
    const nodes = rows.slice(0, options.first);
    return { nodes, hasNextPage: rows.length > options.first, endCursor: nodes.length ? String(nodes[nodes.length - 1]!.id) : null };
  }

  async get(id: string): Promise<OutboxRecord | null> {
    return (await getOutbox(this.d.db, [idOf(id, 'id')]))[0] ?? null;
  }

  /** Puts dead letters back in line, due now (all of them when `ids` is null). Returns those retried. */
  async retry(actor: Actor, ids: readonly string[] | null): Promise<OutboxRecord[]> {
    const numeric = ids === null ? null : ids.map((id) => idOf(id, 'ids'));
    const retried = await this.d.writer.run(async (trx) => {
      const now = this.d.now();
      const rows = await retryDead(trx, numeric, now);
      await appendAudit(trx, {
        at: now,
        actor: actor.label,
        action: 'retryPortalDeliveries',
        accountId: null,
        chatKey: null,
        details: { ids: rows.map((r) => String(r.id)), ...(actor.memberUserId !== null ? { memberUserId: actor.memberUserId } : {}) },
        outcome: 'ok',
        errorCode: null,
      });
      return rows;
    });
    if (retried.length > 0) this.d.tasks.notifyOutbox();
    return retried;
  }
}

function idOf(value: string, argument: string): number {
  if (!/^[1-9]\d{0,14}$/.test(value)) throw badInput(`"${value.slice(0, 20)}" is not an id`, { argument });
  return Number(value);
}
