#!/usr/bin/env node
// The tgdesk command. The sources are TypeScript run through tsx's loader, so a fresh
// clone needs no build step between `npm ci` and `tgdesk demo`.
//
// The daemon commands (`start`, `demo`) run in a node of their own with the daemon's heap limit
// (bin/lib/daemon-heap.mjs): a flag node takes only at start. This process passes signals on and
// exits as that one does.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { daemonHeapFlag } from './lib/daemon-heap.mjs';

const args = process.argv.slice(2);
const DAEMON_COMMANDS = new Set(['start', 'demo']);

let heapFlag = null;
if (DAEMON_COMMANDS.has(args[0]) && process.env.TGDESK_DAEMON_NODE !== '1') {
  try {
    heapFlag = daemonHeapFlag();
  } catch (error) {
    process.stderr.write(`tgdesk: ${error.message}\n`);
    process.exit(2);
  }
}

if (heapFlag !== null) {
  const child = spawn(process.execPath, [...process.execArgv, heapFlag, fileURLToPath(import.meta.url), ...args], {
    stdio: 'inherit',
    env: { ...process.env, TGDESK_DAEMON_NODE: '1' },
  });
  // Ctrl-C reaches both processes from the terminal; the daemon handles it, this one waits.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => {
      if (signal !== 'SIGINT' || !process.stdin.isTTY) child.kill(signal);
    });
  }
  child.on('exit', (code, signal) => {
    process.exitCode = code ?? (signal ? 128 + (signalNumbers[signal] ?? 1) : 1);
  });
} else {
  const { register } = await import('tsx/esm/api');
  register();
  const { main } = await import('../src/cli/main.ts');
  process.exitCode = await main(args);
}

// Exit codes of a child ended by a signal, as a shell reports them.
const signalNumbers = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };
