/**
 * Stores every account's ingested batches through the writer, coalescing: while one ingest
 * transaction runs, the batches other accounts (and reconcile passes) submit wait, and the next
 * transaction takes all of them. A message that arrives through three accounts is then written
 * once, and the cost of a transaction (commit, event append, the team layer's diff of dialogs and
 * summary) is paid once per turn instead of once per account.
 *
 * Each submitter still gets its own result, resolved after the commit that stored its batch, so
 * an account's stream keeps its order: it submits its next batch only after the previous one is
 * stored.
 */
import type { SyncState } from '../store/accounts.repository.ts';
import { applyPlans, keepJob, type AccountSyncState, type IngestJob, type IngestResult, type Plan } from './ingest.ts';
import type { RecentMessages } from './message-cache.ts';
import type { TgEvent } from '../domain/telegram.ts';
import type { Emit, Trx, Writer } from './writer.ts';

/** Follows stored batches inside their transaction (the team layer), and after its commit. */
export interface IngestFollower {
  onIngested(trx: Trx, emit: Emit, results: readonly IngestResult[], now: number): Promise<void>;
  onSyncState?(emit: Emit, accountId: string, authState: string, state: SyncState, now: number): void;
  afterCommit?(): void;
}

export interface IngestBatcherOptions {
  readonly writer: Writer;
  readonly follower?: IngestFollower;
  /** Messages stored recently, shared by all accounts: other accounts' copies skip the write. */
  readonly recent?: RecentMessages;
  readonly now: () => number;
  /**
   * Bound one transaction (batches, and their events plus messages), so a backlog is stored in
   * steps that let other writers (actions, the overdue timer) in between. The default of 25,000
   * items is about 2,500 messages, a quarter of a second of work: large enough that a backlog
   * pays a transaction's fixed costs (commit, dialog diffs, the summary) rarely, small enough
   * that an action waits at most that long.
   */
  readonly maxJobsPerTransaction?: number;
  readonly maxItemsPerTransaction?: number;
}

interface Pending {
  readonly job: IngestJob;
  resolve(result: IngestResult): void;
  reject(error: unknown): void;
}

export class IngestBatcher {
  /** Transactions and batches stored so far: how much coalescing the load gave (benchmarks report it). */
  readonly counts = { transactions: 0, batches: 0 };
  private pending: Pending[] = [];
  private queued = false;
  private readonly maxJobs: number;
  private readonly maxItems: number;

  constructor(private readonly options: IngestBatcherOptions) {
    this.maxJobs = options.maxJobsPerTransaction ?? 64;
    this.maxItems = options.maxItemsPerTransaction ?? 25_000;
  }

  /** The batches the next transaction takes: at least one, then as many as the bounds allow. */
  private take(): Pending[] {
    let items = 0;
    let n = 0;
    while (n < this.pending.length && n < this.maxJobs) {
      const job = this.pending[n]!.job;
      items += job.events.length + job.plan.messages.length;
      if (n > 0 && items > this.maxItems) break;
      n++;
    }
    return this.pending.splice(0, n);
  }

  /** Stores one account's planned batch with whatever else is waiting; resolves after the commit. */
  submit(state: AccountSyncState, plan: Plan, events: readonly TgEvent[]): Promise<IngestResult> {
    return new Promise((resolve, reject) => {
      this.pending.push({ job: { state, plan, events }, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.queued || this.pending.length === 0) return;
    this.queued = true;
    let taken: Pending[] = [];
    const { writer, follower, recent, now } = this.options;
    writer
      .run(async (trx, emit, hooks) => {
        // Taken when the transaction starts, not when it was queued: everything that arrived
        // while earlier writes ran goes in together.
        this.queued = false;
        taken = this.take();
        this.schedule();
        const jobs = taken.map((p) => p.job);
        const at = now();
        const results = await applyPlans(trx, jobs, at, recent);
        await follower?.onIngested(trx, emit, results, at);
        hooks.afterCommit(() => {
          this.counts.transactions++;
          this.counts.batches += jobs.length;
          jobs.forEach((job, i) => {
            keepJob(job, results[i]!);
            recent?.remember(results[i]!);
          });
        });
        return results;
      })
      .then(
        (results) => {
          follower?.afterCommit?.();
          taken.forEach((p, i) => p.resolve(results[i]!));
        },
        (error: unknown) => {
          if (taken.length === 0) {
            // The transaction never started: fail what waited for it, and let later submissions try again.
            this.queued = false;
            taken = this.pending.splice(0);
          }
          for (const p of taken) p.reject(error);
        },
      );
  }
}
