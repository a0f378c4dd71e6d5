/**
 * The overdue clock's batched writes (src/app/overdue-clock.ts): many chats due in the same
 * second are flipped in chunks, each chunk its own transaction committed and published before
 * the next, earliest deadline first; what is stored (waiting states, one open episode per wait)
 * and what is published still give the test of record. The start's recompute of every support
 * chat, done many chats per statement, finds the same waits a restart must find.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { readClientStateFromStore } from '../src/app/team-model.ts';
import { applyDomainEvents, type ClientState, type DomainEvent } from '../src/domain/events.ts';
import { eventually, startSimDaemon, type SimDaemon, settle } from './helpers/sim-daemon.ts';
import { STORE_KINDS } from './helpers/stores.ts';

let sims: SimDaemon[] = [];
afterEach(async () => {
  await Promise.all(sims.map((s) => s.dispose()));
  sims = [];
});

function comparable(state: ClientState) {
  const dialogs = [...state.dialogs].map(([account, rows]) => [account, [...rows].sort(([a], [b]) => a.localeCompare(b))] as const).sort(([a], [b]) => a.localeCompare(b));
  return { dialogs, summary: state.teamSummary };
}

async function openEpisodes(sim: SimDaemon, chatKey: string) {
  return sim.store.db.selectFrom('response_episodes').selectAll().where('chat_key', '=', chatKey).where('ended_at', 'is', null).execute();
}

describe.each(STORE_KINDS)('overdue flips in chunks on %s', (kind) => {
  it('flips chats due in one second chunk by chunk, each published at its commit, earliest first, and the events still tell the whole state', async () => {
    const sim = await startSimDaemon({ kind });
    sims.push(sim);
    await settle(sim, 300);
    sim.daemon.clock.flipChunk = 2;
    const team = { ...sim.demo.team, supportChatIds: [], otherChatIds: [], supportTitlePattern: null };
    const threshold = 15 * 60;
    // Chats nobody waits in: a client asks in each, backdated so every deadline falls 1.5 to 2.5 s from now.
    const idle = sim.demo.company.clientChats.filter((c) => {
      const s = sim.daemon.model.overdue.get(String(c.chatId));
      return sim.daemon.model.chats.get(String(c.chatId))?.kind === 'support' && !s?.waiting;
    });
    expect(idle.length).toBeGreaterThanOrEqual(5);
    const chats = idle.slice(0, 7);
    const base = Math.floor(Date.now() / 1000) + 2 - threshold;
    chats.forEach((c, i) => {
      sim.demo.world.sendMessage({ chatId: c.chatId, senderId: c.clients[0]!.userId, text: `web-0${i} отдаёт 502, посмотрите`, date: base + (i % 2) });
    });
    const keys = chats.map((c) => String(c.chatId));
    expect(await eventually(() => keys.every((k) => sim.daemon.model.overdue.get(k)?.waiting), 5000)).toBe(true);
    await eventually(() => !sim.daemon.writer.busy, 5000);
    const before = await readClientStateFromStore(sim.store.db, team, sim.daemon.now());
    const from = sim.events.length;
    // Which publish (commit) each flip arrived in.
    const batchOf = new Map<string, number>();
    let batch = 0;
    sim.daemon.bus.subscribe((events) => {
      batch++;
      for (const e of events) if (e.type === 'overdueChanged' && (e.payload as { waiting: { isOverdue: boolean } }).waiting.isOverdue && e.chatKey) batchOf.set(e.chatKey, batch);
    });
    expect(await eventually(() => keys.every((k) => batchOf.has(k)), 10_000)).toBe(true);
    await settle(sim, 300);

    const flips = sim.events.slice(from).filter((e): e is Extract<DomainEvent, { type: 'overdueChanged' }> => e.type === 'overdueChanged' && e.waiting.isOverdue && keys.includes(e.chatKey));
    expect(flips).toHaveLength(keys.length);
    // Flipped at its deadline, never before, by the clock's own timer: the bound is loose for a busy
    // machine yet well short of the 30 s the timer sleeps at most (how fast: bench/overdue.bench.ts).
    const LATE_MS = 5_000;
    for (const f of flips) {
      const w = sim.daemon.model.overdue.get(f.chatKey)!.waiting!;
      expect(f.waiting).toMatchObject({ waitingSince: w.since, deadline: w.deadline, isOverdue: true, overdueSince: w.deadline });
      expect(f.at).toBeGreaterThanOrEqual(w.deadline);
      expect(f.at - w.deadline).toBeLessThan(LATE_MS);
    }
    // Earliest deadline first, and never more than a chunk per commit.
    const deadlines = flips.map((f) => f.waiting.deadline!);
    expect([...deadlines].sort((a, b) => a - b)).toEqual(deadlines);
    const perBatch = new Map<number, number>();
    for (const k of keys) perBatch.set(batchOf.get(k)!, (perBatch.get(batchOf.get(k)!) ?? 0) + 1);
    expect(Math.max(...perBatch.values())).toBeLessThanOrEqual(2);
    expect(perBatch.size).toBeGreaterThanOrEqual(Math.ceil(keys.length / 2));
    expect(sim.daemon.clock.maxPublishedLatenessMs).toBeLessThan(LATE_MS);

    // Stored: the flip in each waiting state, and each wait's one open episode.
    for (const k of keys) {
      const w = sim.daemon.model.overdue.get(k)!.waiting!;
      const row = await sim.store.db.selectFrom('waiting_state').selectAll().where('chat_key', '=', k).executeTakeFirstOrThrow();
      expect(row).toMatchObject({ waiting_since: w.since, deadline: w.deadline, overdue_since: w.deadline });
      const open = await openEpisodes(sim, k);
      expect(open).toHaveLength(1);
      expect(open[0]).toMatchObject({ started_at: w.since, first_message_id: Number(w.firstClientMessageId) });
    }
    // The test of record across the chunks.
    const published = sim.events.slice(from);
    const applied = applyDomainEvents({ ...before, seq: published[0]!.seq - 1 }, published);
    const fresh = await readClientStateFromStore(sim.store.db, team, sim.daemon.now());
    expect(comparable(applied)).toEqual(comparable(fresh));

    // Answered, then a restart much later: the start's recompute (many chats per statement) finds
    // the remaining waits overdue, closes the answered ones' episodes, and leaves one open episode per wait.
    const answered = chats.slice(0, 3);
    for (const c of answered) sim.demo.world.sendMessage({ chatId: c.chatId, senderId: c.teamIds[0]!, text: 'Перезапустили, проверьте' });
    expect(await eventually(() => answered.every((c) => !sim.daemon.model.overdue.get(String(c.chatId))?.waiting), 5000)).toBe(true);
    await settle(sim, 300);
    const later = Date.now() + 60 * 60_000;
    const next = await sim.restart({ now: () => later });
    sims.push(next);
    for (const c of answered) {
      const k = String(c.chatId);
      expect(next.daemon.model.overdue.get(k)?.waiting ?? null).toBeNull();
      expect(await openEpisodes(next, k)).toHaveLength(0);
      const closed = await next.store.db.selectFrom('response_episodes').selectAll().where('chat_key', '=', k).where('ended_at', 'is not', null).orderBy('started_at', 'desc').execute();
      expect(closed[0]).toMatchObject({ ended_by: 'reply', answered_by: c.teamIds[0] });
      expect(closed[0]!.overdue_at).not.toBeNull();
    }
    for (const c of chats.slice(3)) {
      const k = String(c.chatId);
      const w = next.daemon.model.overdue.get(k)!.waiting!;
      expect(w.overdueSince).toBe(w.deadline);
      expect(await openEpisodes(next, k)).toHaveLength(1);
    }
  }, 60_000);
});
