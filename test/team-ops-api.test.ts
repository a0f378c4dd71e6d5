/**
 * Team operations over the API, as a manager's script or the CLI would use them: roles, typed
 * errors, dry runs, a job followed on `jobProgress` over SSE, alerts on `alerts`, duty, and the
 * `tgdesk jobs|roster|duty` commands against a running daemon.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliIo } from '../src/cli/api-client.ts';
import { parseShift, runDutyCommand } from '../src/cli/duty.ts';
import { runJobsCommand } from '../src/cli/jobs.ts';
import { runRosterCommand } from '../src/cli/roster.ts';
import { loadConfig } from '../src/config/config.ts';
import { sseSubscribe } from './helpers/api-clients.ts';
import { startApiHarness, type ApiHarness } from './helpers/api-harness.ts';
import { supportChat, errorCodes as codes } from './helpers/api-fixtures.ts';

let h: ApiHarness;

beforeAll(async () => {
  h = await startApiHarness();
});

afterAll(async () => {
  await h?.dispose();
});

const outsiders = () => h.sim.demo.company.team.filter((m) => m.role === 'admin' && !m.isAccount);

function io(token: string | null): CliIo & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    env: { TGDESK_URL: h.url, ...(token ? { TGDESK_TOKEN: token } : {}) },
    stdout: { write: (t: string) => (out += t) },
    stderr: { write: (t: string) => (err += t) },
    out: () => out,
    err: () => err,
  };
}

describe('team operations over GraphQL', () => {
  it('gives membership, roster and duty to managers only: FORBIDDEN before anything happens', async () => {
    const chat = supportChat(h, 0);
    const audit = await h.sim.daemon.audit.list({ limit: 1 });
    for (const role of ['viewer', 'admin', 'integration'] as const) {
      const r = await h.gql(`mutation { addMemberToChats(memberId: "${outsiders()[0]!.userId}", chatIds: ["${chat.chatId}"]) { job { id } } }`, undefined, { token: h.tokens[role] });
      expect(codes(r.body)).toEqual(['FORBIDDEN']);
      const d = await h.gql(`mutation { setDutySchedule(memberId: "${h.members.admin}", timeZone: "UTC", shifts: []) { memberId } }`, undefined, { token: h.tokens[role] });
      expect(codes(d.body)).toEqual(['FORBIDDEN']);
    }
    expect(await h.sim.daemon.audit.list({ limit: 1 })).toEqual(audit);
    expect(await h.sim.daemon.teamOps.jobs.list({ limit: 10 })).toEqual([]);
    // An admin sets their own alert channels, not someone else's.
    expect((await h.gql('mutation { setAlertChannels(channels: [DM, TEAM_CHAT]) }', undefined, { token: h.tokens.admin })).body.data).toEqual({ setAlertChannels: ['DM', 'TEAM_CHAT'] });
    expect(codes((await h.gql(`mutation { setAlertChannels(memberId: "${h.members.manager}", channels: []) }`, undefined, { token: h.tokens.admin })).body)).toEqual(['FORBIDDEN']);
    expect((await h.gql('mutation { setAlertChannels(channels: null) }', undefined, { token: h.tokens.admin })).body.data).toEqual({ setAlertChannels: ['TEAM_CHAT'] });
  });

  it('answers bad input with typed errors', async () => {
    const chat = supportChat(h, 0);
    const x = outsiders()[0]!.userId;
    expect(codes((await h.gql(`mutation { addMembersToChat(chatId: "-100123", memberIds: ["${x}"]) { job { id } } }`)).body)).toEqual(['NOT_FOUND']);
    expect(codes((await h.gql(`mutation { addMemberToChats(memberId: "4242", allSupport: true) { job { id } } }`)).body)).toEqual(['NOT_FOUND']);
    expect(codes((await h.gql(`mutation { addMemberToChats(memberId: "${x}", allSupport: true, chatIds: ["${chat.chatId}"]) { job { id } } }`)).body)).toEqual(['BAD_USER_INPUT']);
    expect(codes((await h.gql('{ membershipJob(id: "999") { job { id } } }')).body)).toEqual(['NOT_FOUND']);
    expect(codes((await h.gql(`mutation { setDutySchedule(memberId: "${h.members.admin}", timeZone: "Mars/Base", shifts: []) { memberId } }`)).body)).toEqual(['BAD_USER_INPUT']);
    // Offboarding, duty, overrides, alert channels and cancelling: an unknown member, chat or job is NOT_FOUND; a malformed request BAD_USER_INPUT.
    const cases: [string, string][] = [
      ['mutation { removeMemberFromChats(memberId: "4242", all: true) { job { id } } }', 'NOT_FOUND'],
      [`mutation { removeMemberFromChats(memberId: "${x}", chatIds: ["-100123"]) { job { id } } }`, 'NOT_FOUND'],
      [`mutation { removeMemberFromChats(memberId: "${x}", all: true, chatIds: ["${chat.chatId}"]) { job { id } } }`, 'BAD_USER_INPUT'],
      [`mutation { removeMemberFromChats(memberId: "${x}") { job { id } } }`, 'BAD_USER_INPUT'],
      [`mutation { addMembersToChat(chatId: "${chat.chatId}", memberIds: ["not-a-user"]) { job { id } } }`, 'BAD_USER_INPUT'],
      ['mutation { setDutySchedule(memberId: "4242", timeZone: "Europe/Berlin", shifts: []) { memberId } }', 'NOT_FOUND'],
      [`mutation { setDutySchedule(memberId: "${h.members.admin}", timeZone: "Europe/Berlin", shifts: [{ day: 8, from: "09:00", to: "18:00" }]) { memberId } }`, 'BAD_USER_INPUT'],
      ['mutation { addDutyOverride(memberId: "4242", from: "2030-01-01T00:00:00Z", to: "2030-01-02T00:00:00Z", onDuty: false) { id } }', 'NOT_FOUND'],
      [`mutation { addDutyOverride(memberId: "${h.members.admin}", from: "2030-01-02T00:00:00Z", to: "2030-01-01T00:00:00Z", onDuty: false) { id } }`, 'BAD_USER_INPUT'],
      ['mutation { setAlertChannels(memberId: "4242", channels: [DM]) }', 'NOT_FOUND'],
      ['mutation { cancelJob(jobId: "999") { id } }', 'NOT_FOUND'],
    ];
    for (const [query, code] of cases) expect([query, codes((await h.gql(query)).body)]).toEqual([query, [code]]);
  });

  it('plans a dry run without touching Telegram, runs a job, and streams its progress to the end', async () => {
    const world = h.sim.demo.world;
    const x = outsiders()[1]!.userId;
    const calls = world.callLog().length;
    const dry = await h.gql<{ addMemberToChats: { plan: { counts: { todo: number; skip: number; impossible: number }; items: { outcome: string; accountId: string | null }[] }; job: null } }>(
      `mutation { addMemberToChats(memberId: "${x}", allSupport: true, dryRun: true) { plan { counts { todo skip impossible } items { outcome accountId } } job { id } } }`,
    );
    expect(dry.body.errors).toBeUndefined();
    const plan = dry.body.data!.addMemberToChats.plan;
    expect(plan.counts.todo + plan.counts.skip).toBe(h.sim.demo.company.clientChats.length);
    expect(dry.body.data!.addMemberToChats.job).toBeNull();
    expect(world.callLog().slice(calls).filter((c) => !c.method.startsWith('get'))).toEqual([]);

    const chat = h.sim.demo.company.clientChats.find((c) => c.kind === 'supergroup' && !c.teamIds.includes(outsiders()[2]!.userId) && !c.teamIds.includes(outsiders()[3]!.userId))!;
    const members = [outsiders()[2]!.userId, outsiders()[3]!.userId].map(String);
    const started = await h.gql<{ addMembersToChat: { job: { id: string; state: string } } }>('mutation ($c: ID!, $m: [ID!]!) { addMembersToChat(chatId: $c, memberIds: $m) { job { id state } } }', { c: String(chat.chatId), m: members });
    const jobId = started.body.data!.addMembersToChat.job.id;
    const sse = sseSubscribe<{ jobProgress: { seq: number; job: { state: string; counts: { done: number; total: number } } } }>(h.graphqlUrl, h.tokens.manager, 'subscription ($j: ID!) { jobProgress(jobId: $j) { seq job { state counts { done total } } changedItems { memberId state } } }', { j: jobId });
    const done = await sse.inbox.waitFor((m) => m.data?.jobProgress.job.state === 'DONE', 10_000);
    expect(done.data!.jobProgress.job.counts).toEqual({ done: 2, total: 2 });
    sse.stop();
    for (const m of members) expect(world.isMember(chat.chat, Number(m))).toBe(true);
    const report = await h.gql<{ membershipJob: { items: { state: string; accountId: string }[] } }>(`{ membershipJob(id: "${jobId}") { items { state accountId } } }`);
    expect(report.body.data!.membershipJob.items.map((i) => i.state)).toEqual(['DONE', 'DONE']);
    expect(codes((await h.gql('subscription { jobProgress(jobId: "999") { seq } }')).body)).toEqual(['NOT_FOUND']);
  });

  it('shows one-use invite links to manager tokens only, in membershipJob, jobProgress and events', async () => {
    const world = h.sim.demo.world;
    const member = outsiders()[0]!.userId;
    // A supergroup the member is not in where an account may add: the add is refused for privacy.
    let chatId = '';
    for (const c of h.sim.demo.company.clientChats.filter((x) => x.kind === 'supergroup' && !x.teamIds.includes(member))) {
      const plan = await h.sim.daemon.teamOps.jobs.plan({ kind: 'addMembersToChat', chatKey: String(c.chatId), memberUserIds: [member] });
      if (plan.items[0]!.outcome === 'todo') {
        chatId = String(c.chatId);
        break;
      }
    }
    expect(chatId).not.toBe('');
    world.failures.restrictInvites(member);
    type Item = { memberId: string; state: string; inviteLink: string | null };
    const eventQuery = 'subscription { events { __typename ... on MembershipJobChangedEvent { job { id } changedItems { memberId state inviteLink reason } } } }';
    const streams = (['viewer', 'admin', 'integration', 'manager'] as const).map((role) => ({
      role,
      sse: sseSubscribe<{ events: { __typename: string; changedItems?: (Item & { reason: string | null })[] } }>(h.graphqlUrl, h.tokens[role], eventQuery),
    }));
    // Each stream answers once it is subscribed: the job started after that reaches all of them.
    expect(await Promise.all(streams.map((s) => s.sse.status))).toEqual([200, 200, 200, 200]);
    const started = await h.gql<{ addMembersToChat: { job: { id: string } } }>('mutation ($c: ID!, $m: [ID!]!) { addMembersToChat(chatId: $c, memberIds: $m) { job { id } } }', { c: chatId, m: [String(member)] });
    const jobId = started.body.data!.addMembersToChat.job.id;
    // The link is made at once; its direct message waits for the account's add throttle.
    const item = async (role: 'viewer' | 'admin' | 'integration' | 'manager') =>
      (await h.gql<{ membershipJob: { items: Item[] } }>(`{ membershipJob(id: "${jobId}") { items { memberId state inviteLink } } }`, undefined, { token: h.tokens[role] })).body.data!.membershipJob.items[0]!;
    let link: string | null = null;
    for (let i = 0; i < 100 && link === null; i++) {
      link = (await item('manager')).inviteLink;
      if (link === null) await new Promise((r) => setTimeout(r, 50));
    }
    expect(link).toMatch(/^https:\/\/t\.me\/\+/);
    for (const role of ['viewer', 'admin', 'integration'] as const) expect(await item(role)).toEqual({ memberId: String(member), state: 'PENDING', inviteLink: null });

    const progress = (['viewer', 'manager'] as const).map((role) => ({
      role,
      sse: sseSubscribe<{ jobProgress: { job: { state: string }; changedItems: Item[] } }>(h.graphqlUrl, h.tokens[role], 'subscription ($j: ID!) { jobProgress(jobId: $j) { job { state } changedItems { memberId state inviteLink } } }', { j: jobId }),
    }));
    await Promise.all(progress.map((p) => p.sse.inbox.waitFor((m) => m.data?.jobProgress.job.state === 'RUNNING' || m.data?.jobProgress.job.state === 'PAUSED', 10_000)));
    // Cancelling stops the message; the cancelled item still holds the link it was given.
    expect((await h.gql(`mutation { cancelJob(jobId: "${jobId}") { state } }`)).body.data).toEqual({ cancelJob: { state: 'CANCELLED' } });
    for (const { role, sse } of progress) {
      const last = await sse.inbox.waitFor((m) => m.data?.jobProgress.job.state === 'CANCELLED', 10_000);
      expect([role, last.data!.jobProgress.changedItems]).toEqual([role, [{ memberId: String(member), state: 'CANCELLED', inviteLink: role === 'manager' ? link : null }]]);
      sse.stop();
    }
    for (const { role, sse } of streams) {
      // The item as it took its link: pending, waiting to send it.
      const withLinkStep = await sse.inbox.waitFor((m) => (m.data?.events.changedItems ?? []).some((i) => i.state === 'PENDING' && /one-use invite link/.test(i.reason ?? '')), 10_000);
      expect([role, withLinkStep.data!.events.changedItems!.map((i) => i.inviteLink)]).toEqual([role, [role === 'manager' ? link : null]]);
      sse.stop();
    }
    expect(world.callLog({ method: 'sendMessage' }).filter((c) => String((c.request as { input_message_content?: { text?: { text?: string } } }).input_message_content?.text?.text ?? '').includes(link!))).toEqual([]);
    world.failures.restrictInvites(member, false);
  });

  it('delivers alerts on the subscription and in the event stream', async () => {
    const chat = h.sim.demo.company.clientChats.find((c) => c.scenario === 'quiet')!;
    const sse = sseSubscribe<{ alerts: { kind: string; chatId: string; text: string; recipients: string[] } }>(h.graphqlUrl, h.tokens.viewer, 'subscription { alerts { kind chatId text recipients reminder } }');
    const events = sseSubscribe<{ events: { __typename: string } }>(h.graphqlUrl, h.tokens.viewer, 'subscription { events { __typename seq ... on AlertEvent { alert { kind chatId } } } }');
    expect([await sse.status, await events.status]).toEqual([200, 200]);
    await h.gql(`mutation { raiseAlarm(chatId: "${chat.chatId}", reason: "disk full on db-prod-2") { reason } }`);
    const alert = await sse.inbox.waitFor((m) => m.data?.alerts.kind === 'ALARM', 10_000);
    expect(alert.data!.alerts).toMatchObject({ chatId: String(chat.chatId), reminder: 0 });
    expect(alert.data!.alerts.text).toContain('disk full on db-prod-2');
    expect(alert.data!.alerts.recipients).toContain(String(h.members.admin));
    await events.inbox.waitFor((m) => m.data?.events.__typename === 'AlertEvent', 10_000);
    sse.stop();
    events.stop();
    await h.gql(`mutation { clearAlarm(chatId: "${chat.chatId}") }`);
  });

  it('sets duty schedules and answers who is on duty', async () => {
    const admin = String(h.members.admin);
    const set = await h.gql(`mutation { setDutySchedule(memberId: "${admin}", timeZone: "UTC", shifts: [${[1, 2, 3, 4, 5, 6, 7].map((d) => `{ day: ${d}, from: "00:00", to: "24:00" }`).join(', ')}]) { memberId timeZone shifts { day from to } muteOffDuty } }`);
    expect(set.body.errors).toBeUndefined();
    const duty = await h.gql<{ duty: { schedulesInUse: boolean; onDuty: { member: { id: string } }[] }; teamMembers: { id: string; onDuty: boolean }[] }>('{ duty { schedulesInUse onDuty { member { id } until } next { member { id } from } } teamMembers { id onDuty } }');
    expect(duty.body.data!.duty.schedulesInUse).toBe(true);
    expect(duty.body.data!.duty.onDuty.map((e) => e.member.id)).toEqual([admin]);
    expect(duty.body.data!.teamMembers.filter((m) => m.onDuty).map((m) => m.id)).toEqual([admin]);
    const override = await h.gql<{ addDutyOverride: { id: string } }>(`mutation { addDutyOverride(memberId: "${admin}", from: "${new Date(Date.now() - 60_000).toISOString()}", to: "${new Date(Date.now() + 3600_000).toISOString()}", onDuty: false, note: "sick") { id onDuty note } }`);
    expect((await h.gql<{ duty: { onDuty: unknown[] } }>('{ duty { onDuty { until } } }')).body.data!.duty.onDuty).toEqual([]);
    expect((await h.gql(`mutation { removeDutyOverride(id: "${override.body.data!.addDutyOverride.id}") }`)).body.data).toEqual({ removeDutyOverride: true });
    expect((await h.gql(`mutation { removeDutySchedule(memberId: "${admin}") }`)).body.data).toEqual({ removeDutySchedule: true });
    expect((await h.gql<{ duty: { schedulesInUse: boolean } }>('{ duty { schedulesInUse } }')).body.data!.duty.schedulesInUse).toBe(false);
  });

  it('adds and removes roster members, reclassifying at once', async () => {
    // Someone the daemon knows from Telegram, so that their Telegram name can come back.
    const hire = h.sim.demo.company.clientChats.find((c) => c.scenario === 'quiet')!.clients[0]!.userId;
    const telegramName = h.sim.daemon.model.users.get(hire)!.name;
    expect(telegramName).not.toBe('');
    const add = await h.gql(`mutation { addTeamMember(userId: "${hire}", role: MANAGER, name: "Inna Newhire") { id name role source onDuty } }`);
    expect(add.body.data).toEqual({ addTeamMember: { id: String(hire), name: 'Inna Newhire', role: 'MANAGER', source: 'api', onDuty: true } });
    // A role change without a name keeps the name; an empty one goes back to the Telegram name.
    const demoted = await h.gql(`mutation { addTeamMember(userId: "${hire}", role: ADMIN) { name role } }`);
    expect(demoted.body.data).toEqual({ addTeamMember: { name: 'Inna Newhire', role: 'ADMIN' } });
    const renamed = await h.gql<{ addTeamMember: { name: string } }>(`mutation { addTeamMember(userId: "${hire}", role: ADMIN, name: "") { name } }`);
    expect(renamed.body.data!.addTeamMember.name).toBe(telegramName);
    const configured = String(h.sim.demo.company.team[0]!.userId);
    expect(codes((await h.gql(`mutation { removeTeamMember(userId: "${configured}") }`)).body)).toEqual(['CONFLICT']);
    expect((await h.gql(`mutation { removeTeamMember(userId: "${hire}") }`)).body.data).toEqual({ removeTeamMember: true });
    expect((await h.gql(`mutation { removeTeamMember(userId: "${hire}") }`)).body.data).toEqual({ removeTeamMember: false });
    // Someone no account has seen on Telegram, added without a name: named by their id, never blank.
    const stranger = 987_654_321;
    expect(h.sim.daemon.model.users.has(stranger)).toBe(false);
    const added = await h.gql(`mutation { addTeamMember(userId: "${stranger}", role: ADMIN, name: "") { name } }`);
    expect(added.body.data).toEqual({ addTeamMember: { name: `user ${stranger}` } });
    const listed = await h.gql<{ teamMembers: { id: string; name: string }[] }>('{ teamMembers { id name } }');
    expect(listed.body.data!.teamMembers.find((m) => m.id === String(stranger))?.name).toBe(`user ${stranger}`);
    expect((await h.gql(`mutation { removeTeamMember(userId: "${stranger}") }`)).body.data).toEqual({ removeTeamMember: true });
  });
});

describe('tgdesk jobs, roster and duty', () => {
  it('plans, runs and reports a job with a final table, and explains a missing token', async () => {
    const chat = h.sim.demo.company.clientChats.find((c) => c.kind === 'basicGroup' && !c.teamIds.includes(outsiders()[4]!.userId))!;
    const member = String(outsiders()[4]!.userId);
    const dry = io(h.tokens.manager);
    expect(await runJobsCommand(['add-to-chats', member, String(chat.chatId), '--dry-run'], dry)).toBe(0);
    expect(dry.out()).toMatch(/todo/);
    expect(dry.out()).toContain('plan (add): 1 to do, 0 skipped, 0 impossible');

    const run = io(h.tokens.manager);
    expect(await runJobsCommand(['add-to-chats', member, String(chat.chatId)], run)).toBe(0);
    expect(run.err()).toMatch(/\[#+\] 1\/1/);
    expect(run.out()).toMatch(/^OUTCOME +CHAT +TITLE +MEMBER +ACCOUNT +REASON/);
    expect(run.out()).toMatch(/\ndone +/);
    expect(run.out()).toMatch(/done: 1 done, 0 skipped, 0 invited, 0 failed\n$/);
    expect(h.sim.demo.world.isMember(chat.chat, Number(member))).toBe(true);

    const list = io(h.tokens.manager);
    expect(await runJobsCommand(['list'], list)).toBe(0);
    expect(list.out()).toContain('add_member_to_chats');

    const none = io(null);
    expect(await runJobsCommand(['list'], none)).toBe(2);
    expect(none.err()).toContain('TGDESK_TOKEN');
    const admin = io(h.tokens.admin);
    expect(await runJobsCommand(['remove', member, '--all', '--dry-run'], admin)).toBe(2);
    expect(admin.err()).toContain('FORBIDDEN');
  });

  it('lists the roster, sets a schedule from shift texts and shows who is on duty', async () => {
    expect(parseShift('Mon-Fri 09:00-18:00').map((s) => s.day)).toEqual([1, 2, 3, 4, 5]);
    expect(parseShift('Sat,Sun 22:00-06:00')).toEqual([
      { day: 6, from: '22:00', to: '06:00' },
      { day: 7, from: '22:00', to: '06:00' },
    ]);
    expect(parseShift('Fri-Mon 10:00-11:00').map((s) => s.day)).toEqual([1, 5, 6, 7]);
    const roster = io(h.tokens.viewer);
    expect(await runRosterCommand(['list'], roster)).toBe(0);
    expect(roster.out().split('\n').length).toBeGreaterThan(10);

    const set = io(h.tokens.manager);
    expect(await runDutyCommand(['set', String(h.members.admin), '--tz', 'Europe/Berlin', '--shift', 'Mon-Sun 00:00-24:00'], set)).toBe(0);
    expect(set.out()).toContain('7 shifts a week in Europe/Berlin');
    const now = io(h.tokens.viewer);
    expect(await runDutyCommand([], now)).toBe(0);
    expect(now.out()).toMatch(new RegExp(`on duty +${h.members.admin}`));
    expect(await runDutyCommand(['unset', String(h.members.admin)], io(h.tokens.manager))).toBe(0);
  });

  it('exits with status 3 when the job pauses, saying why and how it goes on', async () => {
    const world = h.sim.demo.world;
    const member = outsiders()[1]!.userId;
    // A chat where only one account can add, one that has not added yet (no throttle to sit
    // out): PEER_FLOOD on it pauses the job for a day.
    let pick: { chatId: string; accountId: string } | null = null;
    for (const c of h.sim.demo.company.clientChats.filter((x) => !x.teamIds.includes(member))) {
      const plan = await h.sim.daemon.teamOps.jobs.plan({ kind: 'addMembersToChat', chatKey: String(c.chatId), memberUserIds: [member] });
      const item = plan.items[0]!;
      if (item.outcome === 'todo' && item.candidates.length === 1 && h.sim.daemon.teamOps.jobs.limitsOf(item.accountId!).lastAddAt === null) {
        pick = { chatId: String(c.chatId), accountId: item.accountId! };
        break;
      }
    }
    expect(pick).not.toBeNull();
    const accountUserId = h.sim.demo.company.accounts[h.sim.demo.accounts.findIndex((a) => a.accountId === pick!.accountId)]!.userId;
    world.failures.peerFlood(accountUserId);
    const run = io(h.tokens.manager);
    expect(await runJobsCommand(['add-to-chat', pick!.chatId, String(member)], run)).toBe(3);
    const jobId = /job (\d+) started/.exec(run.err())![1]!;
    expect(run.err()).toContain(`job ${jobId} is paused: ${pick!.accountId}: PEER_FLOOD on ${pick!.accountId}: Telegram stopped its adds until`);
    expect(run.err()).toContain('It goes on by itself when that clears');
    expect(run.err()).toContain(`tgdesk jobs watch ${jobId}`);
    expect(run.out()).toBe('');
    // Watching it again says the same at once.
    const watch = io(h.tokens.manager);
    expect(await runJobsCommand(['watch', jobId], watch)).toBe(3);
    expect(watch.err()).toContain(`job ${jobId} is paused`);
    expect(await runJobsCommand(['cancel', jobId], io(h.tokens.manager))).toBe(0);
    world.failures.clearPeerFlood(accountUserId);
  });

  it('reads its throttle and alert settings from the configuration, every problem at once', () => {
    const config = loadConfig({ mode: 'demo', env: { TGDESK_JOB_ADD_INTERVAL_SECONDS: '45', TGDESK_JOB_ADDS_PER_DAY: '25', TGDESK_ALERT_CHANNELS: 'dm,teamChat', TGDESK_ALERT_REMINDER_MINUTES: '0' } });
    expect(config.teamOps).toEqual({ addIntervalSeconds: 45, addsPerDay: 25, privacyFallback: 'dm', alertAccount: null, alertChannels: ['dm', 'teamChat'], alertMentionMinutes: 10, alertReminderMinutes: 0, alertsPerMinute: 6 });
    expect(() => loadConfig({ mode: 'demo', env: { TGDESK_JOB_PRIVACY_FALLBACK: 'sms', TGDESK_ALERT_CHANNELS: 'pager', TGDESK_ACCOUNTS: 'alice', TGDESK_ALERT_ACCOUNT: 'bob' } })).toThrow(
      /TGDESK_JOB_PRIVACY_FALLBACK[\s\S]*TGDESK_ALERT_ACCOUNT[\s\S]*TGDESK_ALERT_CHANNELS/,
    );
  });
});
