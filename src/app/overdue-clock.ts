/**
 * Runs the overdue rule (DESIGN.md §3, src/domain/overdue.ts) for every support chat:
 *
 * - New messages in time order go through the reducer one by one. A message older than what the
 *   clock has seen (a reconcile pass filling a gap, a late second account) could change the past,
 *   so the chat is recomputed from its stored history instead.
 * - One timer is set for the earliest deadline of all chats; when it fires, the chats that are
 *   due flip to overdue, dated at their deadline.
 * - At start every support chat is recomputed from the store, so deadlines passed while the
 *   daemon was down are found, and each change since the last run becomes an event.
 *
 * Every change is written (waiting state, response episodes) and emitted in the caller's
 * transaction. Flips and the start's recompute are written for many chats at once (one
 * multi-row write per table), in transactions of at most FLIP_CHUNK chats that each commit and
 * publish before the next is written, earliest deadline first, so the first flips of a busy
 * second are not held back by the last.
 */
import { applyOverdueInput, initialOverdueState, nextDeadline, recomputeOverdue, type OverdueChange, type OverdueContext, type OverdueInput, type OverdueMessage, type Waiting } from '../domain/overdue.ts';
import type { WaitingView } from '../domain/events.ts';
import { isTeamSender } from '../domain/roster.ts';
import { parseSenderKey, type ChatKey } from '../domain/ids.ts';
import { fromUnixSeconds, type UnixMs } from '../domain/time.ts';
import type { Logger } from '../shared/log.ts';
import type { StoredMessage } from '../store/messages.repository.ts';
import { deleteEpisodes, insertEpisodes, listAcksOfChats, listOpenEpisodes, putEndedEpisodes, putWaitingStates, type EpisodeRecord, type WaitingRecord } from '../store/team.repository.ts';
import type { TeamModel } from './team-model.ts';
import type { Emit, Trx, Writer } from './writer.ts';

/**
 * How much history a recompute replays first: enough for almost every chat. A window without a
 * team answer in it may start in the middle of a wait (a client, or a bot off the roster, wrote
 * more than that since the last answer), so such a chat is read further back, up to
 * RECOMPUTE_MESSAGES_MAX.
 */
const RECOMPUTE_MESSAGES = 300;
const RECOMPUTE_MESSAGES_MAX = 100_000;
/**
 * The timer never sleeps longer than this: if the wall clock jumps (a VM resumed, NTP stepped
 * the clock), deadlines are re-checked within this time rather than at the old delay.
 */
const MAX_TIMER_MS = 30_000;
/** Chats flipped (or recomputed at start) per writer transaction. */
export const FLIP_CHUNK = 500;
/** Chats whose histories one query reads and memory holds at once (SQLite allows 500 terms in a compound select). */
const HISTORY_CHUNK = 25;

export function overdueMessageOf(m: StoredMessage): OverdueMessage {
  return {
    id: String(m.id),
    sender: parseSenderKey(m.senderKey) ?? { kind: 'user', id: m.senderUserId ?? 0 },
    at: fromUnixSeconds(m.date),
    isService: m.isService,
    contentKind: m.contentKind as OverdueMessage['contentKind'],
    text: m.text,
  };
}

export class OverdueClock {
  private timer: NodeJS.Timeout | null = null;
  private timerAt: UnixMs | null = null;
  private stopped = false;
  /** The firing under way, so that stop() can wait for it. */
  private firingDone: Promise<void> | null = null;
  /** Largest lateness of a flip seen so far, deadline to the timer firing, in ms. */
  maxLatenessMs = 0;
  /** Largest lateness of a flip seen so far, deadline to its event published (after the commit), in ms. */
  maxPublishedLatenessMs = 0;
  private firing = false;
  /** Chats per transaction when flipping (tests make it small to see several chunks). */
  flipChunk = FLIP_CHUNK;
  /** Per chat, the sort key of the newest message the reducer has seen: what "in order" means. */
  private readonly lastFed = new Map<ChatKey, number>();

  constructor(
    private readonly model: TeamModel,
    private readonly writer: Writer,
    private readonly now: () => UnixMs,
    private readonly logger: Logger,
  ) {}

  private ctx(chatKey: ChatKey) {
    return { roster: this.model.roster, policy: this.model.policyOf(chatKey) };
  }

  private isSupport(chatKey: ChatKey): boolean {
    return this.model.chats.get(chatKey)?.kind === 'support';
  }

  /** Rebuilds one chat's clock from its stored history and persists the result. */
  async recompute(trx: Trx, emit: Emit, chatKey: ChatKey, now: UnixMs): Promise<void> {
    await this.recomputeMany(trx, emit, [chatKey], now);
  }

  /**
   * Rebuilds chats' clocks from their stored histories, as `recompute` does one by one, with a
   * few statements for all of them: histories read HISTORY_CHUNK chats per query, acknowledgements in one
   * query, then one multi-row write per table (see `persistMany`).
   */
  async recomputeMany(trx: Trx, emit: Emit, chatKeys: readonly ChatKey[], now: UnixMs): Promise<void> {
    const support: ChatKey[] = [];
    const cleared: ChatKey[] = [];
    for (const chatKey of chatKeys) {
      if (this.isSupport(chatKey)) support.push(chatKey);
      else if (this.model.overdue.has(chatKey)) cleared.push(chatKey);
    }
    if (cleared.length > 0) {
      for (const chatKey of cleared) this.model.overdue.delete(chatKey);
      await putWaitingStates(trx, cleared.map((chatKey) => ({ chatKey, waitingSince: null, firstMessageId: null, deadline: null, overdueSince: null })), now);
      for (const chatKey of cleared) this.emitIfChanged(emit, chatKey, now);
    }
    if (support.length === 0) return;
    const results: { chatKey: ChatKey; changes: readonly OverdueChange[] }[] = [];
    // One query's worth of histories at a time: only those are held in memory (at start that is
    // every support chat, up to RECOMPUTE_MESSAGES messages each).
    for (let i = 0; i < support.length; i += HISTORY_CHUNK) {
      const part = support.slice(i, i + HISTORY_CHUNK);
      const histories = await readHistories(trx, part, RECOMPUTE_MESSAGES);
      // A full window with no answer in it does not show where the wait began: read further back.
      for (let limit = RECOMPUTE_MESSAGES; limit < RECOMPUTE_MESSAGES_MAX; ) {
        const unanswered = part.filter((chatKey) => mayStartMidWait(histories.get(chatKey), limit, this.model.roster));
        if (unanswered.length === 0) break;
        limit = Math.min(limit * 8, RECOMPUTE_MESSAGES_MAX);
        for (const [chatKey, history] of await readHistories(trx, unanswered, limit)) histories.set(chatKey, history);
      }
      const sinceOf = new Map<ChatKey, number>();
      for (const chatKey of part) {
        const history = histories.get(chatKey) ?? [];
        if (history.length) this.lastFed.set(chatKey, history[history.length - 1]!.sortKey);
        sinceOf.set(chatKey, history.length ? history[0]!.message.at : 0);
      }
      const acks = await listAcksOfChats(trx, sinceOf);
      for (const chatKey of part) {
        const result = recomputeOverdue(
          chatKey,
          { messages: (histories.get(chatKey) ?? []).map((h) => ({ ...h.message, deletedAt: h.deletedAt })), acks: acks.get(chatKey) ?? [] },
          this.ctx(chatKey),
          now,
        );
        this.model.overdue.set(chatKey, result.state);
        results.push({ chatKey, changes: result.changes });
      }
    }
    // Rebuilt from history: whatever open episodes are stored may not match, so check them all.
    await this.persistMany(trx, results, now, true);
    for (const chatKey of support) this.emitIfChanged(emit, chatKey, now);
  }

  /** Emits the chat's waiting state if it differs from what subscribers were told. */
  private emitIfChanged(emit: Emit, chatKey: ChatKey, now: UnixMs): void {
    const known = this.model.mirroredWaitingView(chatKey);
    const truth = this.model.waitingView(chatKey, now);
    const told = known ?? BLANK_WAITING;
    const same = told.waitingSince === truth.waitingSince && told.deadline === truth.deadline && told.isOverdue === truth.isOverdue && told.overdueSince === truth.overdueSince;
    if (!same) this.model.emitTo(emit, { type: 'overdueChanged', at: now, chatKey, waiting: truth });
  }

  /**
   * Follows one ingest transaction: new messages and deletions of many chats. Chats with a
   * message older than what the clock has seen (or never seen) are recomputed from their stored
   * history, which already holds the batch's deletions; the others go through the reducer,
   * deletions first. Every chat that changed is written with one multi-row statement per table
   * (`persistMany`), whatever the number of chats: a busy turn costs a few statements, not a few
   * per chat.
   */
  async onIngest(
    trx: Trx,
    emit: Emit,
    batch: { readonly messages: ReadonlyMap<ChatKey, readonly StoredMessage[]>; readonly deleted: ReadonlyMap<ChatKey, readonly number[]>; readonly recompute: ReadonlySet<ChatKey> },
    now: UnixMs,
  ): Promise<void> {
    const recompute = new Set(batch.recompute);
    const fed = new Map<ChatKey, StoredMessage[]>();
    for (const [chatKey, messages] of batch.messages) {
      if (recompute.has(chatKey) || !this.isSupport(chatKey) || messages.length === 0) continue;
      const sorted = [...messages].sort((a, b) => a.sortKey - b.sortKey);
      const last = this.lastFed.get(chatKey);
      // Only a message that sorts before one the clock has seen can change the past; several in
      // one second, in order, go through the reducer like any other.
      if (last === undefined || !this.model.overdue.has(chatKey) || sorted[0]!.sortKey <= last) recompute.add(chatKey);
      else fed.set(chatKey, sorted);
    }
    if (recompute.size > 0) await this.recomputeMany(trx, emit, [...recompute], now);

    const changed: { chatKey: ChatKey; changes: readonly OverdueChange[] }[] = [];
    const chats = new Set<ChatKey>([...batch.deleted.keys(), ...fed.keys()]);
    for (const chatKey of chats) {
      if (recompute.has(chatKey) || !this.isSupport(chatKey)) continue;
      const inputs: OverdueInput[] = [];
      const deleted = batch.deleted.get(chatKey);
      if (deleted?.length) inputs.push({ kind: 'deleted', messageIds: deleted.map(String), at: now });
      const messages = fed.get(chatKey);
      if (messages) {
        this.lastFed.set(chatKey, messages[messages.length - 1]!.sortKey);
        for (const m of messages) inputs.push({ kind: 'message', message: overdueMessageOf(m) });
      }
      const step = this.step(chatKey, inputs, now);
      if (step) changed.push(step);
    }
    if (changed.length === 0) return;
    await this.persistMany(trx, changed, now);
    for (const { chatKey } of changed) this.emitIfChanged(emit, chatKey, now);
  }

  async onAck(trx: Trx, emit: Emit, chatKey: ChatKey, by: number, now: UnixMs): Promise<void> {
    await this.apply(trx, emit, chatKey, [{ kind: 'ack', by, at: now }], now);
  }

  /** Applies inputs through the reducer, persists and emits what changed. */
  private async apply(trx: Trx, emit: Emit, chatKey: ChatKey, inputs: readonly OverdueInput[], now: UnixMs): Promise<void> {
    const step = this.step(chatKey, inputs, now);
    if (!step) return;
    await this.persistMany(trx, [step], now);
    this.emitIfChanged(emit, chatKey, now);
  }

  /**
   * Runs inputs (and a tick at `now`) through the reducer and keeps the new state in memory.
   * Returns what must be written, or null when the stored row stays as it is.
   */
  private step(chatKey: ChatKey, inputs: readonly OverdueInput[], now: UnixMs): { chatKey: ChatKey; changes: readonly OverdueChange[] } | null {
    const before = this.model.overdue.get(chatKey);
    let state = before ?? initialOverdueState(chatKey);
    const changes: OverdueChange[] = [];
    for (const input of [...inputs, { kind: 'tick', at: now } as OverdueInput]) {
      const step = applyOverdueInput(state, input, this.ctx(chatKey));
      state = step.state;
      changes.push(...step.changes);
    }
    this.model.overdue.set(chatKey, state);
    // Most messages change no wait (a reply while nothing waits, a follow-up to a running wait):
    // then there is nothing to write, which keeps ingest of busy chats cheap.
    if (changes.length === 0 && before !== undefined && sameStoredWait(before.waiting, state.waiting)) return null;
    return { chatKey, changes };
  }

  /**
   * Writes the stored side of changed clocks: each chat's waiting state, its ended episodes and
   * the open episode of its current wait, with one multi-row statement per table however many
   * chats changed. A chat whose changes are only waits starting, turning overdue and ending (what
   * messages and replies do) keeps its stored episodes exact by those alone. Any other change, and
   * every chat of a recompute (`checkStored`), may leave a stored open episode that no longer
   * matches a wait: for those chats the open rows are read and the stale ones deleted.
   */
  private async persistMany(trx: Trx, items: readonly { chatKey: ChatKey; changes: readonly OverdueChange[] }[], now: UnixMs, checkStored = false): Promise<void> {
    const ended: EpisodeRecord[] = [];
    const waiting: WaitingRecord[] = [];
    const open: EpisodeRecord[] = [];
    const checkStale = new Map<ChatKey, Waiting | null>();
    for (const { chatKey, changes } of items) {
      const threshold = this.model.thresholdSecondsOf(chatKey);
      let started = false;
      let simple = !checkStored && changes.length > 0;
      for (const c of changes) {
        // A new wait starts a new conversation turn: the previous "It's OK" no longer applies.
        if (c.kind === 'waitingStarted') {
          this.model.acks.delete(chatKey);
          started = true;
        } else if (c.kind === 'waitingEnded') {
          const e = c.episode;
          ended.push({
            chatKey,
            kind: e.kind,
            startedAt: e.startedAt,
            firstMessageId: Number(e.firstClientMessageId),
            endedAt: e.endedAt,
            endedBy: e.endedBy,
            answeredBy: e.answeredBy,
            overdueAt: e.becameOverdueAt,
            thresholdSeconds: threshold,
          });
        } else if (c.kind !== 'becameOverdue') simple = false;
      }
      const w = this.model.overdue.get(chatKey)?.waiting ?? null;
      waiting.push(waitingRecordOf(chatKey, w));
      if (!simple) checkStale.set(chatKey, w);
      // Open waits are episodes too (ended_at null), so response-time monitoring sees them live.
      if (w && (started || !simple)) open.push(openEpisodeOf(chatKey, w, threshold));
    }
    await putEndedEpisodes(trx, ended);
    await putWaitingStates(trx, waiting, now);
    if (checkStale.size > 0) {
      const stale: number[] = [];
      for (const row of await listOpenEpisodes(trx, [...checkStale.keys()])) {
        const w = checkStale.get(row.chatKey) ?? null;
        // As SQL's "started_at != since OR first_message_id != first" would: a null id never differs.
        if (w === null || row.startedAt !== w.since || (row.firstMessageId !== null && row.firstMessageId !== Number(w.firstClientMessageId))) stale.push(row.id);
      }
      await deleteEpisodes(trx, stale);
    }
    await insertEpisodes(trx, open);
  }

  /**
   * Flips the given chats that are due at `now` to overdue, dated at their deadlines: the clock
   * states in memory, then one multi-row write of their waiting states and one insert of their
   * open episodes (kept, already stored), then their events. Returns the chats flipped.
   */
  private async flip(trx: Trx, emit: Emit, chatKeys: readonly ChatKey[], now: UnixMs): Promise<ChatKey[]> {
    const waiting: WaitingRecord[] = [];
    const open: EpisodeRecord[] = [];
    const flipped: ChatKey[] = [];
    for (const chatKey of chatKeys) {
      const state = this.model.overdue.get(chatKey);
      const w = state?.waiting;
      // Re-checked inside the transaction: a reply committed since the timer fired ends the wait.
      if (!state || !w || w.overdueSince !== null || w.deadline > now || !this.isSupport(chatKey)) continue;
      const step = applyOverdueInput(state, { kind: 'tick', at: now }, this.ctx(chatKey));
      const next = step.state.waiting;
      if (next === null || !step.changes.every((c) => c.kind === 'becameOverdue') || next.since !== w.since || next.firstClientMessageId !== w.firstClientMessageId || next.kind !== w.kind) {
        // Not a plain flip (a tick never does more today): the one-chat path writes whatever it is.
        await this.apply(trx, emit, chatKey, [], now);
        flipped.push(chatKey);
        continue;
      }
      this.model.overdue.set(chatKey, step.state);
      waiting.push(waitingRecordOf(chatKey, next));
      // The wait is the one persisted when it started, so its open episode is stored; the insert
      // keeps that true whatever happened to the row.
      open.push(openEpisodeOf(chatKey, next, this.model.thresholdSecondsOf(chatKey)));
      flipped.push(chatKey);
    }
    await putWaitingStates(trx, waiting, now);
    await insertEpisodes(trx, open);
    for (const chatKey of flipped) this.emitIfChanged(emit, chatKey, now);
    this.model.emitDialogDiffs(emit, flipped, now);
    return flipped;
  }

  /** Re-arms the single timer for the earliest deadline. Call after every commit. */
  schedule(): void {
    // While flips are being written the timer stays down; the flips re-arm it when done.
    if (this.stopped || this.firing) return;
    const next = nextDeadline([...this.model.overdue.values()].filter((s) => this.isSupport(s.chatKey)));
    if (next === null) {
      this.clearTimer();
      return;
    }
    if (this.timerAt === next.at && this.timer) return;
    this.clearTimer();
    this.timerAt = next.at;
    const delay = Math.max(0, Math.min(next.at - this.now(), MAX_TIMER_MS));
    this.timer = setTimeout(() => {
      if (next.at - this.now() > 0) {
        // Woke early because of the cap: sleep again towards the same deadline.
        this.timer = null;
        this.timerAt = null;
        this.schedule();
        return;
      }
      this.firingDone = this.fire();
    }, delay);
    this.timer.unref();
  }

  /**
   * Flips every chat due now, earliest deadline first, FLIP_CHUNK chats per transaction: each
   * chunk commits and publishes before the next is written, and other writes (ingest, actions)
   * may run between chunks. Chats whose deadline passes meanwhile go with the next firing.
   */
  private async fire(): Promise<void> {
    this.timer = null;
    this.timerAt = null;
    const firedAt = this.now();
    const due: { chatKey: ChatKey; deadline: UnixMs }[] = [];
    for (const [chatKey, state] of this.model.overdue) {
      const w = state.waiting;
      if (!w || w.overdueSince !== null || w.deadline > firedAt || !this.isSupport(chatKey)) continue;
      due.push({ chatKey, deadline: w.deadline });
      this.maxLatenessMs = Math.max(this.maxLatenessMs, firedAt - w.deadline);
    }
    due.sort((a, b) => a.deadline - b.deadline);
    const deadlineOf = new Map(due.map((d) => [d.chatKey, d.deadline]));
    this.firing = true;
    try {
      for (let i = 0; i < due.length; i += this.flipChunk) {
        // Stopping: the rest is recomputed from history at the next start.
        if (this.stopped) break;
        const chunk = due.slice(i, i + this.flipChunk).map((d) => d.chatKey);
        await this.writer.run(async (trx, emit, hooks) => {
          // A rolled-back flip must leave memory as it was, or the chats would count as flipped
          // and never be flipped again, and subscribers as told of flips they never got.
          const states = chunk.map((chatKey) => [chatKey, this.model.overdue.get(chatKey)] as const);
          const mirror = this.model.mirrorCheckpoint();
          hooks.onRollback(() => {
            for (const [chatKey, state] of states) {
              if (state) this.model.overdue.set(chatKey, state);
              else this.model.overdue.delete(chatKey);
            }
            this.model.restoreMirror(mirror);
          });
          const flipped = await this.flip(trx, emit, chunk, this.now());
          hooks.afterCommit(() => {
            const at = this.now();
            for (const chatKey of flipped) this.maxPublishedLatenessMs = Math.max(this.maxPublishedLatenessMs, at - (deadlineOf.get(chatKey) ?? at));
          });
        });
      }
    } catch (error) {
      this.logger.error('overdue flip failed; retrying in 1 s', { error });
      this.firing = false;
      setTimeout(() => this.schedule(), 1000).unref();
      return;
    }
    this.firing = false;
    this.schedule();
  }

  /** Re-arms the timer from scratch: after the clock jumped, or when tests move time. */
  rearm(): void {
    this.clearTimer();
    this.schedule();
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.timerAt = null;
  }

  /** Stops the timer and waits for flips under way, which stop after their current chunk. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.clearTimer();
    await this.firingDone;
  }
}

const BLANK_WAITING: WaitingView = { waitingSince: null, deadline: null, isOverdue: false, overdueSince: null };

/** Whether two waits store the same row (their pending client messages are not stored). */
function sameStoredWait(a: Waiting | null, b: Waiting | null): boolean {
  if (a === b) return true;
  if (a === null || b === null) return false;
  return a.since === b.since && a.deadline === b.deadline && a.overdueSince === b.overdueSince && a.firstClientMessageId === b.firstClientMessageId && a.kind === b.kind;
}

function waitingRecordOf(chatKey: ChatKey, w: Waiting | null): WaitingRecord {
  return { chatKey, waitingSince: w?.since ?? null, firstMessageId: w ? Number(w.firstClientMessageId) : null, deadline: w?.deadline ?? null, overdueSince: w?.overdueSince ?? null };
}

function openEpisodeOf(chatKey: ChatKey, w: Waiting, thresholdSeconds: number): EpisodeRecord {
  return { chatKey, kind: w.kind, startedAt: w.since, firstMessageId: Number(w.firstClientMessageId), endedAt: null, endedBy: null, answeredBy: null, overdueAt: null, thresholdSeconds };
}

/**
 * Whether a chat's newest `limit` messages may begin inside a wait: the window is full and holds
 * no team message, the one kind of message that answers everything before it.
 */
function mayStartMidWait(history: readonly HistoryEntry[] | undefined, limit: number, roster: OverdueContext['roster']): boolean {
  if (!history || history.length < limit) return false;
  return !history.some((h) => h.deletedAt === null && !h.message.isService && isTeamSender(roster, h.message.sender));
}

interface HistoryEntry {
  readonly message: OverdueMessage;
  readonly deletedAt: number | null;
  readonly sortKey: number;
}

/**
 * The newest `limit` messages of each chat (deleted ones too), oldest first: what `listMessages`
 * gives one chat at a time, for up to HISTORY_CHUNK chats per query (one indexed, limited read
 * per chat, joined by UNION ALL).
 */
async function readHistories(trx: Trx, chatKeys: readonly ChatKey[], limit: number): Promise<Map<ChatKey, HistoryEntry[]>> {
  const out = new Map<ChatKey, HistoryEntry[]>();
  for (let i = 0; i < chatKeys.length; i += HISTORY_CHUNK) {
    const part = chatKeys.slice(i, i + HISTORY_CHUNK);
    const one = (chatKey: ChatKey, n: number) =>
      trx
        .selectFrom(
          trx
            .selectFrom('messages')
            .select(['chat_key', 'id', 'sender_key', 'sender_user_id', 'date', 'is_service', 'content_kind', 'text', 'deleted_at', 'sort_key'])
            .where('chat_key', '=', chatKey)
            .orderBy('sort_key', 'desc')
            .limit(limit)
            .as(`h${n}`),
        )
        .selectAll();
    let query = one(part[0]!, 0);
    for (let k = 1; k < part.length; k++) query = query.unionAll(one(part[k]!, k));
    for (const r of await query.execute()) {
      const entry: HistoryEntry = {
        message: {
          id: String(r.id),
          sender: parseSenderKey(r.sender_key) ?? { kind: 'user', id: r.sender_user_id ?? 0 },
          at: fromUnixSeconds(r.date),
          isService: r.is_service === 1,
          contentKind: r.content_kind as OverdueMessage['contentKind'],
          text: r.text,
        },
        deletedAt: r.deleted_at,
        sortKey: r.sort_key,
      };
      const list = out.get(r.chat_key);
      if (list) list.push(entry);
      else out.set(r.chat_key, [entry]);
    }
  }
  for (const list of out.values()) list.sort((a, b) => a.sortKey - b.sortKey);
  return out;
}
