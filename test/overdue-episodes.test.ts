/**
 * Response episodes written by the live clock (message by message, in ingest transactions) are
 * exactly what a clock rebuilt from the stored history writes: a restart changes none of them.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createTraffic } from '../src/tdlib/simulator/traffic.ts';
import { settle, startSimDaemon, type SimDaemon } from './helpers/sim-daemon.ts';
import { STORE_KINDS } from './helpers/stores.ts';

let sims: SimDaemon[] = [];
afterEach(async () => {
  await Promise.all(sims.map((s) => s.dispose()));
  sims = [];
});

describe.each(STORE_KINDS)('response episodes on %s', (kind) => {
  it('stay as the live clock wrote them when a restart rebuilds every clock from history', async () => {
    // Traffic a few seconds apart, as people write: history then tells the order messages came in.
    let offset = -400 * 5_000;
    const clock = () => Date.now() + offset;
    const sim = await startSimDaemon({ kind, clock });
    sims.push(sim);
    await settle(sim);
    const traffic = createTraffic(sim.demo.world, sim.demo.company, { seed: 21 });
    for (let i = 0; i < 400; i++) {
      offset += 5_000;
      traffic.step();
      if (i % 50 === 49) await settle(sim, 100);
    }
    await settle(sim);
    const episodes = async (s: SimDaemon) =>
      (await s.store.db.selectFrom('response_episodes').select(['chat_key', 'kind', 'started_at', 'first_message_id', 'ended_at', 'ended_by', 'answered_by', 'overdue_at']).execute())
        .map((r) => JSON.stringify(r))
        .sort();
    const live = await episodes(sim);
    expect(live.length).toBeGreaterThan(20);
    expect(live.some((r) => r.includes('"ended_at":null'))).toBe(true);
    expect(live.some((r) => !r.includes('"ended_at":null'))).toBe(true);

    const next = await sim.restart({ now: clock });
    sims.push(next);
    await settle(next);
    expect(await episodes(next)).toEqual(live);
  }, 60_000);
});
