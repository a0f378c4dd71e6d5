/**
 * Tasks from messages and their portal outbox (issue 6).
 */
import type { Kysely } from 'kysely';
import { serialId, type MigrationFactory } from './types.ts';

export const tasks: MigrationFactory = (dialect) => ({
  async up(db: Kysely<unknown>) {
    const id = (c: import('kysely').ColumnDefinitionBuilder) => (dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement());

    await db.schema
      .createTable('tasks')
      .addColumn('id', serialId(dialect), id)
      .addColumn('chat_key', 'text', (c) => c.notNull())
      .addColumn('title', 'text', (c) => c.notNull())
      .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('assignee_id', 'bigint')
      .addColumn('created_by_user_id', 'bigint')
      .addColumn('created_by_name', 'text', (c) => c.notNull())
      .addColumn('created_by_source', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addColumn('closed_by_user_id', 'bigint')
      .addColumn('closed_by_name', 'text')
      .addColumn('closed_by_source', 'text')
      .addColumn('closed_at', 'bigint')
      .addColumn('anchor_message_id', 'bigint', (c) => c.notNull())
      .addColumn('telegram_link', 'text')
      .addColumn('portal_task_id', 'text')
      .addColumn('portal_url', 'text')
      .addColumn('version', 'integer', (c) => c.notNull())
      .addColumn('outbox_seq', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('reaction', 'text')
      .execute();
    await db.schema.createIndex('tasks_by_chat').on('tasks').columns(['chat_key', 'status', 'id']).execute();
    await db.schema.createIndex('tasks_by_status').on('tasks').columns(['status', 'id']).execute();
    await db.schema.createIndex('tasks_by_assignee').on('tasks').columns(['assignee_id', 'status', 'id']).execute();
    await db.schema.createIndex('tasks_by_portal_id').on('tasks').columns(['portal_task_id']).execute();

    await db.schema
      .createTable('task_messages')
      .addColumn('task_id', 'bigint', (c) => c.notNull())
      .addColumn('message_id', 'bigint', (c) => c.notNull())
      .addColumn('position', 'integer', (c) => c.notNull())
      .addColumn('chat_key', 'text', (c) => c.notNull())
      .addColumn('sender_key', 'text', (c) => c.notNull())
      .addColumn('sender_user_id', 'bigint')
      .addColumn('sender_name', 'text', (c) => c.notNull())
      .addColumn('sent_at', 'bigint', (c) => c.notNull())
      .addColumn('text', 'text', (c) => c.notNull())
      .addColumn('content_kind', 'text', (c) => c.notNull())
      .addColumn('media_summary', 'text')
      .addPrimaryKeyConstraint('task_messages_pk', ['task_id', 'message_id'])
      .execute();
    // Message.tasks: which tasks a page of history belongs to.
    await db.schema.createIndex('task_messages_by_message').on('task_messages').columns(['message_id', 'task_id']).execute();

    await db.schema
      .createTable('outbox')
      .addColumn('id', serialId(dialect), id)
      .addColumn('task_id', 'bigint', (c) => c.notNull())
      .addColumn('seq', 'integer', (c) => c.notNull())
      .addColumn('idempotency_key', 'text', (c) => c.notNull().unique())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('body', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
      .addColumn('lease_until', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('leased_by', 'text')
      .addColumn('last_status', 'integer')
      .addColumn('last_error', 'text')
      .addColumn('delivered_at', 'bigint')
      .addColumn('dead_at', 'bigint')
      .execute();
    await db.schema.createIndex('outbox_task_order').on('outbox').columns(['task_id', 'seq']).unique().execute();
    await db.schema.createIndex('outbox_due').on('outbox').columns(['state', 'next_attempt_at', 'id']).execute();

    await db.schema
      .createTable('portal_inbound')
      .addColumn('request_id', 'text', (c) => c.primaryKey())
      .addColumn('task_id', 'bigint', (c) => c.notNull())
      .addColumn('received_at', 'bigint', (c) => c.notNull())
      .execute();
  },
  async down(db: Kysely<unknown>) {
    for (const t of ['portal_inbound', 'outbox', 'task_messages', 'tasks']) await db.schema.dropTable(t).ifExists().execute();
  },
});
