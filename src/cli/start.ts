/** `tgdesk start`: the daemon with real Telegram accounts through TDLib. */
import { loadConfig } from '../config/config.ts';
import { createLogger } from '../shared/log.ts';
import { openStore } from '../store/database.ts';
import { createTelegramAccount } from '../tdlib/account.ts';
import { createTdlTransportFactory } from '../tdlib/tdl-transport.ts';
import { runDaemon } from './run-daemon.ts';

export async function runStartCommand(): Promise<number> {
  const config = loadConfig({ mode: 'start' });
  const logger = createLogger({ level: config.logLevel, pretty: Boolean(process.stderr.isTTY) });
  const store = await openStore({ dataDir: config.dataDir, databaseUrl: config.databaseUrl?.reveal() });
  const transports = createTdlTransportFactory({
    apiId: config.apiId!,
    apiHash: config.apiHash!.reveal(),
    dataDir: config.dataDir,
    databaseEncryptionKey: config.databaseEncryptionKey?.reveal(),
    logger: logger.child('tdlib'),
  });
  const accounts = config.accounts.map((accountId) =>
    createTelegramAccount({ accountId, transport: transports(accountId), logger: logger.child('tdlib', { accountId }) }),
  );
  const running = await runDaemon({ config, store, accounts, logger, graphiql: false });
  process.stdout.write(`tgdesk is running: GraphQL at ${running.api.url}/graphql (store: ${store.location})\n`);
  for (const sync of running.daemon.syncs.values()) {
    if (sync.authState.kind === 'waitPhoneNumber') process.stdout.write(`account ${sync.accountId} is not logged in: run \`tgdesk login ${sync.accountId}\`\n`);
  }
  await running.stopped;
  return 0;
}
