/**
 * A daemon process on a remote simulated Telegram, as the reliability test runs it: the test
 * keeps the simulator (the ground truth) and kills this process with SIGKILL at random points.
 *
 * Environment: TGDESK_DATA_DIR (the store), SIM_URL (serveSimWorld's url), SIM_ACCOUNTS (JSON
 * [{accountId, userId}]), SIM_TEAM (JSON team config). Prints "synced" after every catch-up, and
 * closes cleanly on SIGTERM.
 */
import { Daemon } from '../../src/app/daemon.ts';
import { createLogger } from '../../src/shared/log.ts';
import { openStore } from '../../src/store/database.ts';
import { createTelegramAccount } from '../../src/tdlib/account.ts';
import { connectRemoteSimulator } from '../../src/tdlib/simulator/remote.ts';

const env = process.env;
const logger = createLogger({ level: 'warn' });
const store = await openStore({ dataDir: env.TGDESK_DATA_DIR!, ...(env.DATABASE_URL ? { databaseUrl: env.DATABASE_URL, pgSchema: env.PG_SCHEMA } : {}) });
await store.migrate();
const accounts = (JSON.parse(env.SIM_ACCOUNTS!) as { accountId: string; userId: number }[]).map(({ accountId, userId }) =>
  createTelegramAccount({ accountId, transport: connectRemoteSimulator(env.SIM_URL!, userId), logger: logger.child('tdlib', { accountId }) }),
);
const daemon = new Daemon({ store, accounts, logger, team: JSON.parse(env.SIM_TEAM!), backfillMessages: 1_000_000 });
await daemon.start();
await daemon.whenSynced();
process.stdout.write('synced\n');
process.once('SIGTERM', () => {
  void daemon
    .close()
    .then(() => store.close())
    .then(() => process.exit(0));
});
setInterval(() => undefined, 60_000);
