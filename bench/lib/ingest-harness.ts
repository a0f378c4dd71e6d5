/**
 * The daemon's ingest path without TDLib: what AccountSync.handleBatch (src/app/account-sync.ts)
 * does with a batch, i.e. planBatch, then the Daemon's own IngestBatcher, which stores it with
 * the batches other accounts queued meanwhile in one writer transaction and runs the team layer
 * (TeamProjection, OverdueClock) in it, exactly as in `tgdesk start`. Without the team layer, an
 * IngestBatcher of the same kind runs without a follower.
 */
import { Daemon } from '../../src/app/daemon.ts';
import { EventBus } from '../../src/app/event-bus.ts';
import { IngestBatcher } from '../../src/app/ingest-batcher.ts';
import { planBatch, type AccountSyncState } from '../../src/app/ingest.ts';
import { RecentMessages } from '../../src/app/message-cache.ts';
import type { TeamConfig } from '../../src/app/team-model.ts';
import { Writer } from '../../src/app/writer.ts';
import type { TgEvent } from '../../src/domain/telegram.ts';
import { createLogger, type Logger } from '../../src/shared/log.ts';
import { ensureAccounts, updateAccount } from '../../src/store/accounts.repository.ts';
import type { Store } from '../../src/store/database.ts';
import { putCursors } from '../../src/store/sync-cursors.repository.ts';

export interface IngestHarness {
  readonly states: ReadonlyMap<string, AccountSyncState>;
  readonly daemon: Daemon | null;
  readonly writer: Writer;
  /** Ingest transactions and batches committed so far. */
  readonly counts: IngestBatcher['counts'];
  /** One batch of one account, as AccountSync.handleBatch ingests it. */
  ingest(accountId: string, events: readonly TgEvent[]): Promise<void>;
  /** Marks every chat each account knows as synced up to its stored last message: what a finished reconcile pass leaves. */
  markSynced(): Promise<void>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  readonly store: Store;
  readonly accounts: readonly { accountId: string; userId: number }[];
  /** Run the team layer (TeamProjection + OverdueClock) in the ingest transaction, as the daemon does. */
  readonly follower: boolean;
  readonly team?: Partial<TeamConfig>;
  /** Run the daemon's background search indexer too (only with the follower). */
  readonly searchIndexer?: boolean;
  readonly logger?: Logger;
  readonly now?: () => number;
}

export async function createIngestHarness(options: HarnessOptions): Promise<IngestHarness> {
  const { store } = options;
  const db = store.db;
  const logger = options.logger ?? createLogger({ level: 'error' });
  const t0 = Date.now();
  await ensureAccounts(
    db,
    options.accounts.map((a) => a.accountId),
    t0,
  );
  for (const a of options.accounts) await updateAccount(db, a.accountId, { userId: a.userId, authState: 'ready' }, t0);

  let daemon: Daemon | null = null;
  let writer: Writer;
  let batcher: IngestBatcher;
  let now: () => number;
  if (options.follower) {
    daemon = new Daemon({ store, accounts: [], logger, team: options.team ?? {}, searchIndexer: options.searchIndexer ?? false, ...(options.now ? { now: options.now } : {}) });
    await daemon.start();
    writer = daemon.writer;
    now = daemon.now;
    batcher = daemon.ingest;
  } else {
    writer = new Writer(db, store.dialect, new EventBus(db));
    let last = 0;
    const clock = options.now ?? Date.now;
    now = () => {
      const t = clock();
      last = t > last ? t : last + 1;
      return last;
    };
    batcher = new IngestBatcher({ writer, recent: new RecentMessages(), now });
  }

  const states = new Map<string, AccountSyncState>(
    options.accounts.map((a) => [a.accountId, { accountId: a.accountId, userId: a.userId, chats: new Map(), cursors: new Map(), gapEpochs: new Map(), chatStates: new Map() }]),
  );

  return {
    states,
    daemon,
    writer,
    counts: batcher.counts,
    async ingest(accountId, events) {
      const state = states.get(accountId);
      if (!state) throw new Error(`unknown account ${accountId}`);
      await batcher.submit(state, planBatch(state, events), events);
    },
    async markSynced() {
      const at = now();
      for (const state of states.values()) {
        const rows = await db.selectFrom('account_chats').select(['td_chat_id', 'last_td_message_id']).where('account_id', '=', state.accountId).execute();
        const cursors = rows.map((r) => ({ tdChatId: r.td_chat_id, completeTo: r.last_td_message_id, isSynced: true }));
        await putCursors(db, state.accountId, cursors, at);
        for (const c of cursors) state.cursors.set(c.tdChatId, c);
      }
    },
    async close() {
      await daemon?.close();
    },
  };
}

/**
 * Replays recorded batches with each account's stream running on its own, as in the daemon:
 * every account awaits its own handler before taking its next batch, and the writer serializes
 * the transactions of all accounts. (While one account's transaction waits on PostgreSQL, another
 * account plans its next batch, as in the daemon.)
 */
export async function replayConcurrently(
  harness: IngestHarness,
  streams: readonly { accountId: string; batches: readonly (readonly TgEvent[])[] }[],
  options: { maxMs?: number } = {},
): Promise<{ batches: number; events: number; cut: boolean }> {
  const end = performance.now() + (options.maxMs ?? Number.POSITIVE_INFINITY);
  let batches = 0;
  let events = 0;
  let cut = false;
  await Promise.all(
    streams.map(async (s) => {
      for (const b of s.batches) {
        if (performance.now() > end) {
          cut = true;
          return;
        }
        await harness.ingest(s.accountId, b);
        batches++;
        events += b.length;
      }
    }),
  );
  return { batches, events, cut };
}

/**
 * Replays recorded traffic as TDLib would deliver it at a given rate: batch i of every account
 * arrives `intervalMs` × i after the start, and each account's queue hands the ingest everything
 * that has arrived by the time its previous batch is stored, as src/tdlib/account.ts drains it.
 * When the rate outruns the store, batches grow and more of them share a transaction, exactly as
 * in the daemon under load; when it does not, each batch is stored as it arrives.
 */
export async function replayAtRate(
  harness: IngestHarness,
  streams: readonly { accountId: string; batches: readonly (readonly TgEvent[])[] }[],
  intervalMs: number,
  options: { maxMs?: number } = {},
): Promise<{ batches: number; events: number; cut: boolean }> {
  const t0 = performance.now();
  const end = t0 + (options.maxMs ?? Number.POSITIVE_INFINITY);
  let batches = 0;
  let events = 0;
  let cut = false;
  await Promise.all(
    streams.map(async (s) => {
      let next = 0;
      while (next < s.batches.length) {
        const now = performance.now();
        if (now > end) {
          cut = true;
          return;
        }
        const due = t0 + next * intervalMs;
        if (due > now) await new Promise((resolve) => setTimeout(resolve, Math.ceil(due - now)));
        const arrived = Math.min(s.batches.length, Math.max(next + 1, Math.floor((performance.now() - t0) / intervalMs) + 1));
        const batch = arrived - next === 1 ? s.batches[next]! : s.batches.slice(next, arrived).flat();
        next = arrived;
        await harness.ingest(s.accountId, batch);
        batches++;
        events += batch.length;
      }
    }),
  );
  return { batches, events, cut };
}
