/**
 * Raw batched INSERTs straight through the drivers (better-sqlite3, pg), no Kysely and no
 * repository logic: the baseline the ingest rate is compared with, and the fast way benches fill
 * a store before the daemon starts on it.
 */
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import pg from 'pg';

/** The columns of `messages` (src/store/schema.ts) except the generated id, in insert order. */
export const MESSAGE_COLUMNS = [
  'chat_key',
  'msg_key',
  'sort_key',
  'sender_key',
  'sender_user_id',
  'date',
  'edit_date',
  'reply_to_key',
  'text',
  'entities',
  'has_mention',
  'content_kind',
  'media_summary',
  'is_service',
  'deleted_at',
  'first_seen_at',
] as const;

export type Row = readonly unknown[];

/** Rows per INSERT statement: the repositories' chunk size, well under both drivers' parameter limits. */
export const ROWS_PER_STATEMENT = 400;

/** A multi-row INSERT for SQLite, prepared once per row count. */
export function sqliteBulk(database: SQLite.Database, table: string, columns: readonly string[], suffix = ''): (rows: readonly Row[]) => void {
  const statements = new Map<number, SQLite.Statement>();
  const one = `(${columns.map(() => '?').join(',')})`;
  const statementFor = (n: number): SQLite.Statement => {
    let s = statements.get(n);
    if (!s) {
      s = database.prepare(`INSERT INTO ${table} (${columns.join(',')}) VALUES ${Array.from({ length: n }, () => one).join(',')} ${suffix}`);
      statements.set(n, s);
    }
    return s;
  };
  return (rows) => {
    for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
      const part = rows.slice(i, i + ROWS_PER_STATEMENT);
      statementFor(part.length).run(...part.flat());
    }
  };
}

/** The same for PostgreSQL, over one client. */
export function pgBulk(client: pg.Client | pg.PoolClient, table: string, columns: readonly string[], suffix = ''): (rows: readonly Row[]) => Promise<void> {
  return async (rows) => {
    for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
      const part = rows.slice(i, i + ROWS_PER_STATEMENT);
      const values = part.map((_, r) => `(${columns.map((__, c) => `$${r * columns.length + c + 1}`).join(',')})`).join(',');
      await client.query(`INSERT INTO ${table} (${columns.join(',')}) VALUES ${values} ${suffix}`, part.flat());
    }
  };
}

/** Opens the store's SQLite file with a second connection, with the store's pragmas. */
export function openSqliteFile(dataDir: string): SQLite.Database {
  const database = new SQLite(join(dataDir, 'tgdesk.sqlite'));
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = NORMAL');
  database.pragma('busy_timeout = 5000');
  return database;
}

/** The plain table of the baseline: `messages`' columns and an integer key, nothing else. */
export function plainMessagesDdl(dialect: 'sqlite' | 'postgres', table: string): string {
  const id = dialect === 'sqlite' ? 'id INTEGER PRIMARY KEY AUTOINCREMENT' : 'id bigserial PRIMARY KEY';
  return `CREATE TABLE ${table} (
    ${id},
    chat_key text NOT NULL, msg_key text NOT NULL, sort_key bigint NOT NULL, sender_key text NOT NULL,
    sender_user_id bigint, date bigint NOT NULL, edit_date bigint NOT NULL DEFAULT 0, reply_to_key text,
    text text NOT NULL, entities text NOT NULL DEFAULT '[]', has_mention integer NOT NULL DEFAULT 0,
    content_kind text NOT NULL, media_summary text, is_service integer NOT NULL DEFAULT 0,
    deleted_at bigint, first_seen_at bigint NOT NULL
  )`;
}

/** The indexes `messages` carries (migrations 0001 and 0002), for the indexed baseline. */
export function messagesIndexesDdl(table: string): string[] {
  return [
    `CREATE UNIQUE INDEX ${table}_identity ON ${table} (chat_key, msg_key)`,
    `CREATE INDEX ${table}_by_position ON ${table} (chat_key, sort_key)`,
    `CREATE INDEX ${table}_by_date ON ${table} (date)`,
    `CREATE INDEX ${table}_edited ON ${table} (edit_date) WHERE edit_date > 0`,
    `CREATE INDEX ${table}_deleted ON ${table} (deleted_at) WHERE deleted_at IS NOT NULL`,
  ];
}
