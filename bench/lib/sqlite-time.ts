/**
 * Time spent inside better-sqlite3's statements (run, all, get), for the ingest bench:
 * it shows how much of an ingest run is SQLite's own work, which no change to the JavaScript
 * around it can remove, against the raw baseline's whole time.
 *
 * It wraps the methods of better-sqlite3's Statement prototype while a measurement is open and
 * puts them back when it closes. Every connection in the process shares that prototype, so a
 * measurement counts all SQLite work of the process while it is open: the bench opens one only
 * around a timed run in which nothing else touches SQLite.
 */
import Database from 'better-sqlite3';

export interface StatementTime {
  /** Milliseconds inside statements since the measurement opened. */
  readonly ms: number;
}

type StatementMethod = (...args: unknown[]) => unknown;

// `iterate` is left out: it returns before the rows are read, and ingest does not use it.
const METHODS = ['run', 'all', 'get'] as const;

export function measureSqliteStatements(): { stop(): StatementTime } {
  const probe = new Database(':memory:');
  const prototype = Object.getPrototypeOf(probe.prepare('select 1')) as Record<string, StatementMethod>;
  probe.close();
  const originals = new Map<string, StatementMethod>();
  let ms = 0;
  for (const name of METHODS) {
    const original = prototype[name]!;
    originals.set(name, original);
    prototype[name] = function timed(this: unknown, ...args: unknown[]) {
      const t = performance.now();
      try {
        return original.apply(this, args);
      } finally {
        ms += performance.now() - t;
      }
    };
  }
  let open = true;
  return {
    stop() {
      if (open) {
        for (const [name, original] of originals) prototype[name] = original;
        open = false;
      }
      return { ms };
    },
  };
}
