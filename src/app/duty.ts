/**
 * Duty (DESIGN.md §1 row 17): who is on duty, kept current, and the one thing the daemon does
 * about it in Telegram, for members who opted in: at off-duty time it mutes the support chats on
 * that member's account (if the daemon drives it), and at on-duty time it restores exactly the
 * notification settings each chat had. Personal chats and the team chat are never touched, so
 * off duty the phone still rings for people, only not for clients.
 *
 * How it stays exact:
 * - A chat already silent (muted by the member, or by their account's default) is left alone and
 *   so is never "restored" either.
 * - Each chat's whole settings object is stored before the mute call, so a crash right after the
 *   call still knows what to restore.
 * - Restoring gives back only what the daemon changed, the mute: when the chat still carries the
 *   daemon's mute (for good), its saved mute fields go back and anything else the member changed
 *   meanwhile (a sound, previews) stays. A chat whose mute the member changed on the phone while
 *   off duty (unmuted, or muted for a while instead) is left as they set it.
 * - A support chat that appears while the member is off duty (a new client chat, or a chat that
 *   became a support chat) is muted when it appears; chats the off-duty switch already looked at
 *   are not looked at again, so a chat the member unmuted since stays unmuted. The chats it left
 *   alone are stored with the muted ones, so this holds across a restart too.
 * - At start the desired state is applied again (catch-up): a switch missed while the daemon was
 *   down happens then; one that already happened changes nothing.
 *
 * Schedule arithmetic is src/domain/duty.ts (DST-correct wall-clock time). One timer is armed for
 * the next change of anyone's duty, never longer than 30 s, so a wall-clock jump is noticed.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Kysely } from 'kysely';
import type { OnDutyPredicate } from '../domain/counts.ts';
import type { StoredEvent } from './event-bus.ts';
import {
  compileDutySchedule,
  dutyPeriods,
  dutyPredicate,
  dutyUnused,
  dutyView,
  nextTeamDutyChange,
  validateOverride,
  type DutyRoster,
  type DutySchedule,
  type DutyScheduleInput,
  type DutyView,
} from '../domain/duty.ts';
import { badInput, notFound } from '../domain/errors.ts';
import type { ChatKey } from '../domain/ids.ts';
import type { NotificationSettings } from '../domain/telegram.ts';
import type { Logger } from '../shared/log.ts';
import {
  deleteDutyMutes,
  deleteDutyOverride,
  deleteDutySchedule,
  insertDutyMutes,
  insertDutyOverride,
  listDutyMutes,
  listDutyOverrides,
  listDutySchedules,
  putDutySchedule,
  type DutyMuteRecord,
  type StoredOverride,
} from '../store/duty.repository.ts';
import type { Database } from '../store/schema.ts';
import { appendAudit } from '../store/team.repository.ts';
import { floodWaitPolicy } from '../tdlib/errors.ts';
import type { TelegramAccount } from '../tdlib/port.ts';
import type { Actor } from './actions.ts';
import type { AccountChatRecord } from '../store/chats.repository.ts';
import type { TeamModel } from './team-model.ts';
import { SerialRunner } from './serial-runner.ts';
import type { Writer } from './writer.ts';

/** Mute "forever" as Telegram understands it: more than 366 days. */
export const MUTE_FOREVER_S = 366 * 86_400 + 1;
const MAX_TIMER_MS = 30_000;
/** Overrides that ended this long ago are not loaded. */
const OVERRIDE_HISTORY_MS = 2 * 86_400_000;

export interface DutyServiceDeps {
  readonly db: Kysely<Database>;
  readonly writer: Writer;
  readonly model: TeamModel;
  readonly accounts: ReadonlyMap<string, TelegramAccount>;
  readonly now: () => number;
  readonly logger: Logger;
  /** Resolves once the account's chats are loaded and synced: mutes need its chat list. */
  readonly whenAccountReady?: (accountId: string) => Promise<void>;
  /** Notification changes in flight at once per account. Default 8. */
  readonly concurrency?: number;
  /** Published events: a support chat appearing while its member is off duty is muted at once. */
  readonly subscribe?: (listener: (events: readonly StoredEvent[]) => void) => () => void;
}

export interface DutySwitchReport {
  readonly memberUserId: number;
  readonly accountId: string;
  readonly action: 'mute' | 'restore';
  /** Chats changed in Telegram. */
  readonly changed: number;
  /** Chats left alone (already silent, or changed by the member meanwhile). */
  readonly untouched: number;
  readonly failed: number;
  readonly calls: number;
  readonly ms: number;
}

export class DutyService {
  private schedules = new Map<number, DutySchedule>();
  private overrides: StoredOverride[] = [];
  /** Each member's duty at the last look, for `dutyChanged` events. */
  private lastOnDuty = new Map<number, boolean>();
  /** What was last applied to each opted-in member's chats. */
  private applied = new Map<number, 'muted' | 'unmuted'>();
  /** Per muted member, the support chats the off-duty switch looked at: later ones are new. */
  private readonly considered = new Map<number, Set<ChatKey>>();
  private unsubscribe: (() => void) | null = null;
  /** One look at a time; after each, a timer for the next change of anyone's duty. */
  private readonly looks = new SerialRunner(() => this.tick(), { onError: (error) => this.d.logger.error('duty tick failed', { error }), onIdle: () => this.arm() });
  /** Switches done since start, newest last (for tests, the benchmark and the API). */
  readonly switches: DutySwitchReport[] = [];
  /**
   * Aborted by stop(): a switch waiting for an account that never gets ready (logged out, waiting
   * for a code) or sitting out a flood wait gives up, so a shutdown does not wait for it.
   */
  private halt = new AbortController();

  constructor(private readonly d: DutyServiceDeps) {}

  /** Loads schedules and overrides and installs the duty predicate in the team model. Nothing in Telegram yet. */
  async load(): Promise<void> {
    const now = this.d.now();
    this.schedules = new Map();
    for (const s of await listDutySchedules(this.d.db)) {
      try {
        this.schedules.set(s.memberUserId, compileDutySchedule(s));
      } catch (error) {
        this.d.logger.error('a stored duty schedule is invalid; ignored', { memberUserId: s.memberUserId, error });
      }
    }
    this.overrides = await listDutyOverrides(this.d.db, now - OVERRIDE_HISTORY_MS);
    this.d.model.onDutyAt = (t) => this.predicate(t);
    for (const id of this.memberIds()) this.lastOnDuty.set(id, this.isOnDuty(id, now));
  }

  /** Catches up (applies the desired mute state of every opted-in member) and starts the timer. */
  start(): void {
    if (this.halt.signal.aborted) this.halt = new AbortController();
    this.looks.resume();
    this.looks.kick();
    this.unsubscribe ??= this.d.subscribe?.((events) => this.onEvents(events)) ?? null;
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.halt.abort();
    await this.looks.stop();
  }

  /** Waits until the account has loaded its chats; false when it is not ready or the service stops first. */
  private async accountReady(accountId: string, account: TelegramAccount): Promise<boolean> {
    // Only a ready account finishes loading: waiting for one that is not would never end.
    if (account.authState().kind !== 'ready') return false;
    const signal = this.halt.signal;
    if (!signal.aborted) {
      let onAbort = () => {};
      const aborted = new Promise<void>((resolve) => (onAbort = resolve));
      signal.addEventListener('abort', onAbort, { once: true });
      try {
        await Promise.race([this.d.whenAccountReady?.(accountId), aborted]);
      } finally {
        signal.removeEventListener('abort', onAbort);
      }
    }
    return !signal.aborted && account.authState().kind === 'ready';
  }

  /** Looks at once when a support chat appears on the account of a member whose chats are muted. */
  private onEvents(events: readonly StoredEvent[]): void {
    if (this.considered.size === 0) return;
    for (const e of events) {
      if (e.chatKey === null || !this.isSupport(e.chatKey)) continue;
      if (e.type !== 'dialogChanged' && e.type !== 'chatKindChanged') continue;
      for (const [member, seen] of this.considered) {
        if (seen.has(e.chatKey)) continue;
        const accountId = this.accountOf(member);
        if (accountId !== null && (e.accountId === null || e.accountId === accountId) && this.d.model.accountChats.get(accountId)?.has(e.chatKey)) {
          this.looks.kick();
          return;
        }
      }
    }
  }

  /** Resolves when no switch is under way. */
  async whenIdle(): Promise<void> {
    await this.looks.whenIdle();
  }

  // ---- reading --------------------------------------------------------------------------

  roster(): DutyRoster {
    return { schedules: this.schedules, overrides: this.overrides };
  }

  predicate(t: number): OnDutyPredicate {
    return dutyPredicate(this.roster(), (id) => this.d.model.roster.byId.has(id), t);
  }

  isOnDuty(userId: number, t = this.d.now()): boolean {
    return this.predicate(t)(userId);
  }

  view(t = this.d.now()): DutyView {
    return dutyView(this.roster(), this.memberIds(), t);
  }

  schedule(memberUserId: number): DutyScheduleInput | null {
    return this.schedules.get(memberUserId)?.input ?? null;
  }

  scheduleList(): DutyScheduleInput[] {
    return [...this.schedules.values()].map((s) => s.input);
  }

  overrideList(): StoredOverride[] {
    const now = this.d.now();
    return this.overrides.filter((o) => o.to > now);
  }

  mutedChats(memberUserId?: number): Promise<DutyMuteRecord[]> {
    return listDutyMutes(this.d.db).then((rows) => rows.filter((r) => !r.leftAlone && (memberUserId === undefined || r.memberUserId === memberUserId)));
  }

  /**
   * Duty as the statistics ask for it (src/app/stats.ts `DutySource`): who is on duty at an
   * instant, and the team's shifts in a range as windows in which the set on duty stays the same.
   */
  dutySource(): {
    at(now: number, memberUserIds: Iterable<number>): { schedulesInUse: boolean; onDuty: Map<number, number | null>; next: Map<number, number> };
    shifts(from: number, to: number, memberUserIds: Iterable<number>): { key: string; start: number; end: number; members: number[] }[] | null;
  } {
    return {
      at: (now, ids) => {
        const view = dutyView(this.roster(), ids, now);
        return { schedulesInUse: view.schedulesInUse, onDuty: new Map(view.onDuty.map((e) => [e.memberUserId, e.until])), next: new Map(view.next.map((e) => [e.memberUserId, e.from])) };
      },
      shifts: (from, to, ids) => {
        const duty = this.roster();
        if (dutyUnused(duty)) return null;
        const periods = [...ids].map((id) => ({ id, periods: dutyPeriods(duty.schedules.get(id) ?? null, duty.overrides, id, from, to) }));
        const edges = [...new Set([from, to, ...periods.flatMap((p) => p.periods.flatMap((x) => [x.from, x.to]))])].sort((a, b) => a - b);
        const out: { key: string; start: number; end: number; members: number[] }[] = [];
        for (let i = 0; i + 1 < edges.length; i++) {
          const start = edges[i]!;
          const end = edges[i + 1]!;
          const members = periods.filter((p) => p.periods.some((x) => x.from <= start && start < x.to)).map((p) => p.id).sort((a, b) => a - b);
          if (members.length === 0) continue;
          const last = out[out.length - 1];
          if (last && last.end === start && last.members.join() === members.join()) last.end = end;
          else out.push({ key: new Date(start).toISOString(), start, end, members });
        }
        return out;
      },
    };
  }

  private memberIds(): number[] {
    return [...new Set([...this.d.model.roster.byId.keys(), ...this.schedules.keys()])].filter((id) => this.d.model.roster.byId.has(id)).sort((a, b) => a - b);
  }

  // ---- changing ---------------------------------------------------------------------------

  /** Creates or replaces a member's weekly schedule. The new duty state applies at once. */
  async setSchedule(actor: Actor, input: DutyScheduleInput): Promise<DutyScheduleInput> {
    this.requireMember(input.memberUserId);
    const compiled = compileDutySchedule(input);
    await this.d.writer.run(async (trx, _emit, hooks) => {
      const now = this.d.now();
      const previous = this.schedules.get(input.memberUserId);
      await putDutySchedule(trx, input, now);
      await this.audit(trx, actor, 'setDutySchedule', { memberUserId: input.memberUserId, timeZone: input.timeZone, shifts: input.shifts.length, muteOffDuty: input.muteOffDuty }, now);
      this.schedules.set(input.memberUserId, compiled);
      hooks.onRollback(() => (previous ? this.schedules.set(input.memberUserId, previous) : this.schedules.delete(input.memberUserId)));
    });
    await this.tickNow();
    return input;
  }

  async removeSchedule(actor: Actor, memberUserId: number): Promise<boolean> {
    const existed = await this.d.writer.run(async (trx) => {
      const now = this.d.now();
      const had = await deleteDutySchedule(trx, memberUserId);
      await this.audit(trx, actor, 'removeDutySchedule', { memberUserId, existed: had }, now);
      return had;
    });
    if (existed) this.schedules.delete(memberUserId);
    await this.tickNow();
    return existed;
  }

  /** A one-off change: on duty (a swap) or off (a sick day) between two instants. */
  async addOverride(actor: Actor, o: { memberUserId: number; from: number; to: number; onDuty: boolean; note: string | null }): Promise<StoredOverride> {
    this.requireMember(o.memberUserId);
    validateOverride(o);
    const stored = await this.d.writer.run(async (trx) => {
      const now = this.d.now();
      const record = { ...o, createdAt: now, createdBy: actor.label };
      const id = await insertDutyOverride(trx, record);
      await this.audit(trx, actor, 'addDutyOverride', { id, memberUserId: o.memberUserId, from: o.from, to: o.to, onDuty: o.onDuty }, now);
      return { ...record, id };
    });
    this.overrides = [...this.overrides, stored];
    await this.tickNow();
    return stored;
  }

  async removeOverride(actor: Actor, id: number): Promise<boolean> {
    const existed = await this.d.writer.run(async (trx) => {
      const now = this.d.now();
      const had = await deleteDutyOverride(trx, id);
      await this.audit(trx, actor, 'removeDutyOverride', { id, existed: had }, now);
      return had;
    });
    if (!existed) return false;
    this.overrides = this.overrides.filter((o) => o.id !== id);
    await this.tickNow();
    return true;
  }

  private requireMember(memberUserId: number): void {
    if (!Number.isSafeInteger(memberUserId) || memberUserId <= 0) throw badInput('memberId must be a Telegram user id', { argument: 'memberId' });
    if (!this.d.model.roster.byId.has(memberUserId)) throw notFound('team member', memberUserId);
  }

  private async audit(trx: Parameters<typeof appendAudit>[0], actor: Actor, action: string, details: Record<string, unknown>, at: number): Promise<void> {
    await appendAudit(trx, { at, actor: actor.label, action, accountId: null, chatKey: null, details: { ...details, ...(actor.memberUserId !== null ? { by: actor.memberUserId } : {}) }, outcome: 'ok', errorCode: null });
  }

  // ---- the clock --------------------------------------------------------------------------

  /** Looks again soon (one look at a time; a request during a look runs another after it). */
  kick(): void {
    this.looks.kick();
  }

  /** Runs a look now and waits for it (after a schedule change, and in tests after moving the clock). */
  async tickNow(): Promise<void> {
    await this.looks.runNow();
  }

  private arm(): void {
    const now = this.d.now();
    const next = nextTeamDutyChange(this.roster(), this.memberIds(), now);
    this.looks.schedule(Math.min(MAX_TIMER_MS, (next ?? now + MAX_TIMER_MS) - now));
  }

  /** Emits duty changes, then brings every opted-in member's chats to the state their duty asks for. */
  private async tick(): Promise<void> {
    const now = this.d.now();
    const changed: { memberUserId: number; onDuty: boolean }[] = [];
    const onDuty: number[] = [];
    const predicate = this.predicate(now);
    for (const id of this.memberIds()) {
      const on = predicate(id);
      if (on) onDuty.push(id);
      if (this.lastOnDuty.get(id) !== on) changed.push({ memberUserId: id, onDuty: on });
    }
    if (changed.length > 0) {
      await this.d.writer.run(async (trx, emit) => {
        emit({ type: 'dutyChanged', at: now, duty: { onDuty, changed } });
        // Who is on duty decides `mentionedOnDuty` in the team summary.
        this.d.model.emitDialogDiffs(emit, [], now);
      });
      for (const c of changed) this.lastOnDuty.set(c.memberUserId, c.onDuty);
    }
    const saved = await listDutyMutes(this.d.db);
    const withSaved = new Set(saved.map((r) => r.memberUserId));
    for (const id of new Set([...this.schedules.keys(), ...withSaved])) {
      const schedule = this.schedules.get(id);
      const desired = schedule?.input.muteOffDuty && !predicate(id) ? 'muted' : 'unmuted';
      if (desired === 'muted' && this.applied.get(id) === 'muted') {
        // Already switched: only support chats that appeared since are muted.
        await this.muteMember(id, this.considered.get(id) ?? new Set());
        continue;
      }
      if (this.applied.get(id) === desired && !(desired === 'unmuted' && withSaved.has(id))) continue;
      const ok = desired === 'muted' ? await this.muteMember(id) : await this.restoreMember(id, saved.filter((r) => r.memberUserId === id));
      if (ok) this.applied.set(id, desired);
      if (ok && desired === 'unmuted') this.considered.delete(id);
    }
  }

  // ---- switching --------------------------------------------------------------------------

  private accountOf(memberUserId: number): string | null {
    for (const [accountId, userId] of this.d.model.accountUsers) if (userId === memberUserId && this.d.accounts.has(accountId)) return accountId;
    return null;
  }

  private isSupport(chatKey: ChatKey): boolean {
    return this.d.model.chats.get(chatKey)?.kind === 'support';
  }

  private silent(accountId: string, ac: AccountChatRecord): boolean {
    const s = ac.notificationSettings;
    if (!s.useDefaultMuteFor) return (s.muteFor ?? 0) > 0;
    const type = this.d.model.chats.get(ac.chatKey)?.record.type;
    const scope = this.d.model.scopeMuteOf(accountId);
    return (type === 'channel' ? scope.channel : type === 'private' ? scope.private : scope.group) > 0;
  }

  /**
   * Mutes the member's support chats that notify now, except those in `skip` (looked at by an
   * earlier switch). False when it could not run (account not ready).
   */
  private async muteMember(memberUserId: number, skip?: ReadonlySet<ChatKey>): Promise<boolean> {
    const accountId = this.accountOf(memberUserId);
    if (accountId === null) return true;
    const chats = this.d.model.accountChats.get(accountId);
    if (skip && ![...(chats?.keys() ?? [])].some((key) => !skip.has(key) && this.isSupport(key))) return true;
    const account = this.d.accounts.get(accountId)!;
    if (!(await this.accountReady(accountId, account))) return false;
    const started = performance.now();
    const now = this.d.now();
    const already = new Set((await listDutyMutes(this.d.db, accountId)).map((r) => r.chatKey));
    const rows: DutyMuteRecord[] = [];
    const looked = new Set(skip ?? []);
    let untouched = 0;
    for (const ac of chats?.values() ?? []) {
      if (!this.isSupport(ac.chatKey) || skip?.has(ac.chatKey)) continue;
      looked.add(ac.chatKey);
      if (already.has(ac.chatKey)) continue;
      // A silent chat is recorded as left alone, so that after a restart the catch-up does not
      // mute it when the member has let it ring again since.
      const leftAlone = this.silent(accountId, ac);
      if (leftAlone) untouched++;
      rows.push({ accountId, chatKey: ac.chatKey, tdChatId: ac.tdChatId, memberUserId, previous: ac.notificationSettings, mutedAt: now, leftAlone });
    }
    const toMute = rows.filter((r) => !r.leftAlone);
    this.considered.set(memberUserId, looked);
    if (skip && rows.length === 0) return true;
    // Saved first: a crash after a call must still know what to restore. A later look that found
    // only silent chats changes nothing in Telegram: it records them, with no audit entry.
    const changesTelegram = !skip || toMute.length > 0;
    await this.d.writer.run(async (trx) => {
      await insertDutyMutes(trx, rows);
      if (changesTelegram) await appendAudit(trx, { at: now, actor: 'duty', action: 'dutyMute', accountId, chatKey: null, details: { memberUserId, chats: toMute.length }, outcome: 'ok', errorCode: null });
    });
    if (!changesTelegram) return true;
    const { failed, calls } = await this.each(toMute, (r) => this.setSettings(account, r.tdChatId, muted(r.previous)));
    if (failed.length > 0) {
      await this.d.writer.run((trx) => deleteDutyMutes(trx, accountId, failed.map((r) => r.chatKey)));
      this.d.logger.warn('duty: some support chats could not be muted', { accountId, failed: failed.length });
    }
    this.switches.push({ memberUserId, accountId, action: 'mute', changed: toMute.length - failed.length, untouched, failed: failed.length, calls, ms: performance.now() - started });
    return true;
  }

  /** Restores the saved settings of the member's chats. False when some must be tried again. */
  private async restoreMember(memberUserId: number, saved: readonly DutyMuteRecord[]): Promise<boolean> {
    if (saved.length === 0) return true;
    const started = performance.now();
    let ok = true;
    for (const accountId of new Set(saved.map((r) => r.accountId))) {
      const account = this.d.accounts.get(accountId);
      if (!account) continue;
      if (!(await this.accountReady(accountId, account))) {
        ok = false;
        continue;
      }
      const rows = saved.filter((r) => r.accountId === accountId);
      const chats = this.d.model.accountChats.get(accountId);
      const now = this.d.now();
      // What each chat gets back: its saved mute, on top of whatever else it shows now. Nothing
      // when the member changed the mute on the phone meanwhile.
      const back = new Map<ChatKey, NotificationSettings>();
      for (const r of rows) {
        const s = r.leftAlone ? undefined : chats?.get(r.chatKey)?.notificationSettings;
        if (s === undefined) continue;
        // The chat still shows the saved settings: our mute's update not seen yet, and sending them again is harmless.
        if (sameSettings(s, r.previous)) back.set(r.chatKey, r.previous);
        else if (isOurMute(s, r.mutedAt, now)) back.set(r.chatKey, withMuteOf(s, r.previous));
      }
      const ours = rows.filter((r) => back.has(r.chatKey));
      const changedByMember = rows.filter((r) => !r.leftAlone).length - ours.length;
      const { failed, calls } = await this.each(ours, (r) => this.setSettings(account, r.tdChatId, back.get(r.chatKey)!));
      const failedKeys = new Set(failed.map((r) => r.chatKey));
      const done = rows.filter((r) => !failedKeys.has(r.chatKey)).map((r) => r.chatKey);
      await this.d.writer.run(async (trx) => {
        await deleteDutyMutes(trx, accountId, done);
        await appendAudit(trx, { at: now, actor: 'duty', action: 'dutyRestore', accountId, chatKey: null, details: { memberUserId, restored: ours.length - failed.length, leftAsChanged: changedByMember, failed: failed.length }, outcome: failed.length ? 'error' : 'ok', errorCode: null });
      });
      if (failed.length > 0) ok = false;
      this.switches.push({ memberUserId, accountId, action: 'restore', changed: ours.length - failed.length, untouched: changedByMember, failed: failed.length, calls, ms: performance.now() - started });
    }
    return ok;
  }

  /** Runs `fn` over rows with bounded concurrency; returns the rows that failed and the calls made. */
  private async each(rows: readonly DutyMuteRecord[], fn: (r: DutyMuteRecord) => Promise<number>): Promise<{ failed: DutyMuteRecord[]; calls: number }> {
    const failed: DutyMuteRecord[] = [];
    let calls = 0;
    let next = 0;
    const worker = async () => {
      while (next < rows.length) {
        const r = rows[next++]!;
        try {
          const made = await fn(r);
          calls += made;
        } catch (error) {
          failed.push(r);
          calls++;
          this.d.logger.warn('duty: a notification change failed', { chatKey: r.chatKey, error });
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.d.concurrency ?? 8, rows.length) }, worker));
    return { failed, calls };
  }

  /** One settings change, sitting out a short flood wait as the policy allows. Returns the calls made. */
  private async setSettings(account: TelegramAccount, tdChatId: number, settings: NotificationSettings): Promise<number> {
    for (let attempt = 1; ; attempt++) {
      try {
        await account.setChatNotificationSettings(tdChatId, settings);
        return attempt;
      } catch (error) {
        const decision = floodWaitPolicy(error, attempt);
        if ('giveUp' in decision || this.halt.signal.aborted) throw error;
        // Stopping ends the wait: this chat then counts as failed, as when Telegram refuses it.
        await sleep(decision.retryAfterMs, undefined, { signal: this.halt.signal }).catch(() => {
          throw error;
        });
      }
    }
  }
}

function sameSettings(a: NotificationSettings, b: NotificationSettings): boolean {
  const canonical = (s: NotificationSettings) => JSON.stringify(Object.entries({ ...s.raw, use_default_mute_for: s.useDefaultMuteFor, mute_for: s.muteFor }).sort(([x], [y]) => (x < y ? -1 : 1)));
  return canonical(a) === canonical(b);
}

/** The settings as they are, with the mute fields of `saved`: what the daemon changed, given back. */
function withMuteOf(current: NotificationSettings, saved: NotificationSettings): NotificationSettings {
  return {
    ...current,
    useDefaultMuteFor: saved.useDefaultMuteFor,
    muteFor: saved.muteFor,
    raw: { ...current.raw, use_default_mute_for: saved.useDefaultMuteFor, mute_for: saved.muteFor },
  };
}

/**
 * Whether the chat still carries the daemon's mute: an explicit mute for good. TDLib reports the
 * time left, which for a mute for good never drops below a year minus the time since the switch
 * (a minute's slack for clocks); a mute the member chose on the phone (an hour, a day) is shorter.
 */
function isOurMute(s: NotificationSettings, mutedAt: number, now: number): boolean {
  return !s.useDefaultMuteFor && s.muteFor >= MUTE_FOREVER_S - Math.ceil(Math.max(0, now - mutedAt) / 1000) - 60;
}

/** The same settings, muted for good. */
function muted(s: NotificationSettings): NotificationSettings {
  return { ...s, useDefaultMuteFor: false, muteFor: MUTE_FOREVER_S, raw: { ...s.raw, use_default_mute_for: false, mute_for: MUTE_FOREVER_S } };
}
