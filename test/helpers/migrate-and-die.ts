/**
 * Applies the real migrations and then one more that creates a table and kills its own process
 * with SIGKILL before it can finish: a daemon killed in the middle of a migration. TGDESK_DATA_DIR
 * names the SQLite store.
 */
import { sql, type Kysely } from 'kysely';
import { openStore } from '../../src/store/database.ts';
import { MIGRATIONS, migrateToLatest } from '../../src/store/migrations/index.ts';

const store = await openStore({ dataDir: process.env.TGDESK_DATA_DIR! });
const dying = () => ({
  async up(db: Kysely<unknown>) {
    await sql`create table half_done (id integer primary key)`.execute(db);
    process.kill(process.pid, 'SIGKILL');
    await new Promise(() => undefined);
  },
});
await migrateToLatest(store.db as Kysely<unknown>, 'sqlite', undefined, [...MIGRATIONS, ['9999_dies_midway', dying]]);
