/**
 * Duty schedules and overrides, and the notification settings saved while a member's support
 * chats are muted off duty.
 */
import type { Kysely } from 'kysely';
import type { DutyOverride, DutyScheduleInput, DutyShift } from '../domain/duty.ts';
import type { ChatKey } from '../domain/ids.ts';
import type { NotificationSettings } from '../domain/telegram.ts';
import type { Database } from './schema.ts';

type Db = Kysely<Database>;

export async function listDutySchedules(db: Db): Promise<DutyScheduleInput[]> {
  const rows = await db.selectFrom('duty_schedules').selectAll().orderBy('member_user_id').execute();
  return rows.map((r) => ({ memberUserId: r.member_user_id, timeZone: r.time_zone, shifts: JSON.parse(r.shifts) as DutyShift[], muteOffDuty: r.mute_off_duty === 1 }));
}

export async function putDutySchedule(db: Db, s: DutyScheduleInput, now: number): Promise<void> {
  const values = { time_zone: s.timeZone, shifts: JSON.stringify(s.shifts), mute_off_duty: s.muteOffDuty ? 1 : 0, updated_at: now };
  await db
    .insertInto('duty_schedules')
    .values({ member_user_id: s.memberUserId, ...values })
    .onConflict((oc) => oc.column('member_user_id').doUpdateSet(values))
    .execute();
}

export async function deleteDutySchedule(db: Db, memberUserId: number): Promise<boolean> {
  const r = await db.deleteFrom('duty_schedules').where('member_user_id', '=', memberUserId).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

export interface StoredOverride extends DutyOverride {
  readonly createdBy: string;
}

/** Overrides that have not ended before `since` (older ones matter to nobody but history). */
export async function listDutyOverrides(db: Db, since: number): Promise<StoredOverride[]> {
  const rows = await db.selectFrom('duty_overrides').selectAll().where('ends_at', '>', since).orderBy('id').execute();
  return rows.map((r) => ({
    id: r.id,
    memberUserId: r.member_user_id,
    from: r.starts_at,
    to: r.ends_at,
    onDuty: r.on_duty === 1,
    note: r.note,
    createdAt: r.created_at,
    createdBy: r.created_by,
  }));
}

export async function insertDutyOverride(db: Db, o: Omit<StoredOverride, 'id'>): Promise<number> {
  const row = await db
    .insertInto('duty_overrides')
    .values({ member_user_id: o.memberUserId, starts_at: o.from, ends_at: o.to, on_duty: o.onDuty ? 1 : 0, note: o.note, created_by: o.createdBy, created_at: o.createdAt })
    .returning('id')
    .executeTakeFirstOrThrow();
  return Number(row.id);
}

export async function deleteDutyOverride(db: Db, id: number): Promise<boolean> {
  const r = await db.deleteFrom('duty_overrides').where('id', '=', id).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

export interface DutyMuteRecord {
  readonly accountId: string;
  readonly chatKey: ChatKey;
  readonly tdChatId: number;
  readonly memberUserId: number;
  readonly previous: NotificationSettings;
  readonly mutedAt: number;
  /** Looked at and left alone (already silent): nothing was changed, nothing is restored. */
  readonly leftAlone: boolean;
}

export async function listDutyMutes(db: Db, accountId?: string): Promise<DutyMuteRecord[]> {
  let q = db.selectFrom('duty_mutes').selectAll();
  if (accountId !== undefined) q = q.where('account_id', '=', accountId);
  const rows = await q.orderBy('chat_key').execute();
  return rows.map((r) => ({
    accountId: r.account_id,
    chatKey: r.chat_key,
    tdChatId: r.td_chat_id,
    memberUserId: r.member_user_id,
    previous: JSON.parse(r.previous) as NotificationSettings,
    mutedAt: r.muted_at,
    leftAlone: Number(r.left_alone) === 1,
  }));
}

/** Saves settings before muting (and the chats left alone); an existing row is kept, so a repeated mute never overwrites the original. */
export async function insertDutyMutes(db: Db, rows: readonly DutyMuteRecord[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 200) {
    await db
      .insertInto('duty_mutes')
      .values(
        rows.slice(i, i + 200).map((r) => ({
          account_id: r.accountId,
          chat_key: r.chatKey,
          td_chat_id: r.tdChatId,
          member_user_id: r.memberUserId,
          previous: JSON.stringify(r.previous),
          muted_at: r.mutedAt,
          left_alone: r.leftAlone ? 1 : 0,
        })),
      )
      .onConflict((oc) => oc.columns(['account_id', 'chat_key']).doNothing())
      .execute();
  }
}

export async function deleteDutyMutes(db: Db, accountId: string, chatKeys: readonly ChatKey[]): Promise<void> {
  for (let i = 0; i < chatKeys.length; i += 500) {
    await db.deleteFrom('duty_mutes').where('account_id', '=', accountId).where('chat_key', 'in', chatKeys.slice(i, i + 500)).execute();
  }
}
