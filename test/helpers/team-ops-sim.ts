/**
 * A daemon on the simulated support company with team-operations options (throttles, alert
 * account) and a clock the test moves: what the team-ops tests start from. Like sim-daemon.ts,
 * it can stop and start a new daemon process on the same store and the same simulated Telegram.
 */
import { Daemon } from '../../src/app/daemon.ts';
import type { StoredEvent } from '../../src/app/event-bus.ts';
import type { TeamOpsOptions } from '../../src/app/team-ops.ts';
import { toDomainEvent } from '../../src/app/writer.ts';
import { createDemoWorld, type DemoWorld } from '../../src/cli/demo.ts';
import type { DomainEvent } from '../../src/domain/events.ts';
import { createMemoryLogger } from '../../src/shared/log.ts';
import { openStore, type Store } from '../../src/store/database.ts';
import { createTelegramAccount } from '../../src/tdlib/account.ts';
import { createTestStore, type StoreKind, type TestStore } from './stores.ts';

export interface TeamOpsSim {
  readonly daemon: Daemon;
  readonly demo: DemoWorld;
  readonly store: TestStore;
  readonly events: DomainEvent[];
  readonly logger: ReturnType<typeof createMemoryLogger>;
  /** Waits until the accounts are synced and no job, duty switch or alert look is under way. */
  settle(): Promise<void>;
  stop(): Promise<void>;
  restart(): Promise<TeamOpsSim>;
  dispose(): Promise<void>;
}

export interface TeamOpsSimOptions {
  readonly clock: () => number;
  readonly kind?: StoreKind;
  readonly seed?: number;
  readonly teamOps?: TeamOpsOptions;
  /** Changes the simulated world before the first daemon starts (extra chats, settings, privacy). */
  readonly setup?: (demo: DemoWorld) => void;
}

export async function startTeamOpsSim(options: TeamOpsSimOptions, reuse?: { store: TestStore; demo: DemoWorld }): Promise<TeamOpsSim> {
  const logger = createMemoryLogger('warn');
  const store = reuse?.store ?? (await createTestStore(options.kind ?? 'sqlite'));
  const demo = reuse?.demo ?? createDemoWorld({ seed: options.seed ?? 7, accounts: 4, logger, clock: options.clock });
  if (!reuse) options.setup?.(demo);
  const accounts = reuse
    ? demo.company.accounts.map((member, i) => createTelegramAccount({ accountId: demo.accounts[i]!.accountId, transport: demo.world.connect(member.userId), logger }))
    : demo.accounts;
  const daemonStore: Store = reuse ? await openStore(store.reopenOptions) : store;
  const daemon = new Daemon({ store: daemonStore, accounts, logger, team: demo.team, now: options.clock, searchIndexer: false, ...(options.teamOps ? { teamOps: options.teamOps } : {}) });
  const events: DomainEvent[] = [];
  daemon.bus.subscribe((batch: readonly StoredEvent[]) => events.push(...batch.map(toDomainEvent)));
  await daemonStore.migrate();
  await daemon.start();
  let stopped = false;
  const self: TeamOpsSim = {
    daemon,
    demo: { ...demo, accounts },
    store,
    events,
    logger,
    async settle() {
      for (let i = 0; i < 5; i++) {
        await daemon.whenSynced();
        await daemon.teamOps.whenIdle();
        await new Promise((r) => setTimeout(r, 20));
      }
      await daemon.whenSynced();
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await daemon.close();
      if (daemonStore !== store) await daemonStore.close();
    },
    async restart() {
      await self.stop();
      return startTeamOpsSim(options, { store, demo });
    },
    async dispose() {
      await self.stop();
      await store.dispose();
    },
  };
  await self.settle();
  return self;
}
