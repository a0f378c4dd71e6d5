/**
 * How the daemon serves the NOC wall at `/` (src/graphql/noc-static.ts over static-app.ts), on a
 * temporary build folder: the page at `/` and `/index.html` and its hashed assets come with a
 * strict CSP; at the root the wall claims nothing but those, so /graphql, /metrics and /console
 * stay the server's; nothing outside the build is reachable; a missing build says how to make one.
 */
import { describe, expect, it } from 'vitest';
import { NocStatic } from '../src/graphql/noc-static.ts';
import { expectAppPage, serveBuiltAndMissing } from './helpers/static-files.ts';

const served = serveBuiltAndMissing('noc', (dir) => new NocStatic(dir, false));

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
    expect((await fetch(`${served.base}/assets/../secret.txt`)).status).not.toBe(200);
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
