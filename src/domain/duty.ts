/**
 * Duty (DESIGN.md §1 row 17, §2 "Duty"): weekly shifts per team member in a time zone, one-off
 * overrides (a swap, a sick day), and the questions the daemon asks of them: who is on duty at
 * an instant, when does that change next, who comes on next, and which periods someone was on
 * duty (for response times per shift).
 *
 * Wall-clock arithmetic reuses business-hours.ts: a member's shifts compile to the same weekly
 * intervals, each local day is turned into instants on its own, so a shift on the day clocks go
 * forward is an hour shorter in real time and its end is still the 18:00 the wall clock shows.
 * Shift starts that fall into the hour skipped in spring begin at the instant after the gap;
 * those in the hour repeated in autumn at its first occurrence (Temporal's "compatible").
 *
 * Rules:
 * - A shift whose end is not after its start ends on the next day ("22:00"–"06:00").
 * - Overrides beat the weekly schedule; where overrides overlap, the one created last wins.
 * - A member with neither shifts nor overrides is never on duty, except that a team with no
 *   duty data at all counts everyone as on duty (`dutyPredicate`), as before schedules existed.
 */
import { compileBusinessHours, instantOfWallTime, type BusinessHours, type IsoWeekday, type WeeklyInterval } from './business-hours.ts';
import { badInput } from './errors.ts';
import { DAY, MINUTE, type UnixMs } from './time.ts';

export interface DutyShift {
  readonly day: IsoWeekday;
  /** Local "HH:MM" the shift starts. */
  readonly from: string;
  /** Local "HH:MM" it ends; not after `from` means the next day. "24:00" is midnight. */
  readonly to: string;
}

export interface DutyScheduleInput {
  readonly memberUserId: number;
  /** An IANA zone, e.g. "Europe/Berlin". */
  readonly timeZone: string;
  readonly shifts: readonly DutyShift[];
  /**
   * Opt-in: at off-duty time the daemon mutes the support chats on this member's account (if it
   * drives it) and restores them at on-duty time.
   */
  readonly muteOffDuty: boolean;
}

export interface DutyOverride {
  readonly id: number;
  readonly memberUserId: number;
  readonly from: UnixMs;
  readonly to: UnixMs;
  /** true: on duty in this window (covering a swap); false: off (sick day, holiday). */
  readonly onDuty: boolean;
  readonly note: string | null;
  readonly createdAt: UnixMs;
}

export interface DutySchedule {
  readonly input: DutyScheduleInput;
  /** Null when the member has no shifts (only overrides can put them on duty). */
  readonly hours: BusinessHours | null;
  readonly formatter: Intl.DateTimeFormat;
}

/** A half-open period [from, to). */
export interface Period {
  readonly from: UnixMs;
  readonly to: UnixMs;
}

const CLOCK = /^(\d{1,2}):(\d{2})$/;

function minutesOf(text: string, field: string): number {
  const m = CLOCK.exec(text);
  if (!m) throw badInput(`${field} must be "HH:MM", got "${text}"`, { argument: field });
  const minutes = Number(m[1]) * 60 + Number(m[2]);
  if (Number(m[2]) > 59 || minutes > 24 * 60) throw badInput(`${field} is not a time of day: "${text}"`, { argument: field });
  return minutes;
}

function clockOf(minutes: number): string {
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}

const nextDay = (day: IsoWeekday): IsoWeekday => ((day % 7) + 1) as IsoWeekday;

/** Validates a schedule and compiles it; throws BAD_USER_INPUT naming the field. */
export function compileDutySchedule(input: DutyScheduleInput): DutySchedule {
  if (!Number.isSafeInteger(input.memberUserId) || input.memberUserId <= 0) throw badInput('memberUserId must be a Telegram user id', { argument: 'memberUserId' });
  if (input.shifts.length > 50) throw badInput('a schedule has at most 50 shifts', { argument: 'shifts' });
  const intervals: WeeklyInterval[] = [];
  input.shifts.forEach((s, i) => {
    if (!Number.isInteger(s.day) || s.day < 1 || s.day > 7) throw badInput(`shifts[${i}].day must be 1 (Monday) to 7 (Sunday)`, { argument: 'shifts' });
    const from = minutesOf(s.from, `shifts[${i}].from`);
    const to = minutesOf(s.to, `shifts[${i}].to`);
    if (from === 24 * 60) throw badInput(`shifts[${i}].from cannot be 24:00`, { argument: 'shifts' });
    if (to > from) intervals.push({ day: s.day, from: s.from, to: s.to });
    else {
      // A night shift: the evening part today and the morning part tomorrow.
      intervals.push({ day: s.day, from: s.from, to: '24:00' });
      if (to > 0) intervals.push({ day: nextDay(s.day), from: '00:00', to: clockOf(to) });
    }
  });
  let formatter: Intl.DateTimeFormat;
  try {
    formatter = new Intl.DateTimeFormat('en-US', { timeZone: input.timeZone, numberingSystem: 'latn', hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
  } catch {
    throw badInput(`unknown time zone "${input.timeZone}"`, { argument: 'timeZone' });
  }
  const hours = intervals.length > 0 ? compileBusinessHours({ timeZone: input.timeZone, intervals }) : null;
  return { input, hours, formatter };
}

/** Local wall-clock time of an instant, written as if it were UTC (what business-hours calls "wall"). */
function wallTimeOf(formatter: Intl.DateTimeFormat, t: UnixMs): number {
  const f: Record<string, number> = {};
  for (const p of formatter.formatToParts(t)) if (p.type !== 'literal') f[p.type] = Number(p.value);
  return Date.UTC(f.year!, f.month! - 1, f.day!, f.hour! % 24, f.minute!, f.second!);
}

/** Day of week of a wall-clock midnight, 0 = Sunday (the index of `byUtcDay`). */
function weekdayOf(wallMidnight: number): number {
  return (((Math.floor(wallMidnight / DAY) + 4) % 7) + 7) % 7;
}

/**
 * The schedule's shifts that overlap [from, to), as instants, in order, with shifts that touch
 * (a night shift across midnight, back-to-back shifts) merged into one period.
 */
export function shiftPeriods(schedule: DutySchedule, from: UnixMs, to: UnixMs): Period[] {
  const hours = schedule.hours;
  if (!hours || !(to > from)) return [];
  const out: Period[] = [];
  const first = wallTimeOf(schedule.formatter, from) - DAY;
  const firstMidnight = first - (((first % DAY) + DAY) % DAY);
  const days = Math.ceil((to - from) / DAY) + 3;
  for (let i = 0; i < days; i++) {
    const midnight = firstMidnight + i * DAY;
    for (const [a, b] of hours.byUtcDay[weekdayOf(midnight)]!) {
      const start = instantOfWallTime(hours, midnight + a * MINUTE);
      const end = instantOfWallTime(hours, midnight + b * MINUTE);
      if (end <= start || end <= from || start >= to) continue;
      const last = out[out.length - 1];
      if (last && start <= last.to) out[out.length - 1] = { from: last.from, to: Math.max(last.to, end) };
      else out.push({ from: start, to: end });
    }
  }
  return out;
}

/** The override that decides `t` for a member, if any: the newest one covering it. */
function overrideAt(overrides: readonly DutyOverride[], t: UnixMs): DutyOverride | null {
  let best: DutyOverride | null = null;
  for (const o of overrides) {
    if (o.from <= t && t < o.to && (best === null || o.createdAt > best.createdAt || (o.createdAt === best.createdAt && o.id > best.id))) best = o;
  }
  return best;
}

function inPeriods(periods: readonly Period[], t: UnixMs): boolean {
  for (const p of periods) if (p.from <= t && t < p.to) return true;
  return false;
}

/** Whether one member is on duty at `t`. `overrides` may hold anyone's; only theirs count. */
export function isOnDutyAt(schedule: DutySchedule | null, overrides: readonly DutyOverride[], memberUserId: number, t: UnixMs): boolean {
  const o = overrideAt(overrides.filter((x) => x.memberUserId === memberUserId), t);
  if (o) return o.onDuty;
  return schedule !== null && inPeriods(shiftPeriods(schedule, t, t + 1), t);
}

/**
 * One member's on-duty periods overlapping [from, to), overrides applied, clipped to the window.
 * Built from every instant where something could change (shift and override edges), so an
 * override in the middle of a shift splits it exactly.
 */
export function dutyPeriods(schedule: DutySchedule | null, overrides: readonly DutyOverride[], memberUserId: number, from: UnixMs, to: UnixMs): Period[] {
  if (!(to > from)) return [];
  const mine = overrides.filter((o) => o.memberUserId === memberUserId && o.to > from && o.from < to);
  const shifts = schedule ? shiftPeriods(schedule, from, to) : [];
  const edges = new Set<number>([from, to]);
  for (const p of shifts) {
    edges.add(Math.max(from, p.from));
    edges.add(Math.min(to, p.to));
  }
  for (const o of mine) {
    edges.add(Math.max(from, o.from));
    edges.add(Math.min(to, o.to));
  }
  const points = [...edges].sort((a, b) => a - b);
  const out: Period[] = [];
  for (let i = 0; i + 1 < points.length; i++) {
    const a = points[i]!;
    const b = points[i + 1]!;
    const o = overrideAt(mine, a);
    const on = o ? o.onDuty : inPeriods(shifts, a);
    if (!on) continue;
    const last = out[out.length - 1];
    if (last && last.to === a) out[out.length - 1] = { from: last.from, to: b };
    else out.push({ from: a, to: b });
  }
  return out;
}

/** How far ahead `nextDutyChange` and `dutyView` look. A member off for longer shows no "next". */
export const DUTY_HORIZON_MS = 14 * DAY;

/** The first instant after `t` at which the member's duty flips, within the horizon; null if none. */
export function nextDutyChange(schedule: DutySchedule | null, overrides: readonly DutyOverride[], memberUserId: number, t: UnixMs, horizonMs = DUTY_HORIZON_MS): UnixMs | null {
  const periods = dutyPeriods(schedule, overrides, memberUserId, t, t + horizonMs);
  const first = periods[0];
  if (!first) return null;
  // On duty now: it changes when the first period ends (unless that is the horizon itself).
  if (first.from <= t) return first.to < t + horizonMs ? first.to : null;
  return first.from;
}

/** Every member's duty data in one value: what the app keeps and hands to the functions below. */
export interface DutyRoster {
  readonly schedules: ReadonlyMap<number, DutySchedule>;
  readonly overrides: readonly DutyOverride[];
}

export const EMPTY_DUTY_ROSTER: DutyRoster = { schedules: new Map(), overrides: [] };

/** True when nobody has a schedule or an override: duty is not in use yet. */
export function dutyUnused(duty: DutyRoster): boolean {
  return duty.schedules.size === 0 && duty.overrides.length === 0;
}

/**
 * Who counts as on duty, for the team summary and alerts. Only team members can be on duty;
 * while duty is unused every member is, so a team without schedules behaves as before.
 */
export function dutyPredicate(duty: DutyRoster, isTeamMember: (userId: number) => boolean, t: UnixMs): (userId: number) => boolean {
  if (dutyUnused(duty)) return isTeamMember;
  // The summary asks once per account and chat: remember each member's answer for this instant.
  const known = new Map<number, boolean>();
  return (userId) => {
    let on = known.get(userId);
    if (on === undefined) known.set(userId, (on = isTeamMember(userId) && isOnDutyAt(duty.schedules.get(userId) ?? null, duty.overrides, userId, t)));
    return on;
  };
}

export interface OnDutyEntry {
  readonly memberUserId: number;
  /** When this stretch of duty ends (null: not within the horizon). */
  readonly until: UnixMs | null;
}

export interface NextOnDutyEntry {
  readonly memberUserId: number;
  readonly from: UnixMs;
  readonly until: UnixMs | null;
}

export interface DutyView {
  readonly at: UnixMs;
  /** False while nobody has duty data: then everyone counts as on duty. */
  readonly schedulesInUse: boolean;
  readonly onDuty: readonly OnDutyEntry[];
  /** Members off duty now, by when they come on, earliest first. */
  readonly next: readonly NextOnDutyEntry[];
}

/** Who is on duty at `t` and who comes next, among `memberUserIds` (the roster). */
export function dutyView(duty: DutyRoster, memberUserIds: Iterable<number>, t: UnixMs, horizonMs = DUTY_HORIZON_MS): DutyView {
  const onDuty: OnDutyEntry[] = [];
  const next: NextOnDutyEntry[] = [];
  const unused = dutyUnused(duty);
  for (const memberUserId of memberUserIds) {
    if (unused) {
      onDuty.push({ memberUserId, until: null });
      continue;
    }
    const periods = dutyPeriods(duty.schedules.get(memberUserId) ?? null, duty.overrides, memberUserId, t, t + horizonMs);
    const first = periods[0];
    const until = (p: Period): UnixMs | null => (p.to < t + horizonMs ? p.to : null);
    if (first && first.from <= t) onDuty.push({ memberUserId, until: until(first) });
    else if (first) next.push({ memberUserId, from: first.from, until: until(first) });
  }
  onDuty.sort((a, b) => a.memberUserId - b.memberUserId);
  next.sort((a, b) => a.from - b.from || a.memberUserId - b.memberUserId);
  return { at: t, schedulesInUse: !unused, onDuty, next };
}

/** The earliest instant after `t` at which anyone's duty flips, or null within the horizon. */
export function nextTeamDutyChange(duty: DutyRoster, memberUserIds: Iterable<number>, t: UnixMs, horizonMs = DUTY_HORIZON_MS): UnixMs | null {
  let best: UnixMs | null = null;
  for (const id of memberUserIds) {
    const at = nextDutyChange(duty.schedules.get(id) ?? null, duty.overrides, id, t, horizonMs);
    if (at !== null && (best === null || at < best)) best = at;
  }
  return best;
}

/** Checks an override before it is stored. */
export function validateOverride(o: { memberUserId: number; from: UnixMs; to: UnixMs; note?: string | null }): void {
  if (!Number.isSafeInteger(o.memberUserId) || o.memberUserId <= 0) throw badInput('memberUserId must be a Telegram user id', { argument: 'memberUserId' });
  if (!Number.isFinite(o.from) || !Number.isFinite(o.to)) throw badInput('an override needs a start and an end', { argument: 'from' });
  if (!(o.to > o.from)) throw badInput('an override must end after it starts', { argument: 'to' });
  if (o.to - o.from > 366 * DAY) throw badInput('an override lasts at most a year', { argument: 'to' });
  if (o.note && o.note.length > 500) throw badInput('the note is longer than 500 characters', { argument: 'note' });
}

/** What a `dutyChanged` event carries: who is on duty now, and whose duty just flipped. */
export interface DutyChange {
  readonly onDuty: readonly number[];
  readonly changed: readonly { readonly memberUserId: number; readonly onDuty: boolean }[];
}
