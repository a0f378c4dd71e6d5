/**
 * `tgdesk duty`: who is on duty, and the schedules and overrides, through a running daemon's API.
 *
 *   tgdesk duty set 5011 --tz Europe/Berlin --shift "Mon-Fri 09:00-18:00" --shift "Sat 22:00-06:00" --mute-off-duty
 */
import { apiClient, ApiError, parseFlags, processIo, table, when, type CliIo } from './api-client.ts';

const USAGE = `Usage:
  tgdesk duty [now]                 who is on duty now and until when, and who comes next
  tgdesk duty schedules             every member's weekly schedule
  tgdesk duty set MEMBER_ID --tz ZONE --shift "DAYS HH:MM-HH:MM" [--shift …] [--mute-off-duty]
      DAYS: Mon..Sun, ranges (Mon-Fri) and lists (Sat,Sun); an end not after the start is the next
      day (a night shift). --mute-off-duty: mute the member's support chats on their account while
      off duty, restoring exactly their settings at on-duty time.
  tgdesk duty unset MEMBER_ID       remove the member's schedule
  tgdesk duty override MEMBER_ID --from ISO --to ISO (--on | --off) [--note TEXT]
  tgdesk duty overrides             overrides that have not ended
  tgdesk duty unoverride ID         remove an override

Talks to the daemon at TGDESK_URL with TGDESK_TOKEN (a manager token), as tgdesk jobs does.
`;

const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const DAY_NAMES = ['', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

/** "Mon-Fri 09:00-18:00" → one shift per day. */
export function parseShift(text: string): { day: number; from: string; to: string }[] {
  const m = /^\s*([A-Za-z0-9,-]+)\s+(\d{1,2}:\d{2})\s*-\s*(\d{1,2}:\d{2})\s*$/.exec(text);
  if (!m) throw new ApiError(`"${text}" is not a shift like "Mon-Fri 09:00-18:00"`, 'BAD_USER_INPUT');
  const dayOf = (s: string): number => {
    const n = /^\d$/.test(s) ? Number(s) : DAYS.indexOf(s.toLowerCase().slice(0, 3)) + 1;
    if (n < 1 || n > 7) throw new ApiError(`"${s}" is not a day (Mon..Sun or 1..7)`, 'BAD_USER_INPUT');
    return n;
  };
  const days = new Set<number>();
  for (const part of m[1]!.split(',')) {
    const [a, b] = part.split('-');
    const from = dayOf(a!);
    const to = b === undefined ? from : dayOf(b);
    for (let d = from; ; d = (d % 7) + 1) {
      days.add(d);
      if (d === to) break;
    }
  }
  return [...days].sort().map((day) => ({ day, from: m[2]!, to: m[3]! }));
}

export async function runDutyCommand(args: string[], io: CliIo = processIo()): Promise<number> {
  const [sub = 'now', ...rest] = args;
  if (sub === 'help' || sub === '--help' || sub === '-h') {
    io.stdout.write(USAGE);
    return 0;
  }
  const { flags, many, rest: positional } = parseFlags(rest, new Set(['mute-off-duty', 'on', 'off']), new Set(['shift']));
  const usage = (message: string) => {
    io.stderr.write(`tgdesk duty: ${message}\n\n${USAGE}`);
    return 2;
  };
  try {
    const api = apiClient(io, flags);
    switch (sub) {
      case 'now': {
        const r = await api.request<{ duty: { schedulesInUse: boolean; onDuty: { member: { id: string; name: string }; until: string | null }[]; next: { member: { id: string; name: string }; from: string; until: string | null }[] } }>(
          '{ duty { schedulesInUse onDuty { member { id name } until } next { member { id name } from until } } }',
        );
        const d = r.duty;
        if (!d.schedulesInUse) io.stdout.write('No duty schedules yet: every team member counts as on duty.\n');
        io.stdout.write(table(['', 'USER ID', 'FROM', 'UNTIL', 'NAME'], [...d.onDuty.map((e) => ['on duty', e.member.id, 'now', when(e.until), e.member.name]), ...d.next.map((e) => ['next', e.member.id, when(e.from), when(e.until), e.member.name])]));
        return 0;
      }
      case 'schedules': {
        const r = await api.request<{ dutySchedules: { memberId: string; timeZone: string; muteOffDuty: boolean; shifts: { day: number; from: string; to: string }[] }[] }>('{ dutySchedules { memberId timeZone muteOffDuty shifts { day from to } } }');
        io.stdout.write(table(['MEMBER', 'ZONE', 'MUTE OFF DUTY', 'SHIFTS'], r.dutySchedules.map((s) => [s.memberId, s.timeZone, s.muteOffDuty ? 'yes' : 'no', s.shifts.map((x) => `${DAY_NAMES[x.day]} ${x.from}-${x.to}`).join(', ')])));
        return 0;
      }
      case 'set': {
        const member = positional[0];
        const tz = flags.get('tz');
        const shifts = (many.get('shift') ?? []).flatMap(parseShift);
        if (!member || typeof tz !== 'string') return usage('set needs a member id, --tz and at least one --shift');
        const r = await api.request<{ setDutySchedule: { memberId: string; shifts: unknown[] } }>(
          'mutation ($m: ID!, $z: String!, $s: [DutyShiftInput!]!, $mute: Boolean) { setDutySchedule(memberId: $m, timeZone: $z, shifts: $s, muteOffDuty: $mute) { memberId shifts { day } } }',
          { m: member, z: tz, s: shifts, mute: flags.has('mute-off-duty') },
        );
        io.stdout.write(`schedule of ${r.setDutySchedule.memberId}: ${r.setDutySchedule.shifts.length} shifts a week in ${tz}${flags.has('mute-off-duty') ? ', support chats muted off duty' : ''}\n`);
        return 0;
      }
      case 'unset': {
        const member = positional[0];
        if (!member) return usage('unset needs a member id');
        const r = await api.request<{ removeDutySchedule: boolean }>('mutation ($m: ID!) { removeDutySchedule(memberId: $m) }', { m: member });
        io.stdout.write(r.removeDutySchedule ? `schedule of ${member} removed\n` : `${member} had no schedule\n`);
        return 0;
      }
      case 'override': {
        const member = positional[0];
        const from = flags.get('from');
        const to = flags.get('to');
        if (!member || typeof from !== 'string' || typeof to !== 'string' || flags.has('on') === flags.has('off')) return usage('override needs a member id, --from, --to and one of --on or --off');
        const note = flags.get('note');
        const r = await api.request<{ addDutyOverride: { id: string } }>(
          'mutation ($m: ID!, $f: DateTime!, $t: DateTime!, $on: Boolean!, $n: String) { addDutyOverride(memberId: $m, from: $f, to: $t, onDuty: $on, note: $n) { id } }',
          { m: member, f: from, t: to, on: flags.has('on'), n: typeof note === 'string' ? note : null },
        );
        io.stdout.write(`override ${r.addDutyOverride.id}: ${member} ${flags.has('on') ? 'on' : 'off'} duty from ${from} to ${to}\n`);
        return 0;
      }
      case 'overrides': {
        const r = await api.request<{ dutyOverrides: { id: string; memberId: string; from: string; to: string; onDuty: boolean; note: string | null }[] }>('{ dutyOverrides { id memberId from to onDuty note } }');
        io.stdout.write(table(['ID', 'MEMBER', 'FROM', 'TO', 'DUTY', 'NOTE'], r.dutyOverrides.map((o) => [o.id, o.memberId, when(o.from), when(o.to), o.onDuty ? 'on' : 'off', o.note ?? ''])));
        return 0;
      }
      case 'unoverride': {
        const id = positional[0];
        if (!id) return usage('unoverride needs an override id');
        const r = await api.request<{ removeDutyOverride: boolean }>('mutation ($i: ID!) { removeDutyOverride(id: $i) }', { i: id });
        io.stdout.write(r.removeDutyOverride ? `override ${id} removed\n` : `no override ${id}\n`);
        return 0;
      }
      default:
        return usage(`unknown subcommand "${sub}"`);
    }
  } catch (error) {
    if (error instanceof ApiError) {
      io.stderr.write(`tgdesk duty: ${error.code ? `${error.code}: ` : ''}${error.message}\n`);
      return error.code === 'BAD_USER_INPUT' ? 2 : 1;
    }
    throw error;
  }
}
