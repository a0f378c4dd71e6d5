/**
 * `tgdesk token`: API tokens for the GraphQL API.
 *
 *   tgdesk token create --role ROLE --name NAME [--member USER_ID]
 *   tgdesk token list [--all]
 *   tgdesk token revoke ID|NAME
 *
 * It works on the store in TGDESK_DATA_DIR (or DATABASE_URL), also while a daemon runs on it:
 * SQLite's WAL lets this process write beside the daemon, and the daemon reads tokens from the
 * store. The token is printed once, alone on stdout, so a script can capture it; everything
 * else goes to stderr.
 */
import { loadConfig } from '../config/config.ts';
import { ApiTokens, API_ROLES, type ApiTokenRecord } from '../app/tokens.ts';
import { DomainError } from '../domain/errors.ts';
import { openStore } from '../store/database.ts';

const USAGE = `Usage:
  tgdesk token create --role ROLE --name NAME [--member USER_ID]
      ROLE: viewer (read-only, the NOC wall), admin (chat actions), manager (also team
      settings), integration (the portal). --member ties the token to a team member's
      Telegram user id: their stars, acknowledgements and preferences.
  tgdesk token list [--all]       live tokens (--all: revoked ones too)
  tgdesk token revoke ID|NAME     revoke; takes effect within 2 seconds

The store is the one in TGDESK_DATA_DIR (or DATABASE_URL), as for the daemon; for the demo's,
use TGDESK_DATA_DIR=.tgdesk/demo (or what the demo prints).
`;

function parseFlags(args: readonly string[]): { flags: Map<string, string | true>; rest: string[] } {
  const flags = new Map<string, string | true>();
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(a);
    if (!m) {
      rest.push(a);
      continue;
    }
    if (m[2] !== undefined) flags.set(m[1]!, m[2]);
    else if (args[i + 1] !== undefined && !args[i + 1]!.startsWith('--') && m[1] !== 'all') flags.set(m[1]!, args[++i]!);
    else flags.set(m[1]!, true);
  }
  return { flags, rest };
}

function iso(ms: number | null): string {
  return ms === null ? '-' : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function table(rows: readonly ApiTokenRecord[]): string {
  const head = ['ID', 'NAME', 'ROLE', 'MEMBER', 'CREATED', 'LAST USED', 'REVOKED'];
  const body = rows.map((r) => [r.id, r.name, r.role, r.memberUserId === null ? '-' : String(r.memberUserId), iso(r.createdAt), iso(r.lastUsedAt), iso(r.revokedAt)]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  return [head, ...body].map((cells) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n') + '\n';
}

export async function runTokenCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (!sub || sub === 'help' || sub === '--help' || sub === '-h') {
    process.stdout.write(USAGE);
    return sub ? 0 : 2;
  }
  if (!['create', 'list', 'revoke'].includes(sub)) {
    process.stderr.write(`tgdesk token: unknown subcommand "${sub}"\n\n${USAGE}`);
    return 2;
  }
  const { flags, rest: positional } = parseFlags(rest);
  const config = loadConfig({ mode: 'tool' });
  const store = await openStore({ dataDir: config.dataDir, databaseUrl: config.databaseUrl?.reveal() });
  try {
    await store.migrate();
    const tokens = new ApiTokens(store.db);
    if (sub === 'create') {
      const role = flags.get('role');
      const name = flags.get('name');
      const member = flags.get('member');
      if (typeof role !== 'string' || typeof name !== 'string') {
        process.stderr.write(`tgdesk token create: --role (${API_ROLES.join(', ')}) and --name are required\n\n${USAGE}`);
        return 2;
      }
      if (member !== undefined && (typeof member !== 'string' || !/^\d{1,15}$/.test(member))) {
        process.stderr.write('tgdesk token create: --member is a Telegram user id (digits)\n');
        return 2;
      }
      const { token, record } = await tokens.create({ name, role, memberUserId: member === undefined ? null : Number(member) });
      process.stdout.write(`${token}\n`);
      process.stderr.write(
        `Created token ${record.id} "${record.name}" (role ${record.role}${record.memberUserId === null ? '' : `, member ${record.memberUserId}`}) in ${store.location}.\n` +
          'It is shown only now; only its hash is stored. Send it as: Authorization: Bearer <token>\n',
      );
      return 0;
    }
    if (sub === 'list') {
      process.stdout.write(table(await tokens.list({ includeRevoked: flags.has('all') })));
      return 0;
    }
    const target = positional[0];
    if (!target) {
      process.stderr.write(`tgdesk token revoke: give the token's ID or NAME (see tgdesk token list)\n`);
      return 2;
    }
    const revoked = await tokens.revoke(target);
    if (revoked.length === 0) {
      process.stderr.write(`tgdesk token revoke: no live token with id or name "${target}"\n`);
      return 1;
    }
    for (const r of revoked) process.stderr.write(`Revoked token ${r.id} "${r.name}" (role ${r.role}).\n`);
    return 0;
  } catch (error) {
    if (error instanceof DomainError && (error.code === 'BAD_USER_INPUT' || error.code === 'CONFLICT')) {
      process.stderr.write(`tgdesk token ${sub}: ${error.message}\n`);
      return 2;
    }
    throw error;
  } finally {
    await store.close();
  }
}
