/**
 * The NOC wall with more waiting clients than a screen holds: 520 support chats whose clients wait
 * from half a minute to 26 minutes, in a real headless Chromium (Debian's) against a daemon on the
 * simulator. The wall shows the worst ones (overdue first, longest wait first) in the rows that
 * fit 1920×1080 without scrolling, counts the rest ("+ N more waiting, M of them overdue"), and
 * says so in Russian or English (`#lang=ru`, the RU/EN switch, kept across a reload). Each test
 * leaves a screenshot in artifacts/, a failing one too.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Daemon } from '../src/app/daemon.ts';
import { DEMO_COMPANY_NAMES } from '../src/cli/demo.ts';
import { startApiServer, type ApiServer } from '../src/graphql/server.ts';
import { createMemoryLogger } from '../src/shared/log.ts';
import { createTelegramAccount } from '../src/tdlib/account.ts';
import { buildSupportCompany } from '../src/tdlib/simulator/support-company.ts';
import { createSimWorld } from '../src/tdlib/simulator/world.ts';
import { buildWebApp, launchChromium, saveScreenshot, screenshotOnFailure } from './helpers/browser-apps.ts';
import { createTestStore, type TestStore } from './helpers/stores.ts';

const WAITING = 520;

let store: TestStore;
let daemon: Daemon;
let api: ApiServer;
let browser: Browser;
let page: Page;
let token = '';

async function shot(name: string, p: Page = page): Promise<void> {
  await saveScreenshot(p, `noc-many-${name}`);
}

/** What the list and the line under it show, and the two tiles the line must agree with. */
function readWall(p: Page) {
  return p.evaluate(() => {
    const rows = [...document.querySelectorAll<HTMLElement>('#list .row')];
    const tile = (name: string) => Number(document.querySelector(`[data-count="${name}"] .v`)?.textContent ?? Number.NaN);
    return {
      ids: rows.map((r) => r.dataset['chatId']!),
      overdueRows: rows.filter((r) => r.classList.contains('overdue')).length,
      more: document.querySelector('#more')?.textContent ?? '',
      waiting: tile('waiting'),
      overdue: tile('overdue'),
      heading: document.querySelector('#waiting h2')?.textContent ?? '',
    };
  });
}

/** Polls until the "+ N more" line agrees with the tiles and the rows (a chat may turn overdue between two reads). */
async function consistentWall(p: Page, line: (hidden: number, hiddenOverdue: number) => string) {
  const end = Date.now() + 5_000;
  for (;;) {
    const w = await readWall(p);
    if (w.more === line(w.waiting - w.ids.length, w.overdue - w.overdueRows) || Date.now() > end) return w;
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  buildWebApp('noc');
  const logger = createMemoryLogger('warn');
  store = await createTestStore('sqlite');
  const world = createSimWorld({ seed: 31 });
  const company = buildSupportCompany(world, { seed: 31, accounts: 3, clientChats: 12, historyHours: 2 });
  const admins = company.accounts.filter((m) => m.role === 'admin').map((m) => m.userId);
  const nowS = Math.floor(world.now());
  for (let i = 0; i < WAITING; i++) {
    const client = world.addUser({ firstName: `Клиент ${i + 1}`, lastName: 'Ждущий', languageCode: 'ru' });
    const team = [...new Set([admins[i % admins.length]!, admins[(i + 1) % admins.length]!])];
    const chat = world.createSupergroup(`Компания ${i + 1}`, [...team, client.id], team, { creatorId: team[0]!, date: nowS - 4 * 3600 });
    // The daemon learns a supergroup's team from who wrote in it: an admin greets first.
    world.sendMessage({ chatId: chat.id, senderId: team[0]!, text: 'Здравствуйте! Это чат поддержки', date: nowS - 3 * 3600 });
    // Waits from 30 s to 26 min, 3 s apart: with the 15-minute threshold, the older half is overdue.
    world.sendMessage({ chatId: chat.id, senderId: client.id, text: `Не работает сервер ${i + 1}`, date: nowS - 30 - 3 * i });
  }
  const accounts = company.accounts.map((m, i) => createTelegramAccount({ accountId: `account${i + 1}`, transport: world.connect(m.userId), logger }));
  daemon = new Daemon({
    store,
    accounts,
    logger,
    team: { teamChatId: company.teamChat.id, members: company.team.map((m) => ({ userId: m.userId, role: m.role, name: m.name })), companyNames: DEMO_COMPANY_NAMES },
  });
  await daemon.start();
  await daemon.whenSynced();
  api = await startApiServer({ daemon, logger, host: '127.0.0.1', port: 0 });
  token = (await daemon.tokens.create({ name: 'wall', role: 'viewer' })).token;
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1920, height: 1080 }, locale: 'en-US' });
  await page.goto(`${api.url}/#token=${token}`);
  await page.waitForSelector('#app:not(.stale)', { timeout: 30_000 });
}, 120_000);

screenshotOnFailure('noc-many', () => page);

afterAll(async () => {
  await browser?.close();
  await api?.close();
  await daemon?.close();
  await store?.dispose();
});

describe('NOC wall with 500+ waiting clients', () => {
  it('shows the worst waits that fit the screen, without scrolling, and counts the rest', async () => {
    const board = await daemon.monitoring.board();
    const waiting = board.rows.filter((r) => r.waitingSince !== null);
    expect(waiting.length).toBeGreaterThanOrEqual(WAITING);
    const w = await consistentWall(page, (n, overdue) => `+ ${n} more waiting, ${overdue} of them overdue`);
    expect(w.waiting).toBe(board.counts.waitingChats);
    // As many rows as fit 1080 px at the wall's size, and the rest counted.
    expect(w.ids.length).toBeGreaterThanOrEqual(8);
    expect(w.ids.length).toBeLessThan(20);
    expect(w.more).toBe(`+ ${w.waiting - w.ids.length} more waiting, ${w.overdue - w.overdueRows} of them overdue`);
    // The worst: overdue first, then the longest wait; with one threshold for all, simply the longest waits.
    const worst = [...waiting].sort((a, b) => a.waitingSince! - b.waitingSince! || (a.chatKey < b.chatKey ? -1 : 1)).slice(0, w.ids.length);
    expect(w.ids).toEqual(worst.map((r) => r.chatKey));
    expect(w.overdueRows).toBe(w.ids.length);
    // Nothing scrolls, and three-digit counts fit their tiles.
    const fit = await page.evaluate(() => ({
      w: document.documentElement.scrollWidth,
      h: document.documentElement.scrollHeight,
      listOverflows: (() => {
        const list = document.querySelector('#list')!;
        return list.scrollHeight > list.clientHeight + 1;
      })(),
      tilesOverflow: [...document.querySelectorAll<HTMLElement>('.tile .v')].filter((v) => v.scrollWidth > v.clientWidth + 1).length,
    }));
    expect(fit).toEqual({ w: 1920, h: 1080, listOverflows: false, tilesOverflow: 0 });
    await shot('worst');
  });

  it('says it in Russian with #lang=ru, in English after the EN switch, and keeps the choice across a reload', async () => {
    const context = await browser.newContext({ viewport: { width: 1920, height: 1080 }, locale: 'en-US' });
    const p = await context.newPage();
    try {
      await p.goto(`${api.url}/#token=${token}&lang=ru`);
      await p.waitForSelector('#app:not(.stale)', { timeout: 15_000 });
      expect(new URL(p.url()).hash).toBe('');
      const ru = await consistentWall(p, (n, overdue) => `+ ещё ${n} ждут, из них ${overdue} просрочено`);
      expect(ru.heading).toBe('Ждут ответа');
      expect(ru.more).toBe(`+ ещё ${ru.waiting - ru.ids.length} ждут, из них ${ru.overdue - ru.overdueRows} просрочено`);
      expect(await p.getAttribute('html', 'lang')).toBe('ru');
      await shot('ru', p);
      await p.click('#lang button[data-lang="en"]');
      const en = await consistentWall(p, (n, overdue) => `+ ${n} more waiting, ${overdue} of them overdue`);
      expect(en.heading).toBe('Waiting clients');
      expect(en.more).toBe(`+ ${en.waiting - en.ids.length} more waiting, ${en.overdue - en.overdueRows} of them overdue`);
      await p.reload();
      await p.waitForSelector('#app:not(.stale)', { timeout: 15_000 });
      expect(await p.textContent('#waiting h2')).toBe('Waiting clients');
      expect(await p.getAttribute('html', 'lang')).toBe('en');
      await shot('en', p);
    } finally {
      await context.close();
    }
  });
});
