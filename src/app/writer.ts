/**
 * The one way the app changes state: a transaction that also stores the events describing the
 * change, then publishes them after the commit (never before: a subscriber must never see an
 * event whose change could still roll back).
 *
 * Writes are serialized: inside this process by a queue, across processes sharing PostgreSQL by
 * a transaction-scoped advisory lock, so event sequence numbers are committed in order and a
 * resuming subscriber can never skip an event that commits late.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import type { DomainEvent } from '../domain/events.ts';
import { eventScope } from '../domain/events.ts';
import { appendEvents } from '../store/events.repository.ts';
import type { Database } from '../store/schema.ts';
import type { EventBus, StoredEvent } from './event-bus.ts';

/** Events are built without a sequence number; the store assigns it. */
export type NewEvent = DomainEvent extends infer E ? (E extends DomainEvent ? Omit<E, 'seq'> : never) : never;

export type Emit = (event: NewEvent) => void;
export type Trx = Transaction<Database>;

const EVENT_ORDER_LOCK = 7_433_201; // an arbitrary constant shared by every tgdesk process

export class Writer {
  private tail: Promise<unknown> = Promise.resolve();
  private running = 0;

  /** True while a transaction is queued or running: a change is on its way to subscribers. */
  get busy(): boolean {
    return this.running > 0;
  }

  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: 'sqlite' | 'postgres',
    private readonly bus: EventBus,
  ) {}

  /**
   * Runs `work` in one transaction. Events it emits are stored in that transaction and published
   * once it commits. `afterCommit` callbacks run after publishing; a failed transaction runs
   * `onRollback` instead, so in-memory state can be rebuilt from the store.
   */
  run<T>(work: (trx: Trx, emit: Emit, hooks: { afterCommit(fn: () => void): void; onRollback(fn: () => void): void }) => Promise<T>): Promise<T> {
    this.running++;
    const next = this.tail.then(() => this.runNow(work)).finally(() => this.running--);
    this.tail = next.catch(() => undefined);
    return next;
  }

  private async runNow<T>(work: Parameters<Writer['run']>[0] extends infer W ? W extends (...a: infer A) => Promise<unknown> ? (...a: A) => Promise<T> : never : never): Promise<T> {
    const emitted: NewEvent[] = [];
    const after: (() => void)[] = [];
    const rollback: (() => void)[] = [];
    let stored: StoredEvent[] = [];
    let result: T;
    try {
      result = await this.db.transaction().execute(async (trx) => {
        if (this.dialect === 'postgres') await sql`select pg_advisory_xact_lock(${EVENT_ORDER_LOCK})`.execute(trx);
        const value = await work(trx, (e) => emitted.push(e), { afterCommit: (fn) => after.push(fn), onRollback: (fn) => rollback.push(fn) });
        stored = await appendEvents(
          trx,
          emitted.map((e) => {
            // The scope reads no sequence number, which the event does not have yet.
            const scope = eventScope(e as DomainEvent);
            return { type: e.type, accountId: scope.accountId, chatKey: scope.chatKey, payload: e, at: e.at };
          }),
        );
        return value;
      });
    } catch (error) {
      for (const fn of rollback) fn();
      throw error;
    }
    this.bus.publish(stored);
    for (const fn of after) fn();
    return result;
  }
}

/** The domain event a stored event carries, with its sequence number. */
export function toDomainEvent(e: StoredEvent): DomainEvent {
  return { ...(e.payload as Omit<DomainEvent, 'seq'>), seq: e.seq } as DomainEvent;
}
