/**
 * Membership jobs (DESIGN.md §1 row 16, §6 "Adding members"): put admins into client chats and
 * take a departing admin out of all of them, without risking the accounts that do it.
 *
 * A job is planned first (src/domain/membership-plan.ts), then stored with one item per chat and
 * member, then worked off by one runner:
 *
 * - Adds are throttled per acting account (at least `minIntervalMs` between add calls, at most
 *   `maxPerDay` users a day), and the state of those limits is stored, so a restart does not
 *   reset them. Supergroups take up to 20 users per `addChatMembers` call; basic groups one.
 * - Users whose privacy settings refuse the add get a one-use invite link, sent to them by a
 *   direct message from the acting account (opening its private chat with them if there is
 *   none) or only reported, per configuration; a link that cannot be sent is reported. The
 *   direct message waits for the account's add throttle and counts as one add: a first message
 *   to a stranger is what Telegram's PEER_FLOOD watches, as it watches adds.
 * - FLOOD_WAIT waits as Telegram says (src/tdlib/errors.ts `floodWaitPolicy`). PEER_FLOOD stops
 *   that account's adds for 24 hours; its items move to another account with the rights, or the
 *   job pauses and says why.
 * - Removal goes through the port's `removeChatMember` (a ban and an unban in supergroups, so
 *   the person can be invited again later).
 * - Before acting where the member list is not known from this run, and always for an item that
 *   was under way when the daemon stopped, the runner reads the chat's members: an item already
 *   done is recorded as done and never repeated.
 * - The store allows one unfinished item per (chat, member) across all jobs, so two jobs never
 *   add the same person to the same chat twice; the later job's item is skipped with the reason.
 * - Cancelling is final: nothing of a cancelled job is tried again. A call under way at the
 *   cancel ends as Telegram answers it (done, or cancelled when it did not go through), and one
 *   under way when the daemon stopped is checked against the chat's member list at start, so no
 *   cancelled job keeps holding a member and chat.
 *
 * Reading member lists is the only thing the daemon does here unasked; every change in Telegram
 * comes from a job a manager started.
 */
import type { Kysely } from 'kysely';
import { badInput, DomainError, notFound } from '../domain/errors.ts';
import type { ChatKey } from '../domain/ids.ts';
import {
  addBudget,
  blockAdds,
  countItems,
  DEFAULT_ADD_LIMITS,
  FINAL_ITEM_STATES,
  FRESH_ADD_STATE,
  isPresent,
  PEER_FLOOD_PAUSE_MS,
  planMembership,
  recordAdds,
  type AccountAddState,
  type AddLimits,
  type JobCounts,
  type JobItemState,
  type JobItemView,
  type JobState,
  type MembershipAction,
  type MembershipJobKind,
  type MembershipJobView,
  type MembershipPlan,
  type PlanAccount,
  type PlanChat,
} from '../domain/membership-plan.ts';
import type { ChatMemberStatus } from '../domain/telegram.ts';
import type { Logger } from '../shared/log.ts';
import {
  activeItemsFor,
  getJob,
  insertJob,
  insertJobItems,
  jobItemCounts,
  jobItemStates,
  listActiveItems,
  listAddLimits,
  listJobItems,
  listJobs,
  putAddLimits,
  updateJob,
  updateJobItem,
  type ItemPatch,
  type JobItemRecord,
  type JobRecord,
} from '../store/jobs.repository.ts';
import type { Database } from '../store/schema.ts';
import { appendAudit } from '../store/team.repository.ts';
import { floodWaitPolicy } from '../tdlib/errors.ts';
import type { TelegramAccount } from '../tdlib/port.ts';
import type { Actor } from './actions.ts';
import { SerialRunner } from './serial-runner.ts';
import type { TeamModel } from './team-model.ts';
import type { Emit, Trx, Writer } from './writer.ts';

export interface MembershipJobsOptions {
  readonly limits: AddLimits;
  /** Least time between two removals by one account. */
  readonly removeIntervalMs: number;
  /** What happens to the invite link of a privacy-restricted user: a direct message, or only the report. */
  readonly privacyFallback: 'dm' | 'report';
}

export const DEFAULT_MEMBERSHIP_JOB_OPTIONS: MembershipJobsOptions = { limits: DEFAULT_ADD_LIMITS, removeIntervalMs: 2_000, privacyFallback: 'dm' };

export interface MembershipJobsDeps {
  readonly db: Kysely<Database>;
  readonly writer: Writer;
  readonly model: TeamModel;
  readonly accounts: ReadonlyMap<string, TelegramAccount>;
  readonly now: () => number;
  readonly logger: Logger;
  readonly options?: Partial<MembershipJobsOptions>;
}

export type JobRequest =
  | { readonly kind: 'addMembersToChat'; readonly chatKey: ChatKey; readonly memberUserIds: readonly number[] }
  | { readonly kind: 'addMemberToChats'; readonly memberUserId: number; readonly chatKeys?: readonly ChatKey[] | null; readonly allSupport?: boolean | null }
  | { readonly kind: 'removeMemberFromChats'; readonly memberUserId: number; readonly chatKeys?: readonly ChatKey[] | null; readonly all?: boolean | null };

export interface JobStart {
  readonly plan: MembershipPlan;
  /** Null for a dry run. */
  readonly job: MembershipJobView | null;
}

/** Users per addChatMembers call in a supergroup (TDLib's limit). */
const SUPERGROUP_BATCH = 20;
const MAX_MEMBERS_PER_JOB = 200;
const MAX_CHATS_PER_JOB = 10_000;
/** The runner never sleeps longer than this, so a changed clock or a freed account is noticed. */
const MAX_SLEEP_MS = 30_000;
/** Re-check soon when the only obstacle is an account still starting. */
const STARTING_RETRY_MS = 1_000;
const MAX_ATTEMPTS = 3;
const FACTS_CONCURRENCY = 4;

interface Facts {
  readonly members: Map<number, ChatMemberStatus>;
  readonly at: number;
}

type Pick =
  | { readonly kind: 'work'; readonly accountId: string; readonly items: JobItemRecord[] }
  | { readonly kind: 'wait'; readonly at: number }
  | { readonly kind: 'idle' };

export class MembershipJobs {
  private readonly options: MembershipJobsOptions;
  /** Unfinished items of unfinished jobs, by id, in id order. */
  private readonly active = new Map<number, JobItemRecord>();
  private readonly jobs = new Map<number, JobRecord>();
  private readonly addStates = new Map<string, AccountAddState>();
  private readonly lastRemoveAt = new Map<string, number>();
  /** FLOOD_WAIT per account: nothing goes through it before then. */
  private readonly waitUntil = new Map<string, number>();
  /** Member lists read in this run; a restart forgets them, so resumed items are verified. */
  private readonly facts = new Map<ChatKey, Facts>();
  /** Items whose outcome must be checked before acting again (under way at a crash, or retried). */
  private readonly verify = new Set<number>();
  /** Items to send alone after a batch failed for a reason that names no user. */
  private readonly solo = new Set<number>();
  /** Why each account that gave up on an item could not act, for the final reason. */
  private readonly refusals = new Map<number, string[]>();
  /** Items whose Telegram call is under way in this process. */
  private readonly inFlight = new Set<number>();
  /**
   * Unfinished items of cancelled jobs whose call may have gone through (under way when the
   * daemon stopped, or when the job was cancelled before a check): the member list decides.
   */
  private readonly orphans = new Map<number, JobItemRecord>();
  /** One runner pass at a time; a pass that must wait schedules the next. */
  private readonly runner = new SerialRunner(() => this.run(), { onError: (error) => this.d.logger.error('membership job runner failed', { error }), retryAfterErrorMs: MAX_SLEEP_MS });
  private started = false;

  constructor(private readonly d: MembershipJobsDeps) {
    this.options = { ...DEFAULT_MEMBERSHIP_JOB_OPTIONS, ...d.options, limits: { ...DEFAULT_ADD_LIMITS, ...d.options?.limits } };
  }

  /** Loads unfinished jobs and resumes them. Items that were under way are verified before anything else. */
  async start(): Promise<void> {
    for (const [id, s] of await listAddLimits(this.d.db)) this.addStates.set(id, s);
    for (const job of await listJobs(this.d.db, { states: ['running', 'paused'], limit: 10_000 })) this.jobs.set(job.id, job);
    const interruptedDms: JobItemRecord[] = [];
    const neverTried: JobItemRecord[] = [];
    for (const item of await listActiveItems(this.d.db)) {
      if (item.state === 'running' && item.inviteLink !== null) interruptedDms.push(item);
      else if (!this.jobs.has(item.jobId)) {
        // Left unfinished under a cancelled job (a crash during its call, or by versions before
        // cancelling was final): settled by the chat's member list, never run again.
        if (item.state === 'running' || item.attempts > 0) this.orphans.set(item.id, item);
        else neverTried.push(item);
      } else {
        this.active.set(item.id, item);
        if (item.state === 'running' || item.attempts > 0) this.verify.add(item.id);
      }
    }
    // Whether the message went out cannot be checked; a second copy of the link is worse than a report.
    for (const item of interruptedDms) {
      await this.finishItems([item], {
        state: 'invited',
        reason: 'their privacy settings refuse being added; the daemon stopped while sending them the invite link, so it may not have arrived: pass them the link',
        inviteLink: item.inviteLink,
        inviteDelivery: 'report',
      });
    }
    for (const item of neverTried) await this.finishItems([item], { state: 'cancelled', reason: 'the job was cancelled' });
    this.started = true;
    this.kick();
  }

  async stop(): Promise<void> {
    await this.runner.stop();
  }

  /** Resolves when no work is runnable right now (tests and the CLI's "wait"). */
  async whenIdle(): Promise<void> {
    await this.runner.whenIdle();
  }

  // ---- planning ---------------------------------------------------------------------------

  /** Plans without doing anything in Telegram except reading member lists: the dry run. */
  async plan(request: JobRequest): Promise<MembershipPlan> {
    const { action, memberUserIds, chatKeys } = this.resolve(request);
    await this.refreshFacts(chatKeys, false);
    return this.planNow(action, memberUserIds, chatKeys);
  }

  /** Plans and, unless `dryRun`, stores the job and starts it. */
  async create(actor: Actor, request: JobRequest, dryRun = false): Promise<JobStart> {
    const plan = await this.plan(request);
    if (dryRun) return { plan, job: null };
    const { action, memberUserIds } = this.resolve(request);
    const job = await this.d.writer.run(async (trx, emit, hooks) => {
      const now = this.d.now();
      const todo = plan.items.filter((i) => i.outcome === 'todo');
      const held = new Map((await activeItemsFor(trx, todo.map((i) => ({ chatKey: i.chatKey, memberUserId: i.memberUserId })))).map((i) => [`${i.chatKey}\u0000${i.memberUserId}`, i.jobId]));
      const jobId = await insertJob(trx, {
        kind: request.kind,
        action,
        state: 'running',
        reason: null,
        createdBy: actor.label,
        memberUserIds,
        request: { ...request },
        createdAt: now,
        updatedAt: now,
        finishedAt: null,
      });
      const items = await insertJobItems(
        trx,
        plan.items.map((p) => {
          const other = held.get(`${p.chatKey}\u0000${p.memberUserId}`);
          const state: JobItemState = p.outcome === 'todo' ? (other === undefined ? 'pending' : 'skipped') : p.outcome === 'skip' ? 'skipped' : 'failed';
          const reason = p.outcome === 'todo' && other !== undefined ? `job ${other} is already working on this member in this chat` : p.reason;
          return {
            jobId,
            chatKey: p.chatKey,
            tdChatId: p.tdChatId,
            chatType: p.chatType,
            title: p.title,
            memberUserId: p.memberUserId,
            action,
            state,
            accountId: p.accountId,
            candidates: p.candidates,
            reason,
            inviteLink: null,
            inviteDelivery: null,
            attempts: 0,
            notBefore: null,
            updatedAt: now,
          };
        }),
      );
      const finished = !items.some((i) => i.state === 'pending');
      const record: JobRecord = {
        id: jobId,
        kind: request.kind,
        action,
        state: finished ? 'done' : 'running',
        reason: finished ? 'nothing to do' : null,
        createdBy: actor.label,
        memberUserIds,
        request: { ...request },
        createdAt: now,
        updatedAt: now,
        finishedAt: finished ? now : null,
      };
      if (finished) await updateJob(trx, jobId, { state: 'done', reason: record.reason, finishedAt: now }, now);
      await appendAudit(trx, {
        at: now,
        actor: actor.label,
        action: request.kind,
        accountId: null,
        chatKey: request.kind === 'addMembersToChat' ? request.chatKey : null,
        details: { jobId, memberUserIds, todo: plan.counts.todo, skip: plan.counts.skip, impossible: plan.counts.impossible, ...(actor.memberUserId !== null ? { memberUserId: actor.memberUserId } : {}) },
        outcome: 'ok',
        errorCode: null,
      });
      const view = this.viewOf(record, countItems(items.map((i) => i.state)));
      emit({ type: 'membershipJobChanged', at: now, job: view, items: items.map(itemView) });
      hooks.afterCommit(() => {
        if (finished) return;
        this.jobs.set(jobId, record);
        for (const i of items) if (i.state === 'pending') this.active.set(i.id, i);
        this.kick();
      });
      return view;
    });
    return { plan, job };
  }

  /** Which chats and members a request means; throws NOT_FOUND or BAD_USER_INPUT for bad input. */
  private resolve(request: JobRequest): { action: MembershipAction; memberUserIds: number[]; chatKeys: ChatKey[] } {
    const model = this.d.model;
    const requireMember = (id: number, argument: string) => {
      if (!Number.isSafeInteger(id) || id <= 0) throw badInput(`${argument} must be a Telegram user id`, { argument });
      if (!model.roster.byId.has(id) && !model.users.has(id)) throw notFound('team member', id);
    };
    const requireChat = (key: ChatKey) => {
      if (!model.chats.has(key)) throw notFound('chat', key);
    };
    switch (request.kind) {
      case 'addMembersToChat': {
        requireChat(request.chatKey);
        const ids = [...new Set(request.memberUserIds)];
        if (ids.length === 0) throw badInput('name at least one member', { argument: 'memberIds' });
        if (ids.length > MAX_MEMBERS_PER_JOB) throw badInput(`at most ${MAX_MEMBERS_PER_JOB} members per job`, { argument: 'memberIds' });
        ids.forEach((id) => requireMember(id, 'memberIds'));
        return { action: 'add', memberUserIds: ids, chatKeys: [request.chatKey] };
      }
      case 'addMemberToChats':
      case 'removeMemberFromChats': {
        requireMember(request.memberUserId, 'memberId');
        const everything = request.kind === 'addMemberToChats' ? Boolean(request.allSupport) : Boolean(request.all);
        const flag = request.kind === 'addMemberToChats' ? 'allSupport' : 'all';
        const listed = request.chatKeys ?? null;
        if (everything === (listed !== null)) throw badInput(`give either chatIds or ${flag}: true`, { argument: 'chatIds' });
        let chatKeys: ChatKey[];
        if (listed !== null) {
          chatKeys = [...new Set(listed)];
          if (chatKeys.length === 0) throw badInput('name at least one chat', { argument: 'chatIds' });
          chatKeys.forEach(requireChat);
        } else {
          // `allSupport` and `all` both mean the client chats (issue 7: "take a departing admin out
          // of all of them"). The team chat is the roster's source and other groups are nobody's
          // clients: leaving those is a decision a manager names chat by chat.
          chatKeys = [...model.chats.values()].filter((c) => c.kind === 'support').map((c) => c.record.key);
        }
        if (chatKeys.length > MAX_CHATS_PER_JOB) throw badInput(`at most ${MAX_CHATS_PER_JOB} chats per job`, { argument: 'chatIds' });
        return { action: request.kind === 'addMemberToChats' ? 'add' : 'remove', memberUserIds: [request.memberUserId], chatKeys };
      }
    }
  }

  private planNow(action: MembershipAction, memberUserIds: readonly number[], chatKeys: readonly ChatKey[]): MembershipPlan {
    const now = this.d.now();
    const chats: PlanChat[] = [];
    for (const key of chatKeys) {
      const entry = this.d.model.chats.get(key);
      if (!entry) continue;
      chats.push({
        chatKey: key,
        tdChatId: entry.record.tdChatId,
        type: entry.record.type,
        kind: entry.kind,
        title: entry.record.title,
        members: this.facts.get(key)?.members ?? null,
        accountIds: this.accountsSeeing(key),
      });
    }
    return planMembership({ action, memberUserIds, chats, accounts: this.planAccounts(now), now });
  }

  private accountsSeeing(chatKey: ChatKey): string[] {
    const out: string[] = [];
    for (const accountId of this.d.accounts.keys()) if (this.d.model.accountChats.get(accountId)?.has(chatKey)) out.push(accountId);
    return out;
  }

  private planAccounts(now: number): Map<string, PlanAccount> {
    const out = new Map<string, PlanAccount>();
    for (const [accountId, account] of this.d.accounts) {
      const userId = this.d.model.accountUsers.get(accountId);
      const auth = account.authState().kind;
      const blocked = this.addStates.get(accountId)?.blockedUntil ?? null;
      out.set(accountId, {
        accountId,
        userId: userId ?? 0,
        usable: userId !== undefined && auth === 'ready',
        unusableReason: userId === undefined ? 'has never logged in' : auth === 'ready' ? null : `is not logged in (${auth})`,
        addsBlockedUntil: blocked !== null && blocked > now ? blocked : null,
      });
    }
    return out;
  }

  /**
   * Reads the member lists of chats not read in this run (or all of them with `force`), through
   * an account that sees each chat. A list that cannot be read stays unknown.
   */
  private async refreshFacts(chatKeys: readonly ChatKey[], force: boolean, via?: string): Promise<void> {
    const todo = chatKeys.filter((k) => force || !this.facts.has(k));
    let next = 0;
    const worker = async () => {
      while (next < todo.length) {
        const chatKey = todo[next++]!;
        const entry = this.d.model.chats.get(chatKey);
        if (!entry || (entry.record.type !== 'basic' && entry.record.type !== 'supergroup')) continue;
        const readers = [...(via ? [via] : []), ...this.accountsSeeing(chatKey).filter((a) => a !== via)];
        for (const accountId of readers) {
          const account = this.d.accounts.get(accountId);
          if (!account || account.authState().kind !== 'ready') continue;
          try {
            const list = await account.getChatMembers(entry.record.tdChatId);
            this.facts.set(chatKey, { members: new Map(list.filter((m) => isPresent(m.status)).map((m) => [m.userId, m.status])), at: this.d.now() });
            break;
          } catch (error) {
            this.d.logger.debug('could not read a member list', { chatKey, accountId, error });
          }
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(FACTS_CONCURRENCY, todo.length) }, worker));
  }

  // ---- reading ----------------------------------------------------------------------------

  async job(id: number): Promise<{ job: MembershipJobView; items: JobItemView[] }> {
    const record = this.jobs.get(id) ?? (await getJob(this.d.db, id));
    if (!record) throw notFound('job', id);
    const items = await listJobItems(this.d.db, id);
    return { job: this.viewOf(record, countItems(items.map((i) => i.state))), items: items.map(itemView) };
  }

  async list(q: { states?: readonly JobState[]; limit: number; beforeId?: number }): Promise<MembershipJobView[]> {
    const jobs = await listJobs(this.d.db, q);
    const out: MembershipJobView[] = [];
    for (const j of jobs) out.push(this.viewOf(this.jobs.get(j.id) ?? j, await jobItemCounts(this.d.db, j.id)));
    return out;
  }

  /** Add limits of every account as they stand (for the API and the CLI). */
  limitsOf(accountId: string): AccountAddState {
    return this.addStates.get(accountId) ?? FRESH_ADD_STATE;
  }

  // ---- cancelling -------------------------------------------------------------------------

  /**
   * Cancels what is not done yet, for good. Pending items end cancelled at once. An item whose
   * call is under way ends as Telegram answers it: done when it went through, otherwise
   * cancelled (never retried, moved to another account or followed by an invite link). A job
   * that already ended is returned as it is: cancelling is idempotent.
   */
  async cancel(actor: Actor, id: number): Promise<MembershipJobView> {
    const known = this.jobs.get(id) ?? (await getJob(this.d.db, id));
    if (!known) throw notFound('job', id);
    if (known.state === 'done' || known.state === 'cancelled') return (await this.job(id)).job;
    return this.d.writer.run(async (trx, emit, hooks) => {
      const now = this.d.now();
      const record = (await getJob(trx, id)) ?? known;
      const items = await listJobItems(trx, id);
      if (record.state === 'done' || record.state === 'cancelled') return this.viewOf(record, countItems(items.map((i) => i.state)));
      const reason = `cancelled by ${actor.label}`;
      const cancelled: JobItemRecord[] = [];
      for (const i of items) {
        if (i.state !== 'pending') continue;
        await updateJobItem(trx, i.id, { state: 'cancelled', reason, notBefore: null }, now);
        cancelled.push({ ...i, state: 'cancelled', reason, notBefore: null, updatedAt: now });
      }
      const underWay = items.filter((i) => i.state === 'running');
      const next: JobRecord = { ...record, state: 'cancelled', reason, updatedAt: now, finishedAt: now };
      await updateJob(trx, id, { state: 'cancelled', reason, finishedAt: now }, now);
      await appendAudit(trx, {
        at: now,
        actor: actor.label,
        action: 'cancelJob',
        accountId: null,
        chatKey: null,
        details: { jobId: id, cancelled: cancelled.length, underWay: underWay.length },
        outcome: 'ok',
        errorCode: null,
      });
      const view = this.viewOf(next, countItems(items.map((i) => (i.state === 'pending' ? 'cancelled' : i.state))));
      emit({ type: 'membershipJobChanged', at: now, job: view, items: cancelled.map(itemView) });
      hooks.afterCommit(() => {
        for (const i of cancelled) this.forget(i.id);
        // Kept while a call is under way, so its answer is recorded against a cancelled job.
        if (underWay.length > 0) this.jobs.set(id, next);
        else this.jobs.delete(id);
        for (const i of underWay) {
          if (this.inFlight.has(i.id)) continue;
          // Under way before a restart and not checked yet: the member list decides.
          this.forget(i.id);
          this.orphans.set(i.id, i);
          this.kick();
        }
      });
      return view;
    });
  }

  private forget(itemId: number): void {
    this.active.delete(itemId);
    this.verify.delete(itemId);
    this.solo.delete(itemId);
    this.refusals.delete(itemId);
  }

  /**
   * Settles the orphans: an item whose outcome the chat shows ends done, any other cancelled.
   * With no account able to read the member list the item ends cancelled all the same (a later
   * job reads the list before it acts), unless an account that sees the chat is still starting.
   */
  private async settleOrphans(): Promise<boolean> {
    const byChat = new Map<ChatKey, JobItemRecord[]>();
    for (const item of this.orphans.values()) {
      const list = byChat.get(item.chatKey);
      if (list) list.push(item);
      else byChat.set(item.chatKey, [item]);
    }
    let again = false;
    for (const [chatKey, items] of byChat) {
      if (this.runner.isStopped) return false;
      const readers = this.accountsSeeing(chatKey).map((a) => this.d.accounts.get(a)?.authState().kind);
      if (!readers.includes('ready') && readers.includes('waitParameters')) {
        again = true;
        continue;
      }
      await this.refreshFacts([chatKey], true, items[0]!.accountId ?? undefined);
      const facts = this.facts.get(chatKey);
      for (const item of items) {
        const present = facts ? isPresent(facts.members.get(item.memberUserId)) : null;
        const achieved = present === null ? null : item.action === 'add' ? present : !present;
        await this.finishItems(
          [item],
          achieved === true
            ? { state: 'done', reason: 'the job was cancelled; the call under way had gone through (found when checked)' }
            : {
                state: 'cancelled',
                reason:
                  achieved === false
                    ? 'the job was cancelled; the call under way had not gone through (checked)'
                    : 'the job was cancelled; whether the call under way went through is unknown (no member list could be read), so a later job checks the chat first',
              },
        );
        this.orphans.delete(item.id);
      }
    }
    return again;
  }

  // ---- the runner -------------------------------------------------------------------------

  /** Makes the runner look for work now. */
  kick(): void {
    if (this.started) this.runner.kick();
  }

  private async run(): Promise<void> {
    const orphansLeft = this.orphans.size > 0 && (await this.settleOrphans());
    const recheck = orphansLeft ? this.d.now() + STARTING_RETRY_MS : Number.POSITIVE_INFINITY;
    for (;;) {
      if (this.runner.isStopped) return;
      const { pick, fail, pause } = this.pickNext(this.d.now());
      for (const f of fail) await this.finishItems([f.item], { state: 'failed', reason: f.reason });
      for (const [jobId, reason] of pause) await this.setJobPause(jobId, reason);
      if (fail.length > 0) continue;
      if (pick.kind === 'work') {
        await this.execute(pick.accountId, pick.items);
        continue;
      }
      const at = Math.min(recheck, pick.kind === 'wait' ? pick.at : Number.POSITIVE_INFINITY);
      if (Number.isFinite(at)) this.runner.schedule(Math.min(MAX_SLEEP_MS, at - this.d.now()));
      return;
    }
  }

  /**
   * The next runnable batch, or when to look again; also which items can never run (no account
   * left) and which jobs are paused (nothing of theirs can move, for a named reason) or moving.
   */
  private pickNext(now: number): { pick: Pick; fail: { item: JobItemRecord; reason: string }[]; pause: Map<number, string | null> } {
    let wakeAt = Number.POSITIVE_INFINITY;
    const fail: { item: JobItemRecord; reason: string }[] = [];
    const blocked = new Map<number, string>();
    const pause = new Map<number, string | null>();
    for (const item of this.active.values()) {
      if (item.state !== 'pending' && item.state !== 'running') continue;
      const job = this.jobs.get(item.jobId);
      if (!job || job.state === 'cancelled' || this.inFlight.has(item.id)) continue;
      if (item.notBefore !== null && item.notBefore > now) {
        wakeAt = Math.min(wakeAt, item.notBefore);
        if (!blocked.has(item.jobId)) blocked.set(item.jobId, `waiting for Telegram until ${iso(item.notBefore)} (FLOOD_WAIT)`);
        continue;
      }
      const choice = this.chooseAccount(item, now);
      if (choice.kind === 'wait') {
        wakeAt = Math.min(wakeAt, choice.at);
        if (choice.pause && !blocked.has(item.jobId)) blocked.set(item.jobId, choice.reason);
        continue;
      }
      if (choice.kind === 'none') {
        fail.push({ item, reason: choice.reason });
        continue;
      }
      if (fail.length > 0) break;
      pause.set(item.jobId, null);
      const batch = [item];
      const budget = item.action === 'add' ? addBudget(this.addState(choice.accountId), this.options.limits, now).count : 1;
      // An item holding an invite link is a direct message to send, not an add: never batched.
      if (item.action === 'add' && item.chatType === 'supergroup' && !this.solo.has(item.id) && item.inviteLink === null) {
        for (const other of this.active.values()) {
          if (batch.length >= Math.min(SUPERGROUP_BATCH, budget)) break;
          if (other === item || other.state !== 'pending' || other.inviteLink !== null || this.solo.has(other.id) || other.jobId !== item.jobId || other.chatKey !== item.chatKey || other.action !== 'add') continue;
          if (other.notBefore !== null && other.notBefore > now) continue;
          if (other.candidates.includes(choice.accountId)) batch.push(other);
        }
      }
      return { pick: { kind: 'work', accountId: choice.accountId, items: batch }, fail, pause };
    }
    for (const [jobId, reason] of blocked) if (!pause.has(jobId)) pause.set(jobId, reason);
    return { pick: Number.isFinite(wakeAt) ? { kind: 'wait', at: wakeAt } : { kind: 'idle' }, fail, pause };
  }

  private addState(accountId: string): AccountAddState {
    return this.addStates.get(accountId) ?? FRESH_ADD_STATE;
  }

  /**
   * The account that acts on an item now: its candidates in order, skipping those that cannot.
   * `wait` when the best possible one is throttled or paused (`pause` for long, named reasons).
   */
  private chooseAccount(item: JobItemRecord, now: number): { kind: 'go'; accountId: string } | { kind: 'wait'; at: number; pause: boolean; reason: string } | { kind: 'none'; reason: string } {
    let best: { at: number; pause: boolean; reason: string } | null = null;
    const consider = (at: number, pause: boolean, reason: string) => {
      if (best === null || at < best.at) best = { at, pause, reason };
    };
    for (const accountId of item.candidates) {
      const account = this.d.accounts.get(accountId);
      if (!account) continue;
      if (account.authState().kind !== 'ready') {
        consider(now + STARTING_RETRY_MS, false, `${accountId} is not logged in`);
        continue;
      }
      const wait = this.waitUntil.get(accountId);
      if (wait !== undefined && wait > now) {
        consider(wait, true, `${accountId} waits for Telegram until ${iso(wait)} (FLOOD_WAIT)`);
        continue;
      }
      if (item.action === 'add') {
        const b = addBudget(this.addState(accountId), this.options.limits, now);
        if (b.count > 0) return { kind: 'go', accountId };
        const long = b.at - now > 5 * 60_000;
        consider(b.at, long, `${accountId}: ${b.reason ?? 'throttled'} (next add at ${iso(b.at)})`);
      } else {
        const at = (this.lastRemoveAt.get(accountId) ?? 0) + this.options.removeIntervalMs;
        if (at <= now) return { kind: 'go', accountId };
        consider(at, false, `${accountId} is spacing removals`);
      }
    }
    if (best === null) return { kind: 'none', reason: item.reason && item.candidates.length === 0 ? item.reason : 'no account that can act here is left (each one was refused or lost its session)' };
    const b = best as { at: number; pause: boolean; reason: string };
    return { kind: 'wait', at: b.at, pause: b.pause, reason: item.action === 'add' && b.pause ? `paused: ${b.reason}; no other account with the rights can add here` : b.reason };
  }

  private async setJobPause(jobId: number, reason: string | null): Promise<void> {
    const state: JobState = reason === null ? 'running' : 'paused';
    const unchanged = (job: JobRecord | undefined) => !job || job.state === 'cancelled' || job.state === 'done' || (job.state === state && job.reason === reason);
    if (unchanged(this.jobs.get(jobId))) return;
    await this.d.writer.run(async (trx, emit, hooks) => {
      // Looked at again in the transaction: a cancel queued before it has committed by now.
      const job = this.jobs.get(jobId);
      if (unchanged(job)) return;
      const now = this.d.now();
      const next: JobRecord = { ...job!, state, reason, updatedAt: now };
      await updateJob(trx, jobId, { state, reason }, now);
      emit({ type: 'membershipJobChanged', at: now, job: this.viewOf(next, await jobItemCounts(trx, jobId)), items: [] });
      hooks.afterCommit(() => this.jobs.set(jobId, next));
    });
  }

  /** Of these items, those still to act on: their job is neither cancelled nor done, and nothing settled them meanwhile. */
  private async stillToDo(trx: Trx, batch: readonly JobItemRecord[]): Promise<JobItemRecord[]> {
    const job = await getJob(trx, batch[0]!.jobId);
    if (!job || job.state === 'cancelled' || job.state === 'done') return [];
    const states = await jobItemStates(trx, batch.map((i) => i.id));
    return batch.filter((i) => states.get(i.id) === 'pending' || states.get(i.id) === 'running');
  }

  private async execute(accountId: string, batch: JobItemRecord[]): Promise<void> {
    const account = this.d.accounts.get(accountId)!;
    const first = batch[0]!;
    const chatKey = first.chatKey;
    if (first.inviteLink !== null) {
      await this.sendInvite(accountId, first);
      return;
    }

    // Verify before acting where this run has not seen the member list, or an earlier try may have gone through.
    if (!this.facts.has(chatKey) || batch.some((i) => this.verify.has(i.id))) await this.refreshFacts([chatKey], true, accountId);
    const facts = this.facts.get(chatKey);
    if (facts) {
      const settled: { item: JobItemRecord; state: JobItemState; reason: string }[] = [];
      for (const item of batch) {
        const present = isPresent(facts.members.get(item.memberUserId));
        const wasTried = this.verify.has(item.id) || item.attempts > 0;
        if (item.action === 'add' && present) settled.push({ item, state: wasTried ? 'done' : 'skipped', reason: wasTried ? 'found in the chat when checked after an earlier attempt' : 'already a member' });
        if (item.action === 'remove' && !present) settled.push({ item, state: wasTried ? 'done' : 'skipped', reason: wasTried ? 'found gone when checked after an earlier attempt' : 'not a member' });
      }
      for (const s of settled) await this.finishItems([s.item], { state: s.state, reason: s.reason });
      batch = batch.filter((i) => !settled.some((s) => s.item === i));
      const me = this.d.model.accountUsers.get(accountId);
      if (batch.length > 0 && me !== undefined && !isPresent(facts.members.get(me))) {
        await this.dropCandidate(batch, accountId, `${accountId} is no longer in the chat`);
        return;
      }
    }
    for (const i of batch) this.verify.delete(i.id);
    if (batch.length === 0) return;

    const now = this.d.now();
    // The attempt is stored before the call: a crash during it leaves the item `running`, which a restart verifies.
    const running = await this.d.writer.run(async (trx, _emit, hooks) => {
      const go = (await this.stillToDo(trx, batch)).map((i): JobItemRecord => ({ ...i, state: 'running', accountId, attempts: i.attempts + 1 }));
      for (const item of go) await updateJobItem(trx, item.id, { state: 'running', accountId, attempts: item.attempts }, now);
      if (first.action === 'add' && go.length > 0) {
        const s = recordAdds(this.addState(accountId), now, go.length);
        await putAddLimits(trx, accountId, s, now);
        hooks.afterCommit(() => this.addStates.set(accountId, s));
      }
      // Marked in flight at the commit, before a cancel queued behind this transaction can look.
      hooks.afterCommit(() => {
        for (const item of go) {
          this.active.set(item.id, item);
          this.inFlight.add(item.id);
        }
      });
      return go;
    });
    for (const item of batch) if (!running.some((r) => r.id === item.id)) this.forget(item.id);
    if (running.length === 0) return;
    if (first.action === 'remove') this.lastRemoveAt.set(accountId, now);
    const userIds = running.map((i) => i.memberUserId);
    try {
      await this.call(account, accountId, chatKey, first, running, userIds);
    } finally {
      for (const item of running) this.inFlight.delete(item.id);
    }
  }

  private async call(account: TelegramAccount, accountId: string, chatKey: ChatKey, first: JobItemRecord, running: JobItemRecord[], userIds: number[]): Promise<void> {
    try {
      if (first.action === 'add') {
        const failed = await account.addChatMembers(first.tdChatId, userIds);
        const refused = new Set(failed.map((f) => f.userId));
        const facts = this.factsOf(chatKey);
        for (const id of userIds) if (!refused.has(id)) facts.set(id, 'member');
        await this.finishItems(running.filter((i) => !refused.has(i.memberUserId)), { state: 'done', reason: null });
        for (const item of running.filter((i) => refused.has(i.memberUserId))) await this.invite(item, accountId);
      } else {
        await account.removeChatMember(first.tdChatId, first.memberUserId);
        this.factsOf(chatKey).delete(first.memberUserId);
        await this.finishItems(running, { state: 'done', reason: null });
      }
    } catch (error) {
      await this.failed(running, accountId, error);
    }
  }

  private factsOf(chatKey: ChatKey): Map<number, ChatMemberStatus> {
    let f = this.facts.get(chatKey);
    if (!f) this.facts.set(chatKey, (f = { members: new Map(), at: this.d.now() }));
    return f.members;
  }

  /**
   * A privacy-restricted user: a one-use invite link, reported, or sent by direct message once the
   * account's add throttle allows (the item waits, pending, holding the link).
   */
  private async invite(item: JobItemRecord, accountId: string): Promise<void> {
    if (this.jobs.get(item.jobId)?.state === 'cancelled') {
      await this.finishItems([item], { state: 'cancelled', reason: 'the job was cancelled; their privacy settings refuse being added, and no invite link was made' });
      return;
    }
    const tried: string[] = [];
    let link: string | null = null;
    let via = accountId;
    for (const candidate of [accountId, ...item.candidates.filter((c) => c !== accountId)]) {
      const account = this.d.accounts.get(candidate);
      if (!account || account.authState().kind !== 'ready') continue;
      try {
        link = await account.createInviteLink(item.tdChatId, 1);
        via = candidate;
        break;
      } catch (error) {
        tried.push(`${candidate}: ${messageOf(error)}`);
      }
    }
    if (link === null) {
      await this.finishItems([item], { state: 'failed', reason: `their privacy settings refuse being added, and no invite link could be created (${tried.join('; ') || 'no account available'})` });
      return;
    }
    if (this.options.privacyFallback === 'report') {
      await this.finishItems([item], { state: 'invited', reason: 'their privacy settings refuse being added: pass them the one-use invite link', inviteLink: link, inviteDelivery: 'report' });
      return;
    }
    // Only the account that made the link sends it: the link belongs to its membership of the chat.
    await this.applyItems([item], {
      state: 'pending',
      accountId: via,
      candidates: [via],
      notBefore: null,
      inviteLink: link,
      inviteDelivery: null,
      reason: `their privacy settings refuse being added: ${via} sends them a one-use invite link as its add throttle allows`,
    });
  }

  /**
   * Sends an item's invite link by direct message, to the account's private chat with the member,
   * opened first when there is none yet (Telegram needs the chat before a message; opening it
   * sends nothing). Whatever fails here, the link is kept in the item's report.
   */
  private async sendInvite(accountId: string, item: JobItemRecord): Promise<void> {
    const link = item.inviteLink!;
    const now = this.d.now();
    const running = await this.d.writer.run(async (trx, _emit, hooks) => {
      if ((await this.stillToDo(trx, [item])).length === 0) return null;
      const next: JobItemRecord = { ...item, state: 'running', attempts: item.attempts + 1 };
      await updateJobItem(trx, item.id, { state: 'running', attempts: next.attempts }, now);
      const s = recordAdds(this.addState(accountId), now, 1);
      await putAddLimits(trx, accountId, s, now);
      hooks.afterCommit(() => {
        this.addStates.set(accountId, s);
        this.active.set(item.id, next);
        this.inFlight.add(item.id);
      });
      return next;
    });
    if (running === null) {
      this.forget(item.id);
      return;
    }
    const account = this.d.accounts.get(accountId)!;
    let step = 'no private chat with them could be opened';
    try {
      const chat = await account.createPrivateChat(item.memberUserId);
      step = 'the direct message with the link failed';
      const text = `You are invited to «${item.title}». This link works once: ${link}`;
      await account.sendMessage(chat.tdChatId, text, { disableLinkPreview: true });
    } catch (error) {
      if (error instanceof DomainError && error.code === 'PEER_FLOOD') await this.blockAccount(accountId);
      await this.finishItems([running], {
        state: 'invited',
        reason: `their privacy settings refuse being added, and ${step} (${messageOf(error)}): pass them the one-use invite link`,
        inviteLink: link,
        inviteDelivery: 'report',
      });
      return;
    } finally {
      this.inFlight.delete(item.id);
    }
    await this.finishItems([running], { state: 'invited', reason: `their privacy settings refuse being added: ${accountId} sent them a one-use invite link`, inviteLink: link, inviteDelivery: 'dm' });
  }

  /** PEER_FLOOD: the account adds (and writes to strangers) no more for 24 hours. */
  private async blockAccount(accountId: string): Promise<string> {
    const now = this.d.now();
    const until = now + PEER_FLOOD_PAUSE_MS;
    const reason = `PEER_FLOOD on ${accountId}: Telegram stopped its adds until ${iso(until)}`;
    const s = blockAdds(this.addState(accountId), until, reason);
    this.addStates.set(accountId, s);
    this.d.logger.warn('PEER_FLOOD: adds of this account stop for 24 h', { accountId, until });
    await this.d.writer.run((trx) => putAddLimits(trx, accountId, s, now));
    return reason;
  }

  /** What a refused call means for its items: wait, try another account, or give up with the reason. */
  private async failed(batch: JobItemRecord[], accountId: string, error: unknown): Promise<void> {
    const code = error instanceof DomainError ? error.code : null;
    const now = this.d.now();
    const message = messageOf(error);
    for (const i of batch) this.verify.add(i.id);
    switch (code) {
      case 'PEER_FLOOD': {
        const reason = await this.blockAccount(accountId);
        await this.backToPending(batch, { reason });
        return;
      }
      case 'FLOOD_WAIT': {
        const decision = floodWaitPolicy(error, Math.max(...batch.map((i) => i.attempts)));
        const waitMs = decision.retryAfterMs ?? 60_000;
        this.waitUntil.set(accountId, now + waitMs);
        await this.backToPending(batch, { notBefore: now + waitMs, reason: `FLOOD_WAIT: Telegram asked ${accountId} to wait ${Math.round(waitMs / 1000)} s` });
        return;
      }
      case 'NOT_FOUND':
        if (batch.length > 1) {
          // One unknown user fails the whole batch; alone, each item shows whose it is.
          for (const i of batch) this.solo.add(i.id);
          await this.backToPending(batch, { reason: null });
          return;
        }
        await this.dropCandidate(batch, accountId, `${accountId} cannot reach this user (${message}); Telegram needs a shared chat or a contact first`);
        return;
      case 'FORBIDDEN':
        await this.dropCandidate(batch, accountId, `${accountId} has no right to ${batch[0]!.action} members here (${message})`);
        return;
      case 'AUTH_LOST':
        await this.dropCandidate(batch, accountId, `${accountId} lost its Telegram session (${message})`);
        return;
      case 'BAD_USER_INPUT':
        await this.finishItems(batch, { state: 'failed', reason: message });
        return;
      default: {
        const retry = batch.filter((i) => i.attempts < MAX_ATTEMPTS);
        const give = batch.filter((i) => i.attempts >= MAX_ATTEMPTS);
        if (give.length) await this.finishItems(give, { state: 'failed', reason: `Telegram refused: ${message}` });
        if (retry.length) await this.backToPending(retry, { notBefore: now + 60_000, reason: `Telegram refused (${message}); trying again` });
      }
    }
  }

  /** The account cannot act on these items: the next candidate takes over, or the item fails with every reason. */
  private async dropCandidate(batch: JobItemRecord[], accountId: string, why: string): Promise<void> {
    for (const item of batch) {
      const reasons = [...(this.refusals.get(item.id) ?? []), why];
      this.refusals.set(item.id, reasons);
      const candidates = item.candidates.filter((c) => c !== accountId);
      if (candidates.length === 0) await this.finishItems([item], { state: 'failed', reason: reasons.join('; ') });
      else await this.backToPending([item], { candidates, accountId: candidates[0]!, reason: `moved to ${candidates[0]!}: ${why}` });
    }
  }

  private async backToPending(batch: JobItemRecord[], patch: ItemPatch): Promise<void> {
    await this.applyItems(batch, { ...patch, state: 'pending' });
  }

  private async finishItems(batch: JobItemRecord[], patch: ItemPatch & { state: JobItemState }): Promise<void> {
    if (batch.length === 0) return;
    await this.applyItems(batch, { inviteLink: null, inviteDelivery: null, ...patch });
  }

  /**
   * Stores item changes, updates the job (done when nothing is left) and emits its progress. An
   * item already settled in the store (cancelled meanwhile) keeps that outcome; an item of a
   * cancelled job that would wait for another try ends cancelled instead.
   */
  private async applyItems(batch: JobItemRecord[], patch: ItemPatch): Promise<void> {
    const jobId = batch[0]!.jobId;
    await this.d.writer.run(async (trx, emit) => {
      const now = this.d.now();
      const job = this.jobs.get(jobId) ?? (await getJob(trx, jobId));
      const stored = await jobItemStates(trx, batch.map((i) => i.id));
      const changed: JobItemRecord[] = [];
      for (const item of batch) {
        const was = stored.get(item.id);
        if (was === undefined || FINAL_ITEM_STATES.has(was)) {
          this.forget(item.id);
          continue;
        }
        let p = patch;
        if (job?.state === 'cancelled' && (p.state === 'pending' || p.state === 'running')) {
          p = { ...p, state: 'cancelled', notBefore: null, reason: `${job.reason ?? 'cancelled'}; the call under way did not go through${p.reason ? ` (${p.reason})` : ''}` };
        }
        await updateJobItem(trx, item.id, p, now);
        const next: JobItemRecord = { ...item, ...p, updatedAt: now } as JobItemRecord;
        changed.push(next);
        if (FINAL_ITEM_STATES.has(next.state)) this.forget(item.id);
        else if (this.active.has(item.id)) this.active.set(item.id, next);
      }
      if (changed.length > 0) await this.emitJob(trx, emit, jobId, changed, now);
    });
  }

  private async emitJob(trx: Trx, emit: Emit, jobId: number, changed: JobItemRecord[], now: number): Promise<void> {
    const job = this.jobs.get(jobId) ?? (await getJob(trx, jobId));
    if (!job) return;
    const counts = await jobItemCounts(trx, jobId);
    let next: JobRecord = { ...job, updatedAt: now };
    if (job.state !== 'cancelled' && counts.pending + counts.running === 0) {
      next = { ...next, state: 'done', reason: null, finishedAt: now };
      await updateJob(trx, jobId, { state: 'done', reason: null, finishedAt: now }, now);
      this.jobs.delete(jobId);
    } else if (job.state === 'cancelled' && counts.pending + counts.running === 0) this.jobs.delete(jobId);
    else if (this.jobs.has(jobId)) this.jobs.set(jobId, next);
    emit({ type: 'membershipJobChanged', at: now, job: this.viewOf(next, counts), items: changed.map(itemView) });
  }

  private viewOf(job: JobRecord, counts: JobCounts): MembershipJobView {
    return {
      id: job.id,
      kind: job.kind as MembershipJobKind,
      action: job.action,
      state: job.state,
      reason: job.reason,
      createdBy: job.createdBy,
      createdAt: job.createdAt,
      updatedAt: job.updatedAt,
      finishedAt: job.finishedAt,
      memberUserIds: [...job.memberUserIds],
      counts,
    };
  }
}

export function itemView(i: JobItemRecord): JobItemView {
  return {
    id: i.id,
    chatKey: i.chatKey,
    title: i.title,
    memberUserId: i.memberUserId,
    state: i.state,
    accountId: i.accountId,
    reason: i.reason,
    inviteLink: i.inviteLink,
    inviteDelivery: i.inviteDelivery,
    updatedAt: i.updatedAt,
  };
}

function iso(t: number): string {
  return new Date(t).toISOString();
}

function messageOf(error: unknown): string {
  if (error instanceof DomainError && 'tdMessage' in error) return String((error as { tdMessage: unknown }).tdMessage);
  return error instanceof Error ? error.message : String(error);
}
