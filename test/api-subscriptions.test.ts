/**
 * Subscriptions over real WebSocket (graphql-ws) and SSE against a daemon on the simulator:
 * changes caused by simulated Telegram traffic and by mutations reach both kinds of client,
 * `events(after:)` resumes across a daemon restart with nothing missed or repeated, and a gap
 * that is too old ends the stream with a typed RESYNC_REQUIRED error.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiHarness, type ApiHarness } from './helpers/api-harness.ts';
import { sseSubscribe, wsClient, type ExecutionResultLike } from './helpers/api-clients.ts';
import { clientWrites, supportChat } from './helpers/api-fixtures.ts';
import { eventually } from './helpers/sim-daemon.ts';

let h: ApiHarness;

/**
 * Waits until the server counts `added` more open subscriptions on `transport` than `before`:
 * a change published earlier than that would not reach them.
 */
async function registered(transport: 'ws' | 'sse', before: number, added: number): Promise<void> {
  expect(await eventually(() => h.api.metrics.subscriptions.value({ transport }) === before + added, 5000)).toBe(true);
}

beforeAll(async () => {
  h = await startApiHarness();
});

afterAll(async () => {
  await h?.dispose();
});

const DIALOG_CHANGED = `subscription ($a: ID!, $f: DialogFilter) {
  dialogChanged(accountId: $a, filter: $f) {
    seq accountId chatId matchesFilter totalCount unreadChatCount
    dialog { id chat { id title } unreadCount isUnread alarm { reason raisedBy { id } } lastMessage { text sender { isTeam } } }
  }
}`;

type DialogChangeResult = ExecutionResultLike<{
  dialogChanged: {
    seq: number;
    chatId: string;
    matchesFilter: boolean;
    totalCount: number;
    unreadChatCount: number;
    dialog: { unreadCount: number; alarm: { reason: string } | null; lastMessage: { text: string } | null } | null;
  };
}>;

describe('graphql-ws', () => {
  it('delivers a change caused by simulated traffic and one caused by a mutation', async () => {
    const chat = supportChat(h, 1);
    const ws = wsClient(h.wsUrl, h.tokens.viewer);
    try {
      const subs0 = h.api.metrics.subscriptions.value({ transport: 'ws' });
      const { inbox, stop } = ws.subscribe<DialogChangeResult['data']>(DIALOG_CHANGED, { a: chat.accountId });
      const summary = ws.subscribe<{ teamSummaryChanged: { alarms: number } }>('subscription { teamSummaryChanged { alarms overdueChats } }');
      const first = await summary.inbox.waitFor(() => true);
      expect(first.data?.teamSummaryChanged.alarms).toBe(0);
      await registered('ws', subs0, 2);

      const text = `ws: 504 на db-prod-2.example, посмотрите ${Date.now()}`;
      clientWrites(h, chat, text);
      const traffic = await inbox.waitFor((r) => r.data?.dialogChanged.chatId === chat.chatId && r.data.dialogChanged.dialog?.lastMessage?.text === text);
      expect(traffic.data!.dialogChanged.matchesFilter).toBe(true);
      expect(traffic.data!.dialogChanged.dialog!.unreadCount).toBeGreaterThan(0);

      // The mutation is made by another client (an admin over HTTP); this one only listens.
      const raised = await h.gql('mutation ($c: ID!) { raiseAlarm(chatId: $c, reason: "ws test") { reason } }', { c: chat.chatId }, { token: h.tokens.admin });
      expect(raised.body.errors).toBeUndefined();
      const alarm = await inbox.waitFor((r) => r.data?.dialogChanged.chatId === chat.chatId && r.data.dialogChanged.dialog?.alarm?.reason === 'ws test');
      expect(alarm.data!.dialogChanged.seq).toBeGreaterThan(traffic.data!.dialogChanged.seq);
      await summary.inbox.waitFor((r) => r.data?.teamSummaryChanged.alarms === 1);
      stop();
      summary.stop();
    } finally {
      await h.gql('mutation ($c: ID!) { clearAlarm(chatId: $c) }', { c: chat.chatId });
      await ws.dispose();
    }
  });

  it('runs queries and mutations over the same connection, with the token\'s role', async () => {
    const chat = supportChat(h, 2);
    const viewer = wsClient(h.wsUrl, h.tokens.viewer);
    const admin = wsClient(h.wsUrl, h.tokens.admin);
    try {
      const q = viewer.subscribe<{ me: { role: string } }>('{ me { role } }');
      expect((await q.inbox.waitFor(() => true)).data?.me.role).toBe('VIEWER');
      const denied = viewer.subscribe(`mutation { starChat(chatId: "${chat.chatId}") }`);
      expect((await denied.inbox.waitFor(() => true)).errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');
      const starred = admin.subscribe<{ starChat: boolean }>(`mutation { starChat(chatId: "${chat.chatId}") }`);
      expect((await starred.inbox.waitFor(() => true)).data?.starChat).toBe(true);
      const invalid = admin.subscribe('{ nonsense }');
      await invalid.inbox.waitFor(() => true, 2000).catch(() => undefined);
      expect(invalid.inbox.error).toBeTruthy();
      expect(JSON.stringify(invalid.inbox.error)).toContain('GRAPHQL_VALIDATION_FAILED');
    } finally {
      await h.gql(`mutation { starChat(chatId: "${chat.chatId}", starred: false) }`, undefined, { token: h.tokens.admin });
      await viewer.dispose();
      await admin.dispose();
    }
  });

  it('refuses a connection without a valid token with 4403 and says why', async () => {
    const none = wsClient(h.wsUrl, null, { lazy: false });
    const closed = await none.closed;
    expect(closed.code).toBe(4403);
    expect(closed.reason).toMatch(/connectionParams\.authorization/);
    await none.dispose();
    const bad = wsClient(h.wsUrl, 'tgd_' + 'y'.repeat(32), { lazy: false });
    expect(await bad.closed).toMatchObject({ code: 4403, reason: expect.stringContaining('invalid') });
    await bad.dispose();
  });

  it('ends a subscription on the server when the client stops it, even with no event to wake it', async () => {
    const ws = wsClient(h.wsUrl, h.tokens.viewer);
    try {
      const before = h.api.metrics.subscriptions.value({ transport: 'ws' });
      const s = ws.subscribe('subscription { events { seq } }');
      expect(await eventually(() => h.api.metrics.subscriptions.value({ transport: 'ws' }) === before + 1, 3000)).toBe(true);
      s.stop();
      expect(await eventually(() => h.api.metrics.subscriptions.value({ transport: 'ws' }) === before, 3000)).toBe(true);
    } finally {
      await ws.dispose();
    }
  });
});

describe('graphql-ws fan-out', () => {
  const groups = () => h.api.metrics.subscriptionGroups.value();
  const subs = () => h.api.metrics.subscriptions.value({ transport: 'ws' });

  it('runs one execution per operation, variables, role and member, and each subscriber gets every change', async () => {
    const chat = supportChat(h, 8);
    const viewers = [wsClient(h.wsUrl, h.tokens.viewer), wsClient(h.wsUrl, h.tokens.viewer), wsClient(h.wsUrl, h.tokens.viewer)];
    const admin = wsClient(h.wsUrl, h.tokens.admin);
    const filtered = wsClient(h.wsUrl, h.tokens.viewer);
    const groups0 = groups();
    const subs0 = subs();
    try {
      const same = viewers.map((c) => c.subscribe<DialogChangeResult['data']>(DIALOG_CHANGED, { a: chat.accountId }));
      const asAdmin = admin.subscribe<DialogChangeResult['data']>(DIALOG_CHANGED, { a: chat.accountId });
      const withFilter = filtered.subscribe<DialogChangeResult['data']>(DIALOG_CHANGED, { a: chat.accountId, f: { alarm: true } });
      // Three viewers share a group; the admin (another role and member) and the filter have their own.
      expect(await eventually(() => subs() === subs0 + 5 && groups() === groups0 + 3, 5000)).toBe(true);

      await h.gql('mutation ($c: ID!) { raiseAlarm(chatId: $c, reason: "fan-out") { reason } }', { c: chat.chatId }, { token: h.tokens.admin });
      const isRaised = (r: ExecutionResultLike<DialogChangeResult['data']>) => r.data?.dialogChanged.chatId === chat.chatId && r.data.dialogChanged.dialog?.alarm?.reason === 'fan-out';
      const got = await Promise.all([...same, asAdmin, withFilter].map((s) => s.inbox.waitFor(isRaised)));
      expect(new Set(got.map((r) => r.data!.dialogChanged.seq)).size).toBe(1);
      expect(got[4]!.data!.dialogChanged).toMatchObject({ matchesFilter: true, totalCount: 1 });

      // One member leaves: the others keep receiving; the group ends with its last member.
      same[0]!.stop();
      expect(await eventually(() => subs() === subs0 + 4, 3000)).toBe(true);
      expect(groups()).toBe(groups0 + 3);
      await h.gql('mutation ($c: ID!) { clearAlarm(chatId: $c) }', { c: chat.chatId }, { token: h.tokens.admin });
      const isCleared = (r: ExecutionResultLike<DialogChangeResult['data']>) => r.data?.dialogChanged.chatId === chat.chatId && r.data.dialogChanged.dialog?.alarm === null;
      await Promise.all([same[1]!, same[2]!, asAdmin].map((s) => s.inbox.waitFor(isCleared)));
      expect(same[0]!.inbox.items.some(isCleared)).toBe(false);
      same[1]!.stop();
      await viewers[2]!.dispose(); // a connection that goes away takes its subscriptions with it
      expect(await eventually(() => subs() === subs0 + 2 && groups() === groups0 + 2, 3000)).toBe(true);
    } finally {
      await h.gql('mutation ($c: ID!) { clearAlarm(chatId: $c) }', { c: chat.chatId }, { token: h.tokens.admin });
      for (const c of [...viewers, admin, filtered]) await c.dispose();
    }
    expect(await eventually(() => subs() === subs0 && groups() === groups0, 3000)).toBe(true);
  });

  it('gives a subscriber that joins a running teamSummaryChanged the current summary first', async () => {
    const chat = supportChat(h, 9);
    const first = wsClient(h.wsUrl, h.tokens.viewer);
    const late = wsClient(h.wsUrl, h.tokens.viewer);
    const groups0 = groups();
    const q = 'subscription { teamSummaryChanged { alarms overdueChats } }';
    try {
      const a = first.subscribe<{ teamSummaryChanged: { alarms: number } }>(q);
      const initial = (await a.inbox.waitFor(() => true)).data!.teamSummaryChanged.alarms;
      await h.gql('mutation ($c: ID!) { raiseAlarm(chatId: $c, reason: "late joiner") { reason } }', { c: chat.chatId }, { token: h.tokens.admin });
      await a.inbox.waitFor((r) => r.data?.teamSummaryChanged.alarms === initial + 1);
      const b = late.subscribe<{ teamSummaryChanged: { alarms: number } }>(q);
      expect((await b.inbox.waitFor(() => true)).data!.teamSummaryChanged.alarms).toBe(initial + 1);
      expect(groups()).toBe(groups0 + 1);
      await h.gql('mutation ($c: ID!) { clearAlarm(chatId: $c) }', { c: chat.chatId }, { token: h.tokens.admin });
      await Promise.all([a, b].map((s) => s.inbox.waitFor((r) => r.data?.teamSummaryChanged.alarms === initial)));
    } finally {
      await h.gql('mutation ($c: ID!) { clearAlarm(chatId: $c) }', { c: chat.chatId }, { token: h.tokens.admin });
      await first.dispose();
      await late.dispose();
    }
  });

  it('sends a shared subscription\'s start-up error to every subscriber, then completes, and no longer counts them', async () => {
    // Earlier tests' subscriptions end as their sockets close: start from none.
    expect(await eventually(() => subs() === 0 && groups() === 0, 5000)).toBe(true);
    const c1 = wsClient(h.wsUrl, h.tokens.viewer);
    const c2 = wsClient(h.wsUrl, h.tokens.viewer);
    try {
      const [x, y] = [c1, c2].map((c) => c.subscribe(DIALOG_CHANGED, { a: 'no-such-account' }));
      for (const s of [x!, y!]) {
        const r = await s.inbox.waitFor(() => true);
        expect(r.errors?.[0]?.extensions?.['code']).toBe('NOT_FOUND');
        expect(await eventually(() => s.inbox.ended, 3000)).toBe(true);
        expect(s.inbox.error).toBeNull();
      }
      // Ended by the server while both connections stay open: the gauge drops without a disconnect.
      expect(await eventually(() => subs() === 0 && groups() === 0, 3000)).toBe(true);
    } finally {
      await c1.dispose();
      await c2.dispose();
    }
  });
});

describe('SSE', () => {
  it('delivers a change caused by simulated traffic and one caused by a mutation', async () => {
    const chat = supportChat(h, 3);
    const subs0 = h.api.metrics.subscriptions.value({ transport: 'sse' });
    const sse = sseSubscribe<DialogChangeResult['data']>(h.graphqlUrl, h.tokens.viewer, DIALOG_CHANGED, { a: chat.accountId });
    try {
      expect(await sse.status).toBe(200);
      await registered('sse', subs0, 1);
      const text = `sse: ORA-00942 в отчёте ${Date.now()}`;
      clientWrites(h, chat, text);
      await sse.inbox.waitFor((r) => r.data?.dialogChanged.chatId === chat.chatId && r.data.dialogChanged.dialog?.lastMessage?.text === text);
      const raised = await h.gql('mutation ($c: ID!) { raiseAlarm(chatId: $c, reason: "sse test") { reason } }', { c: chat.chatId });
      expect(raised.body.errors).toBeUndefined();
      await sse.inbox.waitFor((r) => r.data?.dialogChanged.chatId === chat.chatId && r.data.dialogChanged.dialog?.alarm?.reason === 'sse test');
    } finally {
      sse.stop();
      await h.gql('mutation ($c: ID!) { clearAlarm(chatId: $c) }', { c: chat.chatId });
    }
  });

  it('answers an SSE request without a token with 401', async () => {
    const sse = sseSubscribe(h.graphqlUrl, null, 'subscription { teamSummaryChanged { alarms } }');
    expect(await sse.status).toBe(401);
    sse.stop();
  });
});

describe('dialogChanged with a filter', () => {
  it('sends rows that pass the filter and, once, a row that stops passing, with exact counts', async () => {
    const chat = supportChat(h, 4);
    const other = Array.from({ length: 40 }, (_, i) => supportChat(h, 5 + i)).find((c) => c.accountId === chat.accountId && c.chatId !== chat.chatId)!;
    expect(other).toBeDefined();
    const ws = wsClient(h.wsUrl, h.tokens.viewer);
    try {
      const subs0 = h.api.metrics.subscriptions.value({ transport: 'ws' });
      const { inbox, stop } = ws.subscribe<DialogChangeResult['data']>(DIALOG_CHANGED, { a: chat.accountId, f: { alarm: true } });
      await registered('ws', subs0, 1);
      await h.gql('mutation ($c: ID!) { raiseAlarm(chatId: $c, reason: "filter") { reason } }', { c: chat.chatId });
      const on = await inbox.waitFor((r) => r.data?.dialogChanged.chatId === chat.chatId);
      expect(on.data!.dialogChanged).toMatchObject({ matchesFilter: true, totalCount: 1 });
      await h.gql('mutation ($c: ID!) { clearAlarm(chatId: $c) }', { c: chat.chatId });
      const off = await inbox.waitFor((r) => r.data?.dialogChanged.matchesFilter === false);
      expect(off.data!.dialogChanged).toMatchObject({ chatId: chat.chatId, totalCount: 0, unreadChatCount: 0 });
      // Traffic in a chat without an alarm passes no filter: nothing more is sent for it. An alarm
      // in another chat, published after the message, shows the stream has got past the message.
      const n = inbox.items.length;
      const text = `ещё одно сообщение ${Date.now()}`;
      clientWrites(h, chat, text);
      expect(await eventually(() => h.sim.events.some((e) => e.type === 'messageAdded' && e.chatKey === chat.chatId && e.message.text === text))).toBe(true);
      await h.gql('mutation ($c: ID!) { raiseAlarm(chatId: $c, reason: "later") { reason } }', { c: other.chatId });
      await inbox.waitFor((r) => r.data?.dialogChanged.chatId === other.chatId, 5000, n);
      expect(inbox.items.slice(n).map((r) => r.data?.dialogChanged.chatId)).toEqual([other.chatId]);
      stop();
    } finally {
      await h.gql('mutation ($c: ID!) { clearAlarm(chatId: $c) }', { c: other.chatId });
      await ws.dispose();
    }
  });
});

describe('events(after:)', () => {
  const EVENTS = `subscription ($after: Int) { events(after: $after) {
    __typename seq at
    ... on DialogChangedEvent { accountId dialog { chat { id } unreadCount } }
    ... on MessageAddedEvent { chatId message { id text sender { id name isTeam } } }
    ... on AlarmRaisedEvent { chatId alarm { reason } }
    ... on TeamSummaryChangedEvent { summary { alarms } }
  } }`;
  type EventResult = ExecutionResultLike<{ events: { __typename: string; seq: number } }>;

  it('resumes across a daemon restart with nothing missed and nothing repeated', async () => {
    const start = h.sim.daemon.bus.lastSeq;
    const seqs: number[] = [];
    const chat = supportChat(h, 5);

    const ws = wsClient(h.wsUrl, h.tokens.viewer);
    const first = ws.subscribe<EventResult['data']>(EVENTS, { after: start });
    clientWrites(h, chat, 'до перезапуска: 10.0.3.17 не отвечает');
    await h.gql('mutation ($c: ID!) { raiseAlarm(chatId: $c, reason: "before restart") { reason } }', { c: chat.chatId });
    await first.inbox.waitFor((r) => r.data?.events.__typename === 'AlarmRaisedEvent');
    await first.inbox.waitFor((r) => r.data?.events.__typename === 'MessageAddedEvent');
    first.stop();
    await ws.dispose();
    for (const r of first.inbox.items) seqs.push(r.data!.events.seq);
    const lastSeen = seqs[seqs.length - 1]!;

    // Events published after the client left, then a new process on the same store.
    clientWrites(h, chat, 'пока клиент отключён');
    await eventually(() => h.sim.daemon.bus.lastSeq > lastSeen + 1, 5000);
    h = await h.restart();
    clientWrites(h, chat, 'after restart: 502 again');
    await h.gql('mutation ($c: ID!) { clearAlarm(chatId: $c) }', { c: chat.chatId });

    const ws2 = wsClient(h.wsUrl, h.tokens.viewer);
    const resumed = ws2.subscribe<EventResult['data']>(EVENTS, { after: lastSeen });
    try {
      await eventually(async () => {
        const newest = Number((await h.sim.store.db.selectFrom('events').select((eb) => eb.fn.max('seq').as('m')).executeTakeFirst())?.m ?? 0);
        return resumed.inbox.items.at(-1)?.data?.events.seq === newest;
      }, 10_000);
      for (const r of resumed.inbox.items) {
        expect(r.errors).toBeUndefined();
        seqs.push(r.data!.events.seq);
      }
      const stored = (await h.sim.store.db.selectFrom('events').select('seq').where('seq', '>', start).orderBy('seq').execute()).map((r) => Number(r.seq));
      expect(seqs).toEqual(stored);
      for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBe(seqs[i - 1]! + 1);
    } finally {
      resumed.stop();
      await ws2.dispose();
    }
  });

  it('ends with a typed RESYNC_REQUIRED error when the gap is older than the log keeps, over graphql-ws and SSE', async () => {
    const newest = h.sim.daemon.bus.lastSeq;
    expect(newest).toBeGreaterThan(10);
    await h.sim.store.db.deleteFrom('events').where('seq', '<=', 10).execute();

    const ws = wsClient(h.wsUrl, h.tokens.viewer);
    try {
      const s = ws.subscribe(EVENTS, { after: 3 });
      const r = await s.inbox.waitFor(() => true);
      expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'RESYNC_REQUIRED', oldestSeq: 11 });
      await eventually(() => s.inbox.ended, 3000);
      expect(s.inbox.ended).toBe(true);
      expect(s.inbox.error).toBeNull();
    } finally {
      await ws.dispose();
    }

    const sse = sseSubscribe(h.graphqlUrl, h.tokens.viewer, EVENTS, { after: 3 });
    const r = await sse.inbox.waitFor(() => true);
    expect(r.errors?.[0]?.extensions?.['code']).toBe('RESYNC_REQUIRED');
    expect(await eventually(() => sse.inbox.ended, 3000)).toBe(true);
    expect(sse.inbox.error).toBeNull();
    sse.stop();

    // Resuming from the oldest kept number still works.
    const ok = wsClient(h.wsUrl, h.tokens.viewer);
    try {
      const s = ok.subscribe<EventResult['data']>(EVENTS, { after: 10 });
      const firstEvent = await s.inbox.waitFor(() => true);
      expect(firstEvent.data?.events.seq).toBe(11);
    } finally {
      await ok.dispose();
    }
  });
});
