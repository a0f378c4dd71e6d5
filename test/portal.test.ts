/**
 * Issue 6, the portal connector against real HTTP on 127.0.0.1: the webhook signature both
 * ways; delivery of the outbox (signed, in order per task, the portal's own id stored, 5xx and
 * Retry-After retried, a refusal made a dead letter that holds its task's later events until it
 * is retried); and the signed command endpoint on the API's port (401 and nothing changed on a
 * bad signature or an old timestamp, replays applied once).
 */
import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { PortalOutbox } from '../src/app/portal-outbox.ts';
import { startApiServer, type ApiServer } from '../src/graphql/server.ts';
import { createPortalConnector } from '../src/portal/connector.ts';
import { PortalDelivery } from '../src/portal/delivery.ts';
import { PORTAL_COMMANDS_PATH } from '../src/portal/inbound.ts';
import { signature, signedHeaders, verifySignature } from '../src/portal/signature.ts';
import { createMemoryLogger } from '../src/shared/log.ts';
import { orderProblems, startPortalReceiver, type PortalReceiver } from './helpers/portal-receiver.ts';
import { eventually, startSimDaemon, type SimDaemon } from './helpers/sim-daemon.ts';
import { STORE_KINDS, type StoreKind } from './helpers/stores.ts';

const SECRET = 'test-secret-0123456789';
const FAST = { baseMs: 20, maxMs: 200, maxAttempts: 1000 };

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!().catch(() => undefined);
});

async function sim(kind: StoreKind = 'sqlite'): Promise<SimDaemon> {
  const s = await startSimDaemon({ kind });
  cleanups.push(() => s.dispose());
  return s;
}

async function receiver(mode: Parameters<typeof startPortalReceiver>[1] = 'ok'): Promise<PortalReceiver> {
  const r = await startPortalReceiver(SECRET, mode);
  cleanups.push(() => r.close());
  return r;
}

function deliveryFor(s: SimDaemon, url: string, options: { timeoutMs?: number; pollMs?: number } = {}) {
  const d = s.daemon;
  const outbox = new PortalOutbox({ db: s.store.db, dialect: s.store.kind, writer: d.writer, tasks: d.tasks, now: d.now, logger: s.logger, retry: FAST });
  const delivery = new PortalDelivery({ outbox, url, secret: SECRET, logger: s.logger, concurrency: 4, timeoutMs: options.timeoutMs ?? 1_000, pollMs: options.pollMs ?? 50 });
  cleanups.push(() => delivery.stop());
  return { outbox, delivery };
}

const actor = { label: 'token:test', memberUserId: null };

async function messagesOf(s: SimDaemon, n: number) {
  const chat = s.demo.company.clientChats.find((c) => c.kind === 'supergroup')!;
  const chatKey = String(chat.chatId);
  const history = await s.daemon.queries.history({ chatKey, first: 40 });
  return { chatKey, ids: history.filter((m) => !m.isService).slice(0, n).map((m) => String(m.id)) };
}

describe('webhook signature', () => {
  it('signs timestamp and body with HMAC-SHA256 and checks both, the timestamp window and rotated secrets', () => {
    const body = '{"id":"tgdesk-task-1-1"}';
    const now = 1_800_000_000_000;
    const h = signedHeaders(SECRET, body, now);
    expect(h['x-tgdesk-timestamp']).toBe('1800000000');
    // What a portal computes with any HMAC library: hex HMAC-SHA256 of "<timestamp>.<body>".
    expect(h['x-tgdesk-signature']).toBe(`v1=${createHmac('sha256', SECRET).update(`1800000000.${body}`).digest('hex')}`);
    const headers = { timestamp: h['x-tgdesk-timestamp'], signature: h['x-tgdesk-signature'] };
    expect(verifySignature(SECRET, headers, body, now)).toEqual({ ok: true });
    expect(verifySignature(SECRET, headers, body, now + 299_000)).toEqual({ ok: true });
    expect(verifySignature(SECRET, headers, body, now + 301_000).ok).toBe(false);
    expect(verifySignature('other-secret', headers, body, now).ok).toBe(false);
    expect(verifySignature(SECRET, headers, body.replace('1-1', '1-2'), now).ok).toBe(false);
    expect(verifySignature(SECRET, { ...headers, timestamp: '1800000001' }, body, now).ok).toBe(false);
    expect(verifySignature(SECRET, { timestamp: undefined, signature: headers.signature }, body, now).ok).toBe(false);
    // During a rotation the sender may sign with the old and the new secret.
    const both = `${signature('old-secret', 1_800_000_000, body)}, ${headers.signature}`;
    expect(verifySignature(SECRET, { ...headers, signature: both }, body, now)).toEqual({ ok: true });
  });
});

describe.each(STORE_KINDS)('delivery to a portal on 127.0.0.1 (%s)', (kind) => {
  it('delivers every event signed, once, in order per task, and stores the portal\'s id and page', async () => {
    const s = await sim(kind);
    const portal = await receiver('ok');
    const { ids, chatKey } = await messagesOf(s, 6);
    const t = s.daemon.tasks;
    const a = await t.createTask(actor, { chatKey, messageIds: ids.slice(0, 2) });
    const b = await t.createTask(actor, { chatKey, messageIds: ids.slice(2, 4), title: 'Second' });
    await t.updateTask(actor, a.id, { description: 'more detail' });
    await t.closeTask(actor, a.id);
    await t.closeTask(actor, b.id);
    await t.reopenTask(actor, b.id);
    // A poll far longer than any wait below: only the outbox's wake-up can deliver in time.
    const { outbox, delivery } = deliveryFor(s, portal.url, { pollMs: 60_000 });
    delivery.start();
    expect(await eventually(async () => (await outbox.status()).pending === 0, 10_000)).toBe(true);

    expect(portal.badSignatures).toBe(0);
    expect(portal.duplicates).toBe(0);
    expect(orderProblems(portal.accepted)).toEqual([]);
    expect(portal.accepted.filter((e) => e.taskId === a.id).map((e) => e.type)).toEqual(['task.created', 'task.updated', 'task.closed']);
    expect(portal.accepted.filter((e) => e.taskId === b.id).map((e) => e.type)).toEqual(['task.created', 'task.closed', 'task.reopened']);
    expect(await outbox.status()).toMatchObject({ pending: 0, delivered: 6, dead: 0, oldestUndeliveredAt: null });

    // The portal's answer is kept and shown, and subscribers hear of it; it is not sent back.
    expect(await eventually(async () => (await t.task(a.id)).portalTaskId === `P-${a.id}`)).toBe(true);
    expect(await t.task(b.id)).toMatchObject({ portalTaskId: `P-${b.id}`, portalUrl: `http://portal.test/tasks/P-${b.id}` });
    expect(s.events.some((e) => e.type === 'taskChanged' && e.task.id === a.id && e.task.portalTaskId === `P-${a.id}`)).toBe(true);
    expect((await outbox.status()).delivered).toBe(6);

    // A new event is sent at once, without waiting for a poll.
    await t.updateTask(actor, b.id, { title: 'Renamed' });
    expect(await eventually(() => portal.accepted.length === 7, 10_000, 5)).toBe(true);
    expect(portal.accepted[6]).toMatchObject({ taskId: b.id, sequence: 4, type: 'task.updated' });

  });

  it('sends a task written during a claim at once while another request is still in flight', async () => {
    const s = await sim(kind);
    // Accepts each event and never answers: a request stays in flight for the whole test.
    const portal = await receiver('acceptThenHang');
    const { ids, chatKey } = await messagesOf(s, 2);
    const outbox = new PortalOutbox({ db: s.store.db, dialect: s.store.kind, writer: s.daemon.writer, tasks: s.daemon.tasks, now: s.daemon.now, logger: s.logger, retry: FAST });
    const delivery = new PortalDelivery({ outbox, url: portal.url, secret: SECRET, logger: s.logger, concurrency: 2, timeoutMs: 30_000, pollMs: 60_000 });
    cleanups.push(() => delivery.stop(0));
    const claim = outbox.claim.bind(outbox);
    let claims = 0;
    outbox.claim = async (limit, leaseMs) => {
      const got = await claim(limit, leaseMs);
      // The second claim runs with the first task's request in flight: a task written now woke nobody.
      if (++claims === 2) await s.daemon.tasks.createTask(actor, { chatKey, messageIds: [ids[1]!], title: 'Second' });
      return got;
    };
    await s.daemon.tasks.createTask(actor, { chatKey, messageIds: [ids[0]!], title: 'First' });
    delivery.start();
    expect(await eventually(() => portal.accepted.length === 2, 10_000, 5)).toBe(true);
    expect(portal.accepted.map((e) => (e.body as { task: { title: string } }).task.title)).toEqual(['First', 'Second']);
  });

  it('stops at once, and hears a write at once, even when they come while it reads the outbox', async () => {
    const s = await sim(kind);
    const portal = await receiver('ok');
    const { ids, chatKey } = await messagesOf(s, 2);
    // A poll far longer than the test: only a wake-up that is not lost can deliver or stop in time.
    const { outbox, delivery } = deliveryFor(s, portal.url, { pollMs: 60_000 });
    const read = outbox.nextDueAfter.bind(outbox);
    let during: (() => Promise<unknown>) | null = null;
    outbox.nextDueAfter = async () => {
      const due = await read();
      const act = during;
      during = null;
      await act?.();
      return due;
    };
    // A task written while the idle loop reads the outbox is still sent at once.
    during = () => s.daemon.tasks.createTask(actor, { chatKey, messageIds: [ids[0]!] });
    delivery.start();
    expect(await eventually(() => portal.accepted.length === 1, 10_000, 5)).toBe(true);
    // So is a stop: it does not wait out the poll (a daemon's shutdown waits for it).
    const stopping = Date.now();
    let stopped: Promise<void> | null = null;
    during = async () => {
      stopped = delivery.stop();
    };
    // Sent and idle by now, or soon: a wake-up makes it read the outbox again.
    delivery.wake();
    expect(await eventually(() => stopped !== null, 10_000, 5)).toBe(true);
    await stopped;
    expect(Date.now() - stopping).toBeLessThan(10_000);
  });

  it('retries 5xx with backoff and honours Retry-After; a refusal is a dead letter that holds its task\'s later events until retried', async () => {
    const s = await sim(kind);
    const portal = await receiver({ status: 400 });
    const { ids, chatKey } = await messagesOf(s, 4);
    const t = s.daemon.tasks;
    const a = await t.createTask(actor, { chatKey, messageIds: [ids[0]!] });
    const { outbox, delivery } = deliveryFor(s, portal.url);
    delivery.start();
    expect(await eventually(async () => (await outbox.status()).dead === 1, 5_000)).toBe(true);
    const [dead] = (await outbox.list({ state: 'dead', first: 10 })).nodes;
    expect(dead).toMatchObject({ taskId: Number(a.id), seq: 1, state: 'dead', attempts: 1, lastStatus: 400 });
    expect(dead!.lastError).toContain('HTTP 400');

    // The portal is fixed; task a's close waits behind its dead letter while task b goes through.
    await portal.setMode('ok');
    await t.closeTask(actor, a.id);
    const b = await t.createTask(actor, { chatKey, messageIds: [ids[1]!] });
    expect(await eventually(() => portal.accepted.some((e) => e.taskId === b.id), 5_000)).toBe(true);
    await new Promise((r) => setTimeout(r, 200));
    expect(portal.accepted.filter((e) => e.taskId === a.id)).toEqual([]);
    expect((await outbox.list({ state: 'pending', taskId: a.id, first: 10 })).nodes.map((e) => e.seq)).toEqual([2]);

    // Retried by hand (as `retryPortalDeliveries` does): both go, in order.
    const retried = await outbox.retry(actor, [String(dead!.id)]);
    expect(retried.map((r) => r.id)).toEqual([dead!.id]);
    expect(await eventually(() => portal.accepted.filter((e) => e.taskId === a.id).length === 2, 5_000)).toBe(true);
    expect(portal.accepted.filter((e) => e.taskId === a.id).map((e) => e.sequence)).toEqual([1, 2]);
    expect((await s.daemon.audit.list({ limit: 5 })).some((e) => e.action === 'retryPortalDeliveries')).toBe(true);

    // 503 with Retry-After: the wait follows the portal (1 s), not the short backoff (at most 200 ms).
    await portal.setMode({ status: 503, retryAfterS: 1 });
    await t.updateTask(actor, b.id, { title: 'Busy portal' });
    expect(await eventually(() => portal.attempts.filter((x) => x.mode === 'status503').length >= 2, 5_000)).toBe(true);
    const busy = portal.attempts.filter((x) => x.mode === 'status503');
    expect(busy[1]!.at - busy[0]!.at).toBeGreaterThanOrEqual(900);
    expect(await eventually(async () => ((await outbox.list({ state: 'pending', first: 1 })).nodes[0]?.attempts ?? 0) >= 2)).toBe(true);
    expect((await outbox.list({ state: 'pending', first: 1 })).nodes[0]).toMatchObject({ lastStatus: 503, state: 'pending' });
    // Plain 500s back off quickly (FAST: 20 ms doubling up to 200 ms).
    await portal.setMode('error500');
    const before500 = portal.attempts.length;
    expect(await eventually(() => portal.attempts.length - before500 >= 4, 5_000)).toBe(true);
    await portal.setMode('ok');
    expect(await eventually(async () => (await outbox.status()).pending === 0, 5_000)).toBe(true);
    expect(orderProblems(portal.accepted)).toEqual([]);
  });
});

describe('commands from the portal, on the API port', () => {
  let api: ApiServer | null = null;
  afterEach(async () => {
    await api?.close();
    api = null;
  });

  it('applies a signed command; a bad signature or an old timestamp gets 401 and changes nothing; a replay is applied once', async () => {
    const s = await sim();
    const connector = createPortalConnector({ daemon: s.daemon, url: null, secret: SECRET, logger: createMemoryLogger('warn') });
    api = await startApiServer({ daemon: s.daemon, logger: createMemoryLogger('warn'), host: '127.0.0.1', port: 0, routes: connector.routes });
    const url = `${api.url}${PORTAL_COMMANDS_PATH}`;
    const { ids, chatKey } = await messagesOf(s, 2);
    const task = await s.daemon.tasks.createTask(actor, { chatKey, messageIds: [ids[0]!] });

    const post = (body: string, headers: Record<string, string> = signedHeaders(SECRET, body, Date.now())) =>
      fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, unknown> }));
    // Other features publish events on timers of their own: count what a command would change.
    const state = async () => ({
      task: await s.daemon.tasks.task(task.id),
      events: s.events.filter((e) => e.type === 'taskChanged').length,
      outbox: (await s.daemon.portalOutbox.status()).pending,
      audit: (await s.daemon.audit.list({ limit: 50 })).filter((e) => e.action.endsWith('Task')).length,
      inbound: Number((await s.store.db.selectFrom('portal_inbound').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n),
    });
    const close = JSON.stringify({ id: 'portal-req-1', type: 'task.close', taskId: task.id, by: { name: 'Olga (portal)' } });

    const before = await state();
    expect(await post(close, { 'x-tgdesk-timestamp': String(Math.floor(Date.now() / 1000)), 'x-tgdesk-signature': signature('wrong-secret', Math.floor(Date.now() / 1000), close) })).toMatchObject({
      status: 401,
      body: { ok: false, error: { code: 'UNAUTHENTICATED' } },
    });
    expect(await post(close, signedHeaders(SECRET, close, Date.now() - 10 * 60_000))).toMatchObject({ status: 401 });
    expect(await post(close, {})).toMatchObject({ status: 401 });
    const tampered = close.replace('task.close', 'task.reopen');
    expect(await post(tampered, signedHeaders(SECRET, close, Date.now()))).toMatchObject({ status: 401 });
    expect(await state()).toEqual(before);

    const ok = await post(close);
    expect(ok).toMatchObject({ status: 200, body: { ok: true, applied: true, task: { id: task.id, status: 'closed' } } });
    expect(await s.daemon.tasks.task(task.id)).toMatchObject({ status: 'closed', closedBy: { name: 'Olga (portal)', source: 'portal', userId: null } });
    expect(s.daemon.queries.dialog(s.demo.accounts.find((a) => s.daemon.model.accountChats.get(a.accountId)?.has(chatKey))!.accountId, chatKey, null)!.openTaskCount).toBe(0);
    // The same request again (a retry after a lost answer): applied once.
    const again = await post(close);
    expect(again).toMatchObject({ status: 200, body: { ok: true, applied: false } });
    // Not echoed back to the portal.
    expect((await s.daemon.portalOutbox.list({ state: null, taskId: task.id, first: 10 })).nodes.map((e) => e.type)).toEqual(['task.created']);

    const update = JSON.stringify({ id: 'portal-req-2', type: 'task.update', taskId: task.id, title: 'From the portal', assigneeId: null });
    expect(await post(update)).toMatchObject({ status: 200, body: { task: { title: 'From the portal', assigneeId: null } } });
    expect(await post(JSON.stringify({ id: 'portal-req-3', type: 'task.close', taskId: '99999' }))).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND' } } });
    expect(await post(JSON.stringify({ id: 'portal-req-4', type: 'task.explode', taskId: task.id }))).toMatchObject({ status: 400, body: { error: { code: 'BAD_USER_INPUT' } } });
    expect(await post(JSON.stringify({ id: 'portal-req-5', type: 'task.update', taskId: task.id, title: 'x'.repeat(201) }))).toMatchObject({ status: 400 });
    expect(await post('not json')).toMatchObject({ status: 400 });
    expect((await fetch(url)).status).toBe(405);
    // The route sits beside GraphQL and counts in the metrics like it.
    expect(await (await fetch(`${api.url}/healthz`)).text()).toBe('ok\n');
  });
});
