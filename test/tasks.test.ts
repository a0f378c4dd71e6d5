/**
 * Issue 6, tasks on the simulated support company, on SQLite and PostgreSQL: creating a task
 * from messages (snapshot, derived title, links in supergroups and basic groups), the outbox row
 * written with it, `Dialog.openTaskCount` and `Message.tasks`, closing (idempotent), reopening
 * and changing, commands from the portal (replays change nothing), the test of record with
 * tasks, bad input leaving the store untouched, and the optional reaction on the messages.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Actor } from '../src/app/actions.ts';
import { Tasks } from '../src/app/tasks.ts';
import { readClientStateFromStore } from '../src/app/team-model.ts';
import { DomainError } from '../src/domain/errors.ts';
import { applyDomainEvents, type ClientState } from '../src/domain/events.ts';
import { TASK_LIMITS } from '../src/domain/tasks.ts';
import { settle, startSimDaemon, type SimDaemon } from './helpers/sim-daemon.ts';
import { STORE_KINDS } from './helpers/stores.ts';

let sims: SimDaemon[] = [];
afterEach(async () => {
  await Promise.all(sims.map((s) => s.dispose()));
  sims = [];
});

async function start(options: Parameters<typeof startSimDaemon>[0] = {}): Promise<SimDaemon> {
  const sim = await startSimDaemon(options);
  sims.push(sim);
  return sim;
}

function member(sim: SimDaemon, i = 0): Actor {
  const m = sim.demo.company.accounts[i]!;
  return { label: `token:test-${i}`, memberUserId: m.userId };
}

/** A client chat of the given Telegram kind that account `i` is in, and its newest messages. */
async function chatOf(sim: SimDaemon, kind: 'supergroup' | 'basicGroup', i = 0) {
  const userId = sim.demo.company.accounts[i]!.userId;
  const chat = sim.demo.company.clientChats.find((c) => c.kind === kind && c.teamIds.includes(userId))!;
  const chatKey = String(chat.chatId);
  const history = await sim.daemon.queries.history({ chatKey, first: 30 });
  return { chat, chatKey, messages: history.filter((m) => !m.isService && m.text.length > 0) };
}

/**
 * What a task action writes: its tables, its audit entries and its events. Other features (the
 * overdue clock, duty, alerts) write events of their own on timers, so those are left out.
 */
async function counts(sim: SimDaemon) {
  const db = sim.store.db;
  const n = async (table: 'tasks' | 'task_messages' | 'outbox' | 'portal_inbound') => Number((await db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
  const events = Number((await db.selectFrom('events').select((eb) => eb.fn.countAll<number>().as('n')).where('type', '=', 'taskChanged').executeTakeFirstOrThrow()).n);
  const audit = Number((await db.selectFrom('audit_log').select((eb) => eb.fn.countAll<number>().as('n')).where('action', 'like', '%Task%').executeTakeFirstOrThrow()).n);
  return { tasks: await n('tasks'), taskMessages: await n('task_messages'), outbox: await n('outbox'), inbound: await n('portal_inbound'), events, audit };
}

/** Events a task action publishes: its own, and the dialog rows whose open-task count it moved. */
function taskEvents(sim: SimDaemon): number {
  return sim.events.filter((e) => e.type === 'taskChanged' || (e.type === 'dialogChanged' && e.dialog.openTaskCount > 0)).length;
}

async function outboxOf(sim: SimDaemon, taskId: string) {
  return (await sim.daemon.portalOutbox.list({ state: null, taskId, first: 100 })).nodes.slice().reverse();
}

function comparable(state: ClientState) {
  const dialogs = [...state.dialogs].map(([account, rows]) => [account, [...rows].sort(([a], [b]) => a.localeCompare(b))] as const).sort(([a], [b]) => a.localeCompare(b));
  return { dialogs, summary: state.teamSummary };
}

async function rejects(p: Promise<unknown>, code: string): Promise<DomainError> {
  const error = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DomainError);
  expect((error as DomainError).code).toBe(code);
  return error as DomainError;
}

describe.each(STORE_KINDS)('tasks on %s', (kind) => {
  it('creates a task from messages of a supergroup: snapshot, derived title, Telegram link, outbox, counts and highlights', async () => {
    const sim = await start({ kind });
    const { chatKey, messages } = await chatOf(sim, 'supergroup');
    const picked = [messages[4]!, messages[1]!, messages[2]!];
    const from = sim.events.length;
    const task = await sim.daemon.tasks.createTask(member(sim), { chatKey, messageIds: picked.map((m) => String(m.id)) });

    // Chronological whatever the selection order; the first message names the task.
    const chrono = [...picked].sort((a, b) => a.sortKey - b.sortKey);
    expect(task.messageIds).toEqual(chrono.map((m) => m.id));
    expect(task.anchorMessageId).toBe(chrono[0]!.id);
    expect(task.title.length).toBeGreaterThan(0);
    expect(task.title.length).toBeLessThanOrEqual(TASK_LIMITS.derivedTitleMax);
    expect(chrono[0]!.text.replace(/\s+/g, ' ')).toContain(task.title.replace(/…$/, ''));
    expect(task.status).toBe('open');
    expect(task.createdBy).toEqual({ userId: sim.demo.company.accounts[0]!.userId, name: expect.any(String), source: 'tgdesk' });
    expect(task.telegramLink).toMatch(/^https:\/\/t\.me\/c\/\d+\/\d+$/);
    expect(task.link).toBe(task.telegramLink);
    expect(task.tgdeskLink).toBe(`tgdesk://chat/${encodeURIComponent(chatKey)}/message/${chrono[0]!.id}`);
    // Both links lead back to the message.
    expect(await sim.daemon.tasks.resolveLink(task.link)).toEqual({ chatKey, messageId: chrono[0]!.id });
    expect(await sim.daemon.tasks.resolveLink(task.tgdeskLink)).toEqual({ chatKey, messageId: chrono[0]!.id });

    const snapshot = await sim.daemon.tasks.taskMessages(task.id);
    expect(snapshot.map((m) => [m.messageId, m.text, m.senderName, m.sentAt])).toEqual(chrono.map((m) => [m.id, m.text, m.sender.name, m.date * 1000]));

    // The portal event is in the outbox, written with the task.
    const [event] = await outboxOf(sim, task.id);
    expect(event).toMatchObject({ seq: 1, type: 'task.created', state: 'pending', idempotencyKey: `tgdesk-task-${task.id}-1` });
    const body = JSON.parse(event!.body);
    expect(body).toMatchObject({ id: `tgdesk-task-${task.id}-1`, type: 'task.created', sequence: 1, task: { id: task.id, status: 'open', title: task.title, link: task.link } });
    expect(body.task.messages.map((m: { text: string }) => m.text)).toEqual(chrono.map((m) => m.text));

    // Every account that sees the chat counts the open task; subscribers were told.
    for (const [accountId, rows] of sim.daemon.model.accountChats) if (rows.has(chatKey)) expect(sim.daemon.queries.dialog(accountId, chatKey, null)!.openTaskCount).toBe(1);
    const published = sim.events.slice(from);
    expect(published.find((e) => e.type === 'taskChanged')).toMatchObject({ chatKey, change: 'created', task: { id: task.id } });
    expect(published.some((e) => e.type === 'dialogChanged' && e.dialog.chatKey === chatKey && e.dialog.openTaskCount === 1)).toBe(true);

    // Message.tasks: each selected message knows its task, the others none.
    const byMessage = await sim.daemon.tasks.tasksOfMessages(messages.map((m) => m.id));
    for (const m of messages) expect((byMessage.get(m.id) ?? []).map((t) => t.id)).toEqual(picked.includes(m) ? [task.id] : []);
  });

  it('links a basic-group task with the tgdesk link, which resolves to the chat and message', async () => {
    const sim = await start({ kind });
    const { chatKey, messages } = await chatOf(sim, 'basicGroup');
    const task = await sim.daemon.tasks.markMessageAsTask(member(sim), chatKey, String(messages[0]!.id));
    expect(task.telegramLink).toBeNull();
    expect(task.link).toBe(task.tgdeskLink);
    expect(await sim.daemon.tasks.resolveLink(task.link)).toEqual({ chatKey, messageId: messages[0]!.id });
    // Telegram has no links there, so it is not even asked.
    expect(sim.demo.world.callLog({ method: 'getMessageLink' }).filter((c) => (c.request as { chat_id: number }).chat_id === Number(chatKey))).toHaveLength(0);
    await rejects(sim.daemon.tasks.resolveLink('https://example.com/x'), 'BAD_USER_INPUT');
    expect(await sim.daemon.tasks.resolveLink(`tgdesk://chat/${chatKey}/message/999999999`)).toBeNull();
  });

  it('closes (idempotently), reopens and changes a task; each change is one portal event in order', async () => {
    const sim = await start({ kind });
    const { chatKey, messages } = await chatOf(sim, 'supergroup');
    const task = await sim.daemon.tasks.createTask(member(sim), { chatKey, messageIds: [String(messages[0]!.id)], title: '  Disk   full on\ndb-2 ', description: 'check backups' });
    expect(task.title).toBe('Disk full on db-2');
    const assignee = sim.demo.company.team.find((m) => m.role === 'admin')!.userId;

    const updated = await sim.daemon.tasks.updateTask(member(sim), task.id, { assigneeId: assignee, title: 'Disk full on db-2 (prod)' });
    expect(updated).toMatchObject({ assigneeId: assignee, title: 'Disk full on db-2 (prod)', version: 2 });
    const closed = await sim.daemon.tasks.closeTask(member(sim, 1), task.id);
    expect(closed).toMatchObject({ status: 'closed', closedBy: { userId: sim.demo.company.accounts[1]!.userId, source: 'tgdesk' }, version: 3 });
    expect(closed.closedAt).toBeGreaterThan(0);
    expect(sim.daemon.queries.dialog(sim.demo.accounts[0]!.accountId, chatKey, null)!.openTaskCount).toBe(0);

    // Closing again: no error, nothing written, nothing published.
    const before = await counts(sim);
    const eventsBefore = taskEvents(sim);
    expect(await sim.daemon.tasks.closeTask(member(sim), task.id)).toEqual(closed);
    // The same values again are no change either.
    expect(await sim.daemon.tasks.updateTask(member(sim), task.id, { title: 'Disk full on db-2 (prod)', assigneeId: assignee })).toEqual(closed);
    expect(await counts(sim)).toEqual(before);
    expect(taskEvents(sim)).toBe(eventsBefore);

    const reopened = await sim.daemon.tasks.reopenTask(member(sim), task.id);
    expect(reopened).toMatchObject({ status: 'open', closedBy: null, closedAt: null, version: 4 });
    expect(sim.daemon.queries.dialog(sim.demo.accounts[0]!.accountId, chatKey, null)!.openTaskCount).toBe(1);
    const unassigned = await sim.daemon.tasks.updateTask(member(sim), task.id, { assigneeId: null });
    expect(unassigned.assigneeId).toBeNull();

    const outbox = await outboxOf(sim, task.id);
    expect(outbox.map((e) => [e.seq, e.type])).toEqual([
      [1, 'task.created'],
      [2, 'task.updated'],
      [3, 'task.closed'],
      [4, 'task.reopened'],
      [5, 'task.updated'],
    ]);
    expect(outbox.map((e) => JSON.parse(e.body).task.version)).toEqual([1, 2, 3, 4, 5]);
    expect(JSON.parse(outbox[1]!.body).task.assignee).toEqual({ id: String(assignee), name: expect.any(String) });
    expect(sim.events.filter((e) => e.type === 'taskChanged').map((e) => (e as { change: string }).change)).toEqual(['created', 'updated', 'closed', 'reopened', 'updated']);
    const actions = (await sim.daemon.audit.list({ limit: 10 })).map((a) => a.action);
    expect(actions).toEqual(expect.arrayContaining(['createTask', 'updateTask', 'closeTask', 'reopenTask']));

    // Listing and filters.
    const other = await sim.daemon.tasks.createTask(member(sim), { chatKey, messageIds: [String(messages[1]!.id)] });
    await sim.daemon.tasks.closeTask(member(sim), other.id);
    expect((await sim.daemon.tasks.tasks({ first: 10 })).nodes.map((t) => t.id)).toEqual([other.id, task.id]);
    expect((await sim.daemon.tasks.tasks({ first: 10, status: 'open' })).nodes.map((t) => t.id)).toEqual([task.id]);
    expect((await sim.daemon.tasks.tasks({ first: 10, chatKey: 'nope' })).totalCount).toBe(0);
    const page1 = await sim.daemon.tasks.tasks({ first: 1 });
    expect(page1).toMatchObject({ totalCount: 2, hasNextPage: true, endCursor: other.id });
    expect((await sim.daemon.tasks.tasks({ first: 1, after: page1.endCursor })).nodes.map((t) => t.id)).toEqual([task.id]);
  });

  it('refuses bad input with a typed error and leaves the store as it was', async () => {
    const sim = await start({ kind });
    const { chatKey, messages } = await chatOf(sim, 'supergroup');
    const elsewhere = await chatOf(sim, 'basicGroup');
    const ok = String(messages[0]!.id);
    const task = await sim.daemon.tasks.createTask(member(sim), { chatKey, messageIds: [ok] });
    const before = await counts(sim);
    const eventsBefore = taskEvents(sim);
    const openBefore = new Map(sim.daemon.model.openTasks);
    const t = sim.daemon.tasks;
    const who = member(sim);

    await rejects(t.createTask(who, { chatKey, messageIds: [] }), 'BAD_USER_INPUT');
    const unknown = await rejects(t.createTask(who, { chatKey, messageIds: [ok, '987654321'] }), 'NOT_FOUND');
    expect(unknown.details).toMatchObject({ ids: ['987654321'] });
    const foreign = await rejects(t.createTask(who, { chatKey, messageIds: [ok, String(elsewhere.messages[0]!.id)] }), 'BAD_USER_INPUT');
    expect(foreign.message).toContain('another chat');
    await rejects(t.createTask(who, { chatKey, messageIds: ['12abc'] }), 'BAD_USER_INPUT');
    await rejects(t.createTask(who, { chatKey, messageIds: Array.from({ length: 101 }, (_, i) => String(i + 1)) }), 'BAD_USER_INPUT');
    await rejects(t.createTask(who, { chatKey, messageIds: [ok], title: 'x'.repeat(TASK_LIMITS.titleMax + 1) }), 'BAD_USER_INPUT');
    await rejects(t.createTask(who, { chatKey, messageIds: [ok], description: 'y'.repeat(TASK_LIMITS.descriptionMax + 1) }), 'BAD_USER_INPUT');
    await rejects(t.createTask(who, { chatKey: 'no-such-chat', messageIds: [ok] }), 'NOT_FOUND');
    await rejects(t.createTask(who, { chatKey, messageIds: [ok], assigneeId: 42 }), 'NOT_FOUND');
    await rejects(t.updateTask(who, task.id, { title: 'z'.repeat(TASK_LIMITS.titleMax + 1) }), 'BAD_USER_INPUT');
    await rejects(t.updateTask(who, task.id, { title: '   ' }), 'BAD_USER_INPUT');
    await rejects(t.closeTask(who, '999999'), 'NOT_FOUND');
    await rejects(t.closeTask(who, 'abc'), 'BAD_USER_INPUT');
    await rejects(t.reopenTask(who, '0'), 'BAD_USER_INPUT');

    expect(await counts(sim)).toEqual(before);
    expect(taskEvents(sim)).toBe(eventsBefore);
    expect(sim.daemon.model.openTasks).toEqual(openBefore);
  });

  it('applies portal commands once: a replayed request id changes nothing, and the portal is not told what it did', async () => {
    const sim = await start({ kind });
    const { chatKey, messages } = await chatOf(sim, 'supergroup');
    const task = await sim.daemon.tasks.createTask(member(sim), { chatKey, messageIds: [String(messages[0]!.id)] });
    await sim.daemon.tasks.recordPortalAnswer(Number(task.id), { portalTaskId: 'P-7', portalUrl: 'https://portal.example/tasks/P-7' });
    expect(await sim.daemon.tasks.task(task.id)).toMatchObject({ portalTaskId: 'P-7', portalUrl: 'https://portal.example/tasks/P-7', version: 2 });

    const admin = sim.demo.company.accounts[0]!.userId;
    const close = { id: 'req-1', type: 'task.close' as const, taskId: null, portalTaskId: 'P-7', by: { name: 'Ivan on the portal', userId: admin } };
    const r1 = await sim.daemon.tasks.applyPortalCommand(close);
    expect(r1).toMatchObject({ applied: true, task: { status: 'closed', closedBy: { name: 'Ivan on the portal', userId: admin, source: 'portal' } } });
    const after = await counts(sim);
    expect(await sim.daemon.tasks.applyPortalCommand(close)).toMatchObject({ applied: false, task: { status: 'closed' } });
    // A later reopen under the replayed id would be a replay too: nothing changes.
    expect(await sim.daemon.tasks.applyPortalCommand({ ...close, type: 'task.reopen' })).toMatchObject({ applied: false, task: { status: 'closed' } });
    expect(await counts(sim)).toEqual(after);

    const r2 = await sim.daemon.tasks.applyPortalCommand({ id: 'req-2', type: 'task.update', taskId: task.id, portalTaskId: null, by: null, title: 'Renamed on the portal', assigneeId: admin });
    expect(r2.task).toMatchObject({ title: 'Renamed on the portal', assigneeId: admin });
    await sim.daemon.tasks.applyPortalCommand({ id: 'req-3', type: 'task.reopen', taskId: task.id, portalTaskId: null, by: null });
    expect((await sim.daemon.tasks.task(task.id)).status).toBe('open');
    // Only tgdesk's own change went to the outbox.
    expect((await outboxOf(sim, task.id)).map((e) => e.type)).toEqual(['task.created']);
    await rejects(sim.daemon.tasks.applyPortalCommand({ ...close, id: 'req-4', portalTaskId: 'P-404' }), 'NOT_FOUND');
  });

  it('keeps the test of record with tasks: state before + published events == state read afresh, also after a restart', async () => {
    let offset = 0;
    const clock = () => Date.now() + offset;
    let sim = await start({ kind, clock });
    const team = { ...sim.demo.team, supportChatIds: [], otherChatIds: [], supportTitlePattern: null };
    // Nothing else may be published between reading "before" and the changes below.
    await settle(sim, 300);
    const before = await readClientStateFromStore(sim.store.db, team, clock());
    const from = sim.events.length;
    const a = await chatOf(sim, 'supergroup');
    const b = await chatOf(sim, 'basicGroup');
    const t1 = await sim.daemon.tasks.createTask(member(sim), { chatKey: a.chatKey, messageIds: [String(a.messages[0]!.id), String(a.messages[1]!.id)] });
    await sim.daemon.tasks.createTask(member(sim), { chatKey: a.chatKey, messageIds: [String(a.messages[2]!.id)] });
    const t3 = await sim.daemon.tasks.createTask(member(sim), { chatKey: b.chatKey, messageIds: [String(b.messages[0]!.id)] });
    await sim.daemon.tasks.closeTask(member(sim), t1.id);
    await sim.daemon.tasks.closeTask(member(sim), t3.id);
    await sim.daemon.tasks.reopenTask(member(sim), t3.id);
    offset += 1000;
    const applied = applyDomainEvents({ ...before, seq: 0 }, sim.events.slice(from).map((e, i) => ({ ...e, seq: i + 1 })));
    const fresh = await readClientStateFromStore(sim.store.db, team, clock());
    expect(comparable(applied)).toEqual(comparable(fresh));
    expect(sim.daemon.model.openTasks.get(a.chatKey)).toBe(1);
    expect(sim.daemon.model.openTasks.get(b.chatKey)).toBe(1);

    // A new process counts open tasks from the store.
    sim = await sim.restart();
    sims.push(sim);
    expect(sim.daemon.model.openTasks.get(a.chatKey)).toBe(1);
    expect(sim.daemon.queries.dialog(sim.demo.accounts[0]!.accountId, a.chatKey, null)?.openTaskCount).toBe(1);
  });
});

describe('task reactions (off by default)', () => {
  it('puts the configured reaction on the messages, swaps it when the task closes, and puts it back on reopen', async () => {
    const sim = await start({ kind: 'sqlite' });
    const d = sim.daemon;
    const { chatKey, messages } = await chatOf(sim, 'basicGroup');
    // Off by default: the daemon's own Tasks sets none.
    const plain = await d.tasks.createTask(member(sim), { chatKey, messageIds: [String(messages[0]!.id)] });
    await d.tasks.whenReactionsSettled();
    expect(sim.demo.world.callLog({ method: 'addMessageReaction' })).toHaveLength(0);
    await d.tasks.closeTask(member(sim), plain.id);

    const tasks = new Tasks({ db: sim.store.db, writer: d.writer, model: d.model, accounts: d.accounts, now: d.now, logger: sim.logger, config: { reaction: '📌', closedReaction: '✅' } });
    const picked = [messages[1]!, messages[2]!];
    const task = await tasks.createTask(member(sim), { chatKey, messageIds: picked.map((m) => String(m.id)) });
    await tasks.whenReactionsSettled();
    const actingUserId = sim.demo.company.accounts[0]!.userId;
    const world = sim.demo.world;
    type Req = { chat_id: number; message_id: number; reaction_type: { emoji: string } };
    /** What Telegram shows on the messages the calls were about: text and reactions. */
    const onMessages = (calls: readonly { request: unknown }[]) =>
      calls.map((c) => {
        const r = c.request as Req;
        const truth = world.allMessages().find((m) => m.chatIds[actingUserId] === r.chat_id && m.messageIds[actingUserId] === r.message_id)!;
        return { text: truth.text, reactions: Object.fromEntries(world.message(truth.key)!.reactions) };
      });
    const added = sim.demo.world.callLog({ method: 'addMessageReaction' });
    expect(added).toHaveLength(2);
    expect(added.every((c) => c.accountUserId === actingUserId && (c.request as Req).reaction_type.emoji === '📌')).toBe(true);
    // Every member of the chat sees it on exactly the task's messages.
    expect(onMessages(added)).toEqual(picked.map((m) => ({ text: m.text, reactions: { '📌': [actingUserId] } })));

    sim.demo.world.clearCalls();
    await tasks.closeTask(member(sim), task.id);
    await tasks.whenReactionsSettled();
    const removed = sim.demo.world.callLog({ method: 'removeMessageReaction' });
    expect(removed.map((c) => (c.request as { reaction_type: { emoji: string } }).reaction_type.emoji)).toEqual(['📌', '📌']);
    const swapped = sim.demo.world.callLog({ method: 'addMessageReaction' });
    expect(swapped.map((c) => (c.request as Req).reaction_type.emoji)).toEqual(['✅', '✅']);
    expect(onMessages(swapped).map((m) => m.reactions)).toEqual([{ '✅': [actingUserId] }, { '✅': [actingUserId] }]);

    sim.demo.world.clearCalls();
    await tasks.reopenTask(member(sim), task.id);
    await tasks.whenReactionsSettled();
    const back = sim.demo.world.callLog({ method: 'addMessageReaction' });
    expect(onMessages(back).map((m) => m.reactions)).toEqual([{ '📌': [actingUserId] }, { '📌': [actingUserId] }]);
  });
});
