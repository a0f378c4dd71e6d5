/**
 * Abusive requests get a clear error before they cost the daemon anything, and the daemon keeps
 * answering everyone else: depth, cost, aliases, directives, tokens, page sizes, body and
 * variables sizes, over HTTP and graphql-ws. "Before they cost anything" is shown by what the
 * daemon did (no operation executed, per /metrics; a body refused that was never sent), not by
 * how long it took: speed belongs in the benchmarks.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../src/graphql/limits.ts';
import { startApiHarness, type ApiHarness, type GqlResponse } from './helpers/api-harness.ts';
import { wsClient } from './helpers/api-clients.ts';
import { supportChat } from './helpers/api-fixtures.ts';
import { eventually } from './helpers/sim-daemon.ts';

let h: ApiHarness;

beforeAll(async () => {
  h = await startApiHarness();
});

afterAll(async () => {
  await h?.dispose();
});

/** A counter's value on the daemon's own /metrics page (0 while it has no such series). */
async function counter(api: ApiHarness, series: string): Promise<number> {
  const text = await (await fetch(`${api.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

const QUERIES_RUN = 'tgdesk_graphql_operations_total{type="query",transport="http"}';
const LIMITS_REFUSED = 'tgdesk_graphql_errors_total{code="LIMIT_EXCEEDED"}';

/**
 * Runs a request and checks it was refused with `code` and `message`. A LIMIT_EXCEEDED refusal
 * must come before execution: the daemon's count of executed queries does not move.
 */
async function refused(run: () => Promise<GqlResponse>, code: string, message: RegExp, api: ApiHarness = h): Promise<GqlResponse> {
  const executed = await counter(api, QUERIES_RUN);
  const r = await run();
  expect(r.body.errors?.[0]?.extensions?.['code']).toBe(code);
  expect(r.body.errors?.[0]?.message).toMatch(message);
  expect(r.body.data ?? null).toBeNull();
  if (code === 'LIMIT_EXCEEDED') expect(await counter(api, QUERIES_RUN)).toBe(executed);
  return r;
}

describe('query limits', () => {
  // The schema has no cycles, so no query nests deeper than 8; the default limit (10) is a
  // guard for the schema's future. A server with a lower limit shows it at work.
  it('refuses a query over the depth limit with LIMIT_EXCEEDED', async () => {
    const h2 = await startApiHarness({ limits: { maxDepth: 4 } });
    try {
      await refused(() => h2.gql('{ dialogs(accountId: "x") { edges { node { chat { alarm { reason } } } } } }'), 'LIMIT_EXCEEDED', /depth limit of 4 exceeded/, h2);
      expect((await h2.gql('{ dialogs(accountId: "x") { edges { node { id } } } }')).body.errors?.[0]?.extensions?.['code']).toBe('NOT_FOUND');
    } finally {
      await h2.dispose();
    }
  });

  it('refuses a query over the cost limit: two full pages of 500 rows', async () => {
    const row = 'id chat { id title kind clientName } unreadCount hasUnreadMention isMuted isPinned isStarred waitingSince isOverdue overdueSince alarm { reason raisedAt raisedBy { id name } } lastMessage { id text date sender { id name isTeam } }';
    const a = supportChat(h).accountId;
    const one = await h.gql(`{ dialogs(accountId: "${a}", first: 500) { totalCount nodes { ${row} } } }`);
    expect(one.body.errors).toBeUndefined();
    await refused(
      () => h.gql(`{ a: dialogs(accountId: "${a}", first: 500) { nodes { ${row} } } b: dialogs(accountId: "${a}", first: 500, order: URGENCY) { nodes { ${row} } } }`),
      'LIMIT_EXCEEDED',
      /Cost limit of \d+ exceeded/,
    );
  });

  it('refuses too many aliases, directives and tokens', async () => {
    const aliases = Array.from({ length: DEFAULT_LIMITS.maxAliases + 1 }, (_, i) => `a${i}: teamSummary { alarms }`).join(' ');
    await refused(() => h.gql(`{ ${aliases} }`), 'LIMIT_EXCEEDED', /Aliases limit of 15 exceeded/);
    const directives = Array.from({ length: DEFAULT_LIMITS.maxDirectives + 1 }, () => '... on TeamSummary @include(if: true) { alarms }').join(' ');
    await refused(() => h.gql(`{ teamSummary { ${directives} } }`), 'LIMIT_EXCEEDED', /Directives limit of 20 exceeded/);
    const fields = Array.from({ length: 2100 }, () => 'alarms').join(' ');
    await refused(() => h.gql(`{ teamSummary { ${fields} } }`), 'LIMIT_EXCEEDED', /Token limit of 2000 exceeded/);
  });

  it('refuses page sizes over the caps with BAD_USER_INPUT', async () => {
    const chat = supportChat(h);
    await refused(() => h.gql(`{ dialogs(accountId: "${chat.accountId}", first: 501) { totalCount } }`), 'BAD_USER_INPUT', /between 1 and 500/);
    await refused(() => h.gql(`{ dialogs(accountId: "${chat.accountId}", first: 0) { totalCount } }`), 'BAD_USER_INPUT', /between 1 and 500/);
    await refused(() => h.gql(`{ messages(chatId: "${chat.chatId}", first: 201) { hasOlder } }`), 'BAD_USER_INPUT', /between 1 and 200/);
    await refused(() => h.gql('{ search(query: "502", first: 201) { newestAt } }'), 'BAD_USER_INPUT', /between 1 and 200/);
    await refused(() => h.gql('{ auditLog(first: 201) { id } }'), 'BAD_USER_INPUT', /between 1 and 200/);
  });
});

describe('request limits', () => {
  it('refuses a body over the size limit with 413 before reading it', async () => {
    // The headers announce a body over the limit and none of it is ever sent. A server that
    // read (or waited for) the body before deciding would never answer.
    const refusal = await new Promise<{ status: number; connection: string | undefined; body: string }>((resolve, reject) => {
      const req = request(h.graphqlUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${h.tokens.viewer}`, 'content-length': DEFAULT_LIMITS.maxBodyBytes * 16 },
      });
      req.once('response', (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.once('end', () => {
          resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, body });
          req.destroy();
        });
      });
      req.once('error', reject);
      req.flushHeaders();
    });
    expect(refusal.status).toBe(413);
    expect(refusal.connection).toBe('close');
    const body = JSON.parse(refusal.body) as { errors: { message: string; extensions: { code: string } }[] };
    expect(body.errors[0]!.extensions.code).toBe('LIMIT_EXCEEDED');
    expect(body.errors[0]!.message).toContain(`at most ${DEFAULT_LIMITS.maxBodyBytes} are accepted`);

    // The same through an ordinary client that does send the whole body.
    const padding = ' '.repeat(DEFAULT_LIMITS.maxBodyBytes);
    const res = await fetch(h.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${h.tokens.viewer}` },
      body: JSON.stringify({ query: `{ teamSummary { alarms } }${padding}` }),
    });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe('LIMIT_EXCEEDED');
  });

  it('refuses a body without a length (chunked) with 411', async () => {
    const res = await fetch(h.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${h.tokens.viewer}` },
      body: new ReadableStream({
        start(c) {
          c.enqueue(new TextEncoder().encode('{"query":"{ teamSummary { alarms } }"}'));
          c.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(411);
  });

  it('refuses variables over the size limit, over HTTP and graphql-ws', async () => {
    const big = { q: 'x'.repeat(DEFAULT_LIMITS.maxVariablesBytes + 10) };
    const r = await refused(() => h.gql('query ($q: String!) { search(query: $q) { newestAt } }', big), 'LIMIT_EXCEEDED', /variables are \d+ bytes/);
    expect(r.status).toBe(413);
    const ws = wsClient(h.wsUrl, h.tokens.viewer);
    try {
      const s = ws.subscribe('query ($q: String!) { search(query: $q) { newestAt } }', big);
      await s.inbox.waitFor(() => true, 2000).catch(() => undefined);
      expect(JSON.stringify(s.inbox.error)).toContain('LIMIT_EXCEEDED');
    } finally {
      await ws.dispose();
    }
  });

  it('refuses an over-long search query and never reads user input as query syntax', async () => {
    await refused(() => h.gql('query ($q: String!) { search(query: $q) { newestAt } }', { q: 'a'.repeat(600) }), 'BAD_USER_INPUT', /1 to 512/);
    // Messages that hold the syntax as text, and one that would match if it were syntax.
    const M = 'сн6620';
    const chat = supportChat(h, 3);
    const literal = [
      'Ответ "502" OR * от балансировщика',
      'Функция NEAR(a b) не найдена',
      'В фильтре условие a AND NOT b',
      "Кто-то прислал в форму '; DROP TABLE messages; --",
      'В конфиге ((( лишние скобки',
      'Шаблон ^*:%_\\ не разобран',
    ];
    const plain = 'Просто 502 на главной';
    const seq = h.sim.daemon.bus.lastSeq;
    for (const text of [...literal, plain]) h.sim.demo.world.sendMessage({ chatId: chat.tdChatId, senderId: chat.clientUserId, text: `${text} ${M}` });
    expect(await eventually(() => h.sim.events.filter((e) => e.seq > seq && e.type === 'messageAdded').length >= literal.length + 1, 10_000)).toBe(true);
    await h.sim.daemon.searchIndexer!.whenCaughtUp();
    const found = async (q: string) => {
      const r = await h.gql<{ search: { hits: { message: { text: string } }[] }[] }>('query ($q: String!) { search(query: $q) { hits { message { text } } } }', { q });
      expect(r.body.errors, q).toBeUndefined();
      return r.body.data!.search.flatMap((g) => g.hits.map((x) => x.message.text.replace(` ${M}`, ''))).sort();
    };
    // Each finds the message that holds it as text and nothing else: OR, NOT and NEAR are words,
    // quotes and brackets around words are trimmed, short runs of punctuation (`*`, `--`) are
    // ignored and longer ones are text to find, and every token must occur.
    expect(await found(`"502" OR * ${M}`)).toEqual([literal[0]]);
    expect(await found(`NEAR(a b) ${M}`)).toEqual([literal[1]]);
    expect(await found(`a AND NOT b ${M}`)).toEqual([literal[2]]);
    expect(await found(`'; DROP TABLE messages; -- ${M}`)).toEqual([literal[3]]);
    // What syntax would have widened, words narrow: "NOT 502" is two more words to find.
    expect(await found(`NOT 502 ${M}`)).toEqual([]);
    expect(await found(`502 ${M}`)).toEqual([literal[0], plain].sort());
    expect(await found(`((( ${M}`)).toEqual([literal[4]]);
    expect(await found(`^*:%_\\ ${M}`)).toEqual([literal[5]]);
    // The table the injection names is still there, with every message in it.
    expect(await found(M)).toEqual([...literal, plain].sort());
  });

  it('keeps answering other requests while abusive ones arrive, and executes none of the abusive ones', async () => {
    const abusiveQuery = (i: number) =>
      i % 2 ? `{ ${Array.from({ length: 50 }, (_, j) => `a${j}: teamSummary { alarms }`).join(' ')} }` : `{ teamSummary { ${Array.from({ length: 3000 }, () => 'alarms').join(' ')} } }`;
    const executedBefore = await counter(h, QUERIES_RUN);
    const refusedBefore = await counter(h, LIMITS_REFUSED);

    // Abusers send back to back until the ordinary client is done, so every ordinary request
    // meets abusive ones in flight; the bound only keeps a broken server from looping forever.
    const ABUSERS = 8;
    const ORDINARY = 20;
    let done = false;
    let abusersRunning = ABUSERS;
    const abusiveCodes: unknown[] = [];
    const abusers = Array.from({ length: ABUSERS }, async (_, k) => {
      try {
        for (let i = 0; !done && i < 1_000; i++) {
          const r = await h.gql(abusiveQuery(k + i), undefined, { token: h.tokens.integration });
          abusiveCodes.push(r.body.errors?.[0]?.extensions?.['code']);
        }
      } finally {
        abusersRunning--;
      }
    });

    const refusedWhileAnswering: number[] = [];
    let abusersEnded: PromiseSettledResult<void>[] = [];
    try {
      for (let i = 0; i < ORDINARY; i++) {
        const refusedSoFar = abusiveCodes.length;
        // A different text each time: every one is executed, none answered from the response cache.
        const ok = await h.gql<Record<string, { alarms: number }>>(`{ q${i}: teamSummary { alarms } }`, undefined, { token: h.tokens.viewer });
        expect(ok.body.errors).toBeUndefined();
        expect(ok.body.data?.[`q${i}`]?.alarms).toEqual(expect.any(Number));
        refusedWhileAnswering.push(abusiveCodes.length - refusedSoFar);
      }
      // Every abuser was still sending when the last ordinary answer came.
      expect(abusersRunning).toBe(ABUSERS);
    } finally {
      // Also when a check above failed: abusers left sending would load the tests after this one.
      done = true;
      abusersEnded = await Promise.allSettled(abusers);
    }
    expect(abusersEnded.filter((r) => r.status === 'rejected')).toEqual([]);

    // Abusive requests were being refused throughout, not queued behind the ordinary ones.
    expect(refusedWhileAnswering.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(ORDINARY);
    expect(abusiveCodes.length).toBeGreaterThanOrEqual(ABUSERS);
    expect(new Set(abusiveCodes)).toEqual(new Set(['LIMIT_EXCEEDED']));
    // Counted by the daemon: each abusive request was refused, and only the ordinary ones ran.
    expect((await counter(h, LIMITS_REFUSED)) - refusedBefore).toBe(abusiveCodes.length);
    expect((await counter(h, QUERIES_RUN)) - executedBefore).toBe(ORDINARY);
  });
});
