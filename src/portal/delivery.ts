/**
 * Outbound half of the portal connector: delivers the outbox to the portal by signed HTTP POST.
 *
 * - Order: the outbox hands out only the next event of each task, so one task's events are sent
 *   one at a time, each after the previous one was accepted; different tasks go in parallel.
 * - At least once, deduplicated by key: an event is marked delivered only after a 2xx. A crash
 *   between the portal's 2xx and that mark sends it again with the same `Idempotency-Key`, which
 *   the portal uses to drop the copy (docs/portal.md).
 * - Failures: network errors, timeouts, 408, 425, 429 and 5xx are retried with exponential
 *   backoff and jitter (src/domain/tasks.ts `retryDelay`), honouring `Retry-After`; any other
 *   answer is a refusal and the event becomes a dead letter at once, listed in the API with a
 *   retry action. So does an event that keeps failing for about a day.
 */
import type { OutboxRecord, PortalOutbox } from '../app/portal-outbox.ts';
import { classifyStatus, type DeliveryOutcome } from '../domain/tasks.ts';
import type { Logger } from '../shared/log.ts';
import { EVENT_HEADER, IDEMPOTENCY_HEADER, signedHeaders } from './signature.ts';

export interface PortalDeliveryOptions {
  readonly outbox: PortalOutbox;
  readonly url: string;
  readonly secret: string;
  readonly logger: Logger;
  /** Requests in flight at once (each for a different task). */
  readonly concurrency?: number;
  readonly timeoutMs?: number;
  /** Longest sleep while nothing is due: a safety net for wake-ups from another process. */
  readonly pollMs?: number;
  /** The clock the signature's timestamp is taken from. */
  readonly clock?: () => number;
  readonly fetch?: typeof fetch;
}

export interface DeliveryStats {
  delivered: number;
  retried: number;
  dead: number;
  lastError: string | null;
  lastDeliveredAt: number | null;
}

const ANSWER_MAX_BYTES = 64 * 1024;

export class PortalDelivery {
  readonly stats: DeliveryStats = { delivered: 0, retried: 0, dead: 0, lastError: null, lastDeliveredAt: null };
  private readonly concurrency: number;
  private readonly timeoutMs: number;
  private readonly pollMs: number;
  private readonly clock: () => number;
  private readonly fetch: typeof fetch;
  private running = false;
  private loop: Promise<void> | null = null;
  private sleepers: (() => void)[] = [];
  private woken = false;
  private readonly inflight = new Map<number, { event: OutboxRecord; done: Promise<void> }>();
  private readonly abort = new AbortController();
  /** Accepted deliveries waiting to be recorded together (see `recordDelivered`). */
  private accepted: { event: OutboxRecord; status: number; answer: unknown; resolve: () => void; reject: (e: unknown) => void }[] = [];
  private recording: Promise<void> | null = null;
  private unsubscribe: (() => void) | null = null;

  constructor(private readonly o: PortalDeliveryOptions) {
    this.concurrency = Math.max(1, o.concurrency ?? 8);
    this.timeoutMs = o.timeoutMs ?? 10_000;
    this.pollMs = o.pollMs ?? 1_000;
    this.clock = o.clock ?? Date.now;
    this.fetch = o.fetch ?? fetch;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.unsubscribe = this.o.outbox.onWritten(() => this.wake());
    this.loop = this.run().catch((error) => this.o.logger.error('portal delivery stopped', { error }));
  }

  /** Stops claiming; lets requests in flight finish for up to `graceMs`, then abandons them and gives their events back. */
  async stop(graceMs = 2_000): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.unsubscribe?.();
    this.wake();
    await this.loop;
    const pending = [...this.inflight.values()];
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(pending.map((p) => p.done)), new Promise<void>((r) => (timer = setTimeout(r, graceMs)))]);
    clearTimeout(timer);
    if (this.inflight.size > 0) {
      const left = [...this.inflight.values()].map((p) => p.event);
      this.abort.abort();
      await Promise.all([...this.inflight.values()].map((p) => p.done));
      await this.o.outbox.release(left).catch(() => undefined);
    }
  }

  /** Something was written to the outbox, or a dead letter was retried: look now. */
  wake(): void {
    this.woken = true;
    const sleepers = this.sleepers;
    this.sleepers = [];
    for (const s of sleepers) s();
  }

  private async run(): Promise<void> {
    while (this.running) {
      const free = this.concurrency - this.inflight.size;
      // Claiming for one free slot at a time would cost a query per event; wait for half.
      if (free > 0 && (this.inflight.size === 0 || free >= Math.ceil(this.concurrency / 2))) {
        this.woken = false;
        let claimed: OutboxRecord[] = [];
        try {
          claimed = await this.o.outbox.claim(free, this.timeoutMs * 3);
        } catch (error) {
          this.o.logger.warn('could not read the portal outbox', { error });
          await this.sleep(this.pollMs);
          continue;
        }
        if (!this.running) {
          await this.o.outbox.release(claimed).catch(() => undefined);
          return;
        }
        for (const event of claimed) this.send(event);
        // A write during the claim found nobody asleep: look again rather than wait below.
        if (claimed.length > 0 || this.woken) continue;
        if (this.inflight.size === 0) {
          const due = await this.o.outbox.nextDueAfter().catch(() => null);
          // A write or a stop while the outbox was read woke nobody: without this it would wait a whole poll.
          if (this.woken || !this.running) continue;
          await this.sleep(due === null ? this.pollMs : Math.max(5, Math.min(this.pollMs, due - this.clock())));
          continue;
        }
      }
      // Slots are busy (or nothing more is due): wait for a request to finish or a wake-up.
      await Promise.race([...[...this.inflight.values()].map((p) => p.done), this.sleep(this.pollMs)]);
    }
  }

  private send(event: OutboxRecord): void {
    const done = this.deliver(event)
      .then(async (outcome) => {
        if (outcome.kind !== 'delivered') return this.o.outbox.report(event, outcome);
        await this.recordDelivered(event, outcome.status, outcome.answer);
        return 'delivered' as const;
      })
      .then(
        (state) => {
          if (state === 'delivered') {
            this.stats.delivered++;
            this.stats.lastDeliveredAt = this.clock();
          } else if (state === 'dead') this.stats.dead++;
          else this.stats.retried++;
        },
        (error) => {
          // Stopping mid-request, or the store went away: the lease runs out and it is sent again.
          if (!this.abort.signal.aborted) this.o.logger.warn('portal delivery could not be recorded', { key: event.idempotencyKey, error });
        },
      )
      .finally(() => {
        this.inflight.delete(event.id);
        // The task's next event may be claimable now.
        this.wake();
      });
    this.inflight.set(event.id, { event, done });
  }

  /**
   * Records an accepted delivery, batched with the others accepted meanwhile. It resolves once
   * recorded, so the task's next event is claimed only after this one counts as delivered.
   */
  private recordDelivered(event: OutboxRecord, status: number, answer: unknown): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.accepted.push({ event, status, answer, resolve, reject });
      this.recording ??= this.recordAccepted();
    });
  }

  private async recordAccepted(): Promise<void> {
    while (this.accepted.length > 0) {
      // Let the answers of this turn arrive, so they are recorded together.
      await new Promise((r) => setImmediate(r));
      const batch = this.accepted;
      this.accepted = [];
      try {
        await this.o.outbox.reportDelivered(batch.map(({ event, status, answer }) => ({ event, status, answer })));
        for (const b of batch) b.resolve();
      } catch (error) {
        for (const b of batch) b.reject(error);
      }
    }
    this.recording = null;
  }

  /** One attempt: POST the stored body, signed now. Never throws except when stopping. */
  private async deliver(event: OutboxRecord): Promise<DeliveryOutcome> {
    const headers = {
      'content-type': 'application/json; charset=utf-8',
      'user-agent': 'tgdesk-portal-connector/1',
      [IDEMPOTENCY_HEADER]: event.idempotencyKey,
      [EVENT_HEADER]: event.type,
      ...signedHeaders(this.o.secret, event.body, this.clock()),
    };
    try {
      const signal = AbortSignal.any([this.abort.signal, AbortSignal.timeout(this.timeoutMs)]);
      const res = await this.fetch(this.o.url, { method: 'POST', headers, body: event.body, signal });
      const text = await readLimited(res, ANSWER_MAX_BYTES, signal);
      if (res.status >= 200 && res.status < 300) return { kind: 'delivered', status: res.status, answer: parseJson(text) };
      const error = `HTTP ${res.status}${text ? `: ${text.slice(0, 200)}` : ''}`;
      this.stats.lastError = error;
      if (classifyStatus(res.status) === 'refused') return { kind: 'refused', status: res.status, error };
      return { kind: 'retry', status: res.status, error, retryAfterMs: retryAfter(res.headers.get('retry-after'), this.clock()) };
    } catch (error) {
      if (this.abort.signal.aborted) throw error;
      const e = error as Error & { cause?: { code?: string; message?: string } };
      const why = e.name === 'TimeoutError' ? `no answer in ${this.timeoutMs} ms` : (e.cause?.code ?? e.cause?.message ?? e.message);
      this.stats.lastError = why;
      return { kind: 'retry', status: null, error: why, retryAfterMs: null };
    }
  }

  private sleep(ms: number): Promise<void> {
    // Stopping: no sleep may hold the loop, whichever await the stop's wake-up missed.
    if (!this.running) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(finish, ms);
      this.sleepers.push(finish);
    });
  }
}

async function readLimited(res: Response, max: number, signal: AbortSignal): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      if (signal.aborted) throw signal.reason;
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > max) break;
      chunks.push(value);
    }
  } finally {
    reader.cancel().catch(() => undefined);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseJson(text: string): unknown {
  if (!text) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

/** `Retry-After` as seconds or an HTTP date, in ms from now. */
function retryAfter(value: string | null, now: number): number | null {
  if (!value) return null;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}
