/**
 * The demo's GraphiQL works offline: `tgdesk demo` as a process, the GraphiQL link it prints
 * opened in Debian's Chromium, the editor renders with its default query and the token's header,
 * and Run shows the answer. Every request the browser makes goes to 127.0.0.1; a request to any
 * other host (a CDN such as unpkg.com) fails the test, and is refused rather than sent. The page's
 * Content-Security-Policy allows scripts from the daemon only, names no other host, and nothing on
 * the page breaks it.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { launchChromium, saveScreenshot, screenshotOnFailure } from './helpers/browser-apps.ts';
import { launchDemoProcess, type DemoProcess } from './helpers/demo-process.ts';

let demo: DemoProcess | null = null;
let browser: Browser | null = null;
let page: Page | undefined;

screenshotOnFailure('graphiql', () => page);

afterAll(async () => {
  await browser?.close();
  await demo?.stop();
});

/** Text of a Monaco editor inside `root`, as shown (Monaco draws only the visible lines). */
function editorText(p: Page, root: string): Promise<string> {
  return p.$eval(`${root} .view-lines`, (el) => (el as HTMLElement).innerText.replace(/\u00a0/g, ' ')).catch(() => '');
}

describe('tgdesk demo and GraphiQL', () => {
  it('opens the printed GraphiQL link offline: the editor renders, a query runs, and no request leaves 127.0.0.1', async () => {
    demo = launchDemoProcess('graphiql');
    await demo.ready;
    const out = demo.out();
    const err = demo.err();
    expect(out, err).toContain('Stop with Ctrl-C');
    const link = /GraphiQL, signed in as the demo manager: (http:\/\/127\.0\.0\.1:\d+\/graphql\?token=(tgd_[\w-]+))/.exec(out);
    expect(link, out).toBeTruthy();
    const [, url, token] = link!;

    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'en-US' });
    // Every request any page or worker of this browser makes: the offline promise is that each
    // one goes to the daemon. Others are recorded and refused, as a closed network would.
    const elsewhere: string[] = [];
    const local: { method: string; url: string; authorization: string | undefined }[] = [];
    await context.route('**/*', async (route) => {
      const request = route.request();
      const target = new URL(request.url());
      if (target.hostname !== '127.0.0.1') {
        elsewhere.push(request.url());
        await route.abort('blockedbyclient').catch(() => undefined);
        return;
      }
      // Requests still in flight when the test closes the browser have nothing left to answer.
      const headers = await request.allHeaders().catch(() => null);
      if (headers === null) return;
      local.push({ method: request.method(), url: request.url(), authorization: headers['authorization'] });
      await route.continue().catch(() => undefined);
    });
    context.on('request', (request) => {
      const target = new URL(request.url());
      if ((target.protocol === 'http:' || target.protocol === 'https:' || target.protocol.startsWith('ws')) && target.hostname !== '127.0.0.1') elsewhere.push(request.url());
    });
    await context.addInitScript(() => {
      const seen: string[] = [];
      (window as unknown as { cspViolations: string[] }).cspViolations = seen;
      document.addEventListener('securitypolicyviolation', (e) => seen.push(`${e.violatedDirective} ${e.blockedURI}`));
    });
    page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });

    const response = await page.goto(url!);
    expect(response?.status()).toBe(200);
    // Scripts, workers and requests from this origin only; no other host anywhere in the policy.
    const csp = new Map(((await response!.allHeaders())['content-security-policy'] ?? '').split(';').map((d) => d.trim().split(/\s+/)).map(([name, ...values]) => [name!, values.join(' ')]));
    expect(csp.get('default-src')).toBe("'none'");
    expect(csp.get('script-src')).toBe("'self'");
    expect(csp.get('worker-src')).toBe("'self'");
    expect(csp.get('connect-src')).toBe("'self'");
    expect([...csp.values()].join(' ')).not.toMatch(/https?:|\*|unsafe-eval/);

    // The editor renders, with the demo's default query and the link's token as its header.
    const rendered = page.waitForFunction(() => document.querySelector('.graphiql-container .graphiql-query-editor .view-lines')?.textContent?.includes('teamSummary'), undefined, { timeout: 30_000 });
    await rendered.catch((error: Error) => {
      throw new Error(`GraphiQL did not render; asked other hosts for: ${elsewhere.join(', ') || 'nothing'}; page errors: ${errors.join(' | ') || 'none'} (${error.message})`);
    });
    expect(await editorText(page, '.graphiql-query-editor')).toContain('accounts');

    // Run: the answer appears in the result pane.
    await page.click('.graphiql-execute-button');
    await page.waitForFunction(() => /"overdueChats":\s*\d+/.test(document.querySelector('.graphiql-response .view-lines')?.textContent?.replace(/\u00a0/g, ' ') ?? ''), undefined, { timeout: 30_000 });
    const answer = await editorText(page, '.graphiql-response');
    expect(answer).toMatch(/"teamSummary"/);
    expect(answer).toMatch(/"syncState":\s*"/);
    expect(answer).not.toMatch(/UNAUTHENTICATED|"errors"/);
    await saveScreenshot(page, 'graphiql-demo');

    // The query went to the daemon with the link's token, and nothing went anywhere else.
    const runs = local.filter((r) => r.method === 'POST' && new URL(r.url).pathname === '/graphql');
    expect(runs.length).toBeGreaterThan(0);
    expect(runs.every((r) => r.authorization === `Bearer ${token}`)).toBe(true);
    expect(local.some((r) => new URL(r.url).pathname === '/graphiql/graphiql.js')).toBe(true);
    expect(elsewhere).toEqual([]);
    expect(await page.evaluate(() => (window as unknown as { cspViolations: string[] }).cspViolations)).toEqual([]);
    expect(errors).toEqual([]);
    await context.unrouteAll({ behavior: 'ignoreErrors' });
  }, 180_000);
});
