/**
 * Issue 4, "Dialog view": a stream of Telegram events for 10 accounts applied through the real
 * ingest path (planBatch + the IngestBatcher + the team layer, i.e. what the daemon runs, into SQLite),
 * then one account's dialog list over 2,000 chats is asked for the way the API asks for it
 * (Queries.dialogs: the rows kept per account, patched by the published events, filtered,
 * ordered and counted at `now`), timed for p50/p99 and compared with a plain
 * Array.prototype.sort of the same rows in the same run.
 *
 * Three cases per order: "after a change" (the last part of the stream is held back and one
 * account batch of it is ingested, untimed, before each timed view, so every view patches what
 * that batch changed: the target case), "unchanged" (nothing happened since the last view), and
 * "full build" (Queries.dialogsFromModel: every row built from the team model and sorted, as
 * every view was built before the rows were kept).
 *
 * Alone: node bin/run-ts.mjs bench/dialogs.bench.ts [--quick]
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { DialogOrder } from '../src/domain/dialog-order.ts';
import { buildDialogView } from '../src/domain/dialog-view.ts';
import type { DialogRow } from '../src/domain/dialogs.ts';
import type { TgEvent } from '../src/domain/telegram.ts';
import { createIngestHarness, replayConcurrently } from './lib/ingest-harness.ts';
import { createRecorder } from './lib/sim-record.ts';
import { gc, round, sig, summarize, type BenchResult, type BenchRow } from './lib/stats.ts';
import { openBenchStore } from './lib/stores.ts';
import { buildWideWorld, createWideTraffic } from './lib/wide-world.ts';

export interface DialogsBenchOptions {
  readonly quick?: boolean;
  readonly accounts?: number;
  readonly chats?: number;
  readonly events?: number;
  readonly iterations?: number;
}

const ORDERS: readonly DialogOrder[] = ['STABLE', 'ACTIVITY', 'URGENCY'];
const WARMUP = 30;

export async function runDialogsBench(options: DialogsBenchOptions = {}): Promise<BenchResult> {
  const started = Date.now();
  const quick = options.quick ?? false;
  const accountCount = options.accounts ?? 10;
  const chatCount = options.chats ?? 2_000;
  const eventsWanted = options.events ?? (quick ? 20_000 : 100_000);
  const iterations = options.iterations ?? (quick ? 100 : 400);

  // 1. The world and its traffic, recorded as the accounts receive it.
  const t0 = performance.now();
  const w = buildWideWorld({ seed: 4, accounts: accountCount, chats: chatCount, startAt: Date.now() - 6 * 3600_000 });
  const recorder = createRecorder(w.world, w.accounts);
  await recorder.login();
  const traffic = createWideTraffic(w, 9);
  const played = await recorder.play(10_000_000, 50, () => {
    w.advance(1_000);
    traffic.step();
  }, { maxEvents: eventsWanted, maxMs: 5 * 60_000 });
  await recorder.close();
  const recordSeconds = (performance.now() - t0) / 1000;
  const chatsPerAccount = w.accounts.map((a) => w.chats.filter((c) => c.team.includes(a.userId)).length);

  // 2. Apply it through the daemon's ingest path with the team layer. The last third of every
  //    account's batches is held back, cut into one piece per timed view "after a change", and
  //    the pieces are ingested between views (a queue may hand out any prefix of its updates).
  const needed = (iterations + WARMUP) * ORDERS.length;
  const piecesPerAccount = Math.ceil(needed / recorder.accounts.length);
  const heldOf = recorder.accounts.map((a) => a.traffic.slice(a.traffic.length - Math.floor(a.traffic.length / 3)));
  const piecesOf = heldOf.map((batches) => {
    const events = batches.flat();
    const size = Math.max(1, Math.ceil(events.length / piecesPerAccount));
    const pieces: TgEvent[][] = [];
    for (let i = 0; i < events.length; i += size) pieces.push(events.slice(i, i + size));
    return pieces;
  });
  const held: { accountId: string; batch: readonly TgEvent[] }[] = [];
  for (let i = 0; i < piecesPerAccount; i++) {
    recorder.accounts.forEach((a, k) => {
      const b = piecesOf[k]![i];
      if (b) held.push({ accountId: a.accountId, batch: b });
    });
  }
  const heldEvents = held.reduce((n, h) => n + h.batch.length, 0);
  const bench = await openBenchStore('sqlite');
  try {
    const harness = await createIngestHarness({ store: bench.store, accounts: w.accounts, follower: true, team: w.team });
    await replayConcurrently(harness, recorder.accounts.map((a) => ({ accountId: a.accountId, batches: a.setup })));
    await harness.markSynced();
    const t1 = performance.now();
    await replayConcurrently(harness, recorder.accounts.map((a, k) => ({ accountId: a.accountId, batches: a.traffic.slice(0, a.traffic.length - heldOf[k]!.length) })));
    const applySeconds = (performance.now() - t1) / 1000;
    const daemon = harness.daemon!;
    const viewer = w.accounts[0]!;

    // How many of the viewer's rows each held-back batch changed (events that mark its rows).
    const viewerChats = new Set(daemon.model.accountChats.get(viewer.accountId)?.keys() ?? []);
    let touched = new Set<string>();
    daemon.bus.subscribe((events) => {
      for (const e of events) {
        if (e.chatKey === null || e.type === 'starred') continue;
        if (e.type === 'dialogChanged' || e.type === 'dialogRemoved' ? e.accountId === viewer.accountId : viewerChats.has(e.chatKey)) touched.add(e.chatKey);
      }
    });
    let nextHeld = 0;
    const changed: number[] = [];
    const change = async (): Promise<void> => {
      const h = held[nextHeld++];
      if (!h) return;
      touched = new Set();
      await harness.ingest(h.accountId, h.batch);
      changed.push(touched.size);
    };

    // 3. Time the view against a plain sort of the same rows.
    const query = (order: DialogOrder) => ({ accountId: viewer.accountId, memberUserId: viewer.userId, order });
    const rowsOf = (order: DialogOrder): readonly DialogRow[] => daemon.queries.dialogs(query(order)).rows;
    const viewRows = rowsOf('STABLE').length;
    const out: BenchRow[] = [];
    const details: Record<string, unknown> = {};
    const timeCase = async (order: DialogOrder, label: string, run: () => unknown, before: (() => Promise<void>) | null, gate: boolean): Promise<Record<string, unknown>> => {
      const rows = [...rowsOf(order)];
      const plainSort = (): unknown => [...rows].sort((a, b) => (b.lastMessage?.at ?? 0) - (a.lastMessage?.at ?? 0));
      for (let i = 0; i < WARMUP; i++) {
        if (before) await before();
        run();
        plainSort();
      }
      gc();
      const tView: number[] = [];
      const cView: number[] = [];
      const tSort: number[] = [];
      const end = performance.now() + (quick ? 10_000 : 40_000);
      for (let i = 0; i < iterations && performance.now() < end; i++) {
        if (before) await before();
        // Interleaved, so a noisy neighbour hits both alike.
        const c = process.cpuUsage();
        let t = performance.now();
        run();
        tView.push(performance.now() - t);
        const dc = process.cpuUsage(c);
        cView.push((dc.user + dc.system) / 1000);
        t = performance.now();
        plainSort();
        tSort.push(performance.now() - t);
      }
      const v = summarize(tView);
      const s = summarize(tSort);
      const cpu = summarize(cView);
      const n = rows.length.toLocaleString('en-US');
      out.push({ metric: `${order} view of ${n} chats, ${label}, p50`, value: sig(v.p50), unit: 'ms', baseline: sig(s.p50), baselineLabel: 'plain sort of the same rows', ratio: round(v.p50 / s.p50, 1) });
      out.push({
        metric: `${order} view of ${n} chats, ${label}, p99`,
        value: sig(v.p99),
        unit: 'ms',
        baseline: sig(s.p99),
        baselineLabel: 'plain sort of the same rows',
        ratio: round(v.p99 / s.p99, 1),
        ...(gate ? { target: 'p99 < 5 ms', pass: v.p99 < 5 } : {}),
      });
      out.push({ metric: `${order} view, ${label}, p50 / p99 of CPU time (the process's own, without waits for a busy CPU)`, value: `${sig(cpu.p50)} / ${sig(cpu.p99)}`, unit: 'ms' });
      return { view: roundAll(v), viewCpu: roundAll(cpu), plainSort: roundAll(s) };
    };
    for (const order of ORDERS) {
      const view = (): unknown => daemon.queries.dialogs(query(order));
      const afterChange = await timeCase(order, 'after a change', view, change, true);
      const rowsChanged = summarize(changed.splice(0));
      const unchanged = await timeCase(order, 'unchanged', view, null, false);
      const fullBuild = await timeCase(order, 'full build', () => daemon.queries.dialogsFromModel(query(order)), null, false);
      const inputs = daemon.model.dialogInputs(viewer.accountId);
      const tPure: number[] = [];
      for (let i = 0; i < Math.min(iterations, 100); i++) {
        const t = performance.now();
        buildDialogView(inputs, { now: Date.now(), scopeMuteFor: daemon.model.scopeMuteOf(viewer.accountId), starred: new Set(), order, titleOrder: daemon.model.titleOrder });
        tPure.push(performance.now() - t);
      }
      details[order] = { afterChange: { ...afterChange, viewerRowsChangedPerBatch: roundAll(rowsChanged) }, unchanged, fullBuild, domainOnly: roundAll(summarize(tPure)) };
    }
    // The kept rows must be what a fresh build gives, after all of it.
    for (const order of ORDERS) {
      const at = daemon.now();
      const kept = daemon.queries.dialogs(query(order), at);
      const fresh = daemon.queries.dialogsFromModel(query(order), at);
      if (JSON.stringify(kept) !== JSON.stringify(fresh)) throw new Error(`${order}: the kept rows differ from a fresh build`);
    }
    await harness.close();
    const ingestEvents = recorder.eventCount('traffic');
    return {
      name: 'dialogs',
      title: 'Dialog view (issue 4)',
      issue: 4,
      quick,
      startedAt: new Date(started).toISOString(),
      seconds: Math.round((Date.now() - started) / 1000),
      rows: out,
      notes: [
        `World: ${accountCount} accounts and ${chatCount.toLocaleString('en-US')} client chats (about 20 % basic groups) plus the team chat, built on the simulator; account 1 is in every chat, each other account in about half (chats per account: ${chatsPerAccount.join(', ')}). The view is account 1's: ${viewRows.toLocaleString('en-US')} rows.`,
        `Events: ${ingestEvents.toLocaleString('en-US')} Telegram events (${played.steps.toLocaleString('en-US')} traffic steps: questions, answers, follow-ups, thanks, mentions, stickers, edits, deletes, reads; busy chats busier) as the accounts received them, applied through the ingest path with the team layer into SQLite (${applySeconds.toFixed(1)} s for all but the last third of each account's batches (${heldEvents.toLocaleString('en-US')} events, held back in ${held.length.toLocaleString('en-US')} pieces), ${Math.round((ingestEvents - heldEvents) / applySeconds).toLocaleString('en-US')} events/s; recording took ${recordSeconds.toFixed(1)} s, untimed). The held-back batches are ingested one before each view "after a change" (untimed), round robin over the accounts; each changed a median of ${sig(medianChanged(details))} of the viewer's rows.`,
        `Timed: Queries.dialogs({ accountId, memberUserId, order }) as the API calls it (rows kept per account and patched where the published events point, stars, order, counts, overdue judged at now), up to ${iterations} runs per case and order, interleaved with the baseline, a plain Array.prototype.sort of the same ${viewRows.toLocaleString('en-US')} row objects by last-message time. "full build" is Queries.dialogsFromModel, every row built from the team model and sorted (how every view was built before the rows were kept); the JSON block also has buildDialogView alone over prepared inputs ("domainOnly"). After the runs the kept rows are checked equal to a fresh build. CPU time per call (process.cpuUsage) leaves out the time the process waited for a core the machine's other work held; wall time includes it, and garbage collection shows in both.`,
      ],
      details: { accounts: accountCount, chats: chatCount, chatsPerAccount, events: ingestEvents, steps: played.steps, applySeconds: round(applySeconds, 1), viewRows, ...details },
    };
  } finally {
    await bench.dispose();
  }
}

function medianChanged(details: Record<string, unknown>): number {
  const medians = Object.values(details).map((d) => ((d as { afterChange?: { viewerRowsChangedPerBatch?: { p50?: number } } }).afterChange?.viewerRowsChangedPerBatch?.p50 ?? 0));
  return medians.sort((a, b) => a - b)[Math.floor(medians.length / 2)] ?? 0;
}

function roundAll(s: ReturnType<typeof summarize>): Record<string, number> {
  return { n: s.n, p50: sig(s.p50), p95: sig(s.p95), p99: sig(s.p99), max: sig(s.max) };
}

export const run = runDialogsBench;

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const result = await runDialogsBench({ quick: process.argv.includes('--quick') });
  console.log(JSON.stringify(result, null, 2));
}
