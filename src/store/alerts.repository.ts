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
