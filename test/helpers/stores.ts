/**
 * Runs a suite once on SQLite and once on the real PostgreSQL server, each in a fresh
 * database: a temporary directory, or a schema of its own that is dropped afterwards.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openStore, type Store } from '../../src/store/database.ts';

export const TEST_DATABASE_URL = process.env.TGDESK_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export type StoreKind = 'sqlite' | 'postgres';
export const STORE_KINDS: readonly StoreKind[] = ['sqlite', 'postgres'];

export interface TestStore extends Store {
  readonly kind: StoreKind;
  /** Where the SQLite file lives (its temp directory), or the PostgreSQL schema name. */
  readonly place: string;
  /** The options that open this same database again (a daemon restart, a second process). */
  readonly reopenOptions: { dataDir: string; databaseUrl?: string; pgSchema?: string };
  dispose(): Promise<void>;
}

export async function createTestStore(kind: StoreKind): Promise<TestStore> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tgdesk-test-'));
  if (kind === 'sqlite') {
    const store = await openStore({ dataDir });
    await store.migrate();
    return Object.assign(store, {
      kind,
      place: dataDir,
      reopenOptions: { dataDir },
      async dispose() {
        await store.close().catch(() => undefined);
        rmSync(dataDir, { recursive: true, force: true });
      },
    });
  }
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const store = await openStore({ dataDir, databaseUrl: TEST_DATABASE_URL, pgSchema: schema, pgPoolSize: 4 });
  await store.migrate();
  return Object.assign(store, {
    kind,
    place: schema,
    reopenOptions: { dataDir, databaseUrl: TEST_DATABASE_URL, pgSchema: schema },
    async dispose() {
      await store.close().catch(() => undefined);
      await dropSchema(schema);
      rmSync(dataDir, { recursive: true, force: true });
    },
  });
}

export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await client.end();
  }
}
