/**
 * `npm run bench`: runs the benchmarks, each in a fresh child process, prints one table, and
 * writes docs/benchmarks.md (what each bench measures, the machine, the date, the figures as
 * ratios to a baseline measured in the same run, next to the absolute values and the targets).
 *
 *   npm run bench                         every bench at the issues' sizes (15–25 minutes on a
 *                                         busy 2-core machine, about half of it the search bench)
 *   npm run bench -- ingest dialogs       only these (others keep their last figures in the doc)
 *   npm run bench -- --quick              smaller sizes, a couple of minutes; docs untouched
 *   npm run bench -- --quick --write-docs quick figures into the doc anyway (marked quick)
 *   npm run bench -- --no-docs            print only
 *   npm run bench -- --render             rewrite the doc from its stored figures, run nothing
 *
 * PostgreSQL: TGDESK_BENCH_DATABASE_URL, else TGDESK_TEST_DATABASE_URL, else the local test
 * server; every bench uses a schema of its own and drops it. Servers bind 127.0.0.1 only.
 */
import { spawn } from 'node:child_process';
import { daemonHeapFlag } from '../bin/lib/daemon-heap.mjs';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { readStored, rowsFromFreeForm, terminalTable, writeDoc, type BenchDoc, type RunInfo, type StoredResults } from './lib/report.ts';
import { machine, type BenchResult } from './lib/stats.ts';
import { BENCH_DATABASE_URL } from './lib/stores.ts';

interface BenchSpec extends BenchDoc {
  readonly file: string;
  readonly exportName: string;
  readonly issue: number;
  options(quick: boolean): object;
  readonly timeoutMs: { quick: number; full: number };
  /** Written by someone else: its result is free-form and it may not exist yet. */
  readonly external?: boolean;
}

const BENCHES: readonly BenchSpec[] = [
  {
    name: 'ingest',
    heading: 'Ingest rate (issue 3)',
    file: 'bench/ingest.bench.ts',
    exportName: 'runIngestBench',
    issue: 3,
    options: (quick) => ({ quick }),
    timeoutMs: { quick: 5 * 60_000, full: 12 * 60_000 },
    about:
      'How fast simulated Telegram traffic is stored through the real ingest path, against a raw batched INSERT of the same rows through the same driver in the same run, into a table with the columns and indexes of `messages` (a plain table without indexes is shown too). Targets (issue 3): at least 50 % of raw and at least 20,000 messages/s on SQLite. The daemon always runs with the team layer, so the row "ingest path + team layer, traffic at a rate" is the one the targets are read against: traffic offered at 40,000 msg/s, twice the target, and batched as the daemon\'s account queues batch it, with the raw insert in as many transactions. "Fixed batches" hands over one recorded turn per account at a time whatever the load; "no team layer" isolates the sync core. "Time inside SQLite statements" is how long SQLite itself worked during a run, against the raw run\'s whole time: the ratio target leaves the ingest twice the raw time, so it shows how much of that SQLite alone uses.',
  },
  {
    name: 'memory',
    heading: 'Daemon memory (issue 3)',
    file: 'bench/memory.bench.ts',
    exportName: 'runMemoryBench',
    issue: 3,
    options: (quick) => ({ quick }),
    timeoutMs: { quick: 6 * 60_000, full: 14 * 60_000 },
    about: "Peak RSS of the daemon process with 10 simulated accounts × 500 chats and 1,000,000 stored messages, measured in a child process of its own. Target (issue 3): under 400 MB. The baseline is the same process's RSS before the daemon starts (Node, tsx and the modules loaded, store open), so the ratio is what the daemon's own state adds.",
  },
  {
    name: 'dialogs',
    heading: 'Dialog view (issue 4)',
    file: 'bench/dialogs.bench.ts',
    exportName: 'runDialogsBench',
    issue: 4,
    options: (quick) => ({ quick }),
    timeoutMs: { quick: 5 * 60_000, full: 10 * 60_000 },
    about:
      "Time to build one account's dialog list of 2,000 chats after a stream of 100,000 Telegram events for 10 accounts (applied through the ingest path and the team layer, not injected into the model), as p50 and p99, against a plain sort of the same rows in the same run. Target (issue 4): p99 under 5 ms in-process.",
  },
  {
    name: 'overdue',
    heading: 'Overdue timing (issue 4)',
    file: 'bench/overdue.bench.ts',
    exportName: 'runOverdueBench',
    issue: 4,
    options: (quick) => ({ quick }),
    timeoutMs: { quick: 4 * 60_000, full: 8 * 60_000 },
    about: 'With 10,000 support chats waiting, how late the overdue flips come after their deadlines, against a plain timer in the same process and window. Target (issue 4): under 1 s.',
  },
  {
    name: 'api',
    heading: 'GraphQL API (issue 5)',
    file: 'bench/api.bench.ts',
    exportName: 'runApiBench',
    issue: 5,
    options: (quick) => (quick ? { quick } : {}),
    timeoutMs: { quick: 5 * 60_000, full: 10 * 60_000 },
    external: true,
    about: 'Query latency and subscription fan-out, from bench/api.bench.ts (issue 5). Targets: dialogs p99 under 50 ms over HTTP with 50 connections; one change to 500 WebSocket subscribers p99 under 100 ms.',
  },
  {
    name: 'search',
    heading: 'Search (issue 5)',
    file: 'bench/search.bench.ts',
    exportName: 'runSearchBench',
    issue: 5,
    // Its own phases are bounded by timeLimitMs per dialect (queries get 5 minutes more).
    options: (quick) => (quick ? { messages: 100_000, timeLimitMs: 2 * 60_000, repetitions: 5 } : { messages: 1_000_000, timeLimitMs: 120_000, repetitions: 10 }),
    timeoutMs: { quick: 8 * 60_000, full: 32 * 60_000 },
    external: true,
    about: 'Word and substring queries on 1,000,000 messages on SQLite and PostgreSQL, from bench/search.bench.ts (issue 5). Target: p95 under 50 ms.',
  },
  ...(
    [
      ['tasks', 'Tasks and portal (issue 6)', 'bench/tasks.bench.ts', 'runTasksBench', 6, 'Task creation while ingest runs (tasks/s, ingest slowdown vs ingest alone; target under 10%) and an outbox drain of 10,000 events to a local receiver (events/s).'],
      ['team-ops', 'Membership jobs and duty (issue 7)', 'bench/team-ops.bench.ts', 'runTeamOpsBench', 7, 'Planning "add to all support chats" across 5,000 chats and 20 accounts (target under 1 s); a duty switch over 1,000 chats (calls/s against the simulator, time to switch).'],
      ['noc', 'NOC wall (issue 8)', 'bench/noc.bench.ts', 'runNocBench', 8, 'The wall in Chromium with 500 support chats and 50 changes/s (frame time p95, target under 16 ms; page memory over the run, no growth), and `stats` over 30 days of episodes for 500 chats (p95, target under 100 ms).'],
      ['console', 'Operator console (issue 9)', 'bench/console.bench.ts', 'runConsoleBench', 9, 'The console in Chromium with 2,000 chats and 10 messages/s while scrolling and typing (frame time p95, target under 16 ms), and opening a 10,000-message chat (time to the latest screen, target under 200 ms).'],
    ] as const
  ).map(([name, heading, file, exportName, issue, about]) => ({
    name,
    heading,
    file,
    exportName,
    issue,
    options: (quick: boolean) => (quick ? { quick } : {}),
    timeoutMs: { quick: 8 * 60_000, full: 20 * 60_000 },
    external: true,
    about,
  })),
];

const INTRO = [
  'Speed and memory targets of the issues live here, not in timed tests. `npm run bench` runs every bench, each in a fresh child process, prints a table, and rewrites this file; `npm run bench -- ingest dialogs` runs some (the others keep their last figures, with their date); `--quick` uses smaller sizes and leaves this file alone unless `--write-docs` is given.',
  '',
  'Every figure comes with a baseline measured in the same run on the same machine, and the ratio between them: the machine has 2 cores and is shared, so absolute numbers move from run to run while ratios move much less. Targets are the issues\' own and are checked against the absolute value (PASS/MISS). Sources: `bench/*.bench.ts`, shared code in `bench/lib/`.',
].join('\n');

async function versions(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  try {
    const dir = mkdtempSync(join(tmpdir(), 'tgdesk-bench-v-'));
    const db = new SQLite(join(dir, 'v.sqlite'));
    out.sqlite = (db.prepare('select sqlite_version() as v').get() as { v: string }).v;
    db.close();
    rmSync(dir, { recursive: true, force: true });
  } catch {
    out.sqlite = 'unknown';
  }
  const client = new pg.Client({ connectionString: BENCH_DATABASE_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    out.postgresql = String((await client.query('show server_version')).rows[0].server_version);
  } catch {
    out.postgresql = 'not reachable';
  } finally {
    await client.end().catch(() => undefined);
  }
  return out;
}

function runChild(spec: BenchSpec, quick: boolean): Promise<BenchResult> {
  const started = Date.now();
  const outDir = mkdtempSync(join(tmpdir(), 'tgdesk-bench-out-'));
  const outFile = join(outDir, 'result.json');
  const timeoutMs = quick ? spec.timeoutMs.quick : spec.timeoutMs.full;
  const failed = (error: string): BenchResult => ({
    name: spec.name,
    title: spec.heading,
    issue: spec.issue,
    quick,
    startedAt: new Date(started).toISOString(),
    seconds: Math.round((Date.now() - started) / 1000),
    rows: [],
    notes: [],
    error,
  });
  // Benches run the daemon's code in their own process: give it the daemon's heap limit too.
  const heapFlag = daemonHeapFlag();
  return new Promise((resolveResult) => {
    const child = spawn(
      process.execPath,
      ['--expose-gc', ...(heapFlag ? [heapFlag] : []), resolve('bin/run-ts.mjs'), resolve('bench/lib/child.ts'), resolve(spec.file), spec.exportName, JSON.stringify(spec.options(quick)), outFile],
      // Its own process group, so a timeout also ends the processes it started (the memory bench's daemon).
      { stdio: ['ignore', 'inherit', 'inherit'], detached: true },
    );
    let timedOut = false;
    const killGroup = () => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, timeoutMs);
    // Stopping the runner stops the bench too (it runs in a process group of its own).
    const onSignal = (signal: NodeJS.Signals) => {
      killGroup();
      process.exit(signal === 'SIGINT' ? 130 : 143);
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    child.on('exit', () => {
      clearTimeout(timer);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      let result: BenchResult;
      if (timedOut) result = failed(`timed out after ${Math.round(timeoutMs / 1000)} s`);
      else if (!existsSync(outFile)) result = failed('the bench process exited without a result');
      else {
        const parsed = JSON.parse(readFileSync(outFile, 'utf8')) as { ok: boolean; result?: unknown; error?: string };
        if (!parsed.ok) result = failed(parsed.error ?? 'unknown error');
        else if (spec.external) {
          const r = parsed.result as Partial<BenchResult> | null;
          result =
            r && Array.isArray(r.rows) && typeof r.name === 'string'
              ? (r as BenchResult)
              : {
                  name: spec.name,
                  title: spec.heading,
                  issue: spec.issue,
                  quick,
                  startedAt: new Date(started).toISOString(),
                  seconds: Math.round((Date.now() - started) / 1000),
                  rows: rowsFromFreeForm(r),
                  notes: [`Figures as ${spec.file} returns them (numeric leaves, by path); its whole result is in the raw block below.`],
                  details: r,
                };
        } else result = parsed.result as BenchResult;
      }
      rmSync(outDir, { recursive: true, force: true });
      resolveResult(result);
    });
  });
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  const names = args.filter((a) => !a.startsWith('--'));
  const unknown = names.filter((n) => !BENCHES.some((b) => b.name === n));
  if (unknown.length > 0) {
    console.error(`unknown bench: ${unknown.join(', ')}; known: ${BENCHES.map((b) => b.name).join(', ')}`);
    process.exit(2);
  }
  if (args.includes('--render')) {
    // Rewrites the doc from its own stored figures (after editing the texts here or the analysis there).
    const path = resolve('docs/benchmarks.md');
    const stored = readStored(path);
    if (!stored) {
      console.error(`${path} has no stored figures to render`);
      process.exit(2);
    }
    for (const spec of BENCHES) {
      const r = stored.results[spec.name];
      // Free-form results (other authors' benches) get their rows again, in case the flattening changed.
      if (spec.external && r && !r.error && r.notes[0]?.startsWith('Figures as ')) (stored.results as Record<string, unknown>)[spec.name] = { ...r, rows: rowsFromFreeForm(r.details) };
    }
    writeDoc(path, stored, BENCHES, INTRO);
    console.log(`Rewrote ${path} from its stored figures.`);
    return;
  }
  const selected = BENCHES.filter((b) => names.length === 0 || names.includes(b.name));
  const writeDocs = !args.includes('--no-docs') && (!quick || args.includes('--write-docs'));
  const info: RunInfo = {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    quick,
    command: `npm run bench${args.length ? ` -- ${args.join(' ')}` : ''}`,
    machine: { ...(() => { const m = machine(); return { cpu: m.cpu, cores: m.cores, memory: `${m.memoryGb} GB`, node: m.node, platform: m.platform }; })(), ...(await versions()), 'load average at start (1/5/15 min)': loadavg().map((x) => x.toFixed(1)).join(' / ') },
  };
  console.log(`tgdesk benchmarks${quick ? ' (quick sizes)' : ''}: ${selected.map((b) => b.name).join(', ')}`);
  const results: (BenchResult & { loadAverage?: number[]; runInfo?: RunInfo })[] = [];
  const t0 = Date.now();
  for (const spec of selected) {
    if (!existsSync(resolve(spec.file))) {
      console.log(`\n— ${spec.name}: ${spec.file} does not exist yet, skipped`);
      continue;
    }
    const load = loadavg();
    console.log(`\n— ${spec.name} (${spec.file}), load average ${load.map((x) => x.toFixed(1)).join(' / ')}`);
    const r = await runChild(spec, quick);
    console.log(r.error ? `  failed after ${r.seconds} s: ${r.error.split('\n')[0]}` : `  done in ${r.seconds} s`);
    results.push({ ...r, loadAverage: load, runInfo: info });
  }
  console.log(`\nAll done in ${Math.round((Date.now() - t0) / 1000)} s.\n`);
  console.log(terminalTable(results));

  if (writeDocs) {
    const path = resolve('docs/benchmarks.md');
    const previous = readStored(path);
    const stored: StoredResults = { run: info, results: { ...(previous?.results ?? {}) } };
    for (const r of results) (stored.results as Record<string, unknown>)[r.name] = r;
    writeDoc(path, stored, BENCHES, INTRO);
    console.log(`\nWrote ${path}.`);
  } else if (quick) {
    console.log('\n(--quick: docs/benchmarks.md not written; add --write-docs to write it.)');
  }
  if (results.some((r) => r.error)) process.exitCode = 1;
}

await main();
