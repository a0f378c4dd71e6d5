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
 * then a normal end.
 */
import type { Principal } from '../app/tokens.ts';
import { toDomainEvent } from '../app/writer.ts';
import { compileDialogFilter, withStar, type DialogFilter, type DialogRow } from '../domain/dialogs.ts';
import { DomainError, badInput, notFound } from '../domain/errors.ts';
import type { DomainEvent } from '../domain/events.ts';
import type { ApiContext, DialogChangeParent } from './mappers.ts';

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
 * Starts listening before a snapshot is taken, so no event between the two is lost: the bus
 * registers its listener synchronously, in the generator's first step.
 */
function liveEvents(ctx: ApiContext, signal: AbortSignal): { first: Promise<IteratorResult<DomainEvent>>; rest: AsyncGenerator<DomainEvent> } {
  const source = ctx.daemon.queries.events(undefined, signal);
  const mapped = (async function* () {
    for (;;) {
      const r = await source.next();
      if (r.done) return;
      yield toDomainEvent(r.value);
    }
  })();
  return { first: mapped.next(), rest: mapped };
}

/** `teamSummaryChanged`: the current summary, then each new one. */
export function teamSummaryStream(ctx: ApiContext, hooks?: StreamHooks) {
  return abortable(async function* (signal) {
    const { first, rest } = liveEvents(ctx, signal);
    yield ctx.daemon.queries.teamSummary();
    try {
      for (let r = await first; !r.done; r = await rest.next()) if (r.value.type === 'teamSummaryChanged') yield r.value.summary;
    } catch (error) {
      yield resyncAsValue(error);
    }
  }, hooks);
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
  return abortable(async function* (signal): AsyncGenerator<DialogChangeParent | StreamError> {
    const { first, rest } = liveEvents(ctx, signal);
    const passing = new Map<string, boolean>();
    let unread = 0;
    for (const row of ctx.daemon.queries.dialogs({ accountId, memberUserId: member, filter, order: 'STABLE' }).rows) {
      passing.set(row.chatKey, row.isUnread);
      if (row.isUnread) unread++;
    }
    const change = (seq: number, at: number, chatKey: string, row: DialogRow | null): DialogChangeParent | null => {
      const was = passing.get(chatKey);
      const now = row !== null && keep(row);
      if (was === undefined && !now) return null;
      if (was) unread--;
      if (now) {
        passing.set(chatKey, row!.isUnread);
        if (row!.isUnread) unread++;
      } else passing.delete(chatKey);
      return { seq, at, accountId, chatId: chatKey, dialog: row === null ? null : { ...row, accountId }, matchesFilter: now, totalCount: passing.size, unreadChatCount: unread };
    };
    try {
      for (let r = await first; !r.done; r = await rest.next()) {
        const e = r.value;
        let out: DialogChangeParent | null = null;
        if (e.type === 'dialogChanged' && e.accountId === accountId) out = change(e.seq, e.at, e.dialog.chatKey, withStar(e.dialog, starsOf(ctx, ctx.principal)));
        else if (e.type === 'dialogRemoved' && e.accountId === accountId) out = change(e.seq, e.at, e.chatKey, null);
        else if (TEAM_WIDE.has(e.type) || (e.type === 'starred' && member !== null && e.memberUserId === member)) {
          // Team-wide fields (alarm, wait, kind, title, acknowledgement) and this member's stars
          // come as events of their own, not as dialogChanged: the row is read as it is now.
          const chatKey = (e as { chatKey: string }).chatKey;
          const row = ctx.daemon.queries.dialog(accountId, chatKey, member);
          if (row) out = change(e.seq, e.at, chatKey, row);
        }
        if (out) yield out;
      }
    } catch (error) {
      yield resyncAsValue(error);
    }
  }, hooks);
}
