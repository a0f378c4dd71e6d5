/**
 * Issue 6 through the GraphQL API, over real HTTP and WebSocket as the portal and the NOC wall
 * call it: createTask and markMessageAsTask, `Message.tasks` in history, `Dialog.openTaskCount`,
 * tasks and task queries, closeTask twice, resolveLink, the `taskChanged` subscription (graphql-ws
 * and SSE) and the task event in `events`, portal deliveries and their roles, and typed errors.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sseSubscribe, wsClient } from './helpers/api-clients.ts';
import { supportChat } from './helpers/api-fixtures.ts';
import { startApiHarness, type ApiHarness } from './helpers/api-harness.ts';

let h: ApiHarness;
beforeAll(async () => {
  h = await startApiHarness();
});
afterAll(async () => {
  await h?.dispose();
});

const TASK_FIELDS = 'id title description status chat { id title } assignee { id name } createdBy { user { id } name source } createdAt closedBy { name source } closedAt link telegramLink tgdeskLink anchorMessageId messageIds messages { id sender { id name } date text contentKind } portalTaskId portalUrl version';

interface TaskJson {
  id: string;
  title: string;
  status: string;
  chat: { id: string };
  closedBy: { name: string; source: string } | null;
  link: string;
  tgdeskLink: string;
  messageIds: string[];
  messages: { id: string; text: string }[];
  version: number;
}

async function history(chatId: string) {
  const r = await h.gql<{ messages: { blocks: { messages: { id: string; text: string; isService: boolean; tasks: { id: string; status: string }[] }[] }[] } }>(
    'query ($c: ID!) { messages(chatId: $c, first: 40) { blocks { messages { id text isService tasks { id status } } } } }',
    { c: chatId },
  );
  expect(r.body.errors).toBeUndefined();
  return r.body.data!.messages.blocks.flatMap((b) => b.messages).filter((m) => !m.isService && m.text);
}

describe('tasks over GraphQL', () => {
  it('creates a task from selected messages, highlights them, counts it on the dialog, and closes it idempotently', async () => {
    const chat = supportChat(h, 0);
    const before = await history(chat.chatId);
    const picked = [before[3]!.id, before[1]!.id];
    const created = await h.gql<{ createTask: TaskJson }>(`mutation ($c: ID!, $m: [ID!]!) { createTask(chatId: $c, messageIds: $m, description: "from the API") { ${TASK_FIELDS} } }`, { c: chat.chatId, m: picked });
    expect(created.body.errors).toBeUndefined();
    const task = created.body.data!.createTask;
    expect(task).toMatchObject({ status: 'OPEN', chat: { id: chat.chatId }, closedBy: null, version: 1 });
    expect([...task.messageIds].sort()).toEqual([...picked].sort());
    expect(task.messages.map((m) => m.id)).toEqual(task.messageIds);
    expect(task.title.length).toBeGreaterThan(0);

    // Message.tasks: the selected messages carry the task, the others nothing.
    const after = await history(chat.chatId);
    for (const m of after) expect(m.tasks.map((t) => t.id)).toEqual(picked.includes(m.id) ? [task.id] : []);

    const dialog = async () =>
      (await h.gql<{ dialog: { openTaskCount: number } }>('query ($a: ID!, $c: ID!) { dialog(accountId: $a, chatId: $c) { openTaskCount } }', { a: chat.accountId, c: chat.chatId })).body.data!.dialog.openTaskCount;
    const open0 = await dialog();
    expect(open0).toBeGreaterThanOrEqual(1);

    const close = `mutation ($t: ID!) { closeTask(id: $t) { status closedBy { name source } closedAt version } }`;
    const c1 = await h.gql<{ closeTask: { status: string; version: number } }>(close, { t: task.id });
    expect(c1.body.data!.closeTask).toMatchObject({ status: 'CLOSED', closedBy: { source: 'TGDESK' }, version: 2 });
    const c2 = await h.gql<{ closeTask: { status: string; version: number } }>(close, { t: task.id });
    expect(c2.body.errors).toBeUndefined();
    expect(c2.body.data!.closeTask).toEqual(c1.body.data!.closeTask);
    expect(await dialog()).toBe(open0 - 1);

    // Queries: one task, lists with filters and pages, the link resolved.
    const one = await h.gql<{ task: { id: string; status: string } }>('query ($t: ID!) { task(id: $t) { id status } }', { t: task.id });
    expect(one.body.data!.task).toEqual({ id: task.id, status: 'CLOSED' });
    const list = await h.gql<{ tasks: { totalCount: number; nodes: { id: string }[]; edges: { cursor: string }[]; pageInfo: { hasNextPage: boolean; endCursor: string } } }>(
      'query ($c: ID!) { tasks(chatId: $c, status: CLOSED, first: 1) { totalCount nodes { id } edges { cursor } pageInfo { hasNextPage endCursor } } }',
      { c: chat.chatId },
    );
    expect(list.body.data!.tasks).toMatchObject({ totalCount: 1, nodes: [{ id: task.id }], pageInfo: { hasNextPage: false, endCursor: task.id } });
    const resolved = await h.gql<{ resolveLink: { chat: { id: string }; messageId: string } | null }>('query ($l: String!) { resolveLink(link: $l) { chat { id } messageId } }', { l: task.tgdeskLink });
    expect(resolved.body.data!.resolveLink).toEqual({ chat: { id: chat.chatId }, messageId: task.messageIds[0] });
  });

  it('gives typed errors for bad input: unknown and foreign messages, empty selection, long text, unknown task', async () => {
    const chat = supportChat(h, 0);
    const other = supportChat(h, 1);
    const mine = (await history(chat.chatId))[0]!.id;
    const theirs = (await history(other.chatId))[0]!.id;
    const code = async (query: string, variables: Record<string, unknown>) => {
      const r = await h.gql(query, variables);
      expect(r.body.data ?? null).toBeNull();
      return r.body.errors?.[0]?.extensions?.['code'];
    };
    const create = 'mutation ($c: ID!, $m: [ID!]!, $t: String) { createTask(chatId: $c, messageIds: $m, title: $t) { id } }';
    const count = async () => (await h.gql<{ tasks: { totalCount: number } }>('{ tasks { totalCount } }')).body.data!.tasks.totalCount;
    const n = await count();
    expect(await code(create, { c: chat.chatId, m: [] })).toBe('BAD_USER_INPUT');
    expect(await code(create, { c: chat.chatId, m: [mine, '888888888'] })).toBe('NOT_FOUND');
    expect(await code(create, { c: chat.chatId, m: [mine, theirs] })).toBe('BAD_USER_INPUT');
    expect(await code(create, { c: chat.chatId, m: [mine], t: 'T'.repeat(201) })).toBe('BAD_USER_INPUT');
    expect(await code('mutation { closeTask(id: "424242") { id } }', {})).toBe('NOT_FOUND');
    expect(await code('query { tasks(first: 1000) { totalCount } }', {})).toBe('BAD_USER_INPUT');
    expect(await count()).toBe(n);
  });

  it('streams task changes over graphql-ws and SSE, and as TaskChangedEvent in events', async () => {
    const chat = supportChat(h, 2);
    // graphql-ws tells no client when a subscription is in place: these start from the current
    // seq, so a change made before they are live still reaches them. SSE answers once it is live.
    const from = h.sim.daemon.bus.lastSeq;
    const ws = wsClient(h.wsUrl, h.tokens.viewer);
    const wsSub = ws.subscribe<{ taskChanged: { seq: number; change: string; task: { id: string; status: string; chat: { id: string } } } }>(
      'subscription ($c: ID, $after: Int) { taskChanged(chatId: $c, after: $after) { seq change task { id status chat { id } } } }',
      { c: chat.chatId, after: from },
    );
    const sse = sseSubscribe<{ taskChanged: { change: string; task: { id: string } } }>(h.graphqlUrl, h.tokens.integration, 'subscription { taskChanged { change task { id } } }');
    const events = ws.subscribe<{ events: { __typename: string; chatId?: string; change?: string; task?: { id: string } } }>(
      'subscription ($after: Int) { events(after: $after) { __typename ... on TaskChangedEvent { chatId change task { id status } } } }',
      { after: from },
    );
    expect(await sse.status).toBe(200);

    const m = (await history(chat.chatId))[0]!.id;
    const made = await h.gql<{ markMessageAsTask: { id: string } }>('mutation ($c: ID!, $m: ID!) { markMessageAsTask(chatId: $c, messageId: $m) { id } }', { c: chat.chatId, m }, { token: h.tokens.admin });
    const id = made.body.data!.markMessageAsTask.id;
    // The portal (integration role) closes it through the API.
    await h.gql('mutation ($t: ID!) { closeTask(id: $t) { id } }', { t: id }, { token: h.tokens.integration });

    const created = await wsSub.inbox.waitFor((r) => r.data?.taskChanged.task.id === id && r.data.taskChanged.change === 'CREATED');
    expect(created.data!.taskChanged.task).toEqual({ id, status: 'OPEN', chat: { id: chat.chatId } });
    await wsSub.inbox.waitFor((r) => r.data?.taskChanged.task.id === id && r.data.taskChanged.change === 'CLOSED');
    await sse.inbox.waitFor((r) => r.data?.taskChanged.task.id === id && r.data.taskChanged.change === 'CLOSED');
    const e = await events.inbox.waitFor((r) => r.data?.events.__typename === 'TaskChangedEvent' && r.data.events.task?.id === id);
    expect(e.data!.events).toMatchObject({ chatId: chat.chatId, change: 'CREATED' });

    // Resume after a seq: the close is replayed.
    const seq = created.data!.taskChanged.seq;
    const resumed = ws.subscribe<{ taskChanged: { change: string; task: { id: string } } }>('subscription ($after: Int) { taskChanged(after: $after) { change task { id } } }', { after: seq });
    const replayed = await resumed.inbox.waitFor((r) => r.data?.taskChanged.task.id === id);
    expect(replayed.data!.taskChanged.change).toBe('CLOSED');

    wsSub.stop();
    events.stop();
    resumed.stop();
    sse.stop();
    await ws.dispose();
  });

  it('shows portal deliveries and their state to admins, managers and the portal, not to the wall', async () => {
    const status = await h.gql<{ portalStatus: { pending: number; delivered: number; dead: number; oldestUndeliveredAt: string | null } }>('{ portalStatus { pending delivered dead oldestUndeliveredAt } }');
    expect(status.body.errors).toBeUndefined();
    // No portal is configured in this harness: every event waits.
    expect(status.body.data!.portalStatus.pending).toBeGreaterThan(0);
    expect(status.body.data!.portalStatus.oldestUndeliveredAt).not.toBeNull();
    type Deliveries = { portalDeliveries: { nodes: { idempotencyKey: string; sequence: number; type: string; state: string; body: { id: string; task: { id: string } } }[] } };
    const deliveries = '{ portalDeliveries(state: PENDING, first: 5) { nodes { id idempotencyKey taskId sequence type state attempts nextAttemptAt createdAt body } pageInfo { hasNextPage endCursor } } }';
    const list = await h.gql<Deliveries>(deliveries, undefined, { token: h.tokens.integration });
    expect(list.body.errors).toBeUndefined();
    const first = list.body.data!.portalDeliveries.nodes[0]!;
    expect(first).toMatchObject({ state: 'PENDING' });
    expect(first.body.id).toBe(first.idempotencyKey);
    const asAdmin = await h.gql<Deliveries>(deliveries, undefined, { token: h.tokens.admin });
    expect(asAdmin.body.errors).toBeUndefined();
    expect(asAdmin.body.data!.portalDeliveries.nodes.map((n) => n.idempotencyKey)).toEqual(list.body.data!.portalDeliveries.nodes.map((n) => n.idempotencyKey));
    const denied = await h.gql('{ portalDeliveries { nodes { id } } }', undefined, { token: h.tokens.viewer });
    expect(denied.body.errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');
    const none = await h.gql<{ retryPortalDeliveries: unknown[] }>('mutation { retryPortalDeliveries { id } }');
    expect(none.body.data!.retryPortalDeliveries).toEqual([]);
  });
});
