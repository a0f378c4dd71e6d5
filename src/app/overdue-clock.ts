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
 * transaction.
 */
import { applyOverdueInput, initialOverdueState, nextDeadline, recomputeOverdue, type OverdueChange, type OverdueInput, type OverdueMessage, type Waiting } from '../domain/overdue.ts';
import { parseSenderKey, type ChatKey } from '../domain/ids.ts';
import { fromUnixSeconds, type UnixMs } from '../domain/time.ts';
import type { Logger } from '../shared/log.ts';
import { listMessages, type StoredMessage } from '../store/messages.repository.ts';
import { insertEpisodes, listAcksSince, putWaitingStates, type EpisodeRecord } from '../store/team.repository.ts';
import type { TeamModel } from './team-model.ts';
import type { Emit, Trx, Writer } from './writer.ts';

/** How much history a recompute replays: enough for any wait a human would still be in. */
const RECOMPUTE_MESSAGES = 300;
/**
 * The timer never sleeps longer than this: if the wall clock jumps (a VM resumed, NTP stepped
 * the clock), deadlines are re-checked within this time rather than at the old delay.
 */
const MAX_TIMER_MS = 30_000;

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
  /** Largest lateness of a flip seen so far, in ms: the benchmark's figure. */
  maxLatenessMs = 0;
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
    if (!this.isSupport(chatKey)) {
      if (this.model.overdue.has(chatKey)) {
        this.model.overdue.delete(chatKey);
        await putWaitingStates(trx, [{ chatKey, waitingSince: null, firstMessageId: null, deadline: null, overdueSince: null }], now);
        this.emitIfChanged(emit, chatKey, now);
      }
      return;
    }
    const history = await listMessages(trx, { chatKey, limit: RECOMPUTE_MESSAGES, includeDeleted: true });
    if (history.length) this.lastFed.set(chatKey, history[history.length - 1]!.sortKey);
    const since = history.length ? fromUnixSeconds(history[0]!.date) : 0;
    const acks = await listAcksSince(trx, chatKey, since);
    const result = recomputeOverdue(
      chatKey,
      { messages: history.map((m) => ({ ...overdueMessageOf(m), deletedAt: m.deletedAt })), acks: acks.map((a) => ({ by: a.by, at: a.at })) },
      this.ctx(chatKey),
      now,
    );
    this.model.overdue.set(chatKey, result.state);
    await this.persist(trx, chatKey, result.changes, now);
    this.emitIfChanged(emit, chatKey, now);
  }

  /** Emits the chat's waiting state if it differs from what subscribers were told. */
  private emitIfChanged(emit: Emit, chatKey: ChatKey, now: UnixMs): void {
    const known = this.model.mirroredWaitingView(chatKey);
    const truth = this.model.waitingView(chatKey, now);
    const blank = { waitingSince: null, deadline: null, isOverdue: false, overdueSince: null };
    if (JSON.stringify(known ?? blank) !== JSON.stringify(truth)) this.model.emitTo(emit, { type: 'overdueChanged', at: now, chatKey, waiting: truth });
  }

  /** Feeds new messages of one chat; falls back to a recompute when one is older than the clock. */
  async onMessages(trx: Trx, emit: Emit, chatKey: ChatKey, messages: readonly StoredMessage[], now: UnixMs): Promise<void> {
    if (!this.isSupport(chatKey) || messages.length === 0) return;
    const sorted = [...messages].sort((a, b) => a.sortKey - b.sortKey);
    const fed = this.lastFed.get(chatKey);
    // Only a message that sorts before one the clock has seen can change the past; several in one
    // second, in order, go through the reducer like any other.
    if (fed === undefined || !this.model.overdue.has(chatKey) || sorted[0]!.sortKey <= fed) {
      await this.recompute(trx, emit, chatKey, now);
      return;
    }
    this.lastFed.set(chatKey, sorted[sorted.length - 1]!.sortKey);
    await this.apply(trx, emit, chatKey, sorted.map((m) => ({ kind: 'message', message: overdueMessageOf(m) }) as OverdueInput), now);
  }

  async onDeleted(trx: Trx, emit: Emit, chatKey: ChatKey, messageIds: readonly number[], now: UnixMs): Promise<void> {
    if (!this.isSupport(chatKey) || messageIds.length === 0) return;
    await this.apply(trx, emit, chatKey, [{ kind: 'deleted', messageIds: messageIds.map(String), at: now }], now);
  }

  async onAck(trx: Trx, emit: Emit, chatKey: ChatKey, by: number, now: UnixMs): Promise<void> {
    await this.apply(trx, emit, chatKey, [{ kind: 'ack', by, at: now }], now);
  }

  /** Applies inputs through the reducer, persists and emits what changed. */
  private async apply(trx: Trx, emit: Emit, chatKey: ChatKey, inputs: readonly OverdueInput[], now: UnixMs): Promise<void> {
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
    if (changes.length === 0 && before !== undefined && sameStoredWait(before.waiting, state.waiting)) return;
    await this.persist(trx, chatKey, changes, now);
    this.emitIfChanged(emit, chatKey, now);
  }

  private async persist(trx: Trx, chatKey: ChatKey, changes: readonly OverdueChange[], now: UnixMs): Promise<void> {
    const episodes: EpisodeRecord[] = [];
    const threshold = this.model.thresholdSecondsOf(chatKey);
    for (const c of changes) {
      // A new wait starts a new conversation turn: the previous "It's OK" no longer applies.
      if (c.kind === 'waitingStarted') this.model.acks.delete(chatKey);
      if (c.kind === 'waitingEnded') {
        const e = c.episode;
        episodes.push({
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
      }
    }
    await insertEpisodes(trx, episodes);
    const w = this.model.overdue.get(chatKey)?.waiting ?? null;
    await putWaitingStates(
      trx,
      [{ chatKey, waitingSince: w?.since ?? null, firstMessageId: w ? Number(w.firstClientMessageId) : null, deadline: w?.deadline ?? null, overdueSince: w?.overdueSince ?? null }],
      now,
    );
    if (episodes.length > 0) await closeOpenEpisodes(trx, episodes);
    // Open waits are episodes too (ended_at null), so response-time monitoring sees them live.
    // A wait that moved (its first message deleted) or was cancelled leaves no stale open episode.
    let stale = trx.deleteFrom('response_episodes').where('chat_key', '=', chatKey).where('ended_at', 'is', null);
    if (w) stale = stale.where((eb) => eb.or([eb('started_at', '!=', w.since), eb('first_message_id', '!=', Number(w.firstClientMessageId))]));
    await stale.execute();
    if (w) {
      await insertEpisodes(trx, [
        { chatKey, kind: w.kind, startedAt: w.since, firstMessageId: Number(w.firstClientMessageId), endedAt: null, endedBy: null, answeredBy: null, overdueAt: null, thresholdSeconds: threshold },
      ]);
    }
  }

  /** Re-arms the single timer for the earliest deadline. Call after every commit. */
  schedule(): void {
    if (this.stopped) return;
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
      void this.fire();
    }, delay);
    this.timer.unref();
  }

  private async fire(): Promise<void> {
    this.timer = null;
    this.timerAt = null;
    const now = this.now();
    try {
      await this.writer.run(async (trx, emit) => {
        const flipped: ChatKey[] = [];
        for (const [chatKey, state] of this.model.overdue) {
          const w = state.waiting;
          if (!w || w.overdueSince !== null || w.deadline > now || !this.isSupport(chatKey)) continue;
          this.maxLatenessMs = Math.max(this.maxLatenessMs, now - w.deadline);
          await this.apply(trx, emit, chatKey, [], now);
          flipped.push(chatKey);
        }
        this.model.emitDialogDiffs(emit, flipped, now);
      });
    } catch (error) {
      this.logger.error('overdue flip failed; retrying in 1 s', { error });
      setTimeout(() => this.schedule(), 1000).unref();
      return;
    }
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

  stop(): void {
    this.stopped = true;
    this.clearTimer();
  }
}

/** Whether two waits store the same row (their pending client messages are not stored). */
function sameStoredWait(a: Waiting | null, b: Waiting | null): boolean {
  if (a === b) return true;
  if (a === null || b === null) return false;
  return a.since === b.since && a.deadline === b.deadline && a.overdueSince === b.overdueSince && a.firstClientMessageId === b.firstClientMessageId && a.kind === b.kind;
}

/** Marks the stored open episode of each ended wait as ended, with its outcome. */
async function closeOpenEpisodes(trx: Trx, ended: readonly EpisodeRecord[]): Promise<void> {
  for (const e of ended) {
    await trx
      .updateTable('response_episodes')
      .set({ ended_at: e.endedAt, ended_by: e.endedBy, answered_by: e.answeredBy, overdue_at: e.overdueAt, kind: e.kind })
      .where('chat_key', '=', e.chatKey)
      .where('first_message_id', '=', e.firstMessageId)
      .where('started_at', '=', e.startedAt)
      .where('ended_at', 'is', null)
      .execute();
  }
}
