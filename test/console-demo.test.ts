/**
 * The README's promise for the console: `tgdesk demo` as a process prints a console link signed
 * in as the demo's manager, and that link opens a live console in Chromium.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { buildConsole, launchChromium, screenshot } from './helpers/console-daemon.ts';

let child: ChildProcess | null = null;
let browser: Browser | null = null;
const dataDir = mkdtempSync(join(tmpdir(), 'tgdesk-console-demo-'));

afterAll(async () => {
  await browser?.close();
  if (child && child.exitCode === null) {
    const exited = new Promise((r) => child!.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
  rmSync(dataDir, { recursive: true, force: true });
});

describe('tgdesk demo and the console', () => {
  it('prints a console link that opens the console signed in as the demo manager', async () => {
    buildConsole();
    child = spawn(process.execPath, ['bin/tgdesk.mjs', 'demo'], { env: { ...process.env, TGDESK_DATA_DIR: dataDir, TGDESK_PORT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    for (let i = 0; i < 600 && !out.includes('Stop with Ctrl-C'); i++) await new Promise((r) => setTimeout(r, 100));
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
