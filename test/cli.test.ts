/**
 * The README contract as a user meets it: `tgdesk demo` starts in seconds and answers, stops
 * cleanly on SIGTERM; `tgdesk migrate` works; a malformed config fails with every problem listed.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

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

describe('tgdesk command', () => {
  it('demo starts, serves the simulated team over HTTP, and stops cleanly on SIGTERM', async () => {
    const dataDir = tempDir();
    const started = Date.now();
    const child = spawn(process.execPath, ['bin/tgdesk.mjs', 'demo'], { env: { ...process.env, TGDESK_DATA_DIR: dataDir, TGDESK_PORT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    for (let i = 0; i < 300 && !out.includes('Stop with Ctrl-C'); i++) await new Promise((r) => setTimeout(r, 100));
    expect(out, err).toContain('Stop with Ctrl-C');
    const startup = Date.now() - started;
    const url = /(http:\/\/127\.0\.0\.1:\d+)\/graphql/.exec(out)?.[1];
    expect(url).toBeTruthy();

    const ready = (await (await fetch(`${url}/readyz`)).json()) as { ready: boolean; accounts: { id: string; syncComplete: boolean }[] };
    expect(ready.ready).toBe(true);
    expect(ready.accounts.length).toBe(4);
    expect(ready.accounts.every((a) => a.syncComplete)).toBe(true);
    // The demo promised overdue chats at once.
    expect(/(\d+) overdue support chats/.exec(out)?.[1]).not.toBe('0');

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    // Seconds, not minutes, on a fresh data directory (tsx compiles on the fly).
    expect(startup).toBeLessThan(30_000);
  }, 60_000);

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

  it('an unknown command exits with code 2 and the usage', () => {
    const r = tgdesk(['frobnicate'], {});
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('Usage:');
  });
});
