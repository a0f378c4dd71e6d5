/**
 * `tgdesk`: the command line. Each command is a small module; this file only dispatches.
 * Exit codes: 0 success, 1 failure at run time, 2 bad usage or configuration.
 */
import { ConfigError } from '../config/config.ts';

const USAGE = `tgdesk: the support team's Telegram, synced and served over GraphQL

Usage:
  tgdesk demo                 run the daemon on SQLite with the Telegram simulator
  tgdesk start                run the daemon with real Telegram accounts (TGDESK_ACCOUNTS)
  tgdesk login ACCOUNT        log an account in (phone, code, two-step password, or QR)
  tgdesk migrate              apply database migrations and exit
  tgdesk token COMMAND        API tokens: create, list, revoke (see tgdesk token help)
  tgdesk jobs COMMAND         membership jobs: add admins to chats, offboard (see tgdesk jobs help)
  tgdesk roster [COMMAND]     the team roster: list, add, remove (see tgdesk roster help)
  tgdesk duty [COMMAND]       who is on duty; schedules and overrides (see tgdesk duty help)
  tgdesk help                 this text

Configuration comes from environment variables (see README.md), e.g. TGDESK_DATA_DIR, TGDESK_PORT.
`;

type Command = (args: string[]) => Promise<number>;

const commands: Record<string, () => Promise<Command>> = {
  demo: async () => (await import('./demo.ts')).runDemoCommand,
  start: async () => (await import('./start.ts')).runStartCommand,
  login: async () => (await import('./login-command.ts')).runLoginCommand,
  migrate: async () => (await import('./migrate.ts')).runMigrateCommand,
  token: async () => (await import('./token.ts')).runTokenCommand,
  jobs: async () => (await import('./jobs.ts')).runJobsCommand,
  roster: async () => (await import('./roster.ts')).runRosterCommand,
  duty: async () => (await import('./duty.ts')).runDutyCommand,
};

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(USAGE);
    return name ? 0 : 2;
  }
  const load = commands[name];
  if (!load) {
    process.stderr.write(`tgdesk: unknown command "${name}"\n\n${USAGE}`);
    return 2;
  }
  try {
    return await (await load())(rest);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`tgdesk: ${error.message}\n`);
      return 2;
    }
    process.stderr.write(`tgdesk: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}
