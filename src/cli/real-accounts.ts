/** Accounts on real TDLib, as `tgdesk start` and `tgdesk login` create them from the config. */
import type { Config } from '../config/config.ts';
import type { Logger } from '../shared/log.ts';
import { createTelegramAccount } from '../tdlib/account.ts';
import type { TelegramAccount } from '../tdlib/port.ts';
import { createTdlTransportFactory } from '../tdlib/tdl-transport.ts';

/** Needs `apiId` and `apiHash`; callers check them (config mode `start`, or `login`'s own check). */
export function realAccountFactory(config: Config, logger: Logger): (accountId: string, component?: string) => TelegramAccount {
  const transports = createTdlTransportFactory({
    apiId: config.apiId!,
    apiHash: config.apiHash!.reveal(),
    dataDir: config.dataDir,
    databaseEncryptionKey: config.databaseEncryptionKey?.reveal(),
    logger: logger.child('tdlib'),
  });
  return (accountId, component = 'tdlib') => createTelegramAccount({ accountId, transport: transports(accountId), logger: logger.child(component, { accountId }) });
}
