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
 * Telegram deliveries are rate-limited per destination. Each message is stored in the same
 * transaction as the alert that made it (the alert outbox), and worked off in order:
 * - a message over its destination's limit waits, stored, for its turn; a restart sends it then,
 *   and rebuilds the limits from the sends of the last minutes;
 * - a message is marked under way before its call; a restart finds one still under way and
 *   looks in the chat's newest messages for it before sending it again, so it goes out once;
 * - a FLOOD_WAIT delays it as Telegram says; any other refusal is logged and recorded, not
 *   retried (the subscription has the alert, and a reminder follows).
 * A direct message goes to the sending account's private chat with the member, opened when there
 * is none yet: the member chose direct messages.
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
import {
  deleteAlertState,
  insertAlertDeliveries,
  listAlertSendsSince,
  listAlertState,
  listUnfinishedAlertDeliveries,
  pruneAlertDeliveries,
  putAlertState,
  updateAlertDelivery,
  type AlertDeliveryRecord,
  type NewAlertDelivery,
} from '../store/alerts.repository.ts';
import type { Database } from '../store/schema.ts';
import { appendAudit, getPreferences, putPreferences } from '../store/team.repository.ts';
import { floodWaitPolicy } from '../tdlib/errors.ts';
import type { TelegramAccount } from '../tdlib/port.ts';
import type { Actor } from './actions.ts';
import type { DutyService } from './duty.ts';
import type { EventBus } from './event-bus.ts';
import type { TeamModel } from './team-model.ts';
import { SerialRunner } from './serial-runner.ts';
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

/** One Telegram message of an alert, before it is stored. */
type Delivery = Omit<NewAlertDelivery, 'alertId' | 'createdAt'>;

/** The channels a member chose; `subscription` alone means "no Telegram messages". */
export type StoredChannel = AlertChannel | 'subscription';

const MAX_TIMER_MS = 15_000;
/** Finished messages are kept this long (the rate limits are rebuilt from the recent ones). */
const OUTBOX_RETENTION_MS = 86_400_000;
/** How far back a message that was under way at a restart is looked for in its chat. */
const SENT_CHECK_PAGES = 5;
/** Events that can start or end a condition: looking again soon after them keeps alerts prompt. */
const TRIGGERS: ReadonlySet<string> = new Set(['overdueChanged', 'alarmRaised', 'alarmCleared', 'dialogChanged', 'dutyChanged']);

export class AlertService {
  readonly options: AlertOptions;
  private records = new Map<string, AlertRecord>();
  private readonly buckets = new Map<string, TokenBucket>();
  /** Stored messages not sent yet (or under way at the last stop), oldest first. */
  private outbox: AlertDeliveryRecord[] = [];
  private prunedAt = 0;
  private channels = new Map<number, readonly StoredChannel[]>();
  private unsubscribe: (() => void) | null = null;
  /** One look at a time; the look arms the next one. */
  private readonly looks = new SerialRunner(() => this.tick(), { onError: (error) => this.d.logger.error('alert look failed', { error }), retryAfterErrorMs: MAX_TIMER_MS });
  /** Telegram messages sent, newest last (tests, the API's delivery report). */
  readonly sent: { readonly destination: string; readonly text: string; readonly at: number }[] = [];

  constructor(private readonly d: AlertServiceDeps) {
    this.options = { ...DEFAULT_ALERT_OPTIONS, ...d.options, rules: { ...DEFAULT_ALERT_RULES, ...d.options?.rules } };
  }

  async start(): Promise<void> {
    this.looks.resume();
    this.records = new Map((await listAlertState(this.d.db)).map((r) => [r.key, r]));
    await this.loadOutbox();
    const prefs = await this.d.db.selectFrom('preferences').select(['member_user_id', 'alert_channels']).execute();
    for (const p of prefs) this.channels.set(p.member_user_id, parseChannels(p.alert_channels));
    this.unsubscribe = this.d.bus.subscribe((events) => {
      if (events.some((e) => TRIGGERS.has(e.type))) this.soon();
    });
    this.looks.kick();
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    await this.looks.stop();
  }

  async whenIdle(): Promise<void> {
    await this.looks.whenIdle();
  }

  /** Looks now and waits for the look (tests move the clock, then call this). */
  async tickNow(): Promise<void> {
    await this.looks.runNow();
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

  /**
   * Another look after the one under way, or, when none is, within a moment: a burst of events is
   * one look, after the writer that sent them is done. A look already due sooner is kept, so
   * steady traffic never keeps pushing the look back.
   */
  private soon(): void {
    if (this.looks.busy) this.looks.kick();
    else this.looks.within(50);
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
      // The alert, what it remembers and its messages commit together: none is lost or repeated.
      const queued = await this.d.writer.run(async (trx, emit) => {
        await putAlertState(trx, decision.upsert);
        await deleteAlertState(trx, decision.resolve);
        for (const f of fired) emit({ type: 'alert', at: now, alert: f.view });
        return insertAlertDeliveries(trx, fired.flatMap((f) => f.deliveries.map((d) => ({ ...d, alertId: f.view.id, createdAt: now }))));
      });
      for (const r of decision.upsert) this.records.set(r.key, r);
      for (const k of decision.resolve) this.records.delete(k);
      this.outbox.push(...queued);
    }
    await this.deliver(now);
    if (now - this.prunedAt > 3_600_000) await this.prune(now);
    this.arm(conditions, now);
  }

  private arm(conditions: readonly AlertCondition[], now: number): void {
    let at = nextAlertDue(conditions, this.records, this.options.rules, now) ?? now + MAX_TIMER_MS;
    for (const d of this.outbox) {
      const b = this.buckets.get(d.destination);
      if (d.notBefore !== null && d.notBefore > now) at = Math.min(at, d.notBefore);
      else if (b) at = Math.min(at, b.updatedAt + Math.ceil(60_000 / this.options.perMinute));
    }
    this.looks.schedule(Math.min(MAX_TIMER_MS, at - now));
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
      deliveries.push({ destination: 'teamChat', tdChatId: this.d.teamChatId, memberUserId: null, text: alertText({ ...base, addressees }) });
    }
    // A direct message to oneself lands in Saved Messages, which never notifies: skipped.
    for (const id of route.dm) if (id !== fromUser) deliveries.push({ destination: `dm:${id}`, tdChatId: id, memberUserId: id, text: view.text });
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

  // ---- the outbox ------------------------------------------------------------------------

  /** Loads what was waiting or under way, rebuilds the rate limits from recent sends. */
  private async loadOutbox(): Promise<void> {
    const now = this.d.now();
    this.outbox = await listUnfinishedAlertDeliveries(this.d.db);
    this.buckets.clear();
    // Twice the time a bucket takes to refill: a send before that leaves no trace on it.
    const refillMs = Math.ceil((2 * this.options.burst * 60_000) / this.options.perMinute);
    for (const s of await listAlertSendsSince(this.d.db, now - refillMs)) {
      this.buckets.set(s.destination, takeToken(this.buckets.get(s.destination), this.options.perMinute, this.options.burst, s.sentAt).bucket);
    }
    if (this.outbox.length > 0) this.d.logger.info('alert messages from before the restart', { waiting: this.outbox.filter((d) => d.state === 'pending').length, underWay: this.outbox.filter((d) => d.state === 'sending').length });
  }

  private async prune(now: number): Promise<void> {
    this.prunedAt = now;
    await this.d.writer.run((trx) => pruneAlertDeliveries(trx, now - OUTBOX_RETENTION_MS));
  }

  private async mark(d: AlertDeliveryRecord, patch: Parameters<typeof updateAlertDelivery>[2]): Promise<void> {
    await this.d.writer.run((trx) => updateAlertDelivery(trx, d.id, patch));
  }

  /** Sends, in order, what the rate limits allow now; the rest stays stored for a later look. */
  private async deliver(now: number): Promise<void> {
    const from = this.options.fromAccountId;
    const account = from === null ? undefined : this.d.accounts.get(from);
    if (!account || this.outbox.length === 0) return;
    if (account.authState().kind !== 'ready') return;
    const queue = this.outbox;
    const waiting: AlertDeliveryRecord[] = [];
    // The message being handled, as it stands: if the store fails midway, it stays queued as it
    // is (under way, to be looked for in its chat before it is sent again).
    let current: AlertDeliveryRecord | null = null;
    let i = 0;
    try {
      for (; i < queue.length; i++) {
        current = queue[i]!;
        const d: AlertDeliveryRecord = current;
        if (this.looks.isStopped || (d.notBefore !== null && d.notBefore > now)) {
          waiting.push(d);
          continue;
        }
        if (d.state === 'sending') {
          // Under way when the daemon stopped: sent already if the chat has it.
          const found = await this.foundInChat(account, d);
          if (found === null) {
            waiting.push(d);
            continue;
          }
          if (found) {
            const sentAt = d.attemptedAt ?? now;
            await this.mark(d, { state: 'sent', sentAt });
            // It spent its destination's token then.
            this.buckets.set(d.destination, takeToken(this.buckets.get(d.destination), this.options.perMinute, this.options.burst, sentAt).bucket);
            continue;
          }
        }
        const t = takeToken(this.buckets.get(d.destination), this.options.perMinute, this.options.burst, now);
        this.buckets.set(d.destination, t.bucket);
        if (!t.allowed) {
          waiting.push(d);
          continue;
        }
        // Marked before the call: a crash during it leaves `sending`, which the next start checks.
        await this.mark(d, { state: 'sending', attemptedAt: now });
        current = { ...d, state: 'sending', attemptedAt: now };
        let failure: { error: unknown } | null = null;
        try {
          const tdChatId = d.memberUserId === null ? d.tdChatId : (await account.createPrivateChat(d.memberUserId)).tdChatId;
          await account.sendMessage(tdChatId, d.text, { disableLinkPreview: true });
        } catch (error) {
          failure = { error };
        }
        if (failure === null) {
          await this.mark(d, { state: 'sent', sentAt: now, error: null });
          this.sent.push({ destination: d.destination, text: d.text, at: now });
          continue;
        }
        const code = failure.error instanceof DomainError ? failure.error.code : null;
        if (code === 'FLOOD_WAIT') {
          // Refused for now, not sent: it goes out after the wait.
          const notBefore = now + (floodWaitPolicy(failure.error, 1).retryAfterMs ?? 60_000);
          await this.mark(d, { state: 'pending', notBefore, error: messageOf(failure.error) });
          waiting.push({ ...d, state: 'pending', notBefore });
          continue;
        }
        // Not retried (an unconfirmed send may still arrive): the subscription has it, a reminder follows.
        this.d.logger.warn('an alert message could not be sent', { destination: d.destination, code, error: failure.error });
        await this.mark(d, { state: 'failed', error: messageOf(failure.error) });
      }
      current = null;
    } finally {
      this.outbox = [...waiting, ...(current ? [current] : []), ...queue.slice(i + 1)];
    }
  }

  /**
   * Whether a message that was under way is in its chat: the sending account's own message with
   * the same text, among those since the attempt. Null when the chat cannot be read now.
   */
  private async foundInChat(account: TelegramAccount, d: AlertDeliveryRecord): Promise<boolean | null> {
    const since = (d.attemptedAt ?? d.createdAt) - 60_000;
    let from = 0;
    try {
      for (let page = 0; page < SENT_CHECK_PAGES; page++) {
        const { messages } = await account.getChatHistory(d.tdChatId, from, 50);
        if (messages.length === 0) return false;
        for (const m of messages) {
          if (m.isOutgoing && m.text === d.text) return true;
          if (m.date * 1000 < since) return false;
        }
        from = messages[messages.length - 1]!.tdMessageId;
      }
      return false;
    } catch (error) {
      // No private chat yet: the message never went out.
      if (error instanceof DomainError && error.code === 'NOT_FOUND') return false;
      this.d.logger.warn('could not check whether an alert message went out', { destination: d.destination, error });
      return null;
    }
  }
}

function messageOf(error: unknown): string {
  if (error instanceof DomainError && 'tdMessage' in error) return String((error as { tdMessage: unknown }).tdMessage);
  return error instanceof Error ? error.message : String(error);
}

function parseChannels(json: string): StoredChannel[] {
  try {
    const v = JSON.parse(json) as unknown;
    return Array.isArray(v) ? v.filter((c): c is StoredChannel => isAlertChannel(c) || c === 'subscription') : [];
  } catch {
    return [];
  }
}
