/**
 * Response-time statistics (DESIGN.md §1 row 20) from response episodes: one episode per wait,
 * from the client message that started it to the team's reply or "It's OK" (overdue.ts).
 *
 * Definitions, so that a manager's spreadsheet and this code agree:
 * - An episode belongs to the period, day, hour or shift in which its wait *started*: a wait
 *   that started at 10:55 and was answered at 11:20 is in the 10:00 hour. A period's figures
 *   therefore never change once its waits are all answered.
 * - Response time is clock time from the first client message to the answer (the same as
 *   `summarizeEpisodes`), also for chats with business hours: it is what the client lived.
 * - An acknowledgement ends a wait as a reply does: it is counted, and also reported on its own.
 * - Overdue: the wait reached its deadline, whether it was then answered or is still open.
 * - Share in time: waits answered before their deadline, out of the waits whose outcome is
 *   known (answered, or still open but already overdue). A wait still open and not yet overdue
 *   is in neither.
 * - Median and p90 interpolate linearly between the two nearest values (numpy's default): the
 *   median of 2, 4, 6, 8 is 5, and p90 of 10 values lies 10% of the way from the 9th to the
 *   10th.
 *
 * Per admin: the team member who replied or acknowledged; open waits have nobody yet. Per shift:
 * the windows come from the duty schedules when there are any, or from fixed shift starts per
 * local day (e.g. 08:00 and 20:00), built by `localBoundaries`.
 */
import { compileBusinessHours, instantOfWallTime } from './business-hours.ts';
import { badInput } from './errors.ts';
import type { ChatKey } from './ids.ts';
import { DAY, HOUR, type DurationMs, type UnixMs } from './time.ts';

export type StatsGroupBy = 'chat' | 'admin' | 'shift' | 'day' | 'hour';

/** The parts of a stored episode the statistics need. */
export interface StatsEpisode {
  readonly chatKey: ChatKey;
  readonly kind: 'first' | 'next';
  readonly startedAt: UnixMs;
  /** Null while the wait is open. */
  readonly endedAt: UnixMs | null;
  readonly endedBy: 'reply' | 'ack' | null;
  readonly answeredBy: number | null;
  /** When it became overdue; null when it was answered in time or is open and not yet known overdue. */
  readonly overdueAt: UnixMs | null;
  /** When the wait becomes overdue. For open waits this decides "overdue now"; null = never. */
  readonly deadline: UnixMs | null;
}

/** A time window to group by (an hour, a day, a shift). */
export interface TimeWindow {
  readonly key: string;
  readonly start: UnixMs;
  /** Exclusive. */
  readonly end: UnixMs;
  /** Who was on duty, when the window is a duty shift. */
  readonly members?: readonly number[];
  readonly label?: string;
}

export interface Distribution {
  readonly count: number;
  readonly medianMs: DurationMs | null;
  readonly p90Ms: DurationMs | null;
  readonly meanMs: DurationMs | null;
  readonly maxMs: DurationMs | null;
}

export interface ResponseFigures {
  /** Waits that started in the period. */
  readonly waits: number;
  /** Of those, answered (by a reply or an acknowledgement). */
  readonly answered: number;
  readonly acknowledged: number;
  /** Still waiting at `now`. */
  readonly open: number;
  /** Reached their deadline: answered late, or open and past it. */
  readonly overdue: number;
  readonly answeredInTime: number;
  /** answeredInTime / (answered + open overdue); null when none is decided. */
  readonly shareInTime: number | null;
  /** Response times of answered waits that opened a conversation. */
  readonly first: Distribution;
  /** Response times of answered waits within a conversation. */
  readonly next: Distribution;
  /** Both together. */
  readonly all: Distribution;
}

export interface StatsGroup {
  readonly key: string;
  /** Set for time windows. */
  readonly window: TimeWindow | null;
  readonly figures: ResponseFigures;
}

export interface StatsReport {
  readonly from: UnixMs;
  readonly to: UnixMs;
  readonly now: UnixMs;
  readonly groupBy: StatsGroupBy | null;
  readonly total: ResponseFigures;
  /** Chats and admins: most waits first, then by key. Time windows: in time order, empty ones included. */
  readonly groups: readonly StatsGroup[];
}

export interface StatsQuery {
  readonly from: UnixMs;
  readonly to: UnixMs;
  readonly now: UnixMs;
  readonly groupBy?: StatsGroupBy | null;
  /** Required for 'shift', 'day' and 'hour': non-overlapping windows in time order. */
  readonly windows?: readonly TimeWindow[];
}

/** Linear interpolation between closest ranks, over values sorted ascending. */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number | null {
  const n = sorted.length;
  if (n === 0) return null;
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

/**
 * Moves the k-th smallest of a[left..right] to a[k], smaller ones before it and larger after:
 * Floyd and Rivest's selection (CACM 1975), O(n) with about 1.5 n comparisons. A large range
 * first selects within a small sample around where k is expected to land, so the pivot is nearly
 * exact and one partition pass does almost all the work; sorting 180,000 response times for two
 * quantiles would cost ten times more.
 */
function select(a: Float64Array, k: number, left: number, right: number): void {
  while (right > left) {
    if (right - left > 600) {
      const n = right - left + 1;
      const m = k - left + 1;
      const z = Math.log(n);
      const s = 0.5 * Math.exp((2 * z) / 3);
      const sd = 0.5 * Math.sqrt((z * s * (n - s)) / n) * (m - n / 2 < 0 ? -1 : 1);
      select(a, k, Math.max(left, Math.floor(k - (m * s) / n + sd)), Math.min(right, Math.floor(k + ((n - m) * s) / n + sd)));
    }
    const pivot = a[k]!;
    let i = left;
    let j = right;
    swap(a, left, k);
    if (a[right]! > pivot) swap(a, left, right);
    while (i < j) {
      swap(a, i, j);
      i++;
      j--;
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
    }
    if (a[left] === pivot) swap(a, left, j);
    else {
      j++;
      swap(a, j, right);
    }
    if (j <= k) left = j + 1;
    if (k <= j) right = j - 1;
  }
}

function swap(a: Float64Array, i: number, j: number): void {
  const t = a[i]!;
  a[i] = a[j]!;
  a[j] = t;
}

/**
 * The q-quantile (linear interpolation) of a[0..n), reordering a. When a[0..m) already holds the
 * m smallest values (m > the quantile's rank), only that prefix is searched.
 */
function quantileInPlace(a: Float64Array, n: number, q: number, m = n): number {
  const h = (n - 1) * q;
  const k = Math.floor(h);
  select(a, k, 0, m - 1);
  const lower = a[k]!;
  if (h === k || k + 1 >= n) return lower;
  // After selecting k, the next order statistic is the smallest of what lies above it: within the
  // prefix if anything of it is left above k, since everything past the prefix is larger.
  let upper = Number.POSITIVE_INFINITY;
  const end = k + 1 < m ? m : n;
  for (let i = k + 1; i < end; i++) if (a[i]! < upper) upper = a[i]!;
  return lower + (h - k) * (upper - lower);
}

/** Median, p90, mean and max of the first n values (reorders them). */
function distributionIn(a: Float64Array, n: number): Distribution {
  if (n === 0) return { count: 0, medianMs: null, p90Ms: null, meanMs: null, maxMs: null };
  let sum = 0;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    const v = a[i]!;
    sum += v;
    if (v > max) max = v;
  }
  const p90Ms = quantileInPlace(a, n, 0.9);
  // Selecting the 90th percentile leaves the smallest values up to it in front: the median is among them.
  const medianMs = quantileInPlace(a, n, 0.5, Math.floor((n - 1) * 0.9) + 1);
  return { count: n, medianMs, p90Ms, meanMs: sum / n, maxMs: max };
}

export function distributionOf(values: readonly number[] | Float64Array): Distribution {
  return distributionIn(Float64Array.from(values), values.length);
}

/** Counters of one group; its response times are gathered in one buffer for all groups. */
class Counts {
  waits = 0;
  answered = 0;
  acknowledged = 0;
  open = 0;
  overdue = 0;
  openOverdue = 0;
  answeredInTime = 0;
  first = 0;
  next = 0;

  /** Counts the episode; true when it was answered (it has a response time). */
  add(e: StatsEpisode, now: UnixMs): boolean {
    this.waits++;
    if (e.endedAt === null) {
      this.open++;
      if (e.overdueAt !== null || (e.deadline !== null && now >= e.deadline)) {
        this.overdue++;
        this.openOverdue++;
      }
      return false;
    }
    this.answered++;
    if (e.endedBy === 'ack') this.acknowledged++;
    if (e.overdueAt !== null) this.overdue++;
    else this.answeredInTime++;
    if (e.kind === 'first') this.first++;
    else this.next++;
    return true;
  }

  /** `times` holds this group's first responses, then its next responses. */
  figures(times: Float64Array): ResponseFigures {
    const decided = this.answered + this.openOverdue;
    const first = distributionIn(times.subarray(0, this.first), this.first);
    const next = distributionIn(times.subarray(this.first), this.next);
    // Selection only reorders within each part, so the two parts together are still all the values.
    const all = distributionIn(times, this.first + this.next);
    return {
      waits: this.waits,
      answered: this.answered,
      acknowledged: this.acknowledged,
      open: this.open,
      overdue: this.overdue,
      answeredInTime: this.answeredInTime,
      shareInTime: decided === 0 ? null : this.answeredInTime / decided,
      first,
      next,
      all,
    };
  }
}

/**
 * Working memory of `computeStats`, reused from one report to the next: a month of a busy team is
 * 180,000 episodes, and fresh typed arrays of that size for every request would be megabytes of
 * garbage per query, and collections in the middle of other requests. Reports are computed
 * synchronously and nothing returned points into these arrays, so one set serves every call.
 */
const scratch = { times: new Float64Array(0), isFirst: new Uint8Array(0), inGroup: new Int32Array(0), buffer: new Float64Array(0) };

/** Grows the scratch arrays to hold n episodes (by half again, so a growing cache does not reallocate every time). */
function scratchFor(n: number): typeof scratch {
  if (scratch.times.length < n) {
    const size = Math.ceil(n * 1.5);
    scratch.times = new Float64Array(size);
    scratch.isFirst = new Uint8Array(size);
    scratch.inGroup = new Int32Array(size);
    scratch.buffer = new Float64Array(size);
  }
  return scratch;
}

/**
 * The response times of many groups in one buffer, each group's first responses then its next
 * ones, laid out by counting first: no per-group arrays to grow. `slot` gives each of the n
 * episodes its group (-1: none or no response time); the times and kinds were taken from the
 * episodes once, so this pass reads typed arrays only. The views are into the shared scratch
 * buffer: use them before the next call.
 */
function gatherTimes(n: number, times: Float64Array, isFirst: Uint8Array, slot: Int32Array | null, counts: readonly Counts[]): Float64Array[] {
  const offsets = new Int32Array(counts.length * 2);
  let total = 0;
  counts.forEach((c, g) => {
    offsets[g * 2] = total;
    offsets[g * 2 + 1] = total + c.first;
    total += c.first + c.next;
  });
  const buffer = scratch.buffer;
  const fill = Int32Array.from(offsets);
  for (let i = 0; i < n; i++) {
    const t = times[i]!;
    // NaN: out of the range, or not answered.
    if (t !== t) continue;
    const g = slot === null ? 0 : slot[i]!;
    if (g < 0) continue;
    const k = g * 2 + (isFirst[i] === 1 ? 0 : 1);
    buffer[fill[k]!++] = t;
  }
  return counts.map((c, g) => buffer.subarray(offsets[g * 2]!, offsets[g * 2]! + c.first + c.next));
}

/**
 * The window containing t, among windows sorted by start; -1 when none. Hours and days are
 * (nearly) equally long, so the first guess is t's place at the windows' mean length, walked a
 * step or two where a clock change or a clipped window shifts it; a binary search otherwise.
 */
function windowIndex(windows: readonly TimeWindow[], t: UnixMs, first: UnixMs, meanLength: number): number {
  const n = windows.length;
  let guess = Math.floor((t - first) / meanLength);
  if (guess < 0) guess = 0;
  else if (guess >= n) guess = n - 1;
  for (let step = 0; step < 3; step++) {
    const w = windows[guess]!;
    if (t < w.start) {
      if (guess === 0) return -1;
      guess--;
    } else if (t >= w.end) {
      if (guess === n - 1) return -1;
      guess++;
    } else return guess;
  }
  let lo = 0;
  let hi = n - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const w = windows[mid]!;
    if (t < w.start) hi = mid - 1;
    else if (t >= w.end) lo = mid + 1;
    else return mid;
  }
  return -1;
}

/**
 * Figures over the episodes that started in [from, to), in total and per group. Episodes outside
 * the range are ignored, so the caller may pass a superset.
 */
export function computeStats(input: Iterable<StatsEpisode>, q: StatsQuery): StatsReport {
  if (!(q.to > q.from)) throw badInput('stats: `to` must be later than `from`');
  const groupBy = q.groupBy ?? null;
  const timeGrouped = groupBy === 'shift' || groupBy === 'day' || groupBy === 'hour';
  if (timeGrouped && q.windows === undefined) throw badInput(`stats by ${groupBy} need the time windows`);
  const windows = timeGrouped ? [...q.windows!].sort((a, b) => a.start - b.start) : [];
  const episodes = Array.isArray(input) ? (input as readonly StatsEpisode[]) : [...input];
  const n = episodes.length;
  // Per episode, read once: its response time (NaN when out of the range or unanswered), whether it
  // opened a conversation, and its group (-1: none).
  const { times, isFirst, inGroup } = scratchFor(n);
  const total = new Counts();
  // Keyed by the raw chat key or user id: no string built per episode.
  const keys = new Map<string | number, number>();
  const groupCounts: Counts[] = timeGrouped ? windows.map(() => new Counts()) : [];
  const groupKeys: string[] = [];
  const firstStart = windows[0]?.start ?? 0;
  const meanLength = windows.length === 0 ? 1 : (windows[windows.length - 1]!.end - firstStart) / windows.length;
  for (let i = 0; i < n; i++) {
    const e = episodes[i]!;
    const startedAt = e.startedAt;
    times[i] = Number.NaN;
    isFirst[i] = 0;
    inGroup[i] = -1;
    if (startedAt < q.from || startedAt >= q.to) continue;
    const answered = total.add(e, q.now);
    if (answered) {
      times[i] = e.endedAt! - startedAt;
      if (e.kind === 'first') isFirst[i] = 1;
    }
    let g = -1;
    if (groupBy === 'chat' || groupBy === 'admin') {
      const key = groupBy === 'chat' ? e.chatKey : e.answeredBy;
      if (key === null) continue;
      g = keys.get(key) ?? -1;
      if (g === -1) {
        g = groupCounts.length;
        keys.set(key, g);
        groupKeys.push(String(key));
        groupCounts.push(new Counts());
      }
    } else if (timeGrouped && windows.length > 0) g = windowIndex(windows, startedAt, firstStart, meanLength);
    if (g >= 0) {
      groupCounts[g]!.add(e, q.now);
      if (answered) inGroup[i] = g;
    }
  }
  // One scratch buffer serves both: the total's figures are taken before the groups' times overwrite it.
  const totalFigures = total.figures(gatherTimes(n, times, isFirst, null, [total])[0]!);
  const groupTimes = groupCounts.length > 0 ? gatherTimes(n, times, isFirst, inGroup, groupCounts) : [];
  let groups: StatsGroup[];
  if (timeGrouped) {
    groups = windows.map((w, i) => ({ key: w.key, window: w, figures: groupCounts[i]!.figures(groupTimes[i]!) }));
  } else {
    groups = groupKeys.map((key, i) => ({ key, window: null, figures: groupCounts[i]!.figures(groupTimes[i]!) }));
    groups.sort((a, b) => b.figures.waits - a.figures.waits || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }
  return { from: q.from, to: q.to, now: q.now, groupBy, total: totalFigures, groups };
}

// ---------------------------------------------------------------------------------------------
// Time windows in a time zone

/** "HH:MM" → minutes after local midnight. */
function minutesOf(text: string): number {
  const m = /^(\d{1,2}):(\d{2})$/.exec(text);
  const minutes = m ? Number(m[1]) * 60 + Number(m[2]) : Number.NaN;
  if (!m || Number(m[2]) > 59 || !(minutes < 24 * 60)) throw badInput(`a time of day must be "HH:MM" before 24:00, got "${text}"`);
  return minutes;
}

const zones = new Map<string, { bh: ReturnType<typeof compileBusinessHours>; fmt: Intl.DateTimeFormat }>();
function zone(timeZone: string) {
  let z = zones.get(timeZone);
  if (z === undefined) {
    // Business hours carry the zone arithmetic (DST-correct instants of wall times); the interval is a placeholder.
    const bh = compileBusinessHours({ timeZone, intervals: [{ day: 1, from: '00:00', to: '24:00' }] });
    const fmt = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    z = { bh, fmt };
    zones.set(timeZone, z);
  }
  return z;
}

/** The local calendar date at t, as Date.UTC of its midnight. */
function localDateAsUtc(fmt: Intl.DateTimeFormat, t: UnixMs): number {
  const [y, m, d] = fmt.format(t).split('-').map(Number) as [number, number, number];
  return Date.UTC(y, m - 1, d);
}

/**
 * Every instant in [from, to) at which the zone's clocks show one of `times` ("HH:MM"), plus the
 * last such instant at or before `from`, in order. Correct across DST: a day with 23 or 25 hours
 * keeps its boundaries at the same wall-clock times.
 */
export function localBoundaries(from: UnixMs, to: UnixMs, timeZone: string, times: readonly string[]): UnixMs[] {
  const minutes = [...new Set(times.map(minutesOf))].sort((a, b) => a - b);
  if (minutes.length === 0) throw badInput('at least one time of day is needed');
  const { bh, fmt } = zone(timeZone);
  const out: UnixMs[] = [];
  let last: UnixMs | null = null;
  for (let day = localDateAsUtc(fmt, from - DAY); ; day += DAY) {
    for (const m of minutes) {
      const t = instantOfWallTime(bh, day + m * 60_000);
      if (t <= from) last = t;
      else if (t < to) out.push(t);
      else return last === null ? out : [last, ...out];
      // A wall time skipped by DST resolves past the gap and could repeat a boundary: keep one.
      if (out.length > 1 && out[out.length - 1] === out[out.length - 2]) out.pop();
    }
  }
}

/** Consecutive windows between boundaries, clipped to [from, to). */
export function windowsFromBoundaries(boundaries: readonly UnixMs[], from: UnixMs, to: UnixMs): TimeWindow[] {
  const out: TimeWindow[] = [];
  for (let i = 0; i < boundaries.length; i++) {
    const start = Math.max(boundaries[i]!, from);
    const end = Math.min(boundaries[i + 1] ?? to, to);
    if (end > start) out.push({ key: new Date(boundaries[i]!).toISOString(), start, end });
  }
  return out;
}

/** Local days of the zone that overlap [from, to); the first and last are clipped. */
export function dayWindows(from: UnixMs, to: UnixMs, timeZone: string): TimeWindow[] {
  return windowsFromBoundaries(localBoundaries(from, to, timeZone, ['00:00']), from, to);
}

const ALL_HOURS = Array.from({ length: 24 }, (_, h) => `${String(h).padStart(2, '0')}:00`);

/** Hours on the zone's clock (whole hours, so a +05:30 zone gets its own half-hour-aligned hours). */
export function hourWindows(from: UnixMs, to: UnixMs, timeZone: string): TimeWindow[] {
  // A month has 720 hours: converting each through the zone would cost thousands of Intl calls.
  // Only midnights are converted; a day of exactly 24 hours has its hours at fixed steps, and
  // only a day with a clock change (23 or 25 hours) is converted hour by hour.
  const midnights = localBoundaries(from, to + 2 * DAY, timeZone, ['00:00']);
  const boundaries: UnixMs[] = [];
  for (let i = 0; i + 1 < midnights.length && midnights[i]! < to; i++) {
    const start = midnights[i]!;
    const next = midnights[i + 1]!;
    if (next - start === DAY) {
      for (let t = start; t < next; t += HOUR) boundaries.push(t);
    } else {
      for (const t of localBoundaries(start, next, timeZone, ALL_HOURS)) if (t >= start && t < next) boundaries.push(t);
    }
  }
  return windowsFromBoundaries(boundaries, from, to);
}

/** Shifts starting at the given local times each day (the fallback when no duty schedules exist). */
export function fixedShiftWindows(from: UnixMs, to: UnixMs, timeZone: string, shiftStarts: readonly string[]): TimeWindow[] {
  return windowsFromBoundaries(localBoundaries(from, to, timeZone, shiftStarts), from, to);
}

/** At most this many windows per report: hours over a year would be 8,760 groups nobody reads. */
export const MAX_WINDOWS = 2_000;
/** The longest range a report covers. */
export const MAX_RANGE_MS = 400 * DAY;

export function checkRange(from: UnixMs, to: UnixMs, groupBy: StatsGroupBy | null): void {
  if (!Number.isFinite(from) || !Number.isFinite(to) || !(to > from)) throw badInput('stats: `to` must be later than `from`');
  if (to - from > MAX_RANGE_MS) throw badInput(`stats cover at most ${MAX_RANGE_MS / DAY} days at once`);
  if (groupBy === 'hour' && (to - from) / HOUR > MAX_WINDOWS) throw badInput(`stats by hour cover at most ${MAX_WINDOWS} hours at once`);
}
