/**
 * `stats(from, to, groupBy)` and `supportBoard` over real HTTP with a viewer token (what the NOC
 * wall and the portal call), against a scripted conversation on the simulator whose figures are
 * worked out by hand below: seconds in the API where the app counts milliseconds, the GraphQL
 * enums for the groupings, time zones (and a refusal of unknown ones), and the range limits.
 * test/stats.test.ts checks the same arithmetic in-process; this is the contract on the wire.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '../src/graphql/server.ts';
import { HOUR, MINUTE } from '../src/domain/time.ts';
import { createMemoryLogger } from '../src/shared/log.ts';
import { eventually, startSimDaemon, type SimDaemon } from './helpers/sim-daemon.ts';

let sim: SimDaemon;
let api: ApiServer;
let viewer = '';
let offset = 0;
const clock = () => Date.now() + offset;
/** Minute 0 of the script, on a whole minute. */
let t0 = 0;
let key = '';
let company = '';
let admin = 0;
let manager = 0;
const iso = (ms: number) => new Date(ms).toISOString();
const at = (minutes: number) => t0 + minutes * MINUTE;

interface GqlError {
  message: string;
  extensions: Record<string, unknown>;
}
async function gql<T>(query: string, variables: Record<string, unknown> = {}, status = 200): Promise<{ data: T | null; errors?: GqlError[] }> {
  const res = await fetch(`${api.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${viewer}` },
    body: JSON.stringify({ query, variables }),
  });
  expect(res.status).toBe(status);
  return (await res.json()) as { data: T | null; errors?: GqlError[] };
}

/**
 * The script, in one support chat that was quiet, five hours after the company's history (so
 * the first client message opens a conversation). Threshold 15 minutes.
 *   0  client writes           → wait 1 (first)
 *   4  admin answers            → 4 min, in time
 *  10  client writes           → wait 2 (next)
 *  30  admin answers            → 20 min, late (overdue at 25)
 *  40  client writes           → wait 3 (next)
 *  46  the manager says "It's OK" → 6 min, in time
 *  60  client writes           → wait 4 (next), overdue at 75, open at 80 (now)
 */
beforeAll(async () => {
  sim = await startSimDaemon({ clock });
  api = await startApiServer({ daemon: sim.daemon, logger: createMemoryLogger('warn'), host: '127.0.0.1', port: 0 });
  viewer = (await sim.daemon.tokens.create({ name: 'wall', role: 'viewer' })).token;
  const chat = sim.demo.company.clientChats.find((c) => c.scenario === 'quiet')!;
  key = String(chat.chatId);
  company = chat.company;
  const client = chat.clients[0]!.userId;
  admin = chat.teamIds[0]!;
  manager = sim.demo.company.team.find((t) => t.role === 'manager')!.userId;
  offset += 5 * HOUR;
  t0 = Math.ceil(clock() / MINUTE) * MINUTE;
  const moveTo = (minutes: number) => {
    offset = at(minutes) - Date.now();
    return Math.floor(at(minutes) / 1000);
  };
  const waiting = (yes: boolean) => eventually(() => (sim.daemon.model.overdue.get(key)?.waiting != null) === yes, 5000);
  const say = async (minutes: number, senderId: number, text: string, waits: boolean) => {
    sim.demo.world.sendMessage({ chatId: chat.chatId, senderId, text, date: moveTo(minutes) });
    expect(await waiting(waits)).toBe(true);
  };
  await say(0, client, 'Добрый день, db-prod-2 не отвечает с 10:15', true);
  await say(4, admin, 'Смотрю, перезапускаю postgres', false);
  await say(10, client, 'Снова 502 на /api/v2/orders', true);
  await say(30, admin, 'Починили балансировщик, проверьте', false);
  await say(40, client, 'А бэкап сегодня прошёл?', true);
  moveTo(46);
  await sim.daemon.actions.acknowledge({ label: 'manager', memberUserId: manager }, key);
  await say(60, client, 'И ещё: диск /var на web-3 заполнен на 97%', true);
  moveTo(80);
  // The overdue clock flips the last wait at minute 75.
  sim.daemon.clock.rearm();
  expect(await eventually(() => sim.daemon.model.waitingView(key, clock()).isOverdue, 5000)).toBe(true);
}, 60_000);

afterAll(async () => {
  await api?.close();
  await sim?.dispose();
});

const FIGURES = `waits answered acknowledged open overdue answeredInTime shareInTime
  first { count medianSeconds p90Seconds meanSeconds maxSeconds }
  next { count medianSeconds p90Seconds meanSeconds maxSeconds }
  all { count medianSeconds p90Seconds meanSeconds maxSeconds }`;

interface Times {
  count: number;
  medianSeconds: number | null;
  p90Seconds: number | null;
  meanSeconds: number | null;
  maxSeconds: number | null;
}
interface Figures {
  waits: number;
  answered: number;
  acknowledged: number;
  open: number;
  overdue: number;
  answeredInTime: number;
  shareInTime: number | null;
  first: Times;
  next: Times;
  all: Times;
}
interface Stats {
  from: string;
  to: string;
  timeZone: string;
  groupBy: string | null;
  shiftSource: string | null;
  total: Figures;
  groups: { key: string; chat: { id: string; title: string } | null; member: { id: string; name: string } | null; window: { start: string; end: string } | null; figures: Figures }[];
}

const STATS = `query ($from: DateTime!, $to: DateTime!, $groupBy: StatsGroupBy, $timeZone: String, $chatIds: [ID!]) {
  stats(from: $from, to: $to, groupBy: $groupBy, timeZone: $timeZone, chatIds: $chatIds) {
    from to timeZone groupBy shiftSource
    total { ${FIGURES} }
    groups { key chat { id title } member { id name } window { start end } figures { ${FIGURES} } }
  } }`;

async function stats(variables: Record<string, unknown>): Promise<Stats> {
  const r = await gql<{ stats: Stats }>(STATS, { from: iso(t0), to: iso(at(120)), chatIds: [key], ...variables });
  expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
  return r.data!.stats;
}

/** The acknowledgement is dated by the daemon's clock, a few milliseconds after minute 46: whole seconds. */
const whole = (t: Times) => Object.fromEntries(Object.entries(t).map(([k, v]) => [k, typeof v === 'number' && k !== 'count' ? Math.round(v) : v]));

describe('stats over HTTP', () => {
  it('gives the hand-computed totals, in seconds', async () => {
    const s = await stats({});
    expect(s).toMatchObject({ from: iso(t0), to: iso(at(120)), groupBy: null, shiftSource: null });
    // The daemon's own zone when none is asked for.
    expect(s.timeZone).toBe(Intl.DateTimeFormat().resolvedOptions().timeZone);
    expect(s.groups).toEqual([]);
    const t = s.total;
    expect({ ...t, first: undefined, next: undefined, all: undefined }).toEqual({
      waits: 4,
      answered: 3,
      acknowledged: 1,
      open: 1,
      // Wait 2 answered late, wait 4 open past its deadline.
      overdue: 2,
      answeredInTime: 2,
      // In time: waits 1 and 3, of the three answered and the one open and overdue.
      shareInTime: 0.5,
      first: undefined,
      next: undefined,
      all: undefined,
    });
    // First: 4 min. Next: 20 and 6 min: median 13, p90 6 + 0.9 × 14 = 18.6, mean 13.
    expect(t.first).toEqual({ count: 1, medianSeconds: 240, p90Seconds: 240, meanSeconds: 240, maxSeconds: 240 });
    expect(whole(t.next)).toEqual({ count: 2, medianSeconds: 780, p90Seconds: 1116, meanSeconds: 780, maxSeconds: 1200 });
    // All: 4, 6, 20 min: median 6, p90 at rank 1.8: 6 + 0.8 × 14 = 17.2, mean 10.
    expect(whole(t.all)).toEqual({ count: 3, medianSeconds: 360, p90Seconds: 1032, meanSeconds: 600, maxSeconds: 1200 });
  });

  it('groups per admin who answered and per chat, under their GraphQL enum names', async () => {
    const byAdmin = await stats({ groupBy: 'ADMIN' });
    expect(byAdmin.groupBy).toBe('ADMIN');
    const names = (id: number) => sim.daemon.model.roster.byId.get(id)!.name;
    expect(byAdmin.groups.map((g) => ({ key: g.key, member: g.member, answered: g.figures.answered, acknowledged: g.figures.acknowledged }))).toEqual([
      { key: String(admin), member: { id: String(admin), name: names(admin) }, answered: 2, acknowledged: 0 },
      { key: String(manager), member: { id: String(manager), name: names(manager) }, answered: 1, acknowledged: 1 },
    ]);
    // The admin's two answers: 4 and 20 min.
    expect(byAdmin.groups[0]!.figures.all).toMatchObject({ count: 2, medianSeconds: 720, maxSeconds: 1200 });
    const byChat = await stats({ groupBy: 'CHAT' });
    expect(byChat.groupBy).toBe('CHAT');
    expect(byChat.groups).toHaveLength(1);
    expect(byChat.groups[0]!.key).toBe(key);
    expect(byChat.groups[0]!.chat!.id).toBe(key);
    expect(byChat.groups[0]!.chat!.title).toContain(company);
    expect(byChat.groups[0]!.member).toBeNull();
    expect(byChat.groups[0]!.figures.waits).toBe(4);
  });

  it('splits by hour and by day on the clock of the time zone asked for', async () => {
    const starts = [0, 10, 40, 60].map(at);
    /**
     * Windows from `from` to `to` cut where UTC time of day is `first` plus a whole number of
     * `every`: each keyed by the boundary it starts at (before `from` for the first), with the
     * waits of the script that started in it.
     */
    const expectWindows = (groups: Stats['groups'], from: number, to: number, first: number, every: number) => {
      const bounds = [from];
      for (let b = Math.floor((from - first) / every) * every + first + every; b < to; b += every) bounds.push(b);
      bounds.push(to);
      const windows = bounds.slice(0, -1).map((b, i) => ({ start: b, end: bounds[i + 1]! }));
      expect(groups.map((g) => ({ key: g.key, start: g.window!.start, end: g.window!.end, waits: g.figures.waits }))).toEqual(
        windows.map((w) => ({
          key: iso(Math.floor((w.start - first) / every) * every + first),
          start: iso(w.start),
          end: iso(w.end),
          waits: starts.filter((s) => s >= w.start && s < w.end).length,
        })),
      );
    };
    const byHour = await stats({ groupBy: 'HOUR', timeZone: 'UTC' });
    expect(byHour).toMatchObject({ groupBy: 'HOUR', timeZone: 'UTC' });
    // Windows: from `from` to the next whole UTC hour, then whole hours, the last cut at `to`; a
    // group's key is its whole hour, also where the window is cut at `from`.
    expect(byHour.groups.length).toBeGreaterThanOrEqual(2);
    expectWindows(byHour.groups, t0, at(120), 0, HOUR);

    // Tokyo is UTC+9 all year: its days begin at 15:00 UTC.
    const from = t0 - 24 * HOUR;
    const byDay = await stats({ groupBy: 'DAY', timeZone: 'Asia/Tokyo', from: iso(from) });
    expect(byDay).toMatchObject({ groupBy: 'DAY', timeZone: 'Asia/Tokyo' });
    expect(byDay.groups.length).toBeGreaterThanOrEqual(2);
    expectWindows(byDay.groups, from, at(120), 15 * HOUR, 24 * HOUR);
    expect(byDay.groups.reduce((n, g) => n + g.figures.waits, 0)).toBe(4);

    // Without duty schedules, shifts are fixed local times: 08:00 and 20:00 in the zone.
    const byShift = await stats({ groupBy: 'SHIFT', timeZone: 'UTC', from: iso(from) });
    expect(byShift).toMatchObject({ groupBy: 'SHIFT', shiftSource: 'fixed' });
    expect(byShift.groups.length).toBeGreaterThanOrEqual(3);
    expectWindows(byShift.groups, from, at(120), 8 * HOUR, 12 * HOUR);
  });

  it('refuses an unknown time zone, a backwards or too long range and too many chats with BAD_USER_INPUT', async () => {
    const refused = async (variables: Record<string, unknown>, message: RegExp) => {
      const r = await gql(STATS, { from: iso(t0), to: iso(at(120)), ...variables });
      expect(r.data).toBeNull();
      expect(r.errors?.map((e) => e.extensions['code'])).toEqual(['BAD_USER_INPUT']);
      expect(r.errors![0]!.message).toMatch(message);
      return r.errors![0]!;
    };
    expect((await refused({ timeZone: 'Mars/Olympus_Mons' }, /unknown time zone "Mars\/Olympus_Mons"/)).extensions['argument']).toBe('timeZone');
    await refused({ to: iso(t0) }, /later than/);
    await refused({ from: iso(at(120)), to: iso(t0) }, /later than/);
    await refused({ from: iso(t0 - 401 * 24 * HOUR) }, /at most 400 days/);
    await refused({ from: iso(t0 - 2_001 * HOUR), groupBy: 'HOUR' }, /at most 2000 hours/);
    await refused({ chatIds: Array.from({ length: 1_001 }, (_, i) => String(-1000 - i)) }, /at most 1000 chatIds/);
    // The limits are limits, not off by one: 400 days and 2,000 hours are answered.
    // (The script's four waits, and those of the chat's history before it.)
    expect((await stats({ from: iso(at(120) - 400 * 24 * HOUR) })).total.waits).toBeGreaterThan(4);
    expect((await stats({ from: iso(at(120) - 2_000 * HOUR), groupBy: 'HOUR' })).groups).toHaveLength(t0 % HOUR === 0 ? 2_000 : 2_001);
    // A grouping the schema does not have is GraphQL's own refusal, before anything runs (400).
    const bad = await gql(STATS, { from: iso(t0), to: iso(at(120)), groupBy: 'WEEK' }, 400);
    expect(bad.errors?.[0]?.extensions['code']).toBe('BAD_USER_INPUT');
    expect(bad.errors?.[0]?.message).toMatch(/StatsGroupBy/);
  });
});

interface BoardChat {
  chatId: string;
  title: string;
  kind: string;
  clientName: string | null;
  waitingSince: string | null;
  deadline: string | null;
  isOverdue: boolean;
  overdueSince: string | null;
  alarm: unknown;
  acknowledged: { at: string; by: { id: string } } | null;
  isUnread: boolean;
  responsible: { id: string; name: string }[];
  lastTeamMessageAt: string | null;
}
interface Board {
  now: string;
  seq: number;
  dutySchedules: boolean;
  chats: BoardChat[];
  counts: { overdueChats: number; waitingChats: number; alarms: number; unreadSupportChats: number; mentionedOnDuty: number; openTasks: number; supportChats: number };
  members: { member: { id: string }; onDuty: boolean; lastActivityAt: string | null; lastActivityChatId: string | null }[];
}

describe('supportBoard over HTTP', () => {
  it('shows the scripted chat overdue since its deadline, with its client, who is responsible, and the counts that match its rows', async () => {
    const r = await gql<{ supportBoard: Board }>(`{ supportBoard {
      now seq dutySchedules
      chats { chatId title kind clientName waitingSince deadline isOverdue overdueSince alarm { reason } acknowledged { at by { id } } isUnread responsible { id name } lastTeamMessageAt }
      counts { overdueChats waitingChats alarms unreadSupportChats mentionedOnDuty openTasks supportChats }
      members { member { id } onDuty lastActivityAt lastActivityChatId }
    } }`);
    expect(r.errors).toBeUndefined();
    const b = r.data!.supportBoard;
    // The daemon's clock, not the caller's: the script's minute 80 and a little.
    expect(Date.parse(b.now) - at(80)).toBeGreaterThanOrEqual(0);
    expect(b.seq).toBe(sim.daemon.bus.lastSeq);
    expect(b.dutySchedules).toBe(false);
    const row = b.chats.find((c) => c.chatId === key)!;
    expect(row).toMatchObject({
      kind: 'SUPPORT',
      waitingSince: iso(at(60)),
      deadline: iso(at(75)),
      isOverdue: true,
      overdueSince: iso(at(75)),
      alarm: null,
      // "It's OK" holds only until the next client message.
      acknowledged: null,
      lastTeamMessageAt: null,
    });
    expect(row.clientName).toContain(company);
    expect(row.responsible.map((p) => p.id)).toContain(String(admin));
    expect(row.responsible.length).toBeLessThanOrEqual(3);
    // The counts are the rows': every overdue row counted, every waiting one too.
    expect(b.counts.overdueChats).toBe(b.chats.filter((c) => c.isOverdue && c.kind === 'SUPPORT').length);
    expect(b.counts.waitingChats).toBe(b.chats.filter((c) => c.waitingSince !== null && c.kind === 'SUPPORT').length);
    expect(b.counts.alarms).toBe(b.chats.filter((c) => c.alarm !== null).length);
    expect(b.counts.supportChats).toBe(sim.demo.company.clientChats.length);
    // Everyone is on duty without schedules; the admin's last activity is their answer at minute 30, here.
    expect(b.members.every((m) => m.onDuty)).toBe(true);
    expect(b.members.find((m) => m.member.id === String(admin))).toMatchObject({ lastActivityAt: iso(at(30)), lastActivityChatId: key });
  });
});
