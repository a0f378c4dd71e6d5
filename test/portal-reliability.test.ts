/**
 * Issue 6's reliability test: the portal is down (connection refused), answers 500, hangs until
 * the request times out, or takes an event and never answers, while tasks are created, changed,
 * closed and reopened; the daemon (a child process) is killed with SIGKILL at random points and
 * started again on the same store, during the outage and once more while it catches up. When
 * the portal is back, every event in the store has reached it exactly once per idempotency key,
 * in order per task, and nothing is missing, checked against a real HTTP receiver on 127.0.0.1.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { orderProblems, startPortalReceiver, type PortalReceiver, type ReceiverMode } from './helpers/portal-receiver.ts';
import { startSimDaemon, type SimDaemon } from './helpers/sim-daemon.ts';
import { createTestStore, STORE_KINDS, type StoreKind, type TestStore } from './helpers/stores.ts';

const SECRET = 'reliability-secret';
const OPS = 120;

interface Child {
  readonly process: ChildProcess;
  readonly ready: Promise<void>;
  readonly exited: Promise<void>;
  /** Answers by command number. */
  readonly answers: Map<number, { ok: boolean; taskId?: string; code?: string }>;
}

function startChild(env: NodeJS.ProcessEnv): Child {
  const child = spawn(process.execPath, ['bin/run-ts.mjs', 'test/helpers/portal-daemon-process.ts'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const answers = new Map<number, { ok: boolean; taskId?: string; code?: string }>();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ready = new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const msg = JSON.parse(line) as { ready?: boolean; n?: number; ok?: boolean; taskId?: string; code?: string };
      if (msg.ready) resolve();
      else if (msg.n !== undefined) answers.set(msg.n, { ok: msg.ok!, ...(msg.taskId ? { taskId: msg.taskId } : {}), ...(msg.code ? { code: msg.code } : {}) });
    });
    child.once('exit', (code, signal) => reject(new Error(`daemon exited (${code ?? signal}) before it was ready: ${stderr.slice(-2000)}`)));
  });
  ready.catch(() => undefined);
  child.stdin!.on('error', () => undefined);
  return { process: child, ready, exited, answers };
}

async function kill(child: Child): Promise<void> {
  if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill('SIGKILL');
  await child.exited;
}

/** A small deterministic random source, so a failure can be replayed. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1_664_525 + 1_013_904_223) >>> 0;
    return s / 2 ** 32;
  };
}

const stores: TestStore[] = [];
afterAll(async () => {
  for (const s of stores) await s.dispose();
});

// What a run has going, kept here so that a failing run still stops it: a daemon child, the
// receiver and the loop that flaps it would otherwise outlive the test.
const live: { sim: SimDaemon | null; portal: PortalReceiver | null; child: Child | null; outage: boolean; flapping: Promise<void> } = {
  sim: null,
  portal: null,
  child: null,
  outage: false,
  flapping: Promise.resolve(),
};
afterEach(async () => {
  live.outage = false;
  await live.flapping;
  if (live.child) await kill(live.child);
  await live.portal?.close();
  await live.sim?.stop();
  Object.assign(live, { sim: null, portal: null, child: null });
});

describe.each(STORE_KINDS)('portal reliability (%s)', (kind: StoreKind) => {
  it('delivers every event exactly once per key, in order per task, across an outage and SIGKILLs', { timeout: 240_000 }, async () => {
    // Chats and messages to make tasks from: the simulated company, synced once into the store.
    const store = await createTestStore(kind);
    stores.push(store);
    const sim = (live.sim = await startSimDaemon({ store }));
    const chats: { chatKey: string; ids: string[] }[] = [];
    for (const c of sim.demo.company.clientChats.slice(0, 8)) {
      const chatKey = String(c.chatId);
      const ids = (await sim.daemon.queries.history({ chatKey, first: 30 })).filter((m) => !m.isService).map((m) => String(m.id));
      if (ids.length >= 5) chats.push({ chatKey, ids });
    }
    const team = sim.demo.team;
    await sim.stop();
    expect(chats.length).toBeGreaterThanOrEqual(4);

    const portal: PortalReceiver = (live.portal = await startPortalReceiver(SECRET, 'down'));
    const env = {
      ...process.env,
      TGDESK_DATA_DIR: store.reopenOptions.dataDir,
      ...(store.reopenOptions.databaseUrl ? { DATABASE_URL: store.reopenOptions.databaseUrl, PG_SCHEMA: store.reopenOptions.pgSchema } : {}),
      SIM_TEAM: JSON.stringify(team),
      PORTAL_URL: portal.url,
      PORTAL_SECRET: SECRET,
    };
    const random = rng(kind === 'sqlite' ? 6 : 7);

    // The outage: the portal cycles through every way of failing, never answering 2xx.
    const failures: ReceiverMode[] = ['down', 'error500', 'hang', 'acceptThenHang', 'down', { status: 503 }, 'acceptThenHang'];
    live.outage = true;
    const flapping = (live.flapping = (async () => {
      for (let i = 0; live.outage; i++) {
        await portal.setMode(failures[i % failures.length]!);
        await new Promise((r) => setTimeout(r, 150 + random() * 350));
      }
    })());

    let child = (live.child = startChild(env));
    await child.ready;
    let kills = 0;
    const killAt = new Set<number>();
    while (killAt.size < 4) killAt.add(10 + Math.floor(random() * (OPS - 20)));
    const created: string[] = [];
    const status = new Map<string, 'open' | 'closed'>();
    let acknowledged = 0;
    let n = 0;

    for (let i = 0; i < OPS; i++) {
      // A command is sent; the process may die before or after it commits.
      const open = created.filter((id) => status.get(id) === 'open');
      const closed = created.filter((id) => status.get(id) === 'closed');
      const roll = random();
      let cmd: Record<string, unknown>;
      if (created.length < 3 || roll < 0.45) {
        const chat = chats[Math.floor(random() * chats.length)]!;
        const start = Math.floor(random() * (chat.ids.length - 4));
        cmd = { op: 'create', chatKey: chat.chatKey, messageIds: chat.ids.slice(start, start + 1 + Math.floor(random() * 4)) };
      } else if (roll < 0.7 && open.length > 0) cmd = { op: 'close', taskId: open[Math.floor(random() * open.length)] };
      else if (roll < 0.85 && closed.length > 0) cmd = { op: 'reopen', taskId: closed[Math.floor(random() * closed.length)] };
      else cmd = { op: 'update', taskId: created[Math.floor(random() * created.length)], title: `Step ${i}` };
      const num = ++n;
      child.process.stdin!.write(`${JSON.stringify({ n: num, ...cmd })}\n`);
      if (killAt.has(i)) {
        // Killed at once or a moment later: before, during or after the commit.
        await new Promise((r) => setTimeout(r, random() * 30));
        await kill(child);
        kills++;
        child = live.child = startChild(env);
        await child.ready;
        continue;
      }
      const deadline = Date.now() + 10_000;
      while (!child.answers.has(num) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 2));
      const answer = child.answers.get(num);
      expect(answer?.ok, `command ${num} ${JSON.stringify(cmd)}: ${JSON.stringify(answer)}`).toBe(true);
      acknowledged++;
      if (cmd.op === 'create') {
        created.push(answer!.taskId!);
        status.set(answer!.taskId!, 'open');
      } else if (cmd.op === 'close') status.set(String(cmd.taskId), 'closed');
      else if (cmd.op === 'reopen') status.set(String(cmd.taskId), 'open');
    }
    // Still down: one more kill while events wait.
    await new Promise((r) => setTimeout(r, 300));
    await kill(child);
    kills++;
    child = live.child = startChild(env);
    await child.ready;

    // The portal comes back; the daemon is killed once more while it catches up.
    live.outage = false;
    await flapping;
    await portal.setMode('ok');
    const total = async () => Number((await store.db.selectFrom('outbox').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
    const undelivered = async () =>
      Number((await store.db.selectFrom('outbox').select((eb) => eb.fn.countAll<number>().as('n')).where('state', '<>', 'delivered').executeTakeFirstOrThrow()).n);
    const events = await total();
    const waitFor = async (check: () => Promise<boolean>, ms: number) => {
      const end = Date.now() + ms;
      while (!(await check())) {
        if (Date.now() > end) return false;
        await new Promise((r) => setTimeout(r, 50));
      }
      return true;
    };
    // Killed once the store records the first deliveries: the catch-up is under way, not over.
    expect(await waitFor(async () => (await undelivered()) < events, 30_000)).toBe(true);
    await kill(child);
    kills++;
    const leftAtKill = await undelivered();
    expect(leftAtKill).toBeGreaterThan(0);
    child = live.child = startChild(env);
    await child.ready;
    expect(await waitFor(async () => (await undelivered()) === 0, 60_000)).toBe(true);

    // Ground truth: the store's outbox. Every event reached the portal, each key once, in order.
    const rows = await store.db.selectFrom('outbox').select(['idempotency_key', 'task_id', 'seq', 'state']).orderBy('task_id').orderBy('seq').execute();
    expect(rows.every((r) => r.state === 'delivered')).toBe(true);
    const keys = portal.accepted.map((e) => e.key);
    expect(new Set(keys).size).toBe(keys.length);
    expect([...keys].sort()).toEqual(rows.map((r) => r.idempotency_key).sort());
    expect(orderProblems(portal.accepted)).toEqual([]);
    // Per task, the events are numbered 1..n in the store too: no gap a lost write would leave.
    const byTask = new Map<number, number[]>();
    for (const r of rows) byTask.set(Number(r.task_id), [...(byTask.get(Number(r.task_id)) ?? []), r.seq]);
    for (const seqs of byTask.values()) expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    // Every acknowledged change is there, and the portal's last word on each task is the store's state.
    expect(rows.length).toBeGreaterThanOrEqual(acknowledged);
    const tasks = await store.db.selectFrom('tasks').select(['id', 'status', 'title']).execute();
    for (const id of created) expect(tasks.some((t) => String(t.id) === id)).toBe(true);
    for (const t of tasks) {
      const last = portal.accepted.filter((e) => e.taskId === String(t.id)).at(-1)!;
      expect({ status: last.status, title: (last.body['task'] as { title: string }).title }).toEqual({ status: t.status, title: t.title });
    }
    expect(portal.badSignatures).toBe(0);
    const failedAttempts = portal.attempts.filter((a) => a.mode !== 'ok').length;
    process.stderr.write(
      `[portal reliability ${kind}] ${rows.length} events of ${tasks.length} tasks, ${acknowledged} commands acknowledged, ${kills} SIGKILLs (the last with ${leftAtKill} undelivered), ` +
        `${failedAttempts} failed attempts, ${portal.duplicates} repeats dropped by key\n`,
    );
    expect(failedAttempts).toBeGreaterThan(0);

    child.process.kill('SIGTERM');
    await child.exited;
    await portal.close();
  });
});
