/**
 * Multi-row `INSERT … ON CONFLICT` and `UPDATE … FROM VALUES` for the tables ingest writes on
 * every turn (messages, chat states, cursors, events), written as SQL text rather than through
 * Kysely's query builder, which parses and compiles every value of every row (several
 * microseconds each, hundreds of rows per statement).
 *
 * On SQLite the rows go in chunks of 256, 128, …, 1 (the binary digits of the count), so each
 * table has at most nine statement texts: SQLite's statement cache (database.ts) then reuses
 * them, and does not keep hundreds of large prepared statements, one per row count, alive. On
 * PostgreSQL, where every statement is a round trip, chunks are as large as the parameter limit
 * allows.
 *
 * Only fixed table and column names from this codebase go into the text; every value is a
 * bound parameter.
 */
import { CompiledQuery, PostgresAdapter, type Kysely } from 'kysely';

export interface BulkInsertSpec {
  readonly table: string;
  readonly columns: readonly string[];
  /** The unique key that decides a conflict; omit for a plain insert. */
  readonly conflict?: readonly string[];
  /** Columns a conflicting row takes from the new one; none means the old row stays. */
  readonly update?: readonly string[];
  /** An SQL condition on `excluded` and the table that must hold for the update. */
  readonly updateWhere?: string;
  readonly returning?: readonly string[];
}

/** Rows per statement on PostgreSQL: well under its bound-parameter limit for our widest table. */
const PG_ROWS_PER_STATEMENT = 500;
const SQLITE_LARGEST_CHUNK = 256;

/** How many rows each statement takes, in order. */
function chunkSizes(rows: number, postgres: boolean): number[] {
  const sizes: number[] = [];
  let left = rows;
  if (postgres) {
    for (; left > 0; left -= PG_ROWS_PER_STATEMENT) sizes.push(Math.min(left, PG_ROWS_PER_STATEMENT));
    return sizes;
  }
  for (; left >= SQLITE_LARGEST_CHUNK; left -= SQLITE_LARGEST_CHUNK) sizes.push(SQLITE_LARGEST_CHUNK);
  for (let size = SQLITE_LARGEST_CHUNK / 2; size >= 1; size /= 2) {
    if (left >= size) {
      sizes.push(size);
      left -= size;
    }
  }
  return sizes;
}

/**
 * Runs one statement per chunk of rows; returns the rows the statements returned, in order, and
 * for each chunk the rowid SQLite gave the last row it inserted.
 */
async function runChunked<R>(
  db: Kysely<unknown>,
  rows: readonly (readonly unknown[])[],
  textOf: (rows: number, postgres: boolean) => string,
  lastIds?: { size: number; lastId: bigint | undefined }[],
): Promise<R[]> {
  const out: R[] = [];
  const postgres = isPostgres(db);
  let at = 0;
  for (const size of chunkSizes(rows.length, postgres)) {
    const parameters: unknown[] = [];
    for (let i = at; i < at + size; i++) for (const value of rows[i]!) parameters.push(value);
    at += size;
    const result = await db.executeQuery<R>(CompiledQuery.raw(textOf(size, postgres), parameters));
    for (const r of result.rows) out.push(r);
    lastIds?.push({ size, lastId: result.insertId });
  }
  return out;
}

const texts = new Map<string, string>();

const quote = (name: string): string => `"${name}"`;

function statementText(spec: BulkInsertSpec, rows: number, postgres: boolean): string {
  const cacheKey = `${postgres ? 'pg' : 'sqlite'}\u0000${spec.table}\u0000${spec.columns.join(',')}\u0000${spec.conflict?.join(',') ?? ''}\u0000${spec.update?.join(',') ?? ''}\u0000${spec.updateWhere ?? ''}\u0000${spec.returning?.join(',') ?? ''}\u0000${rows}`;
  const hit = texts.get(cacheKey);
  if (hit !== undefined) return hit;
  const width = spec.columns.length;
  const groups: string[] = [];
  for (let r = 0; r < rows; r++) {
    const marks: string[] = [];
    for (let c = 0; c < width; c++) marks.push(postgres ? `$${r * width + c + 1}` : '?');
    groups.push(`(${marks.join(', ')})`);
  }
  let text = `insert into ${quote(spec.table)} (${spec.columns.map(quote).join(', ')}) values ${groups.join(', ')}`;
  if (spec.conflict) {
    text += ` on conflict (${spec.conflict.map(quote).join(', ')})`;
    text += spec.update?.length ? ` do update set ${spec.update.map((c) => `${quote(c)} = excluded.${quote(c)}`).join(', ')}${spec.updateWhere ? ` where ${spec.updateWhere}` : ''}` : ' do nothing';
  }
  if (spec.returning) text += ` returning ${spec.returning.map(quote).join(', ')}`;
  // Bounded: SQLite's texts are few (see chunkSizes); PostgreSQL's are cheap to build again.
  if (!postgres) texts.set(cacheKey, text);
  return text;
}

export function isPostgres(db: Kysely<unknown>): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

/**
 * Inserts rows (each an array of values in `spec.columns` order). Returns the RETURNING rows in
 * insertion order, which both SQLite and PostgreSQL keep for a single VALUES list.
 */
export function bulkInsert<R = Record<string, unknown>>(db: Kysely<unknown>, spec: BulkInsertSpec, rows: readonly (readonly unknown[])[]): Promise<R[]> {
  return runChunked<R>(db, rows, (n, postgres) => statementText(spec, n, postgres));
}

/**
 * Inserts rows into a table whose key is an auto-increment integer and returns each row's key,
 * in order. `spec` has no conflict clause and `returning` names the key. On SQLite no rows come
 * back: one INSERT holds the write lock throughout and numbers its rows one after another, so
 * each chunk's keys run up to the rowid it reports last. That spares a result row per insert.
 */
export async function bulkInsertNumbered(db: Kysely<unknown>, spec: BulkInsertSpec & { readonly returning: readonly [string] }, rows: readonly (readonly unknown[])[]): Promise<number[]> {
  if (spec.conflict) throw new Error('bulkInsertNumbered takes plain inserts only');
  if (isPostgres(db)) return (await bulkInsert<Record<string, unknown>>(db, spec, rows)).map((r) => Number(r[spec.returning[0]]));
  const plain: BulkInsertSpec = { table: spec.table, columns: spec.columns };
  const chunks: { size: number; lastId: bigint | undefined }[] = [];
  await runChunked(db, rows, (n, postgres) => statementText(plain, n, postgres), chunks);
  const ids: number[] = [];
  for (const { size, lastId } of chunks) {
    if (lastId === undefined) throw new Error(`SQLite reported no rowid for an insert into ${spec.table}`);
    const last = Number(lastId);
    for (let k = size - 1; k >= 0; k--) ids.push(last - k);
  }
  return ids;
}

export interface BulkUpdateSpec {
  readonly table: string;
  /** The column rows are matched on; the first value of every row. */
  readonly key: { readonly name: string; readonly pgType: string };
  /** The columns set, from the rest of each row's values in this order. */
  readonly set: readonly { readonly name: string; readonly pgType: string }[];
  /**
   * An extra SQL condition; the new values are `v.column2`, `v.column3`… (column1 is the key),
   * the current ones `"<table>"."<column>"`.
   */
  readonly where?: string;
}

function updateText(spec: BulkUpdateSpec, rows: number, postgres: boolean): string {
  const cacheKey = `update\u0000${postgres ? 'pg' : 'sqlite'}\u0000${spec.table}\u0000${spec.key.name}\u0000${spec.set.map((c) => c.name).join(',')}\u0000${spec.where ?? ''}\u0000${rows}`;
  const hit = texts.get(cacheKey);
  if (hit !== undefined) return hit;
  const types = [spec.key.pgType, ...spec.set.map((c) => c.pgType)];
  const groups: string[] = [];
  for (let r = 0; r < rows; r++) {
    // PostgreSQL cannot infer the types of bare parameters in a VALUES list.
    groups.push(`(${types.map((t, c) => (postgres ? `$${r * types.length + c + 1}::${t}` : '?')).join(', ')})`);
  }
  const table = quote(spec.table);
  const text =
    `update ${table} set ${spec.set.map((c, i) => `${quote(c.name)} = v.column${i + 2}`).join(', ')}` +
    ` from (values ${groups.join(', ')}) as v where ${table}.${quote(spec.key.name)} = v.column1${spec.where ? ` and ${spec.where}` : ''}`;
  if (!postgres) texts.set(cacheKey, text);
  return text;
}

/** Updates many rows by key in one statement per chunk (UPDATE … FROM VALUES, on both SQLite and PostgreSQL). */
export async function bulkUpdate(db: Kysely<unknown>, spec: BulkUpdateSpec, rows: readonly (readonly unknown[])[]): Promise<void> {
  await runChunked(db, rows, (n, postgres) => updateText(spec, n, postgres));
}
