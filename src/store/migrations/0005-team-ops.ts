/**
 * Team operations: membership jobs and items, per-account add limits, duty schedules,
 * overrides and saved notification settings, and alert state (src/store/team-ops.tables.ts).
 */
import { sql, type ColumnDefinitionBuilder, type Kysely } from 'kysely';
import { serialId, type MigrationFactory } from './types.ts';

export const teamOps: MigrationFactory = (dialect) => ({
  async up(db: Kysely<unknown>) {
    const id = (c: ColumnDefinitionBuilder) => (dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement());

    await db.schema
      .createTable('membership_jobs')
      .addColumn('id', serialId(dialect), id)
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('action', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('reason', 'text')
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('member_user_ids', 'text', (c) => c.notNull())
      .addColumn('request', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addColumn('finished_at', 'bigint')
      .execute();
    await db.schema.createIndex('membership_jobs_by_state').on('membership_jobs').columns(['state', 'id']).execute();

    await db.schema
      .createTable('membership_job_items')
      .addColumn('id', serialId(dialect), id)
      .addColumn('job_id', 'bigint', (c) => c.notNull())
      .addColumn('chat_key', 'text', (c) => c.notNull())
      .addColumn('td_chat_id', 'bigint', (c) => c.notNull())
      .addColumn('chat_type', 'text', (c) => c.notNull())
      .addColumn('title', 'text', (c) => c.notNull())
      .addColumn('member_user_id', 'bigint', (c) => c.notNull())
      .addColumn('action', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('account_id', 'text')
      .addColumn('candidates', 'text', (c) => c.notNull())
      .addColumn('reason', 'text')
      .addColumn('invite_link', 'text')
      .addColumn('invite_delivery', 'text')
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('not_before', 'bigint')
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('membership_job_items_by_job').on('membership_job_items').columns(['job_id', 'id']).execute();
    // The store's own guarantee that two jobs never act on one member in one chat at once:
    // at most one unfinished item per (chat, member), whatever process created it.
    await sql`create unique index membership_job_items_active on membership_job_items (chat_key, member_user_id) where state in ('pending', 'running')`.execute(db);

    await db.schema
      .createTable('account_add_limits')
      .addColumn('account_id', 'text', (c) => c.primaryKey())
      .addColumn('last_add_at', 'bigint')
      .addColumn('window_start', 'bigint')
      .addColumn('adds_in_window', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('blocked_until', 'bigint')
      .addColumn('blocked_reason', 'text')
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('duty_schedules')
      .addColumn('member_user_id', 'bigint', (c) => c.primaryKey())
      .addColumn('time_zone', 'text', (c) => c.notNull())
      .addColumn('shifts', 'text', (c) => c.notNull())
      .addColumn('mute_off_duty', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('duty_overrides')
      .addColumn('id', serialId(dialect), id)
      .addColumn('member_user_id', 'bigint', (c) => c.notNull())
      .addColumn('starts_at', 'bigint', (c) => c.notNull())
      .addColumn('ends_at', 'bigint', (c) => c.notNull())
      .addColumn('on_duty', 'integer', (c) => c.notNull())
      .addColumn('note', 'text')
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('duty_overrides_by_end').on('duty_overrides').columns(['ends_at']).execute();

    await db.schema
      .createTable('duty_mutes')
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('chat_key', 'text', (c) => c.notNull())
      .addColumn('td_chat_id', 'bigint', (c) => c.notNull())
      .addColumn('member_user_id', 'bigint', (c) => c.notNull())
      .addColumn('previous', 'text', (c) => c.notNull())
      .addColumn('muted_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('duty_mutes_pk', ['account_id', 'chat_key'])
      .execute();

    await db.schema
      .createTable('alert_state')
      .addColumn('key', 'text', (c) => c.primaryKey())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('chat_key', 'text', (c) => c.notNull())
      .addColumn('first_seen_at', 'bigint', (c) => c.notNull())
      .addColumn('sent_at', 'bigint')
      .addColumn('last_sent_at', 'bigint')
      .addColumn('reminders', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
  },
  async down(db: Kysely<unknown>) {
    for (const t of ['alert_state', 'duty_mutes', 'duty_overrides', 'duty_schedules', 'account_add_limits', 'membership_job_items', 'membership_jobs']) {
      await db.schema.dropTable(t).ifExists().execute();
    }
  },
});
