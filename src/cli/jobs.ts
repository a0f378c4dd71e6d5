/**
 * `tgdesk jobs`: membership jobs through a running daemon's API (src/cli/api-client.ts).
 *
 * Starting a job plans it, prints the plan when `--dry-run`, and otherwise follows it on the
 * `jobProgress` subscription with a progress bar (a line per second when stderr is not a
 * terminal), then prints the final table: done, skipped, invited and failed, with reasons and
 * invite links. Exit code 0 when no item failed, 1 otherwise, 3 when the job paused: it then waits
 * for hours (PEER_FLOOD, the daily add limit, a long FLOOD_WAIT), and a script must not hang on it.
 */
import { apiClient, ApiError, parseFlags, processIo, table, when, type ApiClient, type CliIo } from './api-client.ts';

const USAGE = `Usage:
  tgdesk jobs add-to-chat CHAT_ID MEMBER_ID...          add members to one chat ("Add All Admin")
  tgdesk jobs add-to-chats MEMBER_ID (--all-support | CHAT_ID...)
                                                        add a member to chats ("Add Admin to Chats")
  tgdesk jobs remove MEMBER_ID (--all | CHAT_ID...)      take a member out of chats (offboarding)
      --dry-run   only show the plan: who acts where, who is skipped, what cannot be done and why
      --no-wait   start the job and print its id without following it
  tgdesk jobs list [--state running,paused,done,cancelled]
  tgdesk jobs show JOB_ID        the job's items and outcomes
  tgdesk jobs watch JOB_ID       follow a job with a progress bar, then its items
  tgdesk jobs cancel JOB_ID      cancel what is not done yet

Following a job ends when it is done (exit 0, or 1 if an item failed) or cancelled, or when it
pauses (exit 3): it goes on by itself once the reason clears; follow it again with watch.

Talks to the daemon at TGDESK_URL (default http://TGDESK_HOST:TGDESK_PORT) with TGDESK_TOKEN, a
manager token (tgdesk token create --role manager --name cli). --url and --token override them.
MEMBER_ID is a Telegram user id; CHAT_ID is a chat id as the API gives it (Chat.id).
`;

const JOB_FIELDS = 'id kind action state reason createdBy createdAt updatedAt finishedAt memberIds counts { total pending running done skipped invited failed cancelled }';
const ITEM_FIELDS = 'id chatId title memberId state accountId reason inviteLink inviteDelivery updatedAt';
const PLAN_FIELDS = 'action counts { todo skip impossible } items { chatId title chatType memberId outcome accountId candidates reason }';

interface Counts {
  total: number;
  pending: number;
  running: number;
  done: number;
  skipped: number;
  invited: number;
  failed: number;
  cancelled: number;
}
interface Job {
  id: string;
  kind: string;
  action: string;
  state: string;
  reason: string | null;
  createdBy: string;
  createdAt: string;
  finishedAt: string | null;
  memberIds: string[];
  counts: Counts;
}
interface Item {
  id: string;
  chatId: string;
  title: string;
  memberId: string;
  state: string;
  accountId: string | null;
  reason: string | null;
  inviteLink: string | null;
  inviteDelivery: string | null;
}
interface Plan {
  action: string;
  counts: { todo: number; skip: number; impossible: number };
  items: { chatId: string; title: string; chatType: string; memberId: string; outcome: string; accountId: string | null; candidates: string[]; reason: string | null }[];
}

const BOOLEANS = new Set(['dry-run', 'no-wait', 'all', 'all-support']);

export async function runJobsCommand(args: string[], io: CliIo = processIo()): Promise<number> {
  const [sub, ...rest] = args;
  if (!sub || sub === 'help' || sub === '--help' || sub === '-h') {
    io.stdout.write(USAGE);
    return sub ? 0 : 2;
  }
  const { flags, rest: positional } = parseFlags(rest, BOOLEANS);
  const usage = (message: string) => {
    io.stderr.write(`tgdesk jobs: ${message}\n\n${USAGE}`);
    return 2;
  };
  try {
    const api = apiClient(io, flags);
    const dryRun = flags.has('dry-run');
    switch (sub) {
      case 'add-to-chat': {
        const [chatId, ...members] = positional;
        if (!chatId || members.length === 0) return usage('add-to-chat needs a chat id and at least one member id');
        const r = await api.request<{ addMembersToChat: { plan: Plan; job: Job | null } }>(
          `mutation ($c: ID!, $m: [ID!]!, $d: Boolean) { addMembersToChat(chatId: $c, memberIds: $m, dryRun: $d) { plan { ${PLAN_FIELDS} } job { ${JOB_FIELDS} } } }`,
          { c: chatId, m: members, d: dryRun },
        );
        return started(api, io, r.addMembersToChat, flags);
      }
      case 'add-to-chats': {
        const [member, ...chats] = positional;
        const all = flags.has('all-support');
        if (!member || (chats.length === 0) === !all) return usage('add-to-chats needs a member id and either --all-support or chat ids');
        const r = await api.request<{ addMemberToChats: { plan: Plan; job: Job | null } }>(
          `mutation ($m: ID!, $c: [ID!], $a: Boolean, $d: Boolean) { addMemberToChats(memberId: $m, chatIds: $c, allSupport: $a, dryRun: $d) { plan { ${PLAN_FIELDS} } job { ${JOB_FIELDS} } } }`,
          { m: member, c: all ? null : chats, a: all || null, d: dryRun },
        );
        return started(api, io, r.addMemberToChats, flags);
      }
      case 'remove': {
        const [member, ...chats] = positional;
        const all = flags.has('all');
        if (!member || (chats.length === 0) === !all) return usage('remove needs a member id and either --all or chat ids');
        const r = await api.request<{ removeMemberFromChats: { plan: Plan; job: Job | null } }>(
          `mutation ($m: ID!, $c: [ID!], $a: Boolean, $d: Boolean) { removeMemberFromChats(memberId: $m, chatIds: $c, all: $a, dryRun: $d) { plan { ${PLAN_FIELDS} } job { ${JOB_FIELDS} } } }`,
          { m: member, c: all ? null : chats, a: all || null, d: dryRun },
        );
        return started(api, io, r.removeMemberFromChats, flags);
      }
      case 'list': {
        const state = flags.get('state');
        const states = typeof state === 'string' ? state.split(',').map((s) => s.trim().toUpperCase()) : null;
        const r = await api.request<{ membershipJobs: Job[] }>(`query ($s: [MembershipJobState!]) { membershipJobs(states: $s, first: 100) { ${JOB_FIELDS} } }`, { s: states });
        io.stdout.write(
          table(
            ['ID', 'KIND', 'STATE', 'DONE', 'SKIPPED', 'INVITED', 'FAILED', 'PENDING', 'CREATED', 'BY / REASON'],
            r.membershipJobs.map((j) => [j.id, j.kind.toLowerCase(), j.state.toLowerCase(), String(j.counts.done), String(j.counts.skipped), String(j.counts.invited), String(j.counts.failed), String(j.counts.pending + j.counts.running), when(j.createdAt), j.reason ? `${j.createdBy}: ${j.reason}` : j.createdBy]),
          ),
        );
        return 0;
      }
      case 'show': {
        const id = positional[0];
        if (!id) return usage('show needs a job id');
        return report(api, io, id);
      }
      case 'watch': {
        const id = positional[0];
        if (!id) return usage('watch needs a job id');
        const paused = await follow(api, io, id);
        if (paused) return pausedExit(io, paused);
        return report(api, io, id);
      }
      case 'cancel': {
        const id = positional[0];
        if (!id) return usage('cancel needs a job id');
        const r = await api.request<{ cancelJob: Job }>(`mutation ($j: ID!) { cancelJob(jobId: $j) { ${JOB_FIELDS} } }`, { j: id });
        io.stdout.write(`job ${r.cancelJob.id}: ${r.cancelJob.state.toLowerCase()} (${summary(r.cancelJob.counts)})\n`);
        return 0;
      }
      default:
        return usage(`unknown subcommand "${sub}"`);
    }
  } catch (error) {
    if (error instanceof ApiError) {
      io.stderr.write(`tgdesk jobs: ${error.code ? `${error.code}: ` : ''}${error.message}\n`);
      return error.code === 'BAD_USER_INPUT' || error.code === 'NOT_FOUND' || error.code === 'FORBIDDEN' || error.code === 'UNAUTHENTICATED' ? 2 : 1;
    }
    throw error;
  }
}

function summary(c: Counts): string {
  return `${c.done} done, ${c.skipped} skipped, ${c.invited} invited, ${c.failed} failed${c.pending + c.running ? `, ${c.pending + c.running} pending` : ''}${c.cancelled ? `, ${c.cancelled} cancelled` : ''}`;
}

async function started(api: ApiClient, io: CliIo, r: { plan: Plan; job: Job | null }, flags: ReadonlyMap<string, string | true>): Promise<number> {
  const p = r.plan;
  if (!r.job) {
    io.stdout.write(
      table(
        ['CHAT', 'TITLE', 'MEMBER', 'PLAN', 'ACCOUNT', 'REASON'],
        p.items.map((i) => [i.chatId, i.title, i.memberId, i.outcome.toLowerCase(), i.accountId ?? '-', i.reason ?? '']),
      ),
    );
    io.stdout.write(`plan (${p.action.toLowerCase()}): ${p.counts.todo} to do, ${p.counts.skip} skipped, ${p.counts.impossible} impossible\n`);
    return 0;
  }
  io.stderr.write(`job ${r.job.id} started: ${p.counts.todo} to do, ${p.counts.skip} skipped, ${p.counts.impossible} impossible\n`);
  if (flags.has('no-wait')) {
    io.stdout.write(`${r.job.id}\n`);
    return 0;
  }
  const paused = await follow(api, io, r.job.id);
  if (paused) return pausedExit(io, paused);
  return report(api, io, r.job.id);
}

const PAUSED_EXIT = 3;

function pausedExit(io: CliIo, job: Job): number {
  io.stderr.write(
    `job ${job.id} is paused: ${(job.reason ?? 'no account can act now').replace(/^paused: /, '')}.\n` +
      `It goes on by itself when that clears; nothing needs restarting. Follow it again with \`tgdesk jobs watch ${job.id}\`, ` +
      `see its items with \`tgdesk jobs show ${job.id}\`, or stop it with \`tgdesk jobs cancel ${job.id}\`.\n`,
  );
  return PAUSED_EXIT;
}

/** Whether following can stop: the job ended (done, or cancelled with no call under way) or paused. */
function settled(job: Job): boolean {
  return job.state === 'DONE' || job.state === 'PAUSED' || (job.state === 'CANCELLED' && job.counts.pending + job.counts.running === 0);
}

/** Follows a job on its subscription until it ends or pauses, drawing the bar on stderr. Returns the job if it paused. */
async function follow(api: ApiClient, io: CliIo, jobId: string): Promise<Job | null> {
  const tty = Boolean(io.stderr.isTTY);
  let lastLine = 0;
  let last: Job | null = null;
  const draw = (job: Job, force = false) => {
    const c = job.counts;
    const finished = c.total - c.pending - c.running;
    const width = 30;
    const filled = c.total === 0 ? width : Math.round((finished / c.total) * width);
    const line = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${finished}/${c.total}  ${summary(c)}  ${job.state.toLowerCase()}${job.reason ? `: ${job.reason}` : ''}`;
    if (tty) io.stderr.write(`\r\x1b[2K${line}`);
    else if (force || Date.now() - lastLine >= 1000) {
      io.stderr.write(`${line}\n`);
      lastLine = Date.now();
    }
  };
  try {
    for await (const m of api.subscribe<{ jobProgress: { job: Job } }>(`subscription ($j: ID!) { jobProgress(jobId: $j) { seq job { ${JOB_FIELDS} } } }`, { j: jobId })) {
      last = m.jobProgress.job;
      draw(last);
      if (settled(last)) break;
    }
  } catch (error) {
    if (error instanceof ApiError) throw error;
    // The stream broke (daemon restarted): the job goes on there; poll its state instead.
    for (;;) {
      last = (await api.request<{ membershipJob: { job: Job } }>(`query ($j: ID!) { membershipJob(id: $j) { job { ${JOB_FIELDS} } } }`, { j: jobId })).membershipJob.job;
      draw(last);
      if (settled(last)) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  if (last) draw(last, true);
  if (tty) io.stderr.write('\n');
  return last?.state === 'PAUSED' ? last : null;
}

/** The final table of a job: every item with its outcome and reason. */
async function report(api: ApiClient, io: CliIo, jobId: string): Promise<number> {
  const r = await api.request<{ membershipJob: { job: Job; items: Item[] } }>(`query ($j: ID!) { membershipJob(id: $j) { job { ${JOB_FIELDS} } items { ${ITEM_FIELDS} } } }`, { j: jobId });
  const { job, items } = r.membershipJob;
  const order = ['FAILED', 'INVITED', 'PENDING', 'RUNNING', 'DONE', 'SKIPPED', 'CANCELLED'];
  const sorted = [...items].sort((a, b) => order.indexOf(a.state) - order.indexOf(b.state) || a.title.localeCompare(b.title));
  io.stdout.write(
    table(
      ['OUTCOME', 'CHAT', 'TITLE', 'MEMBER', 'ACCOUNT', 'REASON'],
      sorted.map((i) => [i.state.toLowerCase(), i.chatId, i.title, i.memberId, i.accountId ?? '-', [i.reason, i.inviteLink ? `link (${(i.inviteDelivery ?? '').toLowerCase()}): ${i.inviteLink}` : null].filter(Boolean).join('; ')]),
    ),
  );
  io.stdout.write(`job ${job.id} (${job.kind.toLowerCase()}) ${job.state.toLowerCase()}: ${summary(job.counts)}${job.reason ? ` (${job.reason})` : ''}\n`);
  return job.counts.failed > 0 ? 1 : 0;
}
