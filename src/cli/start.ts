/** `tgdesk start`: the daemon with real Telegram accounts through TDLib. */
import { loadConfig } from '../config/config.ts';
import { createLogger } from '../shared/log.ts';
import { openStore } from '../store/database.ts';
import { realAccountFactory } from './real-accounts.ts';
import { runDaemon } from './run-daemon.ts';

export async function runStartCommand(): Promise<number> {
  const config = loadConfig({ mode: 'start' });
  const logger = createLogger({ level: config.logLevel, pretty: Boolean(process.stderr.isTTY) });
  const store = await openStore({ dataDir: config.dataDir, databaseUrl: config.databaseUrl?.reveal() });
  const createAccount = realAccountFactory(config, logger);
  const accounts = config.accounts.map((accountId) => createAccount(accountId));
  const running = await runDaemon({ config, store, accounts, logger, graphiql: false });
  process.stdout.write(`tgdesk is running: GraphQL at ${running.api.url}/graphql (store: ${store.location})\n`);
  for (const sync of running.daemon.syncs.values()) {
    if (sync.authState.kind === 'waitPhoneNumber') process.stdout.write(`account ${sync.accountId} is not logged in: run \`tgdesk login ${sync.accountId}\`\n`);
  }
  await running.stopped;
  return 0;
}
