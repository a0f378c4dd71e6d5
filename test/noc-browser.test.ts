/**
 * The NOC wall in a real headless Chromium (Debian's, never a downloaded one) against a daemon
 * on the simulated support company with its API, as a wall screen would run it: signed in by
 * `/#token=…` with a viewer token, live over graphql-ws. Each test leaves a screenshot in
 * artifacts/, a failing one too (noc-failed-….png). test/noc-many.test.ts has the wall with 500+
 * waiting clients and the language switch.
 */
import { createServer as createTcpServer, connect, type Server as TcpServer, type Socket } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '../src/graphql/server.ts';
import { percent, shortDuration, shortName, timeOfDay } from '../src/noc/web/src/format.ts';
import { STATS_QUERY, type StatsData } from '../src/noc/web/src/queries.ts';
import { createMemoryLogger } from '../src/shared/log.ts';
import { buildWebApp, launchChromium, saveScreenshot, screenshotOnFailure } from './helpers/browser-apps.ts';
import { startSimDaemon, type SimDaemon } from './helpers/sim-daemon.ts';

let sim: SimDaemon;
let api: ApiServer;
let port = 0;
let browser: Browser;
let page: Page;
let viewer = '';
let manager = '';
let managerId = 0;

async function startApi(): Promise<void> {
  api = await startApiServer({ daemon: sim.daemon, logger: createMemoryLogger('warn'), host: '127.0.0.1', port });
  port = Number(new URL(api.url).port);
}

async function gql<T>(query: string, variables: Record<string, unknown>, token: string): Promise<T> {
  const res = await fetch(`${api.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: T; errors?: { message: string }[] };
  if (body.errors?.length) throw new Error(body.errors.map((e) => e.message).join('; '));
  return body.data!;
}

async function shot(name: string, p: Page = page): Promise<void> {
  await saveScreenshot(p, `noc-${name}`);
}

const row = (chatId: string | number) => `#list .row[data-chat-id="${chatId}"]`;

/**
 * A TCP hop between the browser and the daemon whose "network" can drop: while down, data stops
 * flowing and new connections hang, but no socket is closed, as when a cable is pulled or a
 * Wi-Fi link dies. Only the wall's own pings can tell.
 */
async function flakyProxy(target: () => number): Promise<{ port: number; down(): void; up(): void; close(): Promise<void> }> {
  let isDown = false;
  const pairs = new Set<[Socket, Socket | null]>();
  const server: TcpServer = createTcpServer((client) => {
    const pair: [Socket, Socket | null] = [client, null];
    pairs.add(pair);
    client.on('error', () => undefined);
    client.on('close', () => {
      pair[1]?.destroy();
      pairs.delete(pair);
    });
    if (isDown) return; // a connection attempt into the void
    const upstream = connect(target(), '127.0.0.1');
    pair[1] = upstream;
    upstream.on('error', () => client.destroy());
    upstream.on('close', () => client.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    down() {
      isDown = true;
      for (const [client, upstream] of pairs) {
        client.unpipe();
        upstream?.unpipe();
        client.pause();
        upstream?.pause();
      }
    },
    up() {
      isDown = false;
      // What hung while down is gone for good; the wall's next attempts get through.
      for (const [client, upstream] of pairs) {
        client.destroy();
        upstream?.destroy();
      }
      pairs.clear();
    },
    async close() {
      for (const [client, upstream] of pairs) {
        client.destroy();
        upstream?.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

beforeAll(async () => {
  // The wall under test is the source in this checkout, not whatever `npm ci` built earlier.
  buildWebApp('noc');
  sim = await startSimDaemon();
  await startApi();
  viewer = (await sim.daemon.tokens.create({ name: 'wall', role: 'viewer' })).token;
  managerId = sim.demo.company.team.find((m) => m.role === 'manager')!.userId;
  manager = (await sim.daemon.tokens.create({ name: 'manager', role: 'manager', memberUserId: managerId })).token;
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1920, height: 1080 }, locale: 'en-US' });
  await page.goto(`${api.url}/#token=${viewer}`);
  await page.waitForSelector('#app:not(.stale)', { timeout: 15_000 });
}, 90_000);

screenshotOnFailure('noc', () => page);

afterAll(async () => {
  await browser?.close();
  await api?.close();
  await sim?.dispose();
});

describe('NOC wall in Chromium', () => {
  it('signs in from the URL fragment, forgets it from the address bar, and shows the overdue chats in red with their client names', async () => {
    expect(new URL(page.url()).hash).toBe('');
    expect(await page.evaluate(() => localStorage.getItem('tgdesk.noc.token'))).toBe(viewer);
    const overdue = sim.demo.company.clientChats.filter((c) => c.scenario === 'overdue');
    expect(overdue.length).toBeGreaterThan(0);
    const board = await sim.daemon.monitoring.board();
    const shown = await page.$$eval('#list .row', (rows) => rows.map((r) => ({ id: (r as HTMLElement).dataset['chatId'], cls: r.className, name: r.querySelector('.name')?.textContent ?? '', time: r.querySelector('.time')?.textContent ?? '' })));
    const waitingCount = board.rows.filter((r) => r.waitingSince !== null).length;
    const moreText = (await page.textContent('#more')) ?? '';
    // Every waiting chat is either a row or counted in "+ N more".
    const hidden = Number(/\+ (\d+)/.exec(moreText)?.[1] ?? 0);
    expect(shown.length + hidden).toBe(waitingCount);
    // Overdue first, longest wait first.
    const firstNonOverdue = shown.findIndex((r) => !r.cls.includes('overdue'));
    if (firstNonOverdue >= 0) expect(shown.slice(firstNonOverdue).every((r) => !r.cls.includes('overdue'))).toBe(true);
    for (const chat of overdue) {
      const r = shown.find((s) => s.id === String(chat.chatId));
      if (!r) continue; // counted in "+ N more"
      expect(r.cls).toContain('overdue');
      expect(r.name).toContain(chat.company);
      expect(r.name).toBe(board.rows.find((b) => b.chatKey === String(chat.chatId))!.clientName);
      expect(r.time).toMatch(/^\d+:\d\d(:\d\d)?$/);
    }
    expect(shown.some((s) => overdue.some((c) => String(c.chatId) === s.id))).toBe(true);
    // The overdue row is red: its background differs from a waiting (amber) one.
    const colors = await page.$eval('#list .row.overdue .time', (e) => getComputedStyle(e).color);
    expect(colors).toBe('rgb(255, 77, 79)');
    expect(await page.textContent('[data-count="overdue"] .v')).toBe(String(board.counts.overdueChats));
    // Waits tick live.
    const id = shown[0]!.id!;
    const before = await page.textContent(`${row(id)} .time`);
    await page.waitForFunction(([sel, t]) => document.querySelector(sel!)?.textContent !== t, [`${row(id)} .time`, before] as const, { timeout: 3_000 });
    // Nothing scrolls on a 1920×1080 wall.
    const overflow = await page.evaluate(() => ({ w: document.documentElement.scrollWidth, h: document.documentElement.scrollHeight }));
    expect(overflow).toEqual({ w: 1920, h: 1080 });
    await shot('overdue');
  });

  it("shows today's first and next response medians and p90, the share answered in time and a 24-hour chart, as stats gives them", async () => {
    // The wall's own question, asked over the API for the same day and the same 24 hours.
    const ask = async () => {
      const now = Date.now();
      const hourStart = new Date(now);
      hourStart.setMinutes(0, 0, 0);
      const todayStart = new Date(now);
      todayStart.setHours(0, 0, 0, 0);
      const to = hourStart.getTime() + 3_600_000;
      return gql<StatsData>(STATS_QUERY, { todayFrom: todayStart.toISOString(), dayFrom: new Date(to - 24 * 3_600_000).toISOString(), to: new Date(to).toISOString(), timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone }, viewer);
    };
    const dur = (s: number | null) => (s === null ? '—' : shortDuration(s * 1000, 'en'));
    const expected = (d: StatsData) => {
      const t = d.today.total;
      return {
        figs: ['', 'median', 'p90', 'First response', dur(t.first.medianSeconds), dur(t.first.p90Seconds), 'Next response', dur(t.next.medianSeconds), dur(t.next.p90Seconds)],
        share: percent(t.shareInTime),
        shareBad: t.shareInTime !== null && t.shareInTime < 0.9,
        label: `Answered in time · ${t.overdue} overdue · ${t.waits} waits`,
      };
    };
    const shown = () =>
      page.evaluate(() => ({
        figs: [...document.querySelectorAll('#today .figs > div')].map((e) => e.textContent ?? ''),
        share: document.querySelector('#today [data-stat="shareInTime"]')?.textContent ?? '',
        shareBad: document.querySelector('#today [data-stat="shareInTime"]')?.classList.contains('bad') ?? false,
        label: document.querySelector('#today .share .l')?.textContent ?? '',
      }));
    // The wall asked when it connected; an open wait passing its deadline since then changes the
    // answer, and the wall catches up at its next minutely refresh.
    let data = await ask();
    for (let i = 0; i < 70 && JSON.stringify(await shown()) !== JSON.stringify(expected(data)); i++) {
      await new Promise((r) => setTimeout(r, 1_000));
      data = await ask();
    }
    expect(await shown()).toEqual(expected(data));
    expect(await page.getAttribute('#today', 'data-state')).toBe('fresh');
    // The company's history has answered waits within the last day.
    expect(data.hours.groups.reduce((n, g) => n + g.figures.waits, 0)).toBeGreaterThan(0);

    // The chart: one bar per hour, stacked in time / overdue / still waiting, the busiest hour full height.
    const bars = data.hours.groups.map((g) => g.figures);
    expect(bars).toHaveLength(24);
    const segments = bars.reduce((n, b) => n + Number(b.answeredInTime > 0) + Number(b.overdue > 0) + Number(b.waits - b.answeredInTime - b.overdue > 0), 0);
    const chart = await page.evaluate(() => {
      const rects = [...document.querySelectorAll('#chart svg rect')].map((r) => ({ x: Number(r.getAttribute('x')), h: Number(r.getAttribute('height')), fill: r.getAttribute('fill') }));
      return { rects, axis: [...document.querySelectorAll('#chart .axis span')].map((e) => e.textContent), caption: document.querySelector('#chart .cap .t')?.textContent };
    });
    expect(chart.caption).toBe('Last 24 hours: waits per hour');
    expect(chart.rects).toHaveLength(segments);
    const max = Math.max(1, ...bars.map((b) => b.waits));
    const heightAt = new Map<number, number>();
    for (const r of chart.rects) heightAt.set(Math.round(r.x), (heightAt.get(Math.round(r.x)) ?? 0) + r.h);
    bars.forEach((b, i) => {
      const h = heightAt.get(Math.round(i * 20 + 1.5)) ?? 0;
      expect(h, `hour ${i}`).toBeCloseTo((Math.max(b.waits, b.answeredInTime + b.overdue) / max) * 143, 0);
    });
    expect(chart.axis).toEqual(data.hours.groups.filter((_, i) => i % 6 === 0).map((g) => timeOfDay(Date.parse(g.window!.start), 'en')));
    await shot('today');
  });

  it('shows who is responsible for each waiting chat, and the unread, mentions and open-task tiles as the board counts them', async () => {
    interface BoardRow {
      chatId: string;
      waitingSince: string | null;
      mentionsOnDuty: boolean;
      responsible: { name: string }[];
    }
    const board = async () =>
      (await gql<{ supportBoard: { chats: BoardRow[]; counts: Record<string, number> } }>('{ supportBoard { chats { chatId waitingSince mentionsOnDuty responsible { name } } counts { unreadSupportChats mentionedOnDuty openTasks } } }', {}, viewer))
        .supportBoard;
    const b = await board();
    const rows = await page.$$eval('#list .row', (els) => els.map((e) => ({ id: (e as HTMLElement).dataset['chatId']!, resp: e.querySelector('.resp')?.firstChild?.textContent ?? '', badge: e.querySelector('.resp .badge')?.textContent ?? null })));
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) {
      const chat = b.chats.find((c) => c.chatId === r.id)!;
      const names = chat.responsible.map((p) => shortName(p.name));
      // Two names fit a row; more are "+".
      expect(r.resp, r.id).toBe(names.length === 0 ? 'nobody assigned' : names.slice(0, 2).join(', ') + (names.length > 2 ? ' +' : ''));
      expect(r.badge, r.id).toBe(chat.mentionsOnDuty ? '@' : null);
    }
    expect(rows.some((r) => r.resp !== 'nobody assigned')).toBe(true);
    const tile = async (name: string) => page.textContent(`[data-count="${name}"] .v`);
    expect(await tile('unread')).toBe(String(b.counts['unreadSupportChats']));
    expect(await tile('mentions')).toBe(String(b.counts['mentionedOnDuty']));
    expect(await tile('tasks')).toBe(String(b.counts['openTasks']));
    expect(await page.textContent('[data-count="mentions"] .k')).toBe('@ on duty');
    expect(await page.textContent('[data-count="tasks"] .k')).toBe('Open tasks');
    // A task made through the API shows on the tile live; closing it takes it off.
    const before = b.counts['openTasks']!;
    const chat = sim.demo.company.clientChats.find((c) => c.scenario === 'answered')!;
    const messageId = sim.daemon.model.chats.get(String(chat.chatId))!.lastMessage!.messageId;
    const task = await gql<{ markMessageAsTask: { id: string } }>('mutation($c: ID!, $m: ID!) { markMessageAsTask(chatId: $c, messageId: $m) { id } }', { c: String(chat.chatId), m: messageId }, manager);
    await page.waitForFunction((n) => document.querySelector('[data-count="tasks"] .v')?.textContent === String(n), before + 1, { timeout: 5_000 });
    await shot('tiles');
    await gql('mutation($t: ID!) { closeTask(id: $t) { status } }', { t: task.markMessageAsTask.id }, manager);
    await page.waitForFunction((n) => document.querySelector('[data-count="tasks"] .v')?.textContent === String(n), before, { timeout: 5_000 });
  });

  it('shows an alarm raised through the API within 2 s, pulsing, with who raised it and why', async () => {
    const chat = sim.demo.company.clientChats.find((c) => c.scenario === 'answered' || c.scenario === 'quiet')!;
    const reason = 'Клиент звонит: не работает оплата на сайте';
    const started = Date.now();
    await gql('mutation($c: ID!, $r: String!) { raiseAlarm(chatId: $c, reason: $r) { raisedAt } }', { c: String(chat.chatId), r: reason }, manager);
    const card = await page.waitForSelector(`#alarms .alarm[data-chat-id="${chat.chatId}"]`, { timeout: 2_000 });
    const elapsed = Date.now() - started;
    expect(elapsed).toBeLessThan(2_000);
    const text = (await card.textContent()) ?? '';
    expect(text).toContain(reason);
    const managerName = sim.daemon.model.roster.byId.get(managerId)!.name.split(' ')[0]!;
    expect(text).toContain(managerName);
    expect(await card.evaluate((e) => getComputedStyle(e, '::after').animationName)).toBe('pulse');
    await shot('alarm');
    await gql('mutation($c: ID!) { clearAlarm(chatId: $c) }', { c: String(chat.chatId) }, manager);
    await page.waitForSelector(`#alarms .alarm[data-chat-id="${chat.chatId}"]`, { state: 'detached', timeout: 3_000 });
  });

  it('moves a quiet chat into "waiting" when its client writes, and out when the team replies', async () => {
    // "It's OK" on every wait first, so that the new wait is on screen rather than in "+ N more".
    for (const r of (await sim.daemon.monitoring.board()).rows) {
      if (r.waitingSince !== null) await gql('mutation($c: ID!) { acknowledge(chatId: $c) { at } }', { c: r.chatKey }, manager);
    }
    await page.waitForSelector('#list .empty', { timeout: 3_000 });
    const chat = sim.demo.company.clientChats.find((c) => c.scenario === 'quiet')!;
    expect(await page.$(row(chat.chatId))).toBeNull();
    sim.demo.world.sendMessage({ chatId: chat.chatId, senderId: chat.clients[0]!.userId, text: 'Добрый день! db-prod-2 не отвечает, сайт лежит' });
    const waiting = await page.waitForSelector(`${row(chat.chatId)}.waiting`, { timeout: 3_000 });
    expect(await waiting.$eval('.name', (e) => e.textContent)).toContain(chat.company);
    expect(await waiting.$eval('.time', (e) => getComputedStyle(e).color)).toBe('rgb(255, 176, 32)');
    expect(await page.textContent('[data-count="waiting"] .v')).toBe('1');
    await shot('waiting');
    sim.demo.world.sendMessage({ chatId: chat.chatId, senderId: chat.teamIds[0]!, text: 'Перезапустили postgres на db-prod-2, проверьте пожалуйста' });
    await page.waitForSelector(row(chat.chatId), { state: 'detached', timeout: 3_000 });
    await page.waitForSelector('#list .empty', { timeout: 3_000 });
    expect(await page.textContent('[data-count="waiting"] .v')).toBe('0');
  });

  it('marks a waiting chat whose client mentions an admin on duty with @, and counts it on the mentions tile', async () => {
    // Nothing else waiting, so the new wait is a row and not in "+ N more".
    for (const r of (await sim.daemon.monitoring.board()).rows) {
      if (r.waitingSince !== null) await gql('mutation($c: ID!) { acknowledge(chatId: $c) { at } }', { c: r.chatKey }, manager);
    }
    await page.waitForSelector('#list .empty', { timeout: 3_000 });
    const before = Number(await page.textContent('[data-count="mentions"] .v'));
    // A chat that one of the daemon's accounts is in, and that account's user mentioned by username.
    const accountUsers = new Set(sim.demo.company.accounts.map((a) => a.userId));
    const chat = sim.demo.company.clientChats.find((c) => c.scenario === 'quiet' && c.teamIds.some((id) => accountUsers.has(id)))!;
    const mentioned = chat.teamIds.find((id) => accountUsers.has(id))!;
    const username = sim.daemon.model.users.get(mentioned)!.username;
    sim.demo.world.sendMessage({ chatId: chat.chatId, senderId: chat.clients[0]!.userId, text: `@${username} посмотрите, пожалуйста: бэкапы не проходят третью ночь` });
    const waiting = await page.waitForSelector(`${row(chat.chatId)} .resp .badge`, { timeout: 5_000 });
    expect(await waiting.textContent()).toBe('@');
    await page.waitForFunction((n) => document.querySelector('[data-count="mentions"] .v')?.textContent === String(n), before + 1, { timeout: 5_000 });
    await shot('mention');
    // Answered by the team and read by the mentioned account: off the list and off the tile.
    sim.demo.world.sendMessage({ chatId: chat.chatId, senderId: mentioned, text: 'Смотрю, перезапускаю задание бэкапа' });
    await page.waitForSelector(row(chat.chatId), { state: 'detached', timeout: 5_000 });
  });

  it('shows who is on duty now with their last activity, and who comes on next and when', async () => {
    const members = (await gql<{ supportBoard: { members: { member: { id: string; name: string }; lastActivityAt: string | null }[] } }>('{ supportBoard { members { member { id name } lastActivityAt } } }', {}, viewer)).supportBoard.members;
    const admins = new Set(sim.demo.company.team.filter((m) => m.role === 'admin').map((m) => String(m.userId)));
    const active = members.filter((m) => admins.has(m.member.id) && m.lastActivityAt !== null).sort((a, b) => Date.parse(b.lastActivityAt!) - Date.parse(a.lastActivityAt!));
    const now = active[0]!;
    const next = members.find((m) => admins.has(m.member.id) && m !== now)!;
    // Now: on duty around the clock. Next: from two whole hours on, for an hour (UTC).
    const hour = new Date().getUTCHours();
    const at = (h: number) => `${String(h % 24).padStart(2, '0')}:00`;
    const everyDay = (from: string, to: string) => [1, 2, 3, 4, 5, 6, 7].map((day) => ({ day, from, to }));
    const nextFrom = at(hour + 2);
    await gql('mutation($m: ID!, $s: [DutyShiftInput!]!) { setDutySchedule(memberId: $m, timeZone: "UTC", shifts: $s) { memberId } }', { m: now.member.id, s: everyDay('00:00', '24:00') }, manager);
    await gql('mutation($m: ID!, $s: [DutyShiftInput!]!) { setDutySchedule(memberId: $m, timeZone: "UTC", shifts: $s) { memberId } }', { m: next.member.id, s: everyDay(nextFrom, (hour + 3) % 24 === 0 ? '24:00' : at(hour + 3)) }, manager);
    try {
      // The wall redraws once per schedule change: wait for the second one, which names who is next.
      await page.waitForFunction((name) => [...(document.querySelectorAll('#duty .people')[1]?.querySelectorAll('.person .n') ?? [])].some((n) => n.textContent === name), shortName(next.member.name), { timeout: 10_000 });
      const duty = await page.evaluate(() => {
        const lists = [...document.querySelectorAll('#duty .people')];
        const people = (l: Element | undefined) => [...(l?.querySelectorAll('.person') ?? [])].map((p) => ({ name: p.querySelector('.n')?.textContent ?? '', activity: p.querySelector('.a')?.textContent ?? '', active: p.classList.contains('active') }));
        return { title: document.querySelector('#duty h2')?.textContent, now: people(lists[0]), next: people(lists[1]), nextTitle: document.querySelector('#duty .next-title')?.textContent };
      });
      expect(duty.title).toBe('On duty');
      // The wall words the age as of its last redraw, at most about a minute ago: any age from
      // then to now is right (by the second under a minute, by the minute above).
      const ago = Date.now() - Date.parse(now.lastActivityAt!);
      expect(duty.now).toHaveLength(1);
      expect(duty.now[0]).toMatchObject({ name: shortName(now.member.name), active: ago < 15 * 60_000 });
      const worded = new Set(Array.from({ length: 66 }, (_, s) => `active ${shortDuration(Math.max(0, ago - s * 1000), 'en')} ago`));
      expect([...worded]).toContain(duty.now[0]!.activity);
      expect(duty.nextTitle).toBe('Next');
      const from = new Date();
      from.setUTCHours(hour + 2, 0, 0, 0);
      expect(duty.next).toEqual([{ name: shortName(next.member.name), activity: `from ${timeOfDay(from.getTime(), 'en')}`, active: false }]);
      await shot('duty');
    } finally {
      for (const m of [now, next]) await gql('mutation($m: ID!) { removeDutySchedule(memberId: $m) }', { m: m.member.id }, manager);
    }
    // Without schedules again, everyone counts as on duty, and the panel says why.
    await page.waitForFunction(() => [...document.querySelectorAll('#duty .note')].some((e) => e.textContent === 'no duty schedules: everyone'), undefined, { timeout: 10_000 });
    expect(await page.$('#duty .next-title')).toBeNull();
  });

  it('shows itself stale while the daemon is down and recovers by itself after the restart', async () => {
    await api.close();
    await sim.stop();
    await page.waitForSelector('#app.stale', { timeout: 10_000 });
    expect(await page.isVisible('#banner')).toBe(true);
    expect((await page.textContent('#banner')) ?? '').toMatch(/Connection lost/);
    await shot('stale');
    sim = await sim.restart();
    await startApi();
    await page.waitForSelector('#app:not(.stale)', { timeout: 15_000 });
    // Live again: a change made after the restart reaches the page without a reload.
    const chat = sim.demo.company.clientChats.find((c) => (c.scenario === 'quiet' || c.scenario === 'answered') && !sim.daemon.model.overdue.get(String(c.chatId))?.waiting)!;
    const reason = 'after restart';
    await gql('mutation($c: ID!, $r: String!) { raiseAlarm(chatId: $c, reason: $r) { raisedAt } }', { c: String(chat.chatId), r: reason }, manager);
    await page.waitForSelector(`#alarms .alarm[data-chat-id="${chat.chatId}"]`, { timeout: 3_000 });
    await shot('recovered');
    await gql('mutation($c: ID!) { clearAlarm(chatId: $c) }', { c: String(chat.chatId) }, manager);
  }, 60_000);

  it('notices a silent network drop by its pings, shows itself stale, and recovers when the network is back', async () => {
    const proxy = await flakyProxy(() => port);
    const p = await browser.newPage({ viewport: { width: 1920, height: 1080 }, locale: 'en-US' });
    try {
      await p.goto(`http://127.0.0.1:${proxy.port}/#token=${viewer}`);
      await p.waitForSelector('#app:not(.stale)', { timeout: 15_000 });
      proxy.down();
      const dropped = Date.now();
      // Pings every 5 s, a pong due within 4 s: stale within about 10 s of the drop.
      await p.waitForSelector('#app.stale', { timeout: 15_000 });
      expect(Date.now() - dropped).toBeLessThan(12_000);
      await shot('network-drop', p);
      proxy.up();
      await p.waitForSelector('#app:not(.stale)', { timeout: 15_000 });
      const chat = sim.demo.company.clientChats.find((c) => (c.scenario === 'quiet' || c.scenario === 'answered') && !sim.daemon.model.alarms.has(String(c.chatId)))!;
      await gql('mutation($c: ID!, $r: String!) { raiseAlarm(chatId: $c, reason: $r) { raisedAt } }', { c: String(chat.chatId), r: 'after the network came back' }, manager);
      await p.waitForSelector(`#alarms .alarm[data-chat-id="${chat.chatId}"]`, { timeout: 3_000 });
      await gql('mutation($c: ID!) { clearAlarm(chatId: $c) }', { c: String(chat.chatId) }, manager);
    } finally {
      await p.close();
      await proxy.close();
    }
  }, 60_000);

  it('speaks Russian to a Russian browser, and signs in once from the form', async () => {
    const context = await browser.newContext({ viewport: { width: 1920, height: 1080 }, locale: 'ru-RU' });
    const ru = await context.newPage();
    await ru.goto(`${api.url}/`);
    await ru.waitForSelector('#signin.open');
    await ru.fill('#signin input', viewer);
    await ru.click('#signin button');
    await ru.waitForSelector('#app:not(.stale)', { timeout: 15_000 });
    expect(await ru.textContent('#waiting h2')).toBe('Ждут ответа');
    expect(await ru.textContent('[data-count="overdue"] .k')).toBe('Просрочено');
    await shot('ru', ru);
    // A reload needs no token again.
    await ru.reload();
    await ru.waitForSelector('#app:not(.stale)', { timeout: 15_000 });
    expect(await ru.isVisible('#signin')).toBe(false);
    await context.close();
  });
});
