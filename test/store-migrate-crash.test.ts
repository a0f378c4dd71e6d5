import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../src/store/database.ts';
import { MIGRATIONS } from '../src/store/migrations/index.ts';

const HELPER = join(import.meta.dirname, 'helpers', 'migrate-and-die.ts');
const RUN_TS = join(import.meta.dirname, '..', 'bin', 'run-ts.mjs');

describe('migrations on SQLite', () => {
  let dir = '';
  let store: Store | null = null;
  afterEach(async () => {
    await store?.close();
    store = null;
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('leave the schema as it was when the process is killed in the middle, so the next start migrates', async () => {
    dir = mkdtempSync(join(tmpdir(), 'tgdesk-migrate-crash-'));
    const child = spawn(process.execPath, [RUN_TS, HELPER], { env: { ...process.env, TGDESK_DATA_DIR: dir }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const signal = await new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, s) => resolve(s)));
    expect(signal, stderr).toBe('SIGKILL');

    store = await openStore({ dataDir: dir });
    const tables = async () =>
      (await store!.db.selectFrom('sqlite_master' as never).select('name' as never).where('type' as never, '=', 'table' as never).execute()).map((r) => (r as { name: string }).name);
    // Nothing of the killed run stays: neither the real migrations that ran before it in the same
    // run, nor the half-done one's table.
    expect(await tables()).not.toContain('half_done');
    expect(await tables()).not.toContain('accounts');

    const report = await store.migrate();
    expect(report.applied).toEqual(MIGRATIONS.map(([name]) => name));
    expect(await tables()).toEqual(expect.arrayContaining(['accounts', 'messages', 'events']));
  });
});
