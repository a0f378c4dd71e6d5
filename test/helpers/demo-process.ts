/**
 * `tgdesk demo` as a process, the way a newcomer runs it from the README: on a data directory of
 * its own and a free port, read until it prints that it is ready. The browser tests open the
 * links it prints.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface DemoProcess {
  readonly child: ChildProcess;
  /** What the demo has printed so far. */
  readonly out: () => string;
  readonly err: () => string;
  /** SIGTERM, then waits for the exit, and removes the data directory. */
  readonly stop: () => Promise<void>;
}

/** Starts the demo and waits (up to a minute) until it prints its ready line; a demo that never does is returned as it is, for the test to report. */
export async function startDemoProcess(label: string): Promise<DemoProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), `tgdesk-${label}-`));
  const child = spawn(process.execPath, ['bin/tgdesk.mjs', 'demo'], { env: { ...process.env, TGDESK_DATA_DIR: dataDir, TGDESK_PORT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  for (let i = 0; i < 600 && !out.includes('Stop with Ctrl-C') && child.exitCode === null; i++) await new Promise((r) => setTimeout(r, 100));
  return {
    child,
    out: () => out,
    err: () => err,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
