/**
 * What the wall knows, as the `supportBoardChanged` subscription and the `stats` and `duty`
 * queries deliver it (docs/noc.md), and the pure choices made from it: which rows fit the screen,
 * in which order.
 */

export interface Person {
  readonly id: string;
  readonly name: string;
}

export interface BoardChat {
  readonly chatId: string;
  readonly title: string;
  readonly clientName: string | null;
  readonly waitingSince: string | null;
  readonly deadline: string | null;
  readonly isOverdue: boolean;
  readonly alarm: { readonly raisedBy: Person | null; readonly raisedAt: string; readonly reason: string } | null;
  readonly mentionsOnDuty: boolean;
  readonly isUnread: boolean;
  readonly responsible: readonly Person[];
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

export interface MemberActivity {
  readonly member: Person;
  readonly onDuty: boolean;
  readonly onDutyUntil: string | null;
  readonly nextOnDutyFrom: string | null;
  readonly lastActivityAt: string | null;
}

export interface BoardChange {
  readonly now: string;
  readonly reset: boolean;
  readonly dutySchedules: boolean;
  readonly chats: readonly BoardChat[];
  readonly counts: BoardCounts;
  readonly members: readonly MemberActivity[];
}

/** A chat as the wall keeps it: times parsed once, not at every tick. */
export interface Row {
  readonly chat: BoardChat;
  readonly waitingSince: number | null;
  readonly deadline: number | null;
  readonly alarmAt: number | null;
}

export interface Figures {
  readonly waits: number;
  readonly overdue: number;
  readonly open: number;
  readonly answeredInTime: number;
  readonly shareInTime: number | null;
  readonly first: { readonly count: number; readonly medianSeconds: number | null; readonly p90Seconds: number | null };
  readonly next: { readonly count: number; readonly medianSeconds: number | null; readonly p90Seconds: number | null };
}

export interface HourBar {
  readonly start: number;
  readonly waits: number;
  readonly overdue: number;
  readonly open: number;
  readonly answeredInTime: number;
}

export class WallState {
  readonly rows = new Map<string, Row>();
  counts: BoardCounts | null = null;
  readonly members = new Map<string, MemberActivity>();
  /** Server time minus browser time, so ticking waits match the daemon's clock. */
  clockOffsetMs = 0;
  lastUpdateAt: number | null = null;
  today: Figures | null = null;
  hours: HourBar[] = [];
  /** When `today` and `hours` were last fetched (browser time); null before the first answer. */
  statsAsOf: number | null = null;
  /** The last refresh of the statistics failed: what is shown is from `statsAsOf`. */
  statsFailed = false;
  /** Duty schedules are in use; without them everyone counts as on duty. */
  dutySchedules = false;
  /** Bumped on every change, so the view redraws only what moved. */
  version = 0;

  apply(change: BoardChange, receivedAt: number): void {
    this.clockOffsetMs = Date.parse(change.now) - receivedAt;
    this.lastUpdateAt = receivedAt;
    if (change.reset) {
      this.rows.clear();
      this.members.clear();
    }
    for (const chat of change.chats) {
      if (chat.waitingSince === null && chat.alarm === null) this.rows.delete(chat.chatId);
      else this.rows.set(chat.chatId, toRow(chat));
    }
    for (const m of change.members) this.members.set(m.member.id, m);
    this.dutySchedules = change.dutySchedules;
    this.counts = change.counts;
    this.version++;
  }

  now(): number {
    return Date.now() + this.clockOffsetMs;
  }
}

function toRow(chat: BoardChat): Row {
  return {
    chat,
    waitingSince: chat.waitingSince === null ? null : Date.parse(chat.waitingSince),
    deadline: chat.deadline === null ? null : Date.parse(chat.deadline),
    alarmAt: chat.alarm === null ? null : Date.parse(chat.alarm.raisedAt),
  };
}

export function isOverdueAt(row: Row, now: number): boolean {
  return row.deadline !== null && now >= row.deadline;
}

/**
 * Waiting chats for the list: overdue first, then the rest, each longest wait first (with the
 * default policy for every chat, that is simply longest wait first). At most `capacity` rows;
 * the rest are counted for the "+ N more" line below the list.
 */
export function pickWaiting(rows: Iterable<Row>, now: number, capacity: number): { shown: Row[]; hidden: number; hiddenOverdue: number } {
  const waiting: Row[] = [];
  for (const r of rows) if (r.waitingSince !== null) waiting.push(r);
  waiting.sort((a, b) => Number(isOverdueAt(b, now)) - Number(isOverdueAt(a, now)) || a.waitingSince! - b.waitingSince! || (a.chat.chatId < b.chat.chatId ? -1 : 1));
  const fit = Math.min(waiting.length, capacity);
  const shown = waiting.slice(0, fit);
  let hiddenOverdue = 0;
  for (let i = fit; i < waiting.length; i++) if (isOverdueAt(waiting[i]!, now)) hiddenOverdue++;
  return { shown, hidden: waiting.length - fit, hiddenOverdue };
}

/** Alarms, newest first: the latest one is the news. */
export function pickAlarms(rows: Iterable<Row>, capacity: number): { shown: Row[]; hidden: number } {
  const alarms: Row[] = [];
  for (const r of rows) if (r.alarmAt !== null) alarms.push(r);
  alarms.sort((a, b) => b.alarmAt! - a.alarmAt! || (a.chat.chatId < b.chat.chatId ? -1 : 1));
  const fit = alarms.length <= capacity ? alarms.length : Math.max(0, capacity - 1);
  return { shown: alarms.slice(0, fit), hidden: alarms.length - fit };
}
