/**
 * Alerts to the admins on duty (DESIGN.md §1 row 17): a support chat turned overdue, an alarm was
 * raised, an on-duty member was mentioned and has not read it for N minutes.
 *
 * Every alert is an `alert` event (stored, published after commit, on the `alerts` and `events`
 * subscriptions): dashboards and desktop notifiers use it, which is what lets a phone stay quiet
 * while the desktop still notifies. When an alert account is configured, the alert also goes out
 * as a Telegram message from it: to the team chat (the recipients @mentioned) and/or by direct
 * message, as each recipient chose; with a link to the chat where Telegram has one.
 *
 * The rules (once per condition, reminders, forgetting an ended condition) are src/domain/alerts.ts;
 * their memory is stored, so a restart neither repeats an alert nor forgets a pending one.
 * Telegram deliveries are rate-limited per destination; a delivery over the limit waits, in
 * memory, for its turn.
 */
import type { Kysely } from 'kysely';
import {
  alertRecipients,
  alertText,
  DEFAULT_ALERT_RULES,
  evaluateAlerts,
  messageLink,
  isAlertChannel,
  nextAlertDue,
  routeAlert,
  takeToken,
  type AlertChannel,
  type AlertCondition,
  type AlertRecord,
  type AlertRules,
  type AlertView,
  type TokenBucket,
} from '../domain/alerts.ts';
import { badInput, DomainError, notFound } from '../domain/errors.ts';
import type { ChatKey } from '../domain/ids.ts';
import type { Logger } from '../shared/log.ts';
import { deleteAlertState, listAlertState, putAlertState } from '../store/alerts.repository.ts';
import type { Database } from '../store/schema.ts';
import { appendAudit, getPreferences, putPreferences } from '../store/team.repository.ts';
import type { TelegramAccount } from '../tdlib/port.ts';
import type { Actor } from './actions.ts';
import type { DutyService } from './duty.ts';
import type { EventBus } from './event-bus.ts';
import type { TeamModel } from './team-model.ts';
import type { Writer } from './writer.ts';

export interface AlertOptions {
  readonly rules: AlertRules;
  /** The account alert messages are sent from; null sends none (the subscription still gets every alert). */
  readonly fromAccountId: string | null;
  /** Channels of a member who chose none. */
  readonly defaultChannels: readonly AlertChannel[];
  /** Telegram messages per destination per minute, and the burst allowed. */
  readonly perMinute: number;
  readonly burst: number;
}

export const DEFAULT_ALERT_OPTIONS: AlertOptions = { rules: DEFAULT_ALERT_RULES, fromAccountId: null, defaultChannels: ['teamChat'], perMinute: 6, burst: 3 };

export interface AlertServiceDeps {
  readonly db: Kysely<Database>;
  readonly writer: Writer;
  readonly model: TeamModel;
  readonly bus: EventBus;
  readonly accounts: ReadonlyMap<string, TelegramAccount>;
  readonly duty: DutyService;
  readonly teamChatId: number | null;
  readonly now: () => number;
  readonly logger: Logger;
  readonly options?: Partial<AlertOptions>;
}

/** One Telegram message waiting for its destination's rate limit. */
interface Delivery {
  readonly destination: string;
  readonly tdChatId: number;
  readonly text: string;
}

/** The channels a member chose; `subscription` alone means "no Telegram messages". */
export type StoredChannel = AlertChannel | 'subscription';

const MAX_TIMER_MS = 15_000;
/** Events that can start or end a condition: looking again soon after them keeps alerts prompt. */
const TRIGGERS: ReadonlySet<string> = new Set(['overdueChanged', 'alarmRaised', 'alarmCleared', 'dialogChanged', 'dutyChanged']);

export class AlertService {
  readonly options: AlertOptions;
  private records = new Map<string, AlertRecord>();
  private readonly buckets = new Map<string, TokenBucket>();
  private outbox: Delivery[] = [];
  private channels = new Map<number, readonly StoredChannel[]>();
  private timer: NodeJS.Timeout | null = null;
  private unsubscribe: (() => void) | null = null;
  private ticking: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  /** Telegram messages sent, newest last (tests, the API's delivery report). */
  readonly sent: { readonly destination: string; readonly text: string; readonly at: number }[] = [];

  constructor(private readonly d: AlertServiceDeps) {
    this.options = { ...DEFAULT_ALERT_OPTIONS, ...d.options, rules: { ...DEFAULT_ALERT_RULES, ...d.options?.rules } };
  }

  async start(): Promise<void> {
    this.stopped = false;
    this.records = new Map((await listAlertState(this.d.db)).map((r) => [r.key, r]));
    const prefs = await this.d.db.selectFrom('preferences').select(['member_user_id', 'alert_channels']).execute();
    for (const p of prefs) this.channels.set(p.member_user_id, parseChannels(p.alert_channels));
    this.unsubscribe = this.d.bus.subscribe((events) => {
      if (events.some((e) => TRIGGERS.has(e.type))) this.soon();
    });
    this.kick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.ticking;
  }

  async whenIdle(): Promise<void> {
    while (this.ticking) await this.ticking;
  }

  /** Looks now and waits for the look (tests move the clock, then call this). */
  async tickNow(): Promise<void> {
    await this.whenIdle();
    this.kick();
    await this.whenIdle();
  }

  // ---- channels ---------------------------------------------------------------------------

  /** The member's channels: as chosen, or the configured default. The subscription is always on. */
  channelsOf(memberUserId: number): AlertChannel[] {
    const chosen = this.channels.get(memberUserId);
    if (!chosen || chosen.length === 0) return [...this.options.defaultChannels];
    return chosen.filter(isAlertChannel);
  }

  /** Sets a member's Telegram channels; an empty list means the subscription only, null the configured default. */
  async setChannels(actor: Actor, memberUserId: number, channels: readonly string[] | null): Promise<AlertChannel[]> {
    if (!this.d.model.roster.byId.has(memberUserId)) throw notFound('team member', memberUserId);
    const bad = (channels ?? []).filter((c) => !isAlertChannel(c));
    if (bad.length > 0) throw badInput(`unknown alert channel ${bad.map((b) => `"${b}"`).join(', ')}; use teamChat or dm`, { argument: 'channels' });
    const stored: StoredChannel[] = channels === null ? [] : channels.length === 0 ? ['subscription'] : [...new Set(channels as AlertChannel[])];
    await this.d.writer.run(async (trx) => {
      const now = this.d.now();
      const current = await getPreferences(trx, memberUserId);
      await putPreferences(trx, { ...current, alertChannels: stored }, now);
      await appendAudit(trx, { at: now, actor: actor.label, action: 'setAlertChannels', accountId: null, chatKey: null, details: { memberUserId, channels: stored }, outcome: 'ok', errorCode: null });
    });
    this.channels.set(memberUserId, stored);
    return this.channelsOf(memberUserId);
  }

  // ---- the look ---------------------------------------------------------------------------

  private soon(): void {
    if (this.stopped) return;
    if (this.ticking) {
      this.again = true;
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    // A burst of events is one look, a moment later, after the writer that sent them is done.
    this.timer = setTimeout(() => {
      this.timer = null;
      this.kick();
    }, 50);
    this.timer.unref?.();
  }

  private kick(): void {
    if (this.stopped) return;
    if (this.ticking) {
      this.again = true;
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.ticking = this.tick()
      .catch((error) => this.d.logger.error('alert look failed', { error }))
      .finally(() => {
        this.ticking = null;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  /** What is alert-worthy right now. */
  conditions(now: number): AlertCondition[] {
    const model = this.d.model;
    const out: AlertCondition[] = [];
    for (const entry of model.chats.values()) {
      if (entry.kind !== 'support') continue;
      const w = model.waitingView(entry.record.key, now);
      if (w.isOverdue && w.waitingSince !== null && w.overdueSince !== null) {
        out.push({ key: `overdue:${entry.record.key}:${w.waitingSince}`, kind: 'overdue', chatKey: entry.record.key, since: w.waitingSince, memberUserId: null, detail: null });
      }
    }
    for (const [chatKey, a] of model.alarms) out.push({ key: `alarm:${chatKey}:${a.raisedAt}`, kind: 'alarm', chatKey, since: a.raisedAt, memberUserId: null, detail: a.reason });
    const onDuty = this.d.duty.predicate(now);
    for (const [accountId, userId] of model.accountUsers) {
      if (!onDuty(userId)) continue;
      for (const ac of model.accountChats.get(accountId)?.values() ?? []) {
        if (ac.unreadMentionCount <= 0 || model.chats.get(ac.chatKey)?.kind !== 'support') continue;
        const key = `mention:${userId}:${ac.chatKey}`;
        out.push({ key, kind: 'mention', chatKey: ac.chatKey, since: this.records.get(key)?.firstSeenAt ?? now, memberUserId: userId, detail: null });
      }
    }
    return out;
  }

  private async tick(): Promise<void> {
    const now = this.d.now();
    const conditions = this.conditions(now);
    const decision = evaluateAlerts(conditions, this.records, this.options.rules, now);
    if (decision.fire.length > 0 || decision.upsert.length > 0 || decision.resolve.length > 0) {
      const onDuty = this.d.duty.predicate(now);
      const admins = [...this.d.model.roster.byId.values()].filter((m) => m.role === 'admin' && onDuty(m.userId)).map((m) => m.userId);
      const fired: { view: AlertView; deliveries: Delivery[] }[] = [];
      for (const f of decision.fire) fired.push(this.prepare(f.condition, f.reminder, admins, now));
      await this.d.writer.run(async (trx, emit) => {
        await putAlertState(trx, decision.upsert);
        await deleteAlertState(trx, decision.resolve);
        for (const f of fired) emit({ type: 'alert', at: now, alert: f.view });
      });
      for (const r of decision.upsert) this.records.set(r.key, r);
      for (const k of decision.resolve) this.records.delete(k);
      for (const f of fired) this.outbox.push(...f.deliveries);
    }
    await this.deliver(now);
    this.arm(conditions, now);
  }

  private arm(conditions: readonly AlertCondition[], now: number): void {
    if (this.stopped) return;
    let at = nextAlertDue(conditions, this.records, this.options.rules, now) ?? now + MAX_TIMER_MS;
    for (const d of this.outbox) {
      const b = this.buckets.get(d.destination);
      if (b) at = Math.min(at, b.updatedAt + Math.ceil(60_000 / this.options.perMinute));
    }
    const delay = Math.max(0, Math.min(MAX_TIMER_MS, at - now));
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.kick();
    }, delay);
    this.timer.unref?.();
  }

  /** The alert's view for subscribers and its Telegram messages. */
  private prepare(c: AlertCondition, reminder: number, onDutyAdmins: readonly number[], now: number): { view: AlertView; deliveries: Delivery[] } {
    const entry = this.d.model.chats.get(c.chatKey);
    const title = entry?.record.title ?? c.chatKey;
    const recipients = alertRecipients(c, onDutyAdmins);
    const link = this.linkTo(c.chatKey);
    const nameOf = (id: number) => this.d.model.users.get(id)?.name ?? this.d.model.roster.byId.get(id)?.name ?? `user ${id}`;
    const base = { kind: c.kind, reminder, chatTitle: title, clientName: entry?.clientName ?? null, since: c.since, now, detail: c.detail, mentionedName: c.memberUserId === null ? null : nameOf(c.memberUserId), link };
    const view: AlertView = { id: `${c.key}#${reminder}`, key: c.key, kind: c.kind, chatKey: c.chatKey, chatTitle: title, since: c.since, reminder, recipients, memberUserId: c.memberUserId, text: alertText({ ...base, addressees: [] }), link };
    const deliveries: Delivery[] = [];
    const from = this.options.fromAccountId;
    const fromUser = from === null ? undefined : this.d.model.accountUsers.get(from);
    if (from === null || !this.d.accounts.has(from)) return { view, deliveries };
    const route = routeAlert(recipients, (id) => this.channelsOf(id));
    if (route.teamChat.length > 0 && this.d.teamChatId !== null) {
      const addressees = route.teamChat.map((id) => {
        const username = this.d.model.users.get(id)?.username;
        return username ? `@${username}` : nameOf(id);
      });
      deliveries.push({ destination: 'teamChat', tdChatId: this.d.teamChatId, text: alertText({ ...base, addressees }) });
    }
    // A direct message to oneself lands in Saved Messages, which never notifies: skipped.
    for (const id of route.dm) if (id !== fromUser) deliveries.push({ destination: `dm:${id}`, tdChatId: id, text: view.text });
    return { view, deliveries };
  }

  /** A link to the chat's newest message, built from ids (no Telegram call): supergroups have links, basic groups do not. */
  private linkTo(chatKey: ChatKey): string | null {
    const entry = this.d.model.chats.get(chatKey);
    if (!entry) return null;
    let newest = 0;
    for (const rows of this.d.model.accountChats.values()) newest = Math.max(newest, rows.get(chatKey)?.lastTdMessageId ?? 0);
    return messageLink(entry.record.type, entry.record.tdChatId, newest);
  }

  /** Sends what the rate limits allow now; the rest waits for the next look. */
  private async deliver(now: number): Promise<void> {
    const from = this.options.fromAccountId;
    const account = from === null ? undefined : this.d.accounts.get(from);
    if (!account || this.outbox.length === 0) return;
    if (account.authState().kind !== 'ready') return;
    const waiting: Delivery[] = [];
    for (const d of this.outbox) {
      const t = takeToken(this.buckets.get(d.destination), this.options.perMinute, this.options.burst, now);
      this.buckets.set(d.destination, t.bucket);
      if (!t.allowed) {
        waiting.push(d);
        continue;
      }
      try {
        await account.sendMessage(d.tdChatId, d.text, { disableLinkPreview: true });
        this.sent.push({ destination: d.destination, text: d.text, at: now });
      } catch (error) {
        // A lost alert message is logged, not retried: the subscription has it, and a reminder follows.
        this.d.logger.warn('an alert message could not be sent', { destination: d.destination, code: error instanceof DomainError ? error.code : null, error });
      }
    }
    this.outbox = waiting;
  }
}

function parseChannels(json: string): StoredChannel[] {
  try {
    const v = JSON.parse(json) as unknown;
    return Array.isArray(v) ? v.filter((c): c is StoredChannel => isAlertChannel(c) || c === 'subscription') : [];
  } catch {
    return [];
  }
}
