/**
 * The portal connector, assembled: the delivery worker that posts the outbox to
 * TGDESK_PORTAL_URL, and the signed command endpoint the portal posts back to. The composition
 * root (src/cli) starts it beside the daemon and mounts `routes` on the API's port.
 */
import type { Daemon } from '../app/daemon.ts';
import type { Logger } from '../shared/log.ts';
import { PortalDelivery, type PortalDeliveryOptions } from './delivery.ts';
import { createPortalInbound, PORTAL_COMMANDS_PATH, type HttpHandler } from './inbound.ts';

export interface PortalConnectorOptions {
  readonly daemon: Daemon;
  /** Where task events go; null: commands are accepted but nothing is sent. */
  readonly url: string | null;
  readonly secret: string;
  readonly logger: Logger;
  readonly delivery?: Partial<Pick<PortalDeliveryOptions, 'concurrency' | 'timeoutMs' | 'pollMs' | 'clock' | 'fetch'>>;
}

export interface PortalConnector {
  readonly delivery: PortalDelivery | null;
  /** HTTP handlers by exact path, to mount on the API server. */
  readonly routes: Readonly<Record<string, HttpHandler>>;
  start(): void;
  stop(): Promise<void>;
}

export function createPortalConnector(options: PortalConnectorOptions): PortalConnector {
  const { daemon, logger } = options;
  const delivery = options.url
    ? new PortalDelivery({ outbox: daemon.portalOutbox, url: options.url, secret: options.secret, logger: logger.child('delivery'), ...options.delivery })
    : null;
  const inbound = createPortalInbound({ tasks: daemon.tasks, secret: options.secret, logger: logger.child('inbound'), ...(options.delivery?.clock ? { clock: options.delivery.clock } : {}) });
  return {
    delivery,
    routes: { [PORTAL_COMMANDS_PATH]: inbound },
    start: () => delivery?.start(),
    stop: async () => {
      await delivery?.stop();
    },
  };
}
