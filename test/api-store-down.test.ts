/**
 * The operations endpoints when the store goes away: a daemon on PostgreSQL reached through a
 * TCP hop that the test can cut, as a failed database server or a network partition would.
 * `/readyz` answers 503 and `/metrics` fails the scrape (503) rather than serve part of its
 * figures; `/healthz` stays 200 (the process still serves); all recover once the store is back.
 * The daemon survives the drop: Vitest fails the file on any uncaught error, such as one from a
 * connection that dropped while a transaction held it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '../src/graphql/server.ts';
import { createMemoryLogger } from '../src/shared/log.ts';
import { startSimDaemon, type SimDaemon } from './helpers/sim-daemon.ts';
import { startStoreHop, type StoreHop } from './helpers/store-hop.ts';
import { createTestStore, TEST_DATABASE_URL, type TestStore } from './helpers/stores.ts';

let base: TestStore;
let hop: StoreHop;
let sim: SimDaemon;
let api: ApiServer;
const logger = createMemoryLogger('warn');

beforeAll(async () => {
  base = await createTestStore('postgres');
  const target = new URL(TEST_DATABASE_URL);
  hop = await startStoreHop(target);
  // The same database, reached through the hop: the daemon's store connects there.
  sim = await startSimDaemon({ store: { ...base, reopenOptions: { ...base.reopenOptions, databaseUrl: hop.url(TEST_DATABASE_URL) } } });
  api = await startApiServer({ daemon: sim.daemon, logger, host: '127.0.0.1', port: 0 });
}, 90_000);

afterAll(async () => {
  hop?.set('up');
  await api?.close();
  await sim?.dispose();
  await hop?.close();
});

const get = (path: string) => fetch(`${api.url}${path}`);

/** Polls until the endpoints answer 200 again; bounded. */
async function recovered(): Promise<boolean> {
  for (let i = 0; i < 100; i++) {
    if ((await get('/readyz')).status === 200 && (await get('/metrics')).status === 200) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

describe('operations endpoints without a store', () => {
  it('are 200 with the store up', async () => {
    const ready = await get('/readyz');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ ready: true, store: 'ok' });
    const metrics = await get('/metrics');
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toMatch(/^tgdesk_account_sync_complete\{account="[^"]+"\} 1$/m);
  });

  it('say so when the database server is down: /readyz 503, /metrics 503 without partial figures, /healthz 200; then recover', async () => {
    hop.set('refused');
    const ready = await get('/readyz');
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ ready: false, store: 'unreachable' });
    const metrics = await get('/metrics');
    expect(metrics.status).toBe(503);
    const text = await metrics.text();
    expect(text).toContain('store is unreachable');
    expect(text).not.toMatch(/^tgdesk_/m);
    expect((await get('/healthz')).status).toBe(200);
    // The cause is in the log, for whoever looks at the daemon.
    expect(logger.lines.some((l) => l.includes('not ready: the store is unreachable'))).toBe(true);
    expect(logger.lines.some((l) => l.includes('metrics could not read the daemon state'))).toBe(true);
    hop.set('up');
    expect(await recovered()).toBe(true);
    expect(await (await get('/readyz')).json()).toMatchObject({ ready: true, store: 'ok' });
  }, 30_000);

  it('answer 503 rather than hang when the store stops answering without closing anything', async () => {
    hop.set('silent');
    const [ready, metrics] = await Promise.all([get('/readyz'), get('/metrics')]);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ ready: false, store: 'unreachable' });
    expect(metrics.status).toBe(503);
    expect(logger.lines.some((l) => l.includes('did not answer within'))).toBe(true);
    hop.set('up');
    expect(await recovered()).toBe(true);
  }, 30_000);
});
