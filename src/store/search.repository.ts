/**
 * Message search: the index tables of migration 0002 and the queries over them.
 *
 * What matches is defined in src/domain/search-text.ts and decided there, on the current text of
 * each candidate (`findMatchRanges`). The indexes here only propose candidates, newest first, so a
 * stale index entry can delay a hit but never show a wrong one, and deleted messages are dropped
 * on the way out even before the indexer has removed them.
 *
 * Bounded work, on both dialects:
 * - SQLite runs on the daemon's thread (better-sqlite3 is synchronous), so a search is many small
 *   statements, each reading one page of one index in rowid order, and it yields to the event
 *   loop every few milliseconds. Several indexes (words, substrings, chat and sender facets) are
 *   intersected by a leapfrog join that seeks each index to the other's position, so a rare term
 *   costs as little as its own matches. A time and statement budget stops the walk; the outcome
 *   then says `truncated`.
 * - PostgreSQL plans one statement over GIN indexes and date order, run under
 *   `statement_timeout`; it never blocks the event loop, and the timeout bounds the server's work.
 */
import { sql, type Generated, type Kysely, type RawBuilder } from 'kysely';
import { findMatchRanges, parseSearchQuery, type SearchQueryText } from '../domain/search-text.ts';
import { badInput } from '../domain/errors.ts';
import type { ChatKey } from '../domain/ids.ts';
import type { Dialect } from './migrations/types.ts';
import type { Database } from './schema.ts';

type Db = Kysely<Database>;

// Tables of migrations 0002 and 0007 that Kysely builds queries for; the FTS5 tables are reached with raw SQL.
type SearchTables = {
  search_index_state: { id: number; indexed_to_id: number; events_to_seq: number; updated_at: number };
  search_reindex: { id: Generated<number>; message_id: number; queued_at: number };
};

const tables = (db: Db) => db.withTables<SearchTables>();

// ---------------------------------------------------------------------------------------------
// Searching

export const MAX_SEARCH_LIMIT = 200;

export interface SearchQuery {
  /** What the user typed; see src/domain/search-text.ts for what it means. */
  readonly query: string;
  /** Only these chats. An empty list finds nothing. */
  readonly chatKeys?: readonly ChatKey[];
  /** Unix seconds (the unit of a message's date), inclusive. */
  readonly from?: number;
  /** Unix seconds, exclusive. */
  readonly to?: number;
  readonly senderUserId?: number;
  /** At most MAX_SEARCH_LIMIT; more is cut to it. */
  readonly limit: number;
}

export interface SearchHit {
  readonly messageId: number;
  readonly chatKey: ChatKey;
  /** Unix seconds. */
  readonly date: number;
  readonly senderUserId: number | null;
  readonly text: string;
  /** Sorted, non-overlapping, half-open `[start, end)` UTF-16 offsets into `text`. */
  readonly matchRanges: ReadonlyArray<readonly [number, number]>;
}

export interface SearchBudget {
  /** Wall time one search may take in all. */
  readonly maxMillis: number;
  /** SQLite: longest run of synchronous statements before yielding to the event loop. */
  readonly sliceMillis: number;
  /** SQLite: most index statements one search may run. */
  readonly maxStatements: number;
}

export const DEFAULT_SEARCH_BUDGET: SearchBudget = { maxMillis: 1_500, sliceMillis: 8, maxStatements: 5_000 };

export interface SearchOutcome {
  /** Newest first (date, then message id). */
  readonly hits: SearchHit[];
  /** The budget ran out before `limit` hits were found or the index was exhausted: older hits may exist. */
  readonly truncated: boolean;
  /** Candidates read from the messages table (index hits that were checked against the text). */
  readonly candidates: number;
  /** Index statements run (SQLite) or search statements (PostgreSQL). */
  readonly statements: number;
}

/** Hits for a query, newest first. An empty query is BAD_USER_INPUT; nothing else in it is an error. */
export async function searchMessages(db: Db, dialect: Dialect, q: SearchQuery): Promise<SearchHit[]> {
  return (await searchMessagesWithStats(db, dialect, q)).hits;
}

/** `searchMessages` with what it cost and whether the budget cut it short. */
export async function searchMessagesWithStats(db: Db, dialect: Dialect, q: SearchQuery, budget: SearchBudget = DEFAULT_SEARCH_BUDGET): Promise<SearchOutcome> {
  const parsed = parseSearchQuery(q.query);
  if (!Number.isInteger(q.limit) || q.limit < 1) throw badInput('search limit must be a positive integer', { limit: q.limit });
  for (const [name, v] of [['from', q.from], ['to', q.to], ['senderUserId', q.senderUserId]] as const) {
    if (v !== undefined && !Number.isFinite(v)) throw badInput(`search ${name} must be a number`, { [name]: v });
  }
  const plan: Plan = {
    parsed,
    limit: Math.min(q.limit, MAX_SEARCH_LIMIT),
    chatKeys: q.chatKeys ? [...new Set(q.chatKeys)] : null,
    from: q.from === undefined ? null : Math.max(0, Math.ceil(q.from)),
    to: q.to === undefined ? null : Math.max(0, Math.ceil(q.to)),
    senderUserId: q.senderUserId ?? null,
  };
  const empty: SearchOutcome = { hits: [], truncated: false, candidates: 0, statements: 0 };
  if (parsed.tokens.length === 0 || plan.chatKeys?.length === 0) return empty;
  if (plan.from !== null && plan.to !== null && plan.from >= plan.to) return empty;
  return dialect === 'sqlite' ? searchSqlite(db, plan, budget) : searchPostgres(db, plan, budget);
}

interface Plan {
  readonly parsed: SearchQueryText;
  readonly limit: number;
  readonly chatKeys: readonly ChatKey[] | null;
  readonly from: number | null;
  readonly to: number | null;
  readonly senderUserId: number | null;
}

interface CandidateRow {
  id: number;
  chat_key: string;
  date: number;
  sender_user_id: number | null;
  text: string;
  deleted_at: number | null;
}

/** The final check of a candidate: filters, not deleted, and the text really matches. */
function toHit(plan: Plan, chatSet: ReadonlySet<string> | null, r: CandidateRow): SearchHit | null {
  if (r.deleted_at !== null) return null;
  if (chatSet && !chatSet.has(r.chat_key)) return null;
  const date = Number(r.date);
  if (plan.from !== null && date < plan.from) return null;
  if (plan.to !== null && date >= plan.to) return null;
  const sender = r.sender_user_id === null ? null : Number(r.sender_user_id);
  if (plan.senderUserId !== null && sender !== plan.senderUserId) return null;
  const matchRanges = findMatchRanges(r.text, plan.parsed);
  if (matchRanges === null) return null;
  return { messageId: Number(r.id), chatKey: r.chat_key, date, senderUserId: sender, text: r.text, matchRanges };
}

const newestFirst = (a: SearchHit, b: SearchHit) => b.date - a.date || b.messageId - a.messageId;

// --- SQLite ----------------------------------------------------------------------------------

/**
 * SQLite document ids sort by date: date × 2^20 plus the message id modulo 2^20 (probing on the
 * rare collision), so an FTS5 walk in rowid order is a walk in date order and a date range is a
 * rowid range. Dates up to 2^32 keep the id below 2^52, exact in a JS number.
 */
export const DOC_ID_SHIFT = 1_048_576;
const MAX_DOC_DATE = 2 ** 32 - 1;
const docDate = (date: number) => Math.min(MAX_DOC_DATE, Math.max(0, Math.floor(date)));
const docIdOf = (date: number, messageId: number, probe: number) => docDate(date) * DOC_ID_SHIFT + ((messageId + probe) % DOC_ID_SHIFT);

/**
 * A facet term: the chat or sender as a word of the word index, so filters are index
 * intersections. Everything but [a-z0-9] is hex-escaped between underscores, which keeps the term
 * one unicode61 token and injective; real terms never contain `_`.
 */
const facet = (prefix: string, value: string) => `_${prefix}_${value.replace(/[^a-z0-9]/g, (ch) => `_${ch.charCodeAt(0).toString(16)}_`)}`;
export const chatFacet = (chatKey: string) => facet('c', chatKey);
export const senderFacet = (userId: number) => facet('s', String(userId));

/** More chats than this are filtered after the index walk: a long OR of facets costs more than it saves. */
const MAX_CHAT_FACETS = 32;

const ftsString = (s: string) => `"${s.replaceAll('"', '""')}"`;

type FtsTable = 'search_words' | 'search_trigrams';

class Clock {
  readonly started = performance.now();
  private sliceStart = this.started;
  statements = 0;
  constructor(readonly budget: SearchBudget) {}
  get exhausted(): boolean {
    return this.statements >= this.budget.maxStatements || performance.now() - this.started > this.budget.maxMillis;
  }
  /** Gives the event loop a turn when this search has held it for a slice. */
  async breathe(): Promise<void> {
    if (performance.now() - this.sliceStart < this.budget.sliceMillis) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.sliceStart = performance.now();
  }
}

/**
 * One FTS5 match expression read newest first, a page at a time, able to seek down to a rowid.
 * Pages are bounded by LIMIT only: a rowid slice as a lower bound would bound a statement's work
 * in theory, but FTS5's descending walk gets many times slower with one (measured: 20 ms → 200 ms
 * for a phrase over a million documents), so statements are kept short by small first pages.
 */
class FtsStream {
  private rows: number[] = [];
  private pos = 0;
  /** The upper bound of the last page read: `rows` holds every match in [rows.at(-1), readFrom]. */
  private readFrom = Number.POSITIVE_INFINITY;
  private complete = false;
  private page = 16;

  constructor(
    private readonly db: Db,
    private readonly table: FtsTable,
    private readonly match: string,
    private readonly low: number,
    private readonly clock: Clock,
  ) {}

  /** The largest matching rowid ≤ bound, or null. Bounds must not increase between calls. */
  async atOrBelow(bound: number): Promise<number | null> {
    if (bound < this.low) return null;
    if (bound <= this.readFrom) {
      // First row ≤ bound at or after pos (rows are descending).
      let lo = this.pos;
      let hi = this.rows.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (this.rows[mid]! > bound) lo = mid + 1;
        else hi = mid;
      }
      this.pos = lo;
      if (lo < this.rows.length) return this.rows[lo]!;
      if (this.complete) return null;
    }
    await this.clock.breathe();
    this.clock.statements++;
    const { rows } = await sql<{ rowid: number }>`
      SELECT rowid FROM ${sql.table(this.table)}
      WHERE ${sql.table(this.table)} MATCH ${this.match} AND rowid <= ${bound} AND rowid >= ${this.low}
      ORDER BY rowid DESC LIMIT ${this.page}`.execute(this.db);
    this.rows = rows.map((r) => r.rowid);
    this.pos = 0;
    this.readFrom = bound;
    this.complete = rows.length < this.page;
    // Dense walks get bigger pages; seeks stay cheap because a page stops at its LIMIT.
    this.page = Math.min(this.page * 2, 1024);
    return this.rows[0] ?? null;
  }
}

async function searchSqlite(db: Db, plan: Plan, budget: SearchBudget): Promise<SearchOutcome> {
  const clock = new Clock(budget);
  const low = plan.from === null ? 0 : docDate(plan.from) * DOC_ID_SHIFT;
  const high = plan.to === null ? Number.MAX_SAFE_INTEGER : docDate(plan.to) * DOC_ID_SHIFT - 1;

  const useChatFacets = plan.chatKeys !== null && plan.chatKeys.length <= MAX_CHAT_FACETS;
  const chatSet = plan.chatKeys !== null && !useChatFacets ? new Set(plan.chatKeys) : null;
  const wordParts = plan.parsed.words.map(ftsString);
  if (useChatFacets) wordParts.push(`(${plan.chatKeys!.map((k) => ftsString(chatFacet(k))).join(' OR ')})`);
  if (plan.senderUserId !== null) wordParts.push(ftsString(senderFacet(plan.senderUserId)));

  const streams: FtsStream[] = [];
  // Substrings first: usually the rarer side, so the leapfrog starts from the sparser index.
  if (plan.parsed.substrings.length > 0) {
    const pieces: string[] = [];
    for (const s of plan.parsed.substrings) pieces.push(...(await rarestPieces(db, s, clock)));
    streams.push(new FtsStream(db, 'search_trigrams', pieces.map(ftsString).join(' AND '), low, clock));
  }
  if (wordParts.length > 0) streams.push(new FtsStream(db, 'search_words', wordParts.join(' AND '), low, clock));

  const hits: SearchHit[] = [];
  let candidates = 0;
  let truncated = false;
  let x = high;
  let exhausted = false;
  while (hits.length < plan.limit && !exhausted) {
    // Collect more doc ids than still needed, as many more as the text check has been turning
    // away (stale entries, deleted messages, and lookups by the rarest pieces of a substring).
    const precision = candidates === 0 ? 1 : Math.max(0.05, hits.length / candidates);
    const want = Math.min(MAX_SEARCH_LIMIT, Math.ceil((plan.limit - hits.length) / precision) + 8);
    const docIds: number[] = [];
    while (docIds.length < want) {
      if (clock.exhausted) {
        truncated = true;
        break;
      }
      const id = await leapfrog(streams, x, clock);
      if (id === OUT_OF_BUDGET) {
        truncated = true;
        break;
      }
      if (id === null) {
        exhausted = true;
        break;
      }
      docIds.push(id);
      x = id - 1;
    }
    if (docIds.length > 0) {
      candidates += docIds.length;
      await clock.breathe();
      const { rows } = await sql<CandidateRow & { doc_id: number }>`
        SELECT d.doc_id, m.id, m.chat_key, m.date, m.sender_user_id, m.text, m.deleted_at
        FROM search_docs d JOIN messages m ON m.id = d.message_id
        WHERE d.doc_id IN (${sql.join(docIds)})`.execute(db);
      rows.sort((a, b) => b.doc_id - a.doc_id);
      for (const r of rows) {
        const hit = toHit(plan, chatSet, r);
        if (hit) hits.push(hit);
      }
    }
    if (truncated) break;
  }
  hits.sort(newestFirst);
  return { hits: hits.slice(0, plan.limit), truncated: truncated && hits.length < plan.limit, candidates, statements: clock.statements };
}

/**
 * The parts of a substring token to look up in the trigram index. FTS5 answers a phrase by
 * walking the document lists of all its trigrams together, so a long token made of common
 * trigrams (`mq-dev-33.acme.net`: "net", "me.", "dev"… are in a third of all messages) costs as
 * much as its most common trigrams, even when it matches a dozen messages. Looking up the two
 * rarest five-character pieces (three trigrams each) costs what the rare trigrams cost, and the
 * check on the real text (findMatchRanges) restores the whole token's meaning.
 *
 * How common a trigram is: how far back its SAMPLE_MATCHES-th newest match lies (one short
 * descending read; a count over a rowid range would be many times slower in FTS5), cached per
 * store for a while since it drifts slowly.
 */
const PIECE_TRIGRAMS = 3;
const SAMPLE_MATCHES = 100;
const DENSITY_TTL_MS = 10 * 60_000;
const DENSITY_CACHE_MAX = 20_000;

interface DensityCache {
  newest: { value: number; at: number } | null;
  byTrigram: Map<string, { density: number; at: number }>;
}
const densityCaches = new WeakMap<Db, DensityCache>();

async function rarestPieces(db: Db, token: string, clock: Clock): Promise<string[]> {
  const chars = [...token];
  const count = chars.length - 2;
  if (count <= PIECE_TRIGRAMS) return [token];
  let cache = densityCaches.get(db);
  if (!cache) densityCaches.set(db, (cache = { newest: null, byTrigram: new Map() }));
  const now = Date.now();
  if (!cache.newest || now - cache.newest.at > DENSITY_TTL_MS) {
    clock.statements++;
    const { rows } = await sql<{ hi: number | null }>`SELECT max(doc_id) AS hi FROM search_docs`.execute(db);
    cache.newest = { value: rows[0]?.hi ?? 0, at: now };
  }
  const logDensity: number[] = [];
  for (let i = 0; i < count; i++) {
    const trigram = chars.slice(i, i + 3).join('');
    let hit = cache.byTrigram.get(trigram);
    if (!hit || now - hit.at > DENSITY_TTL_MS) {
      await clock.breathe();
      clock.statements++;
      const { rows } = await sql<{ rowid: number }>`
        SELECT rowid FROM search_trigrams WHERE search_trigrams MATCH ${ftsString(trigram)}
        ORDER BY rowid DESC LIMIT ${SAMPLE_MATCHES}`.execute(db);
      const oldest = rows[rows.length - 1]?.rowid;
      // Fewer than SAMPLE_MATCHES in the whole index: rarer than anything that has them.
      const density = rows.length < SAMPLE_MATCHES || oldest === undefined ? rows.length / Number.MAX_SAFE_INTEGER : SAMPLE_MATCHES / (cache.newest.value - oldest + 1);
      if (cache.byTrigram.size >= DENSITY_CACHE_MAX) cache.byTrigram.clear();
      cache.byTrigram.set(trigram, (hit = { density, at: now }));
    }
    logDensity.push(Math.log(Math.max(hit.density, 1e-18)));
  }
  // Windows of consecutive trigrams by the product of their densities: the rarest, and the
  // rarest that does not overlap it, so two short lookups keep nearly the whole token's precision.
  const windows: { at: number; score: number }[] = [];
  for (let i = 0; i + PIECE_TRIGRAMS <= count; i++) {
    let score = 0;
    for (let j = i; j < i + PIECE_TRIGRAMS; j++) score += logDensity[j]!;
    windows.push({ at: i, score });
  }
  windows.sort((x, y) => x.score - y.score);
  const first = windows[0]!;
  const second = windows.find((w) => Math.abs(w.at - first.at) >= PIECE_TRIGRAMS + 2);
  return [first, ...(second ? [second] : [])].map((w) => chars.slice(w.at, w.at + PIECE_TRIGRAMS + 2).join(''));
}

const OUT_OF_BUDGET = Symbol('out of budget');

/**
 * The largest rowid ≤ x that every stream holds (a leapfrog join), or null. Streams whose
 * matches interleave without meeting (two common terms that rarely go together) walk the whole
 * index here without producing a candidate, so the budget is checked at every step, not only
 * between candidates.
 */
async function leapfrog(streams: readonly FtsStream[], start: number, clock: Clock): Promise<number | null | typeof OUT_OF_BUDGET> {
  let x = start;
  let agree = 0;
  for (let i = 0; agree < streams.length; i = (i + 1) % streams.length) {
    if (clock.exhausted) return OUT_OF_BUDGET;
    const v = await streams[i]!.atOrBelow(x);
    if (v === null) return null;
    if (v === x) agree++;
    else {
      x = v;
      agree = 1;
    }
  }
  return x;
}

// --- PostgreSQL ------------------------------------------------------------------------------

const escapeLike = (s: string) => s.replace(/[\\%_]/g, '\\$&');
/** A tsquery of quoted lexemes ANDed: built here, so nothing the user typed is tsquery syntax. */
const tsqueryOf = (terms: readonly string[]) => terms.map((t) => `'${t.replace(/['\\]/g, '\\$&')}'`).join(' & ');

/**
 * The text the pg_trgm index sees. pg_trgm builds trigrams from letters and digits only, so
 * `10.0.3.17` or `db-prod-2` would be looked up by trigrams of "10", "0", "3", "17" that nearly
 * every message has. Each ASCII punctuation character is therefore written as a letter of its
 * own (Runic, which chat text does not use) and anything else that is not a letter, digit or
 * space as one more; substrings map to substrings, so LIKE on this text finds every true match
 * and the check on the real text drops the rare false one. Needs a database whose ctype knows
 * Unicode letters (C.UTF-8, en_US.UTF-8…), as pg_trgm already does for Cyrillic.
 */
const PUNCT = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';
const RUNIC = 0x16a0;
const GRAM_OF = new Map([...PUNCT].map((ch, i) => [ch, String.fromCodePoint(RUNIC + i)]));
const GRAM_OTHER = String.fromCodePoint(RUNIC + PUNCT.length);
const NOT_WORD_OR_SPACE = /[^\p{L}\p{M}\p{N}\s]/gu;
export const gramsOf = (folded: string): string => folded.replace(NOT_WORD_OR_SPACE, (ch) => GRAM_OF.get(ch) ?? GRAM_OTHER);

/**
 * The two rarest five-character pieces of a long substring token, for PostgreSQL (see
 * rarestPieces for SQLite). A GIN scan of pg_trgm for `%db-prod-2.example%` intersects the
 * posting lists of all 17 trigrams, and those of "exa", "amp", "pro"… hold a third of all
 * messages: 1,400 index pages and about 40 ms on a million messages, for a token that matches
 * 150. The pieces' six trigrams cost a fifth of that. How common a trigram is comes from the
 * newest PG_SAMPLE_DOCS documents, read in one primary-key range and kept for DENSITY_TTL_MS.
 */
const PG_SAMPLE_DOCS = 2_000;
const pgSamples = new WeakMap<Db, { grams: string[]; at: number; byTrigram: Map<string, number> }>();

async function rarestPiecesPg(db: Db, token: string): Promise<string[]> {
  const chars = [...token];
  const count = chars.length - 2;
  if (count <= PIECE_TRIGRAMS + 2) return [token];
  const now = Date.now();
  let sample = pgSamples.get(db);
  if (!sample || now - sample.at > DENSITY_TTL_MS) {
    const { rows } = await sql<{ grams: string }>`SELECT grams FROM search_docs ORDER BY message_id DESC LIMIT ${PG_SAMPLE_DOCS}`.execute(db);
    pgSamples.set(db, (sample = { grams: rows.map((r) => r.grams.toLowerCase()), at: now, byTrigram: new Map() }));
  }
  if (sample.grams.length < PG_SAMPLE_DOCS / 4) return [token];
  // A token in many messages is found fastest by reading the newest rows until the page is full,
  // a plan PostgreSQL picks for one LIKE but not for three (their estimates multiply).
  const lower = token.toLowerCase();
  let whole = 0;
  for (const g of sample.grams) if (g.includes(lower) && ++whole >= 3) return [token];
  const logDensity: number[] = [];
  for (let i = 0; i < count; i++) {
    const trigram = chars.slice(i, i + 3).join('').toLowerCase();
    let n = sample.byTrigram.get(trigram);
    if (n === undefined) {
      n = 0;
      for (const g of sample.grams) if (g.includes(trigram)) n++;
      if (sample.byTrigram.size >= DENSITY_CACHE_MAX) sample.byTrigram.clear();
      sample.byTrigram.set(trigram, n);
    }
    logDensity.push(Math.log((n + 0.5) / sample.grams.length));
  }
  const windows: { at: number; score: number }[] = [];
  for (let i = 0; i + PIECE_TRIGRAMS <= count; i++) {
    let score = 0;
    for (let j = i; j < i + PIECE_TRIGRAMS; j++) score += logDensity[j]!;
    windows.push({ at: i, score });
  }
  windows.sort((x, y) => x.score - y.score);
  const first = windows[0]!;
  const second = windows.find((w) => Math.abs(w.at - first.at) >= PIECE_TRIGRAMS);
  return [first, ...(second ? [second] : [])].map((w) => chars.slice(w.at, w.at + PIECE_TRIGRAMS + 2).join(''));
}

/** Rounds of "fetch the next page" when verification drops candidates (stale or deleted rows). */
const MAX_PG_ROUNDS = 4;

async function searchPostgres(db: Db, plan: Plan, budget: SearchBudget): Promise<SearchOutcome> {
  const started = performance.now();
  const base: RawBuilder<unknown>[] = [];
  if (plan.parsed.words.length > 0) base.push(sql`d.words @@ ${tsqueryOf(plan.parsed.words)}::tsquery`);
  for (const s of plan.parsed.substrings) {
    const grams = gramsOf(s);
    const pieces = await rarestPiecesPg(db, grams);
    if (pieces.length === 1 && pieces[0] === grams) {
      base.push(sql`d.grams LIKE ${`%${escapeLike(grams)}%`}`);
      continue;
    }
    // The index is asked for the rare pieces only; the whole token is checked on the rows it
    // returns (an expression the trigram index cannot serve, so the planner keeps it a filter).
    for (const piece of pieces) base.push(sql`d.grams LIKE ${`%${escapeLike(piece)}%`}`);
    base.push(sql`(d.grams || '') LIKE ${`%${escapeLike(grams)}%`}`);
  }
  if (plan.chatKeys !== null) base.push(sql`d.chat_key = ANY(${[...plan.chatKeys]}::text[])`);
  if (plan.senderUserId !== null) base.push(sql`d.sender_user_id = ${plan.senderUserId}`);
  if (plan.from !== null) base.push(sql`d.date >= ${plan.from}`);
  if (plan.to !== null) base.push(sql`d.date < ${plan.to}`);

  const hits: SearchHit[] = [];
  let candidates = 0;
  let statements = 0;
  let truncated = false;
  let after: { date: number; id: number } | null = null;
  for (let round = 0; round < MAX_PG_ROUNDS && hits.length < plan.limit; round++) {
    const left = Math.floor(budget.maxMillis - (performance.now() - started));
    if (left <= 0) {
      truncated = true;
      break;
    }
    const where = after ? [...base, sql`(d.date, d.message_id) < (${after.date}, ${after.id})`] : base;
    const want = plan.limit - hits.length + (round === 0 ? 0 : 8);
    let rows: CandidateRow[];
    try {
      statements++;
      rows = await db.transaction().execute(async (trx) => {
        await sql.raw(`SET LOCAL statement_timeout = ${Math.max(1, left)}`).execute(trx);
        // The top N come from the index alone, then N primary-key lookups: the plan cannot turn
        // into a join over all matches, whatever the statistics on messages say. A message deleted
        // but not yet dropped from the index is filtered afterwards and the next round refills.
        const r = await sql<CandidateRow>`
          SELECT m.id, m.chat_key, m.date, m.sender_user_id, m.text, m.deleted_at
          FROM (SELECT d.message_id, d.date FROM search_docs d
                WHERE ${sql.join(where, sql` AND `)}
                ORDER BY d.date DESC, d.message_id DESC
                LIMIT ${want}) AS top
          JOIN messages m ON m.id = top.message_id
          ORDER BY top.date DESC, top.message_id DESC`.execute(trx);
        return r.rows;
      });
    } catch (err) {
      // 57014: query_canceled by statement_timeout. The budget ran out; anything else is a real fault.
      if ((err as { code?: string }).code === '57014') {
        truncated = true;
        break;
      }
      throw err;
    }
    candidates += rows.length;
    for (const r of rows) {
      const hit = toHit(plan, null, r);
      if (hit) hits.push(hit);
    }
    if (rows.length < want) break;
    const last = rows[rows.length - 1]!;
    after = { date: Number(last.date), id: Number(last.id) };
  }
  hits.sort(newestFirst);
  return { hits: hits.slice(0, plan.limit), truncated, candidates, statements };
}

// ---------------------------------------------------------------------------------------------
// Index maintenance, for src/app/search-indexer.ts

/** One message as the index stores it. `terms` and `folded` come from src/domain/search-text.ts. */
export interface SearchDoc {
  readonly messageId: number;
  readonly chatKey: ChatKey;
  readonly senderUserId: number | null;
  readonly date: number;
  readonly editDate: number;
  /** The text's length as the database counts it: how the indexer notices a content change. */
  readonly textLen: number;
  readonly terms: readonly string[];
  readonly folded: string;
}

/** A message as the indexer reads it. */
export interface MessageToIndex {
  readonly id: number;
  readonly chatKey: ChatKey;
  readonly senderUserId: number | null;
  readonly date: number;
  readonly editDate: number;
  readonly text: string;
  readonly textLen: number;
  readonly deleted: boolean;
}

export interface SearchIndexState {
  readonly indexedToId: number;
}

interface MessageRow {
  id: number;
  chat_key: string;
  sender_user_id: number | null;
  date: number;
  edit_date: number;
  text: string;
  text_len: number;
  deleted_at: number | null;
}

const toMessage = (r: MessageRow): MessageToIndex => ({
  id: Number(r.id),
  chatKey: r.chat_key,
  senderUserId: r.sender_user_id === null ? null : Number(r.sender_user_id),
  date: Number(r.date),
  editDate: Number(r.edit_date),
  text: r.text,
  textLen: Number(r.text_len),
  deleted: r.deleted_at !== null,
});

const CHUNK = 400;
function chunks<T>(items: readonly T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export async function readSearchIndexState(db: Db): Promise<SearchIndexState> {
  const row = await tables(db).selectFrom('search_index_state').select('indexed_to_id').where('id', '=', 1).executeTakeFirst();
  return { indexedToId: Number(row?.indexed_to_id ?? 0) };
}

/** Moves the high-water mark forward only: two indexers (two daemons on PostgreSQL) never move it back. */
export async function advanceIndexedToId(db: Db, indexedToId: number, now: number): Promise<void> {
  await tables(db)
    .updateTable('search_index_state')
    .set({ indexed_to_id: indexedToId, updated_at: now })
    .where('id', '=', 1)
    .where('indexed_to_id', '<', indexedToId)
    .execute();
}

/**
 * The next `limit` message ids after `afterId`, and those of them the index does not hold yet,
 * read in full. Deleted ones come too, so the mark can pass them. Ids first, text only for what
 * is missing: a re-read of the commit-lag window (or of a whole backlog after a long pass on
 * PostgreSQL) costs two index range reads per page. Key lookups rather than an anti-join, which
 * PostgreSQL may plan as a hash join over both whole tables.
 */
export async function loadMessagesAfter(db: Db, afterId: number, limit: number): Promise<{ lastId: number | null; missing: MessageToIndex[] }> {
  const { rows: idRows } = await sql<{ id: number }>`SELECT id FROM messages WHERE id > ${afterId} ORDER BY id LIMIT ${limit}`.execute(db);
  if (idRows.length === 0) return { lastId: null, missing: [] };
  const ids = idRows.map((r) => Number(r.id));
  const first = ids[0]!;
  const lastId = ids[ids.length - 1]!;
  const { rows: have } = await sql<{ message_id: number }>`
    SELECT message_id FROM search_docs WHERE message_id >= ${first} AND message_id <= ${lastId}`.execute(db);
  const indexed = new Set(have.map((r) => Number(r.message_id)));
  const wanted = ids.filter((id) => !indexed.has(id));
  return { lastId, missing: wanted.length === 0 ? [] : await loadMessagesToIndex(db, wanted) };
}

export async function loadMessagesToIndex(db: Db, ids: readonly number[]): Promise<MessageToIndex[]> {
  const out: MessageToIndex[] = [];
  for (const part of chunks(ids)) {
    const { rows } = await sql<MessageRow>`
      SELECT m.id, m.chat_key, m.sender_user_id, m.date, m.edit_date, m.text, length(m.text) AS text_len, m.deleted_at
      FROM messages m WHERE m.id IN (${sql.join(part)})`.execute(db);
    out.push(...rows.map(toMessage));
  }
  return out;
}

/** The newest edit date (unix seconds) and deletion time (ms) in the store, from the partial indexes. */
export async function latestChangeMarks(db: Db): Promise<{ editDate: number; deletedAt: number }> {
  const { rows } = await sql<{ e: number | null; d: number | null }>`
    SELECT (SELECT max(edit_date) FROM messages WHERE edit_date > 0) AS e,
           (SELECT max(deleted_at) FROM messages WHERE deleted_at IS NOT NULL) AS d`.execute(db);
  return { editDate: Number(rows[0]?.e ?? 0), deletedAt: Number(rows[0]?.d ?? 0) };
}

export interface SweepPage {
  /** Messages whose index entry is stale (edited since, or missing) and must be rebuilt. */
  readonly stale: number[];
  /** Where the next page starts; null when the range is done. */
  readonly next: { readonly at: number; readonly id: number } | null;
}

/**
 * One page of edited messages, in (edit_date, id) order from `from`, that are not deleted and at
 * or below `upToId` (newer ones are the new-message path's). Reads the partial index of edited
 * rows, then the index entries of that page by key: no join whose plan could go wide.
 */
export async function sweepEdited(db: Db, from: { at: number; id: number }, upToId: number, limit: number): Promise<SweepPage> {
  const { rows } = await sql<{ id: number; edit_date: number; text_len: number }>`
    SELECT m.id, m.edit_date, length(m.text) AS text_len
    FROM messages m
    WHERE m.edit_date > 0 AND m.edit_date >= ${from.at} AND (m.edit_date > ${from.at} OR m.id > ${from.id})
      AND m.id <= ${upToId} AND m.deleted_at IS NULL
    ORDER BY m.edit_date, m.id
    LIMIT ${limit}`.execute(db);
  const docs = await docStates(db, rows.map((r) => Number(r.id)));
  const last = rows[rows.length - 1];
  return {
    stale: rows
      .filter((r) => {
        const d = docs.get(Number(r.id));
        return !d || d.editDate !== Number(r.edit_date) || d.textLen !== Number(r.text_len);
      })
      .map((r) => Number(r.id)),
    next: rows.length < limit || !last ? null : { at: Number(last.edit_date), id: Number(last.id) },
  };
}

/** One page of deleted messages, in (deleted_at, id) order from `from`, that the index still holds. */
export async function sweepDeleted(db: Db, from: { at: number; id: number }, limit: number): Promise<SweepPage> {
  const { rows } = await sql<{ id: number; deleted_at: number }>`
    SELECT m.id, m.deleted_at
    FROM messages m
    WHERE m.deleted_at IS NOT NULL AND m.deleted_at >= ${from.at} AND (m.deleted_at > ${from.at} OR m.id > ${from.id})
    ORDER BY m.deleted_at, m.id
    LIMIT ${limit}`.execute(db);
  const docs = await docStates(db, rows.map((r) => Number(r.id)));
  const last = rows[rows.length - 1];
  return {
    stale: rows.filter((r) => docs.has(Number(r.id))).map((r) => Number(r.id)),
    next: rows.length < limit || !last ? null : { at: Number(last.deleted_at), id: Number(last.id) },
  };
}

async function docStates(db: Db, messageIds: readonly number[]): Promise<Map<number, { editDate: number; textLen: number }>> {
  const out = new Map<number, { editDate: number; textLen: number }>();
  for (const part of chunks(messageIds)) {
    const { rows } = await sql<{ message_id: number; edit_date: number; text_len: number }>`
      SELECT message_id, edit_date, text_len FROM search_docs WHERE message_id IN (${sql.join(part)})`.execute(db);
    for (const r of rows) out.set(Number(r.message_id), { editDate: Number(r.edit_date), textLen: Number(r.text_len) });
  }
  return out;
}

/** Event types whose messages' index entries must be rebuilt or dropped. */
const MESSAGE_CHANGE_EVENTS = ['messageEdited', 'messagesDeleted'] as const;

export interface MessageChangePage {
  /** Store ids of the messages edited or deleted by the events of this page. */
  readonly messageIds: number[];
  /** The last event sequence number this page covers: the mark to move to once they are rebuilt. */
  readonly upToSeq: number;
}

/** Where the search index stands in the event log, and what the log holds now. */
export async function readEventsMark(db: Db): Promise<{ eventsToSeq: number; oldest: number | null; newest: number }> {
  const state = await tables(db).selectFrom('search_index_state').select('events_to_seq').where('id', '=', 1).executeTakeFirst();
  const { rows } = await sql<{ oldest: number | null; newest: number | null }>`SELECT min(seq) AS oldest, max(seq) AS newest FROM events`.execute(db);
  return {
    eventsToSeq: Number(state?.events_to_seq ?? 0),
    oldest: rows[0]?.oldest === null || rows[0]?.oldest === undefined ? null : Number(rows[0].oldest),
    newest: Number(rows[0]?.newest ?? 0),
  };
}

/**
 * The next `limit` message edits and deletions published after `afterSeq` and at or before
 * `upToSeq`, as message ids. Reads the events' primary key range, keeping only those two types.
 */
export async function messageChangesAfter(db: Db, afterSeq: number, upToSeq: number, limit: number): Promise<MessageChangePage> {
  const rows = await db
    .selectFrom('events')
    .select(['seq', 'type', 'payload'])
    .where('seq', '>', afterSeq)
    .where('seq', '<=', upToSeq)
    .where('type', 'in', [...MESSAGE_CHANGE_EVENTS])
    .orderBy('seq')
    .limit(limit)
    .execute();
  const ids = new Set<number>();
  for (const r of rows) {
    const p = JSON.parse(r.payload) as { message?: { messageId?: string }; messageIds?: readonly string[] };
    for (const id of r.type === 'messageEdited' ? [p.message?.messageId] : (p.messageIds ?? [])) {
      const n = Number(id);
      if (Number.isSafeInteger(n) && n > 0) ids.add(n);
    }
  }
  return { messageIds: [...ids], upToSeq: rows.length < limit ? upToSeq : Number(rows[rows.length - 1]!.seq) };
}

/** Moves the event mark forward only (two daemons on PostgreSQL never move it back). */
export async function advanceEventsMark(db: Db, toSeq: number, now: number): Promise<void> {
  await tables(db).updateTable('search_index_state').set({ events_to_seq: toSeq, updated_at: now }).where('id', '=', 1).where('events_to_seq', '<', toSeq).execute();
}

/**
 * Asks the indexer to rebuild (or drop) these messages' index entries. For writers that change a
 * message in a way the indexer cannot see from edit_date/deleted_at alone, e.g. an edit that
 * arrives hours late from a reconcile pass. Cheap: one insert, meant for the writer's transaction.
 */
export async function queueSearchReindex(db: Db, messageIds: readonly number[], now: number): Promise<void> {
  for (const part of chunks([...new Set(messageIds)])) {
    await tables(db)
      .insertInto('search_reindex')
      .values(part.map((message_id) => ({ message_id, queued_at: now })))
      .execute();
  }
}

/** The oldest queued reindex requests: queue ids to delete when done, and the distinct messages. */
export async function peekReindexQueue(db: Db, limit: number): Promise<{ upToQueueId: number; messageIds: number[] }> {
  const rows = await tables(db).selectFrom('search_reindex').select(['id', 'message_id']).orderBy('id').limit(limit).execute();
  return { upToQueueId: Number(rows[rows.length - 1]?.id ?? 0), messageIds: [...new Set(rows.map((r) => Number(r.message_id)))] };
}

export async function dropReindexQueue(db: Db, upToQueueId: number): Promise<void> {
  await tables(db).deleteFrom('search_reindex').where('id', '<=', upToQueueId).execute();
}

/** Writes index entries, replacing any the messages had. Run inside a transaction. */
export async function writeSearchDocs(db: Db, dialect: Dialect, docs: readonly SearchDoc[]): Promise<void> {
  if (docs.length === 0) return;
  if (dialect === 'postgres') return writePostgresDocs(db, docs);
  return writeSqliteDocs(db, docs);
}

async function writePostgresDocs(db: Db, docs: readonly SearchDoc[]): Promise<void> {
  // unnest of parallel arrays: one statement for a whole batch, no parameter-count ceiling.
  for (const part of chunks(docs, 2_000)) {
    await sql`
      INSERT INTO search_docs (message_id, chat_key, sender_user_id, date, edit_date, text_len, words, grams)
      SELECT u.message_id, u.chat_key, u.sender_user_id, u.date, u.edit_date, u.text_len,
             array_to_tsvector(string_to_array(u.terms, ' ')), u.grams
      FROM unnest(${part.map((d) => d.messageId)}::bigint[], ${part.map((d) => d.chatKey)}::text[],
                  ${part.map((d) => d.senderUserId)}::bigint[], ${part.map((d) => d.date)}::bigint[],
                  ${part.map((d) => d.editDate)}::bigint[], ${part.map((d) => d.textLen)}::int[],
                  ${part.map((d) => d.terms.join(' '))}::text[], ${part.map((d) => gramsOf(d.folded))}::text[])
        AS u(message_id, chat_key, sender_user_id, date, edit_date, text_len, terms, grams)
      ON CONFLICT (message_id) DO UPDATE SET
        edit_date = excluded.edit_date, text_len = excluded.text_len, words = excluded.words, grams = excluded.grams,
        chat_key = excluded.chat_key, sender_user_id = excluded.sender_user_id, date = excluded.date`.execute(db);
  }
}

async function writeSqliteDocs(db: Db, docs: readonly SearchDoc[]): Promise<void> {
  const byMessage = new Map(docs.map((d) => [d.messageId, d]));
  const existing = new Map<number, number>();
  for (const part of chunks([...byMessage.keys()])) {
    const { rows } = await sql<{ message_id: number; doc_id: number }>`
      SELECT message_id, doc_id FROM search_docs WHERE message_id IN (${sql.join(part)})`.execute(db);
    for (const r of rows) existing.set(r.message_id, r.doc_id);
  }
  if (existing.size > 0) await deleteFtsRows(db, [...existing.values()]);

  // New documents: the date-ordered id, probing past any id already taken.
  const fresh = [...byMessage.values()].filter((d) => !existing.has(d.messageId));
  const docIds = new Map<number, number>(existing);
  const taken = new Set<number>();
  let pending = fresh.map((d) => ({ doc: d, probe: 0 }));
  while (pending.length > 0) {
    const wanted = pending.map((p) => docIdOf(p.doc.date, p.doc.messageId, p.probe));
    const inUse = new Set<number>();
    for (const part of chunks(wanted)) {
      const { rows } = await sql<{ doc_id: number }>`SELECT doc_id FROM search_docs WHERE doc_id IN (${sql.join(part)})`.execute(db);
      for (const r of rows) inUse.add(r.doc_id);
    }
    const retry: typeof pending = [];
    pending.forEach((p, i) => {
      const id = wanted[i]!;
      if (inUse.has(id) || taken.has(id)) retry.push({ doc: p.doc, probe: p.probe + 1 });
      else {
        taken.add(id);
        docIds.set(p.doc.messageId, id);
      }
    });
    pending = retry;
  }

  const all = [...byMessage.values()];
  for (const part of chunks(all, 250)) {
    await sql`
      INSERT INTO search_docs (doc_id, message_id, edit_date, text_len)
      VALUES ${sql.join(part.map((d) => sql`(${docIds.get(d.messageId)!}, ${d.messageId}, ${d.editDate}, ${d.textLen})`))}
      ON CONFLICT (message_id) DO UPDATE SET edit_date = excluded.edit_date, text_len = excluded.text_len`.execute(db);
  }
  for (const part of chunks(all, 500)) {
    const words = part.map((d) => {
      const facets = [chatFacet(d.chatKey), ...(d.senderUserId === null ? [] : [senderFacet(d.senderUserId)])];
      return sql`(${docIds.get(d.messageId)!}, ${[...d.terms, ...facets].join(' ')})`;
    });
    await sql`INSERT INTO search_words (rowid, terms) VALUES ${sql.join(words)}`.execute(db);
    const withText = part.filter((d) => d.folded.length > 0);
    if (withText.length > 0) {
      await sql`INSERT INTO search_trigrams (rowid, folded) VALUES ${sql.join(withText.map((d) => sql`(${docIds.get(d.messageId)!}, ${d.folded})`))}`.execute(db);
    }
  }
}

async function deleteFtsRows(db: Db, docIds: readonly number[]): Promise<void> {
  for (const part of chunks(docIds)) {
    await sql`DELETE FROM search_words WHERE rowid IN (${sql.join(part)})`.execute(db);
    await sql`DELETE FROM search_trigrams WHERE rowid IN (${sql.join(part)})`.execute(db);
  }
}

/** Drops index entries (deleted messages). Run inside a transaction. */
export async function deleteSearchDocs(db: Db, dialect: Dialect, messageIds: readonly number[]): Promise<void> {
  for (const part of chunks(messageIds)) {
    if (dialect === 'sqlite') {
      const { rows } = await sql<{ doc_id: number }>`SELECT doc_id FROM search_docs WHERE message_id IN (${sql.join(part)})`.execute(db);
      if (rows.length > 0) await deleteFtsRows(db, rows.map((r) => r.doc_id));
    }
    await sql`DELETE FROM search_docs WHERE message_id IN (${sql.join(part)})`.execute(db);
  }
}

/** How many messages the index holds. */
export async function countSearchDocs(db: Db): Promise<number> {
  const { rows } = await sql<{ n: number }>`SELECT count(*) AS n FROM search_docs`.execute(db);
  return Number(rows[0]?.n ?? 0);
}
