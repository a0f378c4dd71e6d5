/**
 * The off-duty switch also records the support chats it looked at and left alone because they
 * were already silent. Kept only in memory before, that set was lost at a restart during off-duty
 * time, and the catch-up at start muted a chat the member had unmuted on the phone since the switch.
 */
import type { Kysely } from 'kysely';
import type { MigrationFactory } from './types.ts';

export const dutyLeftAlone: MigrationFactory = () => ({
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('duty_mutes').addColumn('left_alone', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.alterTable('duty_mutes').dropColumn('left_alone').execute();
  },
});
