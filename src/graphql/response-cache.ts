/**
 * A micro-cache for hot read queries over HTTP. Walls, dashboards and portals poll the same few
 * queries; between two changes every answer is the same bytes, so computing, serialising and
 * encoding it again is waste. A repeated request is answered with the stored bytes while no
 * event has been published since they were made (every visible change is an event, DESIGN.md
 * §4, overdue flips included) and for at most `maxAgeMs`, so what depends on the clock alone is
 * never staler than that.
 *
 * Only queries whose root fields are all in CACHEABLE_ROOT_FIELDS qualify, and only answers
 * without errors are kept. The key holds the request as sent (method, URL, body, Accept) and the
 * token's team member (stars differ per member). The token is checked on every request, hit or
 * not, so a revoked token is refused at once.
 */
import { getOperationAST, Kind } from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import type { Daemon } from '../app/daemon.ts';

/** Root fields whose answers change only by an event, or by the clock within a second. */
export const CACHEABLE_ROOT_FIELDS: ReadonlySet<string> = new Set(['dialogs', 'dialog', 'teamSummary']);

/** Set by the HTTP layer in the server context; filled in while the operation executes. */
export interface CacheProbe {
  /** The event sequence number the answer was computed at. */
  seq: number;
  cacheable: boolean;
}

/** Marks an execution whose answer may be stored: cacheable root fields, no errors. */
export function cacheProbePlugin(daemon: Daemon): Plugin {
  return {
    onExecute({ args }) {
      const probe = (args.contextValue as { cacheProbe?: CacheProbe }).cacheProbe;
      if (!probe) return;
      const op = getOperationAST(args.document, args.operationName);
      if (!op || op.operation !== 'query') return;
      for (const sel of op.selectionSet.selections) if (sel.kind !== Kind.FIELD || !CACHEABLE_ROOT_FIELDS.has(sel.name.value)) return;
      // Read before executing: a change published meanwhile makes the stored answer stale at once.
      probe.seq = daemon.bus.lastSeq;
      return {
        onExecuteDone({ result }) {
          if (!isAsyncIterable(result) && !result.errors?.length) probe.cacheable = true;
        },
      };
    },
  };
}

export interface CachedResponse {
  readonly status: number;
  readonly contentType: string;
  readonly body: Buffer;
}

export class ResponseCache {
  private readonly entries = new Map<string, { seq: number; at: number; response: CachedResponse }>();
  private bytes = 0;

  constructor(
    private readonly daemon: Daemon,
    private readonly maxAgeMs = 1_000,
    private readonly maxBytes = 32 * 2 ** 20,
  ) {}

  get(key: string): CachedResponse | null {
    const hit = this.entries.get(key);
    if (!hit) return null;
    if (hit.seq === this.daemon.bus.lastSeq && Date.now() - hit.at < this.maxAgeMs) return hit.response;
    this.drop(key);
    return null;
  }

  set(key: string, seq: number, at: number, response: CachedResponse): void {
    if (response.body.length > this.maxBytes / 8) return;
    this.drop(key);
    if (this.bytes + response.body.length > this.maxBytes) {
      this.entries.clear();
      this.bytes = 0;
    }
    this.entries.set(key, { seq, at, response });
    this.bytes += response.body.length;
  }

  private drop(key: string): void {
    const old = this.entries.get(key);
    if (!old) return;
    this.entries.delete(key);
    this.bytes -= old.response.body.length;
  }
}
