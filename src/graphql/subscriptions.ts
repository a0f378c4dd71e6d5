/**
 * The three subscriptions, as async iterators over the event bus.
 *
 * Every stream is abortable: when the client goes away, graphql-js calls `return()` on the
 * iterator. An async generator that is waiting for the next event would only see that request
 * once an event arrived, so on a quiet system it (and its bus listener) would linger; the
 * wrapper aborts the signal the bus waits on instead, which ends the wait at once.
 *
 * Errors a subscriber must act on (RESYNC_REQUIRED) are delivered as a last result with the
 * error, not as a broken stream, so graphql-ws and SSE clients both receive a typed error and
 * then a normal end. A revoked token's SSE stream ends the same way (`endWhenRevoked`, with
 * UNAUTHENTICATED); a graphql-ws connection is closed whole instead (server.ts).
 */
import type { ExecutionResult, GraphQLError } from 'graphql';
import type { Principal } from '../app/tokens.ts';
import { toDomainEvent } from '../app/writer.ts';
import { compileDialogFilter, withStar, type DialogFilter } from '../domain/dialogs.ts';
import { DomainError, badInput, notFound } from '../domain/errors.ts';
import type { DomainEvent } from '../domain/events.ts';
import type { ApiContext, DialogChangeParent, DialogParent } from './mappers.ts';

/** A result that carries an error to the field resolver, which throws it. */
export interface StreamError {
  readonly streamError: DomainError;
}

export function isStreamError(value: unknown): value is StreamError {
  return typeof value === 'object' && value !== null && 'streamError' in value;
}

/** Throws a stream's final error where graphql-js turns it into a typed field error. */
export function unwrapStreamValue<T>(value: T | StreamError): T {
  if (isStreamError(value)) throw value.streamError;
  return value;
}

export interface StreamHooks {
  onOpen?(): void;
  onClose?(): void;
}

/** An async iterator whose `return()` ends a pending wait at once (see the file comment). */
export function abortable<T>(start: (signal: AbortSignal) => AsyncGenerator<T>, hooks: StreamHooks = {}): AsyncIterableIterator<T> {
  const controller = new AbortController();
  const inner = start(controller.signal);
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    controller.abort();
    hooks.onClose?.();
  };
  hooks.onOpen?.();
  const iterator: AsyncIterableIterator<T> = {
    async next() {
      const r = await inner.next().catch((error: unknown) => {
        close();
        throw error;
      });
      if (r.done) close();
      return r;
    },
    async return(value?: unknown) {
      close();
      return inner.return(value as never);
    },
    async throw(error?: unknown) {
      close();
      return inner.throw(error);
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}

function resyncAsValue(error: unknown): StreamError {
  if (error instanceof DomainError && error.code === 'RESYNC_REQUIRED') return { streamError: error };
  throw error;
}

/** `events(after)`: replay after the number, then live. */
export function eventStream(ctx: ApiContext, after: number | null | undefined, hooks?: StreamHooks): AsyncIterableIterator<DomainEvent | StreamError> {
  if (after !== null && after !== undefined && (!Number.isInteger(after) || after < 0)) throw badInput('after must be a sequence number (0 or more)', { argument: 'after' });
  return abortable(async function* (signal) {
    try {
      for await (const stored of ctx.daemon.queries.events(after ?? undefined, signal)) yield toDomainEvent(stored);
    } catch (error) {
      yield resyncAsValue(error);
    }
  }, hooks);
}

/**
 * One change goes to every subscriber, so what can be shared is computed once per event:
 * the domain event of a stored one, and a row as one member sees it.
 */
const domainEvents = new WeakMap<object, DomainEvent>();
function domainEventOf(stored: Parameters<typeof toDomainEvent>[0]): DomainEvent {
  let e = domainEvents.get(stored);
  if (!e) domainEvents.set(stored, (e = toDomainEvent(stored)));
  return e;
}

const sharedRows = new WeakMap<object, { seq: number; rows: Map<string, DialogParent | null> }>();
function rowAtEvent(ctx: ApiContext, seq: number, accountId: string, chatKey: string, member: number | null, make: () => DialogParent | null): DialogParent | null {
  let memo = sharedRows.get(ctx.daemon);
  if (!memo || memo.seq !== seq) sharedRows.set(ctx.daemon, (memo = { seq, rows: new Map() }));
  const key = `${accountId}\u0000${chatKey}\u0000${member ?? ''}`;
  if (memo.rows.has(key)) return memo.rows.get(key)!;
  const row = make();
  memo.rows.set(key, row);
  return row;
}

/** A live subscriber that falls this far behind is cut off with RESYNC_REQUIRED rather than buffering without bound. */
const MAX_QUEUED = 10_000;

/**
 * A live stream fed straight from the bus: the listener turns each event into what the
 * subscriber receives (or nothing) as it is published, and the iterator hands the results out.
 * Cheaper than a chain of async generators, which matters when one change goes to hundreds of
 * subscribers. `initial` runs right after the listener is registered, in the same step, so a
 * snapshot taken there misses nothing and repeats nothing.
 */
export function liveStream<T>(
  ctx: ApiContext,
  map: (event: DomainEvent) => T | null,
  initial: () => readonly T[],
  hooks: StreamHooks = {},
): AsyncIterableIterator<T | StreamError> {
  const queue: (T | StreamError)[] = [];
  let wake: (() => void) | null = null;
  let closed = false;
  let failed = false;
  const unsubscribe = ctx.daemon.bus.subscribe((events) => {
    if (closed || failed) return;
    for (const stored of events) {
      const out = map(domainEventOf(stored));
      if (out !== null) queue.push(out);
    }
    if (queue.length > MAX_QUEUED) {
      failed = true;
      queue.length = 0;
      queue.push({ streamError: new DomainError('RESYNC_REQUIRED', 'this subscriber fell too far behind; refetch state and subscribe again') });
    }
    wake?.();
  });
  hooks.onOpen?.();
  const close = () => {
    if (closed) return;
    closed = true;
    unsubscribe();
    hooks.onClose?.();
    wake?.();
  };
  // In the same synchronous step as the listener's registration: no event can fall between.
  try {
    queue.unshift(...initial());
  } catch (error) {
    close();
    throw error;
  }
  const iterator: AsyncIterableIterator<T | StreamError> = {
    async next() {
      for (;;) {
        if (queue.length > 0) {
          const value = queue.shift()!;
          if (isStreamError(value)) close();
          return { done: false, value };
        }
        if (closed) return { done: true, value: undefined };
        await new Promise<void>((resolve) => (wake = resolve));
        wake = null;
      }
    },
    async return() {
      close();
      return { done: true, value: undefined };
    },
    async throw(error?: unknown) {
      close();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}

/** `teamSummaryChanged`: the current summary, then each new one. */
export function teamSummaryStream(ctx: ApiContext, hooks?: StreamHooks) {
  return liveStream(ctx, (e) => (e.type === 'teamSummaryChanged' ? e.summary : null), () => [ctx.daemon.queries.teamSummary()], hooks);
}

function starsOf(ctx: ApiContext, principal: Principal): ReadonlySet<string> {
  return principal.memberUserId === null ? new Set() : (ctx.daemon.model.stars.get(principal.memberUserId) ?? new Set());
}

/** Events that change a chat's row in every account without a dialogChanged of their own (domain/events.ts). */
const TEAM_WIDE: ReadonlySet<DomainEvent['type']> = new Set(['alarmRaised', 'alarmCleared', 'acknowledged', 'chatKindChanged', 'chatTitleChanged', 'overdueChanged']);

/**
 * `dialogChanged(accountId, filter)`: rows that pass the filter after a change, and a row that
 * stops passing once. It keeps the set of passing rows, so the counts it sends are exact without
 * rebuilding the view per event.
 */
export function dialogChangeStream(ctx: ApiContext, accountId: string, filter: DialogFilter | null, hooks?: StreamHooks) {
  if (!ctx.daemon.accounts.has(accountId) && !ctx.daemon.model.accountChats.has(accountId)) throw notFound('account', accountId);
  const keep = compileDialogFilter(filter);
  const member = ctx.principal.memberUserId;
  const passing = new Map<string, boolean>();
  let unread = 0;
  const change = (seq: number, at: number, chatKey: string, row: DialogParent | null): DialogChangeParent | null => {
    const was = passing.get(chatKey);
    const now = row !== null && keep(row);
    if (was === undefined && !now) return null;
    if (was) unread--;
    if (now) {
      passing.set(chatKey, row!.isUnread);
      if (row!.isUnread) unread++;
    } else passing.delete(chatKey);
    return { seq, at, accountId, chatId: chatKey, dialog: row, matchesFilter: now, totalCount: passing.size, unreadChatCount: unread };
  };
  return liveStream<DialogChangeParent>(
    ctx,
    (e) => {
      if (e.type === 'dialogChanged') {
        if (e.accountId !== accountId) return null;
        const row = rowAtEvent(ctx, e.seq, accountId, e.dialog.chatKey, member, () => ({ ...withStar(e.dialog, starsOf(ctx, ctx.principal)), accountId }));
        return change(e.seq, e.at, e.dialog.chatKey, row);
      }
      if (e.type === 'dialogRemoved') return e.accountId === accountId ? change(e.seq, e.at, e.chatKey, null) : null;
      if (TEAM_WIDE.has(e.type) || (e.type === 'starred' && member !== null && e.memberUserId === member)) {
        // Team-wide fields (alarm, wait, kind, title, acknowledgement) and this member's stars
        // come as events of their own, not as dialogChanged: the row is read as it is now.
        const chatKey = (e as { chatKey: string }).chatKey;
        const row = rowAtEvent(ctx, e.seq, accountId, chatKey, member, () => {
          const r = ctx.daemon.queries.dialog(accountId, chatKey, member);
          return r ? { ...r, accountId } : null;
        });
        return row ? change(e.seq, e.at, chatKey, row) : null;
      }
      return null;
    },
    () => {
      for (const row of ctx.daemon.queries.dialogs({ accountId, memberUserId: member, filter, order: 'STABLE' }).rows) {
        passing.set(row.chatKey, row.isUnread);
        if (row.isUnread) unread++;
      }
      return [];
    },
    hooks,
  );
}

/** What a stream needs to hear of its token's revocation (app/tokens.ts). */
export interface RevocationWatch {
  watch(tokenId: string, onRevoked: () => void): () => void;
}

/**
 * A subscription's results until its token is revoked, then one last result whose error has
 * `extensions.code: UNAUTHENTICATED`, and the end. The source is ended at once (its bus listener
 * goes with it) and nothing it had queued is delivered after the revocation. Any subscription
 * field gets this, so a new one cannot forget it.
 */
export function endWhenRevoked(source: AsyncIterable<ExecutionResult>, tokens: RevocationWatch, tokenId: string, revokedError: () => GraphQLError): AsyncIterableIterator<ExecutionResult> {
  const inner = source[Symbol.asyncIterator]();
  let revoked = false;
  let wake!: (value: 'revoked') => void;
  const revokedNow = new Promise<'revoked'>((resolve) => (wake = resolve));
  let ended = false;
  const unwatch = tokens.watch(tokenId, () => {
    revoked = true;
    wake('revoked');
  });
  const end = async () => {
    if (ended) return;
    ended = true;
    unwatch();
    await inner.return?.();
  };
  const last = (): IteratorResult<ExecutionResult> => {
    // Not awaited: a source may finish its pending `next` before it honours `return`, and the
    // subscriber's last result must not wait for that.
    void end().catch(() => undefined);
    return { done: false, value: { errors: [revokedError()] } };
  };
  const iterator: AsyncIterableIterator<ExecutionResult> = {
    async next() {
      if (ended) return { done: true, value: undefined };
      if (revoked) return last();
      const r = await Promise.race([inner.next(), revokedNow]).catch(async (error: unknown) => {
        await end();
        throw error;
      });
      // A result that was ready as the revocation came is not delivered either.
      if (r === 'revoked' || revoked) return last();
      if (r.done) {
        ended = true;
        unwatch();
      }
      return r;
    },
    async return() {
      await end();
      return { done: true, value: undefined };
    },
    async throw(error?: unknown) {
      await end();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}
