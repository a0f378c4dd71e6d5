/**
 * `tgdesk demo`: the daemon on SQLite with the Telegram simulator playing a support company,
 * so a newcomer sees a live team at once: clients waiting, some overdue, unread mentions, and
 * traffic that keeps coming until Ctrl-C.
 *
 * The demo starts from a fresh database each time: the simulated company is rebuilt around the
 * current time, so yesterday's data would not match it.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { loadConfig, Secret, type Config } from '../config/config.ts';
import { PORTAL_COMMANDS_PATH } from '../portal/inbound.ts';
import { createLogger } from '../shared/log.ts';
import { openStore } from '../store/database.ts';
import { createTelegramAccount } from '../tdlib/account.ts';
import { buildSupportCompany, type SupportCompany } from '../tdlib/simulator/support-company.ts';
import { createTraffic } from '../tdlib/simulator/traffic.ts';
import { createSimWorld, type SimWorld } from '../tdlib/simulator/world.ts';
import type { TelegramAccount } from '../tdlib/port.ts';
import { runDaemon } from './run-daemon.ts';
import { dutyLine, giveDemoDuty } from './demo-duty.ts';

/** The company the demo's support team works for, as its chat titles name it. */
export const DEMO_COMPANY_NAMES = ['HostOps', 'ХостОпс'];

export interface DemoWorld {
  readonly world: SimWorld;
  readonly company: SupportCompany;
  readonly accounts: TelegramAccount[];
  readonly team: {
    teamChatId: number;
    members: { userId: number; role: 'admin' | 'manager'; name: string }[];
    companyNames: string[];
  };
}

/** The simulated company and the daemon's accounts in it; shared by the demo, tests and benchmarks. */
export function createDemoWorld(options: { seed?: number; now?: number; accounts?: number; clock?: () => number; logger: ReturnType<typeof createLogger> }): DemoWorld {
  const clock = options.clock ?? Date.now;
  const world = createSimWorld({ seed: options.seed ?? 7, clock });
  const company = buildSupportCompany(world, { now: options.now ?? clock(), seed: options.seed ?? 7, accounts: options.accounts ?? 4 });
  const accounts = company.accounts.map((member, i) => {
    const accountId = /^[a-z0-9][a-z0-9_-]{0,31}$/i.test(member.username) ? member.username.toLowerCase() : `account${i + 1}`;
    return createTelegramAccount({ accountId, transport: world.connect(member.userId), logger: options.logger.child('tdlib', { accountId }) });
  });
  return {
    world,
    company,
    accounts,
    team: {
      teamChatId: company.teamChat.id,
      members: company.team.map((m) => ({ userId: m.userId, role: m.role, name: m.name })),
      companyNames: DEMO_COMPANY_NAMES,
    },
  };
}

export async function runDemoCommand(): Promise<number> {
  const loaded = loadConfig({ mode: 'demo' });
  const logger = createLogger({ level: loaded.logLevel === 'info' ? 'warn' : loaded.logLevel, pretty: Boolean(process.stderr.isTTY) });
  if (loaded.databaseUrl) process.stderr.write('tgdesk demo runs on SQLite; DATABASE_URL is ignored (use `tgdesk start` for PostgreSQL).\n');
  for (const suffix of ['', '-wal', '-shm']) rmSync(join(loaded.dataDir, `tgdesk.sqlite${suffix}`), { force: true });
  const store = await openStore({ dataDir: loaded.dataDir });

  // The example portal, a process of its own, unless a real one is configured (docs/portal.md).
  const examplePortal = loaded.portal.url ? null : await startExamplePortal();
  const config: Config = examplePortal ? { ...loaded, portal: { url: examplePortal.webhookUrl, secret: new Secret(examplePortal.secret) } } : loaded;

  const demo = createDemoWorld({ logger });
  const traffic = createTraffic(demo.world, demo.company, { seed: 11 });
  const stopTraffic = new AbortController();
  const running = await runDaemon({
    config,
    store,
    accounts: demo.accounts,
    logger,
    graphiql: true,
    team: demo.team,
    beforeStop: () => {
      stopTraffic.abort();
      examplePortal?.stop();
    },
  });
  await running.daemon.whenSynced();
  await giveDemoDuty(running.daemon, demo);
  void traffic.run({ messagesPerSecond: 0.7, signal: stopTraffic.signal }).catch((error) => logger.error('demo traffic stopped', { error }));

  const url = running.api.url;
  examplePortal?.tellCommandsUrl(`${url}${PORTAL_COMMANDS_PATH}`);
  const summary = running.daemon.queries.teamSummary();
  // A ready manager token, tied to the demo's manager, so a newcomer can click at once.
  const manager = demo.company.accounts.find((m) => m.role === 'manager') ?? demo.company.team.find((m) => m.role === 'manager');
  const { token } = await running.daemon.tokens.create({ name: 'demo-manager', role: 'manager', memberUserId: manager?.userId ?? null });
  const auth = `-H 'authorization: Bearer ${token}'`;
  // The NOC wall signs in with a read-only token from the URL fragment (docs/noc.md).
  const wall = await running.daemon.tokens.create({ name: 'demo-wall', role: 'viewer' });
  const firstAccount = demo.accounts[0]?.accountId ?? 'ACCOUNT';
  process.stdout.write(
    [
      '',
      'tgdesk demo is running on the Telegram simulator.',
      `  Console, signed in as the demo manager: ${url}/console#token=${token}`,
      `  NOC wall: ${url}/#token=${wall.token}`,
      `  GraphiQL, signed in as the demo manager: ${url}/graphql?token=${token}`,
      `  GraphQL: ${url}/graphql   (token: ${token})`,
      `  Health: ${url}/healthz   Readiness: ${url}/readyz   Metrics: ${url}/metrics`,
      `  Accounts: ${demo.accounts.map((a) => a.accountId).join(', ')}`,
      `  Right now: ${summary.overdueChats} overdue support chats, ${summary.unreadSupportChats} unread support chats, ${summary.mentionedOnDuty} with unread mentions`,
      `  Data: ${store.location} (fresh each run)`,
      dutyLine(running.daemon),
      examplePortal
        ? `  Example portal: ${examplePortal.url}   (tasks made in tgdesk appear there; it closes some of them itself after 45 s)`
        : `  Portal: task events go to ${config.portal.url}`,
      '',
      'Try:',
      `  curl -s ${url}/graphql ${auth} -H 'content-type: application/json' -d '{"query":"{ teamSummary { overdueChats alarms unreadSupportChats } accounts { id syncState syncComplete } }"}'`,
      `  curl -s ${auth} '${url}/graphql?query=%7Bdialogs(accountId:%22${firstAccount}%22,order:URGENCY,first:5)%7BtotalCount%20unreadChatCount%20nodes%7Bchat%7Btitle%20kind%7DunreadCount%20isOverdue%7D%7D%7D'`,
      `  curl -N ${auth} -H 'accept: text/event-stream' '${url}/graphql?query=subscription%7BteamSummaryChanged%7BoverdueChats%20alarms%20unreadSupportChats%7D%7D'`,
      ...taskExample(running.daemon, url, auth),
      `  TGDESK_DATA_DIR=${config.dataDir} tgdesk token create --role viewer --name wall    # more tokens; see docs/api.md`,
      '',
      'Stop with Ctrl-C.',
      '',
    ].join('\n'),
  );
  await running.stopped;
  return 0;
}

/** A `markMessageAsTask` call on a support chat's newest message, ready to paste. */
function taskExample(daemon: Awaited<ReturnType<typeof runDaemon>>['daemon'], url: string, auth: string): string[] {
  const chat = [...daemon.model.chats.values()].find((c) => c.kind === 'support' && c.lastMessage);
  if (!chat) return [];
  const query = `mutation { markMessageAsTask(chatId: \\"${chat.record.key}\\", messageId: \\"${chat.lastMessage!.messageId}\\") { id title link status } }`;
  return [`  curl -s ${url}/graphql ${auth} -H 'content-type: application/json' -d '{"query":"${query}"}'    # a task; see docs/portal.md`];
}

/**
 * Starts src/portal/example as a child process on a free port with a fresh secret. tgdesk's
 * command address is sent to it once the API listens; it stops with the demo.
 */
async function startExamplePortal(): Promise<{ url: string; webhookUrl: string; secret: string; tellCommandsUrl(url: string): void; stop(): void }> {
  const secret = randomBytes(24).toString('base64url');
  const child = spawn(process.execPath, [fileURLToPath(new URL('../../bin/run-ts.mjs', import.meta.url)), fileURLToPath(new URL('../portal/example/main.ts', import.meta.url))], {
    env: { ...process.env, TGDESK_PORTAL_SECRET: secret, PORTAL_STDIN_CONTROL: '1' },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  child.stdin!.on('error', () => undefined);
  const first = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`the example portal exited (${code}) before it listened`)));
  });
  const { url, webhookUrl } = JSON.parse(first) as { url: string; webhookUrl: string };
  return {
    url,
    webhookUrl,
    secret,
    tellCommandsUrl: (commandsUrl) => void child.stdin!.write(`${JSON.stringify({ commandsUrl })}\n`),
    stop: () => {
      child.stdin!.end();
      child.kill('SIGTERM');
    },
  };
}
