/**
 * Issue 3, "Ingest rate": simulated support traffic (several accounts, supergroups and basic
 * groups, Russian and English sysadmin chatter with mentions, replies, edits, deletes, reads),
 * recorded as the daemon receives it, then ingested through the real path (planBatch + the
 * daemon's IngestBatcher; with and without the team layer follower) into SQLite and PostgreSQL.
 * The baseline, in the same run: a raw batched INSERT of the same rows, through the same driver,
 * into a table with the columns and indexes of `messages` (and, to show what the indexes cost,
 * into the same table without them).
 *
 * Alone: node bin/run-ts.mjs bench/ingest.bench.ts [--quick] [--dialects sqlite,postgres]
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { buildSupportCompany } from '../src/tdlib/simulator/support-company.ts';
import { createTraffic } from '../src/tdlib/simulator/traffic.ts';
import { createSimWorld } from '../src/tdlib/simulator/world.ts';
import { createIngestHarness, replayConcurrently } from './lib/ingest-harness.ts';
import { MESSAGE_COLUMNS, messagesIndexesDdl, openSqliteFile, pgBulk, plainMessagesDdl, sqliteBulk, type Row } from './lib/raw.ts';
import { countMessageEvents, createRecorder, type RecordedAccount } from './lib/sim-record.ts';
import { gc, median, round, type BenchResult, type BenchRow } from './lib/stats.ts';
import { BENCH_DATABASE_URL, openBenchStore, postgresAvailable, type StoreKind } from './lib/stores.ts';

export interface IngestBenchOptions {
  readonly quick?: boolean;
  readonly dialects?: readonly StoreKind[];
  readonly accounts?: number;
  readonly clientChats?: number;
  readonly steps?: number;
  /** Traffic steps per turn of the event loop: how many updates an account's batch gathers. */
  readonly stepsPerBatch?: number;
  readonly repetitions?: { sqlite: number; postgres: number };
  /** PostgreSQL replays only the first this many turns of the traffic (its per-statement round trips make it far slower). */
  readonly postgresTurns?: number;
  /** Wall-time bound of one timed ingest run; a run cut short is reported as such. */
  readonly runLimitMs?: number;
}

/** The demo's company names (src/cli/demo.ts), copied so this bench does not load the API modules. */
const DEMO_COMPANY_NAMES = ['HostOps', 'ХостОпс'];

/** World time between two traffic steps. */
const STEP_MS = 1_000;

type Variant = 'raw' | 'rawIndexed' | 'ingest' | 'ingestTeam';
const VARIANT_LABEL: Record<Variant, string> = {
  raw: 'raw INSERT, plain table',
  rawIndexed: 'raw INSERT, table with messages\' indexes',
  ingest: 'ingest path, no team layer',
  ingestTeam: 'ingest path + team layer (as the daemon runs)',
};

interface Measured {
  readonly variant: Variant;
  readonly dialect: StoreKind;
  readonly rep: number;
  readonly rows: number;
  readonly ms: number;
  readonly perSecond: number;
  /** This process's CPU time for the run: on SQLite all the work, and steadier than wall time on a shared machine. */
  readonly cpuMs: number;
  readonly transactions: number;
  readonly cut: boolean;
}

export async function runIngestBench(options: IngestBenchOptions = {}): Promise<BenchResult> {
  const started = Date.now();
  const quick = options.quick ?? false;
  const accountsWanted = options.accounts ?? 8;
  const clientChats = options.clientChats ?? (quick ? 60 : 200);
  const steps = options.steps ?? (quick ? 4_000 : 12_000);
  const perBatch = options.stepsPerBatch ?? 100;
  const reps = options.repetitions ?? (quick ? { sqlite: 1, postgres: 1 } : { sqlite: 3, postgres: 3 });
  const runLimitMs = options.runLimitMs ?? (quick ? 60_000 : 120_000);
  const pgTurnsWanted = options.postgresTurns ?? (quick ? 20 : 40);
  const notes: string[] = [];
  let dialects = options.dialects ?? ['sqlite', 'postgres'];
  if (dialects.includes('postgres') && !(await postgresAvailable())) {
    dialects = dialects.filter((d) => d !== 'postgres');
    notes.push(`PostgreSQL at ${redactUrl(BENCH_DATABASE_URL)} did not answer: skipped.`);
  }

  // 1. Record the traffic (untimed).
  const t0 = performance.now();
  // A world clock that moves one traffic step at a time (about a message a second across the
  // company, as a busy support desk sees) and ends near the real now.
  let worldNow = Date.now() - steps * STEP_MS;
  const world = createSimWorld({ seed: 3, clock: () => worldNow });
  const company = buildSupportCompany(world, { seed: 3, accounts: accountsWanted, clientChats, historyHours: 1 });
  const accounts = company.accounts.map((m, i) => ({ accountId: `acc${i + 1}`, userId: m.userId }));
  const team = {
    teamChatId: company.teamChat.id,
    members: company.team.map((m) => ({ userId: m.userId, role: m.role, name: m.name })),
    companyNames: DEMO_COMPANY_NAMES,
  };
  const recorder = createRecorder(world, accounts);
  await recorder.login();
  const traffic = createTraffic(world, company, { seed: 5 });
  const played = await recorder.play(steps, perBatch, () => {
    worldNow += STEP_MS;
    traffic.step();
  }, { maxMs: 5 * 60_000 });
  await recorder.close();
  const recorded = recorder.accounts;
  const trafficBatches = recorded.reduce((n, a) => n + a.traffic.length, 0);
  const trafficEvents = recorder.eventCount('traffic');
  const deliveries = recorded.reduce((n, a) => n + countMessageEvents(a.traffic), 0);
  const recordSeconds = (performance.now() - t0) / 1000;
  const basicChats = company.clientChats.filter((c) => c.kind === 'basicGroup').length;

  // 2. The rows the ingest stores, for the raw baseline: one untimed ingest on SQLite.
  const turnsPlayed = Math.max(...recorded.map((a) => a.traffic.length));
  const pgTurns = Math.min(pgTurnsWanted, turnsPlayed);
  const { rows, rowsInPrefix } = await rowsOfTraffic(recorded, accounts, team, pgTurns);
  const rawBatch = Math.max(1, Math.ceil(rows.length / Math.max(1, Math.ceil(played.steps / perBatch))));
  const turns = turnsPlayed;
  const pgDeliveries = recorded.reduce((n, a) => n + countMessageEvents(a.traffic.slice(0, pgTurns)), 0);

  const measured: Measured[] = [];
  for (const dialect of dialects) {
    const n = dialect === 'sqlite' ? reps.sqlite : reps.postgres;
    for (let rep = 0; rep < n; rep++) {
      // Alternate the order between repetitions so drift on a noisy machine hits every variant.
      const order: Variant[] = rep % 2 === 0 ? ['raw', 'rawIndexed', 'ingest', 'ingestTeam'] : ['ingestTeam', 'ingest', 'rawIndexed', 'raw'];
      for (const variant of order) {
        gc();
        const prefix = dialect === 'postgres' ? pgTurns : turnsPlayed;
        const theRows = dialect === 'postgres' ? rows.slice(0, rowsInPrefix) : rows;
        const m = variant === 'raw' || variant === 'rawIndexed'
          ? await measureRaw(dialect, variant, theRows, rawBatch)
          : await measureIngest(dialect, variant, recorded, accounts, team, prefix, theRows.length, runLimitMs);
        measured.push({ ...m, rep });
        process.stderr.write(`  ingest ${dialect} ${variant} rep ${rep + 1}: ${Math.round(m.perSecond)} msg/s (${m.rows} rows, ${Math.round(m.ms)} ms, CPU ${Math.round(m.cpuMs)} ms${m.cut ? ', cut' : ''})\n`);
      }
    }
  }

  const rate = (dialect: StoreKind, v: Variant) => median(measured.filter((m) => m.dialect === dialect && m.variant === v).map((m) => m.perSecond));
  // Ratios pair each run with its baseline from the same repetition (minutes apart at most), then
  // take the median: on a shared machine that cancels much of the drift between repetitions.
  const pairedRatio = (dialect: StoreKind, v: Variant, base: Variant) => {
    const ratios: number[] = [];
    for (const m of measured) {
      if (m.dialect !== dialect || m.variant !== v) continue;
      const b = measured.find((x) => x.dialect === dialect && x.variant === base && x.rep === m.rep);
      if (b) ratios.push(m.perSecond / b.perSecond);
    }
    return median(ratios);
  };
  const out: BenchRow[] = [];
  for (const dialect of dialects) {
    const raw = rate(dialect, 'raw');
    const rawIdx = rate(dialect, 'rawIndexed');
    // "A raw batched insert of the same rows": into a table like `messages`, with its indexes,
    // since the ingest path stores the rows there. The plain table (no indexes) is shown too.
    for (const v of ['ingestTeam', 'ingest'] as const) {
      const r = rate(dialect, v);
      const ratio = pairedRatio(dialect, v, 'rawIndexed');
      const sqliteTargets = dialect === 'sqlite';
      out.push({
        metric: `${dialect}: ${VARIANT_LABEL[v]}`,
        value: Math.round(r),
        unit: 'msg/s',
        baseline: Math.round(rawIdx),
        baselineLabel: VARIANT_LABEL.rawIndexed,
        ratio: round(ratio, 3),
        ...(sqliteTargets ? { target: '≥ 50% of raw and ≥ 20,000 msg/s', pass: ratio >= 0.5 && r >= 20_000 } : { target: 'reported (no target)' }),
      });
      out.push({
        metric: `${dialect}: ${VARIANT_LABEL[v]} vs raw into a plain table`,
        value: Math.round(r),
        unit: 'msg/s',
        baseline: Math.round(raw),
        baselineLabel: VARIANT_LABEL.raw,
        ratio: round(pairedRatio(dialect, v, 'raw'), 3),
      });
    }
    if (dialect === 'sqlite') {
      // Messages per second of this process's CPU: the whole work on SQLite (in-process), and
      // much less moved by other load on a shared machine than wall time.
      const perCpu = (v: Variant) => median(measured.filter((m) => m.dialect === dialect && m.variant === v).map((m) => m.rows / (m.cpuMs / 1000)));
      const cpuRatio = (v: Variant) =>
        median(
          measured
            .filter((m) => m.dialect === dialect && m.variant === v)
            .flatMap((m) => {
              const b = measured.find((x) => x.dialect === dialect && x.variant === 'rawIndexed' && x.rep === m.rep);
              return b ? [m.rows / m.cpuMs / (b.rows / b.cpuMs)] : [];
            }),
        );
      for (const v of ['ingestTeam', 'ingest'] as const) {
        out.push({
          metric: `${dialect}: ${VARIANT_LABEL[v]}, per CPU second`,
          value: Math.round(perCpu(v)),
          unit: 'msg/CPU-s',
          baseline: Math.round(perCpu('rawIndexed')),
          baselineLabel: `${VARIANT_LABEL.rawIndexed}, per CPU second`,
          ratio: round(cpuRatio(v), 3),
        });
      }
    }
    const teamRuns = measured.filter((m) => m.dialect === dialect && m.variant === 'ingestTeam');
    const perDelivery = dialect === 'postgres' ? pgDeliveries / Math.max(1, rowsInPrefix) : deliveries / Math.max(1, rows.length);
    out.push({
      metric: `${dialect}: message deliveries/s through ingest + team layer (each account's copy counted)`,
      value: Math.round(median(teamRuns.map((m) => m.perSecond)) * perDelivery),
      unit: 'deliveries/s',
    });
    out.push({
      metric: `${dialect}: ${VARIANT_LABEL.rawIndexed}`,
      value: Math.round(rawIdx),
      unit: 'msg/s',
      baseline: Math.round(raw),
      baselineLabel: VARIANT_LABEL.raw,
      ratio: round(pairedRatio(dialect, 'rawIndexed', 'raw'), 3),
    });
  }

  notes.push(
    `Traffic: the simulated support company (src/tdlib/simulator) with ${accounts.length} accounts, ${clientChats} client chats (${basicChats} basic groups, the rest supergroups), a team chat and private chats; ${played.steps.toLocaleString('en-US')} traffic steps (questions, replies, mentions, stickers, photos, documents, edits, deletes, reads, reactions), one step per ${STEP_MS / 1000} s of world time, ${perBatch} steps per event-loop turn (so an account's batch holds the updates of ${perBatch} s of traffic: the backlog a busy daemon picks up at once).`,
    `Recorded through createTelegramAccount over the simulator's transport (${recordSeconds.toFixed(1)} s, untimed): ${trafficEvents.toLocaleString('en-US')} events in ${trafficBatches.toLocaleString('en-US')} account batches; ${deliveries.toLocaleString('en-US')} message deliveries (a message in a chat with three accounts arrives three times) storing ${rows.length.toLocaleString('en-US')} distinct messages. msg/s counts distinct stored messages.`,
    `Ingest: what AccountSync.handleBatch does with a batch (planBatch, then the daemon's IngestBatcher, which stores it with every batch other accounts queued meanwhile in one writer transaction [+ TeamProjection.onIngested and the overdue clock]), each account's stream awaiting its own batches as in the daemon. Chats were loaded and marked synced first (untimed), as after a reconcile pass. The search indexer is off (bench/search.bench.ts measures its effect).`,
    `Raw baseline: the same ${rows.length.toLocaleString('en-US')} rows, ${rawBatch} per transaction (one transaction per ${perBatch}-step turn), multi-row INSERTs of ≤ 400 rows through better-sqlite3 / pg directly, into a table with the columns and indexes of \`messages\` (the targets' baseline), and into the same table without indexes. The ingest path takes ${(trafficBatches / Math.max(1, turns)).toFixed(1)} account batches per turn and also writes each account's chat state and cursors and, with the team layer, events and waiting states: several rows per stored message that the baseline does not write.`,
    `Values: median of ${reps.sqlite} run(s) on SQLite${dialects.includes('postgres') ? ` and ${reps.postgres} on PostgreSQL` : ''}, each into a fresh database (PostgreSQL: a schema of its own on the local server), order alternating between runs; ratios: the median of each run's ratio to the baseline measured in the same repetition.${dialects.includes('postgres') && pgTurns < turnsPlayed ? ` PostgreSQL replays the first ${pgTurns} of the ${turnsPlayed} turns (${rowsInPrefix.toLocaleString('en-US')} messages), and its raw baseline inserts those same rows.` : ''}`,
  );

  return {
    name: 'ingest',
    title: 'Ingest rate (issue 3)',
    issue: 3,
    quick,
    startedAt: new Date(started).toISOString(),
    seconds: Math.round((Date.now() - started) / 1000),
    rows: out,
    notes,
    details: {
      accounts: accounts.length,
      clientChats,
      basicChats,
      steps: played.steps,
      trafficEvents,
      trafficBatches,
      deliveries,
      distinctMessages: rows.length,
      rawRowsPerTransaction: rawBatch,
      postgresTurns: pgTurns,
      postgresMessages: rowsInPrefix,
      runs: measured.map((m) => ({ ...m, perSecond: Math.round(m.perSecond), ms: Math.round(m.ms), cpuMs: Math.round(m.cpuMs) })),
    },
  };
}

/** Ingests the recorded traffic once (SQLite, no team layer) and reads back the rows it stored. */
async function rowsOfTraffic(
  recorded: readonly RecordedAccount[],
  accounts: readonly { accountId: string; userId: number }[],
  team: object,
  prefixTurns: number,
): Promise<{ rows: Row[]; rowsInPrefix: number }> {
  const bench = await openBenchStore('sqlite');
  try {
    const harness = await createIngestHarness({ store: bench.store, accounts, follower: false, team });
    await replayConcurrently(harness, recorded.map((a) => ({ accountId: a.accountId, batches: a.setup })));
    await harness.markSynced();
    const maxId = async () => Number((await bench.store.db.selectFrom('messages').select((eb) => eb.fn.max('id').as('top')).executeTakeFirst())?.top ?? 0);
    const top = await maxId();
    await replayConcurrently(harness, recorded.map((a) => ({ accountId: a.accountId, batches: a.traffic.slice(0, prefixTurns) })));
    const prefixTop = await maxId();
    await replayConcurrently(harness, recorded.map((a) => ({ accountId: a.accountId, batches: a.traffic.slice(prefixTurns) })));
    await harness.close();
    const stored = await bench.store.db.selectFrom('messages').selectAll().where('id', '>', top).orderBy('id').execute();
    // Deleted and edited rows go in as they were first stored: the baseline only inserts.
    const rows = stored.map((r) => MESSAGE_COLUMNS.map((c) => (c === 'deleted_at' ? null : (r as Record<string, unknown>)[c])));
    return { rows, rowsInPrefix: stored.filter((r) => r.id <= prefixTop).length };
  } finally {
    await bench.dispose();
  }
}

async function measureIngest(
  dialect: StoreKind,
  variant: 'ingest' | 'ingestTeam',
  recorded: readonly RecordedAccount[],
  accounts: readonly { accountId: string; userId: number }[],
  team: object,
  turns: number,
  expectedRows: number,
  runLimitMs: number,
): Promise<Omit<Measured, 'rep'>> {
  const bench = await openBenchStore(dialect);
  try {
    const harness = await createIngestHarness({ store: bench.store, accounts, follower: variant === 'ingestTeam', team });
    await replayConcurrently(harness, recorded.map((a) => ({ accountId: a.accountId, batches: a.setup })));
    await harness.markSynced();
    const db = bench.store.db;
    const count = async () => Number((await db.selectFrom('messages').select((eb) => eb.fn.countAll().as('n')).executeTakeFirst())?.n ?? 0);
    const before = await count();
    const cpu = process.cpuUsage();
    const t = performance.now();
    const r = await replayConcurrently(harness, recorded.map((a) => ({ accountId: a.accountId, batches: a.traffic.slice(0, turns) })), { maxMs: runLimitMs });
    const ms = performance.now() - t;
    const cpuMs = cpuMsSince(cpu);
    const rows = (await count()) - before;
    await harness.close();
    if (!r.cut && rows !== expectedRows) process.stderr.write(`  note: ${dialect} ${variant} stored ${rows} rows, the reference run ${expectedRows}\n`);
    return { variant, dialect, rows, ms, cpuMs, perSecond: rows / (ms / 1000), transactions: r.batches, cut: r.cut };
  } finally {
    await bench.dispose();
  }
}

async function measureRaw(dialect: StoreKind, variant: 'raw' | 'rawIndexed', rows: readonly Row[], perTransaction: number): Promise<Omit<Measured, 'rep'>> {
  const bench = await openBenchStore(dialect, { migrate: false });
  try {
    const table = 'raw_messages';
    let transactions = 0;
    let ms: number;
    let cpuMs: number;
    if (dialect === 'sqlite') {
      const database = openSqliteFile(bench.dataDir);
      try {
        database.exec(plainMessagesDdl('sqlite', table));
        if (variant === 'rawIndexed') for (const ddl of messagesIndexesDdl(table)) database.exec(ddl);
        const insert = sqliteBulk(database, table, MESSAGE_COLUMNS);
        const tx = database.transaction((part: readonly Row[]) => insert(part));
        const cpu = process.cpuUsage();
        const t = performance.now();
        for (let i = 0; i < rows.length; i += perTransaction) {
          tx(rows.slice(i, i + perTransaction));
          transactions++;
        }
        ms = performance.now() - t;
        cpuMs = cpuMsSince(cpu);
      } finally {
        database.close();
      }
    } else {
      const client = new pg.Client({ connectionString: BENCH_DATABASE_URL, options: `-c search_path=${bench.schema}` });
      await client.connect();
      try {
        await client.query(`CREATE SCHEMA IF NOT EXISTS ${bench.schema}`);
        await client.query(plainMessagesDdl('postgres', table));
        if (variant === 'rawIndexed') for (const ddl of messagesIndexesDdl(table)) await client.query(ddl);
        const insert = pgBulk(client, table, MESSAGE_COLUMNS);
        const cpu = process.cpuUsage();
        const t = performance.now();
        for (let i = 0; i < rows.length; i += perTransaction) {
          await client.query('BEGIN');
          await insert(rows.slice(i, i + perTransaction));
          await client.query('COMMIT');
          transactions++;
        }
        ms = performance.now() - t;
        cpuMs = cpuMsSince(cpu);
      } finally {
        await client.end();
      }
    }
    return { variant, dialect, rows: rows.length, ms, cpuMs, perSecond: rows.length / (ms / 1000), transactions, cut: false };
  } finally {
    await bench.dispose();
  }
}

function cpuMsSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    u.password = '';
    return u.toString();
  } catch {
    return 'the configured URL';
  }
}

export const run = runIngestBench;

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const result = await runIngestBench({
    quick: process.argv.includes('--quick'),
    ...(arg('dialects') ? { dialects: arg('dialects')!.split(',') as StoreKind[] } : {}),
    ...(arg('steps') ? { steps: Number(arg('steps')) } : {}),
  });
  console.log(JSON.stringify(result, null, 2));
}
