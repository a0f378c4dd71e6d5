/** The sync core: accounts, users, chats, per-account chat state, messages and sync cursors. */
import type { Kysely } from 'kysely';
import { serialId, type MigrationFactory } from './types.ts';

export const syncCore: MigrationFactory = (dialect) => ({
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('accounts')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('user_id', 'bigint')
      .addColumn('auth_state', 'text', (c) => c.notNull())
      .addColumn('sync_state', 'text', (c) => c.notNull())
      .addColumn('sync_complete', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('users')
      .addColumn('id', 'bigint', (c) => c.primaryKey())
      .addColumn('first_name', 'text', (c) => c.notNull())
      .addColumn('last_name', 'text', (c) => c.notNull())
      .addColumn('username', 'text')
      .addColumn('is_bot', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('last_seen_at', 'bigint')
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('team_members')
      .addColumn('user_id', 'bigint', (c) => c.primaryKey())
      .addColumn('role', 'text', (c) => c.notNull())
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('name', 'text')
      .addColumn('added_at', 'bigint', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('chats')
      .addColumn('key', 'text', (c) => c.primaryKey())
      .addColumn('td_chat_id', 'bigint', (c) => c.notNull())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('type_id', 'bigint', (c) => c.notNull())
      .addColumn('title', 'text', (c) => c.notNull())
      .addColumn('first_seen_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('chat_members')
      .addColumn('chat_key', 'text', (c) => c.notNull())
      .addColumn('user_id', 'bigint', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('chat_members_pk', ['chat_key', 'user_id'])
      .execute();

    await db.schema
      .createTable('account_chats')
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('chat_key', 'text', (c) => c.notNull())
      .addColumn('td_chat_id', 'bigint', (c) => c.notNull())
      .addColumn('unread_count', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('last_read_inbox_id', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('last_read_outbox_id', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('unread_mention_count', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('is_marked_as_unread', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('notification_settings', 'text', (c) => c.notNull().defaultTo('{}'))
      .addColumn('positions', 'text', (c) => c.notNull().defaultTo('[]'))
      .addColumn('last_td_message_id', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('account_chats_pk', ['account_id', 'chat_key'])
      .execute();
    await db.schema
      .createIndex('account_chats_by_td_id')
      .on('account_chats')
      .columns(['account_id', 'td_chat_id'])
      .unique()
      .execute();

    await db.schema
      .createTable('sync_cursors')
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('td_chat_id', 'bigint', (c) => c.notNull())
      .addColumn('complete_to_td_message_id', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('is_synced', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('sync_cursors_pk', ['account_id', 'td_chat_id'])
      .execute();

    await db.schema
      .createTable('messages')
      .addColumn('id', serialId(dialect), (c) =>
        dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
      )
      .addColumn('chat_key', 'text', (c) => c.notNull())
      .addColumn('msg_key', 'text', (c) => c.notNull())
      .addColumn('sort_key', 'bigint', (c) => c.notNull())
      .addColumn('sender_key', 'text', (c) => c.notNull())
      .addColumn('sender_user_id', 'bigint')
      .addColumn('date', 'bigint', (c) => c.notNull())
      .addColumn('edit_date', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('reply_to_key', 'text')
      .addColumn('text', 'text', (c) => c.notNull())
      .addColumn('entities', 'text', (c) => c.notNull().defaultTo('[]'))
      .addColumn('has_mention', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('content_kind', 'text', (c) => c.notNull())
      .addColumn('media_summary', 'text')
      .addColumn('is_service', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('deleted_at', 'bigint')
      .addColumn('first_seen_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('messages_identity').on('messages').columns(['chat_key', 'msg_key']).unique().execute();
    await db.schema.createIndex('messages_by_position').on('messages').columns(['chat_key', 'sort_key']).execute();
    await db.schema.createIndex('messages_by_date').on('messages').columns(['date']).execute();

    await db.schema
      .createTable('message_aliases')
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('chat_key', 'text', (c) => c.notNull())
      .addColumn('td_message_id', 'bigint', (c) => c.notNull())
      .addColumn('message_id', 'bigint', (c) => c.notNull())
      .addColumn('sender_key', 'text', (c) => c.notNull())
      .addColumn('date', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('message_aliases_pk', ['account_id', 'chat_key', 'td_message_id'])
      .execute();
    await db.schema
      .createIndex('message_aliases_by_sender_second')
      .on('message_aliases')
      .columns(['account_id', 'chat_key', 'sender_key', 'date'])
      .execute();
    await db.schema.createIndex('message_aliases_by_message').on('message_aliases').columns(['message_id']).execute();
  },
  async down(db: Kysely<unknown>) {
    for (const t of ['message_aliases', 'messages', 'sync_cursors', 'account_chats', 'chat_members', 'chats', 'team_members', 'users', 'accounts']) {
      await db.schema.dropTable(t).ifExists().execute();
    }
  },
});
