/**
 * How the daemon serves the NOC wall at `/` (src/graphql/noc-static.ts over static-app.ts), on a
 * temporary build folder: the page at `/` and `/index.html` and its hashed assets come with a
 * strict CSP; at the root the wall claims nothing but those, so /graphql, /metrics and /console
 * stay the server's; nothing outside the build is reachable; a missing build says how to make one.
 */
import { rmSync, utimesSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NocStatic } from '../src/graphql/noc-static.ts';
import { expectAppPage, fakeBuild, serveApp, serveBuiltAndMissing } from './helpers/static-files.ts';

const served = serveBuiltAndMissing('noc', (dir) => new NocStatic(dir, false));

/** GET with the path sent as written: fetch would resolve `..` before it left the client. */
function rawGet(base: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}/`, { path }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('serving the wall', () => {
  it('serves the page at / and /index.html with a strict CSP', async () => {
    for (const path of ['/', '/index.html']) {
      await expectAppPage(await fetch(`${served.base}${path}`));
    }
    const head = await fetch(`${served.base}/`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });

  it('serves hashed assets for good, and nothing else', async () => {
    const js = await fetch(`${served.base}/assets/index-abc123.js`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toContain('text/javascript');
    expect(js.headers.get('cache-control')).toContain('immutable');
    expect((await fetch(`${served.base}/assets/index-abc123.css`)).headers.get('content-type')).toContain('text/css');
    expect((await fetch(`${served.base}/assets/missing.js`)).status).toBe(404);
    expect((await fetch(`${served.base}/assets/%2e%2e%2fsecret.txt`)).status).toBe(404);
    // Under /assets/ the wall answers itself: it refuses, rather than read the file outside assets/.
    for (const path of ['/assets/../secret.txt', '/assets/..%2fsecret.txt', '/assets/%2e%2e/secret.txt']) {
      expect(await rawGet(served.base, path), path).toEqual({ status: 404, body: expect.not.stringContaining('nope') });
    }
  });

  it('leaves every other path to the server', async () => {
    for (const path of ['/secret.txt', '/graphql', '/metrics', '/console/', '/index.htm']) expect((await fetch(`${served.base}${path}`)).status, path).toBe(418);
    expect((await fetch(`${served.base}/`, { method: 'POST' })).status).toBe(418);
  });

  it('says how to build the wall when it is not built', async () => {
    const r = await fetch(`${served.missingBase}/`);
    expect(r.status).toBe(503);
    const text = await r.text();
    expect(text).toContain('The NOC wall is not built');
    expect(text).toContain('bin/build-noc.mjs');
    expect(r.headers.get('content-security-policy')).toContain("default-src 'none'");
  });
});

describe('reading the build', () => {
  it('answers unknown asset paths without reading the folder again, and still picks up a rebuild', async () => {
    const dir = fakeBuild('noc');
    const app = new NocStatic(dir, false);
    const { server, url } = await serveApp(app);
    try {
      expect(app.scans).toBe(1);
      // A scanner walking /assets/: each miss is a 404, and none re-reads the folder.
      for (let i = 0; i < 200; i++) expect((await fetch(`${url}/assets/probe-${i}.js`)).status).toBe(404);
      expect((await fetch(`${url}/`)).status).toBe(200);
      expect(app.scans).toBe(1);

      // A rebuild: new hashed names, the old ones gone. (Times set ahead: a build in the same
      // millisecond as the first would otherwise look unchanged.)
      rmSync(join(dir, 'assets', 'index-abc123.js'));
      writeFileSync(join(dir, 'assets', 'index-def456.js'), 'console.log(2)');
      writeFileSync(join(dir, 'index.html'), '<!doctype html><title>noc</title><script type="module" src="./assets/index-def456.js"></script>');
      const later = new Date(Date.now() + 10_000);
      utimesSync(join(dir, 'assets'), later, later);
      utimesSync(join(dir, 'index.html'), later, later);
      expect(await (await fetch(`${url}/`)).text()).toContain('index-def456.js');
      expect(await (await fetch(`${url}/assets/index-def456.js`)).text()).toBe('console.log(2)');
      expect((await fetch(`${url}/assets/index-abc123.js`)).status).toBe(404);
      expect(app.scans).toBe(2);
      for (let i = 0; i < 50; i++) expect((await fetch(`${url}/assets/probe-${i}.css`)).status).toBe(404);
      expect(app.scans).toBe(2);
    } finally {
      await new Promise((r) => server.close(r));
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('finds an asset written after the index, on the request that misses it', async () => {
    const dir = fakeBuild('noc');
    const app = new NocStatic(dir, false);
    const { server, url } = await serveApp(app);
    try {
      expect((await fetch(`${url}/assets/late-789.js`)).status).toBe(404);
      writeFileSync(join(dir, 'assets', 'late-789.js'), 'console.log(3)');
      const later = new Date(Date.now() + 10_000);
      utimesSync(join(dir, 'assets'), later, later);
      expect((await fetch(`${url}/assets/late-789.js`)).status).toBe(200);
      expect(app.scans).toBe(2);
    } finally {
      await new Promise((r) => server.close(r));
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
