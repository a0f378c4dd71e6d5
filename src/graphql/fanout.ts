/**
 * Shared subscription fan-out for graphql-ws.
 *
 * A wall of NOC screens and a portal's tabs subscribe to the same few operations with the same
 * token. Executing and serialising each event once per subscriber (graphql-js maps every
 * subscriber's stream through its own execution, then graphql-ws stringifies every result) made
 * one change to 500 subscribers cost 500 executions, 500 serialisations and 500 chains of async
 * iterators. Here subscribers whose operation is the same (query text, operation name,
 * variables) and who ask as the same role and team member share one *group*: one source stream
 * over the event bus, one execution per event, one serialised payload, and each member's socket
 * gets those bytes behind its own message id. graphql-ws still runs the protocol (init, ping,
 * subscribe, complete, errors, close codes); for a shared subscription it gets an iterator that
 * yields nothing and ends when the group or the member ends, so `complete` and `error` messages
 * are still its own.
 *
 * Only streams whose live part is the same for every subscriber may share, and each says what a
 * member that joins a running group needs first (SHAREABLE below): nothing for `dialogChanged`
 * and live `events`; the latest result for `teamSummaryChanged`, whose first item is the current
 * state. Everything else (a replay from `after`, the other subscriptions, queries and mutations
 * over WebSocket, SSE) runs per subscriber as before.
 *
 * Backpressure: graphql-ws waits for each write of a subscriber before the next result, so a
 * slow reader used to fall behind in its own queue until it was cut off with RESYNC_REQUIRED.
 * A group writes without waiting; a member whose socket holds more than `maxBufferedBytes`
 * unsent is cut off the same way, with a RESYNC_REQUIRED error and a normal `complete`.
 */
import { Kind, type DocumentNode, type ExecutionResult, type OperationDefinitionNode, type ValueNode } from 'graphql';
import type { WebSocket } from 'ws';

/** What a member that joins a running group needs before the group's next result. */
export type ShareKind = 'live' | 'latest';

/**
 * Subscription root fields whose groups can be joined at any time, and how. A field is listed
 * only when its live stream is a function of the event log and the (role, member) alone:
 * - `dialogChanged`: no initial items; the passing set behind the counts is the same for
 *   every subscriber of one account and filter at one event.
 * - `teamSummaryChanged`: its first item is the current summary, every later one a change, so
 *   the group's latest result is a joiner's first.
 * - `events` without `after`: live events only. With `after` it replays from the store first,
 *   per subscriber.
 */
const SHAREABLE: Readonly<Record<string, ShareKind>> = { dialogChanged: 'live', teamSummaryChanged: 'latest', events: 'live' };

export interface SharePlan {
  readonly kind: ShareKind;
  /** The root field's response name, for an error a member is cut off with. */
  readonly responseName: string;
}

function isNullArgument(value: ValueNode | undefined, variables: Readonly<Record<string, unknown>> | null | undefined): boolean {
  if (!value || value.kind === Kind.NULL) return true;
  if (value.kind === Kind.VARIABLE) {
    const v = variables?.[value.name.value];
    return v === null || v === undefined;
  }
  return false;
}

/** Whether this (valid) operation may share a group, and how a joiner starts. */
export function sharePlanOf(document: DocumentNode, operationName: string | null | undefined, variables: Readonly<Record<string, unknown>> | null | undefined): SharePlan | null {
  const ops = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  const op = operationName ? ops.find((o) => o.name?.value === operationName) : ops.length === 1 ? ops[0] : undefined;
  if (!op || op.operation !== 'subscription' || (op.directives?.length ?? 0) > 0) return null;
  const fields = op.selectionSet.selections;
  const field = fields[0];
  if (fields.length !== 1 || !field || field.kind !== Kind.FIELD || (field.directives?.length ?? 0) > 0) return null;
  const kind = SHAREABLE[field.name.value];
  if (!kind) return null;
  if (field.name.value === 'events' && !isNullArgument(field.arguments?.find((a) => a.name.value === 'after')?.value, variables)) return null;
  return { kind, responseName: field.alias?.value ?? field.name.value };
}

/** A group's source: the operation subscribed once (yoga's subscribe), or its errors. */
export type GroupStart = () => Promise<AsyncIterable<ExecutionResult> | ExecutionResult> | AsyncIterable<ExecutionResult> | ExecutionResult;

export interface FanoutOptions {
  /** A member whose socket holds more unsent bytes than this is cut off with RESYNC_REQUIRED. */
  readonly maxBufferedBytes?: number;
  /** Called as a member joins and leaves (metrics count subscribers, not groups). */
  readonly onJoin?: () => void;
  readonly onLeave?: () => void;
  /** Called with the number of groups whenever it changes. */
  readonly onGroups?: (count: number) => void;
  /** Called when a group's stream fails (the members get the error). */
  readonly onError?: (error: unknown) => void;
}

const TAIL = Buffer.from('}');
const OPEN = 1;

class Member {
  readonly head: Buffer;
  private pending: ((r: IteratorResult<ExecutionResult>) => void) | null = null;
  private failPending: ((e: unknown) => void) | null = null;
  /** Results this member receives through graphql-ws (a group that failed to start). */
  private readonly own: ExecutionResult[] = [];
  private ended = false;
  private failure: { error: unknown } | null = null;
  left = false;

  constructor(
    readonly socket: WebSocket,
    readonly id: string,
    private readonly leave: (m: Member) => void,
  ) {
    this.head = Buffer.from(`{"id":${JSON.stringify(id)},"type":"next","payload":`);
  }

  /** Writes a serialised payload as this member's `next` message. */
  send(payload: Buffer): void {
    if (this.ended || this.socket.readyState !== OPEN) return;
    this.socket.send(Buffer.concat([this.head, payload, TAIL], this.head.length + payload.length + 1), { binary: false });
  }

  /** Ends the member's iterator: graphql-ws then sends `complete` (or `error` if failed). */
  end(error?: { error: unknown }, last?: ExecutionResult): void {
    if (this.ended) return;
    if (last) this.own.push(last);
    this.ended = true;
    if (error) this.failure = error;
    this.flush();
  }

  private flush(): void {
    const resolve = this.pending;
    const reject = this.failPending;
    if (!resolve || !reject) return;
    if (this.own.length > 0) {
      this.pending = this.failPending = null;
      resolve({ done: false, value: this.own.shift()! });
    } else if (this.failure) {
      this.pending = this.failPending = null;
      const f = this.failure;
      this.failure = null;
      reject(f.error);
    } else if (this.ended) {
      this.pending = this.failPending = null;
      resolve({ done: true, value: undefined });
    }
  }

  /** The iterator graphql-ws drives for this subscription. */
  iterator(): AsyncIterableIterator<ExecutionResult> {
    const it: AsyncIterableIterator<ExecutionResult> = {
      next: () =>
        new Promise<IteratorResult<ExecutionResult>>((resolve, reject) => {
          this.pending = resolve;
          this.failPending = reject;
          this.flush();
        }),
      return: async () => {
        this.quit();
        return { done: true, value: undefined };
      },
      throw: async (error?: unknown) => {
        this.quit();
        throw error;
      },
      [Symbol.asyncIterator]: () => it,
    };
    return it;
  }

  private quit(): void {
    this.own.length = 0;
    this.failure = null;
    this.end();
    this.leave(this);
  }
}

class Group<I> {
  readonly members = new Set<Member>();
  /** The latest payload sent, for members that join a `latest` group. */
  latest: Buffer | null = null;
  private source: AsyncIterator<ExecutionResult> | null = null;
  closed = false;

  constructor(
    readonly key: string,
    readonly plan: SharePlan,
    readonly info: I,
  ) {}

  attach(source: AsyncIterator<ExecutionResult>): void {
    this.source = source;
    if (this.closed) void source.return?.();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    void this.source?.return?.()?.catch?.(() => undefined);
  }
}

/** The payload graphql-ws would send for this result, serialised once. */
export function serialisePayload(result: ExecutionResult): Buffer {
  const { errors, ...rest } = result;
  return Buffer.from(JSON.stringify(errors ? { ...rest, errors: errors.map((e) => (typeof e.toJSON === 'function' ? e.toJSON() : e)) } : rest));
}

export class SubscriptionFanout<I = unknown> {
  private readonly groups = new Map<string, Group<I>>();
  private readonly maxBufferedBytes: number;

  constructor(private readonly options: FanoutOptions = {}) {
    this.maxBufferedBytes = options.maxBufferedBytes ?? 8 * 2 ** 20;
  }

  /** Groups running now (for tests and metrics). */
  get groupCount(): number {
    return this.groups.size;
  }

  /** What the running group of `key` was started with (its document, for a joiner), if one runs. */
  info(key: string): I | undefined {
    return this.groups.get(key)?.info;
  }

  /**
   * Adds a subscriber to the group of `key`, starting the group with `start` if there is none.
   * Returns the iterator graphql-ws drives for this subscriber.
   */
  join(key: string, plan: SharePlan, info: I, socket: WebSocket, id: string, start: GroupStart): AsyncIterableIterator<ExecutionResult> {
    let group = this.groups.get(key);
    const fresh = !group;
    if (!group) {
      group = new Group(key, plan, info);
      this.groups.set(key, group);
      this.options.onGroups?.(this.groups.size);
    }
    const g = group;
    const member = new Member(socket, id, (m) => this.leave(g, m));
    g.members.add(member);
    this.options.onJoin?.();
    if (!fresh && g.plan.kind === 'latest' && g.latest) member.send(g.latest);
    if (fresh) void this.run(g, start);
    return member.iterator();
  }

  private leave(group: Group<I>, member: Member): void {
    if (member.left) return;
    member.left = true;
    group.members.delete(member);
    this.options.onLeave?.();
    if (group.members.size === 0) this.drop(group);
  }

  private drop(group: Group<I>): void {
    this.forget(group);
    group.close();
  }

  private forget(group: Group<I>): void {
    if (this.groups.get(group.key) !== group) return;
    this.groups.delete(group.key);
    this.options.onGroups?.(this.groups.size);
  }

  private async run(group: Group<I>, start: GroupStart): Promise<void> {
    let failure: { error: unknown } | undefined;
    let last: ExecutionResult | undefined;
    try {
      const started = await start();
      if (!isAsyncIterable(started)) {
        // The operation failed before it streamed (an unknown account, a bad argument): every
        // member gets that result, as a subscriber of its own would.
        last = started;
        return;
      }
      const source = started[Symbol.asyncIterator]();
      group.attach(source);
      while (!group.closed) {
        const r = await source.next();
        if (r.done || group.closed) break;
        const payload = serialisePayload(r.value);
        if (group.plan.kind === 'latest') group.latest = payload;
        for (const m of group.members) {
          if (m.socket.bufferedAmount > this.maxBufferedBytes) {
            this.cutOff(group, m);
            continue;
          }
          m.send(payload);
        }
      }
    } catch (error) {
      failure = { error };
      this.options.onError?.(error);
    } finally {
      this.forget(group);
      group.closed = true;
      // A stream that ends by itself is never returned by graphql-ws, so its members leave here,
      // or the subscriber gauge would count them for the life of the process.
      for (const m of [...group.members]) {
        m.end(failure, last);
        this.leave(group, m);
      }
    }
  }

  /** A member that cannot keep up: RESYNC_REQUIRED, then `complete`, as a stream of its own would end. */
  private cutOff(group: Group<I>, m: Member): void {
    m.end(undefined, {
      data: null,
      errors: [
        {
          message: 'this subscriber fell too far behind; refetch state and subscribe again',
          path: [group.plan.responseName],
          extensions: { code: 'RESYNC_REQUIRED' },
        } as never,
      ],
    });
    group.members.delete(m);
    m.left = true;
    this.options.onLeave?.();
    if (group.members.size === 0) this.drop(group);
  }
}

function isAsyncIterable(value: unknown): value is AsyncIterable<ExecutionResult> {
  return typeof value === 'object' && value !== null && typeof (value as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function';
}
