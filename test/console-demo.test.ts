/**
 * The README's promise for the console: `tgdesk demo` as a process prints a console link signed
 * in as the demo's manager, and that link opens a live console in Chromium.
 */
import type { Browser } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { buildConsole, launchChromium, screenshot } from './helpers/console-daemon.ts';
import { launchDemoProcess, type DemoProcess } from './helpers/demo-process.ts';

let demo: DemoProcess | null = null;
let browser: Browser | null = null;

afterAll(async () => {
  await browser?.close();
  await demo?.stop();
});

describe('tgdesk demo and the console', () => {
  it('prints a console link that opens the console signed in as the demo manager', async () => {
    buildConsole();
    demo = launchDemoProcess('console-demo');
    await demo.ready;
    const out = demo.out();
    const err = demo.err();
    expect(out, err).toContain('Stop with Ctrl-C');
    const link = /Console, signed in as the demo manager: (http:\/\/127\.0\.0\.1:\d+\/console#token=tgd_[\w-]+)/.exec(out)?.[1];
    expect(link).toBeTruthy();

    browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 }, locale: 'en-US' });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(link!);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 20_000 });
    expect(await page.$$eval('.row:not([hidden])', (r) => r.length)).toBeGreaterThan(5);
    // The manager sees the Team screens.
    expect(await page.isVisible('[data-view="team"]')).toBe(true);
    expect(await page.textContent('.side-head .who strong')).toBeTruthy();
    await screenshot(page, 'demo');
    expect(errors).toEqual([]);
  }, 90_000);
});
