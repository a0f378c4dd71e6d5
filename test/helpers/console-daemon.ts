/**
 * A daemon on the simulated support company with its API on 127.0.0.1, made for the operator
 * console's browser tests and benchmark: membership jobs fast enough to watch, tokens for an
 * admin and a manager who have accounts, the console built from this checkout, and Debian's
 * Chromium (never a downloaded one).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { Daemon, type DaemonOptions } from '../../src/app/daemon.ts';
import { createDemoWorld, type DemoWorld } from '../../src/cli/demo.ts';
import { startApiServer, type ApiServer } from '../../src/graphql/server.ts';
import { createMemoryLogger } from '../../src/shared/log.ts';
import { createTestStore, type TestStore } from './stores.ts';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];
export const ARTIFACTS = join(process.cwd(), 'artifacts');

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

const CONSOLE_WEB = join(process.cwd(), 'src', 'console', 'web');

function newestSource(dir: string): number {
  let newest = 0;
  for (const name of readdirSync(dir)) {
    if (name === 'dist' || name === 'node_modules') continue;
    const path = join(dir, name);
    const st = statSync(path);
    newest = Math.max(newest, st.isDirectory() ? newestSource(path) : st.mtimeMs);
  }
  return newest;
}

/**
 * Builds the console from this checkout's sources (what is under test) unless the build is
 * newer than every source. Test files run in parallel: a lock keeps two builds from emptying
 * the output under each other, and the second finds the first's build fresh.
 */
export function buildConsole(): void {
  const lock = join(tmpdir(), `tgdesk-console-build-${Buffer.from(CONSOLE_WEB).toString('base64url').slice(-40)}.lock`);
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`another console build holds ${lock}`);
      execFileSync(process.execPath, ['-e', 'setTimeout(() => {}, 200)']);
    }
  }
  try {
    const index = join(CONSOLE_WEB, 'dist', 'index.html');
    if (existsSync(index) && statSync(index).mtimeMs > newestSource(CONSOLE_WEB)) return;
    execFileSync(process.execPath, ['bin/build-console.mjs'], { stdio: 'pipe' });
  } finally {
    rmdirSync(lock);
  }
}

export async function launchChromium(extraArgs: readonly string[] = []): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  return chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS, ...extraArgs] });
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `console-${name}.png`);
  await page.screenshot({ path });
  return path;
}
