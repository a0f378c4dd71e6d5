/**
 * Opens the store: SQLite (one file, WAL) by default, PostgreSQL when a URL is given.
 * Both come back as the same `Store`, so repositories and tests run unchanged on either.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteAdapter, SqliteDialect, sql, type DatabaseIntrospector, type DialectAdapter, type TableMetadata } from 'kysely';
import pg from 'pg';
import type { Database } from './schema.ts';
import { migrateToLatest, type Dialect, type MigrationReport } from './migrations/index.ts';
import { FALLBACK_AUTOCHECKPOINT_PAGES, startWalCheckpointer } from './wal-checkpointer.ts';

export interface Store {
  readonly db: Kysely<Database>;
  readonly dialect: Dialect;
  /** Where the data lives, for messages to the operator: a file path or "postgres". Never a password. */
  readonly location: string;
  migrate(): Promise<MigrationReport>;
  close(): Promise<void>;
}

export interface StoreOptions {
  /** Directory of `tgdesk.sqlite`; used when `databaseUrl` is absent. */
  readonly dataDir: string;
  readonly databaseUrl?: string | null;
  /** PostgreSQL schema to use instead of `public` (created if missing). Tests give each suite its own. */
  readonly pgSchema?: string;
  readonly pgPoolSize?: number;
}

// int8 columns hold Telegram ids and unix milliseconds, all below 2^53: read them as numbers.
const pgTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === 20) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format as 'text');
  },
} as pg.CustomTypesConfig;

export async function openStore(options: StoreOptions): Promise<Store> {
  if (options.databaseUrl) return openPostgres(options.databaseUrl, options);
  return openSqlite(options.dataDir);
}

function openSqlite(dataDir: string): Store {
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, 'tgdesk.sqlite');
  const database = new SQLite(file);
  database.pragma('journal_mode = WAL');
  // NORMAL is durable across a process crash in WAL mode; only an OS crash can lose the last commit.
  database.pragma('synchronous = NORMAL');
  database.pragma('busy_timeout = 5000');
  database.pragma('foreign_keys = ON');
  // Checkpoints run on a worker thread (wal-checkpointer.ts); this connection only steps in if
  // the log grows far past SQLite's default.
  database.pragma(`wal_autocheckpoint = ${FALLBACK_AUTOCHECKPOINT_PAGES}`);
  const checkpointer = startWalCheckpointer(file);
  const db = new Kysely<Database>({ dialect: new TransactionalDdlSqliteDialect({ database: withStatementCache(database) }) });
  return {
    db,
    dialect: 'sqlite',
    location: file,
    migrate: () => migrateToLatest(db as Kysely<unknown>, 'sqlite'),
    close: async () => {
      await checkpointer.close();
      await db.destroy();
    },
  };
}

/**
 * Kysely runs SQLite migrations outside a transaction because its adapter says SQLite has no
 * transactional DDL, but it has: CREATE TABLE, CREATE INDEX and FTS5 tables all roll back. Run
 * outside a transaction, a daemon killed in the middle of a migration leaves its first tables
 * behind without the migration recorded, and every later start fails on "table already exists".
 */
class TransactionalDdlSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

class TransactionalDdlSqliteDialect extends SqliteDialect {
  override createAdapter(): DialectAdapter {
    return new TransactionalDdlSqliteAdapter();
  }
}

/**
 * Kysely's migrator asks the introspector whether its bookkeeping tables exist, and Kysely's
 * PostgreSQL introspector reads every table of every schema, calling pg_get_serial_sequence on
 * each column: when another tgdesk store (a second installation, a parallel test) drops its schema
 * meanwhile, that call fails with "schema … does not exist" and the migration with it. The store
 * only ever needs its own schema's tables.
 */
class OwnSchemaPostgresDialect extends PostgresDialect {
  constructor(
    config: ConstructorParameters<typeof PostgresDialect>[0],
    private readonly schema: string,
  ) {
    super(config);
  }

  override createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    const all = super.createIntrospector(db);
    const schema = this.schema;
    const getTables = async (): Promise<TableMetadata[]> => {
      const rows = await sql<{ table_name: string; table_type: string }>`select table_name, table_type from information_schema.tables where table_schema = ${schema}`.execute(db);
      return rows.rows.map((r) => ({ name: r.table_name, schema, isView: r.table_type === 'VIEW', columns: [] }));
    };
    return {
      getSchemas: () => all.getSchemas(),
      getTables,
      getMetadata: async () => ({ tables: await getTables() }),
    };
  }
}

/**
 * Kysely prepares every query afresh; preparing costs as much as running a small statement, and
 * ingest runs the same few statements thousands of times. Prepared statements are reusable, so
 * keep the recent ones by their SQL text.
 */
function withStatementCache(database: SQLite.Database, size = 500): SQLite.Database {
  const cache = new Map<string, SQLite.Statement>();
  const prepare = (sql: string): SQLite.Statement => {
    const hit = cache.get(sql);
    if (hit) {
      cache.delete(sql);
      cache.set(sql, hit);
      return hit;
    }
    const statement = database.prepare(sql);
    if (cache.size >= size) cache.delete(cache.keys().next().value!);
    cache.set(sql, statement);
    return statement;
  };
  return new Proxy(database, {
    get(target, property, receiver) {
      if (property === 'prepare') return prepare;
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

async function openPostgres(url: string, options: StoreOptions): Promise<Store> {
  const schema = options.pgSchema;
  if (schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error(`invalid PostgreSQL schema name "${schema}"`);
  const pool = new pg.Pool({
    connectionString: url,
    max: options.pgPoolSize ?? 10,
    types: pgTypes,
    // public stays on the path for database-wide extensions (pg_trgm).
    ...(schema ? { options: `-c search_path=${schema},public` } : {}),
  });
  // A dropped connection must not crash the daemon; the next query reconnects.
  pool.on('error', () => undefined);
  // The pool listens only to idle clients. One checked out between two statements (inside a
  // transaction) whose connection drops emits 'error' on itself: without a listener that is an
  // uncaught exception, and the daemon dies with the database. Its next statement fails instead.
  pool.on('connect', (client) => client.on('error', () => undefined));
  const db = new Kysely<Database>({ dialect: new OwnSchemaPostgresDialect({ pool }, schema ?? 'public') });
  if (schema) await sql.raw(`CREATE SCHEMA IF NOT EXISTS ${schema}`).execute(db);
  const parsed = new URL(url);
  return {
    db,
    dialect: 'postgres',
    location: `postgres://${parsed.host}${parsed.pathname}${schema ? ` (schema ${schema})` : ''}`,
    migrate: () => migrateToLatest(db as Kysely<unknown>, 'postgres', schema ?? 'public'),
    close: () => db.destroy(),
  };
}
