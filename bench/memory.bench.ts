/**
 * Issue 3, "Memory": the daemon's peak RSS with 10 simulated accounts × 500 chats and 1,000,000
 * stored messages.
 *
 * The parent builds the simulated world (10 accounts in 500 client chats, 90 % supergroups, 10 %
 * basic groups) and fills a SQLite store with its history by raw batched INSERTs (messages once,
 * per-account aliases for basic groups, chats, members, account_chats, synced cursors; the search
 * index marked caught up, as in a daemon that has been running). It serves the world over a
 * WebSocket on 127.0.0.1. A child process then runs the daemon as `tgdesk start` would: openStore,
 * Daemon with 10 accounts over the remote simulator transport (search indexer on) and, if it
 * loads, the API server; it starts, syncs (chat lists, reconcile passes down to the stored
 * cursors), then takes live traffic. The child samples its RSS every 50 ms and reads VmHWM.
 * Baseline, same run: the same child's RSS right after loading the modules and opening the store.
 *
 * Alone: node bin/run-ts.mjs bench/memory.bench.ts [--quick]
 */
import { spawn } from 'node:child_process';
import { daemonHeapFlag } from '../bin/lib/daemon-heap.mjs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { adminAck, adminFix, clientFollowUp, clientQuestion, texture } from '../src/tdlib/simulator/corpus.ts';
import { serveSimWorld } from '../src/tdlib/simulator/remote.ts';
import { messageIdFromServerId } from '../src/tdlib/simulator/ids.ts';
import { createRng } from '../src/tdlib/simulator/rng.ts';
import { createPopulator, textPool, type PopChat, type PopMessage } from './lib/populate.ts';
import { openSqliteFile } from './lib/raw.ts';
import { procMemory, round, sig, sleep, type BenchResult, type BenchRow } from './lib/stats.ts';
import { openBenchStore } from './lib/stores.ts';
import { buildWideWorld, createWideTraffic, type WideWorld } from './lib/wide-world.ts';

export interface MemoryBenchOptions {
  readonly quick?: boolean;
  readonly accounts?: number;
  readonly chats?: number;
  readonly messages?: number;
  /** Live traffic after the sync: steps and their rate. */
  readonly trafficSteps?: number;
  readonly trafficPerSecond?: number;
}

interface ChildConfig {
  readonly dataDir: string;
  readonly url: string;
  readonly accounts: readonly { accountId: string; userId: number }[];
  readonly team: WideWorld['team'];
  readonly syncTimeoutMs: number;
}

interface Sample {
  readonly phase: string;
  readonly rssMb: number;
  readonly heapUsedMb: number;
  readonly externalMb: number;
}

interface ChildReport {
  readonly phases: Record<string, Sample>;
  /** The highest RSS sampled during each phase (start is split into the model load and the overdue restore). */
  readonly phasePeaksMb: Record<string, number>;
  readonly peakSampledMb: number;
  readonly peakPhase: string;
  readonly vmHwmMb: number | null;
  readonly synced: boolean;
  readonly syncSeconds: number;
  readonly startSeconds: number;
  readonly api: string;
  readonly storedMessages: number;
}

export async function runMemoryBench(options: MemoryBenchOptions = {}): Promise<BenchResult> {
  const started = Date.now();
  const quick = options.quick ?? false;
  const accountCount = options.accounts ?? 10;
  const chatCount = options.chats ?? 500;
  const messageCount = options.messages ?? (quick ? 100_000 : 1_000_000);
  // Every account is in every chat, so a step is about 10 message deliveries (30 updates): 25 steps/s
  // is a busy desk the daemon keeps up with; far more would measure an ever-growing backlog instead.
  const trafficSteps = options.trafficSteps ?? (quick ? 250 : 750);
  const trafficPerSecond = options.trafficPerSecond ?? 25;
  const perChat = Math.ceil(messageCount / chatCount);

  // 1. The world: every account in every chat.
  const nowMs = Date.now();
  const w = buildWideWorld({ seed: 12, accounts: accountCount, chats: chatCount, basicShare: 0.1, membership: 'all', startAt: nowMs - 3600_000 });
  const world = w.world;
  const rng = createRng(13);

  const bench = await openBenchStore('sqlite');
  let server: Awaited<ReturnType<typeof serveSimWorld>> | null = null;
  try {
    // 2. The stored history, older than anything the simulator holds after chat creation.
    const t0 = Date.now();
    const database = openSqliteFile(bench.dataDir);
    const pop = createPopulator(database, t0);
    pop.users(world.users().map((u) => ({ id: u.id, firstName: u.firstName, lastName: u.lastName, username: u.username })));
    pop.accounts(w.accounts);
    const popChats: PopChat[] = w.chats.map((c) => ({
      tdChatId: c.handle.id,
      type: c.handle.kind === 'basicGroup' ? 'basic' : 'supergroup',
      typeId: c.handle.supergroupId ?? c.handle.basicGroupId ?? 0,
      title: c.handle.title,
      createdAt: Math.floor(w.now() / 1000) - 30 * 86_400,
      members: [
        ...c.team.map((userId, i) => ({ userId, status: i === 0 ? ('creator' as const) : ('administrator' as const) })),
        ...c.clients.map((userId) => ({ userId, status: 'member' as const })),
      ],
      viewers: w.accounts.map((a) => a.accountId),
    }));
    pop.chats(popChats);
    const startS = Math.floor(w.now() / 1000) - 20 * 86_400;
    const endS = Math.floor(w.now() / 1000) - 2 * 3600;
    const cursorRows: { accountId: string; tdChatId: number; completeTo: number }[] = [];
    // Per-account message counters (basic groups): the simulator's own, advanced past the history.
    const boxes = new Map(w.accounts.map((a) => [a.accountId, world.requireUser(a.userId) as unknown as { nextBoxServerId: number }]));
    w.chats.forEach((c, ci) => {
      const chat = popChats[ci]!;
      const sim = world.resolveChat(c.handle) as unknown as { nextServerId: number };
      const tex = texture(rng, c.company);
      const lang = c.company.lang;
      const text = textPool(() => (rng.chance(0.5) ? clientQuestion(rng, lang, tex) : rng.chance(0.5) ? adminFix(rng, lang, tex) : rng.chance(0.5) ? adminAck(rng, lang) : clientFollowUp(rng, lang)), 64);
      const step = Math.max(1, Math.floor((endS - startS) / perChat));
      function* history(): Generator<PopMessage> {
        for (let k = 0; k < perChat; k++) {
          const date = startS + k * step + (ci % step);
          const senderUserId = k % 2 === 0 ? c.clients[k % c.clients.length]! : c.team[k % c.team.length]!;
          let tdIds: PopMessage['tdIds'];
          if (chat.type === 'supergroup') tdIds = messageIdFromServerId(sim.nextServerId++);
          else tdIds = Object.fromEntries(w.accounts.map((a) => [a.accountId, messageIdFromServerId(boxes.get(a.accountId)!.nextBoxServerId++)]));
          yield { senderUserId, date, text: text(), tdIds };
        }
      }
      const last = pop.messages(chat, history());
      for (const [accountId, completeTo] of last) cursorRows.push({ accountId, tdChatId: chat.tdChatId, completeTo });
    });
    pop.cursors(cursorRows);
    pop.markSearchIndexed();
    database.pragma('wal_checkpoint(TRUNCATE)');
    database.close();
    const populateSeconds = (Date.now() - t0) / 1000;
    const storeMb = await bench.sizeMb();

    // 3. What happened since: a few fresh messages in every chat, some clients waiting now.
    w.advance(3000_000);
    const traffic = createWideTraffic(w, 14);
    for (let i = 0; i < chatCount * 2; i++) {
      w.advance(1_000);
      traffic.step();
    }

    // 4. Serve the world and run the daemon in a child process.
    server = await serveSimWorld(world, { host: '127.0.0.1', port: 0 });
    const config: ChildConfig = { dataDir: bench.dataDir, url: server.url, accounts: w.accounts, team: w.team, syncTimeoutMs: quick ? 180_000 : 420_000 };
    // The daemon's node as `tgdesk start` starts it: with the daemon's heap limit (this process's
    // own flags aside: the bench runner gives it the same limit, which a child does not inherit).
    const heapFlag = daemonHeapFlag(process.env, []);
    const child = spawn(process.execPath, ['--expose-gc', ...(heapFlag ? [heapFlag] : []), resolve('bin/run-ts.mjs'), resolve('bench/memory.bench.ts'), '--child', JSON.stringify(config)], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const messages: { t: string; [k: string]: unknown }[] = [];
    let wake: (() => void) | null = null;
    child.on('message', (m) => {
      messages.push(m as { t: string });
      wake?.();
    });
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const next = async (type: string, timeoutMs: number): Promise<Record<string, unknown> | null> => {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const i = messages.findIndex((m) => m.t === type || m.t === 'error');
        if (i >= 0) return messages.splice(i, 1)[0]!;
        if (Date.now() > end || child.exitCode !== null) return null;
        let tick: NodeJS.Timeout | undefined;
        await Promise.race([new Promise<void>((r) => (wake = r)), new Promise<void>((r) => (tick = setTimeout(r, 500)))]);
        clearTimeout(tick);
      }
    };
    const synced = await next('synced', config.syncTimeoutMs + 120_000);
    if (!synced || synced.t === 'error') throw new Error(`daemon child did not sync: ${JSON.stringify(synced)}`);
    // Live traffic at a steady rate while the child keeps sampling.
    const tTraffic = Date.now();
    for (let i = 0; i < trafficSteps; i++) {
      w.advance(1_000);
      traffic.step();
      if (i % 10 === 9) await sleep(Math.max(0, tTraffic + ((i + 1) * 1000) / trafficPerSecond - Date.now()));
    }
    child.send({ t: 'trafficDone' });
    const report = (await next('report', 180_000)) as unknown as (ChildReport & { t: string }) | null;
    child.send({ t: 'exit' });
    let killTimer: NodeJS.Timeout | undefined;
    const code = await Promise.race([exited, new Promise<string>((r) => (killTimer = setTimeout(() => r('timeout'), 60_000)))]);
    clearTimeout(killTimer);
    if (code === 'timeout') child.kill('SIGKILL');
    if (!report) throw new Error('daemon child sent no report');

    const baseline = report.phases.baseline!.rssMb;
    const peak = Math.max(report.peakSampledMb, report.vmHwmMb ?? 0);
    const rows: BenchRow[] = [
      {
        metric: `daemon peak RSS, ${accountCount} accounts × ${chatCount} chats, ${report.storedMessages.toLocaleString('en-US')} stored messages`,
        value: Math.round(peak),
        unit: 'MB',
        baseline: Math.round(baseline),
        baselineLabel: 'same process after loading modules and opening the store',
        ratio: round(peak / baseline, 2),
        target: '< 400 MB',
        pass: peak < 400 && report.synced,
      },
      ...Object.entries(report.phases)
        .filter(([k]) => k !== 'baseline')
        .map(([k, s]) => ({ metric: `RSS ${k} (heap used ${Math.round(s.heapUsedMb)} MB)`, value: Math.round(s.rssMb), unit: 'MB', baseline: Math.round(baseline), ratio: round(s.rssMb / baseline, 2) })),
      ...Object.entries(report.phasePeaksMb)
        .filter(([k]) => k !== 'baseline')
        .map(([k, mb]) => ({ metric: `peak RSS during ${k}`, value: mb, unit: 'MB' })),
      { metric: 'start (model load, overdue recompute) / sync (chat lists, reconcile)', value: `${sig(report.startSeconds)} / ${sig(report.syncSeconds)}`, unit: 's' },
    ];
    return {
      name: 'memory',
      title: 'Daemon memory (issue 3)',
      issue: 3,
      quick,
      startedAt: new Date(started).toISOString(),
      seconds: Math.round((Date.now() - started) / 1000),
      rows,
      notes: [
        `Store: SQLite, ${report.storedMessages.toLocaleString('en-US')} messages (${perChat.toLocaleString('en-US')} per chat over 20 days, realistic texts from the simulator's corpus), ${chatCount} chats (${popChats.filter((c) => c.type === 'basic').length} basic groups, whose messages also have one alias row per account), every account in every chat; filled by raw batched INSERTs in ${populateSeconds.toFixed(0)} s; ${Math.round(storeMb)} MB on disk. The search index is marked caught up (as after a daemon has run), so the indexer idles.`,
        `Daemon child: ${accountCount} accounts over the simulator's WebSocket transport (127.0.0.1), the Daemon as \`tgdesk start\` builds it (search indexer on), in a node with the daemon's heap limit as \`tgdesk start\` gives it (${daemonHeapFlag(process.env, []) ?? 'the limit set in NODE_OPTIONS'}; bin/lib/daemon-heap.mjs; with Node's default limit, 4 GiB on a 24 GiB machine, V8 lets garbage grow the peak by about 100 MB more), API server: ${report.api}. Phases: start (TeamModel load, overdue recompute of every support chat), sync (loadChats, one reconcile pass per account and chat down to the stored cursor: ${report.synced ? 'completed' : 'NOT completed'}), then ${trafficSteps.toLocaleString('en-US')} live traffic steps at ${trafficPerSecond}/s.`,
        `Peak = the larger of the highest 50 ms RSS sample and the kernel's VmHWM (${report.vmHwmMb === null ? 'n/a' : `${Math.round(report.vmHwmMb)} MB`}); highest sample during "${report.peakPhase}".`,
      ],
      details: { ...report, populateSeconds: round(populateSeconds, 1), storeMb: round(storeMb, 0), perChat },
    };
  } finally {
    await server?.close().catch(() => undefined);
    await bench.dispose();
  }
}

/** The daemon process. */
async function child(config: ChildConfig): Promise<void> {
  const send = (m: object) => process.send?.(m);
  const inbox: string[] = [];
  process.on('message', (m: { t: string }) => inbox.push(m.t));
  const waitMessage = async (t: string, timeoutMs: number) => {
    const end = Date.now() + timeoutMs;
    while (!inbox.includes(t) && Date.now() < end) await sleep(50);
  };
  try {
    const { openStore } = await import('../src/store/database.ts');
    const { Daemon } = await import('../src/app/daemon.ts');
    const { createLogger } = await import('../src/shared/log.ts');
    const { createTelegramAccount } = await import('../src/tdlib/account.ts');
    const { connectRemoteSimulator } = await import('../src/tdlib/simulator/remote.ts');
    const logger = createLogger({ level: 'error' });
    const store = await openStore({ dataDir: config.dataDir });
    await store.migrate();

    const phases: Record<string, Sample> = {};
    const phasePeaksMb: Record<string, number> = {};
    let phase = 'baseline';
    let peak = 0;
    let peakPhase = phase;
    const sample = (): Sample => {
      const m = process.memoryUsage();
      const s = { phase, rssMb: m.rss / 2 ** 20, heapUsedMb: m.heapUsed / 2 ** 20, externalMb: (m.external + m.arrayBuffers) / 2 ** 20 };
      phasePeaksMb[phase] = Math.round(Math.max(phasePeaksMb[phase] ?? 0, s.rssMb));
      if (s.rssMb > peak) {
        peak = s.rssMb;
        peakPhase = phase;
      }
      return s;
    };
    // Name the parts of Daemon.start for the samples, without touching the daemon: wrap two methods.
    const { TeamModel } = await import('../src/app/team-model.ts');
    const during = <T>(name: string, target: Record<string, unknown>, method: string): void => {
      const original = target[method] as (...a: unknown[]) => Promise<T>;
      if (typeof original !== 'function') return;
      target[method] = async function (this: unknown, ...a: unknown[]) {
        const before = phase;
        phase = name;
        sample();
        try {
          return await original.apply(this, a);
        } finally {
          sample();
          phase = before;
        }
      };
    };
    during('start: TeamModel.load', TeamModel.prototype as unknown as Record<string, unknown>, 'load');
    during('start: restoreOverdue', Daemon.prototype as unknown as Record<string, unknown>, 'restoreOverdue');
    (globalThis as { gc?: () => void }).gc?.();
    phases.baseline = sample();
    const ticker = setInterval(sample, 50);

    const accounts = config.accounts.map((a) =>
      createTelegramAccount({ accountId: a.accountId, transport: connectRemoteSimulator(config.url, a.userId), logger: logger.child('tdlib', { accountId: a.accountId }) }),
    );
    const daemon = new Daemon({ store, accounts, logger, team: config.team });
    let api = 'not started';
    let closeApi: (() => Promise<void>) | null = null;
    try {
      const { startApiServer } = await import('../src/graphql/server.ts');
      const server = await startApiServer({ daemon, logger, host: '127.0.0.1', port: 0, graphiql: false } as never);
      closeApi = () => server.close();
      api = 'included (127.0.0.1, idle)';
    } catch (error) {
      api = `not included (it failed to load: ${String((error as Error).message ?? error).slice(0, 120)})`;
    }
    phase = 'start';
    const t0 = Date.now();
    await daemon.start();
    const startSeconds = (Date.now() - t0) / 1000;
    phases.afterStart = sample();
    phase = 'sync';
    const t1 = Date.now();
    let syncTimer: NodeJS.Timeout | undefined;
    const synced = await Promise.race([daemon.whenSynced().then(() => true), new Promise<boolean>((r) => (syncTimer = setTimeout(() => r(false), config.syncTimeoutMs)))]);
    clearTimeout(syncTimer);
    const syncSeconds = (Date.now() - t1) / 1000;
    phases.afterSync = sample();
    send({ t: 'synced', synced });
    phase = 'traffic';
    await waitMessage('trafficDone', 30 * 60_000);
    await Promise.race([daemon.whenSynced(), sleep(30_000)]);
    await sleep(500);
    phases.afterTraffic = sample();
    clearInterval(ticker);
    const storedMessages = Number((await store.db.selectFrom('messages').select((eb) => eb.fn.countAll().as('n')).executeTakeFirst())?.n ?? 0);
    const report: ChildReport = {
      phases,
      phasePeaksMb,
      peakSampledMb: round(peak, 1),
      peakPhase,
      vmHwmMb: procMemory()?.peakRssMb ?? null,
      synced,
      syncSeconds: round(syncSeconds, 1),
      startSeconds: round(startSeconds, 1),
      api,
      storedMessages,
    };
    send({ t: 'report', ...report });
    await waitMessage('exit', 60_000);
    await closeApi?.().catch(() => undefined);
    await daemon.close();
    await store.close();
    process.exit(0);
  } catch (error) {
    send({ t: 'error', message: String((error as Error)?.stack ?? error) });
    process.exit(1);
  }
}

export const run = runMemoryBench;

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const i = process.argv.indexOf('--child');
  if (i > 0) {
    await child(JSON.parse(process.argv[i + 1]!) as ChildConfig);
  } else {
    const result = await runMemoryBench({ quick: process.argv.includes('--quick') });
    console.log(JSON.stringify(result, null, 2));
  }
}
