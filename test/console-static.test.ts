/**
 * How the daemon serves the console (src/graphql/console-static.ts), on a temporary build
 * folder: `/console` redirects to `/console/` (the browser keeps `#token=…`), the page and its
 * hashed assets come with a strict CSP, unknown paths are 404s, nothing outside the build is
 * reachable, and a missing build says how to make one.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConsoleStatic } from '../src/graphql/console-static.ts';

let server: Server;
let base = '';
let missing: Server;
let missingBase = '';

function serve(dir: string): Promise<{ server: Server; url: string }> {
  const files = new ConsoleStatic(dir, false);
  const s = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (!files.handle(req, res, path)) res.writeHead(418).end('not the console');
  });
  return new Promise((resolve) => s.listen(0, '127.0.0.1', () => resolve({ server: s, url: `http://127.0.0.1:${(s.address() as AddressInfo).port}` })));
}

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tgdesk-console-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>console</title><script type="module" src="./assets/index-abc123.js"></script>');
  writeFileSync(join(dir, 'assets', 'index-abc123.js'), 'console.log(1)');
  writeFileSync(join(dir, 'secret.txt'), 'nope');
  ({ server, url: base } = await serve(dir));
  ({ server: missing, url: missingBase } = await serve(mkdtempSync(join(tmpdir(), 'tgdesk-console-empty-'))));
});

afterAll(async () => {
  await new Promise((r) => server?.close(r));
  await new Promise((r) => missing?.close(r));
});

describe('serving the console', () => {
  it('redirects /console to /console/ and serves the page with a strict CSP', async () => {
    const r = await fetch(`${base}/console`, { redirect: 'manual' });
    expect(r.status).toBe(308);
    expect(new URL(r.headers.get('location')!, `${base}/console`).pathname).toBe('/console/');
    const page = await fetch(`${base}/console/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(page.headers.get('content-security-policy')).toContain("connect-src 'self'");
    expect(page.headers.get('cache-control')).toBe('no-cache');
    expect(await page.text()).toContain('index-abc123.js');
  });

  it('serves hashed assets for good, and nothing else', async () => {
    const js = await fetch(`${base}/console/assets/index-abc123.js`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toContain('text/javascript');
    expect(js.headers.get('cache-control')).toContain('immutable');
    expect((await fetch(`${base}/console/secret.txt`)).status).toBe(404);
    expect((await fetch(`${base}/console/assets/../secret.txt`)).status).not.toBe(200);
    expect((await fetch(`${base}/console/assets/%2e%2e%2fsecret.txt`)).status).toBe(404);
    expect((await fetch(`${base}/consoles`)).status).toBe(418);
    expect((await fetch(`${base}/console/`, { method: 'POST' })).status).toBe(418);
  });

  it('says how to build the console when it is not built', async () => {
    const r = await fetch(`${missingBase}/console/`);
    expect(r.status).toBe(503);
    expect(await r.text()).toContain('bin/build-console.mjs');
  });
});
