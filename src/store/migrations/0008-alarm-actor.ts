/**
 * Who raised an alarm, as the audit log names the caller (`token:<name>`): an integration such as
 * the portal has no team member id, so `raised_by` alone (0 for it) said nothing about who it was.
 * Alarms raised before this migration keep null.
 */
import type { Kysely } from 'kysely';
import type { MigrationFactory } from './types.ts';

export const alarmActor: MigrationFactory = () => ({
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('alarms').addColumn('raised_by_actor', 'text').execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.alterTable('alarms').dropColumn('raised_by_actor').execute();
  },
});
