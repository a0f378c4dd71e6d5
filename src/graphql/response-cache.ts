/**
 * A micro-cache for hot read queries over HTTP. Walls, dashboards and portals poll the same few
 * queries; between two changes every answer is the same bytes, so computing, serialising and
 * encoding it again is waste. A repeated request is answered with the stored bytes while no
 * event has been published since they were made (every visible change is an event, DESIGN.md
 * §4, overdue flips included) and for at most `maxAgeMs`, so what depends on the clock alone is
 * never staler than that.
 *
 * Validity is kept per account where it can be: an answer made only of `dialogs`/`dialog` of one
 * account stays valid until an event that can change that account's rows: its own dialogChanged,
 * dialogRemoved or accountSyncChanged, a team-wide change to a chat the account has (alarm, wait,
 * kind, title, star), or an event of a kind not known to leave rows alone (NO_ROW_CHANGE below).
 * Traffic in chats of other accounts no longer throws it away. Other answers
 * (teamSummary) are valid until any event.
 *
 * Only queries whose root fields are all in CACHEABLE_ROOT_FIELDS qualify, and only answers
 * without errors are kept. The key holds the request as sent (method, URL, body, Accept) and the
 * token's team member (stars differ per member). The token is checked on every request, hit or
 * not, so a revoked token is refused at once.
 */
import { getOperationAST, Kind, type ValueNode } from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import type { Daemon } from '../app/daemon.ts';
import type { StoredEvent } from '../app/event-bus.ts';

/** Root fields whose answers change only by an event, or by the clock within a second. */
export const CACHEABLE_ROOT_FIELDS: ReadonlySet<string> = new Set(['dialogs', 'dialog', 'teamSummary']);

/** Root fields whose answer is one account's dialog rows (by their `accountId` argument). */
const ACCOUNT_ROOT_FIELDS: ReadonlySet<string> = new Set(['dialogs', 'dialog']);

/** Events that change dialog rows of their own account only. */
const ROW_EVENTS_OF_ONE_ACCOUNT: ReadonlySet<string> = new Set(['dialogChanged', 'dialogRemoved', 'accountSyncChanged']);

/**
 * Events that change no dialog row by themselves: a row that a message, a task or a summary
 * changes comes with a dialogChanged of its own (domain/events.ts; the dialogChanged
 * subscription relies on the same rule). Every other event type, known or new, is taken to
 * change rows of every account.
 */
const NO_ROW_CHANGE: ReadonlySet<string> = new Set([
  'messageAdded',
  'messageEdited',
  'messagesDeleted',
  'teamSummaryChanged',
  'taskChanged',
  'membershipJobChanged',
  'alert',
  'dutyChanged',
]);

/** Set by the HTTP layer in the server context; filled in while the operation executes. */
export interface CacheProbe {
  /** The event sequence number the answer was computed at. */
  seq: number;
  cacheable: boolean;
  /** The one account whose rows the answer is made of, or null if it may depend on anything. */
  scope?: string | null;
}

function stringArgument(value: ValueNode | undefined, variables: Readonly<Record<string, unknown>> | null | undefined): string | null {
  if (value?.kind === Kind.STRING) return value.value;
  if (value?.kind === Kind.VARIABLE) {
    const v = variables?.[value.name.value];
    return typeof v === 'string' ? v : null;
  }
  return null;
}

/** Marks an execution whose answer may be stored: cacheable root fields, no errors. */
export function cacheProbePlugin(daemon: Daemon): Plugin {
  return {
    onExecute({ args }) {
      const probe = (args.contextValue as { cacheProbe?: CacheProbe }).cacheProbe;
      if (!probe) return;
      const op = getOperationAST(args.document, args.operationName);
      if (!op || op.operation !== 'query') return;
      const accounts = new Set<string | null>();
      for (const sel of op.selectionSet.selections) {
        if (sel.kind !== Kind.FIELD || !CACHEABLE_ROOT_FIELDS.has(sel.name.value)) return;
        accounts.add(ACCOUNT_ROOT_FIELDS.has(sel.name.value) ? stringArgument(sel.arguments?.find((a) => a.name.value === 'accountId')?.value, args.variableValues) : null);
      }
      const [only] = accounts;
      probe.scope = accounts.size === 1 && only !== undefined ? only : null;
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
  private readonly entries = new Map<string, { seq: number; at: number; scope: string | null; response: CachedResponse }>();
  private bytes = 0;
  /** The newest event that may change every account's rows. */
  private everyAccountSeq = 0;
  /** Per account, the newest event that changed its rows. */
  private readonly accountSeq = new Map<string, number>();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly daemon: Daemon,
    private readonly maxAgeMs = 1_000,
    private readonly maxBytes = 32 * 2 ** 20,
  ) {
    this.everyAccountSeq = daemon.bus.lastSeq;
    this.unsubscribe = daemon.bus.subscribe((events) => this.observe(events));
  }

  private observe(events: readonly StoredEvent[]): void {
    for (const e of events) {
      if (NO_ROW_CHANGE.has(e.type)) continue;
      if (ROW_EVENTS_OF_ONE_ACCOUNT.has(e.type) && e.accountId) {
        this.accountSeq.set(e.accountId, e.seq);
      } else if (e.chatKey) {
        // A team-wide change to one chat (alarm, wait, kind, title, star): the rows of the
        // accounts that have the chat. A chat joining an account comes with its dialogChanged.
        for (const [accountId, chats] of this.daemon.model.accountChats) if (chats.has(e.chatKey)) this.accountSeq.set(accountId, e.seq);
      } else {
        this.everyAccountSeq = e.seq;
      }
    }
  }

  /** Whether an answer made at `seq` for `scope` is still what a fresh computation would give. */
  private fresh(seq: number, scope: string | null): boolean {
    if (scope === null) return seq === this.daemon.bus.lastSeq;
    return this.everyAccountSeq <= seq && (this.accountSeq.get(scope) ?? 0) <= seq;
  }

  get(key: string): CachedResponse | null {
    const hit = this.entries.get(key);
    if (!hit) return null;
    if (this.fresh(hit.seq, hit.scope) && Date.now() - hit.at < this.maxAgeMs) {
      this.onLookup?.(true);
      return hit.response;
    }
    this.drop(key);
    return null;
  }

  /** Called with true for every hit (the server counts misses where it computes). */
  onLookup?: (hit: boolean) => void;

  close(): void {
    this.unsubscribe();
  }

  set(key: string, seq: number, at: number, response: CachedResponse, scope: string | null = null): void {
    if (response.body.length > this.maxBytes / 8) return;
    this.drop(key);
    if (this.bytes + response.body.length > this.maxBytes) {
      this.entries.clear();
      this.bytes = 0;
    }
    this.entries.set(key, { seq, at, scope, response });
    this.bytes += response.body.length;
  }

  private drop(key: string): void {
    const old = this.entries.get(key);
    if (!old) return;
    this.entries.delete(key);
    this.bytes -= old.response.body.length;
  }
}
