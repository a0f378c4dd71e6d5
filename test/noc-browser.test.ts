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
