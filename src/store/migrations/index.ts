/**
 * Schema migrations, applied in order by Kysely's Migrator at start and by `tgdesk migrate`.
 * One list serves SQLite and PostgreSQL. A released migration is never edited: add a new file.
 * Pending migrations run in one transaction on both (src/store/database.ts tells Kysely that
 * SQLite's DDL is transactional), so a process killed mid-migration leaves the schema as it was.
 */
import { Migrator, type Kysely, type MigrationProvider } from 'kysely';
import { syncCore } from './0001-sync-core.ts';
import { search } from './0002-search.ts';
import { teamState } from './0003-team-state.ts';
import { tasks } from './0004-tasks.ts';
import { teamOps } from './0005-team-ops.ts';
import { alertOutbox } from './0006-alert-outbox.ts';
import { searchEvents } from './0007-search-events.ts';
import { alarmActor } from './0008-alarm-actor.ts';
import { dutyLeftAlone } from './0009-duty-left-alone.ts';
import type { Dialect, MigrationFactory } from './types.ts';

export type { Dialect } from './types.ts';

/** Every migration, oldest first. Names sort in application order. */
export const MIGRATIONS: ReadonlyArray<readonly [string, MigrationFactory]> = [
  ['0001_sync_core', syncCore],
  ['0002_search', search],
  ['0003_team_state', teamState],
  ['0004_tasks', tasks],
  ['0005_team_ops', teamOps],
  ['0006_alert_outbox', alertOutbox],
  ['0007_search_events', searchEvents],
  ['0008_alarm_actor', alarmActor],
  ['0009_duty_left_alone', dutyLeftAlone],
];

export function migrationProvider(dialect: Dialect, migrations: typeof MIGRATIONS = MIGRATIONS): MigrationProvider {
  return {
    async getMigrations() {
      return Object.fromEntries(migrations.map(([name, factory]) => [name, factory(dialect)]));
    },
  };
}

export interface MigrationReport {
  readonly applied: readonly string[];
}

/**
 * `schema` names the PostgreSQL schema the tables live in. Kysely looks for its own bookkeeping
 * tables across every schema unless told which, so without it two tgdesk stores in one database
 * (tests, several installations) could mistake each other's migration state for their own.
 */
export async function migrateToLatest(db: Kysely<unknown>, dialect: Dialect, schema?: string, migrations: typeof MIGRATIONS = MIGRATIONS): Promise<MigrationReport> {
  const migrator = new Migrator({ db, provider: migrationProvider(dialect, migrations), ...(schema ? { migrationTableSchema: schema } : {}) });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error');
    throw new Error(`migration ${failed?.migrationName ?? '?'} failed: ${error instanceof Error ? error.message : String(error)}`);
  }
  return { applied: (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName) };
}
