/**
 * Keeps the search index (migration 0002) in step with `messages`, off the ingest path: ingest
 * only inserts and updates messages, and this loop copies them into the index in batches.
 *
 * Three feeds, each cheap when idle:
 * 1. New messages, by a high-water mark on the message id kept in `search_index_state`. Each
 *    batch reads ids above the mark that have no index entry yet. On SQLite one writer commits
 *    ids in order, so the mark moves with every batch. On PostgreSQL ids are taken before commit
 *    (and burnt by upserts that conflict), so a lower id can still appear after a higher one was
 *    seen: the durable mark trails by `commitLagMs`, and every pass re-reads that short window
 *    with an anti-join against the index, so such a late id is picked up, not skipped.
 * 2. Edits and deletes, found without a trigger and without scanning the table: the two partial
 *    indexes on `messages` hold only edited rows (by edit_date) and deleted rows (by deleted_at).
 *    Every pass re-checks the recent ones (edit dates within `editWindowSeconds` of the newest,
 *    deletions within `deleteWindowMs`) against what the index holds (its edit_date and the text
 *    length), so an edit or delete shows within one poll, well under a second. Every
 *    `fullSweepIntervalMs` one walk over all edited and deleted rows catches the stragglers
 *    (an edit that a reconcile pass brings hours late). Deleted messages never show in results
 *    even before this runs: the query drops them.
 * 3. `search_reindex`: message ids a writer queued explicitly (queueSearchReindex), rebuilt first.
 * 4. The event log: every edit and delete that ingest applies is published as a messageEdited or
 *    messagesDeleted event, stored in the same transaction as the change. The indexer reads those
 *    events after its own mark (`search_index_state.events_to_seq`) and rebuilds or drops their
 *    messages, moving the mark in the same transaction, so a restart resumes where it stopped and
 *    loses no reindex, whatever the edit's date or length (the sweeps of feed 2 cannot see an edit
 *    that keeps the text's length and arrives with an old edit date). If the log no longer holds
 *    the events after the mark (pruned while the daemon was down), one full sweep stands in.
 *
 * It never holds the event loop for long: one batch per transaction, then a turn for the event
 * loop. The background loop also rests after each batch so that it works at most `maxDutyCycle`
 * of the time (0.3 by default): a backlog of a million messages takes at most about a third of
 * the process and of the database from ingest. indexPending runs at full speed.
 */
import type { Kysely } from 'kysely';
import { createTermCache, foldText, indexTermsOf, type TermFn } from '../domain/search-text.ts';
import type { Dialect } from '../store/migrations/types.ts';
import type { Database } from '../store/schema.ts';
import {
  advanceEventsMark,
  advanceIndexedToId,
  deleteSearchDocs,
  dropReindexQueue,
  latestChangeMarks,
  loadMessagesToIndex,
  loadMessagesAfter,
  messageChangesAfter,
  peekReindexQueue,
  readEventsMark,
  readSearchIndexState,
  sweepDeleted,
  sweepEdited,
  writeSearchDocs,
  type MessageToIndex,
  type SearchDoc,
  type SweepPage,
} from '../store/search.repository.ts';
import type { Logger } from '../shared/log.ts';

export interface SearchIndexerOptions {
  readonly db: Kysely<Database>;
  readonly dialect: Dialect;
  readonly logger: Logger;
  /** Messages per transaction. */
  readonly batchSize?: number;
  /** Pause between passes of the background loop when there is nothing to do. */
  readonly pollMs?: number;
  /** Share of time the background loop may spend indexing while it has a backlog (0 < x ≤ 1; default 0.3). */
  readonly maxDutyCycle?: number;
  /** Edits whose edit_date is this close to the newest one are re-checked on every pass. */
  readonly editWindowSeconds?: number;
  /** Deletions this recent (by deleted_at) are re-checked on every pass. */
  readonly deleteWindowMs?: number;
  /** How often all edited and deleted messages are re-checked. */
  readonly fullSweepIntervalMs?: number;
  /** How long a message id may stay invisible after a higher one committed (PostgreSQL). */
  readonly commitLagMs?: number;
  readonly now?: () => number;
}

interface Mark {
  readonly id: number;
  readonly at: number;
}

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export class SearchIndexer {
  private readonly db: Kysely<Database>;
  private readonly dialect: Dialect;
  private readonly logger: Logger;
  private readonly batchSize: number;
  private readonly pollMs: number;
  private readonly dutyCycle: number;
  private readonly editWindowSeconds: number;
  private readonly deleteWindowMs: number;
  private readonly fullSweepIntervalMs: number;
  private readonly commitLagMs: number;
  private readonly now: () => number;
  private readonly term: TermFn = createTermCache();

  /** The durable mark as last read or written. */
  private indexedTo: number | null = null;
  /** The highest id this process has indexed or passed (≥ indexedTo). */
  private frontier = 0;
  /** Frontiers reached by complete scans, waiting for the commit lag before they become durable. */
  private marks: Mark[] = [];
  private nextFullSweepAt = 0;
  private lastRecentSweepAt = Number.NEGATIVE_INFINITY;

  /** Passes run one at a time: background loop, indexPending and whenCaughtUp share this chain. */
  private chain: Promise<unknown> = Promise.resolve();
  private loop: Promise<void> | null = null;
  private stopping = false;
  private wake: (() => void) | null = null;

  constructor(options: SearchIndexerOptions) {
    this.db = options.db;
    this.dialect = options.dialect;
    this.logger = options.logger.child('search-indexer');
    this.batchSize = Math.max(1, Math.floor(options.batchSize ?? 500));
    this.pollMs = options.pollMs ?? 250;
    this.dutyCycle = Math.min(1, Math.max(0.05, options.maxDutyCycle ?? 0.3));
    this.editWindowSeconds = options.editWindowSeconds ?? 3_600;
    this.deleteWindowMs = options.deleteWindowMs ?? 10 * 60_000;
    this.fullSweepIntervalMs = options.fullSweepIntervalMs ?? 10 * 60_000;
    this.commitLagMs = options.commitLagMs ?? (options.dialect === 'postgres' ? 10_000 : 0);
    this.now = options.now ?? Date.now;
  }

  /** Starts the background loop. Idempotent. */
  start(): void {
    if (this.loop) return;
    this.stopping = false;
    this.loop = this.runLoop();
  }

  /** Stops the loop after the batch in progress. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.loop;
    this.loop = null;
    await this.chain.catch(() => undefined);
  }

  /** Indexes everything not yet indexed (new, edited, deleted, queued) at full speed; returns how many messages it touched. */
  indexPending(): Promise<number> {
    return this.serialised(() => this.pass(false));
  }

  /** Resolves when every message change committed before the call is in the index. */
  async whenCaughtUp(): Promise<void> {
    await this.indexPending();
  }

  private serialised<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async runLoop(): Promise<void> {
    let failures = 0;
    while (!this.stopping) {
      let pause = this.pollMs;
      try {
        const started = performance.now();
        const n = await this.serialised(() => this.pass(true));
        if (n > 0) this.logger.debug('indexed', { messages: n, ms: Math.round(performance.now() - started) });
        failures = 0;
      } catch (err) {
        failures++;
        pause = Math.min(30_000, 1_000 * 2 ** Math.min(failures - 1, 5));
        this.logger.warn('search indexing failed; retrying', { err, retryInMs: pause });
      }
      await this.sleep(pause);
    }
  }

  /** Always a macrotask away, even for 0 ms: with SQLite every await in a pass is a microtask, and a loop of those would starve timers and I/O. */
  private sleep(ms: number): Promise<void> {
    if (this.stopping || ms <= 0) return yieldToLoop();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      timer.unref?.();
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        this.wake = null;
        done();
      };
    });
  }

  /** After a batch: a turn for the event loop, and in the background loop a rest that keeps the duty cycle. */
  private async rest(throttled: boolean, workMs: number): Promise<void> {
    if (!throttled) return yieldToLoop();
    await this.sleep(Math.min(1_000, (workMs * (1 - this.dutyCycle)) / this.dutyCycle));
    if (this.stopping) throw new StopRequested();
  }

  private async pass(throttled: boolean): Promise<number> {
    try {
      return await this.passUnchecked(throttled);
    } catch (err) {
      if (err instanceof StopRequested) return 0;
      throw err;
    }
  }

  private async passUnchecked(throttled: boolean): Promise<number> {
    if (this.indexedTo === null) {
      this.indexedTo = (await readSearchIndexState(this.db)).indexedToId;
      this.frontier = Math.max(this.frontier, this.indexedTo);
    }
    const passStart = this.now();
    let touched = await this.drainQueue(throttled);
    touched += await this.followEvents(throttled);
    touched += await this.sweepRecent(throttled);
    if (passStart >= this.nextFullSweepAt) {
      touched += await this.sweepAll(throttled);
      this.nextFullSweepAt = this.now() + this.fullSweepIntervalMs;
    }

    // New messages. Starting at the durable mark re-reads the commit-lag window (PostgreSQL).
    let cursor = this.indexedTo;
    for (;;) {
      const t0 = performance.now();
      const { lastId: last, missing } = await loadMessagesAfter(this.db, cursor, this.batchSize);
      if (last === null) break;
      const docs = this.docsOf(missing);
      if (docs.length > 0 || this.commitLagMs === 0) {
        await this.db.transaction().execute(async (trx) => {
          await writeSearchDocs(trx, this.dialect, docs);
          if (this.commitLagMs === 0) await advanceIndexedToId(trx, last, this.now());
        });
      }
      if (this.commitLagMs === 0) this.indexedTo = Math.max(this.indexedTo, last);
      cursor = last;
      this.frontier = Math.max(this.frontier, last);
      touched += docs.length;
      if (docs.length > 0) await this.rest(throttled, performance.now() - t0);
      else await yieldToLoop();
      // A long backlog must not hold back edits and deletes.
      if (this.now() - this.lastRecentSweepAt >= 200) {
        touched += await this.drainQueue(throttled);
        touched += await this.followEvents(throttled);
        touched += await this.sweepRecent(throttled);
      }
    }

    if (this.commitLagMs > 0) {
      // A mark says "every id up to `id` had been allocated by `at`". Their transactions have
      // committed (or died) by `at` + commit lag, so this scan, which began after passStart and
      // read everything from the durable mark up, has seen them all: the mark may become durable.
      const ready = this.marks.filter((m) => m.at <= passStart - this.commitLagMs);
      const promote = Math.max(0, ...ready.map((m) => m.id));
      if (promote > this.indexedTo) {
        await advanceIndexedToId(this.db, promote, this.now());
        this.indexedTo = promote;
      }
      this.marks = this.marks.filter((m) => m.at > passStart - this.commitLagMs);
      const lastMark = this.marks[this.marks.length - 1];
      if (this.frontier > this.indexedTo && (!lastMark || lastMark.id < this.frontier)) this.marks.push({ id: this.frontier, at: this.now() });
    }
    return touched;
  }

  private docsOf(rows: readonly MessageToIndex[]): SearchDoc[] {
    return rows
      .filter((r) => !r.deleted)
      .map((r) => ({
        messageId: r.id,
        chatKey: r.chatKey,
        senderUserId: r.senderUserId,
        date: r.date,
        editDate: r.editDate,
        textLen: r.textLen,
        terms: indexTermsOf(r.text, this.term),
        folded: foldText(r.text),
      }));
  }

  /** Rebuilds the entries of these messages, or drops them where the message is gone or deleted. */
  private async reindex(messageIds: readonly number[], after?: (trx: Kysely<Database>) => Promise<void>): Promise<number> {
    const rows = await loadMessagesToIndex(this.db, messageIds);
    const live = new Set(rows.filter((r) => !r.deleted).map((r) => r.id));
    const gone = messageIds.filter((id) => !live.has(id));
    await this.db.transaction().execute(async (trx) => {
      await writeSearchDocs(trx, this.dialect, this.docsOf(rows));
      if (gone.length > 0) await deleteSearchDocs(trx, this.dialect, gone);
      await after?.(trx);
    });
    return messageIds.length;
  }

  private async drainQueue(throttled: boolean): Promise<number> {
    let touched = 0;
    for (;;) {
      const t0 = performance.now();
      const { upToQueueId, messageIds } = await peekReindexQueue(this.db, this.batchSize);
      if (upToQueueId === 0) return touched;
      touched += await this.reindex(messageIds, (trx) => dropReindexQueue(trx, upToQueueId));
      await this.rest(throttled, performance.now() - t0);
    }
  }

  /** Rebuilds the messages that edit and delete events published after the mark (feed 4). */
  private async followEvents(throttled: boolean): Promise<number> {
    const { eventsToSeq, oldest, newest } = await readEventsMark(this.db);
    if (newest <= eventsToSeq) return 0;
    let touched = 0;
    if (oldest !== null && oldest > eventsToSeq + 1) {
      // Events after the mark were pruned before they were read: look at every edit and delete.
      touched += await this.sweepAll(throttled);
      this.nextFullSweepAt = this.now() + this.fullSweepIntervalMs;
    }
    for (let from = eventsToSeq; from < newest; ) {
      const t0 = performance.now();
      const page = await messageChangesAfter(this.db, from, newest, this.batchSize);
      const mark = (trx: Kysely<Database>) => advanceEventsMark(trx, page.upToSeq, this.now());
      if (page.messageIds.length > 0) touched += await this.reindex(page.messageIds, mark);
      else await mark(this.db);
      from = page.upToSeq;
      if (page.messageIds.length > 0) await this.rest(throttled, performance.now() - t0);
    }
    return touched;
  }

  /** Re-checks recent edits and deletions against the index. */
  private async sweepRecent(throttled: boolean): Promise<number> {
    this.lastRecentSweepAt = this.now();
    const marks = await latestChangeMarks(this.db);
    let touched = 0;
    if (marks.editDate > 0) touched += await this.sweep(throttled, (from) => sweepEdited(this.db, from, this.frontier, this.batchSize), { at: marks.editDate - this.editWindowSeconds, id: 0 });
    if (marks.deletedAt > 0) touched += await this.sweep(throttled, (from) => sweepDeleted(this.db, from, this.batchSize), { at: marks.deletedAt - this.deleteWindowMs, id: 0 });
    return touched;
  }

  /** Re-checks every edited and deleted message: the partial indexes, not the table. */
  private async sweepAll(throttled: boolean): Promise<number> {
    let touched = await this.sweep(throttled, (from) => sweepEdited(this.db, from, this.frontier, this.batchSize), { at: 1, id: 0 });
    touched += await this.sweep(throttled, (from) => sweepDeleted(this.db, from, this.batchSize), { at: Number.MIN_SAFE_INTEGER, id: 0 });
    return touched;
  }

  private async sweep(throttled: boolean, page: (from: { at: number; id: number }) => Promise<SweepPage>, start: { at: number; id: number }): Promise<number> {
    let touched = 0;
    for (let from: { at: number; id: number } | null = start; from !== null; ) {
      const t0 = performance.now();
      const p: SweepPage = await page(from);
      if (p.stale.length > 0) touched += await this.reindex(p.stale);
      from = p.next;
      if (from !== null || p.stale.length > 0) await this.rest(throttled, performance.now() - t0);
    }
    return touched;
  }
}

class StopRequested extends Error {}
