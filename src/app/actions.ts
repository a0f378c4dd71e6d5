/**
 * What the team does to chats (DESIGN.md §1 row 14). Each action is audited and has exactly
 * the Telegram side effect listed, or none:
 *
 * | action            | Telegram                                              |
 * |-------------------|-------------------------------------------------------|
 * | pin / unpin       | toggleChatIsPinned on that account                    |
 * | mute / unmute     | setChatNotificationSettings: the whole settings, copied, mute fields changed |
 * | read all          | per chat with something to clear: viewMessages up to the last message (force_read, no chat opened); readAllChatMentions if it has unread mentions; toggleChatIsMarkedAsUnread(false) if marked as unread, since "read all" means nothing is left unread, a manual mark included |
 * | alarm, "It's OK", star, kind, policy, position | none                   |
 *
 * The Telegram actions change a real person's account, so an actor limited to its own account
 * (an admin's token) may use them only on the account of its own team member; a manager's token
 * may use them on any. A refusal is FORBIDDEN, audited, and calls nothing.
 *
 * Telegram actions change tgdesk's state only through the updates Telegram sends back, so the
 * store and the events can never claim what Telegram refused. Team-only actions change the
 * store and emit their events in one transaction. A refused action is audited with its error
 * code and changes nothing.
 */
import type { Kysely } from 'kysely';
import { isChatKind, type ChatKind } from '../domain/classification.ts';
import type { Alarm, DialogRow } from '../domain/dialogs.ts';
import { badInput, DomainError, notFound } from '../domain/errors.ts';
import type { ChatKey } from '../domain/ids.ts';
import type { NotificationSettings } from '../domain/telegram.ts';
import type { Logger } from '../shared/log.ts';
import type { Database } from '../store/schema.ts';
import { appendAudit, deleteAlarm, insertAck, patchChatSettings, putAlarm, putPolicy, setStar, type PolicyRecord } from '../store/team.repository.ts';
import type { TelegramAccount } from '../tdlib/port.ts';
import type { OverdueClock } from './overdue-clock.ts';
import type { Queries } from './queries.ts';
import type { TeamModel } from './team-model.ts';
import type { Writer } from './writer.ts';

/** Who acts: a team member (by Telegram user id) or an integration, named for the audit log. */
export interface Actor {
  readonly label: string;
  readonly memberUserId: number | null;
  /**
   * Which accounts the actor may act through in Telegram: `own`, only the account whose user is
   * `memberUserId`; `any` (also when absent: managers, the daemon's own services, the CLI).
   */
  readonly accountScope?: 'own' | 'any';
}

/** Mute "forever" as Telegram understands it: more than 366 days. */
const MUTE_FOREVER_S = 366 * 86_400 + 1;
const REASON_MAX = 500;
/** GraphQL's Int is 32-bit; a manual position stays inside it. */
const MAX_POSITION = 2_147_483_647;
/** How long an action waits for Telegram's update confirming it before returning what it has. */
const CONFIRM_TIMEOUT_MS = 3_000;

export interface ActionsDeps {
  readonly db: Kysely<Database>;
  readonly writer: Writer;
  readonly model: TeamModel;
  readonly clock: OverdueClock;
  readonly queries: Queries;
  readonly accounts: ReadonlyMap<string, TelegramAccount>;
  readonly now: () => number;
  readonly logger: Logger;
}

export class Actions {
  constructor(private readonly d: ActionsDeps) {}

  // ---- Telegram-side actions --------------------------------------------------------------

  async pinChat(actor: Actor, accountId: string, chatKey: ChatKey, pinned: boolean): Promise<DialogRow> {
    const { account, tdChatId } = this.accountChat(accountId, chatKey);
    await this.mayActThrough(actor, pinned ? 'pinChat' : 'unpinChat', accountId, chatKey);
    await this.telegram(actor, pinned ? 'pinChat' : 'unpinChat', accountId, chatKey, {}, () => account.setChatPinned(tdChatId, pinned));
    return this.confirmed(actor, accountId, chatKey, (row) => row.isPinned === pinned);
  }

  /** Mutes for `forSeconds` (forever when absent) or unmutes; everything else in the settings is kept. */
  async muteChat(actor: Actor, accountId: string, chatKey: ChatKey, muted: boolean, forSeconds?: number | null): Promise<DialogRow> {
    if (forSeconds !== undefined && forSeconds !== null && (!Number.isInteger(forSeconds) || forSeconds <= 0 || forSeconds > MUTE_FOREVER_S)) {
      throw badInput(`forSeconds must be a whole number of seconds between 1 and ${MUTE_FOREVER_S}`, { argument: 'forSeconds' });
    }
    const { account, tdChatId, state } = this.accountChat(accountId, chatKey);
    await this.mayActThrough(actor, muted ? 'muteChat' : 'unmuteChat', accountId, chatKey);
    const current: NotificationSettings = state.notificationSettings;
    const next: NotificationSettings = {
      ...current,
      useDefaultMuteFor: false,
      muteFor: muted ? (forSeconds ?? MUTE_FOREVER_S) : 0,
      raw: { ...current.raw, use_default_mute_for: false, mute_for: muted ? (forSeconds ?? MUTE_FOREVER_S) : 0 },
    };
    await this.telegram(actor, muted ? 'muteChat' : 'unmuteChat', accountId, chatKey, { forSeconds: forSeconds ?? null }, () =>
      account.setChatNotificationSettings(tdChatId, next),
    );
    return this.confirmed(actor, accountId, chatKey, (row) => row.isMuted === muted);
  }

  /** Marks every unread chat of the account read (optionally one kind only), mentions included. */
  async readAll(actor: Actor, accountId: string, kind?: ChatKind | null): Promise<{ chatsRead: number; failed: number }> {
    if (kind !== undefined && kind !== null && !isChatKind(kind)) throw badInput(`unknown chat kind "${String(kind)}"`);
    const account = this.account(accountId);
    await this.mayActThrough(actor, 'readAll', accountId, null);
    const rows = this.d.model.accountChats.get(accountId) ?? new Map();
    let chatsRead = 0;
    let failed = 0;
    for (const ac of rows.values()) {
      const entry = this.d.model.chats.get(ac.chatKey);
      if (!entry || (kind && entry.kind !== kind)) continue;
      if (ac.unreadCount === 0 && ac.unreadMentionCount === 0 && !ac.isMarkedAsUnread) continue;
      try {
        await account.readChat(ac.tdChatId, ac.lastTdMessageId);
        chatsRead++;
      } catch (error) {
        failed++;
        this.d.logger.warn('read all: a chat could not be read', { accountId, chatKey: ac.chatKey, error });
        // A flood wait or a lost session will fail every following chat too: stop and say so.
        if (error instanceof DomainError && (error.code === 'FLOOD_WAIT' || error.code === 'AUTH_LOST')) {
          await this.audit(actor, 'readAll', accountId, null, { kind: kind ?? null, chatsRead, failed }, error);
          throw error;
        }
      }
    }
    await this.audit(actor, 'readAll', accountId, null, { kind: kind ?? null, chatsRead, failed }, null);
    return { chatsRead, failed };
  }

  // ---- team-only actions ------------------------------------------------------------------

  async raiseAlarm(actor: Actor, chatKey: ChatKey, reason: string): Promise<Alarm> {
    this.chat(chatKey);
    const text = reason.trim();
    if (text.length === 0) throw badInput('an alarm needs a reason', { argument: 'reason' });
    if (text.length > REASON_MAX) throw badInput(`the reason is longer than ${REASON_MAX} characters`, { argument: 'reason' });
    return this.d.writer.run(async (trx, emit, hooks) => {
      const now = this.d.now();
      const alarm: Alarm = { raisedBy: actor.memberUserId ?? 0, raisedAt: now, reason: text };
      const previous = this.d.model.alarms.get(chatKey);
      // An integration has no member id; its token's name says who raised the alarm.
      await putAlarm(trx, { chatKey, ...alarm, raisedByActor: actor.label });
      await this.auditIn(trx, actor, 'raiseAlarm', null, chatKey, { reason: text }, now);
      this.d.model.alarms.set(chatKey, alarm);
      hooks.onRollback(() => (previous ? this.d.model.alarms.set(chatKey, previous) : this.d.model.alarms.delete(chatKey)));
      this.d.model.emitTo(emit, { type: 'alarmRaised', at: now, chatKey, alarm });
      this.d.model.emitDialogDiffs(emit, [chatKey], now);
      return alarm;
    });
  }

  /** Clears the chat's alarm; clearing a chat with none is not an error and emits nothing. */
  async clearAlarm(actor: Actor, chatKey: ChatKey): Promise<boolean> {
    this.chat(chatKey);
    return this.d.writer.run(async (trx, emit, hooks) => {
      const now = this.d.now();
      const previous = this.d.model.alarms.get(chatKey);
      const existed = await deleteAlarm(trx, chatKey);
      await this.auditIn(trx, actor, 'clearAlarm', null, chatKey, { existed }, now);
      if (!existed) return false;
      this.d.model.alarms.delete(chatKey);
      hooks.onRollback(() => previous && this.d.model.alarms.set(chatKey, previous));
      this.d.model.emitTo(emit, { type: 'alarmCleared', at: now, chatKey, clearedBy: actor.memberUserId ?? 0 });
      this.d.model.emitDialogDiffs(emit, [chatKey], now);
      return true;
    });
  }

  /** "It's OK": the wait is handled without writing to the client. Ends waiting until the next client message. */
  async acknowledge(actor: Actor, chatKey: ChatKey): Promise<void> {
    const entry = this.chat(chatKey);
    if (actor.memberUserId === null) throw new DomainError('FORBIDDEN', 'only a team member can acknowledge a wait');
    if (entry.kind !== 'support') throw badInput(`chat ${chatKey} is not a support chat (it is ${entry.kind})`);
    await this.d.writer.run(async (trx, emit, hooks) => {
      const now = this.d.now();
      const ack = { by: actor.memberUserId!, at: now };
      const before = { ack: this.d.model.acks.get(chatKey), overdue: this.d.model.overdue.get(chatKey) };
      hooks.onRollback(() => {
        if (before.ack) this.d.model.acks.set(chatKey, before.ack);
        else this.d.model.acks.delete(chatKey);
        if (before.overdue) this.d.model.overdue.set(chatKey, before.overdue);
      });
      await insertAck(trx, { chatKey, ...ack });
      await this.auditIn(trx, actor, 'acknowledge', null, chatKey, {}, now);
      await this.d.clock.onAck(trx, emit, chatKey, ack.by, now);
      this.d.model.acks.set(chatKey, ack);
      this.d.model.emitTo(emit, { type: 'acknowledged', at: now, chatKey, acknowledged: ack });
      this.d.model.emitDialogDiffs(emit, [chatKey], now);
    });
    this.d.clock.schedule();
  }

  async starChat(actor: Actor, chatKey: ChatKey, starred: boolean): Promise<boolean> {
    this.chat(chatKey);
    const member = actor.memberUserId;
    if (member === null) throw new DomainError('FORBIDDEN', 'stars belong to team members; this token is not tied to one');
    return this.d.writer.run(async (trx, emit, hooks) => {
      const now = this.d.now();
      const mine = this.d.model.starsOf(member);
      const had = mine.has(chatKey);
      await setStar(trx, member, chatKey, starred, now);
      await this.auditIn(trx, actor, starred ? 'starChat' : 'unstarChat', null, chatKey, {}, now);
      if (had === starred) return starred;
      if (starred) mine.add(chatKey);
      else mine.delete(chatKey);
      hooks.onRollback(() => (had ? mine.add(chatKey) : mine.delete(chatKey)));
      this.d.model.emitTo(emit, { type: 'starred', at: now, memberUserId: member, chatKey, isStarred: starred });
      return starred;
    });
  }

  /** Overrides the chat's kind; `null` returns it to the classification rules. */
  async setChatKind(actor: Actor, chatKey: ChatKey, kind: ChatKind | null): Promise<{ kind: ChatKind; clientName: string | null }> {
    const entry = this.chat(chatKey);
    if (kind !== null && !isChatKind(kind)) throw badInput(`unknown chat kind "${String(kind)}"`);
    await this.d.writer.run(async (trx, emit, hooks) => {
      const now = this.d.now();
      const before = { override: entry.kindOverride, kind: entry.kind, clientName: entry.clientName };
      hooks.onRollback(() => Object.assign(entry, { kindOverride: before.override, kind: before.kind, clientName: before.clientName }));
      await patchChatSettings(trx, chatKey, { kindOverride: kind }, now);
      await this.auditIn(trx, actor, 'setChatKind', null, chatKey, { kind, previous: before.kind }, now);
      entry.kindOverride = kind;
      this.d.model.classify(entry);
      if (entry.kind !== before.kind || entry.clientName !== before.clientName) {
        this.d.model.emitTo(emit, { type: 'chatKindChanged', at: now, chatKey, kind: entry.kind, clientName: entry.clientName });
        await this.d.clock.recompute(trx, emit, chatKey, now);
      }
      this.d.model.emitDialogDiffs(emit, [chatKey], now);
    });
    this.d.clock.schedule();
    return { kind: entry.kind, clientName: entry.clientName };
  }

  /**
   * Gives the chat a manual position in the STABLE order (`stableKey` manual), the same for the
   * whole team; `null` takes it away. Every account's row of the chat changes (dialogChanged).
   */
  async setChatPosition(actor: Actor, chatKey: ChatKey, position: number | null): Promise<void> {
    const entry = this.chat(chatKey);
    if (position !== null && (!Number.isInteger(position) || Math.abs(position) > MAX_POSITION)) {
      throw badInput(`a position is a whole number between ${-MAX_POSITION} and ${MAX_POSITION}`, { argument: 'position' });
    }
    await this.d.writer.run(async (trx, emit, hooks) => {
      const now = this.d.now();
      const before = entry.manualPosition;
      hooks.onRollback(() => (entry.manualPosition = before));
      await patchChatSettings(trx, chatKey, { manualPosition: position }, now);
      await this.auditIn(trx, actor, 'setChatPosition', null, chatKey, { position, previous: before }, now);
      entry.manualPosition = position;
      this.d.model.emitDialogDiffs(emit, [chatKey], now);
    });
  }

  /** Gives the chat another overdue policy (`null`: the default) and recomputes its wait under it. */
  async setChatPolicy(actor: Actor, chatKey: ChatKey, policyId: string | null): Promise<void> {
    const entry = this.chat(chatKey);
    if (policyId !== null && !this.d.model.policies.has(policyId)) throw notFound('policy', policyId);
    await this.d.writer.run(async (trx, emit, hooks) => {
      const now = this.d.now();
      const before = entry.policyId;
      hooks.onRollback(() => (entry.policyId = before));
      await patchChatSettings(trx, chatKey, { policyId }, now);
      await this.auditIn(trx, actor, 'setChatPolicy', null, chatKey, { policyId, previous: before }, now);
      entry.policyId = policyId;
      await this.d.clock.recompute(trx, emit, chatKey, now);
      this.d.model.emitDialogDiffs(emit, [chatKey], now);
    });
    this.d.clock.schedule();
  }

  /** Creates or changes a policy; chats using it are recomputed under the new rules. */
  async putPolicy(actor: Actor, policy: PolicyRecord): Promise<PolicyRecord> {
    if (!/^[a-z0-9][a-z0-9_-]{0,39}$/.test(policy.id)) throw badInput('a policy id is 1–40 lowercase letters, digits, - and _', { argument: 'id' });
    if (!Number.isInteger(policy.thresholdSeconds) || policy.thresholdSeconds < 60 || policy.thresholdSeconds > 7 * 86_400) {
      throw badInput('the threshold must be between 1 minute and 7 days', { argument: 'thresholdSeconds' });
    }
    const previous = this.d.model.policies.get(policy.id)?.record;
    try {
      this.d.model.setPolicy(policy);
    } catch (error) {
      if (previous) this.d.model.setPolicy(previous);
      else this.d.model.policies.delete(policy.id);
      throw error instanceof DomainError ? error : badInput(`invalid policy: ${(error as Error).message}`);
    }
    await this.d.writer.run(async (trx, emit, hooks) => {
      const now = this.d.now();
      hooks.onRollback(() => (previous ? this.d.model.setPolicy(previous) : this.d.model.policies.delete(policy.id)));
      await putPolicy(trx, policy, now);
      await this.auditIn(trx, actor, 'putPolicy', null, null, { id: policy.id, thresholdSeconds: policy.thresholdSeconds }, now);
      const affected = [...this.d.model.chats.values()].filter((c) => (c.policyId ?? 'default') === policy.id && c.kind === 'support').map((c) => c.record.key);
      for (const chatKey of affected) await this.d.clock.recompute(trx, emit, chatKey, now);
      this.d.model.emitDialogDiffs(emit, affected, now);
    });
    this.d.clock.schedule();
    return policy;
  }

  // ---- helpers ---------------------------------------------------------------------------

  private account(accountId: string): TelegramAccount {
    const account = this.d.accounts.get(accountId);
    if (!account) throw notFound('account', accountId);
    return account;
  }

  private chat(chatKey: ChatKey) {
    const entry = this.d.model.chats.get(chatKey);
    if (!entry) throw notFound('chat', chatKey);
    return entry;
  }

  /** FORBIDDEN, audited, unless the actor may change this account in Telegram. */
  private async mayActThrough(actor: Actor, action: string, accountId: string, chatKey: ChatKey | null): Promise<void> {
    if (actor.accountScope !== 'own') return;
    const accountUser = this.d.model.accountUsers.get(accountId);
    if (actor.memberUserId !== null && accountUser === actor.memberUserId) return;
    const error = new DomainError(
      'FORBIDDEN',
      actor.memberUserId === null
        ? `${action} on an account needs a token tied to that account's team member, or the role manager`
        : `${action} on account ${accountId} needs the role manager: an admin acts only on their own account`,
      { required: ['manager'] },
    );
    await this.audit(actor, action, accountId, chatKey, {}, error);
    throw error;
  }

  private accountChat(accountId: string, chatKey: ChatKey) {
    const account = this.account(accountId);
    this.chat(chatKey);
    const state = this.d.model.accountChats.get(accountId)?.get(chatKey);
    if (!state) throw notFound(`chat in account ${accountId}`, chatKey);
    return { account, tdChatId: state.tdChatId, state };
  }

  /** Runs a Telegram call and audits its outcome; a refusal is rethrown as the typed error it is. */
  private async telegram(actor: Actor, action: string, accountId: string, chatKey: ChatKey, details: Record<string, unknown>, call: () => Promise<void>): Promise<void> {
    try {
      await call();
    } catch (error) {
      await this.audit(actor, action, accountId, chatKey, details, error);
      throw error;
    }
    await this.audit(actor, action, accountId, chatKey, details, null);
  }

  private async audit(actor: Actor, action: string, accountId: string | null, chatKey: ChatKey | null, details: Record<string, unknown>, error: unknown): Promise<void> {
    await this.d.writer
      .run((trx) => this.auditIn(trx, actor, action, accountId, chatKey, details, this.d.now(), error))
      .catch((e) => this.d.logger.error('could not write the audit log', { action, error: e }));
  }

  private async auditIn(trx: Parameters<typeof appendAudit>[0], actor: Actor, action: string, accountId: string | null, chatKey: ChatKey | null, details: Record<string, unknown>, at: number, error: unknown = null): Promise<void> {
    await appendAudit(trx, {
      at,
      actor: actor.label,
      action,
      accountId,
      chatKey,
      details: { ...details, ...(actor.memberUserId !== null ? { memberUserId: actor.memberUserId } : {}) },
      outcome: error ? 'error' : 'ok',
      errorCode: error ? (error instanceof DomainError ? error.code : 'INTERNAL') : null,
    });
  }

  /** Waits (briefly) for Telegram's update that confirms the action, then returns the row. */
  private async confirmed(actor: Actor, accountId: string, chatKey: ChatKey, done: (row: DialogRow) => boolean): Promise<DialogRow> {
    const deadline = Date.now() + CONFIRM_TIMEOUT_MS;
    for (;;) {
      const row = this.d.queries.dialog(accountId, chatKey, actor.memberUserId);
      if (!row) throw notFound('chat', chatKey);
      if (done(row) || Date.now() >= deadline) return row;
      await new Promise((r) => setTimeout(r, 15));
    }
  }
}
