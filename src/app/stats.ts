/**
 * Monitoring (DESIGN.md §1 row 20): response-time statistics from the stored response episodes,
 * and the support board the NOC wall shows: every support chat that is waiting or overdue and
 * every chat with an alarm, with who is responsible, plus the team's counts and the team
 * members' last activity, live.
 *
 * The board is read from the in-memory team model (no query); its live stream is driven by the
 * event bus and coalesced, so a wall receives at most a few messages a second whatever the
 * traffic, each carrying whole rows (absolute values, like every event).
 */
import type { Kysely } from 'kysely';
import type { Acknowledged, Alarm } from '../domain/dialogs.ts';
import type { ChatKey } from '../domain/ids.ts';
import type { TeamMember } from '../domain/roster.ts';
import {
  checkRange,
  computeStats,
  dayWindows,
  fixedShiftWindows,
  hourWindows,
  type StatsEpisode,
  type StatsGroupBy,
  type StatsReport,
  type TimeWindow,
} from '../domain/stats.ts';
import { DAY, type UnixMs } from '../domain/time.ts';
import { senderActivity } from '../store/messages.repository.ts';
import type { Database } from '../store/schema.ts';
import { episodesAfterId, episodesByIds, episodesInRange, type EpisodeRow } from '../store/stats.repository.ts';
import type { EventBus, StoredEvent } from './event-bus.ts';
import type { TeamModel } from './team-model.ts';

/** Who is on duty at one instant: the board asks once per change, not once per chat. */
export interface DutySnapshot {
  /** False while nobody has a duty schedule: then every team member counts as on duty. */
  readonly schedulesInUse: boolean;
  /** On duty now, with the end of their stretch of duty (null: not within the horizon). */
  readonly onDuty: ReadonlyMap<number, UnixMs | null>;
  /** Off duty now and coming on within the horizon: when. */
  readonly next: ReadonlyMap<number, UnixMs>;
}

/**
 * Duty data, from the duty schedules when they are configured. Without them every team member is
 * on duty (as `teamSummary.mentionedOnDuty` assumes) and shifts are fixed local times of day.
 */
export interface DutySource {
  at(now: UnixMs, memberUserIds: Iterable<number>): DutySnapshot;
  /** Team shifts overlapping [from, to): windows in which the set on duty stays the same; null without schedules. */
  shifts(from: UnixMs, to: UnixMs, memberUserIds: Iterable<number>): TimeWindow[] | null;
}

export const EVERYONE_ON_DUTY: DutySource = {
  at: (_now, ids) => ({ schedulesInUse: false, onDuty: new Map([...ids].map((id) => [id, null])), next: new Map() }),
  shifts: () => null,
};

export interface StatsOptions {
  /** The zone for days and fixed shifts when the caller names none. Default: the process's zone. */
  readonly timeZone?: string;
  /** Local start times of the fixed shifts used when there are no duty schedules. */
  readonly shiftStarts?: readonly string[];
  /** How often, at most, the board stream sends a change. */
  readonly boardIntervalMs?: number;
  /** How far back the last activity of team members is looked up at start. */
  readonly activityLookbackMs?: number;
  /** Days of episodes kept in memory for `stats`; older ranges are read from the store. */
  readonly cacheDays?: number;
}

export const DEFAULT_SHIFT_STARTS: readonly string[] = ['08:00', '20:00'];

export interface StatsArgs {
  readonly from: UnixMs;
  readonly to: UnixMs;
  readonly groupBy?: StatsGroupBy | null;
  readonly timeZone?: string | null;
  readonly chatKeys?: readonly ChatKey[] | null;
}

export interface StatsResult extends StatsReport {
  readonly timeZone: string;
  /** Where the shift windows came from, for groupBy 'shift'. */
  readonly shiftSource: 'duty' | 'fixed' | null;
}

/** One row of the support board. */
export interface BoardRow {
  readonly chatKey: ChatKey;
  readonly title: string;
  readonly kind: string;
  readonly clientName: string | null;
  readonly waitingSince: UnixMs | null;
  readonly deadline: UnixMs | null;
  readonly isOverdue: boolean;
  readonly overdueSince: UnixMs | null;
  readonly alarm: Alarm | null;
  readonly acknowledged: Acknowledged | null;
  /** Some account has unread messages in it. */
  readonly isUnread: boolean;
  /** An unread message mentions a team member on duty. */
  readonly mentionsOnDuty: boolean;
  /** Team members in the chat, on duty first, then the most active there; at most 3. */
  readonly responsible: readonly number[];
  /** The last message from the team in the chat, if known. */
  readonly lastTeamMessageAt: UnixMs | null;
}

export interface MemberActivity {
  readonly userId: number;
  readonly onDuty: boolean;
  /** On duty: when this stretch ends (null: unknown or beyond the horizon). */
  readonly onDutyUntil: UnixMs | null;
  /** Off duty: when they come on next, if within the horizon. */
  readonly nextOnDutyFrom: UnixMs | null;
  /** Their last message in a support chat. */
  readonly lastActivityAt: UnixMs | null;
  readonly lastActivityChatKey: ChatKey | null;
}

export interface BoardCounts {
  readonly overdueChats: number;
  readonly waitingChats: number;
  readonly alarms: number;
  readonly unreadSupportChats: number;
  readonly mentionedOnDuty: number;
  readonly openTasks: number;
  readonly supportChats: number;
}

export interface BoardSnapshot {
  readonly now: UnixMs;
  /** Duty schedules are in use; without them every member is on duty. */
  readonly dutySchedules: boolean;
  /** The newest event reflected. */
  readonly seq: number;
  readonly rows: BoardRow[];
  readonly counts: BoardCounts;
  readonly members: MemberActivity[];
}

export interface BoardChange {
  readonly now: UnixMs;
  readonly seq: number;
  /** True for the first message of a stream: `rows` is the whole board; drop what you had. */
  readonly reset: boolean;
  readonly dutySchedules: boolean;
  /** Rows that changed, whole. A row with neither a wait nor an alarm has left the board. */
  readonly rows: BoardRow[];
  readonly counts: BoardCounts;
  /** Members whose activity or duty changed (all of them on reset). */
  readonly members: MemberActivity[];
}

/** A row is on the board while it waits or has an alarm. */
export function isOnBoard(row: BoardRow): boolean {
  return row.waitingSince !== null || row.alarm !== null;
}

/** Upper bounds (seconds) of the response-time histogram on /metrics; 900 is the default threshold. */
export const RESPONSE_BUCKETS_S: readonly number[] = [30, 60, 120, 300, 600, 900, 1200, 1800, 3600, 7200, 14_400, 28_800, 86_400];

/** Cumulative response-time observations since the daemon started, per wait kind (Prometheus histogram semantics). */
export class ResponseObservations {
  readonly byKind = new Map<'first' | 'next', { counts: number[]; sum: number; count: number }>();
  /** Answered waits per kind and whether they were in time. */
  readonly answered = new Map<string, number>();

  observe(kind: 'first' | 'next', seconds: number, inTime: boolean): void {
    let h = this.byKind.get(kind);
    if (!h) this.byKind.set(kind, (h = { counts: RESPONSE_BUCKETS_S.map(() => 0), sum: 0, count: 0 }));
    for (let i = 0; i < RESPONSE_BUCKETS_S.length; i++) if (seconds <= RESPONSE_BUCKETS_S[i]!) h.counts[i]!++;
    h.sum += seconds;
    h.count++;
    const key = `${kind}|${inTime}`;
    this.answered.set(key, (this.answered.get(key) ?? 0) + 1);
  }
}

const DEFAULT_BOARD_INTERVAL_MS = 150;
const DEFAULT_CACHE_DAYS = 35;
const EPISODE_PAGE = 5_000;

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

type OpenWait = { readonly since: UnixMs; readonly deadline: UnixMs } | null;

/** An episode as the statistics hold it; `deadline` of an open one follows the live clock. */
interface CachedEpisode extends StatsEpisode {
  readonly id: number;
  readonly thresholdMs: number;
  deadline: UnixMs | null;
}

function cachedOf(r: EpisodeRow, waitingOf: (chatKey: ChatKey) => OpenWait): CachedEpisode {
  let deadline: UnixMs | null = r.overdueAt;
  if (r.endedAt === null && deadline === null) deadline = openDeadline(r.chatKey, r.startedAt, r.thresholdSeconds * 1000, waitingOf);
  return {
    id: r.id,
    chatKey: r.chatKey,
    kind: r.kind,
    startedAt: r.startedAt,
    endedAt: r.endedAt,
    endedBy: r.endedBy,
    answeredBy: r.answeredBy,
    overdueAt: r.overdueAt,
    deadline,
    thresholdMs: r.thresholdSeconds * 1000,
  };
}

/** An open wait's deadline is the live clock's (it knows business hours); a stale row falls back to the threshold. */
function openDeadline(chatKey: ChatKey, startedAt: UnixMs, thresholdMs: number, waitingOf: (chatKey: ChatKey) => OpenWait): UnixMs | null {
  const w = waitingOf(chatKey);
  if (w && w.since === startedAt) return Number.isFinite(w.deadline) ? w.deadline : null;
  return startedAt + thresholdMs;
}

/**
 * The recent episodes in memory, so that `stats` over a month of a busy team answers in
 * milliseconds instead of reading 100,000+ rows per request.
 *
 * It is kept current by reading only what can have changed, which the overdue clock's way of
 * writing makes small (src/app/overdue-clock.ts): an episode is inserted, or, while open
 * (`ended_at` null), closed or deleted; a closed episode never changes again. Writes are
 * serialized across processes (src/app/writer.ts), so ids commit in order. Each sync therefore
 * reads the rows above the highest id seen and the rows it holds as open.
 */
class EpisodeCache {
  readonly items: CachedEpisode[] = [];
  private readonly pos = new Map<number, number>();
  private readonly open = new Set<number>();
  private maxId = 0;
  private loaded = false;
  private lastTrim = 0;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly db: Kysely<Database>,
    readonly windowMs: number,
  ) {}

  /** Brings the cache up to date with the store (loading it the first time); calls queue up. */
  sync(now: UnixMs): Promise<void> {
    const run = this.chain.then(() => this.syncNow(now));
    this.chain = run.catch(() => undefined);
    return run;
  }

  refreshDeadlines(waitingOf: (chatKey: ChatKey) => OpenWait): void {
    for (const id of this.open) {
      const e = this.items[this.pos.get(id)!]!;
      e.deadline = openDeadline(e.chatKey, e.startedAt, e.thresholdMs, waitingOf);
    }
  }

  private async syncNow(now: UnixMs): Promise<void> {
    const from = this.loaded ? undefined : now - this.windowMs;
    for (;;) {
      const page = await episodesAfterId(this.db, this.maxId, EPISODE_PAGE, from);
      for (const r of page) this.put(r);
      if (page.length > 0) this.maxId = Math.max(this.maxId, page[page.length - 1]!.id);
      if (page.length < EPISODE_PAGE) break;
      // Months of episodes load in pages: the daemon keeps answering in between.
      await yieldToLoop();
    }
    if (this.loaded && this.open.size > 0) {
      const ids = [...this.open];
      const rows = await episodesByIds(this.db, ids);
      const seen = new Set<number>();
      for (const r of rows) {
        seen.add(r.id);
        this.put(r);
      }
      for (const id of ids) if (!seen.has(id)) this.remove(id);
    }
    this.loaded = true;
    if (now - this.lastTrim > 3_600_000) {
      this.lastTrim = now;
      const before = now - this.windowMs - DAY;
      for (let i = this.items.length - 1; i >= 0; i--) if (this.items[i]!.startedAt < before && this.items[i]!.endedAt !== null) this.remove(this.items[i]!.id);
    }
  }

  private put(r: EpisodeRow): void {
    const e = cachedOf(r, () => null);
    const at = this.pos.get(r.id);
    if (at === undefined) {
      this.pos.set(r.id, this.items.length);
      this.items.push(e);
    } else this.items[at] = e;
    if (r.endedAt === null) this.open.add(r.id);
    else this.open.delete(r.id);
  }

  private remove(id: number): void {
    const at = this.pos.get(id);
    if (at === undefined) return;
    const last = this.items.pop()!;
    if (last.id !== id) {
      this.items[at] = last;
      this.pos.set(last.id, at);
    }
    this.pos.delete(id);
    this.open.delete(id);
  }
}

const DEFAULT_ACTIVITY_LOOKBACK_MS = 14 * DAY;

export class Monitoring {
  private readonly timeZone: string;
  private readonly shiftStarts: readonly string[];
  private readonly boardIntervalMs: number;
  private readonly activityLookbackMs: number;
  private readonly lastActivity = new Map<number, { at: UnixMs; chatKey: ChatKey }>();
  private activityLoaded: Promise<void> | null = null;
  private readonly cache: EpisodeCache;
  private readonly unsubscribe: () => void;
  /** Response times observed live, for /metrics. */
  readonly responses = new ResponseObservations();
  private readonly observedEpisode = new Map<ChatKey, number>();
  private observing: Promise<void> = Promise.resolve();
  private closed = false;
  duty: DutySource = EVERYONE_ON_DUTY;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly model: TeamModel,
    private readonly bus: EventBus,
    private readonly now: () => UnixMs,
    options: StatsOptions = {},
  ) {
    this.timeZone = options.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone ?? 'UTC';
    this.shiftStarts = options.shiftStarts ?? DEFAULT_SHIFT_STARTS;
    this.boardIntervalMs = options.boardIntervalMs ?? DEFAULT_BOARD_INTERVAL_MS;
    this.activityLookbackMs = options.activityLookbackMs ?? DEFAULT_ACTIVITY_LOOKBACK_MS;
    this.cache = new EpisodeCache(db, (options.cacheDays ?? DEFAULT_CACHE_DAYS) * DAY);
    // Activity is followed from construction on, so nothing between the lookup and the first wall is lost.
    this.unsubscribe = bus.subscribe((events) => {
      for (const e of events) {
        this.noteActivity(e);
        if (e.type === 'overdueChanged' && (e.payload as { waiting?: { waitingSince?: unknown } }).waiting?.waitingSince === null && e.chatKey) this.observeEnded(e.chatKey);
      }
    });
  }

  close(): void {
    this.closed = true;
    this.unsubscribe();
  }

  /**
   * A wait ended (or was cancelled): its episode is the chat's newest closed one. Each is
   * observed once; a cancelled wait finds the episode already observed and adds nothing.
   */
  private observeEnded(chatKey: ChatKey): void {
    this.observing = this.observing.then(async () => {
      if (this.closed) return;
      try {
        const row = await this.db
          .selectFrom('response_episodes')
          .select(['id', 'kind', 'started_at', 'ended_at', 'overdue_at'])
          .where('chat_key', '=', chatKey)
          .where('ended_at', 'is not', null)
          .orderBy('ended_at', 'desc')
          .orderBy('id', 'desc')
          .limit(1)
          .executeTakeFirst();
        if (!row || row.ended_at === null || this.observedEpisode.get(chatKey) === row.id) return;
        this.observedEpisode.set(chatKey, row.id);
        this.responses.observe(row.kind === 'first' ? 'first' : 'next', Math.max(0, (row.ended_at - row.started_at) / 1000), row.overdue_at === null);
      } catch {
        // A closed store at shutdown; metrics are best effort.
      }
    });
  }

  // ---- statistics ----------------------------------------------------------------------

  async stats(args: StatsArgs): Promise<StatsResult> {
    const groupBy = args.groupBy ?? null;
    checkRange(args.from, args.to, groupBy);
    const timeZone = args.timeZone ?? this.timeZone;
    let windows: TimeWindow[] | undefined;
    let shiftSource: StatsResult['shiftSource'] = null;
    if (groupBy === 'hour') windows = hourWindows(args.from, args.to, timeZone);
    else if (groupBy === 'day') windows = dayWindows(args.from, args.to, timeZone);
    else if (groupBy === 'shift') {
      const duty = this.duty.shifts(args.from, args.to, this.model.roster.byId.keys());
      shiftSource = duty ? 'duty' : 'fixed';
      windows = duty ?? fixedShiftWindows(args.from, args.to, timeZone, this.shiftStarts);
    }
    let episodes: readonly StatsEpisode[];
    if (args.from >= this.now() - this.cache.windowMs) {
      await this.cache.sync(this.now());
      this.cache.refreshDeadlines((chatKey) => this.model.overdue.get(chatKey)?.waiting ?? null);
      episodes = this.cache.items;
      if (args.chatKeys) {
        const only = new Set(args.chatKeys);
        episodes = episodes.filter((e) => only.has(e.chatKey));
      }
    } else {
      episodes = await this.readRange(args.from, args.to, args.chatKeys ?? null);
    }
    // `now` after the read: an open wait is judged against the clock the caller sees.
    const now = this.now();
    const report = computeStats(episodes, { from: args.from, to: args.to, now, groupBy, ...(windows ? { windows } : {}) });
    return { ...report, timeZone, shiftSource };
  }

  /** Loads the episode cache in the background (the daemon calls this once started). */
  warm(): void {
    void this.cache.sync(this.now()).catch(() => undefined);
  }

  /** Ranges older than the cache: read from the store a page at a time. */
  private async readRange(from: UnixMs, to: UnixMs, chatKeys: readonly ChatKey[] | null): Promise<StatsEpisode[]> {
    const out: StatsEpisode[] = [];
    let after: { startedAt: number; id: number } | null = null;
    for (;;) {
      const page = await episodesInRange(this.db, { from, to, chatKeys, after, limit: EPISODE_PAGE });
      for (const r of page) out.push(cachedOf(r, (k) => this.model.overdue.get(k)?.waiting ?? null));
      if (page.length < EPISODE_PAGE) return out;
      const last = page[page.length - 1]!;
      after = { startedAt: last.startedAt, id: last.id };
      await yieldToLoop();
    }
  }

  /** A label for a stats group: the client's name, the member's name, or the window. */
  chatLabel(chatKey: ChatKey): { title: string; clientName: string | null } | null {
    const c = this.model.chats.get(chatKey);
    return c ? { title: c.record.title, clientName: c.clientName } : null;
  }

  member(userId: number): TeamMember | null {
    return this.model.roster.byId.get(userId) ?? null;
  }

  // ---- the board -----------------------------------------------------------------------

  dutyAt(now: UnixMs): DutySnapshot {
    return this.duty.at(now, this.model.roster.byId.keys());
  }

  row(chatKey: ChatKey, now: UnixMs, duty: DutySnapshot = this.dutyAt(now)): BoardRow | null {
    const entry = this.model.chats.get(chatKey);
    if (!entry) return null;
    const alarm = this.model.alarms.get(chatKey) ?? null;
    if (entry.kind !== 'support' && alarm === null) return null;
    const w = entry.kind === 'support' ? this.model.waitingView(chatKey, now) : null;
    let isUnread = false;
    let mentionsOnDuty = false;
    for (const [accountId, chats] of this.model.accountChats) {
      const ac = chats.get(chatKey);
      if (!ac) continue;
      if (ac.unreadCount > 0) isUnread = true;
      if (ac.unreadMentionCount > 0) {
        const userId = this.model.accountUsers.get(accountId);
        if (userId !== undefined && duty.onDuty.has(userId)) mentionsOnDuty = true;
      }
    }
    const team: number[] = [];
    for (const userId of entry.members) if (this.model.roster.byId.has(userId)) team.push(userId);
    for (const userId of entry.activity.keys()) if (!entry.members.has(userId) && this.model.roster.byId.has(userId)) team.push(userId);
    const rank = (id: number) => (duty.onDuty.has(id) ? 0 : 2) + (this.model.roster.byId.get(id)?.role === 'admin' ? 0 : 1);
    team.sort((a, b) => rank(a) - rank(b) || (entry.activity.get(b) ?? 0) - (entry.activity.get(a) ?? 0) || a - b);
    const last = entry.lastMessage;
    return {
      chatKey,
      title: entry.record.title,
      kind: entry.kind,
      clientName: entry.clientName,
      waitingSince: w?.waitingSince ?? null,
      deadline: w?.deadline ?? null,
      isOverdue: w?.isOverdue ?? false,
      overdueSince: w?.overdueSince ?? null,
      alarm,
      acknowledged: this.model.acks.get(chatKey) ?? null,
      isUnread,
      mentionsOnDuty,
      responsible: team.slice(0, 3),
      lastTeamMessageAt: last && last.isTeam ? last.at : null,
    };
  }

  counts(now: UnixMs): BoardCounts {
    const s = this.model.summary(now);
    let waiting = 0;
    let support = 0;
    for (const [chatKey, entry] of this.model.chats) {
      if (entry.kind !== 'support') continue;
      support++;
      if (this.model.overdue.get(chatKey)?.waiting) waiting++;
    }
    let openTasks = 0;
    for (const n of this.model.openTasks.values()) openTasks += n;
    return { ...s, waitingChats: waiting, openTasks, supportChats: support };
  }

  memberActivity(now: UnixMs, duty: DutySnapshot = this.dutyAt(now), only?: ReadonlySet<number>): MemberActivity[] {
    const out: MemberActivity[] = [];
    for (const m of this.model.roster.byId.values()) {
      if (only && !only.has(m.userId)) continue;
      const a = this.lastActivity.get(m.userId);
      out.push({
        userId: m.userId,
        onDuty: duty.onDuty.has(m.userId),
        onDutyUntil: duty.onDuty.get(m.userId) ?? null,
        nextOnDutyFrom: duty.next.get(m.userId) ?? null,
        lastActivityAt: a?.at ?? null,
        lastActivityChatKey: a?.chatKey ?? null,
      });
    }
    return out;
  }

  async board(): Promise<BoardSnapshot> {
    await this.loadActivity();
    const now = this.now();
    const seq = this.bus.lastSeq;
    const duty = this.dutyAt(now);
    const rows: BoardRow[] = [];
    for (const chatKey of this.model.chats.keys()) {
      const r = this.row(chatKey, now, duty);
      if (r && isOnBoard(r)) rows.push(r);
    }
    return { now, seq, dutySchedules: duty.schedulesInUse, rows, counts: this.counts(now), members: this.memberActivity(now, duty) };
  }

  /**
   * The whole board at once, then every change, coalesced over `boardIntervalMs`: rows that
   * changed (whole), the counts, members whose activity or duty moved. Duty flips with the
   * clock, not with events, so it is re-checked every few seconds even when nothing happens.
   */
  async *boardChanges(signal?: AbortSignal): AsyncGenerator<BoardChange> {
    const dirty = new Set<ChatKey>();
    const dirtyMembers = new Set<number>();
    let lastSeq = this.bus.lastSeq;
    let wake: (() => void) | null = null;
    const unsubscribe = this.bus.subscribe((events) => {
      for (const e of events) {
        lastSeq = Math.max(lastSeq, e.seq);
        const chatKey = boardChatOf(e);
        if (chatKey !== null) dirty.add(chatKey);
        const member = teamSenderOf(e);
        if (member !== null) dirtyMembers.add(member);
      }
      if (dirty.size > 0 || dirtyMembers.size > 0) wake?.();
    });
    const onAbort = () => wake?.();
    signal?.addEventListener('abort', onAbort);
    const sent = new Map<ChatKey, string>();
    let sentCounts = '';
    let sentDuty = '';
    const dutyKey = (m: MemberActivity) => `${m.onDuty}|${m.onDutyUntil}|${m.nextOnDutyFrom}`;
    const sentMembers = new Map<number, string>();
    try {
      const first = await this.board();
      for (const r of first.rows) sent.set(r.chatKey, JSON.stringify(r));
      sentCounts = JSON.stringify(first.counts);
      sentDuty = String(first.dutySchedules);
      for (const m of first.members) sentMembers.set(m.userId, dutyKey(m));
      yield { now: first.now, seq: Math.max(first.seq, lastSeq), reset: true, dutySchedules: first.dutySchedules, rows: first.rows, counts: first.counts, members: first.members };
      const dutyCheckEvery = 5_000;
      let nextDutyCheck = Date.now() + dutyCheckEvery;
      while (!signal?.aborted) {
        if (dirty.size === 0 && dirtyMembers.size === 0) {
          let timer: NodeJS.Timeout | undefined;
          await new Promise<void>((resolve) => {
            wake = resolve;
            timer = setTimeout(resolve, Math.max(0, nextDutyCheck - Date.now()));
          });
          clearTimeout(timer);
          wake = null;
          if (signal?.aborted) return;
        }
        // Coalesce: a burst of traffic becomes one message.
        if (dirty.size > 0 || dirtyMembers.size > 0) await new Promise((r) => setTimeout(r, this.boardIntervalMs));
        if (signal?.aborted) return;
        const now = this.now();
        const duty = this.dutyAt(now);
        const rows: BoardRow[] = [];
        for (const chatKey of dirty) {
          const r = this.row(chatKey, now, duty);
          const onBoard = r !== null && isOnBoard(r);
          const json = onBoard ? JSON.stringify(r) : null;
          const before = sent.get(chatKey);
          if (json !== null && json !== before) {
            sent.set(chatKey, json);
            rows.push(r!);
          } else if (json === null && before !== undefined) {
            sent.delete(chatKey);
            rows.push(r ?? emptyRow(chatKey));
          }
        }
        dirty.clear();
        let dutyChanged = false;
        if (Date.now() >= nextDutyCheck) {
          nextDutyCheck = Date.now() + dutyCheckEvery;
          for (const m of this.memberActivity(now, duty)) if (sentMembers.get(m.userId) !== dutyKey(m)) dirtyMembers.add(m.userId);
          if (String(duty.schedulesInUse) !== sentDuty) {
            sentDuty = String(duty.schedulesInUse);
            dutyChanged = true;
          }
        }
        const members = dirtyMembers.size > 0 ? this.memberActivity(now, duty, dirtyMembers) : [];
        dirtyMembers.clear();
        for (const m of members) sentMembers.set(m.userId, dutyKey(m));
        const counts = this.counts(now);
        const countsJson = JSON.stringify(counts);
        if (rows.length === 0 && members.length === 0 && countsJson === sentCounts && !dutyChanged) continue;
        sentCounts = countsJson;
        yield { now, seq: lastSeq, reset: false, dutySchedules: duty.schedulesInUse, rows, counts, members };
      }
    } finally {
      unsubscribe();
      signal?.removeEventListener('abort', onAbort);
    }
  }

  // ---- activity ------------------------------------------------------------------------

  private loadActivity(): Promise<void> {
    this.activityLoaded ??= (async () => {
      const since = Math.floor((this.now() - this.activityLookbackMs) / 1000);
      for (const a of await senderActivity(this.db, since)) {
        if (!this.model.roster.byId.has(a.userId) || this.model.chats.get(a.chatKey)?.kind !== 'support') continue;
        const at = a.lastDate * 1000;
        const known = this.lastActivity.get(a.userId);
        if (!known || known.at < at) this.lastActivity.set(a.userId, { at, chatKey: a.chatKey });
      }
    })().catch((error: unknown) => {
      this.activityLoaded = null;
      throw error;
    });
    return this.activityLoaded;
  }

  private noteActivity(e: StoredEvent): void {
    const p = e.payload as { type?: string; chatKey?: string; message?: { isTeam?: boolean; sender?: { kind?: string; id?: number }; at?: number } };
    if (p.type !== 'messageAdded' || !p.message?.isTeam || p.message.sender?.kind !== 'user' || p.chatKey === undefined) return;
    if (this.model.chats.get(p.chatKey)?.kind !== 'support') return;
    const userId = p.message.sender.id!;
    const at = p.message.at ?? e.at;
    const known = this.lastActivity.get(userId);
    if (!known || known.at <= at) this.lastActivity.set(userId, { at, chatKey: p.chatKey });
  }
}

/** The chat whose board row an event may change, or null. */
function boardChatOf(e: StoredEvent): ChatKey | null {
  switch (e.type) {
    case 'overdueChanged':
    case 'alarmRaised':
    case 'alarmCleared':
    case 'acknowledged':
    case 'chatKindChanged':
    case 'chatTitleChanged':
    case 'dialogChanged':
    case 'dialogRemoved':
    case 'messageAdded':
      return e.chatKey;
    default:
      return null;
  }
}

function teamSenderOf(e: StoredEvent): number | null {
  if (e.type !== 'messageAdded') return null;
  const m = (e.payload as { message?: { isTeam?: boolean; sender?: { kind?: string; id?: number } } }).message;
  return m?.isTeam && m.sender?.kind === 'user' && typeof m.sender.id === 'number' ? m.sender.id : null;
}

function emptyRow(chatKey: ChatKey): BoardRow {
  return {
    chatKey,
    title: '',
    kind: 'other',
    clientName: null,
    waitingSince: null,
    deadline: null,
    isOverdue: false,
    overdueSince: null,
    alarm: null,
    acknowledged: null,
    isUnread: false,
    mentionsOnDuty: false,
    responsible: [],
    lastTeamMessageAt: null,
  };
}
