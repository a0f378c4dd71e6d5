/** `tgdesk migrate`: applies the store's migrations and reports what it did. */
import { loadConfig } from '../config/config.ts';
import { openStore } from '../store/database.ts';

export async function runMigrateCommand(): Promise<number> {
  const config = loadConfig({ mode: 'tool' });
  const store = await openStore({ dataDir: config.dataDir, databaseUrl: config.databaseUrl?.reveal() });
  try {
    const { applied } = await store.migrate();
    process.stdout.write(applied.length ? `applied ${applied.join(', ')} to ${store.location}\n` : `${store.location} is up to date\n`);
    return 0;
  } finally {
    await store.close();
  }
}
