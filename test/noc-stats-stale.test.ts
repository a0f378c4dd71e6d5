/**
 * The wall's "Today" panel when the day's statistics cannot be refreshed while the board stays
 * live: a daemon on PostgreSQL through a TCP hop that the test cuts, so `stats` (which reads the
 * newest response episodes from the store) fails at the wall's next minutely refresh while the
 * board keeps streaming from memory. The panel keeps its figures, dimmed and labelled with their
 * time, in the wall's language, and comes back by itself once the store is back. Real Chromium,
 * real daemon; a screenshot of each state in artifacts/.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '../src/graphql/server.ts';
import { timeOfDay } from '../src/noc/web/src/format.ts';
import { createMemoryLogger } from '../src/shared/log.ts';
import { buildWebApp, launchChromium, saveScreenshot, screenshotOnFailure } from './helpers/browser-apps.ts';
import { startSimDaemon, type SimDaemon } from './helpers/sim-daemon.ts';
import { startStoreHop, type StoreHop } from './helpers/store-hop.ts';
import { createTestStore, TEST_DATABASE_URL, type TestStore } from './helpers/stores.ts';

let base: TestStore;
let hop: StoreHop;
let sim: SimDaemon;
let api: ApiServer;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  buildWebApp('noc');
  base = await createTestStore('postgres');
  hop = await startStoreHop(new URL(TEST_DATABASE_URL));
  sim = await startSimDaemon({ store: { ...base, reopenOptions: { ...base.reopenOptions, databaseUrl: hop.url(TEST_DATABASE_URL) } } });
  api = await startApiServer({ daemon: sim.daemon, logger: createMemoryLogger('error'), host: '127.0.0.1', port: 0 });
  const viewer = (await sim.daemon.tokens.create({ name: 'wall', role: 'viewer' })).token;
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1920, height: 1080 }, locale: 'en-US' });
  await page.goto(`${api.url}/#token=${viewer}`);
  await page.waitForSelector('#app:not(.stale)', { timeout: 15_000 });
  await page.waitForSelector('#today[data-state="fresh"]', { timeout: 15_000 });
}, 120_000);

screenshotOnFailure('noc-stats', () => page);

afterAll(async () => {
  hop?.set('up');
  await browser?.close();
  await api?.close();
  await sim?.dispose();
  await hop?.close();
});

const panel = () =>
  page.evaluate(() => ({
    state: document.querySelector('#today')?.getAttribute('data-state'),
    note: document.querySelector('#today .stats-note')?.textContent ?? '',
    figs: [...document.querySelectorAll('#today .figs .m')].map((e) => e.textContent),
    share: document.querySelector('#today [data-stat="shareInTime"]')?.textContent,
    dimmed: getComputedStyle(document.querySelector('#today .figs')!).filter,
  }));

describe("the wall's Today panel without fresh statistics", () => {
  it('keeps the last figures, dimmed and labelled with their time, in English and Russian, while the board stays live; then refreshes by itself', async () => {
    const fresh = await panel();
    expect(fresh).toMatchObject({ state: 'fresh', note: '', dimmed: 'none' });
    const freshAt = Date.now();

    hop.set('refused');
    // The next minutely refresh fails.
    await page.waitForSelector('#today[data-state="stale"]', { timeout: 75_000 });
    const stale = await panel();
    // Nothing is blanked: the figures are the ones from before, marked as such.
    expect(stale.figs).toEqual(fresh.figs);
    expect(stale.share).toBe(fresh.share);
    expect(stale.dimmed).toContain('grayscale');
    // Labelled with the time of the figures it shows: when the wall last got them.
    const asOf = /^Not refreshed — figures as of (\d\d:\d\d)$/.exec(stale.note)?.[1];
    expect(asOf, stale.note).toBeDefined();
    expect([timeOfDay(freshAt, 'en'), timeOfDay(freshAt - 60_000, 'en')]).toContain(asOf);
    // Only the panel: the board is live, no connection banner.
    expect(await page.$('#app.stale')).toBeNull();
    expect(await page.isVisible('#banner')).toBe(false);
    await saveScreenshot(page, 'noc-stats-stale');

    // The wall's language switch words it in Russian, the same time.
    await page.click('#lang button[data-lang="ru"]');
    await page.waitForFunction(() => document.querySelector('#today h2')?.textContent === 'Сегодня');
    expect(await page.textContent('#today .stats-note')).toBe(`Не обновлено — данные на ${asOf}`);
    await saveScreenshot(page, 'noc-stats-stale-ru');
    await page.click('#lang button[data-lang="en"]');

    // The store is back: the next try (sooner than a minute after a failure) refreshes the panel.
    hop.set('up');
    await page.waitForSelector('#today[data-state="fresh"]', { timeout: 30_000 });
    expect(await panel()).toMatchObject({ state: 'fresh', note: '', dimmed: 'none' });
    await saveScreenshot(page, 'noc-stats-fresh-again');
  }, 150_000);
});
