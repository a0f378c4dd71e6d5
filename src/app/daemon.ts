/**
 * The daemon's core, wired together: the store, the event bus and writer, the team model with
 * its overdue clock, and one AccountSync per account. The CLI builds it with real TDLib or the
 * simulator; the API reads through `queries` and acts through `actions`.
 */
import type { Logger } from '../shared/log.ts';
import { ensureAccounts } from '../store/accounts.repository.ts';
import type { Store } from '../store/database.ts';
import { lastEventAt, pruneEvents } from '../store/events.repository.ts';
import { countQueues, type QueueCounts } from '../store/queues.repository.ts';
import { ensureDefaultPolicy } from '../store/team.repository.ts';
import type { TelegramAccount } from '../tdlib/port.ts';
import { AccountSync } from './account-sync.ts';
import { IngestBatcher, type IngestFollower } from './ingest-batcher.ts';
import { Actions } from './actions.ts';
import { RecentMessages } from './message-cache.ts';
import { AuditLog } from './audit.ts';
import { EventBus } from './event-bus.ts';
import { FLIP_CHUNK, OverdueClock } from './overdue-clock.ts';
import { Preferences } from './preferences.ts';
import { Queries } from './queries.ts';
import { MessageSearch } from './search.ts';
import { SearchIndexer } from './search-indexer.ts';
import { Monitoring } from './stats.ts';
import { loadStoredWaiting, TeamModel, type TeamConfig } from './team-model.ts';
import { TeamProjection } from './team-projection.ts';
import { ApiTokens } from './tokens.ts';
import { Writer } from './writer.ts';
import { TeamOps, type TeamOpsOptions } from './team-ops.ts';
import { PortalOutbox } from './portal-outbox.ts';
import { Tasks, type TasksConfig } from './tasks.ts';
import type { RetryPolicy } from '../domain/tasks.ts';

export interface DaemonOptions {
  readonly store: Store;
  readonly accounts: readonly TelegramAccount[];
  readonly logger: Logger;
  readonly team?: Partial<TeamConfig>;
  readonly now?: () => number;
  readonly backfillMessages?: number;
  /** Keep the search index in step in the background (default true). */
  readonly searchIndexer?: boolean;
  /** Membership jobs, duty and alerts (src/app/team-ops.ts): throttles, alert account, channels. */
  readonly teamOps?: TeamOpsOptions;
  /** Tasks: the optional reaction on their messages (off by default). */
  readonly tasks?: TasksConfig;
  /** How portal deliveries are retried (tests shorten it). */
  readonly portalRetry?: RetryPolicy;
  /** How long the event log keeps events, how many it always keeps, how often it is pruned (tests shorten them). */
  readonly eventRetention?: Partial<EventRetention>;
}

export interface EventRetention {
  readonly maxAgeMs: number;
  readonly minKept: number;
  readonly everyMs: number;
}

const DEFAULT_EVENT_RETENTION: EventRetention = { maxAgeMs: 7 * 86_400_000, minKept: 10_000, everyMs: 10 * 60_000 };

/** A clock that never returns the same millisecond twice, so "first seen now" is exact. */
export function strictlyIncreasing(clock: () => number): () => number {
  let last = 0;
  return () => {
    const t = clock();
    last = t > last ? t : last + 1;
    return last;
  };
}

export class Daemon {
  readonly queries: Queries;
  readonly actions: Actions;
  readonly accounts: ReadonlyMap<string, TelegramAccount>;
  readonly syncs: ReadonlyMap<string, AccountSync>;
  readonly bus: EventBus;
  readonly writer: Writer;
  /** Stores every account's batches, several accounts' per transaction. */
  readonly ingest: IngestBatcher;
  readonly model: TeamModel;
  readonly clock: OverdueClock;
  readonly now: () => number;
  // The API's services (src/graphql): tokens, preferences, search and the audit log.
  readonly tokens: ApiTokens;
  readonly preferences: Preferences;
  readonly search: MessageSearch;
  readonly audit: AuditLog;
  readonly searchIndexer: SearchIndexer | null;
  // The roster, membership jobs, duty, alerts and admin activity.
  readonly teamOps: TeamOps;
  // Tasks from messages, and their outbox to the portal (src/portal delivers it).
  readonly tasks: Tasks;
  readonly portalOutbox: PortalOutbox;
  // Response-time statistics and the NOC wall's support board (src/noc).
  readonly monitoring: Monitoring;
  private readonly logger: Logger;
  private readonly store: Store;
  private readonly projection: TeamProjection;
  private pruneTimer: NodeJS.Timeout | null = null;
  private readonly retention: EventRetention;

  constructor(options: DaemonOptions) {
    this.store = options.store;
    this.retention = { ...DEFAULT_EVENT_RETENTION, ...options.eventRetention };
    this.logger = options.logger;
    this.now = strictlyIncreasing(options.now ?? Date.now);
    const db = options.store.db;
    this.bus = new EventBus(db);
    this.writer = new Writer(db, options.store.dialect, this.bus);
    this.model = new TeamModel({
      teamChatId: options.team?.teamChatId ?? null,
      members: options.team?.members ?? [],
      supportChatIds: options.team?.supportChatIds ?? [],
      otherChatIds: options.team?.otherChatIds ?? [],
      supportTitlePattern: options.team?.supportTitlePattern ?? null,
      companyNames: options.team?.companyNames ?? [],
    });
    this.clock = new OverdueClock(this.model, this.writer, this.now, options.logger.child('overdue'));
    this.projection = new TeamProjection(this.model, this.clock);
    this.queries = new Queries(db, this.model, this.bus, () => this.syncs.keys(), this.now);
    this.tokens = new ApiTokens(db);
    this.preferences = new Preferences(db, this.writer, this.now);
    this.search = new MessageSearch(db, options.store.dialect, this.queries);
    this.audit = new AuditLog(db);
    this.monitoring = new Monitoring(db, this.model, this.bus, this.now);
    this.searchIndexer = options.searchIndexer === false ? null : new SearchIndexer({ db, dialect: options.store.dialect, logger: options.logger });
    this.accounts = new Map(options.accounts.map((a) => [a.accountId, a]));
    this.actions = new Actions({
      db,
      writer: this.writer,
      model: this.model,
      clock: this.clock,
      queries: this.queries,
      accounts: this.accounts,
      now: this.now,
      logger: options.logger.child('actions'),
    });
    this.tasks = new Tasks({ db, writer: this.writer, model: this.model, accounts: this.accounts, now: this.now, logger: options.logger.child('tasks'), ...(options.tasks ? { config: options.tasks } : {}) });
    this.portalOutbox = new PortalOutbox({ db, dialect: options.store.dialect, writer: this.writer, tasks: this.tasks, now: this.now, logger: options.logger.child('portal'), ...(options.portalRetry ? { retry: options.portalRetry } : {}) });
    const follower: IngestFollower = {
      onIngested: (trx, emit, result, now) => this.projection.onIngested(trx, emit, result, now),
      onSyncState: (emit, accountId, authState, state, now) => this.projection.emitSyncState(emit, accountId, authState, state, now),
      afterCommit: () => this.clock.schedule(),
    };
    this.ingest = new IngestBatcher({ writer: this.writer, follower, recent: new RecentMessages(), now: this.now });
    this.syncs = new Map(
      options.accounts.map((account) => [
        account.accountId,
        new AccountSync({
          db,
          writer: this.writer,
          batcher: this.ingest,
          follower,
          account,
          logger: options.logger.child('sync', { accountId: account.accountId }),
          now: this.now,
          backfillMessages: options.backfillMessages ?? 1000,
          onSyncStateChanged: (accountId, state) => options.logger.info('sync state', { accountId, state }),
        }),
      ]),
    );
    this.teamOps = new TeamOps({
      db,
      writer: this.writer,
      model: this.model,
      clock: this.clock,
      bus: this.bus,
      accounts: this.accounts,
      teamChatId: options.team?.teamChatId ?? null,
      now: this.now,
      logger: options.logger,
      whenAccountReady: (accountId) => this.syncs.get(accountId)?.whenIdle() ?? Promise.resolve(),
      ...(options.teamOps ? { options: options.teamOps } : {}),
    });
    // Response times per shift and the wall's duty column follow the duty schedules.
    this.monitoring.duty = this.teamOps.duty.dutySource();
  }

  async start(): Promise<void> {
    const db = this.store.db;
    const now = this.now();
    await ensureAccounts(db, [...this.syncs.keys()], now);
    await ensureDefaultPolicy(db, now);
    await this.model.load(db, now);
    await this.teamOps.load();
    await this.portalOutbox.start();
    await this.restoreOverdue(now);
    this.clock.schedule();
    this.searchIndexer?.start();
    // Response-time statistics read from memory; the first load runs in the background.
    this.monitoring.warm();
    // Accounts start independently: one that cannot start (bad database key, lost session) must not stop the others.
    await Promise.all(
      [...this.syncs.values()].map((s) => s.start().catch((error) => this.logger.error('account failed to start', { accountId: s.accountId, error }))),
    );
    await this.teamOps.start();
    // Once now, as a daemon restarted more often than the interval would otherwise never prune.
    void this.pruneEvents();
    this.pruneTimer = setInterval(() => void this.pruneEvents(), this.retention.everyMs);
    this.pruneTimer.unref();
  }

  /**
   * Subscribers were last told the stored waiting states; recomputing every support chat from
   * its history finds what changed while the daemon was down, and each difference becomes an event.
   */
  private async restoreOverdue(now: number): Promise<void> {
    await loadStoredWaiting(this.model, this.store.db);
    // Subscribers last heard of the state at the newest stored event: a wait that passed its
    // deadline since then must reach them as an event, not only show in a fresh read.
    this.model.resetMirror((await lastEventAt(this.store.db)) ?? now);
    // The model was loaded without events: dialog rows kept from before would not hear of it.
    this.queries.resetDialogRows();
    // Recomputed FLIP_CHUNK chats per transaction (a few statements each), each chunk's events
    // published at its commit; a last pass emits whatever else differs from what subscribers know.
    const chatKeys = [...this.model.chats.values()].filter((entry) => entry.kind === 'support' || this.model.overdue.has(entry.record.key)).map((entry) => entry.record.key);
    for (let i = 0; i < chatKeys.length; i += FLIP_CHUNK) {
      const chunk = chatKeys.slice(i, i + FLIP_CHUNK);
      await this.writer.run(async (trx, emit) => {
        await this.clock.recomputeMany(trx, emit, chunk, now);
        this.model.emitDialogDiffs(emit, chunk, now);
      });
    }
    await this.writer.run(async (_trx, emit) => this.model.emitDialogDiffs(emit, this.model.chats.keys(), now));
  }

  /**
   * Keeps the event log bounded: a week of events, and never fewer than the newest 10,000, so a
   * subscriber that was away longer gets RESYNC_REQUIRED and refetches.
   */
  async pruneEvents(): Promise<number> {
    try {
      return await pruneEvents(this.store.db, this.now() - this.retention.maxAgeMs, this.retention.minKept);
    } catch (error) {
      this.logger.warn('pruning the event log failed', { error });
      return 0;
    }
  }

  /** How much work waits in the queues (membership jobs, the portal and alert outboxes), counted in the store. */
  queueDepths(): Promise<QueueCounts> {
    return countQueues(this.store.db);
  }

  /** Resolves when every account has loaded its chats and finished its reconcile passes. */
  async whenSynced(): Promise<void> {
    await Promise.all([...this.syncs.values()].map((s) => s.whenIdle()));
  }

  /** Closes every TDLib client cleanly and waits for all of them (DESIGN.md §6: never kill TDLib mid-write). */
  async close(): Promise<void> {
    if (this.pruneTimer) clearInterval(this.pruneTimer);
    await this.clock.stop();
    this.tokens.close();
    await this.teamOps.stop();
    this.monitoring.close();
    await this.searchIndexer?.stop();
    await this.tasks.whenReactionsSettled();
    await Promise.allSettled([...this.syncs.values()].map((s) => s.close()));
  }
}
