/**
 * Simulated Telegram traffic, recorded as the daemon would receive it: every account is a real
 * `createTelegramAccount` over the simulator's TDLib-shaped transport, so updates go through the
 * same translation and the same per-account batching as in the daemon. Benches record first
 * (untimed) and replay the batches through the ingest path afterwards (timed), so the simulator's
 * own cost never counts.
 */
import type { TgEvent } from '../../src/domain/telegram.ts';
import { createLogger } from '../../src/shared/log.ts';
import { createTelegramAccount } from '../../src/tdlib/account.ts';
import type { TelegramAccount } from '../../src/tdlib/port.ts';
import type { SimWorld } from '../../src/tdlib/simulator/world.ts';
import { nextTurn } from './stats.ts';

export interface RecordedAccount {
  readonly accountId: string;
  readonly userId: number;
  /** Login and chat-list loading: what a daemon ingests before live traffic. */
  readonly setup: TgEvent[][];
  /** Live traffic, in the batches the account's queue handed out. */
  readonly traffic: TgEvent[][];
}

export interface Recorder {
  readonly accounts: readonly RecordedAccount[];
  /** Starts every account and loads its chat lists; their events land in `setup`. */
  login(): Promise<void>;
  /** Runs `steps` traffic steps, `perTurn` at a time, letting the accounts' queues drain between turns. */
  play(steps: number, perTurn: number, step: () => void, options?: { maxMs?: number; maxEvents?: number }): Promise<{ steps: number; events: number }>;
  eventCount(phase: 'setup' | 'traffic'): number;
  close(): Promise<void>;
}

const quietLogger = createLogger({ level: 'error' });

export function createRecorder(world: SimWorld, accounts: readonly { accountId: string; userId: number }[]): Recorder {
  let phase: 'setup' | 'traffic' = 'setup';
  const recorded: RecordedAccount[] = accounts.map((a) => ({ ...a, setup: [], traffic: [] }));
  const clients: TelegramAccount[] = accounts.map((a) => createTelegramAccount({ accountId: a.accountId, transport: world.connect(a.userId), logger: quietLogger }));
  let trafficEvents = 0;

  const settle = async (): Promise<void> => {
    // Each account drains its queue on setImmediate; a few turns let every one of them finish.
    for (let i = 0; i < 3; i++) await nextTurn();
  };

  return {
    accounts: recorded,
    async login() {
      await Promise.all(
        clients.map((c, i) =>
          c.start(async (_, events) => {
            const r = recorded[i]!;
            (phase === 'setup' ? r.setup : r.traffic).push([...events]);
            if (phase === 'traffic') trafficEvents += events.length;
          }),
        ),
      );
      await settle();
      for (const c of clients) await c.loadAllChats();
      await settle();
      phase = 'traffic';
    },
    async play(steps, perTurn, step, options = {}) {
      const end = Date.now() + (options.maxMs ?? 10 * 60_000);
      const before = trafficEvents;
      let done = 0;
      while (done < steps && Date.now() < end && trafficEvents - before < (options.maxEvents ?? Number.POSITIVE_INFINITY)) {
        const n = Math.min(perTurn, steps - done);
        for (let i = 0; i < n; i++) step();
        done += n;
        await settle();
      }
      return { steps: done, events: trafficEvents - before };
    },
    eventCount(p) {
      let n = 0;
      for (const r of recorded) for (const b of p === 'setup' ? r.setup : r.traffic) n += b.length;
      return n;
    },
    async close() {
      await Promise.allSettled(clients.map((c) => c.close()));
    },
  };
}

/** Counts message events (new messages) in a list of batches. */
export function countMessageEvents(batches: readonly (readonly TgEvent[])[]): number {
  let n = 0;
  for (const b of batches) for (const e of b) if (e.kind === 'message' || e.kind === 'messageSendSucceeded') n++;
  return n;
}
