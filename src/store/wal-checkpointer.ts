/**
 * Checkpoints the SQLite write-ahead log from a worker thread with its own connection.
 *
 * In WAL mode every commit appends pages to the log; a checkpoint copies them into the database
 * file and syncs it to disk. By default the connection that commits runs the checkpoint itself
 * whenever the log passes 1,000 pages, on the daemon's one JavaScript thread, in the middle of
 * ingest. A PASSIVE checkpoint on a second connection runs alongside the writer (SQLite's own
 * locking keeps the two apart), so on two cores it costs the daemon's thread nothing.
 *
 * The daemon's connection keeps a much larger auto-checkpoint bound of its own: should the
 * worker stall or die, the log still cannot grow without end.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** Pages the daemon's own connection lets the log reach before it checkpoints itself. */
export const FALLBACK_AUTOCHECKPOINT_PAGES = 20_000;
const INTERVAL_MS = 250;

export interface WalCheckpointer {
  /** Stops the worker and closes its connection; resolves when it is gone. */
  close(): Promise<void>;
}

// Plain CommonJS evaluated in the worker: no loader, no TypeScript, only the SQLite driver.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const SQLite = require(workerData.driver);
const db = new SQLite(workerData.file, { fileMustExist: true });
db.pragma('busy_timeout = 0');
const checkpoint = () => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // Busy or interrupted: the next round (or the daemon's own fallback) does it.
  }
};
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.on('message', () => {
  clearInterval(timer);
  checkpoint();
  db.close();
  parentPort.close();
});
`;

export function startWalCheckpointer(file: string, intervalMs = INTERVAL_MS): WalCheckpointer {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { file, driver, intervalMs } });
  worker.unref();
  // A worker that fails leaves checkpoints to the daemon's connection (see above).
  worker.on('error', () => undefined);
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  return {
    async close() {
      // Referenced again while it winds down, or a process with nothing else left to do would
      // exit with the wait unsettled.
      worker.ref();
      worker.postMessage('close');
      await exited;
    },
  };
}
