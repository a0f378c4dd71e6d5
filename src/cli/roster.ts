/**
 * `tgdesk roster`: the team roster through a running daemon's API: list, add, remove.
 * Adding reclassifies chats at once (who is team decides which chats are support chats).
 */
import { apiClient, ApiError, parseFlags, processIo, table, type CliIo } from './api-client.ts';

const USAGE = `Usage:
  tgdesk roster [list]                                   who is on the team, with role, source and duty
  tgdesk roster add USER_ID --role admin|manager [--name NAME]
  tgdesk roster remove USER_ID                           only members added this way; others come from
                                                         the configuration or the team chat

Talks to the daemon at TGDESK_URL with TGDESK_TOKEN (a manager token), as tgdesk jobs does.
`;

interface Member {
  id: string;
  name: string;
  role: string;
  source: string;
  onDuty: boolean;
}

export async function runRosterCommand(args: string[], io: CliIo = processIo()): Promise<number> {
  const [sub = 'list', ...rest] = args;
  if (sub === 'help' || sub === '--help' || sub === '-h') {
    io.stdout.write(USAGE);
    return 0;
  }
  const { flags, rest: positional } = parseFlags(rest, new Set());
  const usage = (message: string) => {
    io.stderr.write(`tgdesk roster: ${message}\n\n${USAGE}`);
    return 2;
  };
  try {
    const api = apiClient(io, flags);
    switch (sub) {
      case 'list': {
        const r = await api.request<{ teamMembers: Member[] }>('{ teamMembers { id name role source onDuty } }');
        io.stdout.write(table(['USER ID', 'ROLE', 'SOURCE', 'ON DUTY', 'NAME'], r.teamMembers.map((m) => [m.id, m.role.toLowerCase(), m.source, m.onDuty ? 'yes' : 'no', m.name])));
        return 0;
      }
      case 'add': {
        const userId = positional[0];
        const role = flags.get('role');
        if (!userId || (role !== 'admin' && role !== 'manager')) return usage('add needs a user id and --role admin or --role manager');
        const name = flags.get('name');
        const r = await api.request<{ addTeamMember: Member }>('mutation ($u: ID!, $r: TeamRole!, $n: String) { addTeamMember(userId: $u, role: $r, name: $n) { id name role source onDuty } }', {
          u: userId,
          r: role.toUpperCase(),
          n: typeof name === 'string' ? name : null,
        });
        io.stdout.write(`${r.addTeamMember.id} ${r.addTeamMember.name} is on the team as ${r.addTeamMember.role.toLowerCase()}\n`);
        return 0;
      }
      case 'remove': {
        const userId = positional[0];
        if (!userId) return usage('remove needs a user id');
        const r = await api.request<{ removeTeamMember: boolean }>('mutation ($u: ID!) { removeTeamMember(userId: $u) }', { u: userId });
        io.stdout.write(r.removeTeamMember ? `${userId} is no longer on the team\n` : `${userId} was not on the team\n`);
        return 0;
      }
      default:
        return usage(`unknown subcommand "${sub}"`);
    }
  } catch (error) {
    if (error instanceof ApiError) {
      io.stderr.write(`tgdesk roster: ${error.code ? `${error.code}: ` : ''}${error.message}\n`);
      return 1;
    }
    throw error;
  }
}
