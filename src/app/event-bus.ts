/**
 * Publishes stored events to live subscribers, after the commit that stored them.
 *
 * A subscriber that resumes from a sequence number gets a replay from the store followed by
 * the live stream, with nothing missed and nothing repeated (Zulip's register pattern:
 * subscribe first, read the backlog, then drop buffered events the backlog already covered).
 * If the number is older than the log keeps, it gets RESYNC_REQUIRED and must refetch.
 */
import type { Kysely } from 'kysely';
import { DomainError } from '../domain/errors.ts';
import { eventBounds, listEventsAfter, type StoredEvent } from '../store/events.repository.ts';
import type { Database } from '../store/schema.ts';

export type { StoredEvent };

type Listener = (events: readonly StoredEvent[]) => void;

const REPLAY_PAGE = 500;
/** A subscriber that falls this far behind the live stream is cut off rather than buffering without bound. */
const MAX_BUFFERED = 10_000;

export class EventBus {
  private readonly listeners = new Set<Listener>();
  private lastPublished = 0;

  constructor(private readonly db: Kysely<Database>) {}

  get lastSeq(): number {
    return this.lastPublished;
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Called by the app after a commit, with the events that commit stored, in seq order. */
  publish(events: readonly StoredEvent[]): void {
    if (events.length === 0) return;
    this.lastPublished = Math.max(this.lastPublished, events[events.length - 1]!.seq);
    for (const l of this.listeners) {
      try {
        l(events);
      } catch {
        // One broken subscriber must not stop delivery to the others.
      }
    }
  }

  /**
   * Every event after `afterSeq`, then live ones, in seq order. `afterSeq` undefined means
   * "live from now". Ends when `signal` aborts.
   */
  async *stream(afterSeq: number | undefined, signal?: AbortSignal): AsyncGenerator<StoredEvent> {
    const buffer: StoredEvent[] = [];
    let wake: (() => void) | null = null;
    let overflow = false;
    const unsubscribe = this.subscribe((events) => {
      buffer.push(...events);
      if (buffer.length > MAX_BUFFERED) overflow = true;
      wake?.();
    });
    const onAbort = () => wake?.();
    signal?.addEventListener('abort', onAbort);
    try {
      let last = afterSeq ?? this.lastPublished;
      if (afterSeq !== undefined) {
        const bounds = await eventBounds(this.db);
        if (bounds && afterSeq < bounds.oldest - 1) {
          throw new DomainError('RESYNC_REQUIRED', `events after ${afterSeq} are no longer kept (oldest is ${bounds.oldest}); refetch state and subscribe again`, {
            oldestSeq: bounds.oldest,
          });
        }
        for (;;) {
          const page = await listEventsAfter(this.db, last, REPLAY_PAGE);
          for (const e of page) {
            if (signal?.aborted) return;
            yield e;
            last = e.seq;
          }
          if (page.length < REPLAY_PAGE) break;
        }
      }
      for (;;) {
        if (signal?.aborted) return;
        if (overflow) throw new DomainError('RESYNC_REQUIRED', 'this subscriber fell too far behind; refetch state and subscribe again');
        const next = buffer.shift();
        if (next) {
          if (next.seq <= last) continue;
          // A hole means a commit published out of order; read it from the store rather than skip it.
          if (next.seq > last + 1 && afterSeq !== undefined) {
            for (const e of await listEventsAfter(this.db, last, next.seq - last - 1)) {
              if (e.seq < next.seq) {
                yield e;
                last = e.seq;
              }
            }
          }
          yield next;
          last = next.seq;
          continue;
        }
        await new Promise<void>((resolve) => (wake = resolve));
        wake = null;
      }
    } finally {
      unsubscribe();
      signal?.removeEventListener('abort', onAbort);
    }
  }
}
