/**
 * The README contract as a user meets it: `tgdesk demo` starts and answers, and every link and
 * command it prints works as printed (GraphiQL signed in as the demo manager, the console, the
 * wall, the operations endpoints, the curl lines, `tgdesk token create` on its data directory
 * while it runs); it stops cleanly on SIGTERM. `tgdesk migrate` works; a malformed config fails
 * with every problem listed.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_HEAP_MB, daemonHeapFlag } from '../bin/lib/daemon-heap.mjs';

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'tgdesk-cli-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function tgdesk(args: string[], env: Record<string, string>) {
  return spawnSync(process.execPath, ['bin/tgdesk.mjs', ...args], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 60_000 });
}

/** One line of the demo's banner, by its label ("GraphiQL, signed in as the demo manager"). */
function printed(out: string, label: string): string {
  const line = out.split('\n').find((l) => l.trimStart().startsWith(`${label}:`));
  if (!line) throw new Error(`the demo printed no "${label}" line:\n${out}`);
  return line.slice(line.indexOf(':') + 1).trim();
}

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');

/** The processes `pid` started (Linux). */
function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

describe('tgdesk demo', () => {
  const dataDir = tempDir();
  let child: ChildProcessWithoutNullStreams;
  let exited: Promise<number | null>;
  let out = '';
  let err = '';
  let url = '';

  beforeAll(async () => {
    child = spawn(process.execPath, ['bin/tgdesk.mjs', 'demo'], { env: { ...process.env, TGDESK_DATA_DIR: dataDir, TGDESK_PORT: '0' }, stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    // The README promises seconds; a minute is the most this waits.
    for (let i = 0; i < 600 && !out.includes('Stop with Ctrl-C') && child.exitCode === null; i++) await new Promise((r) => setTimeout(r, 100));
    expect(out, err).toContain('Stop with Ctrl-C');
    url = /(http:\/\/127\.0\.0\.1:\d+)\/graphql/.exec(out)![1]!;
  }, 90_000);

  afterAll(async () => {
    if (!child || child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    // The command passes only SIGINT, SIGTERM and SIGHUP on to the daemon's node: a SIGKILL to it
    // alone would leave the daemon running. The daemon is killed too if it does not stop in time.
    const daemon = childrenOf(child.pid);
    child.kill('SIGTERM');
    const killer = setTimeout(() => {
      for (const pid of daemon) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      child.kill('SIGKILL');
    }, 10_000);
    await exited;
    clearTimeout(killer);
  }, 20_000);

  it('serves the simulated team over HTTP, synced, with overdue chats at once', async () => {
    const ready = (await (await fetch(`${url}/readyz`)).json()) as { ready: boolean; accounts: { id: string; syncComplete: boolean }[] };
    expect(ready.ready).toBe(true);
    expect(ready.accounts.length).toBe(4);
    expect(ready.accounts.every((a) => a.syncComplete)).toBe(true);
    const overdue = /(\d+) overdue support chats/.exec(out);
    expect(overdue, out).not.toBeNull();
    expect(Number(overdue![1])).toBeGreaterThan(0);
  });

  it('prints a GraphiQL link that opens GraphiQL signed in as the demo manager, whose queries and subscriptions answer', async () => {
    const link = printed(out, 'GraphiQL, signed in as the demo manager');
    const token = /[?&]token=(tgd_[\w-]{32})$/.exec(link)?.[1];
    expect(token, link).toBeTruthy();
    expect(link.startsWith(`${url}/graphql?`)).toBe(true);
    // A browser asks for HTML; a script on the same URL gets GraphQL's own answers.
    const page = await fetch(link, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    const html = await page.text();
    expect(html).toContain('<title>tgdesk</title>');
    // Its options are JSON data on the page (GraphiQL itself is served by the daemon: graphiql-browser.test.ts).
    const opts = JSON.parse(/<script type="application\/json" id="graphiql-options">(.*?)<\/script>/s.exec(html)![1]!) as { headers: string; defaultQuery: string; subscriptionsProtocol: string };
    const headers = JSON.parse(opts.headers) as Record<string, string>;
    expect(headers).toEqual({ Authorization: `Bearer ${token}` });
    // What GraphiQL sends when the newcomer presses Run: its default query with its headers.
    const run = await fetch(`${url}/graphql`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify({ query: opts.defaultQuery }) });
    const body = (await run.json()) as { data?: { teamSummary: { overdueChats: number }; accounts: unknown[] }; errors?: unknown };
    expect(body.errors).toBeUndefined();
    expect(body.data!.teamSummary.overdueChats).toBeGreaterThan(0);
    expect(body.data!.accounts).toHaveLength(4);
    expect((await (await fetch(`${url}/graphql`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: '{"query":"{ me { name role } }"}' })).json()) as unknown).toEqual({
      data: { me: { name: 'demo-manager', role: 'MANAGER' } },
    });
    // Its subscriptions go over SSE, as the page is configured.
    expect(opts.subscriptionsProtocol).toBe('SSE');
    const abort = new AbortController();
    const sse = await fetch(`${url}/graphql?query=${encodeURIComponent('subscription { teamSummaryChanged { overdueChats } }')}`, { headers: { ...headers, accept: 'text/event-stream' }, signal: abort.signal });
    expect(sse.status).toBe(200);
    const reader = sse.body!.getReader();
    let text = '';
    for (let i = 0; i < 20 && !text.includes('"teamSummaryChanged"'); i++) text += new TextDecoder().decode((await reader.read()).value);
    abort.abort();
    expect(text).toMatch(/event: next\ndata: \{"data":\{"teamSummaryChanged":\{"overdueChats":\d+\}\}\}/);
    // Without the token in the link, the same page is not signed in.
    const anonymous = await fetch(`${url}/graphql`, { headers: { accept: 'text/html' } });
    expect(await anonymous.text()).not.toContain(token!);
  });

  it('prints console, wall and operations links that answer, and curl lines that run as printed', async () => {
    const graphql = printed(out, 'GraphQL');
    const token = /\(token: (tgd_[\w-]{32})\)/.exec(graphql)![1]!;
    const consoleLink = printed(out, 'Console, signed in as the demo manager');
    expect(consoleLink).toBe(`${url}/console#token=${token}`);
    const wall = printed(out, 'NOC wall');
    const wallToken = /^http:\/\/127\.0\.0\.1:\d+\/#token=(tgd_[\w-]{32})$/.exec(wall)?.[1];
    expect(wallToken, wall).toBeTruthy();
    // The wall's token may read, and only read.
    const asWall = (query: string) => fetch(`${url}/graphql`, { method: 'POST', headers: { authorization: `Bearer ${wallToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ query }) }).then((r) => r.json() as Promise<{ data: unknown; errors?: { extensions: { code: string } }[] }>);
    expect((await asWall('{ me { role } }')).data).toEqual({ me: { role: 'VIEWER' } });
    expect((await asWall('mutation { putPolicy(input: { id: "x", name: "x", thresholdSeconds: 60 }) { id } }')).errors?.[0]?.extensions.code).toBe('FORBIDDEN');
    // The pages behind the links (the fragment stays in the browser): the console follows its redirect.
    for (const link of [consoleLink, wall]) {
      const page = await fetch(link.split('#')[0]!);
      expect(page.status, link).toBe(200);
      expect(page.headers.get('content-type'), link).toContain('text/html');
    }
    const ops = printed(out, 'Health');
    const opsUrls = [...ops.matchAll(/http:\/\/\S+/g)].map((m) => m[0]);
    expect(opsUrls).toEqual([`${url}/healthz`, `${url}/readyz`, `${url}/metrics`]);
    for (const u of opsUrls) expect((await fetch(u)).status, u).toBe(200);
    expect(await (await fetch(`${url}/metrics`)).text()).toMatch(/^tgdesk_team_overdue_chats \d+$/m);
    // The "Try:" lines that answer at once (the one with -N streams until stopped), pasted whole:
    // what follows a command on its line is a shell comment.
    const tries = out.split('\n').filter((l) => l.trimStart().startsWith('curl -s '));
    expect(tries.length).toBeGreaterThanOrEqual(3);
    for (const line of tries) {
      const r = spawnSync('sh', ['-c', line], { encoding: 'utf8', timeout: 30_000 });
      expect(r.status, `${line}\n${r.stderr}`).toBe(0);
      const answer = JSON.parse(r.stdout) as { data?: Record<string, unknown>; errors?: unknown };
      expect(answer.errors, line).toBeUndefined();
      expect(Object.keys(answer.data ?? {}).length, line).toBeGreaterThan(0);
    }
  });

  it('token create on the printed data directory, while the demo runs: printed once, only its hash stored, and it works against the demo', async () => {
    const line = out.split('\n').find((l) => l.includes('tgdesk token create'))!;
    const printedDir = /TGDESK_DATA_DIR=(\S+) tgdesk token create/.exec(line)?.[1];
    expect(printedDir).toBe(dataDir);
    // An admin of the demo's roster, as a manager's script would look one up.
    const manager = /\(token: (tgd_[\w-]{32})\)/.exec(printed(out, 'GraphQL'))![1]!;
    const team = (await (await fetch(`${url}/graphql`, { method: 'POST', headers: { authorization: `Bearer ${manager}`, 'content-type': 'application/json' }, body: '{"query":"{ teamMembers { id role } }"}' })).json()) as {
      data: { teamMembers: { id: string; role: string }[] };
    };
    const member = team.data.teamMembers.find((m) => m.role === 'ADMIN')!.id;
    const made = tgdesk(['token', 'create', '--role', 'admin', '--name', 'cli-made', '--member', member], { TGDESK_DATA_DIR: printedDir! });
    expect(made.status, made.stderr).toBe(0);
    // The token alone on stdout, so that TOKEN=$(tgdesk token create …) works; the rest on stderr.
    expect(made.stdout).toMatch(/^tgd_[\w-]{32}\n$/);
    const token = made.stdout.trim();
    expect(made.stderr).toContain('shown only now');
    expect(made.stderr).not.toContain(token);

    // Only the hash is stored: the row holds SHA-256 of the token, and no file of the store holds the token.
    const db = new Database(join(dataDir, 'tgdesk.sqlite'), { readonly: true, fileMustExist: true });
    try {
      const row = db.prepare('SELECT * FROM api_tokens WHERE name = ?').get('cli-made') as Record<string, unknown>;
      expect(row).toMatchObject({ role: 'admin', member_user_id: Number(member), hash: sha256(token), revoked_at: null });
      expect(Object.values(row).some((v) => String(v).includes(token) || String(v).includes(token.slice(4)))).toBe(false);
    } finally {
      db.close();
    }
    for (const file of readdirSync(dataDir).filter((f) => f.startsWith('tgdesk.sqlite'))) {
      const bytes = readFileSync(join(dataDir, file));
      expect(bytes.includes(Buffer.from(token.slice(4))), file).toBe(false);
    }
    // The list shows it, without the token.
    const list = tgdesk(['token', 'list'], { TGDESK_DATA_DIR: printedDir! });
    expect(list.stdout).toMatch(new RegExp(`cli-made\\s+admin\\s+${member}`));
    expect(list.stdout).not.toContain(token);

    // The running demo takes it at once: it acts as an admin, and as the member given.
    const me = await fetch(`${url}/graphql`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{"query":"{ me { name role member { id } } }"}' });
    expect(await me.json()).toEqual({ data: { me: { name: 'cli-made', role: 'ADMIN', member: { id: member } } } });
    // Revoked from the command line, it stops working against the running demo within 2 s.
    const revoke = tgdesk(['token', 'revoke', 'cli-made'], { TGDESK_DATA_DIR: printedDir! });
    expect(revoke.status, revoke.stderr).toBe(0);
    let status = 0;
    for (let i = 0; i < 40 && status !== 401; i++) {
      status = (await fetch(`${url}/graphql`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{"query":"{ me { name } }"}' })).status;
      if (status !== 401) await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe(401);
  }, 60_000);

  it('runs the daemon in a node with the daemon heap limit, and stops cleanly on SIGTERM to the command', async () => {
    // The command's process starts the daemon's node with the limit and passes signals on.
    const daemonPid = childrenOf(child.pid!)[0]!;
    const cmdline = readFileSync(`/proc/${daemonPid}/cmdline`, 'utf8').split('\0');
    expect(cmdline).toContain(`--max-old-space-size=${DEFAULT_HEAP_MB}`);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    // The daemon's node is gone too, not left behind.
    expect(() => readFileSync(`/proc/${daemonPid}/cmdline`)).toThrow();
  }, 30_000);
});

describe('tgdesk command', () => {
  it('token create refuses a missing role or name and an unknown role, creating nothing', () => {
    const dataDir = tempDir();
    for (const args of [['--name', 'x'], ['--role', 'viewer'], ['--role', 'root', '--name', 'x']]) {
      const r = tgdesk(['token', 'create', ...args], { TGDESK_DATA_DIR: dataDir });
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stdout, args.join(' ')).toBe('');
    }
    const list = tgdesk(['token', 'list'], { TGDESK_DATA_DIR: dataDir });
    expect(list.status, list.stderr).toBe(0);
    // The table's heading and no row.
    expect(list.stdout.trim().split('\n')).toEqual([expect.stringMatching(/^ID\s+NAME\s+ROLE\b/)]);
  });

  it('migrate applies the migrations once and then reports the store up to date', () => {
    const dataDir = tempDir();
    const first = tgdesk(['migrate'], { TGDESK_DATA_DIR: dataDir });
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/applied 0001_sync_core/);
    const second = tgdesk(['migrate'], { TGDESK_DATA_DIR: dataDir });
    expect(second.stdout).toMatch(/up to date/);
  });

  it('a malformed config exits with code 2 and lists every problem by variable, without secrets', () => {
    const secret = 'f'.repeat(31) + 'z';
    const r = tgdesk(['start'], { TGDESK_PORT: 'x', TGDESK_API_HASH: secret, TGDESK_ACCOUNTS: 'bad name!', DATABASE_URL: 'mysql://a' });
    expect(r.status).toBe(2);
    for (const name of ['TGDESK_PORT', 'TGDESK_API_HASH', 'TGDESK_API_ID', 'TGDESK_ACCOUNTS', 'DATABASE_URL']) expect(r.stderr).toContain(name);
    expect(r.stderr).not.toContain(secret);
  });

  it('refuses a heap limit that is no whole number of megabytes, and takes the operator’s own node limit as it is', () => {
    const r = tgdesk(['start'], { TGDESK_HEAP_MB: 'lots' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('TGDESK_HEAP_MB');
    expect(daemonHeapFlag({ TGDESK_HEAP_MB: '2048' }, [])).toBe('--max-old-space-size=2048');
    expect(daemonHeapFlag({}, [])).toBe(`--max-old-space-size=${DEFAULT_HEAP_MB}`);
    expect(daemonHeapFlag({ NODE_OPTIONS: '--enable-source-maps --max-old-space-size=3000' }, [])).toBeNull();
    expect(daemonHeapFlag({}, ['--max_old_space_size=700'])).toBeNull();
  });

  it('an unknown command exits with code 2 and the usage', () => {
    const r = tgdesk(['frobnicate'], {});
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('Usage:');
  });
});
