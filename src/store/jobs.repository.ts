/**
 * Membership jobs, their items and each account's add limits. Plain functions over `db` or a
 * transaction; the app decides what to write and when.
 */
import type { Kysely } from 'kysely';
import type { ChatKey, ChatType } from '../domain/ids.ts';
import type { AccountAddState, JobCounts, JobItemState, JobState, MembershipAction, MembershipJobKind } from '../domain/membership-plan.ts';
import type { ChatMemberStatus } from '../domain/telegram.ts';
import type { Database } from './schema.ts';

type Db = Kysely<Database>;

export interface JobRecord {
  readonly id: number;
  readonly kind: MembershipJobKind;
  readonly action: MembershipAction;
  readonly state: JobState;
  readonly reason: string | null;
  readonly createdBy: string;
  readonly memberUserIds: readonly number[];
  readonly request: Readonly<Record<string, unknown>>;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly finishedAt: number | null;
}

export interface JobItemRecord {
  readonly id: number;
  readonly jobId: number;
  readonly chatKey: ChatKey;
  readonly tdChatId: number;
  readonly chatType: ChatType;
  readonly title: string;
  readonly memberUserId: number;
  readonly action: MembershipAction;
  readonly state: JobItemState;
  readonly accountId: string | null;
  readonly candidates: readonly string[];
  readonly reason: string | null;
  readonly inviteLink: string | null;
  readonly inviteDelivery: 'dm' | 'report' | null;
  readonly attempts: number;
  readonly notBefore: number | null;
  readonly updatedAt: number;
}

type JobRow = Awaited<ReturnType<typeof selectJobs>>[number];
type ItemRow = Awaited<ReturnType<typeof selectItems>>[number];

function selectJobs(db: Db) {
  return db.selectFrom('membership_jobs').selectAll().execute();
}
function selectItems(db: Db) {
  return db.selectFrom('membership_job_items').selectAll().execute();
}

function toJob(r: JobRow): JobRecord {
  return {
    id: r.id,
    kind: r.kind as MembershipJobKind,
    action: r.action as MembershipAction,
    state: r.state as JobState,
    reason: r.reason,
    createdBy: r.created_by,
    memberUserIds: JSON.parse(r.member_user_ids) as number[],
    request: JSON.parse(r.request) as Record<string, unknown>,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    finishedAt: r.finished_at,
  };
}

function toItem(r: ItemRow): JobItemRecord {
  return {
    id: r.id,
    jobId: r.job_id,
    chatKey: r.chat_key,
    tdChatId: r.td_chat_id,
    chatType: r.chat_type as ChatType,
    title: r.title,
    memberUserId: r.member_user_id,
    action: r.action as MembershipAction,
    state: r.state as JobItemState,
    accountId: r.account_id,
    candidates: JSON.parse(r.candidates) as string[],
    reason: r.reason,
    inviteLink: r.invite_link,
    inviteDelivery: r.invite_delivery as 'dm' | 'report' | null,
    attempts: r.attempts,
    notBefore: r.not_before,
    updatedAt: r.updated_at,
  };
}

export async function insertJob(db: Db, job: Omit<JobRecord, 'id'>): Promise<number> {
  const row = await db
    .insertInto('membership_jobs')
    .values({
      kind: job.kind,
      action: job.action,
      state: job.state,
      reason: job.reason,
      created_by: job.createdBy,
      member_user_ids: JSON.stringify(job.memberUserIds),
      request: JSON.stringify(job.request),
      created_at: job.createdAt,
      updated_at: job.updatedAt,
      finished_at: job.finishedAt,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return Number(row.id);
}

export async function insertJobItems(db: Db, items: readonly Omit<JobItemRecord, 'id'>[]): Promise<JobItemRecord[]> {
  const out: JobItemRecord[] = [];
  for (let i = 0; i < items.length; i += 200) {
    const rows = await db
      .insertInto('membership_job_items')
      .values(
        items.slice(i, i + 200).map((it) => ({
          job_id: it.jobId,
          chat_key: it.chatKey,
          td_chat_id: it.tdChatId,
          chat_type: it.chatType,
          title: it.title,
          member_user_id: it.memberUserId,
          action: it.action,
          state: it.state,
          account_id: it.accountId,
          candidates: JSON.stringify(it.candidates),
          reason: it.reason,
          invite_link: it.inviteLink,
          invite_delivery: it.inviteDelivery,
          attempts: it.attempts,
          not_before: it.notBefore,
          updated_at: it.updatedAt,
        })),
      )
      .returningAll()
      .execute();
    out.push(...rows.map(toItem));
  }
  return out;
}

export async function updateJob(db: Db, id: number, patch: Partial<Pick<JobRecord, 'state' | 'reason' | 'finishedAt'>>, now: number): Promise<void> {
  await db
    .updateTable('membership_jobs')
    .set({
      ...(patch.state !== undefined ? { state: patch.state } : {}),
      ...(patch.reason !== undefined ? { reason: patch.reason } : {}),
      ...(patch.finishedAt !== undefined ? { finished_at: patch.finishedAt } : {}),
      updated_at: now,
    })
    .where('id', '=', id)
    .execute();
}

export type ItemPatch = Partial<Pick<JobItemRecord, 'state' | 'accountId' | 'candidates' | 'reason' | 'inviteLink' | 'inviteDelivery' | 'attempts' | 'notBefore'>>;

export async function updateJobItem(db: Db, id: number, patch: ItemPatch, now: number): Promise<void> {
  await db
    .updateTable('membership_job_items')
    .set({
      ...(patch.state !== undefined ? { state: patch.state } : {}),
      ...(patch.accountId !== undefined ? { account_id: patch.accountId } : {}),
      ...(patch.candidates !== undefined ? { candidates: JSON.stringify(patch.candidates) } : {}),
      ...(patch.reason !== undefined ? { reason: patch.reason } : {}),
      ...(patch.inviteLink !== undefined ? { invite_link: patch.inviteLink } : {}),
      ...(patch.inviteDelivery !== undefined ? { invite_delivery: patch.inviteDelivery } : {}),
      ...(patch.attempts !== undefined ? { attempts: patch.attempts } : {}),
      ...(patch.notBefore !== undefined ? { not_before: patch.notBefore } : {}),
      updated_at: now,
    })
    .where('id', '=', id)
    .execute();
}

export async function getJob(db: Db, id: number): Promise<JobRecord | null> {
  const r = await db.selectFrom('membership_jobs').selectAll().where('id', '=', id).executeTakeFirst();
  return r ? toJob(r) : null;
}

export async function listJobs(db: Db, q: { states?: readonly JobState[]; limit: number; beforeId?: number }): Promise<JobRecord[]> {
  let query = db.selectFrom('membership_jobs').selectAll();
  if (q.states && q.states.length > 0) query = query.where('state', 'in', [...q.states]);
  if (q.beforeId !== undefined) query = query.where('id', '<', q.beforeId);
  return (await query.orderBy('id', 'desc').limit(q.limit).execute()).map(toJob);
}

export async function listJobItems(db: Db, jobId: number): Promise<JobItemRecord[]> {
  return (await db.selectFrom('membership_job_items').selectAll().where('job_id', '=', jobId).orderBy('id').execute()).map(toItem);
}

/** The stored state of each of these items (absent: no such item). */
export async function jobItemStates(db: Db, ids: readonly number[]): Promise<Map<number, JobItemState>> {
  const out = new Map<number, JobItemState>();
  for (let i = 0; i < ids.length; i += 500) {
    const rows = await db.selectFrom('membership_job_items').select(['id', 'state']).where('id', 'in', ids.slice(i, i + 500)).execute();
    for (const r of rows) out.set(r.id, r.state as JobItemState);
  }
  return out;
}

/** How many items of a job are in each state. */
export async function jobItemCounts(db: Db, jobId: number): Promise<JobCounts> {
  const rows = await db.selectFrom('membership_job_items').select(['state', (eb) => eb.fn.countAll<number>().as('n')]).where('job_id', '=', jobId).groupBy('state').execute();
  const c = { total: 0, pending: 0, running: 0, done: 0, skipped: 0, invited: 0, failed: 0, cancelled: 0 };
  for (const r of rows) {
    const n = Number(r.n);
    c.total += n;
    if (r.state in c) c[r.state as JobItemState] += n;
  }
  return c;
}

/** Items of unfinished jobs that still have work: what a restarted daemon resumes. */
export async function listActiveItems(db: Db): Promise<JobItemRecord[]> {
  const rows = await db.selectFrom('membership_job_items').selectAll().where('state', 'in', ['pending', 'running']).orderBy('id').execute();
  return rows.map(toItem);
}

/** Unfinished items over these (chat, member) pairs, in any job: who already holds them. */
export async function activeItemsFor(db: Db, pairs: readonly { chatKey: ChatKey; memberUserId: number }[]): Promise<JobItemRecord[]> {
  if (pairs.length === 0) return [];
  const chats = [...new Set(pairs.map((p) => p.chatKey))];
  const members = [...new Set(pairs.map((p) => p.memberUserId))];
  const wanted = new Set(pairs.map((p) => `${p.chatKey}\u0000${p.memberUserId}`));
  const out: JobItemRecord[] = [];
  for (let i = 0; i < chats.length; i += 500) {
    const rows = await db
      .selectFrom('membership_job_items')
      .selectAll()
      .where('state', 'in', ['pending', 'running'])
      .where('chat_key', 'in', chats.slice(i, i + 500))
      .where('member_user_id', 'in', members)
      .execute();
    for (const r of rows) if (wanted.has(`${r.chat_key}\u0000${r.member_user_id}`)) out.push(toItem(r));
  }
  return out;
}

// ---- add limits ----------------------------------------------------------------------------

export async function listAddLimits(db: Db): Promise<Map<string, AccountAddState>> {
  const rows = await db.selectFrom('account_add_limits').selectAll().execute();
  return new Map(
    rows.map((r) => [
      r.account_id,
      { lastAddAt: r.last_add_at, windowStart: r.window_start, addsInWindow: r.adds_in_window, blockedUntil: r.blocked_until, blockedReason: r.blocked_reason },
    ]),
  );
}

export async function putAddLimits(db: Db, accountId: string, s: AccountAddState, now: number): Promise<void> {
  const values = { last_add_at: s.lastAddAt, window_start: s.windowStart, adds_in_window: s.addsInWindow, blocked_until: s.blockedUntil, blocked_reason: s.blockedReason, updated_at: now };
  await db
    .insertInto('account_add_limits')
    .values({ account_id: accountId, ...values })
    .onConflict((oc) => oc.column('account_id').doUpdateSet(values))
    .execute();
}

// ---- membership facts ------------------------------------------------------------------------

/** Stored member statuses of these users in every chat (what Telegram reported through updates). */
export async function memberStatusesOf(db: Db, userIds: readonly number[]): Promise<Map<ChatKey, Map<number, ChatMemberStatus>>> {
  const out = new Map<ChatKey, Map<number, ChatMemberStatus>>();
  if (userIds.length === 0) return out;
  for (let i = 0; i < userIds.length; i += 500) {
    const rows = await db.selectFrom('chat_members').select(['chat_key', 'user_id', 'status']).where('user_id', 'in', userIds.slice(i, i + 500)).execute();
    for (const r of rows) {
      let m = out.get(r.chat_key);
      if (!m) out.set(r.chat_key, (m = new Map()));
      m.set(r.user_id, r.status as ChatMemberStatus);
    }
  }
  return out;
}
