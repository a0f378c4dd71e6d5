/**
 * Alert messages waiting for, or past, their Telegram delivery (src/store/team-ops.tables.ts
 * `AlertOutboxTable`): stored with the alert that made them, so a restart sends what was waiting
 * and never sends twice what went out.
 */
import { type ColumnDefinitionBuilder, type Kysely } from 'kysely';
import { serialId, type MigrationFactory } from './types.ts';

export const alertOutbox: MigrationFactory = (dialect) => ({
  async up(db: Kysely<unknown>) {
    const id = (c: ColumnDefinitionBuilder) => (dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement());
    await db.schema
      .createTable('alert_outbox')
      .addColumn('id', serialId(dialect), id)
      .addColumn('alert_id', 'text', (c) => c.notNull())
      .addColumn('destination', 'text', (c) => c.notNull())
      .addColumn('td_chat_id', 'bigint', (c) => c.notNull())
      .addColumn('member_user_id', 'bigint')
      .addColumn('text', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('not_before', 'bigint')
      .addColumn('attempted_at', 'bigint')
      .addColumn('sent_at', 'bigint')
      .addColumn('error', 'text')
      .execute();
    // One message per alert firing and destination, whatever happens around a restart.
    await db.schema.createIndex('alert_outbox_unique').on('alert_outbox').columns(['alert_id', 'destination']).unique().execute();
    await db.schema.createIndex('alert_outbox_by_state').on('alert_outbox').columns(['state', 'id']).execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('alert_outbox').ifExists().execute();
  },
});
