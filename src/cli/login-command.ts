/**
 * `tgdesk login ACCOUNT`: logs one configured account in, interactively, with real TDLib.
 * The daemon itself never prompts; it reports which accounts need this.
 */
import { ConfigError, loadConfig } from '../config/config.ts';
import { createLogger } from '../shared/log.ts';
import { checkLoginAccount, runLogin } from './login.ts';
import { realAccountFactory } from './real-accounts.ts';

export async function runLoginCommand(args: string[]): Promise<number> {
  const config = loadConfig({ mode: 'tool' });
  const missing = [
    ...(config.apiId === null ? ['TGDESK_API_ID: required to log in (my.telegram.org → API development tools)'] : []),
    ...(config.apiHash === null ? ['TGDESK_API_HASH: required to log in (my.telegram.org → API development tools)'] : []),
  ];
  if (missing.length) throw new ConfigError(missing);
  // An account may be logged in before it is added to TGDESK_ACCOUNTS; accept the name given then.
  const configured = config.accounts.length > 0 ? config.accounts : args[0] ? [args[0]] : [];
  const check = checkLoginAccount(args[0], configured);
  if (!check.ok) {
    process.stderr.write(`tgdesk login: ${check.message}\n`);
    return 2;
  }
  const logger = createLogger({ level: config.logLevel === 'debug' ? 'debug' : 'warn', pretty: true });
  const account = realAccountFactory(config, logger)(check.accountId, 'login');
  const abort = new AbortController();
  process.once('SIGINT', () => abort.abort());
  try {
    const result = await runLogin({ account, signal: abort.signal, logger });
    return result.kind === 'ready' ? 0 : 1;
  } finally {
    await account.close().catch(() => undefined);
  }
}
