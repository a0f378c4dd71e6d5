/**
 * `tgdesk demo`: the daemon on SQLite with the Telegram simulator playing a support company,
 * so a newcomer sees a live team at once: clients waiting, some overdue, unread mentions, and
 * traffic that keeps coming until Ctrl-C.
 *
 * The demo starts from a fresh database each time: the simulated company is rebuilt around the
 * current time, so yesterday's data would not match it.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../config/config.ts';
import { createLogger } from '../shared/log.ts';
import { openStore } from '../store/database.ts';
import { createTelegramAccount } from '../tdlib/account.ts';
import { buildSupportCompany, type SupportCompany } from '../tdlib/simulator/support-company.ts';
import { createTraffic } from '../tdlib/simulator/traffic.ts';
import { createSimWorld, type SimWorld } from '../tdlib/simulator/world.ts';
import type { TelegramAccount } from '../tdlib/port.ts';
import { runDaemon } from './run-daemon.ts';

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
  const config = loadConfig({ mode: 'demo' });
  const logger = createLogger({ level: config.logLevel === 'info' ? 'warn' : config.logLevel, pretty: Boolean(process.stderr.isTTY) });
  if (config.databaseUrl) process.stderr.write('tgdesk demo runs on SQLite; DATABASE_URL is ignored (use `tgdesk start` for PostgreSQL).\n');
  for (const suffix of ['', '-wal', '-shm']) rmSync(join(config.dataDir, `tgdesk.sqlite${suffix}`), { force: true });
  const store = await openStore({ dataDir: config.dataDir });

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
    beforeStop: () => stopTraffic.abort(),
  });
  await running.daemon.whenSynced();
  void traffic.run({ messagesPerSecond: 0.7, signal: stopTraffic.signal }).catch((error) => logger.error('demo traffic stopped', { error }));

  const url = running.api.url;
  const summary = running.daemon.queries.teamSummary();
  // A ready manager token, tied to the demo's manager, so a newcomer can click at once.
  const manager = demo.company.accounts.find((m) => m.role === 'manager') ?? demo.company.team.find((m) => m.role === 'manager');
  const { token } = await running.daemon.tokens.create({ name: 'demo-manager', role: 'manager', memberUserId: manager?.userId ?? null });
  const auth = `-H 'authorization: Bearer ${token}'`;
  const firstAccount = demo.accounts[0]?.accountId ?? 'ACCOUNT';
  process.stdout.write(
    [
      '',
      'tgdesk demo is running on the Telegram simulator.',
      `  GraphiQL, signed in as the demo manager: ${url}/graphql?token=${token}`,
      `  GraphQL: ${url}/graphql   (token: ${token})`,
      `  Health: ${url}/healthz   Readiness: ${url}/readyz   Metrics: ${url}/metrics`,
      `  Accounts: ${demo.accounts.map((a) => a.accountId).join(', ')}`,
      `  Right now: ${summary.overdueChats} overdue support chats, ${summary.unreadSupportChats} unread support chats, ${summary.mentionedOnDuty} with unread mentions`,
      `  Data: ${store.location} (fresh each run)`,
      '',
      'Try:',
      `  curl -s ${url}/graphql ${auth} -H 'content-type: application/json' -d '{"query":"{ teamSummary { overdueChats alarms unreadSupportChats } accounts { id syncState syncComplete } }"}'`,
      `  curl -s ${auth} '${url}/graphql?query=%7Bdialogs(accountId:%22${firstAccount}%22,order:URGENCY,first:5)%7BtotalCount%20unreadChatCount%20nodes%7Bchat%7Btitle%20kind%7DunreadCount%20isOverdue%7D%7D%7D'`,
      `  curl -N ${auth} -H 'accept: text/event-stream' '${url}/graphql?query=subscription%7BteamSummaryChanged%7BoverdueChats%20alarms%20unreadSupportChats%7D%7D'`,
      `  TGDESK_DATA_DIR=${config.dataDir} tgdesk token create --role viewer --name wall    (more tokens; see docs/api.md)`,
      '',
      'Stop with Ctrl-C.',
      '',
    ].join('\n'),
  );
  await running.stopped;
  return 0;
}
