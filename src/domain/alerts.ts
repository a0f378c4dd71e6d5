/**
 * Alerts to the admins on duty (DESIGN.md §1 row 17): a support chat turned overdue, an alarm was
 * raised, or an on-duty member was mentioned and has not read it for a while.
 *
 * Each situation is a *condition* with a stable key (one overdue wait, one alarm, one unread
 * mention of one member in one chat). A key alerts once; while the condition lasts it reminds
 * after a set time, a limited number of times; when it ends, the key is forgotten, so the next
 * wait of the same chat alerts again. That is the deduplication: one overdue chat, one alert
 * (plus reminders), however often the daemon looks.
 *
 * Telegram deliveries are also rate-limited per destination (a token bucket), so a burst of
 * overdue chats cannot make the alert account flood the team chat.
 */
import { SERVER_MESSAGE_ID_SHIFT, type ChatKey, type ChatType } from './ids.ts';
import type { DurationMs, UnixMs } from './time.ts';

export type AlertKind = 'overdue' | 'alarm' | 'mention';

export interface AlertCondition {
  /** Stable for as long as the situation lasts, e.g. `overdue:<chat>:<waiting since>`. */
  readonly key: string;
  readonly kind: AlertKind;
  readonly chatKey: ChatKey;
  /** When the situation began (the deadline passed, the alarm was raised, the mention was first seen unread). */
  readonly since: UnixMs;
  /** For a mention: the member who was mentioned. */
  readonly memberUserId: number | null;
  /** For an alarm: its reason. */
  readonly detail: string | null;
}

/** What the daemon remembers of a condition between looks (stored, so a restart does not alert twice). */
export interface AlertRecord {
  readonly key: string;
  readonly kind: AlertKind;
  readonly chatKey: ChatKey;
  readonly firstSeenAt: UnixMs;
  /** When the first alert went out; null while it is not due yet (a fresh mention). */
  readonly sentAt: UnixMs | null;
  readonly lastSentAt: UnixMs | null;
  readonly reminders: number;
}

export interface AlertRules {
  /** A mention alerts when it has been unread this long. */
  readonly mentionAfterMs: DurationMs;
  /** A condition still present this long after its last alert is reminded of; 0 turns reminders off. */
  readonly reminderAfterMs: DurationMs;
  readonly maxReminders: number;
}

export const DEFAULT_ALERT_RULES: AlertRules = { mentionAfterMs: 10 * 60_000, reminderAfterMs: 30 * 60_000, maxReminders: 3 };

export interface AlertFiring {
  readonly condition: AlertCondition;
  /** 0 for the first alert, then 1, 2, … for reminders. */
  readonly reminder: number;
}

export interface AlertDecision {
  readonly fire: readonly AlertFiring[];
  /** Records to store (new or changed). */
  readonly upsert: readonly AlertRecord[];
  /** Keys whose condition ended: forget them. */
  readonly resolve: readonly string[];
}

/** Compares what is true now with what was alerted before. Pure; the caller stores the result. */
export function evaluateAlerts(conditions: readonly AlertCondition[], records: ReadonlyMap<string, AlertRecord>, rules: AlertRules, now: UnixMs): AlertDecision {
  const fire: AlertFiring[] = [];
  const upsert: AlertRecord[] = [];
  const present = new Set<string>();
  for (const c of conditions) {
    if (present.has(c.key)) continue;
    present.add(c.key);
    const rec = records.get(c.key);
    const firstSeenAt = Math.min(rec?.firstSeenAt ?? now, c.since);
    if (!rec || rec.sentAt === null) {
      const dueAt = c.kind === 'mention' ? firstSeenAt + rules.mentionAfterMs : firstSeenAt;
      if (now >= dueAt) {
        fire.push({ condition: c, reminder: 0 });
        upsert.push({ key: c.key, kind: c.kind, chatKey: c.chatKey, firstSeenAt, sentAt: now, lastSentAt: now, reminders: 0 });
      } else if (!rec) {
        upsert.push({ key: c.key, kind: c.kind, chatKey: c.chatKey, firstSeenAt, sentAt: null, lastSentAt: null, reminders: 0 });
      }
      continue;
    }
    const remindAt = (rec.lastSentAt ?? rec.sentAt) + rules.reminderAfterMs;
    if (rules.reminderAfterMs > 0 && rec.reminders < rules.maxReminders && now >= remindAt) {
      fire.push({ condition: c, reminder: rec.reminders + 1 });
      upsert.push({ ...rec, lastSentAt: now, reminders: rec.reminders + 1 });
    }
  }
  const resolve = [...records.keys()].filter((k) => !present.has(k));
  return { fire, upsert, resolve };
}

/** When `evaluateAlerts` would next have something to do, given the same conditions; null if never. */
export function nextAlertDue(conditions: readonly AlertCondition[], records: ReadonlyMap<string, AlertRecord>, rules: AlertRules, now: UnixMs): UnixMs | null {
  let best: UnixMs | null = null;
  const consider = (t: UnixMs) => {
    if (best === null || t < best) best = Math.max(t, now);
  };
  for (const c of conditions) {
    const rec = records.get(c.key);
    const firstSeenAt = Math.min(rec?.firstSeenAt ?? now, c.since);
    if (!rec || rec.sentAt === null) consider(c.kind === 'mention' ? firstSeenAt + rules.mentionAfterMs : firstSeenAt);
    else if (rules.reminderAfterMs > 0 && rec.reminders < rules.maxReminders) consider((rec.lastSentAt ?? rec.sentAt) + rules.reminderAfterMs);
  }
  return best;
}

// ---- rate limit ------------------------------------------------------------------------------

export interface TokenBucket {
  readonly tokens: number;
  readonly updatedAt: UnixMs;
}

/**
 * Takes one token from a bucket that refills `perMinute` tokens a minute up to `burst`.
 * Returns the bucket after the attempt and, when refused, when a token will be there.
 */
export function takeToken(bucket: TokenBucket | undefined, perMinute: number, burst: number, now: UnixMs): { allowed: boolean; bucket: TokenBucket; retryAt: UnixMs | null } {
  const rate = perMinute / 60_000;
  const start = bucket ?? { tokens: burst, updatedAt: now };
  const tokens = Math.min(burst, start.tokens + Math.max(0, now - start.updatedAt) * rate);
  if (tokens >= 1) return { allowed: true, bucket: { tokens: tokens - 1, updatedAt: now }, retryAt: null };
  return { allowed: false, bucket: { tokens, updatedAt: now }, retryAt: now + Math.ceil((1 - tokens) / rate) };
}

// ---- routing and text ------------------------------------------------------------------------

/** Where a member wants alerts besides the subscription, which every alert always goes to. */
export type AlertChannel = 'teamChat' | 'dm';

export const ALERT_CHANNELS: readonly AlertChannel[] = ['teamChat', 'dm'];

export function isAlertChannel(x: unknown): x is AlertChannel {
  return x === 'teamChat' || x === 'dm';
}

/**
 * Who an alert is for: the admins on duty. A mention alert also reaches the mentioned member
 * (they are on duty, or it would not be a condition), even if their role is manager.
 */
export function alertRecipients(condition: AlertCondition, onDutyAdmins: readonly number[]): number[] {
  const out = new Set(onDutyAdmins);
  if (condition.kind === 'mention' && condition.memberUserId !== null) out.add(condition.memberUserId);
  return [...out].sort((a, b) => a - b);
}

/** Splits recipients by the channels they chose: those to @mention in the team chat, and those to message directly. */
export function routeAlert(recipients: readonly number[], channelsOf: (memberUserId: number) => readonly AlertChannel[]): { teamChat: number[]; dm: number[] } {
  const teamChat: number[] = [];
  const dm: number[] = [];
  for (const id of recipients) {
    const channels = channelsOf(id);
    if (channels.includes('teamChat')) teamChat.push(id);
    if (channels.includes('dm')) dm.push(id);
  }
  return { teamChat, dm };
}

export interface AlertTextInput {
  readonly kind: AlertKind;
  readonly reminder: number;
  readonly chatTitle: string;
  readonly clientName: string | null;
  readonly since: UnixMs;
  readonly now: UnixMs;
  readonly detail: string | null;
  readonly mentionedName: string | null;
  readonly link: string | null;
  /** "@username" or a name per recipient, for the team chat. */
  readonly addressees: readonly string[];
}

function minutes(ms: DurationMs): string {
  const m = Math.max(0, Math.round(ms / 60_000));
  return m < 60 ? `${m} min` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** The text of an alert message: what happened, where, for how long, and the link to the chat. */
export function alertText(a: AlertTextInput): string {
  const chat = a.clientName && !a.chatTitle.includes(a.clientName) ? `«${a.chatTitle}» (${a.clientName})` : `«${a.chatTitle}»`;
  const prefix = a.reminder > 0 ? `Reminder ${a.reminder}: ` : '';
  let what: string;
  switch (a.kind) {
    case 'overdue':
      what = `a client in ${chat} has waited ${minutes(a.now - a.since)} without an answer`;
      break;
    case 'alarm':
      what = `alarm in ${chat}${a.detail ? `: ${a.detail}` : ''}`;
      break;
    case 'mention':
      what = `${a.mentionedName ?? 'an on-duty member'} was mentioned in ${chat} and has not read it for ${minutes(a.now - a.since)}`;
      break;
  }
  const lines = [`${prefix}${what.charAt(0).toUpperCase()}${what.slice(1)}`];
  if (a.link) lines.push(a.link);
  if (a.addressees.length > 0) lines.push(a.addressees.join(' '));
  return lines.join('\n');
}

/**
 * A link that opens a supergroup at a message for its members: `https://t.me/c/<id>/<message>`,
 * built from ids alone (no call to Telegram). Basic groups and private chats have no links.
 */
export function messageLink(type: ChatType, tdChatId: number, tdMessageId: number): string | null {
  if (type !== 'supergroup' && type !== 'channel') return null;
  const internal = -tdChatId - 1_000_000_000_000;
  const serverId = tdMessageId / SERVER_MESSAGE_ID_SHIFT;
  if (internal <= 0 || !Number.isInteger(serverId) || serverId <= 0) return null;
  return `https://t.me/c/${internal}/${serverId}`;
}

/** What an `alert` event carries to subscribers (dashboards, desktop notifiers). */
export interface AlertView {
  /** Unique per firing: the condition key and the reminder number. */
  readonly id: string;
  readonly key: string;
  readonly kind: AlertKind;
  readonly chatKey: ChatKey;
  readonly chatTitle: string;
  readonly since: UnixMs;
  readonly reminder: number;
  /** The on-duty members it is for. */
  readonly recipients: readonly number[];
  readonly memberUserId: number | null;
  readonly text: string;
  readonly link: string | null;
}
