/**
 * The overdue clock of one support chat, exactly as DESIGN.md §3 states it:
 *
 * - A client message (sender not on the roster; not a service message; not deleted; not ignored
 *   by the policy) starts waiting if nothing is waiting yet. Later client messages join the
 *   same wait; `waitingSince` stays at the oldest one.
 * - A team member's message, or an acknowledgement ("It's OK"), ends waiting.
 * - Overdue begins at `deadlineOf(waitingSince, policy)` and is reached when the clock is at or
 *   past it: a reply at the deadline instant itself is late.
 * - Edits change nothing. Deleting a client message of the current wait removes it from the
 *   wait: if it was the oldest, the wait restarts at the next one still there, or ends without
 *   an answer (no episode) if none is left. Deleting a team message does not reopen a wait its
 *   reply ended: the client saw the answer.
 *
 * `applyOverdueInput` is a reducer over the chat's stream in arrival order; every change it
 * makes comes back as an `OverdueChange` carrying its own instant, so the app can publish it
 * and keep response episodes. `recomputeOverdue` replays a chat's stored history through the
 * same reducer, so the state after a restart is the state the live clock would have reached,
 * including deadlines that passed while the daemon was down (they are dated at the deadline,
 * not at the restart).
 *
 * All times are unix milliseconds (see time.ts).
 */
import type { ChatKey, SenderRef } from './ids.ts';
import { deadlineOf, isIgnoredClientMessage, type OverduePolicy } from './overdue-policy.ts';
import { isTeamSender, type Roster } from './roster.ts';
import type { ContentKind } from './telegram.ts';
import type { DurationMs, UnixMs } from './time.ts';

/** 'first': the wait opened a conversation (see OverduePolicyConfig.newConversationAfterMinutes). */
export type EpisodeKind = 'first' | 'next';

/** One wait from its first client message to its answer. */
export interface ResponseEpisode {
  readonly chatKey: ChatKey;
  readonly kind: EpisodeKind;
  readonly startedAt: UnixMs;
  readonly firstClientMessageId: string;
  readonly endedAt: UnixMs;
  readonly endedBy: 'reply' | 'ack';
  /** The team member who replied or acknowledged. */
  readonly answeredBy: number;
  /** The deadline, if the wait reached it; null means it was answered in time. */
  readonly becameOverdueAt: UnixMs | null;
}

export interface PendingClientMessage {
  readonly id: string;
  readonly at: UnixMs;
}

export interface Waiting {
  /** The time of the oldest unanswered client message still there. */
  readonly since: UnixMs;
  readonly firstClientMessageId: string;
  readonly deadline: UnixMs;
  /** Equal to `deadline` once the clock reached it, else null. */
  readonly overdueSince: UnixMs | null;
  readonly kind: EpisodeKind;
  /** The wait's client messages, oldest first; `pending[0]` is the one it started with. */
  readonly pending: readonly PendingClientMessage[];
}

export interface OverdueState {
  readonly chatKey: ChatKey;
  readonly waiting: Waiting | null;
  /** The last counted (non-service) message of anyone, for telling first from next waits. */
  readonly lastMessageAt: UnixMs | null;
}

export interface OverdueContext {
  readonly roster: Roster;
  readonly policy: OverduePolicy;
}

/** The parts of a message the clock needs. `id` is the account-independent message key. */
export interface OverdueMessage {
  readonly id: string;
  readonly sender: SenderRef;
  readonly at: UnixMs;
  readonly isService: boolean;
  readonly contentKind: ContentKind;
  readonly text: string;
}

export type OverdueInput =
  | { readonly kind: 'message'; readonly message: OverdueMessage }
  | { readonly kind: 'edited'; readonly messageId: string; readonly at: UnixMs }
  | { readonly kind: 'deleted'; readonly messageIds: readonly string[]; readonly at: UnixMs }
  | { readonly kind: 'ack'; readonly by: number; readonly at: UnixMs }
  /** The clock reached `at` (the app's deadline timer fired, or a read wants the state "now"). */
  | { readonly kind: 'tick'; readonly at: UnixMs }
  /** The chat's policy changed at `at`; pass the new policy in the context. */
  | { readonly kind: 'policyChanged'; readonly at: UnixMs };

export type OverdueChange =
  | { readonly kind: 'waitingStarted'; readonly chatKey: ChatKey; readonly at: UnixMs; readonly waiting: Waiting }
  /** The wait's start or deadline moved: its first message was deleted, or the policy changed. */
  | { readonly kind: 'waitingMoved'; readonly chatKey: ChatKey; readonly at: UnixMs; readonly waiting: Waiting; readonly reason: 'deleted' | 'policy' }
  /** `at` is the deadline itself, even when observed later. */
  | { readonly kind: 'becameOverdue'; readonly chatKey: ChatKey; readonly at: UnixMs; readonly waiting: Waiting }
  | { readonly kind: 'waitingEnded'; readonly chatKey: ChatKey; readonly at: UnixMs; readonly episode: ResponseEpisode }
  /** Every client message of the wait was deleted: it ends unanswered, with no episode. */
  | { readonly kind: 'waitingCancelled'; readonly chatKey: ChatKey; readonly at: UnixMs };

export interface OverdueStep {
  readonly state: OverdueState;
  /** In time order; empty when nothing visible changed. */
  readonly changes: readonly OverdueChange[];
}

export function initialOverdueState(chatKey: ChatKey): OverdueState {
  return { chatKey, waiting: null, lastMessageAt: null };
}

/** True when the chat is overdue at `now`, whether or not a tick has recorded it yet. */
export function isOverdueAt(state: OverdueState, now: UnixMs): boolean {
  return state.waiting !== null && now >= state.waiting.deadline;
}

function reachOverdue(state: OverdueState, at: UnixMs, changes: OverdueChange[]): OverdueState {
  const w = state.waiting;
  if (w === null || w.overdueSince !== null || at < w.deadline) return state;
  const waiting: Waiting = { ...w, overdueSince: w.deadline };
  changes.push({ kind: 'becameOverdue', chatKey: state.chatKey, at: w.deadline, waiting });
  return { ...state, waiting };
}

function endWaiting(state: OverdueState, at: UnixMs, endedBy: 'reply' | 'ack', by: number, changes: OverdueChange[]): OverdueState {
  const w = state.waiting;
  if (w === null) return state;
  const episode: ResponseEpisode = {
    chatKey: state.chatKey,
    kind: w.kind,
    startedAt: w.since,
    firstClientMessageId: w.firstClientMessageId,
    endedAt: at,
    endedBy,
    answeredBy: by,
    becameOverdueAt: w.overdueSince,
  };
  changes.push({ kind: 'waitingEnded', chatKey: state.chatKey, at, episode });
  return { ...state, waiting: null };
}

/** A wait whose start is `pending[0]`, with its deadline under `policy` as of `at`. */
function waitingFrom(pending: readonly PendingClientMessage[], kind: EpisodeKind, policy: OverduePolicy, at: UnixMs): Waiting {
  const first = pending[0]!;
  const deadline = deadlineOf(first.at, policy);
  return { since: first.at, firstClientMessageId: first.id, deadline, overdueSince: at >= deadline ? deadline : null, kind, pending };
}

function applyMessage(state: OverdueState, m: OverdueMessage, ctx: OverdueContext, changes: OverdueChange[]): OverdueState {
  if (m.isService) return state;
  const previousMessageAt = state.lastMessageAt;
  const seen: OverdueState = { ...state, lastMessageAt: previousMessageAt === null ? m.at : Math.max(previousMessageAt, m.at) };
  if (isTeamSender(ctx.roster, m.sender)) return endWaiting(seen, m.at, 'reply', m.sender.id, changes);
  if (isIgnoredClientMessage(ctx.policy, m)) return seen;
  const entry: PendingClientMessage = { id: m.id, at: m.at };
  if (seen.waiting !== null) {
    return { ...seen, waiting: { ...seen.waiting, pending: [...seen.waiting.pending, entry] } };
  }
  const opensConversation = previousMessageAt === null || m.at - previousMessageAt > ctx.policy.newConversationAfterMs;
  const waiting = waitingFrom([entry], opensConversation ? 'first' : 'next', ctx.policy, m.at);
  // Started and overdue at once only with a zero threshold; report both, in order.
  changes.push({ kind: 'waitingStarted', chatKey: state.chatKey, at: m.at, waiting: { ...waiting, overdueSince: null } });
  if (waiting.overdueSince !== null) changes.push({ kind: 'becameOverdue', chatKey: state.chatKey, at: waiting.deadline, waiting });
  return { ...seen, waiting };
}

function applyDeleted(state: OverdueState, ids: readonly string[], at: UnixMs, ctx: OverdueContext, changes: OverdueChange[]): OverdueState {
  const w = state.waiting;
  if (w === null || ids.length === 0) return state;
  const gone = new Set(ids);
  const pending = w.pending.filter((p) => !gone.has(p.id));
  if (pending.length === w.pending.length) return state;
  if (pending.length === 0) {
    changes.push({ kind: 'waitingCancelled', chatKey: state.chatKey, at });
    return { ...state, waiting: null };
  }
  if (pending[0]!.id === w.firstClientMessageId) return { ...state, waiting: { ...w, pending } };
  const waiting = waitingFrom(pending, w.kind, ctx.policy, at);
  changes.push({ kind: 'waitingMoved', chatKey: state.chatKey, at, waiting, reason: 'deleted' });
  return { ...state, waiting };
}

function applyPolicy(state: OverdueState, at: UnixMs, ctx: OverdueContext, changes: OverdueChange[]): OverdueState {
  const w = state.waiting;
  if (w === null) return state;
  const waiting = waitingFrom(w.pending, w.kind, ctx.policy, at);
  if (waiting.deadline === w.deadline && waiting.overdueSince === w.overdueSince) return state;
  changes.push({ kind: 'waitingMoved', chatKey: state.chatKey, at, waiting, reason: 'policy' });
  return { ...state, waiting };
}

function inputTime(input: OverdueInput): UnixMs {
  return input.kind === 'message' ? input.message.at : input.at;
}

/**
 * Applies one input. First the clock advances to the input's time (so a deadline that passed
 * before it is recorded, dated at the deadline), then the input itself takes effect.
 */
export function applyOverdueInput(state: OverdueState, input: OverdueInput, ctx: OverdueContext): OverdueStep {
  const changes: OverdueChange[] = [];
  const at = inputTime(input);
  let next = reachOverdue(state, at, changes);
  switch (input.kind) {
    case 'message':
      next = applyMessage(next, input.message, ctx, changes);
      break;
    case 'ack':
      next = endWaiting(next, at, 'ack', input.by, changes);
      break;
    case 'deleted':
      next = applyDeleted(next, input.messageIds, at, ctx, changes);
      break;
    case 'policyChanged':
      next = applyPolicy(next, at, ctx, changes);
      break;
    case 'edited':
    case 'tick':
      break;
  }
  return { state: next, changes };
}

/** A stored message for `recomputeOverdue`: the clock's fields plus when it was deleted. */
export interface HistoryMessage extends OverdueMessage {
  /** When the deletion was seen, or null. A store that drops deleted rows may omit them instead. */
  readonly deletedAt: UnixMs | null;
}

export interface Acknowledgement {
  readonly by: number;
  readonly at: UnixMs;
}

export interface ChatHistory {
  /** In chat order, oldest first (the store's sort key order). */
  readonly messages: readonly HistoryMessage[];
  /** Any order. */
  readonly acks: readonly Acknowledgement[];
}

export interface RecomputeResult {
  readonly state: OverdueState;
  /** Every completed wait, in order. The wait still open (if any) is `state.waiting`. */
  readonly episodes: readonly ResponseEpisode[];
  readonly changes: readonly OverdueChange[];
}

type SideInput = { readonly at: UnixMs; readonly input: OverdueInput };

/**
 * Rebuilds the chat's clock from its history, as of `now`. Messages are replayed in the given
 * order; acknowledgements and deletions are slotted in by time, after any message of the same
 * instant (an acknowledgement covers what was on screen when it was given). Inputs later than
 * `now` are left out.
 *
 * With the same roster and policy, this returns exactly the state the live reducer holds after
 * the same inputs and a tick at `now`. Waits in history are judged by the current policy;
 * episodes already recorded live should be kept rather than replaced by recomputed ones.
 */
export function recomputeOverdue(chatKey: ChatKey, history: ChatHistory, ctx: OverdueContext, now: UnixMs): RecomputeResult {
  const side: SideInput[] = [];
  for (const a of history.acks) if (a.at <= now) side.push({ at: a.at, input: { kind: 'ack', by: a.by, at: a.at } });
  for (const m of history.messages) {
    if (m.deletedAt !== null && m.deletedAt <= now) side.push({ at: m.deletedAt, input: { kind: 'deleted', messageIds: [m.id], at: m.deletedAt } });
  }
  side.sort((x, y) => x.at - y.at);

  let state = initialOverdueState(chatKey);
  const changes: OverdueChange[] = [];
  const run = (input: OverdueInput): void => {
    const step = applyOverdueInput(state, input, ctx);
    state = step.state;
    for (const c of step.changes) changes.push(c);
  };
  let s = 0;
  for (const m of history.messages) {
    if (m.at > now) break;
    while (s < side.length && side[s]!.at < m.at) run(side[s++]!.input);
    run({ kind: 'message', message: m });
  }
  while (s < side.length) run(side[s++]!.input);
  run({ kind: 'tick', at: now });

  const episodes: ResponseEpisode[] = [];
  for (const c of changes) if (c.kind === 'waitingEnded') episodes.push(c.episode);
  return { state, episodes, changes };
}

export interface DeadlineRef {
  readonly chatKey: ChatKey;
  readonly at: UnixMs;
}

/**
 * The earliest deadline not yet reached among the chats, or null when no chat is heading for
 * overdue: the app keeps one timer for it and, when it fires, ticks the chats `dueChats` names.
 */
export function nextDeadline(states: Iterable<OverdueState>): DeadlineRef | null {
  let best: DeadlineRef | null = null;
  for (const s of states) {
    const w = s.waiting;
    if (w === null || w.overdueSince !== null || !Number.isFinite(w.deadline)) continue;
    if (best === null || w.deadline < best.at || (w.deadline === best.at && s.chatKey < best.chatKey)) best = { chatKey: s.chatKey, at: w.deadline };
  }
  return best;
}

/** Chats whose deadline is at or before `now` but not yet recorded as overdue. */
export function dueChats(states: Iterable<OverdueState>, now: UnixMs): ChatKey[] {
  const due: ChatKey[] = [];
  for (const s of states) {
    const w = s.waiting;
    if (w !== null && w.overdueSince === null && w.deadline <= now) due.push(s.chatKey);
  }
  return due;
}

export interface EpisodeStats {
  readonly count: number;
  readonly answeredInTime: number;
  /** answeredInTime / count, or null with no episodes. */
  readonly shareInTime: number | null;
  /** Clock time from the first client message to the answer. */
  readonly medianResponseMs: DurationMs | null;
  readonly maxResponseMs: DurationMs | null;
}

export interface EpisodeSummary {
  readonly first: EpisodeStats;
  readonly next: EpisodeStats;
  readonly all: EpisodeStats;
}

function statsOf(episodes: readonly ResponseEpisode[]): EpisodeStats {
  if (episodes.length === 0) return { count: 0, answeredInTime: 0, shareInTime: null, medianResponseMs: null, maxResponseMs: null };
  const durations = episodes.map((e) => e.endedAt - e.startedAt).sort((a, b) => a - b);
  const mid = durations.length >> 1;
  const median = durations.length % 2 === 1 ? durations[mid]! : (durations[mid - 1]! + durations[mid]!) / 2;
  const inTime = episodes.reduce((n, e) => n + (e.becameOverdueAt === null ? 1 : 0), 0);
  return {
    count: episodes.length,
    answeredInTime: inTime,
    shareInTime: inTime / episodes.length,
    medianResponseMs: median,
    maxResponseMs: durations[durations.length - 1]!,
  };
}

/** First-response and next-response figures and the share answered before the deadline. */
export function summarizeEpisodes(episodes: readonly ResponseEpisode[]): EpisodeSummary {
  return {
    first: statsOf(episodes.filter((e) => e.kind === 'first')),
    next: statsOf(episodes.filter((e) => e.kind === 'next')),
    all: statsOf(episodes),
  };
}
