/**
 * Search benchmark (issue 5, "Search"): on N messages of generated sysadmin chatter, Russian and
 * English mixed, measure on SQLite and PostgreSQL:
 * - ingest: the real ingest write (upsertMessages, batches of 100) with the search index tables
 *   and the background indexer running, against the same write on a store without search. The
 *   indexer must leave ingest at least half its speed;
 * - indexing throughput: a bulk-loaded backlog indexed by SearchIndexer;
 * - query latency (p50/p95/max) for word queries, substring queries and filtered queries, each
 *   search its own turn of the event loop as requests are, and the event-loop delay while they ran
 *   (the first run of every query, which reads the index from the file, measured apart).
 *
 * Alone: node --expose-gc bin/run-ts.mjs bench/search.bench.ts [--messages 1000000] [--dialects sqlite,postgres] [--index-seconds 400]
 * (--expose-gc lets it collect before the timed queries, as the bench runner does.)
 * At 1,000,000 messages a dialect takes 6–9 minutes on a busy 2-core machine (indexing 4–6 of
 * them); every phase is bounded: ingest by 120 s, the bulk load by timeLimitMs, indexing by
 * indexTimeLimitMs, queries by 5 minutes.
 * PostgreSQL: TGDESK_BENCH_DATABASE_URL (default: the test server); a database of its own, dropped after.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { gc as gcNow } from './lib/stats.ts';
import { pathToFileURL } from 'node:url';
import { Migrator, sql, type Kysely } from 'kysely';
import pg from 'pg';
import { SearchIndexer } from '../src/app/search-indexer.ts';
import { createLogger } from '../src/shared/log.ts';
import { openStore, type Store } from '../src/store/database.ts';
import { upsertMessages, type MessageToStore } from '../src/store/messages.repository.ts';
import { syncCore } from '../src/store/migrations/0001-sync-core.ts';
import type { Dialect } from '../src/store/migrations/types.ts';
import type { Database } from '../src/store/schema.ts';
import { countSearchDocs, searchMessagesWithStats, type SearchQuery } from '../src/store/search.repository.ts';
import type { TgMessage } from '../src/domain/telegram.ts';

export interface SearchBenchOptions {
  readonly messages: number;
  readonly dialects?: readonly Dialect[];
  readonly databaseUrl?: string;
  /** Wall-time bound for each dialect's ingest comparison and bulk load; phases past it are cut short and reported so. */
  readonly timeLimitMs?: number;
  /**
   * Wall-time bound for indexing the bulk backlog. By default what the size needs at 2,500
   * messages/s (400 s for 1,000,000), and never less than `timeLimitMs`: queries on a partly
   * indexed corpus would not be the issue's figure (a 120 s bound stopped at about 500,000).
   */
  readonly indexTimeLimitMs?: number;
  /** Timed runs of each query. */
  readonly repetitions?: number;
}

const DEFAULT_URL = process.env.TGDESK_BENCH_DATABASE_URL ?? process.env.TGDESK_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

// ---------------------------------------------------------------------------------------------
// Realistic text, fast: templates over pools, a seeded generator so runs are comparable.

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function textGenerator(seed = 42): () => string {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  const host = () => `${pick(['db', 'web', 'app', 'cache', 'mq', 'mon', 'lb', 'k8s'])}-${pick(['prod', 'stage', 'dev'])}-${int(1, 40)}${r() < 0.5 ? `.${pick(['example', 'corp', 'acme'])}.${pick(['com', 'net', 'local'])}` : ''}`;
  const ip = () => `10.${int(0, 20)}.${int(0, 255)}.${int(1, 254)}`;
  const code = () => pick([`ORA-${pick(['00942', '01555', '12541', '04031', '00060', '28000'])}`, `HTTP ${pick(['500', '502', '503', '504'])}`, `SQLSTATE ${pick(['40P01', '53300', '57014', '23505'])}`, `errno ${int(1, 130)}`]);
  const time = () => `${String(int(0, 23)).padStart(2, '0')}:${String(int(0, 59)).padStart(2, '0')}`;
  const service = () => pick(['nginx', 'php-fpm', 'postgres', 'redis', 'rabbitmq', 'haproxy', 'kubelet', 'docker', 'mysql', 'elasticsearch']);
  const templates: ReadonlyArray<() => string> = [
    () => `${pick(['Сервер', 'Сервера', 'На сервере', 'Серверу', 'Серверов'])} ${host()} ${pick(['не отвечает', 'упал', 'перегружен', 'перезагружен', 'недоступен'])} с ${time()}`,
    () => `Перезагрузка ${host()} запланирована на ${time()}, простой ${int(1, 30)} минут`,
    () => `${pick(['Ошибка', 'Опять ошибка', 'Ошибки'])} ${code()} на ${host()}, ${pick(['смотрю', 'проверяю', 'разбираемся', 'посмотрите пожалуйста'])}`,
    () => `Диск ${pick(['/var', '/data', '/', '/home', '/var/lib/postgresql'])} на ${host()} заполнен на ${int(70, 100)}%`,
    () => `${pick(['Клиент', 'Клиенты', 'Пользователи'])} жалуются на ${pick(['тормоза', 'таймауты', 'ошибки 5xx', 'долгую загрузку'])} с ${ip()}`,
    () => pick(['Спасибо, всё работает', 'ок', 'Принято', 'Спасибо!', 'Смотрю', 'Сейчас гляну', 'Понял, разбираюсь', 'Да, подтверждаю']),
    () => `Бэкап базы ${pick(['billing', 'crm', 'shop', 'auth'])} ${pick(['завершился', 'упал', 'идёт', 'не запустился'])} на ${host()}`,
    () => `Ёлки, ${service()} на ${ip()} опять ${pick(['съел всю память', 'падает', 'не стартует', 'отдаёт 502'])}`,
    () => `Балансировщик ${host()} выведен из ротации, репликация ${pick(['догоняет', 'отстаёт', 'восстановлена'])}`,
    () => `${pick(['Restarted', 'Restarting', 'Will restart', 'Need to restart'])} ${service()} on ${host()}`,
    () => `${service()} returns ${pick(['500', '502', '503', '504'])} on /${pick(['api', 'login', 'health', 'v2/orders'])} since ${time()}`,
    () => `Deployed ${pick(['v', 'release-'])}${int(1, 9)}.${int(0, 30)}.${int(0, 99)} to ${host()}, monitoring`,
    () => `Replication lag on ${host()} is ${int(1, 900)}s, ${pick(['investigating', 'looks fine now', 'escalating to DBA'])}`,
    () => `Alert: ${pick(['CPU', 'memory', 'disk', 'load average', 'connections'])} on ${host()} at ${int(80, 100)}%`,
    () => `Timeout connecting to ${ip()}:${pick(['5432', '6379', '443', '3306', '9200'])}, ${pick(['firewall?', 'checking routes', 'host is down'])}`,
    () => `Certificate for ${host()} expires in ${int(1, 30)} days, renewing`,
  ];
  return () => {
    const n = r() < 0.7 ? 1 : r() < 0.8 ? 2 : 3;
    let out = pick(templates)();
    for (let i = 1; i < n; i++) out += `. ${pick(templates)()}`;
    return out;
  };
}

export interface GeneratedMessage {
  readonly chatKey: string;
  readonly sender: number;
  readonly date: number;
  readonly text: string;
}

const BENCH_T0 = 1_700_000_000;
const SPAN_SECONDS = 365 * 86_400;
const CHATS = 1_000;
const SENDERS = 400;

/** N messages of generated chatter over a year, 1,000 chats and 400 senders, reproducible by seed. */
export function generateMessages(count: number, seed = 7): GeneratedMessage[] {
  const r = rng(seed);
  const text = textGenerator(seed);
  const out: GeneratedMessage[] = new Array(count);
  for (let i = 0; i < count; i++) {
    // Mostly in date order, as live traffic arrives; one in twenty is history backfilled later.
    const date = r() < 0.05 ? BENCH_T0 + Math.floor(r() * SPAN_SECONDS) : BENCH_T0 + Math.floor((i / count) * SPAN_SECONDS);
    out[i] = { chatKey: String(-1001000000000 - Math.floor(r() ** 2 * CHATS)), sender: 10_000 + Math.floor(r() * SENDERS), date, text: text() };
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Stores

interface BenchStore {
  readonly store: Store;
  dispose(): Promise<void>;
}

/**
 * A store in a database of its own on the PostgreSQL server, dropped after: Kysely's migrator
 * looks for its lock table in every schema of a database, so a schema next to other suites'
 * schemas can be mistaken for migrated.
 */
async function openBenchStore(dialect: Dialect, url: string, withSearch: boolean): Promise<BenchStore> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tgdesk-bench-'));
  const database = `tgdesk_bench_${Math.floor(Date.now() / 1000)}_${randomBytes(4).toString('hex')}`;
  const admin = async (statement: string) => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return (await client.query<{ datname: string }>(statement)).rows;
    } finally {
      await client.end();
    }
  };
  const benchUrl = new URL(url);
  benchUrl.pathname = `/${database}`;
  if (dialect === 'postgres') {
    // A run killed by its runner's timeout never reaches its finally: drop what such runs left
    // (named with their start time; an hour is far longer than any run).
    const stale = await admin(`SELECT datname FROM pg_database WHERE datname ~ '^tgdesk_bench_[0-9]+_[0-9a-f]+$'`);
    for (const { datname } of stale) {
      if (Number(datname.split('_')[2]) < Date.now() / 1000 - 3_600) await admin(`DROP DATABASE IF EXISTS ${datname}`).catch(() => undefined);
    }
    await admin(`CREATE DATABASE ${database}`);
  }
  const dispose = async (store?: Store) => {
    await store?.close().catch(() => undefined);
    if (dialect === 'postgres') await admin(`DROP DATABASE IF EXISTS ${database}`);
    rmSync(dataDir, { recursive: true, force: true });
  };
  let store: Store | undefined;
  try {
    store = dialect === 'sqlite' ? await openStore({ dataDir }) : await openStore({ dataDir, databaseUrl: benchUrl.href, pgPoolSize: 4 });
    if (withSearch) await store.migrate();
    else {
      // The store as it was before search: the baseline ingest is measured on.
      const migrator = new Migrator({ db: store.db as Kysely<unknown>, provider: { getMigrations: async () => ({ '0001_sync_core': syncCore(dialect) }) } });
      const { error } = await migrator.migrateToLatest();
      if (error) throw error;
    }
  } catch (err) {
    await dispose(store);
    throw err;
  }
  const opened = store;
  return { store: opened, dispose: () => dispose(opened) };
}

/** Bulk load straight into `messages` (no ingest logic): the backlog the indexer then works through. */
export async function bulkLoad(db: Kysely<Database>, dialect: Dialect, messages: readonly GeneratedMessage[], firstTdId: number, deadline: number): Promise<number> {
  const rows = (from: number, to: number) =>
    messages.slice(from, to).map((m, j) => {
      const td = firstTdId + from + j;
      return {
        chat_key: m.chatKey,
        msg_key: `m${td}`,
        sort_key: td,
        sender_key: `u${m.sender}`,
        sender_user_id: m.sender,
        date: m.date,
        edit_date: 0,
        reply_to_key: null,
        text: m.text,
        entities: '[]',
        has_mention: 0,
        content_kind: 'text',
        media_summary: null,
        is_service: 0,
        deleted_at: null,
        first_seen_at: 1,
      };
    });
  let loaded = 0;
  if (dialect === 'postgres') {
    for (let i = 0; i < messages.length && Date.now() < deadline; i += 10_000) {
      const part = rows(i, i + 10_000);
      await sql`
        INSERT INTO messages (chat_key, msg_key, sort_key, sender_key, sender_user_id, date, text, content_kind, first_seen_at)
        SELECT * FROM unnest(${part.map((r) => r.chat_key)}::text[], ${part.map((r) => r.msg_key)}::text[], ${part.map((r) => r.sort_key)}::bigint[],
          ${part.map((r) => r.sender_key)}::text[], ${part.map((r) => r.sender_user_id)}::bigint[], ${part.map((r) => r.date)}::bigint[],
          ${part.map((r) => r.text)}::text[], ${part.map((r) => r.content_kind)}::text[], ${part.map((r) => r.first_seen_at)}::bigint[])`.execute(db);
      loaded += part.length;
    }
    return loaded;
  }
  for (let i = 0; i < messages.length && Date.now() < deadline; i += 50_000) {
    await db.transaction().execute(async (trx) => {
      for (let j = i; j < Math.min(i + 50_000, messages.length); j += 1_000) await trx.insertInto('messages').values(rows(j, Math.min(j + 1_000, i + 50_000, messages.length))).execute();
    });
    loaded = Math.min(i + 50_000, messages.length);
  }
  return loaded;
}

function toIngest(m: GeneratedMessage, tdId: number): MessageToStore {
  const message: TgMessage = {
    tdChatId: Number(m.chatKey),
    tdMessageId: tdId * 1_048_576,
    sender: { kind: 'user', id: m.sender },
    isOutgoing: false,
    date: m.date,
    editDate: 0,
    replyToTdMessageId: null,
    text: m.text,
    entities: [],
    contentKind: 'text',
    mediaSummary: null,
    isService: false,
    containsUnreadMention: false,
  };
  return { chatKey: m.chatKey, chatType: 'supergroup', message };
}

/** Messages per second through the real ingest write, in batches of 100 as account updates arrive. */
async function ingestRate(db: Kysely<Database>, messages: readonly GeneratedMessage[], firstTdId: number, deadline: number): Promise<{ perSecond: number; messages: number }> {
  const started = performance.now();
  let done = 0;
  for (let i = 0; i < messages.length && Date.now() < deadline; i += 100) {
    const batch = messages.slice(i, i + 100).map((m, j) => toIngest(m, firstTdId + i + j));
    await db.transaction().execute((trx) => upsertMessages(trx, 'bench', batch, 1_700_000_000_000 + i));
    done += batch.length;
  }
  return { perSecond: Math.round(done / ((performance.now() - started) / 1000)), messages: done };
}

// ---------------------------------------------------------------------------------------------
// Queries

const QUERIES: Record<'word' | 'substring' | 'filtered', ReadonlyArray<Omit<SearchQuery, 'limit'>>> = {
  word: [
    { query: 'сервер' },
    { query: 'серверов' },
    { query: 'перезагрузка' },
    { query: 'restart' },
    { query: 'restarting nginx' },
    { query: 'балансировщик' },
    { query: 'ёлки' },
    { query: 'сертификат' },
    { query: 'replication lag' },
    { query: 'диск заполнен' },
  ],
  substring: [
    { query: '10.0.3.17' },
    { query: '10.3.1' },
    { query: 'db-prod-2.example' },
    { query: 'ORA-00942' },
    { query: '502' },
    { query: 'web-stage-17' },
    { query: '40P01' },
    { query: 'v2/orders' },
  ],
  filtered: [
    { query: 'сервер', chatKeys: ['-1001000000003'] },
    { query: '502', chatKeys: ['-1001000000003', '-1001000000500'] },
    { query: 'restart', senderUserId: 10_007 },
    { query: 'ошибка', from: BENCH_T0 + 200 * 86_400, to: BENCH_T0 + 207 * 86_400 },
    { query: 'ORA-00942 db', chatKeys: ['-1001000000010'] },
    { query: 'перезагрузка 10.1', from: BENCH_T0 + 300 * 86_400 },
  ],
};

const pct = (sorted: readonly number[], p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? 0;
const round = (n: number) => Math.round(n * 100) / 100;

async function measureQueries(store: Store, repetitions: number, deadline: number): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  // Something that wants the event loop while searches run, as a live daemon would.
  const ticker = setInterval(() => undefined, 5);
  // Each query once first, watched on its own: the first searches after a start read the index
  // pages from the file and prepare their statements, a cost paid once, not per search.
  const coldStalls = monitorEventLoopDelay({ resolution: 5 });
  coldStalls.enable();
  const coldStart = performance.now();
  for (const queries of Object.values(QUERIES)) {
    for (const q of queries) {
      await searchMessagesWithStats(store.db, store.dialect, { ...q, limit: 50 });
      await nextTurn();
    }
  }
  const coldMs = performance.now() - coldStart;
  coldStalls.disable();
  out.firstQueries = { queries: Object.values(QUERIES).flat().length, ms: round(coldMs), eventLoopStallMaxMs: round(coldStalls.max / 1e6) };
  // The corpus this process generated and let go is collected now rather than during the timed
  // searches, where its major collection would be blamed on search.
  gcNow();
  const stalls = monitorEventLoopDelay({ resolution: 5 });
  stalls.enable();
  for (const [kind, queries] of Object.entries(QUERIES)) {
    const times: number[] = [];
    // This process's CPU time per search. On SQLite that is nearly all of a search's work, so it
    // shows what the wall time would be on an idle machine; on PostgreSQL the work is the server's.
    const cpu: number[] = [];
    const perQuery: Record<string, { p50: number; p95: number; cpuP95: number; hits: number; truncated: boolean }> = {};
    let cut = false;
    for (const q of queries) {
      const mine: number[] = [];
      const mineCpu: number[] = [];
      let hits = 0;
      let truncated = false;
      for (let i = 0; i < repetitions; i++) {
        if (Date.now() > deadline) {
          cut = true;
          break;
        }
        const t0 = performance.now();
        const c0 = process.cpuUsage();
        const outcome = await searchMessagesWithStats(store.db, store.dialect, { ...q, limit: 50 });
        mine.push(performance.now() - t0);
        const c = process.cpuUsage(c0);
        mineCpu.push((c.user + c.system) / 1000);
        // Searches come in as requests, each its own turn of the event loop: a search on SQLite
        // yields only after a slice of work, so back-to-back searches awaited in one chain would
        // never let timers run between them and show up as one long stall.
        await nextTurn();
        hits = outcome.hits.length;
        truncated ||= outcome.truncated;
      }
      times.push(...mine);
      cpu.push(...mineCpu);
      mine.sort((a, b) => a - b);
      mineCpu.sort((a, b) => a - b);
      perQuery[JSON.stringify(q)] = { p50: round(pct(mine, 50)), p95: round(pct(mine, 95)), cpuP95: round(pct(mineCpu, 95)), hits, truncated };
    }
    times.sort((a, b) => a - b);
    cpu.sort((a, b) => a - b);
    out[kind] = {
      runs: times.length,
      p50Ms: round(pct(times, 50)),
      p95Ms: round(pct(times, 95)),
      maxMs: round(times[times.length - 1] ?? 0),
      processCpuP50Ms: round(pct(cpu, 50)),
      processCpuP95Ms: round(pct(cpu, 95)),
      cutByTimeLimit: cut,
      perQuery,
    };
  }
  stalls.disable();
  clearInterval(ticker);
  out.eventLoopStallMs = { p99: round(stalls.percentile(99) / 1e6), max: round(stalls.max / 1e6) };
  return out;
}

// ---------------------------------------------------------------------------------------------

const progress = (msg: string) => process.stderr.write(`[search bench] ${new Date().toISOString().slice(11, 19)} ${msg}\n`);

async function benchDialect(dialect: Dialect, opts: SearchBenchOptions): Promise<Record<string, unknown>> {
  const url = opts.databaseUrl ?? DEFAULT_URL;
  const started = Date.now();
  const deadline = started + (opts.timeLimitMs ?? 30 * 60_000);
  const logger = createLogger({ level: 'warn' });
  const result: Record<string, unknown> = {};

  // 1. Ingest with search running vs the store without search.
  // Generated per store and let go before the queries: a million messages held in memory make
  // major GCs that would show as event-loop stalls of ~150 ms and be blamed on search.
  const t0 = performance.now();
  let corpus: GeneratedMessage[] | null = generateMessages(opts.messages);
  result.generateSeconds = round((performance.now() - t0) / 1000);
  const ingestSample = corpus.slice(0, Math.min(corpus.length, 30_000));
  progress(`${dialect}: ingest without search`);
  const base = await openBenchStore(dialect, url, false);
  try {
    result.ingestWithoutSearch = await ingestRate(base.store.db, ingestSample, 1, Math.min(deadline, Date.now() + 120_000));
  } finally {
    await base.dispose();
  }

  const bench = await openBenchStore(dialect, url, true);
  try {
    const { store } = bench;
    progress(`${dialect}: ingest with the indexer running`);
    const live = new SearchIndexer({ db: store.db, dialect, logger, pollMs: 50 });
    live.start();
    const withSearch = await ingestRate(store.db, ingestSample, 1, Math.min(deadline, Date.now() + 120_000));
    await live.stop();
    const without = result.ingestWithoutSearch as { perSecond: number };
    result.ingestWithSearchIndexerRunning = { ...withSearch, ratio: round(withSearch.perSecond / without.perSecond) };
    const caughtUp0 = performance.now();
    await live.indexPending();
    result.ingestIndexCatchUpMs = Math.round(performance.now() - caughtUp0);

    // 2. The bulk backlog, then index it.
    progress(`${dialect}: bulk load of ${corpus.length} messages`);
    const tLoad = performance.now();
    const loaded = await bulkLoad(store.db, dialect, corpus, 10_000_000, deadline);
    corpus = null;
    result.bulkLoad = { messages: loaded, perSecond: Math.round(loaded / ((performance.now() - tLoad) / 1000)) };

    const indexer = new SearchIndexer({ db: store.db, dialect, logger, pollMs: 0, maxDutyCycle: 1 });
    const target = loaded + ingestSample.length;
    progress(`${dialect}: indexing`);
    const t1 = performance.now();
    const indexDeadline = Date.now() + (opts.indexTimeLimitMs ?? Math.max(opts.timeLimitMs ?? 0, Math.ceil(loaded / 2_500) * 1000));
    indexer.start();
    let indexed = 0;
    while (Date.now() < indexDeadline) {
      await new Promise((r) => setTimeout(r, 500));
      indexed = await countSearchDocs(store.db);
      if (indexed >= target) break;
      if (Math.random() < 0.05) progress(`${dialect}: indexed ${indexed}/${target}`);
    }
    await indexer.stop();
    const indexMs = performance.now() - t1;
    indexed = await countSearchDocs(store.db);
    result.indexing = { messages: indexed - ingestSample.length, seconds: round(indexMs / 1000), perSecond: Math.round((indexed - ingestSample.length) / (indexMs / 1000)), complete: indexed >= target };
    // Autovacuum would have analyzed both tables long before a million messages; the bench cannot wait for it.
    if (dialect === 'postgres') await sql`ANALYZE`.execute(store.db);

    // 3. Queries.
    progress(`${dialect}: queries`);
    // Latencies mean little without the machine's load beside them (other processes share the CPUs).
    const loadBefore = loadavg()[0]!;
    result.queries = await measureQueries(store, opts.repetitions ?? 20, Date.now() + 5 * 60_000);
    result.loadAverageDuringQueries = { before: round(loadBefore), after: round(loadavg()[0]!), cpus: cpus().length };
  } finally {
    await bench.dispose();
  }
  result.seconds = Math.round((Date.now() - started) / 1000);
  return result;
}

export async function runSearchBench(opts: { messages: number } & Partial<SearchBenchOptions>): Promise<Record<string, unknown>> {
  const messages = Math.max(1_000, Math.floor(opts.messages));
  const result: Record<string, unknown> = { messages, targetP95Ms: 50 };
  for (const dialect of opts.dialects ?? (['sqlite', 'postgres'] as const)) {
    // One store failing (PostgreSQL unreachable) must not lose the other's figures.
    try {
      result[dialect] = await benchDialect(dialect, { ...opts, messages });
    } catch (err) {
      result[dialect] = { error: err instanceof Error ? err.message : String(err) };
    }
  }
  return result;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const result = await runSearchBench({
    messages: Number(arg('messages') ?? 1_000_000),
    dialects: (arg('dialects')?.split(',') as Dialect[] | undefined) ?? ['sqlite', 'postgres'],
    ...(arg('repetitions') ? { repetitions: Number(arg('repetitions')) } : {}),
    ...(arg('index-seconds') ? { indexTimeLimitMs: Number(arg('index-seconds')) * 1000 } : {}),
  });
  console.log(JSON.stringify(result, null, 2));
}
