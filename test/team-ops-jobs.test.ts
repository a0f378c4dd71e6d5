/**
 * Membership jobs against the simulated Telegram: planning, batching, privacy fallbacks,
 * PEER_FLOOD, a restart in the middle, two jobs over the same member and chat, offboarding, and
 * bad input. The simulator's call log is the witness of what was sent to Telegram.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Actor } from '../src/app/actions.ts';
import type { JobRequest } from '../src/app/membership-jobs.ts';
import type { DemoWorld } from '../src/cli/demo.ts';
import { DomainError } from '../src/domain/errors.ts';
import type { SimCall } from '../src/tdlib/simulator/world.ts';
import { startTeamOpsSim, type TeamOpsSim } from './helpers/team-ops-sim.ts';

const manager: Actor = { label: 'test:manager', memberUserId: null };
let t = Date.parse('2025-06-02T10:00:00Z');
const clock = () => t;
let sim: TeamOpsSim | null = null;

afterEach(async () => {
  await sim?.dispose();
  sim = null;
});

const FAST = { jobs: { limits: { minIntervalMs: 0, maxPerDay: 1000 }, removeIntervalMs: 0 } };

function request(c: SimCall): { chat_id: number; user_ids?: number[]; user_id?: number; member_id?: { user_id: number }; status?: { _: string } } {
  return c.request as never;
}

/** Every add of `userId` the accounts sent, as [account user, chat id]. */
function addsOf(s: TeamOpsSim, userId: number): [number, number][] {
  const out: [number, number][] = [];
  for (const c of s.demo.world.callLog()) {
    const r = request(c);
    if ((c.method === 'addChatMembers' && r.user_ids?.includes(userId)) || (c.method === 'addChatMember' && r.user_id === userId)) out.push([c.accountUserId, r.chat_id]);
  }
  return out;
}

function nonAccountAdmins(s: TeamOpsSim) {
  return s.demo.company.team.filter((m) => m.role === 'admin' && !m.isAccount);
}

function accountIdOf(s: TeamOpsSim, userId: number): string {
  return s.demo.accounts[s.demo.company.accounts.findIndex((a) => a.userId === userId)]!.accountId;
}

/** A supergroup with exactly one of the daemon's accounts in it, and `count` admins outside it whose privacy refuses adds. */
function privacyCase(demo: DemoWorld, count: number): { chatId: number; actor: number; members: number[] } {
  const isAccount = (id: number) => demo.company.accounts.some((a) => a.userId === id);
  const chat = demo.company.clientChats.find((c) => c.kind === 'supergroup' && c.teamIds.filter(isAccount).length === 1)!;
  const members = demo.company.team.filter((m) => m.role === 'admin' && !m.isAccount && !chat.teamIds.includes(m.userId)).slice(0, count).map((m) => m.userId);
  for (const id of members) demo.world.failures.restrictInvites(id);
  return { chatId: chat.chatId, actor: chat.teamIds.find(isAccount)!, members };
}

async function run(s: TeamOpsSim, req: JobRequest) {
  const started = await s.daemon.teamOps.jobs.create(manager, req);
  await s.settle();
  return { ...started, report: await s.daemon.teamOps.jobs.job(started.job!.id) };
}

describe('membership jobs', () => {
  it('adds a member to every support chat: supergroups by addChatMembers, basic groups by addChatMember, skipping where they are', async () => {
    sim = await startTeamOpsSim({ clock, teamOps: FAST });
    const x = nonAccountAdmins(sim)[0]!;
    const { company, world } = sim.demo;
    const dry = await sim.daemon.teamOps.jobs.create(manager, { kind: 'addMemberToChats', memberUserId: x.userId, allSupport: true }, true);
    expect(dry.job).toBeNull();
    expect(addsOf(sim, x.userId)).toEqual([]);
    const already = company.clientChats.filter((c) => c.teamIds.includes(x.userId));
    expect(dry.plan.counts).toEqual({ todo: company.clientChats.length - already.length, skip: already.length, impossible: 0 });
    expect(dry.plan.items.filter((i) => i.outcome === 'skip').every((i) => /^already /.test(i.reason!))).toBe(true);

    const { report } = await run(sim, { kind: 'addMemberToChats', memberUserId: x.userId, allSupport: true });
    expect(report.job).toMatchObject({ state: 'done', counts: { done: company.clientChats.length - already.length, skipped: already.length, failed: 0 } });
    for (const c of company.clientChats) expect(world.isMember(c.chat, x.userId)).toBe(true);
    // One add per chat, each through the right method for the chat's kind.
    const adds = world.callLog().filter((c) => (c.method === 'addChatMembers' || c.method === 'addChatMember') && (request(c).user_ids?.includes(x.userId) || request(c).user_id === x.userId));
    expect(adds).toHaveLength(company.clientChats.length - already.length);
    for (const call of adds) {
      const chat = company.clientChats.find((c) => c.chatId === request(call).chat_id)!;
      expect(call.method).toBe(chat.kind === 'basicGroup' ? 'addChatMember' : 'addChatMembers');
    }
    expect(new Set(adds.map((c) => c.method))).toEqual(new Set(['addChatMember', 'addChatMembers']));
    // Progress went out as events with absolute counts, ending with the finished job.
    const progress = sim.events.filter((e) => e.type === 'membershipJobChanged');
    expect(progress.at(-1)).toMatchObject({ job: { id: report.job.id, state: 'done' } });
  });

  it('adds several members to a supergroup in one call of up to 20', async () => {
    sim = await startTeamOpsSim({ clock, teamOps: FAST });
    const chat = sim.demo.company.clientChats.find((c) => c.kind === 'supergroup')!;
    const missing = sim.demo.company.team.filter((m) => !chat.teamIds.includes(m.userId)).map((m) => m.userId);
    const { report } = await run(sim, { kind: 'addMembersToChat', chatKey: String(chat.chatId), memberUserIds: missing });
    expect(report.job.counts.done).toBe(missing.length);
    const calls = sim.demo.world.callLog({ method: 'addChatMembers' });
    expect(calls).toHaveLength(1);
    expect(new Set(request(calls[0]!).user_ids)).toEqual(new Set(missing));
  });

  it('stops an account on PEER_FLOOD, moves its items to another account with rights, and pauses the rest with the reason', async () => {
    sim = await startTeamOpsSim({ clock, teamOps: FAST });
    const { company, world } = sim.demo;
    const x = nonAccountAdmins(sim)[1]!;
    const flooded = company.accounts[0]!;
    world.failures.peerFlood(flooded.userId, { afterAdds: 1 });
    const { report } = await run(sim, { kind: 'addMemberToChats', memberUserId: x.userId, allSupport: true });

    expect(report.job.state).toBe('paused');
    expect(report.job.reason).toContain('PEER_FLOOD');
    const limits = sim.daemon.teamOps.jobs.limitsOf(accountIdOf(sim, flooded.userId));
    expect(limits.blockedUntil).toBeGreaterThanOrEqual(t + 24 * 3600_000 - 1000);
    // The flooded account tried twice (one add went through, then PEER_FLOOD) and never again.
    expect(addsOf(sim, x.userId).filter(([acc]) => acc === flooded.userId)).toHaveLength(2);
    const accountIds = new Set(company.accounts.map((a) => a.userId));
    for (const item of report.items) {
      const chat = company.clientChats.find((c) => String(c.chatId) === item.chatKey)!;
      const others = chat.teamIds.filter((id) => accountIds.has(id) && id !== flooded.userId);
      if (item.state === 'pending') {
        // Only the flooded account can add here: the item waits for it.
        expect(others).toEqual([]);
        expect(world.isMember(chat.chat, x.userId)).toBe(false);
      } else if (item.state === 'done') expect(world.isMember(chat.chat, x.userId)).toBe(true);
    }
    const pending = report.items.filter((i) => i.state === 'pending');
    expect(pending.length).toBeGreaterThan(0);
    expect(report.items.some((i) => i.state === 'done' && i.accountId !== accountIdOf(sim!, flooded.userId))).toBe(true);

    // A day later the account may add again and the job finishes, nobody added twice.
    world.failures.clearPeerFlood(flooded.userId);
    t += 24 * 3600_000 + 5_000;
    sim.daemon.teamOps.jobs.kick();
    await sim.settle();
    const after = await sim.daemon.teamOps.jobs.job(report.job.id);
    expect(after.job.state).toBe('done');
    for (const c of company.clientChats) expect(world.isMember(c.chat, x.userId)).toBe(true);
    const perChat = new Map<number, number>();
    for (const [, chatId] of addsOf(sim, x.userId)) perChat.set(chatId, (perChat.get(chatId) ?? 0) + 1);
    // Exactly one successful add per chat; the refused PEER_FLOOD call is the only repeat.
    expect([...perChat.values()].filter((n) => n > 1)).toHaveLength(1);
  });

  it('waits as Telegram says after a long FLOOD_WAIT, paused with the reason, then goes on', async () => {
    sim = await startTeamOpsSim({ clock, teamOps: FAST });
    const x = nonAccountAdmins(sim)[0]!.userId;
    const chat = sim.demo.company.clientChats.find((c) => c.kind === 'supergroup' && !c.teamIds.includes(x))!;
    sim.demo.world.failures.floodWait({ method: 'addChatMembers', seconds: 300, times: 1 });
    const { report } = await run(sim, { kind: 'addMembersToChat', chatKey: String(chat.chatId), memberUserIds: [x] });
    expect(report.job.state).toBe('paused');
    expect(report.job.reason).toContain('FLOOD_WAIT');
    expect(report.items[0]).toMatchObject({ state: 'pending', reason: expect.stringContaining('wait 301 s') });
    const paused = sim.events.filter((e) => e.type === 'membershipJobChanged').at(-1);
    expect(paused).toMatchObject({ job: { state: 'paused', counts: { total: 1, pending: 1 } } });
    // Before the wait is over nothing is tried again; after it, the add goes through once.
    t += 200_000;
    sim.daemon.teamOps.jobs.kick();
    await sim.settle();
    expect(addsOf(sim, x)).toHaveLength(1);
    t += 102_000;
    sim.daemon.teamOps.jobs.kick();
    await sim.settle();
    expect((await sim.daemon.teamOps.jobs.job(report.job.id)).job).toMatchObject({ state: 'done', counts: { done: 1 } });
    expect(addsOf(sim, x)).toHaveLength(2);
    expect(sim.demo.world.isMember(chat.chat, x)).toBe(true);
  });

  it('sends a privacy-restricted member a one-use invite link by direct message, opening the private chat first, or reports it when no message can reach them', async () => {
    let known!: number; // already has a private chat with the acting account
    let fresh!: number; // has none: the job opens it
    let shy!: number; // lets only contacts start a chat: the message is refused
    let chatId!: number;
    let actor!: number;
    sim = await startTeamOpsSim({
      clock,
      teamOps: FAST,
      setup: (demo) => {
        const c = privacyCase(demo, 3);
        ({ chatId, actor } = c);
        expect(c.members).toHaveLength(3);
        [known, fresh, shy] = c.members as [number, number, number];
        demo.world.failures.restrictNewChats(shy);
        demo.world.ensurePrivateChat(actor, known);
      },
    });
    const world = sim.demo.world;
    const privateChats = () => world.chats().filter((c) => c.kind === 'private').length;
    const before = privateChats();
    const { report } = await run(sim, { kind: 'addMembersToChat', chatKey: String(chatId), memberUserIds: [known, fresh, shy] });
    const byMember = new Map(report.items.map((i) => [i.memberUserId, i]));
    expect(byMember.get(known)).toMatchObject({ state: 'invited', inviteDelivery: 'dm', accountId: expect.any(String) });
    expect(byMember.get(fresh)).toMatchObject({ state: 'invited', inviteDelivery: 'dm' });
    // The refused message: the link is in the report, with the reason, never lost.
    const refused = byMember.get(shy)!;
    expect(refused).toMatchObject({ state: 'invited', inviteDelivery: 'report', inviteLink: expect.stringMatching(/^https:\/\/t\.me\/\+/) });
    expect(refused.reason).toContain('the direct message with the link failed');
    expect(refused.reason).toContain('PRIVACY_PREMIUM_REQUIRED');

    // The acting account opened a private chat with each member it wrote to: one new chat (the
    // fresh member's; the shy member's chat exists but stays empty), asked of the server.
    const opened = world.callLog({ method: 'createPrivateChat' });
    expect(opened.map((c) => [c.accountUserId, c.request])).toEqual(
      expect.arrayContaining([[actor, { _: 'createPrivateChat', user_id: known, force: false }], [actor, { _: 'createPrivateChat', user_id: fresh, force: false }], [actor, { _: 'createPrivateChat', user_id: shy, force: false }]]),
    );
    expect(opened).toHaveLength(3);
    expect(privateChats()).toBe(before + 2);
    // Each member that could be written to got their own link in a private chat, and it works exactly once.
    for (const id of [known, fresh]) {
      const link = byMember.get(id)!.inviteLink!;
      expect(link).toMatch(/^https:\/\/t\.me\/\+/);
      const dm = world.allMessages().filter((m) => m.chatKind === 'private' && m.text.includes(link));
      expect(dm).toHaveLength(1);
      expect(dm[0]!.senderId).toBe(actor);
      expect(world.isMember(chatId, id)).toBe(false);
      world.joinByLink(id, link);
      expect(world.isMember(chatId, id)).toBe(true);
      expect(() => world.joinByLink(shy, link)).toThrow();
    }
    expect(world.allMessages().filter((m) => m.chatKind === 'private' && m.text.includes(refused.inviteLink!))).toEqual([]);
    world.joinByLink(shy, refused.inviteLink!);
    expect(world.isMember(chatId, shy)).toBe(true);
    expect(world.callLog({ method: 'createChatInviteLink' }).map((c) => (c.request as { member_limit: number }).member_limit)).toEqual([1, 1, 1]);
  });

  it('reports the link when the private chat cannot be opened, and opens none when configured to report only', async () => {
    let members!: number[];
    let chatId!: number;
    sim = await startTeamOpsSim({
      clock,
      teamOps: FAST,
      setup: (demo) => {
        ({ chatId, members } = privacyCase(demo, 2));
      },
    });
    const world = sim.demo.world;
    world.failures.error({ method: 'createPrivateChat', code: 400, message: "Can't access the chat", times: 1 });
    const first = await run(sim, { kind: 'addMembersToChat', chatKey: String(chatId), memberUserIds: [members[0]!] });
    expect(first.report.items[0]).toMatchObject({ state: 'invited', inviteDelivery: 'report', inviteLink: expect.stringMatching(/^https:\/\/t\.me\/\+/) });
    expect(first.report.items[0]!.reason).toContain("no private chat with them could be opened (Can't access the chat)");
    expect(world.callLog({ method: 'sendMessage' })).toEqual([]);
    await sim.dispose();

    // privacyFallback: report: the job never writes to anyone, nor opens a chat to do so.
    sim = await startTeamOpsSim({
      clock,
      teamOps: { jobs: { ...FAST.jobs, privacyFallback: 'report' } },
      // The same seed builds the same company: the same chat and members.
      setup: (demo) => expect(privacyCase(demo, 2)).toEqual({ chatId, actor: expect.any(Number), members }),
    });
    const second = await run(sim, { kind: 'addMembersToChat', chatKey: String(chatId), memberUserIds: members });
    expect(second.report.items.map((i) => [i.state, i.inviteDelivery])).toEqual([
      ['invited', 'report'],
      ['invited', 'report'],
    ]);
    expect(sim.demo.world.callLog({ method: 'createPrivateChat' })).toEqual([]);
    expect(sim.demo.world.callLog({ method: 'sendMessage' })).toEqual([]);
  });

  it('resumes after a restart without repeating a done item, and verifies the one that was under way', async () => {
    const slow = { jobs: { limits: { minIntervalMs: 60_000, maxPerDay: 1000 }, removeIntervalMs: 0 } };
    sim = await startTeamOpsSim({ clock, teamOps: slow });
    const { company, world } = sim.demo;
    const x = nonAccountAdmins(sim)[2]!;
    // Supergroups of one acting account, so the spacing applies between every add.
    const anchor = company.accounts[1]!;
    const accountIds = new Set(company.accounts.map((a) => a.userId));
    const chats = company.clientChats.filter((c) => c.kind === 'supergroup' && c.teamIds.filter((id) => accountIds.has(id)).join() === String(anchor.userId) && !c.teamIds.includes(x.userId)).slice(0, 3);
    expect(chats).toHaveLength(3);
    const started = await sim.daemon.teamOps.jobs.create(manager, { kind: 'addMemberToChats', memberUserId: x.userId, chatKeys: chats.map((c) => String(c.chatId)) });
    await sim.settle();
    expect(addsOf(sim, x.userId)).toHaveLength(1);
    await sim.stop();

    // The crash came in the middle of the second add: stored as under way, and it did go through.
    const db = sim.store.db;
    const pending = await db.selectFrom('membership_job_items').selectAll().where('job_id', '=', started.job!.id).where('state', '=', 'pending').orderBy('id').execute();
    const underWay = pending[0]!;
    await db.updateTable('membership_job_items').set({ state: 'running', attempts: 1 }).where('id', '=', underWay.id).execute();
    world.addMember(underWay.td_chat_id, x.userId, { inviterId: anchor.userId });
    const addsBefore = addsOf(sim, x.userId).length;

    sim = await sim.restart();
    for (let i = 0; i < 6; i++) {
      t += 61_000;
      sim.daemon.teamOps.jobs.kick();
      await sim.settle();
    }
    const report = await sim.daemon.teamOps.jobs.job(started.job!.id);
    expect(report.job.state).toBe('done');
    expect(report.items.find((i) => i.id === underWay.id)).toMatchObject({ state: 'done', reason: 'found in the chat when checked after an earlier attempt' });
    // One more add after the restart (the remaining chat), none for the verified one, none repeated.
    const adds = addsOf(sim, x.userId);
    expect(adds.length - addsBefore).toBe(1);
    expect(new Set(adds.map(([, chatId]) => chatId)).size).toBe(adds.length);
    expect(adds.map(([, chatId]) => chatId)).not.toContain(underWay.td_chat_id);
    for (const c of chats) expect(world.isMember(c.chat, x.userId)).toBe(true);
  });

  it('never adds twice when two jobs cover the same member and chat', async () => {
    const slow = { jobs: { limits: { minIntervalMs: 60_000, maxPerDay: 1000 }, removeIntervalMs: 0 } };
    sim = await startTeamOpsSim({ clock, teamOps: slow });
    const x = nonAccountAdmins(sim)[3]!;
    const chats = sim.demo.company.clientChats.filter((c) => !c.teamIds.includes(x.userId)).slice(0, 3);
    const first = await sim.daemon.teamOps.jobs.create(manager, { kind: 'addMemberToChats', memberUserId: x.userId, chatKeys: chats.map((c) => String(c.chatId)) });
    // Both jobs ask at once; the second finds the first holding every pair.
    const [second, third] = await Promise.all([
      sim.daemon.teamOps.jobs.create(manager, { kind: 'addMembersToChat', chatKey: String(chats[1]!.chatId), memberUserIds: [x.userId] }),
      sim.daemon.teamOps.jobs.create(manager, { kind: 'addMemberToChats', memberUserId: x.userId, chatKeys: chats.map((c) => String(c.chatId)) }),
    ]);
    expect(second.job).toMatchObject({ state: 'done', counts: { skipped: 1 } });
    expect(third.job!.counts.skipped).toBe(3);
    const skipped = (await sim.daemon.teamOps.jobs.job(second.job!.id)).items[0]!;
    expect(skipped.reason).toBe(`job ${first.job!.id} is already working on this member in this chat`);
    // The store itself refuses a second unfinished item for the pair.
    const held = (await sim.store.db.selectFrom('membership_job_items').selectAll().where('job_id', '=', first.job!.id).where('state', 'in', ['pending', 'running']).executeTakeFirstOrThrow());
    const { id: _id, ...copy } = held;
    await expect(sim.store.db.insertInto('membership_job_items').values({ ...copy, job_id: second.job!.id }).execute()).rejects.toThrow();

    for (let i = 0; i < 4; i++) {
      t += 61_000;
      sim.daemon.teamOps.jobs.kick();
      await sim.settle();
    }
    expect((await sim.daemon.teamOps.jobs.job(first.job!.id)).job.state).toBe('done');
    // After the first job is done, a new one finds the member there.
    const again = await run(sim, { kind: 'addMembersToChat', chatKey: String(chats[0]!.chatId), memberUserIds: [x.userId] });
    expect(again.report.items[0]).toMatchObject({ state: 'skipped', reason: 'already a member' });
    expect(addsOf(sim, x.userId).map(([, chatId]) => chatId).sort()).toEqual(chats.map((c) => c.chatId).sort());
  });

  it('offboards a member from every support chat: ban and unban in supergroups, removal in basic groups; the team chat and other groups stay', async () => {
    let otherGroup!: number;
    let x!: number;
    sim = await startTeamOpsSim({
      clock,
      teamOps: FAST,
      setup: (demo) => {
        // A group of team members only: nobody's client chat.
        x = demo.company.team.filter((m) => m.role === 'admin' && !m.isAccount)[0]!.userId;
        const acc = demo.company.accounts[0]!.userId;
        otherGroup = demo.world.createSupergroup('Admins: on-call drills', [acc, x], [acc], { creatorId: acc }).id;
      },
    });
    const { company, world } = sim.demo;
    expect(sim.daemon.model.chats.get(String(otherGroup))!.kind).not.toBe('support');
    const inChats = company.clientChats.filter((c) => c.teamIds.includes(x));
    expect(inChats.length).toBeGreaterThan(0);
    expect(world.isMember(company.teamChat, x)).toBe(true);
    const dry = await sim.daemon.teamOps.jobs.create(manager, { kind: 'removeMemberFromChats', memberUserId: x, all: true }, true);
    expect(dry.plan.counts.todo).toBe(inChats.length);
    expect(new Set(dry.plan.items.map((i) => i.chatKey))).toEqual(new Set(company.clientChats.map((c) => String(c.chatId))));
    const { report } = await run(sim, { kind: 'removeMemberFromChats', memberUserId: x, all: true });
    expect(report.job).toMatchObject({ state: 'done', counts: { done: inChats.length, failed: 0 } });
    for (const c of company.clientChats) expect(world.isMember(c.chat, x)).toBe(false);
    expect(world.isMember(company.teamChat, x)).toBe(true);
    expect(world.isMember(otherGroup, x)).toBe(true);
    const calls = world.callLog().filter((c) => request(c).member_id?.user_id === x);
    for (const c of inChats) {
      const methods = calls.filter((k) => request(k).chat_id === c.chatId).map((k) => `${k.method}${k.method === 'setChatMemberStatus' ? `:${request(k).status?._}` : ''}`);
      expect(methods).toEqual(c.kind === 'supergroup' ? ['banChatMember', 'setChatMemberStatus:chatMemberStatusLeft'] : ['setChatMemberStatus:chatMemberStatusLeft']);
    }
    // Nothing was done in a chat the member was not in, nor outside the client chats.
    expect(new Set(calls.map((c) => request(c).chat_id))).toEqual(new Set(inChats.map((c) => c.chatId)));
    // The team chat is named when it is meant.
    const teamChat = await run(sim, { kind: 'removeMemberFromChats', memberUserId: x, chatKeys: [String(company.teamChat.id)] });
    expect(teamChat.report.job).toMatchObject({ state: 'done', counts: { done: 1 } });
    expect(world.isMember(company.teamChat, x)).toBe(false);
  });

  it('answers bad input with typed errors and plans a chat nobody may add to with the reason', async () => {
    let noRights!: number;
    sim = await startTeamOpsSim({
      clock,
      teamOps: FAST,
      setup: (demo) => {
        const acc = demo.company.accounts[0]!.userId;
        const boss = demo.company.team.find((m) => !m.isAccount && m.role === 'admin')!.userId;
        const client = demo.world.addUser({ firstName: 'Olga', lastName: 'Client' });
        noRights = demo.world.createSupergroup('Client without rights for us', [acc, client.id, boss], [boss], { creatorId: boss }).id;
      },
    });
    const jobs = sim.daemon.teamOps.jobs;
    const x = nonAccountAdmins(sim)[1]!.userId;
    const code = async (p: Promise<unknown>) => {
      try {
        await p;
        return null;
      } catch (error) {
        return error instanceof DomainError ? error.code : String(error);
      }
    };
    expect(await code(jobs.create(manager, { kind: 'addMembersToChat', chatKey: '-100999', memberUserIds: [x] }))).toBe('NOT_FOUND');
    expect(await code(jobs.create(manager, { kind: 'addMemberToChats', memberUserId: 4242, allSupport: true }))).toBe('NOT_FOUND');
    expect(await code(jobs.create(manager, { kind: 'addMemberToChats', memberUserId: x, allSupport: true, chatKeys: [String(noRights)] }))).toBe('BAD_USER_INPUT');
    expect(await code(jobs.create(manager, { kind: 'addMembersToChat', chatKey: String(noRights), memberUserIds: [] }))).toBe('BAD_USER_INPUT');
    expect(await code(jobs.job(12345))).toBe('NOT_FOUND');

    const plan = await jobs.plan({ kind: 'addMembersToChat', chatKey: String(noRights), memberUserIds: [x] });
    expect(plan.items[0]).toMatchObject({ outcome: 'impossible', accountId: null });
    expect(plan.items[0]!.reason).toBe(`no account can add members here: ${sim.demo.accounts[0]!.accountId} is only a member`);
    // Started anyway, the job records the reason and touches nothing.
    const { report } = await run(sim, { kind: 'addMembersToChat', chatKey: String(noRights), memberUserIds: [x] });
    expect(report.items[0]).toMatchObject({ state: 'failed', reason: plan.items[0]!.reason });
    expect(addsOf(sim, x)).toEqual([]);
    // Cancelling a finished job is idempotent; an unknown one is NOT_FOUND.
    expect((await jobs.cancel(manager, report.job.id)).state).toBe('done');
    expect(await code(jobs.cancel(manager, 999))).toBe('NOT_FOUND');
  });

  it('cancels the items not done yet', async () => {
    const slow = { jobs: { limits: { minIntervalMs: 60_000, maxPerDay: 1000 }, removeIntervalMs: 0 } };
    sim = await startTeamOpsSim({ clock, teamOps: slow });
    const x = nonAccountAdmins(sim)[4]!;
    const started = await sim.daemon.teamOps.jobs.create(manager, { kind: 'addMemberToChats', memberUserId: x.userId, allSupport: true });
    await sim.settle();
    const cancelled = await sim.daemon.teamOps.jobs.cancel(manager, started.job!.id);
    expect(cancelled.state).toBe('cancelled');
    expect(cancelled.counts.pending).toBe(0);
    t += 3600_000;
    sim.daemon.teamOps.jobs.kick();
    await sim.settle();
    const accountsDone = addsOf(sim, x.userId).length;
    expect(accountsDone).toBe(cancelled.counts.done);
  });

  it('cancels for good while a call is under way: a call that ends in FLOOD_WAIT ends the item cancelled, never retried, and frees the member and chat', async () => {
    sim = await startTeamOpsSim({ clock, teamOps: FAST });
    const { world } = sim.demo;
    const x = nonAccountAdmins(sim)[0]!.userId;
    const chat = sim.demo.company.clientChats.find((c) => c.kind === 'supergroup' && !c.teamIds.includes(x))!;
    const jobs = sim.daemon.teamOps.jobs;
    // TDLib sits out a short wait, retries, and Telegram asks for a long one.
    const stall = world.failures.stall({ method: 'addChatMembers', times: 1, then: { code: 429, message: 'Too Many Requests: retry after 300' } });
    const started = await jobs.create(manager, { kind: 'addMembersToChat', chatKey: String(chat.chatId), memberUserIds: [x] });
    await stall.reached;
    const cancelled = await jobs.cancel(manager, started.job!.id);
    expect(cancelled).toMatchObject({ state: 'cancelled', counts: { running: 1, pending: 0 } });
    stall.release();
    await sim.settle();

    const report = await jobs.job(started.job!.id);
    expect(report.job).toMatchObject({ state: 'cancelled', counts: { total: 1, running: 0, pending: 0, cancelled: 1 } });
    expect(report.items[0]!.state).toBe('cancelled');
    expect(report.items[0]!.reason).toContain('cancelled by test:manager');
    expect(report.items[0]!.reason).toContain('FLOOD_WAIT');
    expect(world.isMember(chat.chat, x)).toBe(false);
    // The last progress event is the finished, cancelled job.
    expect(sim.events.filter((e) => e.type === 'membershipJobChanged').at(-1)).toMatchObject({ job: { id: started.job!.id, state: 'cancelled', counts: { running: 0, cancelled: 1 } } });
    // Well after Telegram's wait nothing of the cancelled job is tried again.
    t += 400_000;
    jobs.kick();
    await sim.settle();
    expect(addsOf(sim, x)).toHaveLength(1);
    // A later job over the same member and chat is not held off by the cancelled one.
    const again = await run(sim, { kind: 'addMembersToChat', chatKey: String(chat.chatId), memberUserIds: [x] });
    expect(again.report.items[0]).toMatchObject({ state: 'done' });
    expect(world.isMember(chat.chat, x)).toBe(true);
    expect(addsOf(sim, x)).toHaveLength(2);
  });

  it('records a call under way at the cancel as done when it went through, and sends no invite link for a refused one', async () => {
    let chatId!: number;
    let members!: number[];
    sim = await startTeamOpsSim({ clock, teamOps: FAST, setup: (demo) => ({ chatId, members } = privacyCase(demo, 1)) });
    const { world } = sim.demo;
    const jobs = sim.daemon.teamOps.jobs;
    const x = nonAccountAdmins(sim).find((m) => !world.isMember(chatId, m.userId) && !members.includes(m.userId))!.userId;
    const stall = world.failures.stall({ method: 'addChatMembers', times: 1 });
    const started = await jobs.create(manager, { kind: 'addMembersToChat', chatKey: String(chatId), memberUserIds: [x, members[0]!] });
    await stall.reached;
    await jobs.cancel(manager, started.job!.id);
    stall.release();
    await sim.settle();
    const report = await jobs.job(started.job!.id);
    const byMember = new Map(report.items.map((i) => [i.memberUserId, i]));
    expect(report.job).toMatchObject({ state: 'cancelled', counts: { done: 1, cancelled: 1, running: 0 } });
    expect(byMember.get(x)!.state).toBe('done');
    expect(world.isMember(chatId, x)).toBe(true);
    // The privacy-restricted member was refused by that call: no link is made for a cancelled job.
    expect(byMember.get(members[0]!)).toMatchObject({ state: 'cancelled', inviteLink: null });
    expect(world.callLog({ method: 'createChatInviteLink' })).toEqual([]);
    expect(world.callLog({ method: 'sendMessage' })).toEqual([]);
  });

  it('settles at start the items of a cancelled job that were under way when the daemon stopped, by the member list, and frees them', async () => {
    const slow = { jobs: { limits: { minIntervalMs: 60_000, maxPerDay: 1000 }, removeIntervalMs: 0 } };
    sim = await startTeamOpsSim({ clock, teamOps: slow });
    const { company, world } = sim.demo;
    const x = nonAccountAdmins(sim)[2]!.userId;
    const anchor = company.accounts[1]!;
    const accountIds = new Set(company.accounts.map((a) => a.userId));
    const chats = company.clientChats.filter((c) => c.kind === 'supergroup' && c.teamIds.filter((id) => accountIds.has(id)).join() === String(anchor.userId) && !c.teamIds.includes(x)).slice(0, 3);
    expect(chats).toHaveLength(3);
    const started = await sim.daemon.teamOps.jobs.create(manager, { kind: 'addMemberToChats', memberUserId: x, chatKeys: chats.map((c) => String(c.chatId)) });
    await sim.settle();
    expect(addsOf(sim, x)).toHaveLength(1);
    await sim.daemon.teamOps.jobs.cancel(manager, started.job!.id);
    await sim.stop();

    // What a crash leaves: the cancel came while two calls were under way (one had gone through,
    // one had not), and an older daemon had put a refused item back to pending under the cancelled job.
    const db = sim.store.db;
    const rest = await db.selectFrom('membership_job_items').selectAll().where('job_id', '=', started.job!.id).where('state', '=', 'cancelled').orderBy('id').execute();
    expect(rest).toHaveLength(2);
    const [wentThrough, didNot] = rest as [(typeof rest)[number], (typeof rest)[number]];
    await db.updateTable('membership_job_items').set({ state: 'running', attempts: 1 }).where('id', 'in', [wentThrough.id, didNot.id]).execute();
    world.addMember(wentThrough.td_chat_id, x, { inviterId: anchor.userId });
    const done = (await sim.daemon.teamOps.jobs.job(started.job!.id)).items.find((i) => i.state === 'done')!;
    await db.updateTable('membership_job_items').set({ state: 'pending', attempts: 1 }).where('id', '=', done.id).execute();
    const addsBefore = addsOf(sim, x).length;

    sim = await sim.restart();
    await sim.settle();
    const report = await sim.daemon.teamOps.jobs.job(started.job!.id);
    expect(report.job.state).toBe('cancelled');
    const byId = new Map(report.items.map((i) => [i.id, i]));
    expect(byId.get(wentThrough.id)).toMatchObject({ state: 'done', reason: expect.stringContaining('had gone through') });
    expect(byId.get(didNot.id)).toMatchObject({ state: 'cancelled', reason: expect.stringContaining('had not gone through') });
    expect(byId.get(done.id)).toMatchObject({ state: 'done' });
    expect(report.job.counts).toMatchObject({ pending: 0, running: 0 });
    // Nothing was called to add anyone at start.
    expect(addsOf(sim, x)).toHaveLength(addsBefore);
    // The member and chat are free: a new job adds where the cancelled one did not.
    t += 61_000;
    const again = await run(sim, { kind: 'addMembersToChat', chatKey: didNot.chat_key, memberUserIds: [x] });
    expect(again.report.items[0]).toMatchObject({ state: 'done' });
    expect(world.isMember(didNot.td_chat_id, x)).toBe(true);
  });

  it("sends an invite link by direct message only as the account's add throttle allows, counting it as an add", async () => {
    let chatId!: number;
    let members!: number[];
    const slow = { jobs: { limits: { minIntervalMs: 60_000, maxPerDay: 1000 }, removeIntervalMs: 0 } };
    sim = await startTeamOpsSim({ clock, teamOps: slow, setup: (demo) => ({ chatId, members } = privacyCase(demo, 1)) });
    const { world } = sim.demo;
    const jobs = sim.daemon.teamOps.jobs;
    const started = await jobs.create(manager, { kind: 'addMembersToChat', chatKey: String(chatId), memberUserIds: members });
    await sim.settle();
    // The add was refused and the link made; the message waits for the next add slot.
    expect(world.callLog({ method: 'createChatInviteLink' })).toHaveLength(1);
    expect(world.callLog({ method: 'sendMessage' })).toEqual([]);
    const waiting = (await jobs.job(started.job!.id)).items[0]!;
    expect(waiting).toMatchObject({ state: 'pending', inviteLink: expect.stringMatching(/^https:\/\/t\.me\/\+/), inviteDelivery: null });
    const accountId = waiting.accountId!;
    const addsBefore = jobs.limitsOf(accountId).addsInWindow;
    t += 30_000;
    jobs.kick();
    await sim.settle();
    expect(world.callLog({ method: 'sendMessage' })).toEqual([]);
    t += 31_000;
    jobs.kick();
    await sim.settle();
    expect(world.callLog({ method: 'sendMessage' })).toHaveLength(1);
    expect((await jobs.job(started.job!.id)).items[0]).toMatchObject({ state: 'invited', inviteDelivery: 'dm', inviteLink: waiting.inviteLink });
    expect(jobs.limitsOf(accountId).addsInWindow).toBe(addsBefore + 1);
  });
});
