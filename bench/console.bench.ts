/**
 * Issue 9, the operator console in Chromium (Debian's, headless) against a daemon on the
 * simulator whose account sees 2,000 client chats, one of them holding 10,000 messages:
 *
 * - Frame time while scrolling the dialog list and typing in the composer with 10 messages per
 *   second arriving (real traffic through the simulator, ingest, the team layer and the API's
 *   subscriptions). A frame's time is measured in the page from the frame's start (the
 *   requestAnimationFrame timestamp) to the end of its main-thread work (a task queued from that
 *   callback runs after style, layout and paint): everything that delays or fills the frame.
 *   Baseline: the same page idle for the same time, no traffic, no input. Target: p95 < 16 ms.
 * - Time to the latest screen when opening the 10,000-message chat by clicking its row: from the
 *   click to the first frame after its newest page is in the DOM, scrolled to the bottom. Target:
 *   under 200 ms. Baseline: opening a chat with a handful of messages the same way.
 *
 * Alone: node bin/run-ts.mjs bench/console.bench.ts [--quick]
 */
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Page } from 'playwright-core';
import { Daemon } from '../src/app/daemon.ts';
import { startApiServer } from '../src/graphql/server.ts';
import { createMemoryLogger } from '../src/shared/log.ts';
import { createTelegramAccount } from '../src/tdlib/account.ts';
import { adminAck, clientQuestion, texture } from '../src/tdlib/simulator/corpus.ts';
import { createRng } from '../src/tdlib/simulator/rng.ts';
import { openBenchStore } from './lib/stores.ts';
import { buildWideWorld, createWideTraffic } from './lib/wide-world.ts';

export interface ConsoleBenchOptions {
  readonly quick?: boolean;
  readonly chats?: number;
  readonly bigChatMessages?: number;
  readonly messagesPerSecond?: number;
  /** Seconds of scrolling and typing under traffic. */
  readonly loadSeconds?: number;
  readonly opens?: number;
}

const CHROMIUM = '/usr/bin/chromium';

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

function summary(values: readonly number[]) {
  const s = [...values].sort((a, b) => a - b);
  const r = (x: number) => Math.round(x * 100) / 100;
  return { count: s.length, p50: r(percentile(s, 50)), p95: r(percentile(s, 95)), p99: r(percentile(s, 99)), max: r(s[s.length - 1] ?? Number.NaN) };
}

// In-page code is given as text: tsx names functions with a helper the page does not have.

/** Starts recording frame times in the page; `stopFrames` returns them (ms) and the long animation frames seen. */
async function startFrames(page: Page): Promise<void> {
  await page.evaluate(`(() => {
    const w = window;
    w.__frames = { times: [], long: 0, on: true };
    const channel = new MessageChannel();
    let frameStart = 0;
    channel.port1.onmessage = () => {
      if (w.__frames.on) w.__frames.times.push(performance.now() - frameStart);
    };
    function loop(ts) {
      if (!w.__frames.on) return;
      frameStart = ts;
      channel.port2.postMessage(0);
      requestAnimationFrame(loop);
    }
    requestAnimationFrame(loop);
    try {
      new PerformanceObserver((list) => {
        if (w.__frames.on) w.__frames.long += list.getEntries().length;
      }).observe({ type: 'long-animation-frame', buffered: false });
    } catch {}
  })()`);
}

async function stopFrames(page: Page): Promise<{ times: number[]; long: number }> {
  return page.evaluate(`(() => {
    window.__frames.on = false;
    return { times: window.__frames.times, long: window.__frames.long };
  })()`);
}

/** The open's split, as the console measured it: the request, then the render. */
async function openSplit(page: Page): Promise<{ request: number; render: number }> {
  return page.evaluate(`(() => ({
    request: performance.getEntriesByName('console:open:request').at(-1)?.duration ?? NaN,
    render: performance.getEntriesByName('console:open:render').at(-1)?.duration ?? NaN,
  }))()`);
}

/** Clicks a chat's row (scrolled into view first) and times until its newest page is on screen. */
async function timeOpen(page: Page, chatId: string): Promise<number> {
  const id = JSON.stringify(chatId);
  await page.evaluate(`(() => {
    const c = window.tgdeskConsole;
    c.sidebar.viewport.scrollTop = Math.max(0, c.sidebar.indexOf(${id}) * 30 - 100);
  })()`);
  await page.waitForSelector(`.row[data-chat-id="${chatId}"]`);
  await page.evaluate('performance.clearMeasures()');
  return page.evaluate(`new Promise((done) => {
    const row = document.querySelector('.row[data-chat-id=' + JSON.stringify(${id}) + ']');
    const scroller = document.querySelector('[data-testid="messages"]');
    const t0 = performance.now();
    row.click();
    function check() {
      if (scroller.dataset.shown === ${id} && scroller.querySelector('.msg')) requestAnimationFrame(() => done(performance.now() - t0));
      else requestAnimationFrame(check);
    }
    requestAnimationFrame(check);
  })`);
}

export async function runConsoleBench(options: ConsoleBenchOptions = {}): Promise<Record<string, unknown>> {
  const started = Date.now();
  const quick = options.quick ?? false;
  const chatCount = options.chats ?? 2_000;
  const bigMessages = options.bigChatMessages ?? 10_000;
  const rate = options.messagesPerSecond ?? 10;
  const loadSeconds = options.loadSeconds ?? (quick ? 8 : 20);
  const opens = options.opens ?? (quick ? 5 : 12);
  execFileSync(process.execPath, ['bin/build-console.mjs'], { stdio: 'pipe' });

  // 1. The world: one account in all 2,000 client chats; one chat with 10,000 messages of history.
  const t0 = performance.now();
  const w = buildWideWorld({ seed: 9, accounts: 2, chats: chatCount, membership: 'all', startAt: Date.now() - 2 * 3600_000 });
  const rng = createRng(5).fork('console-bench');
  const big = w.chats.find((c) => c.handle.kind === 'supergroup') ?? w.chats[0]!;
  const admin = w.accounts[0]!;
  const startSec = Math.floor(w.now() / 1000) - bigMessages;
  for (let i = 0; i < bigMessages; i++) {
    const fromClient = i % 3 !== 2;
    const text = fromClient ? clientQuestion(rng, big.company.lang, texture(rng, big.company)) : adminAck(rng, big.company.lang);
    w.world.sendMessage({ chat: big.handle, senderId: fromClient ? rng.pick(big.clients) : admin.userId, text, date: startSec + i });
  }
  // A small chat for the baseline open: only its creation and one message.
  const small = w.chats[w.chats.length - 1]!;
  w.world.sendMessage({ chat: small.handle, senderId: small.clients[0]!, text: 'Здравствуйте!', date: Math.floor(w.now() / 1000) - 60 });
  // From here the world runs on real time.
  w.advance(Date.now() - w.now());
  const setupSeconds = (performance.now() - t0) / 1000;

  // 2. The daemon and its API.
  const t1 = performance.now();
  const bench = await openBenchStore('sqlite');
  const logger = createMemoryLogger('warn');
  const accounts = w.accounts.map((a) => createTelegramAccount({ accountId: a.accountId, transport: w.world.connect(a.userId), logger }));
  const daemon = new Daemon({ store: bench.store, accounts, logger, team: w.team, backfillMessages: bigMessages + 100 });
  await daemon.start();
  await daemon.whenSynced();
  const api = await startApiServer({ daemon, logger, host: '127.0.0.1', port: 0 });
  const token = (await daemon.tokens.create({ name: 'bench', role: 'admin', memberUserId: admin.userId })).token;
  const syncSeconds = (performance.now() - t1) / 1000;

  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  const traffic = createWideTraffic(w, 13);
  let delivered = 0;
  let timer: ReturnType<typeof setInterval> | null = null;
  try {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 }, locale: 'en-US' });
    const tLoad = performance.now();
    await page.goto(`${api.url}/console#token=${token}`);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 120_000 });
    const firstListSeconds = (performance.now() - tLoad) / 1000;
    const rows = await page.evaluate<number>('window.tgdeskConsole.store.rows.size');
    const bigId = String(big.handle.id);
    const smallId = String(small.handle.id);

    // 3. Opening: the big chat and the small one, alternately.
    const bigTimes: number[] = [];
    const smallTimes: number[] = [];
    const bigRequest: number[] = [];
    const bigRender: number[] = [];
    for (let i = 0; i < opens; i++) {
      smallTimes.push(await timeOpen(page, smallId));
      bigTimes.push(await timeOpen(page, bigId));
      const split = await openSplit(page);
      bigRequest.push(split.request);
      bigRender.push(split.render);
    }
    const shownMessages = await page.evaluate<number>(`document.querySelectorAll('[data-testid="messages"] .msg').length`);

    // 4. Idle baseline: same page, nothing happening.
    await page.waitForTimeout(500);
    await startFrames(page);
    await page.waitForTimeout(Math.min(5, loadSeconds) * 1000);
    const idle = await stopFrames(page);

    // 5. Load: 10 messages/s arriving while the list scrolls and the composer takes keystrokes.
    const list = (await page.$('[data-testid="dialog-list"]'))!.boundingBox();
    const box = (await list)!;
    await page.focus('[data-testid="composer"]');
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    timer = setInterval(() => {
      w.advance(Date.now() - w.now());
      // One message per tick: steps that only read, edit or delete do not count.
      for (let k = 0; k < 10; k++) {
        const step = traffic.step();
        if (step !== 'read' && step !== 'edit' && step !== 'delete') break;
      }
      delivered++;
    }, 1000 / rate);
    await page.waitForTimeout(300);
    await startFrames(page);
    const end = Date.now() + loadSeconds * 1000;
    let direction = 1;
    let keys = 0;
    const phrase = 'Проверяем доступность db-prod-2, ответим через пять минут. ';
    while (Date.now() < end) {
      await page.mouse.wheel(0, direction * 240);
      await page.keyboard.type(phrase[keys % phrase.length]!);
      keys++;
      if (keys % 40 === 0) direction = -direction;
      if (keys % 120 === 0) await page.fill('[data-testid="composer"]', '');
      await page.waitForTimeout(30);
    }
    const load = await stopFrames(page);
    clearInterval(timer);
    timer = null;
    const scrolled = await page.evaluate<number>(`document.querySelector('[data-testid="dialog-list"]').scrollTop`);

    const frames = summary(load.times);
    const idleFrames = summary(idle.times);
    const open = summary(bigTimes);
    const request = summary(bigRequest);
    const render = summary(bigRender);
    const openSmall = summary(smallTimes);
    return {
      name: 'console',
      quick,
      seconds: Math.round((Date.now() - started) / 1000),
      setup: { chats: chatCount, rowsInList: rows, bigChatMessages: bigMessages, setupSeconds: Math.round(setupSeconds), syncSeconds: Math.round(syncSeconds), firstListSeconds: Math.round(firstListSeconds * 100) / 100 },
      frames: {
        underLoad: { frameP50Ms: frames.p50, frameP95Ms: frames.p95, frameP99Ms: frames.p99, frameMaxMs: frames.max, frames: frames.count, longAnimationFrames: load.long },
        idleBaseline: { frameP50Ms: idleFrames.p50, frameP95Ms: idleFrames.p95, frameMaxMs: idleFrames.max, frames: idleFrames.count },
        p95ratio: Math.round((frames.p95 / idleFrames.p95) * 100) / 100,
        messagesDelivered: delivered,
        messagesPerSecond: Math.round((delivered / loadSeconds) * 10) / 10,
        keystrokes: keys,
        listScrollTopAtEnd: scrolled,
        target: 'p95 < 16 ms',
        pass: frames.p95 < 16,
      },
      openChat: {
        bigChat: { openP50Ms: open.p50, openP95Ms: open.p95, openMaxMs: open.max, runs: open.count, messagesOnScreenAfter: shownMessages },
        bigChatSplit: { requestP50Ms: request.p50, renderP50Ms: render.p50, renderMaxMs: render.max },
        smallChatBaseline: { openP50Ms: openSmall.p50, openP95Ms: openSmall.p95, openMaxMs: openSmall.max },
        ratio: Math.round((open.p50 / openSmall.p50) * 100) / 100,
        target: 'under 200 ms',
        pass: open.max < 200,
      },
    };
  } finally {
    if (timer) clearInterval(timer);
    await browser.close();
    await api.close();
    await daemon.close();
    await bench.dispose();
  }
}

if (import.meta.url === pathToFileURL(resolve(process.argv[1] ?? '')).href) {
  const result = await runConsoleBench({ quick: process.argv.includes('--quick') });
  console.log(JSON.stringify(result, null, 2));
  process.exit(0);
}
