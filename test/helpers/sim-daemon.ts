/**
 * A daemon on the simulated support company, in this process, on a real store: what most app
 * and API tests start from. Events the daemon publishes are collected from the moment it starts.
 */
import { dueChats } from '../../src/domain/overdue.ts';
import { createDemoWorld, type DemoWorld } from '../../src/cli/demo.ts';
import { Daemon, type EventRetention } from '../../src/app/daemon.ts';
import type { StoredEvent } from '../../src/app/event-bus.ts';
import { toDomainEvent } from '../../src/app/writer.ts';
import type { DomainEvent } from '../../src/domain/events.ts';
import { createMemoryLogger } from '../../src/shared/log.ts';
import { createTestStore, type StoreKind, type TestStore } from './stores.ts';
import { openStore } from '../../src/store/database.ts';
import { createTelegramAccount } from '../../src/tdlib/account.ts';

export interface SimDaemon {
  readonly daemon: Daemon;
  readonly demo: DemoWorld;
  readonly store: TestStore;
  readonly events: DomainEvent[];
  readonly logger: ReturnType<typeof createMemoryLogger>;
  /** Closes the daemon (TDLib clients) but keeps the store, as a stopped process would. */
  stop(): Promise<void>;
  /** A new daemon process on the same store and the same simulated Telegram. */
  restart(options?: { now?: () => number; backfillMessages?: number }): Promise<SimDaemon>;
  dispose(): Promise<void>;
}

/**
 * `clock` is shared by the simulated Telegram (message dates) and the daemon, as real time is;
 * a test moves both by moving it.
 */
export async function startSimDaemon(options: { kind?: StoreKind; seed?: number; accounts?: number; now?: () => number; clock?: () => number; store?: TestStore; demo?: DemoWorld; eventRetention?: Partial<EventRetention>; backfillMessages?: number } = {}): Promise<SimDaemon> {
  const logger = createMemoryLogger('info');
  const store = options.store ?? (await createTestStore(options.kind ?? 'sqlite'));
  const demo = options.demo ?? createDemoWorld({ seed: options.seed ?? 7, accounts: options.accounts ?? 4, logger, ...(options.clock ? { clock: options.clock } : {}) });
  const accounts = options.demo
    ? demo.company.accounts.map((member, i) =>
        createTelegramAccount({ accountId: demo.accounts[i]!.accountId, transport: demo.world.connect(member.userId), logger }),
      )
    : demo.accounts;
  const daemonStore = options.store ? await openStore(store.reopenOptions) : store;
  const now = options.now ?? options.clock;
  const daemon = new Daemon({ store: daemonStore, accounts, logger, team: demo.team, ...(now ? { now } : {}), ...(options.eventRetention ? { eventRetention: options.eventRetention } : {}), ...(options.backfillMessages !== undefined ? { backfillMessages: options.backfillMessages } : {}) });
  const events: DomainEvent[] = [];
  daemon.bus.subscribe((batch: readonly StoredEvent[]) => events.push(...batch.map(toDomainEvent)));
  await daemonStore.migrate();
  await daemon.start();
  await daemon.whenSynced();
  let stopped = false;
  const self: SimDaemon = {
    daemon,
    demo: { ...demo, accounts },
    store,
    events,
    logger,
    async stop() {
      if (stopped) return;
      stopped = true;
      await daemon.close();
      if (daemonStore !== store) await daemonStore.close();
    },
    async restart(o = {}) {
      await self.stop();
      return startSimDaemon({ store, demo, ...(o.now ? { now: o.now } : {}), ...(o.backfillMessages !== undefined ? { backfillMessages: o.backfillMessages } : {}) });
    },
    async dispose() {
      await self.stop();
      await store.dispose();
    },
  };
  return self;
}

/** Waits until `check` passes or the time is up; returns whether it passed. */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 5000, everyMs = 20): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() >= end) return false;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/**
 * Waits until every queued update is ingested (no event for `quietMs`), the writer is idle and
 * the overdue clock has flipped every wait whose deadline has passed.
 */
export async function settle(sim: SimDaemon, quietMs = 400): Promise<void> {
  let last = -1;
  await eventually(async () => {
    await sim.daemon.whenSynced();
    const n = sim.events.length;
    const support = [...sim.daemon.model.overdue.values()].filter((s) => sim.daemon.model.chats.get(s.chatKey)?.kind === 'support');
    const quiet = n === last && !sim.daemon.writer.busy && dueChats(support, sim.daemon.now()).length === 0;
    last = n;
    return quiet;
  }, 30_000, quietMs);
}
