/**
 * Issue 8 benchmarks.
 *
 * Wall at load: a daemon on the simulator with 500 support chats, live traffic at 50 changes a
 * second (client questions, replies, edits, reads, mentions…), its API, and the NOC wall in
 * Debian's headless Chromium at 1920×1080. Measured in the page:
 * - frame time: for every frame, from the frame's start (the rAF timestamp) to the first task
 *   after its rendering (a message posted from rAF runs once style, layout and paint are done):
 *   the main-thread cost of producing that frame, target p95 under 16 ms; plus the interval
 *   between frames and long tasks, for jank the first figure cannot see;
 * - memory: the JS heap after a forced GC and the DOM node count, sampled through the run; the
 *   growth from the first sample after warm-up to the last, and the slope of a fitted line.
 *   Default 2 minutes (`--minutes 10` for the 10).
 *
 * Stats query: 30 days of response episodes for 500 chats (12 waits per chat per day, 180,000
 * episodes) on SQLite and PostgreSQL; `stats` in-process (Monitoring.stats, what the resolver
 * calls) in total, by chat, by admin, by day and by hour, and the same over HTTP GraphQL on
 * SQLite; p50/p95 over repeated runs. Target p95 under 100 ms.
 *
 * Alone: node bin/run-ts.mjs bench/noc.bench.ts [--quick] [--minutes N] [--only wall|stats]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { Daemon } from '../src/app/daemon.ts';
import { EventBus } from '../src/app/event-bus.ts';
import { Monitoring } from '../src/app/stats.ts';
import { TeamModel } from '../src/app/team-model.ts';
import { DEMO_COMPANY_NAMES } from '../src/cli/demo.ts';
import { startApiServer } from '../src/graphql/server.ts';
import { createLogger } from '../src/shared/log.ts';
import { insertEpisodes, type EpisodeRecord } from '../src/store/team.repository.ts';
import { createTelegramAccount } from '../src/tdlib/account.ts';
import { createRng } from '../src/tdlib/simulator/rng.ts';
import { buildSupportCompany } from '../src/tdlib/simulator/support-company.ts';
import { createTraffic } from '../src/tdlib/simulator/traffic.ts';
import { createSimWorld } from '../src/tdlib/simulator/world.ts';
import { round, sig, sleep, summarize } from './lib/stats.ts';
import { openBenchStore, type StoreKind } from './lib/stores.ts';

export interface NocBenchOptions {
  readonly quick?: boolean;
  /** How long the wall runs under load. Default 2 minutes (0.5 with quick). */
  readonly minutes?: number;
  readonly chats?: number;
  readonly changesPerSecond?: number;
  readonly only?: 'wall' | 'stats';
  readonly statsKinds?: readonly StoreKind[];
}

const CHROMIUM = '/usr/bin/chromium';
const note = (text: string) => process.stderr.write(`noc bench: ${text}\n`);
const DAY_MS = 86_400_000;

// ---------------------------------------------------------------------------------------------
// Wall at load

/** Runs in the page before the wall: per-frame cost, frame intervals, long tasks. */
const FRAME_PROBE = `(() => {
  const probe = { work: [], intervals: [], longTasks: [], last: 0, on: false };
  window.__nocProbe = probe;
  const channel = new MessageChannel();
  let frameStart = 0;
  channel.port1.onmessage = () => { if (probe.on) probe.work.push(performance.now() - frameStart); };
  const loop = (t) => {
    if (probe.on && probe.last) probe.intervals.push(t - probe.last);
    probe.last = t;
    frameStart = t;
    channel.port2.postMessage(0);
    requestAnimationFrame(loop);
  };
  requestAnimationFrame(loop);
  try {
    new PerformanceObserver((list) => { if (probe.on) for (const e of list.getEntries()) probe.longTasks.push(e.duration); }).observe({ type: 'longtask', buffered: false });
  } catch {}
})();`;

interface WallFigures {
  readonly frames: number;
  readonly frameWork: ReturnType<typeof summarize>;
  readonly frameInterval: ReturnType<typeof summarize>;
  readonly slowFrames: number;
  readonly longTasks: number;
  readonly longTaskMaxMs: number;
}

async function runWall(options: NocBenchOptions): Promise<Record<string, unknown>> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  execFileSync(process.execPath, ['bin/build-noc.mjs'], { stdio: 'pipe' });
  const chats = options.chats ?? 500;
  const rate = options.changesPerSecond ?? 50;
  const minutes = options.minutes ?? (options.quick ? 0.5 : 2);
  const logger = createLogger({ level: 'error', pretty: false });
  const bench = await openBenchStore('sqlite');
  const world = createSimWorld({ seed: 21 });
  const setupStarted = Date.now();
  // The company script runs out of distinct people's names past about 400 chats: it builds up to
  // 300 and the rest are plain support chats, each with a client who asked within the last hours.
  const scripted = Math.min(chats, 300);
  const company = buildSupportCompany(world, { seed: 21, accounts: 4, clientChats: scripted, historyHours: 2 });
  // About a sixth of the scripted client chats classify as other kinds (nobody from the team wrote
  // in them yet): plain chats make up the rest, with a margin, so that at least `chats` are support.
  addPlainSupportChats(world, company, chats - Math.floor(scripted * 0.75));
  const accounts = company.accounts.map((m, i) => createTelegramAccount({ accountId: `account${i + 1}`, transport: world.connect(m.userId), logger }));
  const daemon = new Daemon({
    store: bench.store,
    accounts,
    logger,
    backfillMessages: 200,
    team: { teamChatId: company.teamChat.id, members: company.team.map((m) => ({ userId: m.userId, role: m.role, name: m.name })), companyNames: DEMO_COMPANY_NAMES },
  });
  note(`${chats} support chats built; starting the daemon`);
  await daemon.start();
  await daemon.whenSynced();
  note(`daemon synced after ${Math.round((Date.now() - setupStarted) / 1000)} s`);
  const api = await startApiServer({ daemon, logger, host: '127.0.0.1', port: 0 });
  const { token } = await daemon.tokens.create({ name: 'bench-wall', role: 'viewer' });
  const setupSeconds = (Date.now() - setupStarted) / 1000;
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  const traffic = createTraffic(world, company, { seed: 5 });
  const stopTraffic = new AbortController();
  try {
    const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
    await page.addInitScript(FRAME_PROBE);
    let wsMessages = 0;
    let wsBytes = 0;
    page.on('websocket', (ws) =>
      ws.on('framereceived', (f) => {
        wsMessages++;
        wsBytes += typeof f.payload === 'string' ? Buffer.byteLength(f.payload) : f.payload.length;
      }),
    );
    await page.goto(`${api.url}/#token=${token}`);
    await page.waitForSelector('#app:not(.stale)', { timeout: 30_000 });
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Performance.enable');
    // The probe's figures leave the page before each heap sample, so that they do not count as the wall's memory.
    const work: number[] = [];
    const intervals: number[] = [];
    const longTasks: number[] = [];
    const drain = async () => {
      const p = await page.evaluate(() => {
        const probe = (window as unknown as { __nocProbe: { work: number[]; intervals: number[]; longTasks: number[] } }).__nocProbe;
        const out = { work: probe.work, intervals: probe.intervals, longTasks: probe.longTasks };
        probe.work = [];
        probe.intervals = [];
        probe.longTasks = [];
        return out;
      });
      work.push(...p.work);
      intervals.push(...p.intervals);
      longTasks.push(...p.longTasks);
    };
    const sample = async () => {
      await drain();
      await cdp.send('HeapProfiler.collectGarbage');
      const heap = (await cdp.send('Runtime.getHeapUsage')) as { usedSize: number };
      const metrics = (await cdp.send('Performance.getMetrics')) as { metrics: { name: string; value: number }[] };
      const m = (name: string) => metrics.metrics.find((x) => x.name === name)?.value ?? Number.NaN;
      return { at: Date.now(), heapMb: heap.usedSize / 2 ** 20, nodes: m('Nodes'), listeners: m('JSEventListeners') };
    };

    note(`wall live; traffic at ${rate}/s, measuring for ${minutes} min`);
    const trafficStarted = Date.now();
    // Steps are paced by the clock, not by sleeping after each: the rate holds however long a step takes.
    let steps = 0;
    const running = (async () => {
      while (!stopTraffic.signal.aborted) {
        const due = Math.floor(((Date.now() - trafficStarted) / 1000) * rate);
        while (steps < due) {
          traffic.step();
          steps++;
        }
        await sleep(20);
      }
      return steps;
    })();
    // Warm-up: the board fills, the JIT settles, the first stats arrive.
    await sleep(options.quick ? 5_000 : 15_000);
    const samples = [await sample()];
    await page.evaluate(() => {
      (window as unknown as { __nocProbe: { on: boolean } }).__nocProbe.on = true;
    });
    wsMessages = 0;
    wsBytes = 0;
    const measureStarted = Date.now();
    const stepsBefore = steps;
    const end = measureStarted + minutes * 60_000;
    const every = Math.max(5_000, Math.min(30_000, (minutes * 60_000) / 12));
    while (Date.now() < end) {
      await sleep(Math.min(every, end - Date.now()));
      samples.push(await sample());
    }
    const measuredSeconds = (Date.now() - measureStarted) / 1000;
    const measuredSteps = steps - stepsBefore;
    await drain();
    await page.evaluate(() => {
      (window as unknown as { __nocProbe: { on: boolean } }).__nocProbe.on = false;
    });
    const probe = { work, intervals, longTasks };
    const board = await page.evaluate(() => ({
      rows: document.querySelectorAll('#list .row').length,
      more: document.querySelector('#more')?.textContent ?? '',
      stale: document.querySelector('#app')?.classList.contains('stale') ?? true,
    }));
    mkdirSync('artifacts', { recursive: true });
    await page.screenshot({ path: join('artifacts', 'noc-bench.png') });
    stopTraffic.abort();
    const events = await running;
    const counts = daemon.monitoring.counts(Date.now());

    const frames: WallFigures = {
      frames: probe.work.length,
      frameWork: summarize(probe.work),
      frameInterval: summarize(probe.intervals),
      slowFrames: probe.intervals.filter((i) => i > 20).length,
      longTasks: probe.longTasks.length,
      longTaskMaxMs: probe.longTasks.length ? Math.max(...probe.longTasks) : 0,
    };
    const first = samples[0]!;
    const last = samples[samples.length - 1]!;
    // Least-squares slope of the heap over the run: growth per minute, less sensitive to where one sample landed.
    const xs = samples.map((s) => (s.at - first.at) / 60_000);
    const ys = samples.map((s) => s.heapMb);
    const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
    const my = ys.reduce((a, b) => a + b, 0) / ys.length;
    const slope = xs.reduce((a, x, i) => a + (x - mx) * (ys[i]! - my), 0) / Math.max(1e-9, xs.reduce((a, x) => a + (x - mx) ** 2, 0));
    return {
      setup: { supportChats: counts.supportChats, seconds: round(setupSeconds, 1), minutes, loadAverage: loadavg().map((x) => round(x, 1)) },
      load: {
        changesPerSecond: round(measuredSteps / measuredSeconds, 1),
        changes: events,
        waitingChats: counts.waitingChats,
        overdueChats: counts.overdueChats,
        wsMessagesPerSecond: round(wsMessages / measuredSeconds, 1),
        wsKbPerSecond: round(wsBytes / 1024 / measuredSeconds, 1),
      },
      frameWork: { p50Ms: sig(frames.frameWork.p50), p95Ms: sig(frames.frameWork.p95), p99Ms: sig(frames.frameWork.p99), maxMs: sig(frames.frameWork.max), frames: frames.frames, targetP95Ms: 16, pass: frames.frameWork.p95 < 16 },
      frameInterval: { p50Ms: sig(frames.frameInterval.p50), p95Ms: sig(frames.frameInterval.p95), maxMs: sig(frames.frameInterval.max), over20Ms: frames.slowFrames },
      longTasks: { count: frames.longTasks, maxMs: sig(frames.longTaskMaxMs) },
      memory: {
        heapStartMb: round(first.heapMb, 2),
        heapEndMb: round(last.heapMb, 2),
        heapMaxMb: round(Math.max(...ys), 2),
        heapGrowthMb: round(last.heapMb - first.heapMb, 2),
        heapSlopeMbPerMinute: round(slope, 3),
        domNodesStart: first.nodes,
        domNodesEnd: last.nodes,
        listenersStart: first.listeners,
        listenersEnd: last.listeners,
        samples: samples.map((s) => ({ minute: round((s.at - first.at) / 60_000, 2), heapMb: round(s.heapMb, 2), nodes: s.nodes })),
      },
      screen: board,
    };
  } finally {
    stopTraffic.abort();
    await browser.close().catch(() => undefined);
    await api.close().catch(() => undefined);
    await daemon.close().catch(() => undefined);
    await bench.dispose();
  }
}

/** Support chats beyond what the company script builds: a client, two admins with accounts, a question, often answered. */
function addPlainSupportChats(world: ReturnType<typeof createSimWorld>, company: ReturnType<typeof buildSupportCompany>, n: number): void {
  const rng = createRng(3).fork('plain-chats');
  const admins = company.accounts.filter((m) => m.role === 'admin').map((m) => m.userId);
  const nowS = Math.floor(world.now()); // the simulator's clock is in seconds, as Telegram's dates
  for (let i = 0; i < n; i++) {
    const client = world.addUser({ firstName: `Клиент ${i + 1}`, lastName: 'Тестовый', languageCode: 'ru' });
    const team = [admins[i % admins.length]!, admins[(i + 1) % admins.length]!];
    const chat = world.createSupergroup(`Компания №${i + 1} — поддержка`, [...new Set(team), client.id], team, { creatorId: team[0]!, date: nowS - 4 * 3600 });
    // The daemon knows a supergroup's team from who wrote in it: an admin greets first.
    world.sendMessage({ chatId: chat.id, senderId: team[0]!, text: 'Здравствуйте! Это чат поддержки, пишите сюда', date: nowS - 3 * 3600 });
    const asked = nowS - rng.int(60, 2 * 3600);
    world.sendMessage({ chatId: chat.id, senderId: client.id, text: `Добрый день, не открывается личный кабинет (заявка ${i + 1})`, date: asked });
    if (rng.chance(0.6)) world.sendMessage({ chatId: chat.id, senderId: team[0]!, text: 'Посмотрели, поправили, проверьте пожалуйста', date: Math.min(nowS - 1, asked + rng.int(60, 1800)) });
  }
}

// ---------------------------------------------------------------------------------------------
// Stats query

/** 30 days × 500 chats of realistic episodes: mostly answered in minutes, a tail of late ones, some acks. */
function generateEpisodes(chats: number, days: number, perChatPerDay: number, now: number): EpisodeRecord[] {
  const rng = createRng(8).fork('episodes');
  const admins = Array.from({ length: 8 }, (_, i) => 1_000 + i);
  const out: EpisodeRecord[] = [];
  const from = now - days * DAY_MS;
  for (let c = 0; c < chats; c++) {
    const chatKey = `-100${2_000_000 + c}`;
    const n = Math.round(days * perChatPerDay);
    const starts = Array.from({ length: n }, () => from + Math.floor(rng.next() * (days * DAY_MS - 3_600_000))).sort((a, b) => a - b);
    let lastEnd = 0;
    starts.forEach((startedAt, i) => {
      if (startedAt <= lastEnd) startedAt = lastEnd + 60_000;
      // Log-normal-ish response times: median a few minutes, a long tail past the 15-minute threshold.
      const minutes = Math.exp(1.3 + rng.next() * 1.2 + (rng.next() < 0.12 ? 1.8 : 0));
      const endedAt = startedAt + Math.round(minutes * 60_000);
      const open = startedAt > now - 20 * 60_000 && rng.next() < 0.5;
      const deadline = startedAt + 15 * 60_000;
      out.push({
        chatKey,
        kind: i === 0 || rng.next() < 0.3 ? 'first' : 'next',
        startedAt,
        firstMessageId: c * 100_000 + i + 1,
        endedAt: open ? null : endedAt,
        endedBy: open ? null : rng.next() < 0.1 ? 'ack' : 'reply',
        answeredBy: open ? null : admins[Math.floor(rng.next() * admins.length)]!,
        overdueAt: !open && endedAt >= deadline ? deadline : null,
        thresholdSeconds: 900,
      });
      lastEnd = open ? Number.POSITIVE_INFINITY : endedAt;
    });
  }
  return out;
}

/**
 * Wall time per call, and this process's CPU time per call: on a shared machine the first
 * includes waiting for a core, the second does not.
 */
async function timeIt(runs: number, fn: () => Promise<unknown>): Promise<ReturnType<typeof summarize> & { cpuP50: number; cpuP95: number }> {
  await fn(); // warm
  const samples: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    const c = process.cpuUsage();
    await fn();
    const d = process.cpuUsage(c);
    samples.push(performance.now() - t);
    cpu.push((d.user + d.system) / 1000);
  }
  const c = summarize(cpu);
  return { ...summarize(samples), cpuP50: c.p50, cpuP95: c.p95 };
}

async function runStats(options: NocBenchOptions): Promise<Record<string, unknown>> {
  const chats = options.chats ?? 500;
  const days = 30;
  const perDay = 12;
  const runs = options.quick ? 10 : 30;
  const now = Date.now();
  const episodes = generateEpisodes(chats, days, perDay, now);
  const out: Record<string, unknown> = { episodes: episodes.length, chats, days, runs, loadAverage: loadavg().map((x) => round(x, 1)) };
  for (const kind of options.statsKinds ?? (['sqlite', 'postgres'] as const)) {
    let bench;
    try {
      bench = await openBenchStore(kind);
    } catch (error) {
      out[kind] = { error: String((error as Error).message ?? error) };
      continue;
    }
    try {
      const loadStarted = Date.now();
      await bench.store.db.transaction().execute(async (trx) => {
        for (let i = 0; i < episodes.length; i += 5_000) await insertEpisodes(trx, episodes.slice(i, i + 5_000));
      });
      const loadSeconds = (Date.now() - loadStarted) / 1000;
      const model = new TeamModel({ teamChatId: null, members: [], supportChatIds: [], otherChatIds: [], supportTitlePattern: null, companyNames: [] });
      const monitoring = new Monitoring(bench.store.db, model, new EventBus(bench.store.db), () => Date.now(), { timeZone: 'Europe/Moscow' });
      const range = { from: now - days * DAY_MS, to: now + 1 };
      const figures: Record<string, unknown> = { loadSeconds: round(loadSeconds, 1) };
      let check: unknown = null;
      for (const groupBy of [null, 'chat', 'admin', 'day', 'hour', 'shift'] as const) {
        const s = await timeIt(runs, async () => {
          const r = await monitoring.stats({ ...range, groupBy });
          if (groupBy === null) check = { waits: r.total.waits, shareInTime: round(r.total.shareInTime ?? Number.NaN, 3), firstMedianS: round((r.total.first.medianMs ?? 0) / 1000, 1) };
        });
        figures[groupBy ?? 'total'] = { p50Ms: sig(s.p50), p95Ms: sig(s.p95), maxMs: sig(s.max), cpuP50Ms: sig(s.cpuP50), cpuP95Ms: sig(s.cpuP95), pass: s.p95 < 100 };
      }
      figures['result'] = check;
      if (kind === 'sqlite') {
        // The same through the API, as the portal or the wall asks it.
        const logger = createLogger({ level: 'error', pretty: false });
        const daemon = new Daemon({ store: bench.store, accounts: [], logger, searchIndexer: false });
        await daemon.start();
        const api = await startApiServer({ daemon, logger, host: '127.0.0.1', port: 0 });
        const { token } = await daemon.tokens.create({ name: 'bench', role: 'viewer' });
        try {
          const query = 'query($f: DateTime!, $t: DateTime!) { stats(from: $f, to: $t, groupBy: CHAT) { total { waits shareInTime first { medianSeconds p90Seconds } next { medianSeconds p90Seconds } } groups { key figures { waits shareInTime all { medianSeconds p90Seconds } } } } }';
          const body = JSON.stringify({ query, variables: { f: new Date(range.from).toISOString(), t: new Date(range.to).toISOString() } });
          const s = await timeIt(runs, async () => {
            const res = await fetch(`${api.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body });
            const json = (await res.json()) as { errors?: unknown };
            if (json.errors) throw new Error(JSON.stringify(json.errors));
          });
          figures['httpByChat'] = { p50Ms: sig(s.p50), p95Ms: sig(s.p95), maxMs: sig(s.max), pass: s.p95 < 100 };
        } finally {
          await api.close();
          await daemon.close();
        }
      }
      monitoring.close();
      out[kind] = figures;
    } finally {
      await bench.dispose();
    }
  }
  return out;
}

export async function runNocBench(options: NocBenchOptions = {}): Promise<Record<string, unknown>> {
  const started = Date.now();
  const result: Record<string, unknown> = {};
  if (options.only !== 'wall') result['stats'] = await runStats(options);
  if (options.only !== 'stats') result['wall'] = await runWall(options);
  result['seconds'] = round((Date.now() - started) / 1000, 1);
  return result;
}

export const run = runNocBench;

if (import.meta.url === pathToFileURL(resolve(process.argv[1] ?? '')).href) {
  const args = process.argv.slice(2);
  const value = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const only = value('--only');
  const result = await runNocBench({
    quick: args.includes('--quick'),
    ...(value('--minutes') ? { minutes: Number(value('--minutes')) } : {}),
    ...(only === 'wall' || only === 'stats' ? { only } : {}),
  });
  console.log(JSON.stringify(result, null, 2));
  process.exit(0);
}
