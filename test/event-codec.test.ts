/**
 * The stored form of events: what a daemon publishes, stored and read back, is the same event,
 * whatever form its payload takes in the table.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredEvent } from '../src/app/event-bus.ts';
import { decodeEventPayload, encodeEventPayload } from '../src/store/event-codec.ts';
import { createTraffic } from '../src/tdlib/simulator/traffic.ts';
import { settle, startSimDaemon, type SimDaemon } from './helpers/sim-daemon.ts';

let sim: SimDaemon;
const published: StoredEvent[] = [];
beforeAll(async () => {
  sim = await startSimDaemon();
  sim.daemon.bus.subscribe((batch: readonly StoredEvent[]) => published.push(...batch));
  const traffic = createTraffic(sim.demo.world, sim.demo.company, { seed: 11 });
  for (let i = 0; i < 150; i++) traffic.step();
  await sim.daemon.actions.raiseAlarm({ label: 'test', memberUserId: null }, String(sim.demo.company.clientChats[0]!.chatId), 'db-prod-2 лежит');
  await settle(sim);
}, 60_000);
afterAll(async () => {
  await sim?.dispose();
});

describe('stored events', () => {
  it('decode to exactly the events published, of every type, with and without a last message', () => {
    const types = new Set(published.map((e) => e.type));
    for (const t of ['dialogChanged', 'messageAdded', 'overdueChanged', 'teamSummaryChanged', 'alarmRaised']) expect(types).toContain(t);
    const dialogs = published.filter((e) => e.type === 'dialogChanged').map((e) => (e.payload as { dialog: { lastMessage: unknown; alarm: unknown } }).dialog);
    expect(dialogs.some((d) => d.alarm !== null)).toBe(true);
    for (const e of published) {
      const payload = e.payload as { type: string; at: number };
      expect(decodeEventPayload(encodeEventPayload(payload), e.type, e.at)).toEqual(payload);
    }
  });

  it('reads back what the daemon stored, as the event stream replays it', async () => {
    const stored = await sim.store.db.selectFrom('events').selectAll().orderBy('seq').execute();
    const bySeq = new Map(published.map((e) => [e.seq, e]));
    let compared = 0;
    for (const r of stored) {
      const e = bySeq.get(r.seq);
      if (!e) continue;
      expect(decodeEventPayload(r.payload, r.type, Number(r.at))).toEqual(e.payload);
      compared++;
    }
    expect(compared).toBe(published.length);
  });

  it('stores the busiest events in about half the space of their JSON', () => {
    for (const type of ['dialogChanged', 'messageAdded']) {
      const of = published.filter((e) => e.type === type);
      expect(of.length, type).toBeGreaterThan(50);
      // Bytes as the table stores them (UTF-8): the Cyrillic texts, which packing cannot shrink,
      // weigh twice as much there as in characters. Measured at about 0.51 and 0.54.
      const packed = of.reduce((n, e) => n + Buffer.byteLength(encodeEventPayload(e.payload as { type: string; at: number })), 0);
      const json = of.reduce((n, e) => n + Buffer.byteLength(JSON.stringify(e.payload)), 0);
      expect(packed / json, type).toBeLessThan(0.6);
    }
  });

  it('reads rows written as JSON objects, as before the packed form', () => {
    const event = { type: 'dialogRemoved', at: 1_700_000_000_000, accountId: 'alice', chatKey: '-1001' };
    expect(decodeEventPayload(JSON.stringify(event), event.type, event.at)).toEqual(event);
    const older = { type: 'messageAdded', at: 1_700_000_000_000, chatKey: '-1001', message: { messageId: '5', text: 'ok' } };
    expect(decodeEventPayload(JSON.stringify(older), older.type, older.at)).toEqual(older);
  });
});
