/**
 * SQLite's write-ahead log is checkpointed off the daemon's thread: what commits pile up in the
 * log reaches the database file without the writer ever checkpointing itself.
 */
import { statSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../src/store/database.ts';
import { FALLBACK_AUTOCHECKPOINT_PAGES } from '../src/store/wal-checkpointer.ts';
import { eventually } from './helpers/sim-daemon.ts';

let dir = '';
let store: Store | null = null;
afterEach(async () => {
  await store?.close();
  store = null;
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the write-ahead log', () => {
  it('reaches the database file while the writer goes on, far below the writer’s own checkpoint bound', async () => {
    dir = mkdtempSync(join(tmpdir(), 'tgdesk-wal-'));
    store = await openStore({ dataDir: dir });
    await store.migrate();
    const file = join(dir, 'tgdesk.sqlite');
    const before = statSync(file).size;
    // The writer's own bound is far above what is written below, so whatever reaches the file
    // was checkpointed by someone else.
    const bound = await sql<{ wal_autocheckpoint: number }>`pragma wal_autocheckpoint`.execute(store.db);
    expect(bound.rows).toEqual([{ wal_autocheckpoint: FALLBACK_AUTOCHECKPOINT_PAGES }]);
    expect(FALLBACK_AUTOCHECKPOINT_PAGES).toBeGreaterThanOrEqual(10 * 2_000);
    await sql`create table filler (id integer primary key, body text not null)`.execute(store.db);
    // About 8 MB in 40 commits: 2,000 pages, a tenth of what the writer lets the log reach.
    const body = 'x'.repeat(4000);
    for (let c = 0; c < 40; c++) {
      await store.db.transaction().execute(async (trx) => {
        for (let i = 0; i < 50; i++) await sql`insert into filler (body) values (${body})`.execute(trx);
      });
    }
    expect(await eventually(() => statSync(file).size > before + 7_000_000, 10_000)).toBe(true);
    await store.close();
    store = null;
    // The last connection to close takes the log away.
    expect(() => statSync(`${file}-wal`)).toThrow();
  });
});
