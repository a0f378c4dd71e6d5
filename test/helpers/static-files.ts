/**
 * For the tests of how the daemon serves its browser apps (src/graphql/static-app.ts): a build
 * folder made on the spot, and a plain HTTP server that asks the app's handler first and answers
 * 418 for whatever the handler leaves to the rest of the server.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import type { StaticApp } from '../../src/graphql/static-app.ts';

/** A folder shaped like Vite's output: index.html naming a hashed script, the script and a stylesheet, and a file outside assets/. */
export function fakeBuild(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `tgdesk-${name}-`));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), `<!doctype html><title>${name}</title><script type="module" src="./assets/index-abc123.js"></script>`);
  writeFileSync(join(dir, 'assets', 'index-abc123.js'), 'console.log(1)');
  writeFileSync(join(dir, 'assets', 'index-abc123.css'), 'body{}');
  writeFileSync(join(dir, 'secret.txt'), 'nope');
  return dir;
}

/** A folder with no build in it. */
export function emptyBuild(name: string): string {
  return mkdtempSync(join(tmpdir(), `tgdesk-${name}-empty-`));
}

export function serveApp(app: StaticApp): Promise<{ server: Server; url: string }> {
  const s = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (!app.handle(req, res, path)) res.writeHead(418).end('not the app');
  });
  return new Promise((resolve) => s.listen(0, '127.0.0.1', () => resolve({ server: s, url: `http://127.0.0.1:${(s.address() as AddressInfo).port}` })));
}

/**
 * For a test file: before its tests, serves the app over a fake build and over an empty folder;
 * after them, closes both. Read `base` and `missingBase` inside the tests.
 */
export function serveBuiltAndMissing(name: string, make: (dir: string) => StaticApp): { readonly base: string; readonly missingBase: string } {
  const servers: Server[] = [];
  const urls = { base: '', missingBase: '' };
  beforeAll(async () => {
    const built = await serveApp(make(fakeBuild(name)));
    const missing = await serveApp(make(emptyBuild(name)));
    servers.push(built.server, missing.server);
    urls.base = built.url;
    urls.missingBase = missing.url;
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  });
  return urls;
}

/** The app's page as the fake build has it: HTML with a strict CSP, revalidated on every load. */
export async function expectAppPage(page: Response): Promise<void> {
  expect(page.status).toBe(200);
  expect(page.headers.get('content-type')).toContain('text/html');
  expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
  expect(page.headers.get('content-security-policy')).toContain("connect-src 'self'");
  expect(page.headers.get('cache-control')).toBe('no-cache');
  expect(await page.text()).toContain('index-abc123.js');
}
