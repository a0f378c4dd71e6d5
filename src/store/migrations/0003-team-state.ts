/**
 * What the team adds on top of Telegram: alarms, acknowledgements, stars, chat settings,
 * overdue policies, the waiting state and its response episodes, the audit log, preferences,
 * API tokens, and the event log that subscribers resume from.
 */
import type { Kysely } from 'kysely';
import { serialId, type MigrationFactory } from './types.ts';

export const teamState: MigrationFactory = (dialect) => ({
  async up(db: Kysely<unknown>) {
    const id = (c: import('kysely').ColumnDefinitionBuilder) => (dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement());

    await db.schema
      .createTable('events')
      .addColumn('seq', serialId(dialect), id)
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('account_id', 'text')
      .addColumn('chat_key', 'text')
      .addColumn('payload', 'text', (c) => c.notNull())
      .addColumn('at', 'bigint', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('alarms')
      .addColumn('chat_key', 'text', (c) => c.primaryKey())
      .addColumn('raised_by', 'bigint', (c) => c.notNull())
      .addColumn('raised_at', 'bigint', (c) => c.notNull())
      .addColumn('reason', 'text', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('acknowledgements')
      .addColumn('id', serialId(dialect), id)
      .addColumn('chat_key', 'text', (c) => c.notNull())
      .addColumn('by_user_id', 'bigint', (c) => c.notNull())
      .addColumn('at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('acknowledgements_by_chat').on('acknowledgements').columns(['chat_key', 'at']).execute();

    await db.schema
      .createTable('stars')
      .addColumn('member_user_id', 'bigint', (c) => c.notNull())
      .addColumn('chat_key', 'text', (c) => c.notNull())
      .addColumn('at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('stars_pk', ['member_user_id', 'chat_key'])
      .execute();

    await db.schema
      .createTable('chat_settings')
      .addColumn('chat_key', 'text', (c) => c.primaryKey())
      .addColumn('kind_override', 'text')
      .addColumn('policy_id', 'text')
      .addColumn('manual_position', 'integer')
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('policies')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('threshold_seconds', 'integer', (c) => c.notNull())
      .addColumn('time_zone', 'text')
      .addColumn('business_hours', 'text')
      .addColumn('ignore_patterns', 'text', (c) => c.notNull().defaultTo('[]'))
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('waiting_state')
      .addColumn('chat_key', 'text', (c) => c.primaryKey())
      .addColumn('waiting_since', 'bigint')
      .addColumn('first_message_id', 'bigint')
      .addColumn('deadline', 'bigint')
      .addColumn('overdue_since', 'bigint')
      .addColumn('acknowledged_by', 'bigint')
      .addColumn('acknowledged_at', 'bigint')
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('response_episodes')
      .addColumn('id', serialId(dialect), id)
      .addColumn('chat_key', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('started_at', 'bigint', (c) => c.notNull())
      .addColumn('first_message_id', 'bigint')
      .addColumn('ended_at', 'bigint')
      .addColumn('ended_by', 'text')
      .addColumn('answered_by', 'bigint')
      .addColumn('overdue_at', 'bigint')
      .addColumn('threshold_seconds', 'integer', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('response_episodes_by_chat').on('response_episodes').columns(['chat_key', 'started_at']).execute();
    // Recomputing a chat's waits after a restart finds episodes already recorded live: keep those.
    await db.schema.createIndex('response_episodes_identity').on('response_episodes').columns(['chat_key', 'first_message_id', 'started_at']).unique().execute();
    await db.schema.createIndex('response_episodes_by_start').on('response_episodes').columns(['started_at']).execute();

    await db.schema
      .createTable('audit_log')
      .addColumn('id', serialId(dialect), id)
      .addColumn('at', 'bigint', (c) => c.notNull())
      .addColumn('actor', 'text', (c) => c.notNull())
      .addColumn('action', 'text', (c) => c.notNull())
      .addColumn('account_id', 'text')
      .addColumn('chat_key', 'text')
      .addColumn('details', 'text', (c) => c.notNull().defaultTo('{}'))
      .addColumn('outcome', 'text', (c) => c.notNull())
      .addColumn('error_code', 'text')
      .execute();
    await db.schema.createIndex('audit_log_by_time').on('audit_log').columns(['at']).execute();

    await db.schema
      .createTable('preferences')
      .addColumn('member_user_id', 'bigint', (c) => c.primaryKey())
      .addColumn('send_typing', 'integer', (c) => c.notNull().defaultTo(1))
      .addColumn('link_previews', 'integer', (c) => c.notNull().defaultTo(1))
      .addColumn('language', 'text')
      .addColumn('alert_channels', 'text', (c) => c.notNull().defaultTo('[]'))
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();

    // An account's default mute per scope: what "muted" means for chats that use the default.
    await db.schema
      .createTable('scope_notification_settings')
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('scope', 'text', (c) => c.notNull())
      .addColumn('mute_for', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('scope_notification_settings_pk', ['account_id', 'scope'])
      .execute();

    await db.schema
      .createTable('api_tokens')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('role', 'text', (c) => c.notNull())
      .addColumn('member_user_id', 'bigint')
      .addColumn('hash', 'text', (c) => c.notNull().unique())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('last_used_at', 'bigint')
      .addColumn('revoked_at', 'bigint')
      .execute();
  },
  async down(db: Kysely<unknown>) {
    for (const t of ['api_tokens', 'scope_notification_settings', 'preferences', 'audit_log', 'response_episodes', 'waiting_state', 'policies', 'chat_settings', 'stars', 'acknowledgements', 'alarms', 'events']) {
      await db.schema.dropTable(t).ifExists().execute();
    }
  },
});
