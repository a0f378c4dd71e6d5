import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config/config.ts';

const HASH = '0123456789abcdef0123456789abcdef';

describe('config', () => {
  const dirs: string[] = [];
  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'tgdesk-config-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('applies the documented defaults', () => {
    const c = loadConfig({ mode: 'demo', env: {}, cwd: '/srv' });
    expect(c).toMatchObject({ host: '127.0.0.1', port: 4000, dataDir: '/srv/.tgdesk/demo', databaseUrl: null, logLevel: 'info' });
    expect(Object.isFrozen(c) && Object.isFrozen(c.team)).toBe(true);
  });

  it('reports every problem at once, each named by its variable', () => {
    let error: unknown;
    try {
      loadConfig({
        mode: 'start',
        env: { TGDESK_PORT: 'eighty', TGDESK_API_HASH: 'nothex', DATABASE_URL: 'mysql://x', TGDESK_LOG_LEVEL: 'loud', TGDESK_ACCOUNTS: 'ok,bad name' },
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    for (const name of ['TGDESK_PORT', 'TGDESK_API_HASH', 'DATABASE_URL', 'TGDESK_LOG_LEVEL', 'TGDESK_ACCOUNTS', 'TGDESK_API_ID']) {
      expect(problems).toContain(name);
    }
    expect((error as ConfigError).problems.length).toBeGreaterThanOrEqual(6);
  });

  it('never shows a secret in errors, logs or JSON', () => {
    const c = loadConfig({ mode: 'start', env: { TGDESK_API_ID: '12345', TGDESK_API_HASH: HASH, TGDESK_ACCOUNTS: 'alice', DATABASE_URL: 'postgres://u:hunter2@db/x' } });
    const shown = JSON.stringify(c) + inspect(c, { depth: 5 }) + String(c.apiHash);
    expect(shown).not.toContain(HASH);
    expect(shown).not.toContain('hunter2');
    expect(c.apiHash?.reveal()).toBe(HASH);
    let rejected: unknown;
    try {
      loadConfig({ mode: 'start', env: { TGDESK_API_ID: '1', TGDESK_API_HASH: 'zz' + HASH, TGDESK_ACCOUNTS: 'a' } });
    } catch (e) {
      rejected = e;
    }
    // Rejected, and the operator is told which variable is wrong, without the value echoed back.
    expect(rejected).toBeInstanceOf(ConfigError);
    const { message, problems } = rejected as ConfigError;
    expect(message).toContain('TGDESK_API_HASH');
    expect(message + problems.join('\n')).not.toContain(HASH);
  });

  it('reads an optional file, and variables win over it', () => {
    const dir = tempDir();
    const file = join(dir, 'tgdesk.json');
    writeFileSync(file, JSON.stringify({ port: 5000, accounts: ['alice', 'bob'], team: { chatId: -100500, members: [{ userId: 7, role: 'manager', name: 'Olga' }] } }));
    const c = loadConfig({ mode: 'tool', env: { TGDESK_CONFIG: file, TGDESK_PORT: '6000' } });
    expect(c.port).toBe(6000);
    expect(c.accounts).toEqual(['alice', 'bob']);
    expect(c.team).toEqual({ chatId: -100500, members: [{ userId: 7, role: 'manager', name: 'Olga' }] });
  });

  it('rejects a broken file with a clear reason', () => {
    const dir = tempDir();
    const file = join(dir, 'broken.json');
    writeFileSync(file, '{ "port": ');
    expect(() => loadConfig({ mode: 'tool', env: { TGDESK_CONFIG: file } })).toThrow(/TGDESK_CONFIG: cannot read/);
  });
});
