/**
 * Issue 3, "Ingest rate": simulated support traffic (several accounts, supergroups and basic
 * groups, Russian and English sysadmin chatter with mentions, replies, edits, deletes, reads),
 * recorded as the daemon receives it, then ingested through the real path (planBatch + the
 * daemon's IngestBatcher; with and without the team layer follower) into SQLite and PostgreSQL.
 * The baseline, in the same run: a raw batched INSERT of the same rows, through the same driver,
 * into a table with the columns and indexes of `messages` (and, to show what the indexes cost,
 * into the same table without them), in as many transactions as the ingest used.
 *
 * Two ways of feeding the traffic are measured. "At a rate": the updates arrive as TDLib would
 * deliver them at a set rate above the target, and each account's queue hands over whatever has
 * arrived when its previous batch is stored, as the daemon's queues do (src/tdlib/account.ts):
 * this is the daemon's ingest rate, the one the target is read against. "Fixed batches": every
 * account's batch is exactly one recorded turn (100 s of traffic), whatever the load, which
 * shows the cost of a transaction per turn.
 *
 * Alone: node bin/run-ts.mjs bench/ingest.bench.ts [--quick] [--dialects sqlite,postgres]
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { buildSupportCompany } from '../src/tdlib/simulator/support-company.ts';
import { createTraffic } from '../src/tdlib/simulator/traffic.ts';
import { createSimWorld } from '../src/tdlib/simulator/world.ts';
import type { TgEvent } from '../src/domain/telegram.ts';
import { createIngestHarness, replayAtRate, replayConcurrently, type IngestHarness } from './lib/ingest-harness.ts';
import { MESSAGE_COLUMNS, messagesIndexesDdl, openSqliteFile, pgBulk, plainMessagesDdl, sqliteBulk, type Row } from './lib/raw.ts';
import { countMessageEvents, createRecorder } from './lib/sim-record.ts';
import { measureSqliteStatements } from './lib/sqlite-time.ts';
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
  /** Turns of traffic ingested untimed first, so chats are classified and clocks running as in a daemon that has run a while. */
  readonly warmupTurns?: number;
  /** Messages per second at which "at a rate" offers the traffic. */
  readonly offeredRate?: number;
}

/** The demo's company names (src/cli/demo.ts), copied so this bench does not load the API modules. */
const DEMO_COMPANY_NAMES = ['HostOps', 'ХостОпс'];

/** World time between two traffic steps. */
const STEP_MS = 1_000;

/** Offered traffic: twice the issue's 20,000 msg/s, so a daemon slower than the target falls behind and batches as it would. */
const OFFERED_RATE = 40_000;

type Variant = 'raw' | 'rawIndexed' | 'ingest' | 'ingestTeam' | 'ingestAtRate' | 'ingestTeamAtRate' | 'rawIndexedAtRate';
const VARIANT_LABEL: Record<Variant, string> = {
  raw: 'raw INSERT, plain table',
  rawIndexed: 'raw INSERT, table with messages\' indexes',
  ingest: 'ingest path, no team layer, fixed batches',
  ingestTeam: 'ingest path + team layer, fixed batches',
  ingestAtRate: 'ingest path, no team layer, traffic at a rate',
  ingestTeamAtRate: 'ingest path + team layer (as the daemon runs), traffic at a rate',
  rawIndexedAtRate: 'raw INSERT, table with messages\' indexes, as many transactions as the ingest',
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
  /** SQLite only: time inside SQLite's statements during the run (bench/lib/sqlite-time.ts). */
  readonly statementMs?: number;
  readonly transactions: number;
  readonly cut: boolean;
}

export async function runIngestBench(options: IngestBenchOptions = {}): Promise<BenchResult> {
  const started = Date.now();
  const quick = options.quick ?? false;
  const accountsWanted = options.accounts ?? 8;
  const clientChats = options.clientChats ?? (quick ? 60 : 200);
  const steps = options.steps ?? (quick ? 4_000 : 24_000);
  const perBatch = options.stepsPerBatch ?? 100;
  const reps = options.repetitions ?? (quick ? { sqlite: 1, postgres: 1 } : { sqlite: 3, postgres: 3 });
  const runLimitMs = options.runLimitMs ?? (quick ? 60_000 : 120_000);
  const pgTurnsWanted = options.postgresTurns ?? (quick ? 20 : 40);
  const offeredRate = options.offeredRate ?? OFFERED_RATE;
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
  const recordSeconds = (performance.now() - t0) / 1000;
  const basicChats = company.clientChats.filter((c) => c.kind === 'basicGroup').length;

  // 2. Warm-up and timed traffic; the rows the timed part stores, for the raw baseline (one
  // untimed ingest on SQLite).
  const allTurns = Math.max(...recorded.map((a) => a.traffic.length));
  const warmupTurns = Math.min(options.warmupTurns ?? Math.round(allTurns / 10), allTurns - 1);
  const runs: RunTraffic[] = recorded.map((a) => ({ accountId: a.accountId, setup: a.setup, warmup: a.traffic.slice(0, warmupTurns), timed: a.traffic.slice(warmupTurns) }));
  const turnsPlayed = allTurns - warmupTurns;
  const pgTurns = Math.min(pgTurnsWanted, turnsPlayed);
  const { rows, rowsInPrefix } = await rowsOfTraffic(runs, accounts, team, pgTurns);
  const rawBatch = Math.max(1, Math.ceil(rows.length / turnsPlayed));
  const turns = turnsPlayed;
  const deliveries = runs.reduce((n, a) => n + countMessageEvents(a.timed), 0);
  const pgDeliveries = runs.reduce((n, a) => n + countMessageEvents(a.timed.slice(0, pgTurns)), 0);
  // "At a rate": turn i of the timed traffic arrives at i × interval, the interval that offers
  // the timed messages at offeredRate.
  const intervalOf = (messages: number, turnCount: number) => (messages / offeredRate) * 1000 / turnCount;

  const measured: Measured[] = [];
  // One untimed run of each daemon-like variant first: the first run in a process is 10–25 %
  // slower while V8 compiles the hot path, which a daemon that has been up a while has long done.
  const warmupRuns: Omit<Measured, 'rep'>[] = [];
  if (dialects.includes('sqlite')) {
    for (const variant of ['ingestTeamAtRate', 'ingestAtRate'] as const) {
      gc();
      const m = await measureIngest('sqlite', variant, runs, accounts, team, turnsPlayed, rows.length, runLimitMs, intervalOf(rows.length, turnsPlayed));
      warmupRuns.push(m);
      process.stderr.write(`  ingest sqlite ${variant} warm-up (untimed): ${Math.round(m.perSecond)} msg/s\n`);
    }
  }
  for (const dialect of dialects) {
    const n = dialect === 'sqlite' ? reps.sqlite : reps.postgres;
    for (let rep = 0; rep < n; rep++) {
      // Alternate the order between repetitions so drift on a noisy machine hits every variant.
      const forward: Variant[] = ['raw', 'rawIndexed', 'ingest', 'ingestTeam', 'ingestAtRate', 'ingestTeamAtRate'];
      const order = rep % 2 === 0 ? forward : [...forward].reverse();
      const prefix = dialect === 'postgres' ? pgTurns : turnsPlayed;
      const theRows = dialect === 'postgres' ? rows.slice(0, rowsInPrefix) : rows;
      const interval = intervalOf(theRows.length, prefix);
      const note = (m: Omit<Measured, 'rep'>) =>
        process.stderr.write(`  ingest ${dialect} ${m.variant} rep ${rep + 1}: ${Math.round(m.perSecond)} msg/s (${m.rows} rows, ${Math.round(m.ms)} ms, CPU ${Math.round(m.cpuMs)} ms,${m.statementMs === undefined ? '' : ` in SQLite statements ${Math.round(m.statementMs)} ms,`} ${m.transactions} transactions${m.cut ? ', cut' : ''})\n`);
      for (const variant of order) {
        gc();
        const m =
          variant === 'raw' || variant === 'rawIndexed'
            ? await measureRaw(dialect, variant, theRows, rawBatch)
            : await measureIngest(dialect, variant as IngestVariant, runs, accounts, team, prefix, theRows.length, runLimitMs, variant.endsWith('AtRate') ? interval : null);
        measured.push({ ...m, rep });
        note(m);
      }
      // The baseline of "at a rate": the same rows in as many transactions as the daemon used.
      const atRate = measured.find((m) => m.dialect === dialect && m.rep === rep && m.variant === 'ingestTeamAtRate')!;
      gc();
      const matched = await measureRaw(dialect, 'rawIndexed', theRows, Math.max(1, Math.ceil(theRows.length / Math.max(1, atRate.transactions))));
      measured.push({ ...matched, variant: 'rawIndexedAtRate', rep });
      note({ ...matched, variant: 'rawIndexedAtRate' });
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
  const transactionsOf = (dialect: StoreKind, v: Variant) => median(measured.filter((m) => m.dialect === dialect && m.variant === v).map((m) => m.transactions));
  for (const dialect of dialects) {
    const raw = rate(dialect, 'raw');
    const rawIdx = rate(dialect, 'rawIndexed');
    const sqliteTargets = dialect === 'sqlite';
    // The ingest rate: traffic offered faster than the target, batched as the daemon batches it.
    for (const v of ['ingestTeamAtRate', 'ingestAtRate'] as const) {
      const r = rate(dialect, v);
      const ratio = pairedRatio(dialect, v, 'rawIndexedAtRate');
      out.push({
        metric: `${dialect}: ${VARIANT_LABEL[v]} (offered ${offeredRate.toLocaleString('en-US')} msg/s)`,
        value: Math.round(r),
        unit: 'msg/s',
        baseline: Math.round(rate(dialect, 'rawIndexedAtRate')),
        baselineLabel: `${VARIANT_LABEL.rawIndexed}, ${Math.round(transactionsOf(dialect, v))} transactions`,
        ratio: round(ratio, 3),
        ...(v === 'ingestTeamAtRate' ? (sqliteTargets ? { target: '≥ 50% of raw and ≥ 20,000 msg/s', pass: ratio >= 0.5 && r >= 20_000 } : { target: 'reported (no target)' }) : {}),
      });
    }
    // "A raw batched insert of the same rows": into a table like `messages`, with its indexes,
    // since the ingest path stores the rows there. The plain table (no indexes) is shown too.
    for (const v of ['ingestTeam', 'ingest'] as const) {
      const r = rate(dialect, v);
      const ratio = pairedRatio(dialect, v, 'rawIndexed');
      out.push({
        metric: `${dialect}: ${VARIANT_LABEL[v]}`,
        value: Math.round(r),
        unit: 'msg/s',
        baseline: Math.round(rawIdx),
        baselineLabel: `${VARIANT_LABEL.rawIndexed}, ${rawBatch} rows per transaction`,
        ratio: round(ratio, 3),
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
      // How much of a run SQLite's own statements take, against the raw baseline's whole run:
      // 50 % of raw leaves the ingest twice the raw time, so statements that alone take longer
      // than that put the ratio target out of reach of any change to the JavaScript around them.
      for (const v of ['ingestTeamAtRate', 'ingestAtRate'] as const) {
        const paired = measured
          .filter((m) => m.dialect === dialect && m.variant === v && m.statementMs !== undefined)
          .flatMap((m) => {
            const b = measured.find((x) => x.dialect === dialect && x.variant === 'rawIndexedAtRate' && x.rep === m.rep);
            return b ? [{ statementMs: m.statementMs!, share: m.statementMs! / m.ms, times: m.statementMs! / b.ms }] : [];
          });
        if (paired.length === 0) continue;
        out.push({
          metric: `${dialect}: time inside SQLite statements, ${VARIANT_LABEL[v]} (${Math.round(100 * median(paired.map((p) => p.share)))} % of its run)`,
          value: Math.round(median(paired.map((p) => p.statementMs))),
          unit: 'ms',
          baseline: Math.round(median(measured.filter((m) => m.dialect === dialect && m.variant === 'rawIndexedAtRate').map((m) => m.ms))),
          baselineLabel: `${VARIANT_LABEL.rawIndexed}, the whole run, as many transactions`,
          ratio: round(median(paired.map((p) => p.times)), 2),
        });
      }
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
      for (const v of ['ingestTeamAtRate', 'ingestTeam', 'ingest'] as const) {
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
    const teamRuns = measured.filter((m) => m.dialect === dialect && m.variant === 'ingestTeamAtRate');
    const perDelivery = dialect === 'postgres' ? pgDeliveries / Math.max(1, rowsInPrefix) : deliveries / Math.max(1, rows.length);
    out.push({
      metric: `${dialect}: message deliveries/s through ingest + team layer at a rate (each account's copy counted)`,
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
    `Traffic: the simulated support company (src/tdlib/simulator) with ${accounts.length} accounts, ${clientChats} client chats (${basicChats} basic groups, the rest supergroups), a team chat and private chats; ${played.steps.toLocaleString('en-US')} traffic steps (questions, replies, mentions, stickers, photos, documents, edits, deletes, reads, reactions), one step per ${STEP_MS / 1000} s of world time, recorded ${perBatch} steps per turn (one recorded account batch holds the updates of ${perBatch} s of traffic).`,
    `Recorded through createTelegramAccount over the simulator's transport (${recordSeconds.toFixed(1)} s, untimed): ${trafficEvents.toLocaleString('en-US')} events in ${trafficBatches.toLocaleString('en-US')} account batches. Before the timed part, every run loads the chat lists, marks them synced (as a reconcile pass leaves them) and ingests the first ${warmupTurns} turns untimed, so chats are classified and overdue clocks run as in a daemon that has been up a while. Timed: ${turnsPlayed} turns, ${deliveries.toLocaleString('en-US')} message deliveries (a message in a chat with three accounts arrives three times) storing ${rows.length.toLocaleString('en-US')} distinct messages. msg/s counts distinct stored messages.`,
    `Ingest: what AccountSync.handleBatch does with a batch (planBatch, then the daemon's IngestBatcher, which stores it with every batch other accounts queued meanwhile in one writer transaction [+ TeamProjection.onIngested and the overdue clock]), each account's stream awaiting its own batches as in the daemon. At a rate: turn i arrives ${'i × interval'} after the start, the interval that offers the timed messages at ${offeredRate.toLocaleString('en-US')} msg/s, and an account takes everything that has arrived when its previous batch is stored (src/tdlib/account.ts does the same); the rate is stored messages over the time until the last is stored. Fixed batches: each account hands over one recorded turn at a time. The search indexer is off (bench/search.bench.ts measures its effect).`,
    `Raw baseline: the same ${rows.length.toLocaleString('en-US')} rows through better-sqlite3 / pg directly, multi-row INSERTs of ≤ 400 rows, into a table with the columns and indexes of \`messages\` (the targets' baseline), and into the same table without indexes; for "at a rate" in as many transactions as that run's ingest used (rows spread evenly), for fixed batches ${rawBatch} rows per transaction (one per turn). Besides the message rows, the ingest path writes each account's chat state and cursors and, with the team layer, events, waiting states and response episodes: several rows per stored message that the baseline does not write.`,
    `Warm-up: before the timed runs, one untimed run of each "at a rate" variant on SQLite (${warmupRuns.map((m) => `${VARIANT_LABEL[m.variant]}: ${Math.round(m.perSecond).toLocaleString('en-US')} msg/s`).join('; ') || 'none'}), so V8 has compiled the hot path as in a daemon that has been up a while; the first run in a fresh process is 10–25 % slower.`,
    `Time inside SQLite statements: the wall time spent in better-sqlite3's run/all/get during a timed run (begin and commit included), against the raw baseline's whole run in the same repetition. The ratio target allows the ingest twice the raw time; where its statements alone take longer than that, no change to the JavaScript can meet it, only fewer or cheaper statements.`,
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
      warmupTurns,
      timedTurns: turnsPlayed,
      offeredRate,
      transactionsAtRate: Object.fromEntries(dialects.map((d) => [d, { team: transactionsOf(d, 'ingestTeamAtRate'), noTeam: transactionsOf(d, 'ingestAtRate') }])),
      postgresTurns: pgTurns,
      postgresMessages: rowsInPrefix,
      runs: measured.map((m) => ({ ...m, perSecond: Math.round(m.perSecond), ms: Math.round(m.ms), cpuMs: Math.round(m.cpuMs), ...(m.statementMs === undefined ? {} : { statementMs: Math.round(m.statementMs) }) })),
      warmupRuns: warmupRuns.map((m) => ({ variant: m.variant, perSecond: Math.round(m.perSecond), ms: Math.round(m.ms) })),
    },
  };
}

/** Ingests the recorded traffic once (SQLite, no team layer) and reads back the rows it stored. */
async function rowsOfTraffic(
  runs: readonly RunTraffic[],
  accounts: readonly { accountId: string; userId: number }[],
  team: object,
  prefixTurns: number,
): Promise<{ rows: Row[]; rowsInPrefix: number }> {
  const bench = await openBenchStore('sqlite');
  try {
    const harness = await createIngestHarness({ store: bench.store, accounts, follower: false, team });
    await prepare(harness, runs);
    const maxId = async () => Number((await bench.store.db.selectFrom('messages').select((eb) => eb.fn.max('id').as('top')).executeTakeFirst())?.top ?? 0);
    const top = await maxId();
    await replayConcurrently(harness, runs.map((a) => ({ accountId: a.accountId, batches: a.timed.slice(0, prefixTurns) })));
    const prefixTop = await maxId();
    await replayConcurrently(harness, runs.map((a) => ({ accountId: a.accountId, batches: a.timed.slice(prefixTurns) })));
    await harness.close();
    const stored = await bench.store.db.selectFrom('messages').selectAll().where('id', '>', top).orderBy('id').execute();
    // Deleted and edited rows go in as they were first stored: the baseline only inserts.
    const rows = stored.map((r) => MESSAGE_COLUMNS.map((c) => (c === 'deleted_at' ? null : (r as Record<string, unknown>)[c])));
    return { rows, rowsInPrefix: stored.filter((r) => r.id <= prefixTop).length };
  } finally {
    await bench.dispose();
  }
}

/** One account's recorded traffic, split as every run replays it. */
interface RunTraffic {
  readonly accountId: string;
  readonly setup: readonly (readonly TgEvent[])[];
  readonly warmup: readonly (readonly TgEvent[])[];
  readonly timed: readonly (readonly TgEvent[])[];
}

type IngestVariant = 'ingest' | 'ingestTeam' | 'ingestAtRate' | 'ingestTeamAtRate';

/** Untimed: chat lists loaded and marked synced, then the warm-up turns. */
async function prepare(harness: IngestHarness, runs: readonly RunTraffic[]): Promise<void> {
  await replayConcurrently(harness, runs.map((a) => ({ accountId: a.accountId, batches: a.setup })));
  await harness.markSynced();
  await replayConcurrently(harness, runs.map((a) => ({ accountId: a.accountId, batches: a.warmup })));
}

async function measureIngest(
  dialect: StoreKind,
  variant: IngestVariant,
  runs: readonly RunTraffic[],
  accounts: readonly { accountId: string; userId: number }[],
  team: object,
  turns: number,
  expectedRows: number,
  runLimitMs: number,
  /** Offer turns at this interval (traffic at a rate); null: fixed batches, one turn each. */
  intervalMs: number | null,
): Promise<Omit<Measured, 'rep'>> {
  const bench = await openBenchStore(dialect);
  try {
    const harness = await createIngestHarness({ store: bench.store, accounts, follower: variant === 'ingestTeam' || variant === 'ingestTeamAtRate', team });
    await prepare(harness, runs);
    const db = bench.store.db;
    const count = async () => Number((await db.selectFrom('messages').select((eb) => eb.fn.countAll().as('n')).executeTakeFirst())?.n ?? 0);
    const before = await count();
    const transactionsBefore = harness.counts.transactions;
    const streams = runs.map((a) => ({ accountId: a.accountId, batches: a.timed.slice(0, turns) }));
    const statements = dialect === 'sqlite' ? measureSqliteStatements() : null;
    const cpu = process.cpuUsage();
    const t = performance.now();
    const r = intervalMs === null ? await replayConcurrently(harness, streams, { maxMs: runLimitMs }) : await replayAtRate(harness, streams, intervalMs, { maxMs: runLimitMs });
    const ms = performance.now() - t;
    const cpuMs = cpuMsSince(cpu);
    const statementMs = statements?.stop().ms;
    const rows = (await count()) - before;
    const transactions = harness.counts.transactions - transactionsBefore;
    await harness.close();
    if (!r.cut && rows !== expectedRows) process.stderr.write(`  note: ${dialect} ${variant} stored ${rows} rows, the reference run ${expectedRows}\n`);
    return { variant, dialect, rows, ms, cpuMs, ...(statementMs === undefined ? {} : { statementMs }), perSecond: rows / (ms / 1000), transactions, cut: r.cut };
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
