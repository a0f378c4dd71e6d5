/**
 * Response-time statistics (issue 8) against figures computed by hand: first a scripted set of
 * episodes through the pure functions, then a scripted conversation through a daemon on the
 * simulator (messages → overdue clock → stored episodes → `Monitoring.stats`), and the support
 * board the wall reads, live.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  computeStats,
  dayWindows,
  distributionOf,
  fixedShiftWindows,
  hourWindows,
  localBoundaries,
  quantileSorted,
  windowsFromBoundaries,
  type ResponseFigures,
  type StatsEpisode,
} from '../src/domain/stats.ts';
import { HOUR, MINUTE } from '../src/domain/time.ts';
import { Monitoring, type BoardChange } from '../src/app/stats.ts';
import { startApiServer } from '../src/graphql/server.ts';
import { createMemoryLogger } from '../src/shared/log.ts';
import { eventually, startSimDaemon, type SimDaemon } from './helpers/sim-daemon.ts';

const T = (hhmm: string) => Date.parse(`2025-06-02T${hhmm}:00Z`);
const A = 'chat-A';
const B = 'chat-B';
const C = 'chat-C';
const ANNA = 1;
const BORIS = 2;

function ep(chatKey: string, kind: 'first' | 'next', start: string, end: string | null, by: number | null, opts: { ack?: boolean } = {}): StatsEpisode {
  const startedAt = T(start);
  const deadline = startedAt + 15 * MINUTE;
  const endedAt = end === null ? null : T(end);
  return {
    chatKey,
    kind,
    startedAt,
    endedAt,
    endedBy: endedAt === null ? null : opts.ack ? 'ack' : 'reply',
    answeredBy: by,
    // As stored: the deadline for a wait answered late; open waits leave it to `deadline`.
    overdueAt: endedAt !== null && endedAt >= deadline ? deadline : null,
    deadline,
  };
}

/**
 * The day, threshold 15 minutes, now = 21:00:
 *  1. A first 08:00 → 08:05 Anna      5 min   in time
 *  2. A next  08:30 → 08:50 Boris    20 min   late (overdue 08:45)
 *  3. B first 09:00 → 09:03 Anna      3 min   in time
 *  4. B next  09:10 → 09:20 Anna     10 min   in time, "It's OK"
 *  5. C first 10:00 → 10:40 Boris    40 min   late
 *  6. C next  20:40 open                      overdue since 20:55
 *  7. A next  20:50 open                      deadline 21:05, not yet overdue
 *  8. B first 20:30 → 20:32 Boris     2 min   in time
 */
const EPISODES: StatsEpisode[] = [
  ep(A, 'first', '08:00', '08:05', ANNA),
  ep(A, 'next', '08:30', '08:50', BORIS),
  ep(B, 'first', '09:00', '09:03', ANNA),
  ep(B, 'next', '09:10', '09:20', ANNA, { ack: true }),
  ep(C, 'first', '10:00', '10:40', BORIS),
  ep(C, 'next', '20:40', null, null),
  ep(A, 'next', '20:50', null, null),
  ep(B, 'first', '20:30', '20:32', BORIS),
  // Outside the range: ignored.
  ep(A, 'first', '07:59', '08:01', ANNA),
];
const FROM = T('08:00');
const TO = T('21:00');
const NOW = T('21:00');
const m = (minutes: number) => minutes * MINUTE;
const DAY_MS = 24 * HOUR;

describe('statistics by hand', () => {
  it('quantiles interpolate between closest ranks', () => {
    expect(quantileSorted([2, 4, 6, 8], 0.5)).toBe(5);
    expect(quantileSorted([7], 0.9)).toBe(7);
    expect(quantileSorted([], 0.5)).toBeNull();
    // h = 9 × 0.9 = 8.1: 10% of the way from the 9th value (9) to the 10th (100).
    expect(quantileSorted([1, 2, 3, 4, 5, 6, 7, 8, 9, 100], 0.9)).toBeCloseTo(18.1, 10);
    expect(distributionOf([3, 1, 2])).toEqual({ count: 3, medianMs: 2, p90Ms: 2.8, meanMs: 2, maxMs: 3 });
  });

  it('totals: waits, answers, overdue, share in time, first and next response medians and p90', () => {
    const r = computeStats(EPISODES, { from: FROM, to: TO, now: NOW });
    const t = r.total;
    expect({ waits: t.waits, answered: t.answered, acknowledged: t.acknowledged, open: t.open, overdue: t.overdue, answeredInTime: t.answeredInTime }).toEqual({
      waits: 8,
      answered: 6,
      acknowledged: 1,
      open: 2,
      // 2 and 5 answered late, 6 open past its deadline.
      overdue: 3,
      answeredInTime: 4,
    });
    // In time 1, 3, 4, 8 out of the decided: 6 answered + 1 open and overdue.
    expect(t.shareInTime).toBeCloseTo(4 / 7, 12);
    // First responses 2, 3, 5, 40 min: median (3 + 5) / 2; p90 at h = 2.7: 5 + 0.7 × 35.
    expect(t.first).toMatchObject({ count: 4, medianMs: m(4), meanMs: m(12.5), maxMs: m(40) });
    expect(t.first.p90Ms).toBeCloseTo(m(29.5), 6);
    // Next responses 10, 20: median 15; p90 at h = 0.9: 10 + 0.9 × 10.
    expect(t.next).toMatchObject({ count: 2, medianMs: m(15), meanMs: m(15), maxMs: m(20) });
    expect(t.next.p90Ms).toBeCloseTo(m(19), 6);
    // All: 2, 3, 5, 10, 20, 40: median 7.5; p90 at h = 4.5: 20 + 0.5 × 20.
    expect(t.all.medianMs).toBe(m(7.5));
    expect(t.all.p90Ms).toBeCloseTo(m(30), 6);
    // Open waits are decided as time passes: at 21:05 the 20:50 wait is overdue too.
    const later = computeStats(EPISODES, { from: FROM, to: TO, now: T('21:05') }).total;
    expect(later.overdue).toBe(4);
    expect(later.shareInTime).toBeCloseTo(4 / 8, 12);
  });

  it('per admin who answered', () => {
    const r = computeStats(EPISODES, { from: FROM, to: TO, now: NOW, groupBy: 'admin' });
    expect(r.groups.map((g) => g.key)).toEqual(['1', '2']);
    const [anna, boris] = r.groups.map((g) => g.figures) as [ResponseFigures, ResponseFigures];
    expect(anna).toMatchObject({ waits: 3, answered: 3, acknowledged: 1, overdue: 0, answeredInTime: 3, shareInTime: 1 });
    expect(anna.first.medianMs).toBe(m(4)); // 3 and 5
    expect(anna.next.medianMs).toBe(m(10));
    expect(boris).toMatchObject({ waits: 3, answered: 3, overdue: 2, answeredInTime: 1 });
    expect(boris.shareInTime).toBeCloseTo(1 / 3, 12);
    expect(boris.first).toMatchObject({ medianMs: m(21), maxMs: m(40) }); // 2 and 40
    expect(boris.first.p90Ms).toBeCloseTo(m(2 + 0.9 * 38), 6);
    expect(boris.next.medianMs).toBe(m(20));
  });

  it('per client chat, busiest first', () => {
    const r = computeStats(EPISODES, { from: FROM, to: TO, now: NOW, groupBy: 'chat' });
    expect(r.groups.map((g) => [g.key, g.figures.waits])).toEqual([
      [A, 3],
      [B, 3],
      [C, 2],
    ]);
    const [a, b, c] = r.groups.map((g) => g.figures) as [ResponseFigures, ResponseFigures, ResponseFigures];
    expect(a).toMatchObject({ answered: 2, open: 1, overdue: 1, answeredInTime: 1, shareInTime: 0.5 });
    expect(b).toMatchObject({ answered: 3, open: 0, overdue: 0, shareInTime: 1 });
    expect(b.first.medianMs).toBe(m(2.5)); // 3 and 2
    expect(c).toMatchObject({ answered: 1, open: 1, overdue: 2, answeredInTime: 0, shareInTime: 0 });
  });

  it('per fixed shift (08:00 and 20:00), per hour and per local day', () => {
    const shifts = fixedShiftWindows(FROM, TO, 'UTC', ['08:00', '20:00']);
    expect(shifts.map((w) => [new Date(w.start).toISOString(), new Date(w.end).toISOString()])).toEqual([
      ['2025-06-02T08:00:00.000Z', '2025-06-02T20:00:00.000Z'],
      ['2025-06-02T20:00:00.000Z', '2025-06-02T21:00:00.000Z'],
    ]);
    const byShift = computeStats(EPISODES, { from: FROM, to: TO, now: NOW, groupBy: 'shift', windows: shifts });
    const [day, night] = byShift.groups.map((g) => g.figures) as [ResponseFigures, ResponseFigures];
    expect(day).toMatchObject({ waits: 5, answered: 5, overdue: 2, answeredInTime: 3, shareInTime: 3 / 5 });
    expect(night).toMatchObject({ waits: 3, answered: 1, open: 2, overdue: 1, answeredInTime: 1, shareInTime: 1 / 2 });

    const hours = hourWindows(FROM, TO, 'UTC');
    expect(hours).toHaveLength(13);
    const byHour = computeStats(EPISODES, { from: FROM, to: TO, now: NOW, groupBy: 'hour', windows: hours });
    expect(byHour.groups.map((g) => g.figures.waits)).toEqual([2, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3]);
    expect(byHour.groups[0]!.figures.all.medianMs).toBe(m(12.5)); // 5 and 20

    // Tokyo is UTC+9: its day ends at 15:00 UTC.
    const days = dayWindows(FROM, TO, 'Asia/Tokyo');
    expect(days.map((w) => new Date(w.end).toISOString())).toEqual(['2025-06-02T15:00:00.000Z', '2025-06-02T21:00:00.000Z']);
    const byDay = computeStats(EPISODES, { from: FROM, to: TO, now: NOW, groupBy: 'day', windows: days });
    expect(byDay.groups.map((g) => g.figures.waits)).toEqual([5, 3]);
  });

  it('keeps local boundaries across a daylight-saving change', () => {
    // Berlin, 30 March 2025: clocks go from 02:00 to 03:00. Midnight to midnight is 23 hours.
    const from = Date.parse('2025-03-29T12:00:00Z');
    const to = Date.parse('2025-04-01T00:00:00Z');
    const days = dayWindows(from, to, 'Europe/Berlin');
    expect(days.map((w) => new Date(w.start).toISOString())).toEqual([
      '2025-03-29T12:00:00.000Z',
      '2025-03-29T23:00:00.000Z',
      '2025-03-30T22:00:00.000Z',
      '2025-03-31T22:00:00.000Z',
    ]);
    expect(days[1]!.end - days[1]!.start).toBe(23 * HOUR);
    // Shifts start at 08:00 and 20:00 on the wall clock: the night shift over the change is 11 hours.
    const b = localBoundaries(from, to, 'Europe/Berlin', ['08:00', '20:00']);
    expect(b.slice(0, 3).map((t) => new Date(t).toISOString())).toEqual(['2025-03-29T07:00:00.000Z', '2025-03-29T19:00:00.000Z', '2025-03-30T06:00:00.000Z']);
    expect(b[2]! - b[1]!).toBe(11 * HOUR);
  });

  it('hours on the local clock match a conversion of every hour, across DST changes and in half-hour zones', () => {
    const everyHour = Array.from({ length: 24 }, (_, h) => `${String(h).padStart(2, '0')}:00`);
    for (const [zone, from, to] of [
      ['Europe/Berlin', '2025-03-27T13:17:00Z', '2025-04-02T00:00:00Z'],
      ['Europe/Berlin', '2025-10-24T00:00:00Z', '2025-10-28T05:30:00Z'],
      ['America/New_York', '2025-11-01T00:00:00Z', '2025-11-03T12:00:00Z'],
      ['Asia/Kolkata', '2025-06-01T00:00:00Z', '2025-06-03T00:00:00Z'],
    ] as const) {
      const f = Date.parse(from);
      const t = Date.parse(to);
      const fast = hourWindows(f, t, zone);
      const slow = windowsFromBoundaries(localBoundaries(f, t, zone, everyHour), f, t);
      expect(fast).toEqual(slow);
    }
    // The 23-hour day has 23 hour windows; Kolkata's hours start at :30 UTC.
    const berlin = hourWindows(Date.parse('2025-03-29T23:00:00Z'), Date.parse('2025-03-30T22:00:00Z'), 'Europe/Berlin');
    expect(berlin).toHaveLength(23);
    expect(new Date(hourWindows(Date.parse('2025-06-01T00:00:00Z'), Date.parse('2025-06-01T03:00:00Z'), 'Asia/Kolkata')[1]!.start).toISOString()).toBe('2025-06-01T00:30:00.000Z');
  });

  it('the fast paths agree with sorting and with a plain search: quantiles by selection, episodes into uneven windows', () => {
    // Selection against a sort, on small and large samples (past 600 values it samples its pivot), with and without ties.
    let seed = 7;
    const rand = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    for (const [n, distinct] of [[1, 10], [2, 1], [9, 3], [37, 1e9], [601, 5], [5_000, 1e9], [20_000, 40]] as const) {
      const xs = Array.from({ length: n }, () => Math.floor(rand() * distinct) * 1000);
      const sorted = [...xs].sort((a, b) => a - b);
      const d = distributionOf(xs);
      expect(d.medianMs, `median of ${n}`).toBeCloseTo(quantileSorted(sorted, 0.5)!, 6);
      expect(d.p90Ms, `p90 of ${n}`).toBeCloseTo(quantileSorted(sorted, 0.9)!, 6);
      expect(d.maxMs).toBe(sorted[n - 1]);
    }
    // Windows of uneven length with gaps (a duty roster), in shuffled episode order: each episode lands where a plain search puts it.
    const windows = [0, 1, 2, 5, 5.5, 9, 20, 21, 22, 30].map((h, i, all) => ({ key: String(i), start: FROM + h * HOUR, end: FROM + (i + 1 < all.length ? Math.min(all[i + 1]!, h + 4) : h + 1) * HOUR }));
    const episodes = Array.from({ length: 500 }, (_, i) => ep(i % 2 ? A : B, 'next', '08:00', '08:01', ANNA)).map((e) => {
      const startedAt = FROM + Math.floor(rand() * 32 * HOUR);
      return { ...e, startedAt, endedAt: startedAt + MINUTE, deadline: startedAt + 15 * MINUTE };
    });
    const r = computeStats(episodes, { from: FROM, to: FROM + 40 * HOUR, now: FROM + 40 * HOUR, groupBy: 'shift', windows });
    expect(r.groups.map((g) => g.figures.waits)).toEqual(windows.map((w) => episodes.filter((e) => e.startedAt >= w.start && e.startedAt < w.end).length));
  });

  it('refuses nonsense ranges', () => {
    expect(() => computeStats([], { from: TO, to: FROM, now: NOW })).toThrow(/later/);
    expect(() => computeStats([], { from: FROM, to: TO, now: NOW, groupBy: 'hour' })).toThrow(/windows/);
    expect(computeStats([], { from: FROM, to: TO, now: NOW }).total).toMatchObject({ waits: 0, shareInTime: null, first: { count: 0, medianMs: null } });
  });
});

// ---------------------------------------------------------------------------------------------
// Through the daemon

let sims: SimDaemon[] = [];
afterEach(async () => {
  await Promise.all(sims.map((s) => s.dispose()));
  sims = [];
});

describe('statistics from a scripted conversation on the simulator', () => {
  it('messages and an acknowledgement become episodes with the figures computed by hand', async () => {
    let offset = 0;
    const clock = () => Date.now() + offset;
    const sim = await startSimDaemon({ clock });
    sims.push(sim);
    const company = sim.demo.company;
    const chat = company.clientChats.find((c) => c.scenario === 'quiet')!;
    const key = String(chat.chatId);
    const client = chat.clients[0]!.userId;
    const admin = chat.teamIds[0]!;
    const manager = company.team.find((t) => t.role === 'manager')!.userId;
    // Five hours on: the quiet chat's next client message opens a new conversation (a "first" wait).
    offset += 5 * HOUR;
    const t0 = Math.ceil(clock() / 60_000) * 60_000;
    const at = (minutes: number) => {
      offset = t0 + minutes * MINUTE - Date.now();
      return Math.floor((t0 + minutes * MINUTE) / 1000);
    };
    const episodes = async (n: number) =>
      eventually(async () => (await sim.store.db.selectFrom('response_episodes').select('id').where('chat_key', '=', key).where('started_at', '>=', t0).execute()).length === n, 5000);
    const waiting = (yes: boolean) => eventually(() => (sim.daemon.model.overdue.get(key)?.waiting != null) === yes, 5000);

    sim.demo.world.sendMessage({ chatId: chat.chatId, senderId: client, text: 'db-prod-2 не отвечает с 10:15', date: at(0) });
    expect(await waiting(true)).toBe(true);
    // The in-memory episodes follow the store: an open wait now, answered below.
    const open = await sim.daemon.monitoring.stats({ from: t0, to: t0 + 2 * HOUR, chatKeys: [key] });
    expect(open.total).toMatchObject({ waits: 1, open: 1, answered: 0 });
    sim.demo.world.sendMessage({ chatId: chat.chatId, senderId: admin, text: 'Смотрю, перезапускаю postgres', date: at(4) });
    expect(await waiting(false)).toBe(true);
    sim.demo.world.sendMessage({ chatId: chat.chatId, senderId: client, text: 'Снова 502 на /api/v2/orders', date: at(10) });
    expect(await waiting(true)).toBe(true);
    sim.demo.world.sendMessage({ chatId: chat.chatId, senderId: admin, text: 'Починили балансировщик, проверьте', date: at(30) });
    expect(await waiting(false)).toBe(true);
    sim.demo.world.sendMessage({ chatId: chat.chatId, senderId: client, text: 'А бэкап сегодня прошёл?', date: at(40) });
    expect(await waiting(true)).toBe(true);
    at(46);
    await sim.daemon.actions.acknowledge({ label: 'manager', memberUserId: manager }, key);
    // A wait whose only message is deleted is cancelled: no episode, and the open one seen before is gone.
    const oops = sim.demo.world.sendMessage({ chatId: chat.chatId, senderId: client, text: 'тест, не обращайте внимания', date: at(50) });
    expect(await waiting(true)).toBe(true);
    expect((await sim.daemon.monitoring.stats({ from: t0, to: t0 + 2 * HOUR, chatKeys: [key] })).total.open).toBe(1);
    sim.demo.world.deleteMessages([oops]);
    expect(await waiting(false)).toBe(true);
    sim.demo.world.sendMessage({ chatId: chat.chatId, senderId: client, text: 'И ещё: диск /var на web-3 заполнен на 97%', date: at(60) });
    expect(await episodes(4)).toBe(true);
    at(80);

    const r = await sim.daemon.monitoring.stats({ from: t0, to: t0 + 2 * HOUR, groupBy: 'admin', chatKeys: [key] });
    // Waits: 0→4 (first, Anna in time), 10→30 (late), 40→46 (It's OK), 60→ open and overdue at 75.
    expect(r.total).toMatchObject({ waits: 4, answered: 3, acknowledged: 1, open: 1, overdue: 2, answeredInTime: 2, shareInTime: 0.5 });
    // The acknowledgement is dated by the daemon's clock, a few milliseconds after minute 46: compare in seconds.
    const s = (ms: number | null) => (ms === null ? null : Math.round(ms / 1000));
    expect(r.total.first).toMatchObject({ count: 1, medianMs: m(4), p90Ms: m(4) });
    // Next responses 20 and 6 min: median 13; p90 = 6 + 0.9 × 14.
    expect(s(r.total.next.medianMs)).toBe(13 * 60);
    expect(s(r.total.next.p90Ms)).toBe(18.6 * 60);
    // All: 4, 6, 20: median 6; p90 at h = 1.8: 6 + 0.8 × 14.
    expect(s(r.total.all.medianMs)).toBe(6 * 60);
    expect(s(r.total.all.p90Ms)).toBe(17.2 * 60);
    expect(r.groups.map((g) => [Number(g.key), g.figures.answered])).toEqual(
      [
        [admin, 2],
        [manager, 1],
      ].sort((x, y) => y[1]! - x[1]! || String(x[0]).localeCompare(String(y[0]))),
    );
    const hourly = await sim.daemon.monitoring.stats({ from: t0, to: t0 + 2 * HOUR, groupBy: 'hour', chatKeys: [key], timeZone: 'UTC' });
    expect(hourly.groups.reduce((n, g) => n + g.figures.waits, 0)).toBe(4);
    // The cache answers as a fresh read of the store does, for the whole team too.
    const fresh = new Monitoring(sim.store.db, sim.daemon.model, sim.daemon.bus, () => t0 + 80 * MINUTE, { cacheDays: 0 });
    try {
      for (const groupBy of [null, 'chat', 'admin'] as const) {
        const cached = await sim.daemon.monitoring.stats({ from: t0 - 8 * HOUR, to: t0 + 2 * HOUR, groupBy });
        const read = await fresh.stats({ from: t0 - 8 * HOUR, to: t0 + 2 * HOUR, groupBy });
        expect(JSON.stringify({ ...cached, now: 0 })).toBe(JSON.stringify({ ...read, now: 0 }));
      }
    } finally {
      fresh.close();
    }
  }, 60_000);

  it('the board shows a quiet chat once its client writes and drops it after the team replies, live', async () => {
    const sim = await startSimDaemon();
    sims.push(sim);
    const chat = sim.demo.company.clientChats.find((c) => c.scenario === 'quiet')!;
    const key = String(chat.chatId);
    const board = await sim.daemon.monitoring.board();
    expect(board.rows.some((r) => r.chatKey === key)).toBe(false);
    const overdue = sim.demo.company.clientChats.filter((c) => c.scenario === 'overdue').map((c) => String(c.chatId));
    for (const k of overdue) expect(board.rows.find((r) => r.chatKey === k)?.isOverdue).toBe(true);
    expect(board.counts.overdueChats).toBe(board.rows.filter((r) => r.isOverdue).length);
    const named = board.rows.find((r) => r.chatKey === overdue[0])!;
    // The title's decoration is the client-name rules' business (issue 4); the company must be in it.
    expect(named.clientName).toContain(sim.demo.company.clientChats.find((c) => String(c.chatId) === overdue[0])!.company);
    expect(named.responsible.length).toBeGreaterThan(0);

    const abort = new AbortController();
    const changes: BoardChange[] = [];
    const reading = (async () => {
      for await (const c of sim.daemon.monitoring.boardChanges(abort.signal)) changes.push(c);
    })();
    try {
      expect(await eventually(() => changes.length === 1)).toBe(true);
      expect(changes[0]!.reset).toBe(true);
      sim.demo.world.sendMessage({ chatId: chat.chatId, senderId: chat.clients[0]!.userId, text: 'У нас упал nginx на web-prod-1' });
      expect(await eventually(() => changes.some((c) => c.rows.some((r) => r.chatKey === key && r.waitingSince !== null)))).toBe(true);
      sim.demo.world.sendMessage({ chatId: chat.chatId, senderId: chat.teamIds[0]!, text: 'Подняли, проверьте' });
      expect(await eventually(() => changes.some((c) => c.rows.some((r) => r.chatKey === key && r.waitingSince === null && r.alarm === null)))).toBe(true);
      const member = changes.filter((c) => !c.reset).flatMap((c) => c.members).find((mm) => mm.userId === chat.teamIds[0]);
      expect(member?.lastActivityChatKey).toBe(key);
    } finally {
      // A failed check must not leave the reader subscribed to a daemon being disposed.
      abort.abort();
      await reading;
    }
  }, 60_000);

  it('/metrics has the response-time histogram, answered waits and the board gauges, following Prometheus conventions', async () => {
    const sim = await startSimDaemon();
    sims.push(sim);
    const api = await startApiServer({ daemon: sim.daemon, logger: createMemoryLogger('warn'), host: '127.0.0.1', port: 0 });
    try {
      const scrape = async () => (await fetch(`${api.url}/metrics`)).text();
      const value = (text: string, series: string) => Number(new RegExp(`^${series.replace(/[{}"=,+.]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
      const before = await scrape();
      expect(before).toMatch(/^# TYPE tgdesk_response_time_seconds histogram$/m);
      expect(before).toMatch(/^# TYPE tgdesk_waits_answered_total counter$/m);
      expect(value(before, 'tgdesk_team_overdue_chats')).toBe(sim.daemon.monitoring.counts(Date.now()).overdueChats);
      expect(value(before, 'tgdesk_team_waiting_chats')).toBe(sim.daemon.monitoring.counts(Date.now()).waitingChats);
      expect(value(before, 'tgdesk_team_longest_wait_seconds')).toBeGreaterThan(15 * 60);
      expect(value(before, 'tgdesk_membership_jobs{state="running"}')).toBe(0);
      const answeredBefore = value(before, 'tgdesk_response_time_seconds_count{kind="next"}') + value(before, 'tgdesk_response_time_seconds_count{kind="first"}');
      // An overdue chat answered now: one more late response, in the +Inf bucket and not in the 900 s one.
      const chat = sim.demo.company.clientChats.find((c) => c.scenario === 'overdue')!;
      const waited = (Date.now() - sim.daemon.model.overdue.get(String(chat.chatId))!.waiting!.since) / 1000;
      sim.demo.world.sendMessage({ chatId: chat.chatId, senderId: chat.teamIds[0]!, text: 'Извините за ожидание, уже чиним' });
      expect(await eventually(async () => {
        const t = await scrape();
        return value(t, 'tgdesk_response_time_seconds_count{kind="next"}') + value(t, 'tgdesk_response_time_seconds_count{kind="first"}') === answeredBefore + 1;
      })).toBe(true);
      const after = await scrape();
      const late = value(after, 'tgdesk_waits_answered_total{kind="first",in_time="false"}') + value(after, 'tgdesk_waits_answered_total{kind="next",in_time="false"}');
      expect(late).toBe(1);
      const sum = value(after, 'tgdesk_response_time_seconds_sum{kind="first"}') + value(after, 'tgdesk_response_time_seconds_sum{kind="next"}');
      expect(Math.abs(sum - waited)).toBeLessThan(5);
      const le900 = value(after, 'tgdesk_response_time_seconds_bucket{kind="first",le="900"}') + value(after, 'tgdesk_response_time_seconds_bucket{kind="next",le="900"}');
      expect(le900).toBe(0);
    } finally {
      await api.close();
    }
  }, 60_000);

  it('with duty schedules, shifts are the duty windows and the board knows who is on duty now and who comes next', async () => {
    const sim = await startSimDaemon();
    sims.push(sim);
    const admins = sim.demo.company.team.filter((m) => m.role === 'admin').map((m) => m.userId);
    const [early, late] = [admins[0]!, admins[1]!];
    const everyDay = (from: string, to: string) => ([1, 2, 3, 4, 5, 6, 7] as const).map((day) => ({ day, from, to }));
    const actor = { label: 'test manager', memberUserId: sim.demo.company.team.find((m) => m.role === 'manager')!.userId };
    await sim.daemon.teamOps.duty.setSchedule(actor, { memberUserId: early, timeZone: 'UTC', shifts: everyDay('00:00', '12:00'), muteOffDuty: false });
    await sim.daemon.teamOps.duty.setSchedule(actor, { memberUserId: late, timeZone: 'UTC', shifts: everyDay('12:00', '24:00'), muteOffDuty: false });
    const now = Date.now();
    const midnight = now - (now % DAY_MS);
    const r = await sim.daemon.monitoring.stats({ from: midnight - DAY_MS, to: midnight + DAY_MS, groupBy: 'shift' });
    expect(r.shiftSource).toBe('duty');
    expect(r.groups.map((g) => [g.window!.start - midnight, g.window!.end - midnight, g.window!.members])).toEqual([
      [-DAY_MS, -DAY_MS / 2, [early]],
      [-DAY_MS / 2, 0, [late]],
      [0, DAY_MS / 2, [early]],
      [DAY_MS / 2, DAY_MS, [late]],
    ]);
    // Every wait of the range is in the shift it started in.
    expect(r.groups.reduce((n, g) => n + g.figures.waits, 0)).toBe(r.total.waits);
    const board = await sim.daemon.monitoring.board();
    expect(board.dutySchedules).toBe(true);
    const on = now % DAY_MS < DAY_MS / 2 ? early : late;
    const off = on === early ? late : early;
    const member = (id: number) => board.members.find((m) => m.userId === id)!;
    expect(member(on)).toMatchObject({ onDuty: true, nextOnDutyFrom: null });
    expect(member(on).onDutyUntil).toBe(midnight + (on === early ? DAY_MS / 2 : DAY_MS));
    expect(member(off)).toMatchObject({ onDuty: false, nextOnDutyFrom: midnight + (off === early ? DAY_MS : DAY_MS / 2) });
    // Nobody without a schedule is on duty once schedules are in use.
    expect(board.members.filter((m) => m.onDuty).map((m) => m.userId)).toEqual([on]);
  }, 60_000);
});
