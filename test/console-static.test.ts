/**
 * How the daemon serves the console (src/graphql/console-static.ts), on a temporary build
 * folder: `/console` redirects to `/console/` (the browser keeps `#token=…`), the page and its
 * hashed assets come with a strict CSP, unknown paths are 404s, nothing outside the build is
 * reachable, and a missing build says how to make one.
 */
import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { ConsoleStatic } from '../src/graphql/console-static.ts';
import { expectAppPage, serveBuiltAndMissing } from './helpers/static-files.ts';

const served = serveBuiltAndMissing('console', (dir) => new ConsoleStatic(dir, false));

/** GET with the path sent as written: fetch would resolve `..` before it left the client. */
function rawGet(base: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(base), { path, method: 'GET' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('serving the console', () => {
  it('redirects /console to /console/ and serves the page with a strict CSP', async () => {
    const r = await fetch(`${served.base}/console`, { redirect: 'manual' });
    expect(r.status).toBe(308);
    expect(new URL(r.headers.get('location')!, `${served.base}/console`).pathname).toBe('/console/');
    await expectAppPage(await fetch(`${served.base}/console/`));
  });

  it('serves hashed assets for good, and nothing else', async () => {
    const js = await fetch(`${served.base}/console/assets/index-abc123.js`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toContain('text/javascript');
    expect(js.headers.get('cache-control')).toContain('immutable');
    expect((await fetch(`${served.base}/console/secret.txt`)).status).toBe(404);
    const traversal = await rawGet(served.base, '/console/assets/../secret.txt');
    expect(traversal.status).toBe(404);
    expect(traversal.body).not.toContain('nope'); // fakeBuild's secret.txt
    expect((await fetch(`${served.base}/console/assets/%2e%2e%2fsecret.txt`)).status).toBe(404);
    expect((await fetch(`${served.base}/consoles`)).status).toBe(418);
    expect((await fetch(`${served.base}/console/`, { method: 'POST' })).status).toBe(418);
  });

  it('says how to build the console when it is not built', async () => {
    const r = await fetch(`${served.missingBase}/console/`);
    expect(r.status).toBe(503);
    expect(await r.text()).toContain('bin/build-console.mjs');
  });
});
