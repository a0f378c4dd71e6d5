/**
 * Issue 4, "Overdue timing": 10,000 support chats, each with a client waiting, their deadlines
 * spread over a window (at whole seconds, as Telegram dates are); the daemon (its TeamModel and
 * OverdueClock, one timer for the earliest deadline) runs on the store and flips them as the
 * deadlines pass. Measured: how late each flip is, from the deadline to the overdueChanged event
 * reaching a subscriber after the commit (what a NOC wall sees), and OverdueClock.maxLatenessMs
 * (deadline to the timer firing). Baseline, in the same process and window: the lateness of a
 * plain setTimeout aimed at every 100 ms.
 *
 * Alone: node bin/run-ts.mjs bench/overdue.bench.ts [--quick]
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Daemon } from '../src/app/daemon.ts';
import type { StoredEvent } from '../src/app/event-bus.ts';
import { createLogger } from '../src/shared/log.ts';
import { clientQuestion, companies, personName, texture, adminAck } from '../src/tdlib/simulator/corpus.ts';
import { createRng } from '../src/tdlib/simulator/rng.ts';
import { createPopulator, type PopChat } from './lib/populate.ts';
import { openSqliteFile } from './lib/raw.ts';
import { round, sig, sleep, summarize, waitFor, type BenchResult, type BenchRow } from './lib/stats.ts';
import { openBenchStore } from './lib/stores.ts';

export interface OverdueBenchOptions {
  readonly quick?: boolean;
  readonly chats?: number;
  readonly accounts?: number;
  /** Deadlines spread over this many seconds. */
  readonly windowSeconds?: number;
}

const THRESHOLD_S = 15 * 60;
const SHIFT = 1_048_576;

interface Scenario {
  readonly chatCount: number;
  readonly accountCount: number;
  readonly windowS: number;
}

interface ScenarioResult {
  readonly flips: number;
  readonly pub: ReturnType<typeof summarize>;
  readonly fired: ReturnType<typeof summarize>;
  readonly base: ReturnType<typeof summarize>;
  readonly maxLatenessMs: number;
  /** The clock's own deadline → published figure (measured after each chunk's commit). */
  readonly maxPublishedLatenessMs: number;
  readonly startSeconds: number;
  readonly populateSeconds: number;
  readonly support: number;
  readonly waiting: number;
}

export async function runOverdueBench(options: OverdueBenchOptions = {}): Promise<BenchResult> {
  const started = Date.now();
  const quick = options.quick ?? false;
  const chatCount = options.chats ?? (quick ? 2_000 : 10_000);
  const accountCount = options.accounts ?? 10;
  const windowS = options.windowSeconds ?? (quick ? 10 : 30);
  const spread = await runScenario({ chatCount, accountCount, windowS });
  const burst = await runScenario({ chatCount, accountCount, windowS: 1 });
  const rows: BenchRow[] = [];
  for (const [label, r, gate] of [
    [`${windowS} s spread`, spread, true],
    ['all in one second (stress)', burst, false],
  ] as const) {
    rows.push({
      metric: `${label}: max lateness of ${r.flips.toLocaleString('en-US')} flips, deadline → event published`,
      value: Math.round(r.pub.max),
      unit: 'ms',
      baseline: Math.round(r.base.max),
      baselineLabel: 'plain setTimeout lateness, same window',
      ratio: round(r.pub.max / Math.max(1, r.base.max), 1),
      ...(gate ? { target: '< 1,000 ms', pass: r.flips >= chatCount && r.pub.max < 1000 } : { target: '(stress, not the target case)' }),
    });
    rows.push({
      metric: `${label}: p50 / p99 lateness, deadline → event published`,
      value: `${Math.round(r.pub.p50)} / ${Math.round(r.pub.p99)}`,
      unit: 'ms',
      baseline: `${Math.round(r.base.p50)} / ${Math.round(r.base.p99)}`,
      baselineLabel: 'plain setTimeout lateness, same window',
    });
    rows.push({
      metric: `${label}: OverdueClock.maxLatenessMs (deadline → timer fired)`,
      value: Math.round(r.maxLatenessMs),
      unit: 'ms',
      baseline: Math.round(r.base.max),
      baselineLabel: 'plain setTimeout lateness, same window',
      ratio: round(r.maxLatenessMs / Math.max(1, r.base.max), 2),
      ...(gate ? { target: '< 1,000 ms', pass: r.maxLatenessMs < 1000 } : {}),
    });
  }
  rows.push({ metric: `daemon start on ${chatCount.toLocaleString('en-US')} waiting support chats (model load + overdue recompute)`, value: sig(spread.startSeconds), unit: 's' });
  return {
    name: 'overdue',
    title: 'Overdue timing (issue 4)',
    issue: 4,
    quick,
    startedAt: new Date(started).toISOString(),
    seconds: Math.round((Date.now() - started) / 1000),
    rows,
    notes: [
      `State: ${chatCount.toLocaleString('en-US')} supergroups, each with one or two of ${accountCount} team accounts and a client (classified support: ${spread.support.toLocaleString('en-US')}), an answered exchange an hour earlier and a client question still waiting (${spread.waiting.toLocaleString('en-US')} waiting at start), written with raw INSERTs (${spread.populateSeconds.toFixed(1)} s). Threshold 15 minutes, default policy.`,
      `Deadlines at whole seconds (Telegram dates are seconds). Target case: spread evenly over ${windowS} s, so about ${Math.round(chatCount / windowS).toLocaleString('en-US')} chats flip at each second. Stress case: all ${chatCount.toLocaleString('en-US')} at the same second. The daemon (Daemon without TDLib accounts, SQLite, search indexer off) started on the store (${spread.startSeconds.toFixed(1)} s), then its clock was moved forward to 2 s before the first deadline and the timer re-armed.`,
      "Lateness per flip = when a bus subscriber received the overdueChanged event (after the commit) minus the chat's deadline; OverdueClock.maxLatenessMs is the timer's own figure (deadline → fire(), before the flips are written). The clock flips the due chats earliest deadline first, 500 per transaction, each chunk committed and published before the next. Baseline: a plain setTimeout chain aimed at every 100 ms of the same clock over the same window, in the same process (it shows how long the flips block the event loop).",
    ],
    details: { chats: chatCount, windowSeconds: windowS, spread: detailsOf(spread), burst: detailsOf(burst) },
  };
}

function detailsOf(r: ScenarioResult): Record<string, unknown> {
  return { flips: r.flips, published: roundAll(r.pub), fired: roundAll(r.fired), probe: roundAll(r.base), maxLatenessMs: r.maxLatenessMs, maxPublishedLatenessMs: r.maxPublishedLatenessMs, startSeconds: round(r.startSeconds, 1), populateSeconds: round(r.populateSeconds, 1) };
}

async function runScenario({ chatCount, accountCount, windowS }: Scenario): Promise<ScenarioResult> {
  const rng = createRng(21);

  const bench = await openBenchStore('sqlite');
  try {
    // 1. The state: support chats (an account or two of the team plus a client each), an answered
    //    exchange an hour ago, then a client question whose deadline falls in the window.
    const t0 = Date.now();
    const T0 = Math.floor(t0 / 1000);
    const firstDeadline = T0 + 300; // five minutes of headroom for the daemon to start
    const accounts = Array.from({ length: accountCount }, (_, i) => ({ accountId: `acc${i + 1}`, userId: 1_000 + i }));
    const members = accounts.map((a, i) => {
      const p = personName(rng, 'ru');
      return { userId: a.userId, role: 'admin' as const, name: `${p.firstName} ${p.lastName}`, first: p.firstName, last: p.lastName, i };
    });
    const clientBase = 100_000;
    const comp = companies(rng, chatCount);
    const chats: PopChat[] = comp.map((c, i) => {
      const a = i % accountCount;
      const b = (i * 7 + 3) % accountCount;
      const viewers = [...new Set([a, b])];
      return {
        tdChatId: -1_000_000_000_000 - (i + 1),
        type: 'supergroup',
        typeId: i + 1,
        title: `${c.name} — поддержка`,
        createdAt: T0 - 100 * 86_400,
        members: [...viewers.map((v) => ({ userId: accounts[v]!.userId, status: 'administrator' as const })), { userId: clientBase + i, status: 'member' as const }],
        viewers: viewers.map((v) => accounts[v]!.accountId),
      };
    });
    const database = openSqliteFile(bench.dataDir);
    const pop = createPopulator(database, t0);
    pop.users([
      ...members.map((m) => ({ id: m.userId, firstName: m.first, lastName: m.last, username: null })),
      ...chats.map((_, i) => {
        const p = personName(rng, comp[i]!.lang);
        return { id: clientBase + i, firstName: p.firstName, lastName: p.lastName, username: null };
      }),
    ]);
    pop.accounts(accounts);
    pop.chats(chats);
    const deadlines: number[] = [];
    chats.forEach((c, i) => {
      const t = texture(rng, comp[i]!);
      const deadline = firstDeadline + (i % windowS);
      deadlines.push(deadline * 1000);
      const since = deadline - THRESHOLD_S;
      pop.messages(c, [
        { senderUserId: clientBase + i, date: since - 3600, text: clientQuestion(rng, comp[i]!.lang, t), tdIds: 2 * SHIFT },
        { senderUserId: c.members[0]!.userId, date: since - 3000, text: adminAck(rng, comp[i]!.lang), tdIds: 3 * SHIFT },
        { senderUserId: clientBase + i, date: since, text: clientQuestion(rng, comp[i]!.lang, t), tdIds: 4 * SHIFT },
      ]);
    });
    pop.markSearchIndexed();
    database.close();
    const populateSeconds = (Date.now() - t0) / 1000;

    // 2. The daemon on it, with a clock we can move forward to just before the first deadline.
    let offset = 0;
    const clock = () => Date.now() + offset;
    const logger = createLogger({ level: 'error' });
    const daemon = new Daemon({
      store: bench.store,
      accounts: [],
      logger,
      team: { members: members.map((m) => ({ userId: m.userId, role: m.role, name: m.name })) },
      now: clock,
      searchIndexer: false,
    });
    const t1 = Date.now();
    await daemon.start();
    const startSeconds = (Date.now() - t1) / 1000;
    const support = [...daemon.model.chats.values()].filter((c) => c.kind === 'support').length;
    const waiting = [...daemon.model.overdue.values()].filter((s) => s.waiting && s.waiting.overdueSince === null).length;

    const flips: { deadline: number; publishedLate: number; firedLate: number }[] = [];
    daemon.bus.subscribe((events: readonly StoredEvent[]) => {
      const at = clock();
      for (const e of events) {
        if (e.type !== 'overdueChanged') continue;
        const w = (e.payload as { waiting?: { isOverdue: boolean; overdueSince: number | null } }).waiting;
        if (!w?.isOverdue || w.overdueSince === null) continue;
        flips.push({ deadline: w.overdueSince, publishedLate: at - w.overdueSince, firedLate: e.at - w.overdueSince });
      }
    });

    // Jump to 2 s before the first deadline; the clock only moves forward.
    offset = firstDeadline * 1000 - 2_000 - Date.now();
    daemon.clock.rearm();

    // The baseline: a plain timer aimed at every 100 ms of the same clock, through the same window.
    const probe: number[] = [];
    let probing = true;
    const aim = (target: number) => {
      setTimeout(() => {
        probe.push(clock() - target);
        if (probing) aim(target + 100);
      }, Math.max(0, target - clock()));
    };
    aim(Math.ceil(clock() / 100) * 100 + 100);

    const lastDeadline = Math.max(...deadlines);
    await waitFor(() => flips.length >= chatCount || clock() > lastDeadline + 30_000, (windowS + 60) * 1000, 50);
    probing = false;
    await sleep(150);
    const maxLatenessMs = daemon.clock.maxLatenessMs;
    const maxPublishedLatenessMs = daemon.clock.maxPublishedLatenessMs;
    await daemon.close();

    return {
      flips: flips.length,
      pub: summarize(flips.map((f) => f.publishedLate)),
      fired: summarize(flips.map((f) => f.firedLate)),
      base: summarize(probe),
      maxLatenessMs,
      maxPublishedLatenessMs,
      startSeconds,
      populateSeconds,
      support,
      waiting,
    };
  } finally {
    await bench.dispose();
  }
}

function roundAll(s: ReturnType<typeof summarize>): Record<string, number> {
  return { n: s.n, p50: round(s.p50, 1), p95: round(s.p95, 1), p99: round(s.p99, 1), max: round(s.max, 1) };
}

export const run = runOverdueBench;

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const result = await runOverdueBench({ quick: process.argv.includes('--quick') });
  console.log(JSON.stringify(result, null, 2));
}
