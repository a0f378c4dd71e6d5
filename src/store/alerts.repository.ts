/** What the alert rules remember between looks (src/domain/alerts.ts `AlertRecord`). */
import type { Kysely } from 'kysely';
import type { AlertKind, AlertRecord } from '../domain/alerts.ts';
import type { Database } from './schema.ts';

type Db = Kysely<Database>;

export async function listAlertState(db: Db): Promise<AlertRecord[]> {
  const rows = await db.selectFrom('alert_state').selectAll().execute();
  return rows.map((r) => ({
    key: r.key,
    kind: r.kind as AlertKind,
    chatKey: r.chat_key,
    firstSeenAt: r.first_seen_at,
    sentAt: r.sent_at,
    lastSentAt: r.last_sent_at,
    reminders: r.reminders,
  }));
}

export async function putAlertState(db: Db, records: readonly AlertRecord[]): Promise<void> {
  for (const r of records) {
    const values = { kind: r.kind, chat_key: r.chatKey, first_seen_at: r.firstSeenAt, sent_at: r.sentAt, last_sent_at: r.lastSentAt, reminders: r.reminders };
    await db
      .insertInto('alert_state')
      .values({ key: r.key, ...values })
      .onConflict((oc) => oc.column('key').doUpdateSet(values))
      .execute();
  }
}

export async function deleteAlertState(db: Db, keys: readonly string[]): Promise<void> {
  for (let i = 0; i < keys.length; i += 500) await db.deleteFrom('alert_state').where('key', 'in', keys.slice(i, i + 500)).execute();
}

// ---- the outbox of alert messages (migration 0006) ------------------------------------------

export type AlertDeliveryState = 'pending' | 'sending' | 'sent' | 'failed';

export interface AlertDeliveryRecord {
  readonly id: number;
  readonly alertId: string;
  readonly destination: string;
  readonly tdChatId: number;
  readonly memberUserId: number | null;
  readonly text: string;
  readonly state: AlertDeliveryState;
  readonly createdAt: number;
  readonly notBefore: number | null;
  readonly attemptedAt: number | null;
  readonly sentAt: number | null;
  readonly error: string | null;
}

export type NewAlertDelivery = Pick<AlertDeliveryRecord, 'alertId' | 'destination' | 'tdChatId' | 'memberUserId' | 'text' | 'createdAt'>;

type OutboxRow = Awaited<ReturnType<ReturnType<typeof selectOutbox>['execute']>>[number];
const selectOutbox = (db: Db) => db.selectFrom('alert_outbox').selectAll();

function deliveryOf(r: OutboxRow): AlertDeliveryRecord {
  return {
    id: Number(r.id),
    alertId: r.alert_id,
    destination: r.destination,
    tdChatId: Number(r.td_chat_id),
    memberUserId: r.member_user_id === null ? null : Number(r.member_user_id),
    text: r.text,
    state: r.state as AlertDeliveryState,
    createdAt: Number(r.created_at),
    notBefore: r.not_before === null ? null : Number(r.not_before),
    attemptedAt: r.attempted_at === null ? null : Number(r.attempted_at),
    sentAt: r.sent_at === null ? null : Number(r.sent_at),
    error: r.error,
  };
}

/** Stores messages to send, pending; one per alert firing and destination (a repeat is ignored). */
export async function insertAlertDeliveries(db: Db, rows: readonly NewAlertDelivery[]): Promise<AlertDeliveryRecord[]> {
  const out: AlertDeliveryRecord[] = [];
  for (const r of rows) {
    const inserted = await db
      .insertInto('alert_outbox')
      .values({ alert_id: r.alertId, destination: r.destination, td_chat_id: r.tdChatId, member_user_id: r.memberUserId, text: r.text, state: 'pending', created_at: r.createdAt, not_before: null, attempted_at: null, sent_at: null, error: null })
      .onConflict((oc) => oc.columns(['alert_id', 'destination']).doNothing())
      .returningAll()
      .executeTakeFirst();
    if (inserted) out.push(deliveryOf(inserted));
  }
  return out;
}

/** Messages not sent yet, and those whose send was under way when the daemon stopped, oldest first. */
export async function listUnfinishedAlertDeliveries(db: Db): Promise<AlertDeliveryRecord[]> {
  return (await selectOutbox(db).where('state', 'in', ['pending', 'sending']).orderBy('id').execute()).map(deliveryOf);
}

/** Sends since `since`, oldest first: what the rate limits were spent on. */
export async function listAlertSendsSince(db: Db, since: number): Promise<{ destination: string; sentAt: number }[]> {
  const rows = await db.selectFrom('alert_outbox').select(['destination', 'sent_at']).where('state', '=', 'sent').where('sent_at', '>=', since).orderBy('sent_at').orderBy('id').execute();
  return rows.map((r) => ({ destination: r.destination, sentAt: Number(r.sent_at) }));
}

export async function updateAlertDelivery(db: Db, id: number, patch: Partial<Pick<AlertDeliveryRecord, 'state' | 'notBefore' | 'attemptedAt' | 'sentAt' | 'error'>>): Promise<void> {
  await db
    .updateTable('alert_outbox')
    .set({
      ...(patch.state !== undefined ? { state: patch.state } : {}),
      ...(patch.notBefore !== undefined ? { not_before: patch.notBefore } : {}),
      ...(patch.attemptedAt !== undefined ? { attempted_at: patch.attemptedAt } : {}),
      ...(patch.sentAt !== undefined ? { sent_at: patch.sentAt } : {}),
      ...(patch.error !== undefined ? { error: patch.error } : {}),
    })
    .where('id', '=', id)
    .execute();
}

/** Forgets finished messages created before `before`. */
export async function pruneAlertDeliveries(db: Db, before: number): Promise<void> {
  await db.deleteFrom('alert_outbox').where('state', 'in', ['sent', 'failed']).where('created_at', '<', before).execute();
}
