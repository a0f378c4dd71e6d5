/**
 * Runs the daemon until SIGINT/SIGTERM: store, accounts, API. On a signal it stops accepting
 * requests, closes every TDLib client and waits for them, then closes the store, so that TDLib's
 * databases are flushed (an unclean stop can make TDLib forget recent message ids).
 */
import type { Config } from '../config/config.ts';
import { teamOpsOptions } from './team-ops-options.ts';
import { Daemon } from '../app/daemon.ts';
import { startApiServer, type ApiServer } from '../graphql/server.ts';
import { createPortalConnector, type PortalConnector } from '../portal/connector.ts';
import type { Logger } from '../shared/log.ts';
import type { Store } from '../store/database.ts';
import type { TelegramAccount } from '../tdlib/port.ts';

export interface RunningDaemon {
  readonly daemon: Daemon;
  readonly api: ApiServer;
  /** The portal connector (docs/portal.md), when TGDESK_PORTAL_SECRET is set. */
  readonly portal: PortalConnector | null;
  /** Resolves when the process was asked to stop and everything is closed. */
  readonly stopped: Promise<void>;
  stop(): Promise<void>;
}

export async function runDaemon(options: {
  config: Config;
  store: Store;
  accounts: readonly TelegramAccount[];
  logger: Logger;
  graphiql: boolean;
  /** Team settings that override the config (the demo's roster). */
  team?: Partial<import('../app/team-model.ts').TeamConfig>;
  beforeStop?: () => Promise<void> | void;
}): Promise<RunningDaemon> {
  const { config, store, logger } = options;
  await store.migrate();
  const daemon = new Daemon({
    store,
    accounts: options.accounts,
    logger,
    backfillMessages: config.backfillMessages,
    teamOps: teamOpsOptions(config),
    tasks: config.tasks,
    team: {
      teamChatId: config.team.chatId,
      members: config.team.members,
      supportChatIds: config.classification.supportChatIds,
      otherChatIds: config.classification.otherChatIds,
      supportTitlePattern: config.classification.supportTitlePattern,
      ...options.team,
    },
  });
  // Task events out to TGDESK_PORTAL_URL; the portal's signed commands in, on the API's port.
  const portal = config.portal.secret ? createPortalConnector({ daemon, url: config.portal.url, secret: config.portal.secret.reveal(), logger: logger.child('portal') }) : null;
  const api = await startApiServer({ daemon, logger: logger.child('api'), host: config.host, port: config.port, graphiql: options.graphiql, ...(portal ? { routes: portal.routes } : {}) });
  await daemon.start();
  portal?.start();

  let stopping: Promise<void> | null = null;
  let resolveStopped!: () => void;
  const stopped = new Promise<void>((r) => (resolveStopped = r));
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      logger.info('stopping: closing the API and every Telegram client');
      await options.beforeStop?.();
      await api.close().catch((error) => logger.warn('API close failed', { error }));
      await portal?.stop().catch((error) => logger.warn('portal connector stop failed', { error }));
      await daemon.close();
      await store.close().catch((error) => logger.warn('store close failed', { error }));
      logger.info('stopped');
      resolveStopped();
    })();
    return stopping;
  };
  const onSignal = (signal: string) => {
    logger.info(`received ${signal}`);
    void stop();
  };
  process.once('SIGINT', () => onSignal('SIGINT'));
  process.once('SIGTERM', () => onSignal('SIGTERM'));
  return { daemon, api, portal, stopped, stop };
}
