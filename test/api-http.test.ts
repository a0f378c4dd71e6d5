/**
 * The API over real HTTP against a daemon on the simulator: GraphQL-over-HTTP behaviour, auth,
 * errors and their codes, the queries of the contract, and the operational endpoints.
 */
import http from 'node:http';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer } from '../src/graphql/server.ts';
import { createMemoryLogger } from '../src/shared/log.ts';
import { startApiHarness, type ApiHarness } from './helpers/api-harness.ts';
import { eventually } from './helpers/sim-daemon.ts';
import { supportChat, errorCodes as codes } from './helpers/api-fixtures.ts';

let h: ApiHarness;

beforeAll(async () => {
  h = await startApiHarness();
});

afterAll(async () => {
  await h?.dispose();
});


describe('transport (GraphQL over HTTP)', () => {
  it('answers a request without a token with 401, a WWW-Authenticate challenge and UNAUTHENTICATED', async () => {
    const r = await h.gql('{ teamSummary { alarms } }', undefined, { token: null });
    expect(r.status).toBe(401);
    expect(r.headers.get('www-authenticate')).toMatch(/^Bearer realm="tgdesk"/);
    expect(codes(r.body)).toEqual(['UNAUTHENTICATED']);
    const bad = await h.gql('{ teamSummary { alarms } }', undefined, { token: 'tgd_' + 'x'.repeat(32) });
    expect(bad.status).toBe(401);
    expect(bad.headers.get('www-authenticate')).toContain('invalid_token');
    const notBearer = await fetch(h.graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Basic ${h.tokens.viewer}` }, body: '{"query":"{__typename}"}' });
    expect(notBearer.status).toBe(401);
  });

  it('serves queries over GET and POST, and refuses a mutation over GET with 405', async () => {
    const get = await fetch(`${h.graphqlUrl}?query=${encodeURIComponent('{ teamSummary { alarms } }')}`, {
      headers: { authorization: `Bearer ${h.tokens.viewer}`, accept: 'application/graphql-response+json' },
    });
    expect(get.status).toBe(200);
    expect(get.headers.get('content-type')).toContain('application/graphql-response+json');
    expect(((await get.json()) as { data: { teamSummary: { alarms: number } } }).data.teamSummary.alarms).toBeTypeOf('number');
    const mutation = await fetch(`${h.graphqlUrl}?query=${encodeURIComponent('mutation { clearAlarm(chatId: "1") }')}`, {
      headers: { authorization: `Bearer ${h.tokens.manager}`, accept: 'application/graphql-response+json' },
    });
    expect(mutation.status).toBe(405);
    expect(mutation.headers.get('allow')).toContain('POST');
  });

  it('answers malformed GraphQL with 400 and GRAPHQL_PARSE_FAILED, an unknown field with GRAPHQL_VALIDATION_FAILED, a bad variable with BAD_USER_INPUT', async () => {
    const parse = await h.gql('{ chats { id ');
    expect(parse.status).toBe(400);
    expect(codes(parse.body)).toEqual(['GRAPHQL_PARSE_FAILED']);
    const invalid = await h.gql('{ chats { id nonsense } }');
    expect(invalid.status).toBe(400);
    expect(codes(invalid.body)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    const notJson = await fetch(h.graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${h.tokens.viewer}` }, body: '{"query": ' });
    expect(notJson.status).toBe(400);
    const badVariable = await h.gql('query ($from: DateTime) { search(query: "502", from: $from) { newestAt } }', { from: 'yesterday' });
    expect(badVariable.status).toBe(400);
    expect(badVariable.body.errors?.[0]?.message).toContain('ISO 8601');
    expect(codes(badVariable.body)).toEqual(['BAD_USER_INPUT']);
    const missingVariable = await h.gql('query ($q: String!) { search(query: $q) { newestAt } }');
    expect(missingVariable.status).toBe(400);
    expect(codes(missingVariable.body)).toEqual(['BAD_USER_INPUT']);
    expect(missingVariable.body.errors?.[0]?.message).toContain('"$q" of required type "String!" was not provided');
  });

  it('gives unknown ids NOT_FOUND and bad ids BAD_USER_INPUT, with the reason', async () => {
    const chat = await h.gql('{ chat(id: "-100999") { id } }');
    expect(codes(chat.body)).toEqual(['NOT_FOUND']);
    expect(chat.body.errors?.[0]?.message).toContain('-100999');
    const account = await h.gql('{ dialogs(accountId: "nobody") { totalCount } }');
    expect(codes(account.body)).toEqual(['NOT_FOUND']);
    const cursor = await h.gql(`{ dialogs(accountId: "${supportChat(h).accountId}", after: "garbage") { totalCount } }`);
    expect(codes(cursor.body)).toEqual(['BAD_USER_INPUT']);
    const message = await h.gql(`{ messages(chatId: "${supportChat(h).chatId}", before: "abc") { hasOlder } }`);
    expect(codes(message.body)).toEqual(['BAD_USER_INPUT']);
    const missing = await h.gql(`{ messages(chatId: "${supportChat(h).chatId}", before: "999999999") { hasOlder } }`);
    expect(codes(missing.body)).toEqual(['NOT_FOUND']);
    const mutation = await h.gql('mutation { raiseAlarm(chatId: "-100999", reason: "x") { reason } }');
    expect(codes(mutation.body)).toEqual(['NOT_FOUND']);
    expect(mutation.body.data).toBeNull();
  });

  it('masks an unexpected error: the client gets a fixed message and INTERNAL_SERVER_ERROR, the log gets the cause', async () => {
    // A daemon whose store lost a table under it: the resolver hits an error nobody planned for.
    const logger = createMemoryLogger('warn');
    const api = await startApiServer({ daemon: h.sim.daemon, logger, host: '127.0.0.1', port: 0 });
    await sql`ALTER TABLE audit_log RENAME TO audit_log_away`.execute(h.sim.store.db);
    try {
      const res = await fetch(`${api.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', authorization: `Bearer ${h.tokens.manager}` },
        body: JSON.stringify({ query: '{ auditLog(first: 5) { id action } }' }),
      });
      const body = (await res.json()) as { data: unknown; errors: { message: string; extensions: Record<string, unknown> }[] };
      expect(body.data).toBeNull();
      expect(body.errors).toHaveLength(1);
      expect(body.errors[0]!.message).toBe('Unexpected error.');
      // Only the code: no SQL, no stack, no original error for the client.
      expect(Object.keys(body.errors[0]!.extensions)).toEqual(['code']);
      expect(body.errors[0]!.extensions['code']).toBe('INTERNAL_SERVER_ERROR');
      expect(JSON.stringify(body)).not.toMatch(/audit_log|no such table|SqliteError|\.ts:/);
      // The log has what the client does not: the store's own error, where it came from, and the field.
      const logged = logger.lines.map((l) => JSON.parse(l) as { level: string; msg: string; error?: { name?: string; message?: string }; stack?: string; path?: string });
      const entry = logged.find((l) => l.msg === 'unexpected API error');
      expect(entry?.level).toBe('error');
      expect(entry?.error).toMatchObject({ name: 'SqliteError', message: 'no such table: audit_log' });
      expect(entry?.stack).toMatch(/SqliteError: no such table: audit_log\n\s+at /);
      expect(entry?.path).toBe('auditLog');
      // Expected errors are not "unexpected": a NOT_FOUND goes to the client as it is and is not logged.
      const lines = logger.lines.length;
      const missing = await fetch(`${api.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${h.tokens.manager}` },
        body: JSON.stringify({ query: '{ chat(id: "-100999") { id } }' }),
      });
      expect(((await missing.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe('NOT_FOUND');
      expect(logger.lines.length).toBe(lines);
    } finally {
      await sql`ALTER TABLE audit_log_away RENAME TO audit_log`.execute(h.sim.store.db);
      await api.close();
    }
    expect((await h.gql('{ auditLog(first: 1) { id } }')).body.errors).toBeUndefined();
  });

  it('gives any other Telegram refusal TELEGRAM_ERROR with Telegram\'s reason, and changes nothing', async () => {
    const chat = supportChat(h, 2);
    const dialog = async () =>
      (await h.gql<{ dialogs: { nodes: { chat: { id: string }; isMuted: boolean }[] } }>(`{ dialogs(accountId: "${chat.accountId}", first: 500) { nodes { chat { id } isMuted } } }`)).body.data!.dialogs.nodes.find(
        (n) => n.chat.id === chat.chatId,
      )!;
    const before = await dialog();
    expect(before.isMuted).toBe(false);
    h.sim.demo.world.failures.error({ method: 'setChatNotificationSettings', accountUserId: chat.accountUserId, code: 400, message: 'CHAT_RESTRICTED', times: 1 });
    const r = await h.gql(`mutation { muteChat(accountId: "${chat.accountId}", chatId: "${chat.chatId}", forSeconds: 3600) { isMuted } }`);
    expect(r.status).toBe(200);
    expect(codes(r.body)).toEqual(['TELEGRAM_ERROR']);
    expect(r.body.errors![0]!.message).toContain('CHAT_RESTRICTED');
    expect(r.body.errors![0]!.extensions).toMatchObject({ method: 'setChatNotificationSettings', tdCode: 400, tdMessage: 'CHAT_RESTRICTED' });
    expect(r.body.data).toBeNull();
    expect(await dialog()).toEqual(before);
    const [audit] = await h.sim.daemon.audit.list({ limit: 1 });
    expect(audit).toMatchObject({ action: 'muteChat', outcome: 'error', errorCode: 'TELEGRAM_ERROR' });
    // The refusal was Telegram's, once: the same call now goes through.
    const again = await h.gql(`mutation { muteChat(accountId: "${chat.accountId}", chatId: "${chat.chatId}", forSeconds: 3600) { isMuted } }`);
    expect(again.body).toEqual({ data: { muteChat: { isMuted: true } } });
    await h.gql(`mutation { muteChat(accountId: "${chat.accountId}", chatId: "${chat.chatId}", muted: false) { isMuted } }`);
  });

  it('keeps an idle keep-alive connection past Node\'s 5 s default, so a client that pauses a few seconds between requests reuses it instead of racing its close', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const ask = () =>
      new Promise<{ status: number; reused: boolean; keepAlive: string }>((resolve, reject) => {
        const req = http.request(h.graphqlUrl, { method: 'POST', agent, headers: { 'content-type': 'application/json', authorization: `Bearer ${h.tokens.viewer}` } }, (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode ?? 0, reused: req.reusedSocket, keepAlive: String(res.headers['keep-alive'] ?? '') }));
        });
        req.on('error', reject);
        req.end('{"query":"{ __typename }"}');
      });
    try {
      const first = await ask();
      expect(first).toMatchObject({ status: 200, reused: false });
      expect(first.keepAlive).toMatch(/timeout=(\d+)/);
      expect(Number(/timeout=(\d+)/.exec(first.keepAlive)![1])).toBeGreaterThanOrEqual(60);
      await new Promise((r) => setTimeout(r, 5_500));
      // Had the server closed the idle socket, the agent would have dropped it and opened another.
      expect(await ask()).toMatchObject({ status: 200, reused: true });
    } finally {
      agent.destroy();
    }
  }, 15_000);

  it('stops accepting a revoked token', async () => {
    const { token } = await h.sim.daemon.tokens.create({ name: 'short-lived', role: 'viewer' });
    expect((await h.gql('{ me { name role } }', undefined, { token })).body.data).toEqual({ me: { name: 'short-lived', role: 'VIEWER' } });
    await h.sim.daemon.tokens.revoke('short-lived');
    expect((await h.gql('{ me { name } }', undefined, { token })).status).toBe(401);
  });
});

describe('queries', () => {
  it('lists accounts with their sync state', async () => {
    const r = await h.gql<{ accounts: { id: string; syncComplete: boolean; syncState: string; user: { id: string; name: string } }[] }>(
      '{ accounts { id authState syncState syncComplete user { id name username } } }',
    );
    expect(r.body.errors).toBeUndefined();
    expect(r.body.data!.accounts.map((a) => a.id).sort()).toEqual(h.sim.demo.accounts.map((a) => a.accountId).sort());
    for (const a of r.body.data!.accounts) {
      expect(a.syncComplete).toBe(true);
      expect(a.syncState).toBe('ready');
      expect(a.user.name).not.toBe('');
    }
  });

  it('pages a dialog list to the end with nothing missed or repeated, with counts across pages', async () => {
    const accountId = supportChat(h).accountId;
    const seen: string[] = [];
    let after: string | null = null;
    let total = -1;
    for (let page = 0; page < 50; page++) {
      const r: Awaited<ReturnType<typeof h.gql<{ dialogs: { totalCount: number; unreadChatCount: number; edges: { cursor: string; node: { id: string; chat: { id: string } } }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } }>>> =
        await h.gql(
          `query ($a: ID!, $after: String) { dialogs(accountId: $a, first: 7, after: $after) {
            totalCount unreadChatCount
            edges { cursor node { id chat { id } } }
            pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`,
          { a: accountId, after },
        );
      expect(r.body.errors).toBeUndefined();
      const d = r.body.data!.dialogs;
      total = d.totalCount;
      seen.push(...d.edges.map((e) => e.node.chat.id));
      if (!d.pageInfo.hasNextPage) break;
      after = d.pageInfo.endCursor;
    }
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.length).toBe(total);
    expect(total).toBe(h.sim.daemon.model.accountChats.get(accountId)!.size);
  });

  it('returns everything a dialog row shows, filtered and ordered as asked', async () => {
    const accountId = supportChat(h).accountId;
    const r = await h.gql<{ dialogs: { totalCount: number; unreadChatCount: number; nodes: Record<string, unknown>[] } }>(
      `query ($a: ID!) { dialogs(accountId: $a, filter: { kind: [SUPPORT] }, order: URGENCY, first: 500) {
        totalCount unreadChatCount
        nodes { id accountId chat { id title kind clientName } unreadCount unreadMentionCount hasUnreadMention isMarkedAsUnread isUnread
          isMuted isPinned isStarred waitingSince deadline isOverdue overdueSince
          alarm { raisedBy { id name } raisedAt reason } acknowledged { by { id name } at } openTaskCount
          lastMessage { id sender { id name isTeam } date text } } } }`,
      { a: accountId },
    );
    expect(r.body.errors).toBeUndefined();
    const nodes = r.body.data!.dialogs.nodes as { chat: { kind: string }; isOverdue: boolean; isUnread: boolean; waitingSince: string | null; lastMessage: { text: string } | null }[];
    expect(nodes.length).toBeGreaterThan(3);
    expect(nodes.every((n) => n.chat.kind === 'SUPPORT')).toBe(true);
    expect(r.body.data!.dialogs.unreadChatCount).toBe(nodes.filter((n) => n.isUnread).length);
    // URGENCY: overdue rows come before rows that are not (no alarms in the fresh company).
    const firstCalm = nodes.findIndex((n) => !n.isOverdue);
    expect(nodes.slice(firstCalm).some((n) => n.isOverdue)).toBe(false);
    expect(nodes.some((n) => n.isOverdue && n.waitingSince)).toBe(true);

    const overdue = await h.gql<{ dialogs: { totalCount: number; nodes: { isOverdue: boolean }[] } }>(
      `query ($a: ID!) { dialogs(accountId: $a, filter: { overdue: true }) { totalCount nodes { isOverdue } } }`,
      { a: accountId },
    );
    expect(overdue.body.data!.dialogs.totalCount).toBe(nodes.filter((n) => n.isOverdue).length);
  });

  it('returns history as sender blocks, oldest first', async () => {
    const chat = supportChat(h);
    const r = await h.gql<{ messages: { hasOlder: boolean; blocks: { sender: { id: string; isTeam: boolean }; isService: boolean; messages: { id: string; date: string; sender: { id: string } }[] }[] } }>(
      `query ($c: ID!) { messages(chatId: $c, first: 30) { hasOlder blocks { sender { id name isTeam } isService firstAt lastAt messages { id date text sender { id } } } } }`,
      { c: chat.chatId },
    );
    expect(r.body.errors).toBeUndefined();
    const blocks = r.body.data!.messages.blocks;
    expect(blocks.length).toBeGreaterThan(0);
    const all = blocks.flatMap((b) => b.messages);
    expect(all.length).toBeLessThanOrEqual(30);
    for (let i = 1; i < all.length; i++) expect(Date.parse(all[i]!.date)).toBeGreaterThanOrEqual(Date.parse(all[i - 1]!.date));
    for (const b of blocks) for (const m of b.messages) expect(m.sender.id).toBe(b.sender.id);
    for (let i = 1; i < blocks.length; i++) {
      const prev = blocks[i - 1]!;
      // Adjacent blocks of one sender exist only across a service message or a long pause.
      if (prev.sender.id === blocks[i]!.sender.id && !prev.isService && !blocks[i]!.isService) {
        expect(Date.parse(blocks[i]!.messages[0]!.date) - Date.parse(prev.messages.at(-1)!.date)).toBeGreaterThan(10 * 60_000);
      }
    }
    expect(blocks.some((b) => b.sender.isTeam) && blocks.some((b) => !b.sender.isTeam)).toBe(true);
  });

  it('serves the team summary, members, policies, the token itself and its preferences', async () => {
    const r = await h.gql<{
      teamSummary: Record<string, number>;
      teamMembers: { id: string; role: string; onDuty: boolean }[];
      policies: { id: string; thresholdSeconds: number }[];
      me: { role: string; member: { id: string } | null };
      preferences: { memberId: string; sendTyping: boolean; linkPreviews: boolean };
    }>('{ teamSummary { overdueChats alarms unreadSupportChats mentionedOnDuty } teamMembers { id name role source onDuty } policies { id name thresholdSeconds } me { tokenId name role member { id name } } preferences { memberId sendTyping linkPreviews } }');
    expect(r.body.errors).toBeUndefined();
    const d = r.body.data!;
    expect(d.teamSummary).toEqual(h.sim.daemon.queries.teamSummary());
    expect(d.teamMembers.length).toBe(h.sim.demo.company.team.length);
    expect(d.teamMembers.some((m) => m.role === 'MANAGER')).toBe(true);
    expect(d.policies.find((p) => p.id === 'default')?.thresholdSeconds).toBe(900);
    expect(d.me).toMatchObject({ role: 'MANAGER', member: { id: String(h.members.manager) } });
    expect(d.preferences).toEqual({ memberId: String(h.members.manager), sendTyping: true, linkPreviews: true });
  });
});

describe('response cache', () => {
  it('answers a repeated read alike, and shows a change at once, per team member, never to a revoked token', async () => {
    const chat = supportChat(h, 8);
    const q = `query ($a: ID!, $c: ID!) {
      dialogs(accountId: $a, filter: { alarm: true }) { totalCount nodes { chat { id } alarm { reason } } }
      dialog(accountId: $a, chatId: $c) { isStarred }
    }`;
    const v = { a: chat.accountId, c: chat.chatId };
    type R = { dialogs: { totalCount: number }; dialog: { isStarred: boolean } };
    const first = await h.gql<R>(q, v);
    expect((await h.gql<R>(q, v)).body).toEqual(first.body);
    await h.gql('mutation ($c: ID!) { raiseAlarm(chatId: $c, reason: "cache") { reason } }', { c: chat.chatId });
    const after = await h.gql<R>(q, v);
    expect(after.body.data!.dialogs.totalCount).toBe(first.body.data!.dialogs.totalCount + 1);
    await h.gql('mutation ($c: ID!) { clearAlarm(chatId: $c) }', { c: chat.chatId });
    expect((await h.gql<R>(q, v)).body.data!.dialogs.totalCount).toBe(first.body.data!.dialogs.totalCount);

    // Stars are per member: the same query answers differently for the manager and the admin.
    await h.gql('mutation ($c: ID!) { starChat(chatId: $c) }', { c: chat.chatId });
    expect((await h.gql<R>(q, v)).body.data!.dialog.isStarred).toBe(true);
    expect((await h.gql<R>(q, v, { token: h.tokens.admin })).body.data!.dialog.isStarred).toBe(false);
    await h.gql('mutation ($c: ID!) { starChat(chatId: $c, starred: false) }', { c: chat.chatId });
    expect((await h.gql<R>(q, v)).body.data!.dialog.isStarred).toBe(false);

    const { token } = await h.sim.daemon.tokens.create({ name: 'cached-reader', role: 'viewer' });
    expect((await h.gql<R>(q, v, { token })).status).toBe(200);
    expect((await h.gql<R>(q, v, { token })).status).toBe(200);
    await h.sim.daemon.tokens.revoke('cached-reader');
    expect((await h.gql<R>(q, v, { token })).status).toBe(401);
  });
});

describe('response cache per account', () => {
  it('keeps an account\'s dialogs while other accounts\' chats change, and drops them on a change of its own', async () => {
    const { company, accounts, world } = h.sim.demo;
    const [a, b] = [accounts[0]!, accounts[1]!];
    const [aUser, bUser] = [company.accounts[0]!.userId, company.accounts[1]!.userId];
    const onlyB = company.clientChats.find((c) => c.teamIds.includes(bUser) && !c.teamIds.includes(aUser))!;
    const ofA = company.clientChats.find((c) => c.teamIds.includes(aUser))!;
    expect(onlyB && ofA).toBeTruthy();
    const q = 'query ($a: ID!) { dialogs(accountId: $a, first: 5) { totalCount unreadChatCount } }';
    const hits = () => h.api.metrics.responseCache.value({ result: 'hit' });
    await h.gql(q, { a: a.accountId });
    const computedAt = Date.now();
    const before = hits();
    await h.gql(q, { a: a.accountId });
    expect(hits()).toBe(before + 1);

    // Traffic in a chat account A does not have: A's answer stays (within the cache's 1 s age).
    const seq = h.sim.daemon.bus.lastSeq;
    world.sendMessage({ chatId: onlyB.chatId, senderId: onlyB.clients[0]!.userId, text: `только у B ${Date.now()}` });
    expect(await eventually(() => h.sim.events.some((e) => e.seq > seq && e.type === 'dialogChanged' && e.accountId === b.accountId), 5000)).toBe(true);
    expect(h.sim.daemon.bus.lastSeq).toBeGreaterThan(seq);
    await h.gql(q, { a: a.accountId });
    if (Date.now() - computedAt < 900) expect(hits()).toBe(before + 2);
    const hitsNow = hits();

    // Traffic in one of A's chats: computed afresh.
    const seq2 = h.sim.daemon.bus.lastSeq;
    world.sendMessage({ chatId: ofA.chatId, senderId: ofA.clients[0]!.userId, text: `у A ${Date.now()}` });
    expect(await eventually(() => h.sim.events.some((e) => e.seq > seq2 && e.type === 'dialogChanged' && e.accountId === a.accountId), 5000)).toBe(true);
    await h.gql(q, { a: a.accountId });
    expect(hits()).toBe(hitsNow);
  });
});

describe('operations endpoints', () => {
  it('answers /healthz and /readyz without a token', async () => {
    expect((await fetch(`${h.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${h.url}/readyz`);
    expect(ready.status).toBe(200);
    const body = (await ready.json()) as { ready: boolean; accounts: { syncComplete: boolean }[] };
    expect(body.ready).toBe(true);
    expect(body.accounts.every((a) => a.syncComplete)).toBe(true);
  });

  it('serves Prometheus metrics: process, per-account sync state, events published, requests', async () => {
    await h.gql('{ teamSummary { alarms } }');
    const res = await fetch(`${h.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain; version=0.0.4');
    const text = await res.text();
    for (const name of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'tgdesk_events_published_total', 'tgdesk_http_requests_total', 'tgdesk_http_request_duration_seconds_bucket']) {
      expect(text).toContain(`\n${name}`);
    }
    const account = h.sim.demo.accounts[0]!.accountId;
    expect(text).toContain(`tgdesk_account_sync_state{account="${account}",state="ready"} 1`);
    expect(text).toMatch(/tgdesk_http_requests_total\{route="\/graphql",method="POST",status="200"\} \d+/);
    // Every sample line is NAME{labels} VALUE, and every metric has HELP and TYPE.
    for (const line of text.trim().split('\n')) {
      if (line.startsWith('#')) expect(line).toMatch(/^# (HELP|TYPE) [a-z_:][a-z0-9_:]* .+/);
      else expect(line).toMatch(/^[a-z_:][a-z0-9_:]*(\{[^}]*\})? (-?[0-9.e+-]+|NaN|\+Inf|-Inf)$/);
    }
  });

  it('answers unknown paths with 404', async () => {
    expect((await fetch(`${h.url}/nothing`)).status).toBe(404);
  });
});
