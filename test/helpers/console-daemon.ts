/**
 * A daemon on the simulated support company with its API on 127.0.0.1, made for the operator
 * console's browser tests and benchmark: membership jobs fast enough to watch, tokens for an
 * admin and a manager who have accounts, the console built from this checkout, and Debian's
 * Chromium (never a downloaded one).
 */
import type { Page } from 'playwright-core';
import { Daemon, type DaemonOptions } from '../../src/app/daemon.ts';
import { createDemoWorld, type DemoWorld } from '../../src/cli/demo.ts';
import { startApiServer, type ApiServer } from '../../src/graphql/server.ts';
import { createMemoryLogger } from '../../src/shared/log.ts';
import { buildWebApp, saveScreenshot } from './browser-apps.ts';
import { createTestStore, type TestStore } from './stores.ts';

export { ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, launchChromium } from './browser-apps.ts';

export interface ConsoleDaemon {
  readonly daemon: Daemon;
  readonly demo: DemoWorld;
  readonly api: ApiServer;
  readonly url: string;
  /** Team members with accounts, and their tokens. */
  readonly admin: { readonly userId: number; readonly accountId: string; readonly token: string };
  readonly manager: { readonly userId: number; readonly accountId: string; readonly token: string };
  gql<T>(query: string, variables?: Record<string, unknown>, token?: string): Promise<T>;
  dispose(): Promise<void>;
}

export interface ConsoleDaemonOptions {
  readonly seed?: number;
  readonly teamOps?: DaemonOptions['teamOps'];
}

export async function startConsoleDaemon(options: ConsoleDaemonOptions = {}): Promise<ConsoleDaemon> {
  const logger = createMemoryLogger('warn');
  const store: TestStore = await createTestStore('sqlite');
  const demo = createDemoWorld({ seed: options.seed ?? 7, accounts: 4, logger });
  const daemon = new Daemon({ store, accounts: demo.accounts, logger, team: demo.team, ...(options.teamOps ? { teamOps: options.teamOps } : {}) });
  await store.migrate();
  await daemon.start();
  await daemon.whenSynced();
  const api = await startApiServer({ daemon, logger, host: '127.0.0.1', port: 0 });
  const accountOf = (userId: number) => demo.accounts[demo.company.accounts.findIndex((a) => a.userId === userId)]!.accountId;
  const adminUser = demo.company.accounts.find((m) => m.role === 'admin')!.userId;
  const managerUser = demo.company.accounts.find((m) => m.role === 'manager')!.userId;
  const admin = { userId: adminUser, accountId: accountOf(adminUser), token: (await daemon.tokens.create({ name: 'console-admin', role: 'admin', memberUserId: adminUser })).token };
  const manager = { userId: managerUser, accountId: accountOf(managerUser), token: (await daemon.tokens.create({ name: 'console-manager', role: 'manager', memberUserId: managerUser })).token };
  return {
    daemon,
    demo,
    api,
    url: api.url,
    admin,
    manager,
    async gql<T>(query: string, variables: Record<string, unknown> = {}, token = manager.token): Promise<T> {
      const res = await fetch(`${api.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query, variables }) });
      const body = (await res.json()) as { data?: T; errors?: { message: string; extensions?: Record<string, unknown> }[] };
      if (body.errors?.length) throw Object.assign(new Error(body.errors.map((e) => e.message).join('; ')), { errors: body.errors });
      return body.data!;
    },
    async dispose() {
      await api.close();
      await daemon.close();
      await store.dispose();
    },
  };
}

/** Builds the console from this checkout's sources unless its build is fresh (test/helpers/browser-apps.ts). */
export const buildConsole = (): void => buildWebApp('console');

export const screenshot = (page: Page, name: string): Promise<string> => saveScreenshot(page, `console-${name}`);
