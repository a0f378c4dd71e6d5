/**
 * What the team adds on top of Telegram: roster entries, alarms, acknowledgements, stars, chat
 * settings (kind override, policy, manual position), overdue policies, the waiting state and its
 * response episodes, the audit log and preferences.
 */
import type { Kysely } from 'kysely';
import type { ChatKey } from '../domain/ids.ts';
import { bulkInsert, type BulkInsertSpec } from './bulk.ts';
import type { Database } from './schema.ts';

type Db = Kysely<Database>;

export interface TeamMemberRecord {
  readonly userId: number;
  readonly role: 'admin' | 'manager';
  readonly source: 'config' | 'teamChat' | 'api';
  readonly name: string | null;
}

export async function listTeamMembers(db: Db): Promise<TeamMemberRecord[]> {
  const rows = await db.selectFrom('team_members').selectAll().orderBy('user_id').execute();
  return rows.map((r) => ({ userId: r.user_id, role: r.role as TeamMemberRecord['role'], source: r.source as TeamMemberRecord['source'], name: r.name }));
}

/** Adds or updates a member; `keepName` leaves a stored member's name as it is. */
export async function putTeamMember(db: Db, m: TeamMemberRecord, now: number, options: { keepName?: boolean } = {}): Promise<void> {
  await db
    .insertInto('team_members')
    .values({ user_id: m.userId, role: m.role, source: m.source, name: m.name, added_at: now })
    .onConflict((oc) => oc.column('user_id').doUpdateSet(options.keepName ? { role: m.role, source: m.source } : { role: m.role, source: m.source, name: m.name }))
    .execute();
}

export async function deleteTeamMember(db: Db, userId: number): Promise<boolean> {
  const r = await db.deleteFrom('team_members').where('user_id', '=', userId).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

export interface AlarmRecord {
  readonly chatKey: ChatKey;
  readonly raisedBy: number;
  readonly raisedAt: number;
  readonly reason: string;
  /** Who raised it, as the audit log names the caller; null when not recorded. */
  readonly raisedByActor?: string | null;
}

export async function listAlarms(db: Db): Promise<AlarmRecord[]> {
  const rows = await db.selectFrom('alarms').selectAll().execute();
  return rows.map((r) => ({ chatKey: r.chat_key, raisedBy: r.raised_by, raisedAt: r.raised_at, reason: r.reason, raisedByActor: r.raised_by_actor }));
}

/** Who raised the chat's alarm of that instant, as the audit log names the caller; null when unknown. */
export async function alarmActorOf(db: Db, chatKey: ChatKey, raisedAt: number): Promise<string | null> {
  const r = await db.selectFrom('alarms').select('raised_by_actor').where('chat_key', '=', chatKey).where('raised_at', '=', raisedAt).executeTakeFirst();
  return r?.raised_by_actor ?? null;
}

export async function putAlarm(db: Db, a: AlarmRecord): Promise<void> {
  await db
    .insertInto('alarms')
    .values({ chat_key: a.chatKey, raised_by: a.raisedBy, raised_at: a.raisedAt, reason: a.reason, raised_by_actor: a.raisedByActor ?? null })
    .onConflict((oc) => oc.column('chat_key').doUpdateSet({ raised_by: a.raisedBy, raised_at: a.raisedAt, reason: a.reason, raised_by_actor: a.raisedByActor ?? null }))
    .execute();
}

export async function deleteAlarm(db: Db, chatKey: ChatKey): Promise<boolean> {
  const r = await db.deleteFrom('alarms').where('chat_key', '=', chatKey).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

export interface AckRecord {
  readonly chatKey: ChatKey;
  readonly by: number;
  readonly at: number;
}

export async function insertAck(db: Db, a: AckRecord): Promise<void> {
  await db.insertInto('acknowledgements').values({ chat_key: a.chatKey, by_user_id: a.by, at: a.at }).execute();
}

export async function listAcksSince(db: Db, chatKey: ChatKey, since: number): Promise<AckRecord[]> {
  const rows = await db.selectFrom('acknowledgements').selectAll().where('chat_key', '=', chatKey).where('at', '>=', since).orderBy('at').execute();
  return rows.map((r) => ({ chatKey: r.chat_key, by: r.by_user_id, at: r.at }));
}

/** Each chat's acknowledgements at or after its own `since`, oldest first: listAcksSince for many chats in one query. */
export async function listAcksOfChats(db: Db, sinceOf: ReadonlyMap<ChatKey, number>): Promise<Map<ChatKey, AckRecord[]>> {
  const out = new Map<ChatKey, AckRecord[]>();
  const keys = [...sinceOf.keys()];
  for (let i = 0; i < keys.length; i += 500) {
    const part = keys.slice(i, i + 500);
    const from = Math.min(...part.map((k) => sinceOf.get(k)!));
    const rows = await db.selectFrom('acknowledgements').selectAll().where('chat_key', 'in', part).where('at', '>=', from).orderBy('at').orderBy('id').execute();
    for (const r of rows) {
      if (r.at < sinceOf.get(r.chat_key)!) continue;
      const list = out.get(r.chat_key);
      const ack = { chatKey: r.chat_key, by: r.by_user_id, at: r.at };
      if (list) list.push(ack);
      else out.set(r.chat_key, [ack]);
    }
  }
  return out;
}

/** The latest acknowledgement of every chat. */
export async function listLatestAcks(db: Db): Promise<AckRecord[]> {
  const rows = await db
    .selectFrom('acknowledgements as a')
    .selectAll('a')
    .where(({ eb, selectFrom }) =>
      eb('a.id', '=', selectFrom('acknowledgements as b').select((e) => e.fn.max('b.id').as('m')).whereRef('b.chat_key', '=', 'a.chat_key')),
    )
    .execute();
  return rows.map((r) => ({ chatKey: r.chat_key, by: r.by_user_id, at: r.at }));
}

export async function listStars(db: Db): Promise<{ memberUserId: number; chatKey: ChatKey }[]> {
  const rows = await db.selectFrom('stars').select(['member_user_id', 'chat_key']).execute();
  return rows.map((r) => ({ memberUserId: r.member_user_id, chatKey: r.chat_key }));
}

export async function setStar(db: Db, memberUserId: number, chatKey: ChatKey, starred: boolean, now: number): Promise<void> {
  if (starred) {
    await db.insertInto('stars').values({ member_user_id: memberUserId, chat_key: chatKey, at: now }).onConflict((oc) => oc.columns(['member_user_id', 'chat_key']).doNothing()).execute();
  } else {
    await db.deleteFrom('stars').where('member_user_id', '=', memberUserId).where('chat_key', '=', chatKey).execute();
  }
}

export interface ChatSettingsRecord {
  readonly chatKey: ChatKey;
  readonly kindOverride: string | null;
  readonly policyId: string | null;
  readonly manualPosition: number | null;
}

export async function listChatSettings(db: Db): Promise<ChatSettingsRecord[]> {
  const rows = await db.selectFrom('chat_settings').selectAll().execute();
  return rows.map((r) => ({ chatKey: r.chat_key, kindOverride: r.kind_override, policyId: r.policy_id, manualPosition: r.manual_position }));
}

export async function patchChatSettings(db: Db, chatKey: ChatKey, patch: Partial<Omit<ChatSettingsRecord, 'chatKey'>>, now: number): Promise<void> {
  const set = {
    ...(patch.kindOverride !== undefined ? { kind_override: patch.kindOverride } : {}),
    ...(patch.policyId !== undefined ? { policy_id: patch.policyId } : {}),
    ...(patch.manualPosition !== undefined ? { manual_position: patch.manualPosition } : {}),
    updated_at: now,
  };
  await db
    .insertInto('chat_settings')
    .values({ chat_key: chatKey, kind_override: null, policy_id: null, manual_position: null, ...set })
    .onConflict((oc) => oc.column('chat_key').doUpdateSet(set))
    .execute();
}

export interface PolicyRecord {
  readonly id: string;
  readonly name: string;
  readonly thresholdSeconds: number;
  readonly timeZone: string | null;
  readonly businessHours: unknown;
  /** Null: the default list (src/domain/overdue-policy.ts). */
  readonly ignorePatterns: readonly string[] | null;
}

export async function listPolicies(db: Db): Promise<PolicyRecord[]> {
  const rows = await db.selectFrom('policies').selectAll().orderBy('id').execute();
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    thresholdSeconds: r.threshold_seconds,
    timeZone: r.time_zone,
    businessHours: r.business_hours === null ? null : (JSON.parse(r.business_hours) as unknown),
    ignorePatterns: JSON.parse(r.ignore_patterns) as string[] | null,
  }));
}

export async function putPolicy(db: Db, p: PolicyRecord, now: number): Promise<void> {
  const values = {
    name: p.name,
    threshold_seconds: p.thresholdSeconds,
    time_zone: p.timeZone,
    business_hours: p.businessHours === null || p.businessHours === undefined ? null : JSON.stringify(p.businessHours),
    ignore_patterns: JSON.stringify(p.ignorePatterns),
    updated_at: now,
  };
  await db
    .insertInto('policies')
    .values({ id: p.id, ...values })
    .onConflict((oc) => oc.column('id').doUpdateSet(values))
    .execute();
}

export interface WaitingRecord {
  readonly chatKey: ChatKey;
  readonly waitingSince: number | null;
  readonly firstMessageId: number | null;
  readonly deadline: number | null;
  readonly overdueSince: number | null;
}

// Written on every ingest turn that starts or ends a wait: plain multi-row SQL (bulk.ts).
const WAITING_UPSERT: BulkInsertSpec = {
  table: 'waiting_state',
  columns: ['chat_key', 'waiting_since', 'first_message_id', 'deadline', 'overdue_since', 'acknowledged_by', 'acknowledged_at', 'updated_at'],
  conflict: ['chat_key'],
  update: ['waiting_since', 'first_message_id', 'deadline', 'overdue_since', 'updated_at'],
};

export async function putWaitingStates(db: Db, rows: readonly WaitingRecord[], now: number): Promise<void> {
  if (rows.length === 0) return;
  await bulkInsert(
    db as Kysely<unknown>,
    WAITING_UPSERT,
    // +Infinity (business hours that never come) is stored as null: "no deadline".
    rows.map((w) => [w.chatKey, w.waitingSince, w.firstMessageId, w.deadline !== null && Number.isFinite(w.deadline) ? w.deadline : null, w.overdueSince, null, null, now]),
  );
}

export interface EpisodeRecord {
  readonly chatKey: ChatKey;
  readonly kind: 'first' | 'next';
  readonly startedAt: number;
  readonly firstMessageId: number | null;
  readonly endedAt: number | null;
  readonly endedBy: 'reply' | 'ack' | null;
  readonly answeredBy: number | null;
  readonly overdueAt: number | null;
  readonly thresholdSeconds: number;
}

const EPISODE_INSERT: BulkInsertSpec = {
  table: 'response_episodes',
  columns: ['chat_key', 'kind', 'started_at', 'first_message_id', 'ended_at', 'ended_by', 'answered_by', 'overdue_at', 'threshold_seconds'],
  conflict: ['chat_key', 'first_message_id', 'started_at'],
};

// An ended episode closes the open row of the same wait, if there is one, in the same statement.
const ENDED_EPISODE_UPSERT: BulkInsertSpec = {
  ...EPISODE_INSERT,
  update: ['ended_at', 'ended_by', 'answered_by', 'overdue_at', 'kind'],
  updateWhere: '"response_episodes"."ended_at" is null',
};

const episodeValues = (e: EpisodeRecord): unknown[] => [e.chatKey, e.kind, e.startedAt, e.firstMessageId, e.endedAt, e.endedBy, e.answeredBy, e.overdueAt, e.thresholdSeconds];

/** Stores ended episodes: inserted, or closing the open row of the same wait. */
export async function putEndedEpisodes(db: Db, episodes: readonly EpisodeRecord[]): Promise<void> {
  if (episodes.length > 0) await bulkInsert(db as Kysely<unknown>, ENDED_EPISODE_UPSERT, episodes.map(episodeValues));
}

export async function insertEpisodes(db: Db, episodes: readonly EpisodeRecord[]): Promise<void> {
  if (episodes.length > 0) await bulkInsert(db as Kysely<unknown>, EPISODE_INSERT, episodes.map(episodeValues));
}

/** Keys per IN list: far below SQLite's and PostgreSQL's parameter limits. */
const ROWS_PER_STATEMENT = 500;

/** The open episodes (ended_at null) of the given chats. */
export async function listOpenEpisodes(db: Db, chatKeys: readonly ChatKey[]): Promise<{ id: number; chatKey: ChatKey; firstMessageId: number | null; startedAt: number }[]> {
  const out: { id: number; chatKey: ChatKey; firstMessageId: number | null; startedAt: number }[] = [];
  for (let i = 0; i < chatKeys.length; i += ROWS_PER_STATEMENT) {
    const rows = await db
      .selectFrom('response_episodes')
      .select(['id', 'chat_key', 'first_message_id', 'started_at'])
      .where('chat_key', 'in', chatKeys.slice(i, i + ROWS_PER_STATEMENT))
      .where('ended_at', 'is', null)
      .execute();
    for (const r of rows) out.push({ id: Number(r.id), chatKey: r.chat_key, firstMessageId: r.first_message_id === null ? null : Number(r.first_message_id), startedAt: Number(r.started_at) });
  }
  return out;
}

export async function deleteEpisodes(db: Db, ids: readonly number[]): Promise<void> {
  for (let i = 0; i < ids.length; i += ROWS_PER_STATEMENT) await db.deleteFrom('response_episodes').where('id', 'in', ids.slice(i, i + ROWS_PER_STATEMENT)).execute();
}

export async function listEpisodes(db: Db, q: { from: number; to: number; chatKeys?: readonly ChatKey[] }): Promise<EpisodeRecord[]> {
  let query = db.selectFrom('response_episodes').selectAll().where('started_at', '>=', q.from).where('started_at', '<', q.to);
  if (q.chatKeys) query = query.where('chat_key', 'in', q.chatKeys.length ? [...q.chatKeys] : ['\u0000']);
  const rows = await query.orderBy('started_at').execute();
  return rows.map((r) => ({
    chatKey: r.chat_key,
    kind: r.kind as 'first' | 'next',
    startedAt: r.started_at,
    firstMessageId: r.first_message_id,
    endedAt: r.ended_at,
    endedBy: r.ended_by as 'reply' | 'ack' | null,
    answeredBy: r.answered_by,
    overdueAt: r.overdue_at,
    thresholdSeconds: r.threshold_seconds,
  }));
}

export interface AuditRecord {
  readonly id?: number;
  readonly at: number;
  readonly actor: string;
  readonly action: string;
  readonly accountId: string | null;
  readonly chatKey: ChatKey | null;
  readonly details: Record<string, unknown>;
  readonly outcome: 'ok' | 'error';
  readonly errorCode: string | null;
}

export async function appendAudit(db: Db, a: AuditRecord): Promise<void> {
  await db
    .insertInto('audit_log')
    .values({
      at: a.at,
      actor: a.actor,
      action: a.action,
      account_id: a.accountId,
      chat_key: a.chatKey,
      details: JSON.stringify(a.details),
      outcome: a.outcome,
      error_code: a.errorCode,
    })
    .execute();
}

export async function listAudit(db: Db, q: { beforeId?: number; limit: number; chatKey?: ChatKey; action?: string }): Promise<AuditRecord[]> {
  let query = db.selectFrom('audit_log').selectAll();
  if (q.beforeId !== undefined) query = query.where('id', '<', q.beforeId);
  if (q.chatKey) query = query.where('chat_key', '=', q.chatKey);
  if (q.action) query = query.where('action', '=', q.action);
  const rows = await query.orderBy('id', 'desc').limit(q.limit).execute();
  return rows.map((r) => ({
    id: r.id,
    at: r.at,
    actor: r.actor,
    action: r.action,
    accountId: r.account_id,
    chatKey: r.chat_key,
    details: JSON.parse(r.details) as Record<string, unknown>,
    outcome: r.outcome as 'ok' | 'error',
    errorCode: r.error_code,
  }));
}

export interface PreferencesRecord {
  readonly memberUserId: number;
  readonly sendTyping: boolean;
  readonly linkPreviews: boolean;
  readonly language: string | null;
  readonly alertChannels: readonly string[];
}

export async function getPreferences(db: Db, memberUserId: number): Promise<PreferencesRecord> {
  const r = await db.selectFrom('preferences').selectAll().where('member_user_id', '=', memberUserId).executeTakeFirst();
  if (!r) return { memberUserId, sendTyping: true, linkPreviews: true, language: null, alertChannels: [] };
  return { memberUserId, sendTyping: r.send_typing === 1, linkPreviews: r.link_previews === 1, language: r.language, alertChannels: JSON.parse(r.alert_channels) as string[] };
}

export async function putPreferences(db: Db, p: PreferencesRecord, now: number): Promise<void> {
  const values = { send_typing: p.sendTyping ? 1 : 0, link_previews: p.linkPreviews ? 1 : 0, language: p.language, alert_channels: JSON.stringify(p.alertChannels), updated_at: now };
  await db
    .insertInto('preferences')
    .values({ member_user_id: p.memberUserId, ...values })
    .onConflict((oc) => oc.column('member_user_id').doUpdateSet(values))
    .execute();
}

export async function listWaitingStates(db: Db): Promise<WaitingRecord[]> {
  const rows = await db.selectFrom('waiting_state').selectAll().where('waiting_since', 'is not', null).execute();
  return rows.map((r) => ({ chatKey: r.chat_key, waitingSince: r.waiting_since, firstMessageId: r.first_message_id, deadline: r.deadline, overdueSince: r.overdue_since }));
}

/** The default overdue policy row, created once so it can be edited like any other. */
export async function ensureDefaultPolicy(db: Db, now: number): Promise<void> {
  await db
    .insertInto('policies')
    .values({ id: 'default', name: 'Default', threshold_seconds: 15 * 60, time_zone: null, business_hours: null, ignore_patterns: JSON.stringify(null), updated_at: now })
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();
}
