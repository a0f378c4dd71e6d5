/**
 * The running daemon keeps its event log bounded by itself: events older than the retention go,
 * the newest ones always stay, and a subscriber resuming from before what is kept is told to
 * resync. (docs/api.md promises a week and at least 10,000 events; the test shortens both.)
 */
import { afterEach, describe, expect, it } from 'vitest';
import { pruneEvents } from '../src/store/events.repository.ts';
import { DomainError } from '../src/domain/errors.ts';
import { eventually, startSimDaemon, type SimDaemon } from './helpers/sim-daemon.ts';
import { createTestStore, STORE_KINDS } from './helpers/stores.ts';

let running: SimDaemon | null = null;
afterEach(async () => {
  await running?.dispose();
  running = null;
});

describe.each(STORE_KINDS)('event retention on %s', (kind) => {
  it('prunes events past their age on its own timer, keeps the newest, and sends an old resume to resync', async () => {
    let offset = 0;
    const clock = () => Date.now() + offset;
    const minKept = 40;
    const sim = (running = await startSimDaemon({ kind, clock, eventRetention: { maxAgeMs: 60_000, minKept, everyMs: 100 } }));
    const db = sim.store.db;
    const count = async () => Number((await db.selectFrom('events').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
    const oldest = async () => Number((await db.selectFrom('events').select((eb) => eb.fn.min('seq').as('s')).executeTakeFirstOrThrow()).s);
    // The start-up sync published far more than the retention keeps, all of it young.
    const atStart = await count();
    expect(atStart).toBeGreaterThan(minKept * 3);
    const firstSeq = await oldest();
    await new Promise((r) => setTimeout(r, 400));
    expect(await oldest()).toBe(firstSeq);

    // Two minutes later (by the daemon's clock) they are past the retention of one.
    offset = 120_000;
    const cutoff = () => clock() - 60_000;
    const oldLeft = async () => Number((await db.selectFrom('events').select((eb) => eb.fn.countAll().as('n')).where('at', '<', cutoff()).executeTakeFirstOrThrow()).n);
    expect(await eventually(async () => (await oldLeft()) <= minKept, 10_000, 50)).toBe(true);
    // The newest stayed: at least minKept events, and the last one the daemon published.
    expect(await count()).toBeGreaterThanOrEqual(minKept);
    const newest = Number((await db.selectFrom('events').select((eb) => eb.fn.max('seq').as('s')).executeTakeFirstOrThrow()).s);
    expect(newest).toBe(sim.daemon.bus.lastSeq);
    expect(await oldest()).toBeGreaterThan(firstSeq);
    // A subscriber that last saw the first event must refetch.
    const error = await sim.daemon.bus.stream(firstSeq).next().then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).code).toBe('RESYNC_REQUIRED');
  });
});

describe.each(STORE_KINDS)('pruning a large event log on %s', (kind) => {
  it('deletes in chunks, keeping the newest and anything young, whatever gaps the sequence has', async () => {
    const store = await createTestStore(kind);
    try {
      const db = store.db;
      const now = 1_000_000_000_000;
      // 2,500 old events, then 30 young ones; every seventh old one already gone (a gap).
      const rows = Array.from({ length: 2_530 }, (_, i) => ({ type: 'alarmRaised', account_id: null, chat_key: null, payload: '{}', at: i < 2_500 ? now - 86_400_000 + i : now }));
      for (let i = 0; i < rows.length; i += 500) await db.insertInto('events').values(rows.slice(i, i + 500)).execute();
      const seqs = (await db.selectFrom('events').select('seq').orderBy('seq').execute()).map((r) => Number(r.seq));
      await db.deleteFrom('events').where('seq', 'in', seqs.filter((_, i) => i < 2_500 && i % 7 === 0)).execute();
      const left = await db.selectFrom('events').select('seq').orderBy('seq').execute();

      // Keep the newest 100: 70 old ones survive with the 30 young ones.
      const gone = await pruneEvents(db, now - 3_600_000, 100, 300);
      const kept = (await db.selectFrom('events').select(['seq', 'at']).orderBy('seq').execute()).map((r) => Number(r.seq));
      expect(kept).toEqual(left.slice(-100).map((r) => Number(r.seq)));
      expect(gone).toBe(left.length - 100);
      // Nothing old left over the minimum, and a second pass has nothing to do.
      expect(await pruneEvents(db, now - 3_600_000, 100, 300)).toBe(0);
      // With a small minimum, only the young ones stay.
      await pruneEvents(db, now - 3_600_000, 10, 300);
      expect((await db.selectFrom('events').select('at').execute()).every((r) => Number(r.at) === now)).toBe(true);
      expect(await db.selectFrom('events').select('seq').execute()).toHaveLength(30);
    } finally {
      await store.dispose();
    }
  });
});
