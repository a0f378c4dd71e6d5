/**
 * `tgdesk demo` as a process, the way a newcomer runs it from the README: on a data directory of
 * its own and a free port. The browser tests open the links it prints.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface DemoProcess {
  readonly child: ChildProcess;
  /** Settles once the demo prints its ready line, or exits, or a minute has passed: the test then checks `out()`. */
  readonly ready: Promise<void>;
  /** What the demo has printed so far. */
  readonly out: () => string;
  readonly err: () => string;
  /** SIGTERM (SIGKILL after 10 s), waits for the exit, and removes the data directory. */
  readonly stop: () => Promise<void>;
}

/**
 * Starts the demo. Returned at once, before it is ready, so that the test's cleanup holds it even
 * when the test times out while waiting for it.
 */
export function launchDemoProcess(label: string): DemoProcess {
  const dataDir = mkdtempSync(join(tmpdir(), `tgdesk-${label}-`));
  const child = spawn(process.execPath, ['bin/tgdesk.mjs', 'demo'], { env: { ...process.env, TGDESK_DATA_DIR: dataDir, TGDESK_PORT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  child.once('error', (error) => (err += `\nspawning the demo failed: ${error.message}`));
  const gone = () => child.exitCode !== null || child.signalCode !== null;
  const ready = (async () => {
    for (let i = 0; i < 600 && !out.includes('Stop with Ctrl-C') && !gone() && child.pid !== undefined; i++) await new Promise((r) => setTimeout(r, 100));
  })();
  return {
    child,
    ready,
    out: () => out,
    err: () => err,
    stop: async () => {
      if (child.pid !== undefined && !gone()) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(killer);
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
