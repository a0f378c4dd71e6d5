/**
 * Business hours: weekly intervals of wall-clock time in an IANA time zone, and arithmetic that
 * counts only the time inside them.
 *
 * Wall time is turned into instants with `Intl.DateTimeFormat`, which is part of the language
 * (ICU's time zone data), not I/O, so the domain may use it. Every local day is converted on its
 * own, so a day that is 23 or 25 hours long (a DST change) holds exactly the business time its
 * wall clock shows: 08:00–18:00 on the day clocks go forward is still ten real hours, and an
 * interval across the change, 00:00–09:00, is eight.
 *
 * Local times that do not exist (the hour skipped in spring) resolve to the instant after the
 * gap, and those that happen twice (the hour repeated in autumn) to the earlier one, as
 * Temporal's "compatible" disambiguation does.
 */
import { badInput } from './errors.ts';
import { DAY, MINUTE, type DurationMs, type UnixMs } from './time.ts';

/** ISO weekday: 1 is Monday, 7 is Sunday. */
export type IsoWeekday = 1 | 2 | 3 | 4 | 5 | 6 | 7;

export interface WeeklyInterval {
  readonly day: IsoWeekday;
  /** Local "HH:MM", inclusive. */
  readonly from: string;
  /**
   * Local "HH:MM", exclusive, later than `from` on the same day; "24:00" is the end of the day.
   * A night shift across midnight is two intervals (22:00–24:00 and 00:00–06:00 next day).
   */
  readonly to: string;
}

export interface BusinessHoursConfig {
  /** An IANA zone name such as "Europe/Berlin". */
  readonly timeZone: string;
  readonly intervals: readonly WeeklyInterval[];
}

/** Compiled business hours. `byUtcDay[d]` holds [fromMinute, toMinute) pairs, d = 0 for Sunday. */
export interface BusinessHours {
  readonly config: BusinessHoursConfig;
  readonly byUtcDay: readonly (readonly (readonly [number, number])[])[];
  readonly weeklyMinutes: number;
  readonly formatter: Intl.DateTimeFormat;
}

function parseClock(text: string, field: string): number {
  const m = /^(\d{1,2}):(\d{2})$/.exec(text);
  if (!m) throw badInput(`${field} must be "HH:MM", got "${text}"`);
  const minutes = Number(m[1]) * 60 + Number(m[2]);
  if (Number(m[2]) > 59 || minutes > 24 * 60) throw badInput(`${field} is not a time of day: "${text}"`);
  return minutes;
}

/** Validates and compiles; throws BAD_USER_INPUT for an unknown zone or a malformed interval. */
export function compileBusinessHours(config: BusinessHoursConfig): BusinessHours {
  let formatter: Intl.DateTimeFormat;
  try {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone: config.timeZone,
      numberingSystem: 'latn',
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  } catch {
    throw badInput(`unknown time zone "${config.timeZone}"`, { timeZone: config.timeZone });
  }
  const days: [number, number][][] = [[], [], [], [], [], [], []];
  config.intervals.forEach((iv, i) => {
    if (!Number.isInteger(iv.day) || iv.day < 1 || iv.day > 7) throw badInput(`intervals[${i}].day must be 1 (Monday) to 7 (Sunday)`);
    const from = parseClock(iv.from, `intervals[${i}].from`);
    const to = parseClock(iv.to, `intervals[${i}].to`);
    if (to <= from) throw badInput(`intervals[${i}] ends before it starts; split a night shift at midnight`);
    days[iv.day % 7]!.push([from, to]);
  });
  let weeklyMinutes = 0;
  const byUtcDay = days.map((list) => {
    list.sort((a, b) => a[0] - b[0]);
    const merged: [number, number][] = [];
    for (const [from, to] of list) {
      const last = merged[merged.length - 1];
      if (last !== undefined && from <= last[1]) last[1] = Math.max(last[1], to);
      else merged.push([from, to]);
    }
    for (const [from, to] of merged) weeklyMinutes += to - from;
    return merged;
  });
  if (weeklyMinutes === 0) throw badInput('business hours need at least one interval');
  return { config, byUtcDay, weeklyMinutes, formatter };
}

/**
 * Wall-clock fields of an instant in the zone, as if they were UTC: "local time as a number".
 * Reads the digit runs of en-US `format` output (month, day, year, hour, minute, second), which
 * is several times cheaper than `formatToParts` and does not depend on the separators.
 */
function wallTimeOf(bh: BusinessHours, t: UnixMs): number {
  const text = bh.formatter.format(t);
  const f = [0, 0, 0, 0, 0, 0];
  let k = -1;
  let inDigits = false;
  for (let i = 0; i < text.length && k < 6; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d >= 0 && d <= 9) {
      if (!inDigits) {
        k++;
        inDigits = true;
      }
      if (k < 6) f[k] = f[k]! * 10 + d;
    } else inDigits = false;
  }
  const [month, day, year, hour, minute, second] = f as [number, number, number, number, number, number];
  return Date.UTC(year, month - 1, day, hour % 24, minute, second) + (((t % 1000) + 1000) % 1000);
}

function offsetAt(bh: BusinessHours, t: UnixMs): number {
  return wallTimeOf(bh, t) - t;
}

/**
 * The instant at which the zone's clocks show `wall` (local time written as if it were UTC).
 * Offsets a day either side bracket any transition, since zones change at most once a day.
 */
export function instantOfWallTime(bh: BusinessHours, wall: number): UnixMs {
  const before = offsetAt(bh, wall - DAY);
  const after = offsetAt(bh, wall + DAY);
  const early = wall - before;
  if (before === after) return early;
  const late = wall - after;
  const earlyValid = offsetAt(bh, early) === before;
  const lateValid = offsetAt(bh, late) === after;
  if (earlyValid && lateValid) return Math.min(early, late);
  if (earlyValid) return early;
  if (lateValid) return late;
  // In the gap: the offset from before the change lands just as far past it.
  return early;
}

/** Day number (days since 1970-01-01) to weekday, 0 = Sunday, as Date#getUTCDay. */
function utcDayOf(wallMidnight: number): number {
  return (((Math.floor(wallMidnight / DAY) + 4) % 7) + 7) % 7;
}

/**
 * Calls `visit(start, end)` for each business interval, as instants, that ends after `from`,
 * in time order, until `visit` returns false or `maxDays` local days were looked at.
 */
function forEachInterval(bh: BusinessHours, from: UnixMs, maxDays: number, visit: (start: UnixMs, end: UnixMs) => boolean): void {
  const wall = wallTimeOf(bh, from);
  const firstMidnight = wall - (((wall % DAY) + DAY) % DAY);
  for (let i = 0; i < maxDays; i++) {
    const midnight = firstMidnight + i * DAY;
    const intervals = bh.byUtcDay[utcDayOf(midnight)]!;
    if (intervals.length === 0) continue;
    // Nearly every day has one offset throughout: two lookups then cover all its intervals,
    // and only a day with a change pays for resolving each wall time on its own.
    const offset = offsetAt(bh, midnight - DAY);
    const steady = offset === offsetAt(bh, midnight + 2 * DAY);
    const toInstant = (wall: number): UnixMs => (steady ? wall - offset : instantOfWallTime(bh, wall));
    for (const [a, b] of intervals) {
      const end = toInstant(midnight + b * MINUTE);
      if (end <= from) continue;
      const start = toInstant(midnight + a * MINUTE);
      if (!visit(start, end)) return;
    }
  }
}

function daysToCover(bh: BusinessHours, amount: DurationMs): number {
  // A DST week may be an hour short; the margin keeps a long threshold from running out of days.
  const weekly = Math.max(bh.weeklyMinutes * MINUTE - 60 * MINUTE, MINUTE);
  return (Math.ceil(amount / weekly) + 2) * 7;
}

/**
 * The instant when `amount` of business time has passed since `from`. Time outside business
 * hours does not count: 10 minutes at 17:55 on a Friday with Monday–Friday 09:00–18:00 ends at
 * 09:05 on Monday. When the amount is used up exactly at an interval's end, that end is the
 * answer. Returns +Infinity if the intervals never hold that much time (e.g. only ever inside
 * a DST gap), so a caller's timer is simply never set.
 */
export function addBusinessTime(bh: BusinessHours, from: UnixMs, amount: DurationMs): UnixMs {
  let remaining = Math.max(0, amount);
  let result = Number.POSITIVE_INFINITY;
  forEachInterval(bh, from, daysToCover(bh, remaining), (start, end) => {
    const s = Math.max(start, from);
    if (end <= s) return true;
    if (remaining <= end - s) {
      result = s + remaining;
      return false;
    }
    remaining -= end - s;
    return true;
  });
  return result;
}

/** Business time between two instants (0 if `to` is not after `from`). */
export function businessTimeBetween(bh: BusinessHours, from: UnixMs, to: UnixMs): DurationMs {
  if (!(to > from)) return 0;
  let total = 0;
  const maxDays = Math.ceil((to - from) / DAY) + 2;
  forEachInterval(bh, from, maxDays, (start, end) => {
    if (start >= to) return false;
    total += Math.min(end, to) - Math.max(start, from);
    return true;
  });
  return total;
}

export function isBusinessTime(bh: BusinessHours, t: UnixMs): boolean {
  let inside = false;
  forEachInterval(bh, t, 1, (start) => {
    inside = start <= t;
    return false;
  });
  return inside;
}
