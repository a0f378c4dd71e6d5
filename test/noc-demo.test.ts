/**
 * The issue's own setting for the wall's browser tests: `tgdesk demo` as a process, and the NOC
 * wall link it prints (`/#token=…` with a viewer token) opened in Debian's Chromium. The wall
 * shows the chats the simulator made overdue, by their clients' names. The simulated company is
 * deterministic, so this process builds the same one to know which chats those are and whose.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { createDemoWorld } from '../src/cli/demo.ts';
import { createMemoryLogger } from '../src/shared/log.ts';
import { buildWebApp, launchChromium, saveScreenshot, screenshotOnFailure } from './helpers/browser-apps.ts';
import { launchDemoProcess, type DemoProcess } from './helpers/demo-process.ts';

let demo: DemoProcess | null = null;
let browser: Browser | null = null;
let page: Page | undefined;

screenshotOnFailure('noc-demo', () => page);

afterAll(async () => {
  await browser?.close();
  await demo?.stop();
});

describe('tgdesk demo and the NOC wall', () => {
  it('prints a wall link that opens the wall signed in, showing an overdue chat by its client name', async () => {
    buildWebApp('noc');
    demo = launchDemoProcess('noc-demo');
    await demo.ready;
    const out = demo.out();
    const err = demo.err();
    expect(out, err).toContain('Stop with Ctrl-C');
    const link = /NOC wall: (http:\/\/127\.0\.0\.1:\d+\/#token=tgd_[\w-]+)/.exec(out)?.[1];
    expect(link, out).toBeTruthy();

    // The company the demo simulates, built the same way: its overdue chats and their clients.
    const company = createDemoWorld({ logger: createMemoryLogger('error') }).company;
    const overdue = new Map(company.clientChats.filter((c) => c.scenario === 'overdue').map((c) => [String(c.chatId), c.company]));
    expect(overdue.size).toBeGreaterThan(0);

    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1920, height: 1080 }, locale: 'en-US' });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(link!);
    await page.waitForSelector('#app:not(.stale)', { timeout: 20_000 });
    await page.waitForSelector('#list .row.overdue', { timeout: 10_000 });
    // Signed in by the link, which then leaves the address bar.
    expect(new URL(page.url()).hash).toBe('');
    const rows = await page.$$eval('#list .row.overdue', (els) => els.map((e) => ({ id: (e as HTMLElement).dataset['chatId']!, name: e.querySelector('.name')?.textContent ?? '' })));
    // Live traffic may answer some of them meanwhile; the ones still overdue are the simulator's, named for their clients.
    const scripted = rows.filter((r) => overdue.has(r.id));
    expect(scripted.length, JSON.stringify(rows)).toBeGreaterThan(0);
    for (const r of scripted) expect(r.name).toContain(overdue.get(r.id)!);
    expect(Number(await page.textContent('[data-count="overdue"] .v'))).toBeGreaterThanOrEqual(scripted.length);
    await saveScreenshot(page, 'noc-demo');
    expect(errors).toEqual([]);
  }, 120_000);
});
