/**
 * Fresh stores for benchmarks: SQLite in a temporary directory, or PostgreSQL in a schema of its
 * own on the local server (127.0.0.1 only), dropped afterwards.
 */
import { mkdtempSync, rmSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { Kysely, Migrator, PostgresDialect } from 'kysely';
import { openStore, type Store } from '../../src/store/database.ts';
import { migrateToLatest, migrationProvider } from '../../src/store/migrations/index.ts';
import type { Database } from '../../src/store/schema.ts';

export type StoreKind = 'sqlite' | 'postgres';

export const BENCH_DATABASE_URL =
  process.env.TGDESK_BENCH_DATABASE_URL ?? process.env.TGDESK_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface BenchStore {
  readonly kind: StoreKind;
  readonly store: Store;
  readonly dataDir: string;
  /** The PostgreSQL schema, or null on SQLite. */
  readonly schema: string | null;
  /** Options that open the same database again (a child process). */
  readonly reopen: { dataDir: string; databaseUrl?: string; pgSchema?: string };
  /** SQLite: the file (with WAL) in MB. PostgreSQL: the schema's relations in MB. */
  sizeMb(): Promise<number>;
  dispose(): Promise<void>;
}

export async function openBenchStore(kind: StoreKind, options: { migrate?: boolean; poolSize?: number } = {}): Promise<BenchStore> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tgdesk-bench-'));
  if (kind === 'sqlite') {
    const store = await openStore({ dataDir });
    if (options.migrate !== false) await store.migrate();
    return {
      kind,
      store,
      dataDir,
      schema: null,
      reopen: { dataDir },
      async sizeMb() {
        let bytes = 0;
        for (const suffix of ['', '-wal']) {
          const f = join(dataDir, `tgdesk.sqlite${suffix}`);
          if (existsSync(f)) bytes += statSync(f).size;
        }
        return bytes / 2 ** 20;
      },
      async dispose() {
        await store.close().catch(() => undefined);
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  }
  const schema = `bench_${randomBytes(5).toString('hex')}`;
  const store = await openPgStore(schema, options.poolSize ?? 4);
  if (options.migrate !== false) await migratePgSchema(store, schema);
  return {
    kind,
    store,
    dataDir,
    schema,
    reopen: { dataDir, databaseUrl: BENCH_DATABASE_URL, pgSchema: schema },
    async sizeMb() {
      const client = new pg.Client({ connectionString: BENCH_DATABASE_URL });
      await client.connect();
      try {
        const r = await client.query(
          `select coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint as b from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = $1 and c.relkind = 'r'`,
          [schema],
        );
        return Number(r.rows[0].b) / 2 ** 20;
      } finally {
        await client.end();
      }
    },
    async dispose() {
      await store.close().catch(() => undefined);
      await dropSchema(schema).catch(() => undefined);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

// int8 columns hold Telegram ids and unix milliseconds, all below 2^53: read them as numbers (as openStore does).
const pgTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === 20) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format as 'text');
  },
} as pg.CustomTypesConfig;

/**
 * openStore's PostgreSQL store (src/store/database.ts), with one difference: the search path also
 * holds the schema where pg_trgm lives. The server is shared, and `CREATE EXTENSION IF NOT EXISTS
 * pg_trgm` in migration 0002 installs the extension into whichever schema ran it first; another
 * schema then cannot see `gin_trgm_ops`. So the bench makes sure the extension exists outside its
 * own schema (dropping the schema must never drop an extension others use) and puts that schema
 * on its path.
 */
async function openPgStore(schema: string, poolSize: number): Promise<Store> {
  const admin = new pg.Client({ connectionString: BENCH_DATABASE_URL });
  await admin.connect();
  let extSchema: string;
  try {
    const found = await admin.query(`select n.nspname as s from pg_extension e join pg_namespace n on n.oid = e.extnamespace where e.extname = 'pg_trgm'`);
    if (found.rows.length === 0) await admin.query('CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public');
    extSchema = found.rows[0]?.s ?? 'public';
    await admin.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
  } finally {
    await admin.end();
  }
  const path = extSchema === 'public' || extSchema === schema ? `${schema},public` : `${schema},${extSchema}`;
  const pool = new pg.Pool({ connectionString: BENCH_DATABASE_URL, max: poolSize, types: pgTypes, options: `-c search_path=${path}` });
  pool.on('error', () => undefined);
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return {
    db,
    dialect: 'postgres',
    location: `postgres (schema ${schema})`,
    migrate: () => migrateToLatest(db as Kysely<unknown>, 'postgres'),
    close: () => db.destroy(),
  };
}

/**
 * store.migrate() on PostgreSQL, with Kysely's migration tables pinned to the schema. Without
 * `migrationTableSchema`, Kysely's Migrator looks for its tables in every schema of the database
 * and skips creating them when another schema has them (then fails with "relation
 * kysely_migration_lock does not exist").
 */
async function migratePgSchema(store: Store, schema: string): Promise<void> {
  const migrator = new Migrator({ db: store.db as Kysely<unknown>, provider: migrationProvider('postgres'), migrationTableSchema: schema });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error');
    throw new Error(`migration ${failed?.migrationName ?? '?'} failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}

export async function dropSchema(schema: string): Promise<void> {
  if (!/^bench_[a-z0-9_]+$/.test(schema)) throw new Error(`refusing to drop schema ${schema}`);
  const client = new pg.Client({ connectionString: BENCH_DATABASE_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await client.end();
  }
}

/** Whether the PostgreSQL server answers; benches skip PostgreSQL (and say so) when it does not. */
export async function postgresAvailable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: BENCH_DATABASE_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}
