/**
 * Duty switching against the simulated Telegram, across the spring daylight-saving change in
 * Europe/Berlin: support chats muted at off-duty time on the member's own account, restored to
 * exactly their previous settings at on-duty time; personal chats and the team chat untouched;
 * a switch missed while the daemon was down caught up at start. And the admin activity built on
 * the same shifts (replies and response times per on-duty period).
 */
import type * as Td from 'tdlib-types';
import { afterEach, describe, expect, it } from 'vitest';
import { MUTE_FOREVER_S } from '../src/app/duty.ts';
import { listDutyMutes } from '../src/store/duty.repository.ts';
import type { DemoWorld } from '../src/cli/demo.ts';
import { eventually } from './helpers/sim-daemon.ts';
import { startTeamOpsSim, type TeamOpsSim } from './helpers/team-ops-sim.ts';

const utc = (iso: string) => Date.parse(iso);
let t = utc('2025-03-29T16:30:00Z'); // Saturday 17:30 in Berlin (CET, +1)
const clock = () => t;
let sim: TeamOpsSim | null = null;

afterEach(async () => {
  await sim?.dispose();
  sim = null;
});

const manager = { label: 'test:manager', memberUserId: null };

/** Every chat the member's account sees, with its notification settings in simulated Telegram. */
function settingsOf(demo: DemoWorld, userId: number): Map<string, Td.chatNotificationSettings> {
  const out = new Map<string, Td.chatNotificationSettings>();
  for (const chat of demo.world.chats()) {
    if (!demo.world.isMember(chat, userId)) continue;
    out.set(chat.key, demo.world.chatState(userId, chat).notificationSettings);
  }
  return out;
}

function supportChatsOf(demo: DemoWorld, userId: number) {
  return demo.company.clientChats.filter((c) => c.teamIds.includes(userId));
}

/** Starts the daemon with one of a member's support chats muted for a while (silent) on their phone. */
async function startWithSilentSupportChat(): Promise<{ started: TeamOpsSim; member: number; silent: string }> {
  let member!: number;
  let silent!: string;
  const started = await startTeamOpsSim({
    clock,
    setup: (demo) => {
      member = demo.company.accounts[3]!.userId;
      const chat = supportChatsOf(demo, member)[0]!.chat;
      demo.world.setNotificationSettings(member, chat, { ...demo.world.chatState(member, chat).notificationSettings, use_default_mute_for: false, mute_for: 7200 });
      silent = chat.key;
    },
  });
  return { started, member, silent };
}

describe('duty', () => {
  it('mutes support chats at off-duty time and restores exactly the previous settings at on-duty time, across the DST change', async () => {
    let member!: number;
    let already!: string;
    sim = await startTeamOpsSim({
      clock,
      setup: (demo) => {
        member = demo.company.accounts[0]!.userId;
        const mine = supportChatsOf(demo, member);
        expect(mine.length).toBeGreaterThanOrEqual(4);
        const base = demo.world.chatState(member, mine[0]!.chat).notificationSettings;
        // Settings the member chose on their phone: a sound and previews, the account default, and a chat already muted.
        demo.world.setNotificationSettings(member, mine[0]!.chat, { ...base, use_default_sound: false, sound_id: '77', use_default_show_preview: false, show_preview: true, disable_mention_notifications: true });
        demo.world.setNotificationSettings(member, mine[1]!.chat, { ...base, use_default_mute_for: true, mute_for: 0 });
        demo.world.setNotificationSettings(member, mine[2]!.chat, { ...base, use_default_mute_for: false, mute_for: 7200 });
        already = mine[2]!.chat.key;
      },
    });
    const { demo, daemon } = sim;
    const duty = daemon.teamOps.duty;
    const accountId = demo.accounts[0]!.accountId;
    const before = settingsOf(demo, member);
    const support = new Set(supportChatsOf(demo, member).map((c) => c.chat.key));
    const mutedChatId = String(supportChatsOf(demo, member).find((c) => c.chat.key !== already)!.chatId);

    await duty.setSchedule(manager, {
      memberUserId: member,
      timeZone: 'Europe/Berlin',
      shifts: [6, 7, 1].map((day) => ({ day: day as 1, from: '09:00', to: '18:00' })),
      muteOffDuty: true,
    });
    await sim.settle();
    expect(duty.view().onDuty.find((e) => e.memberUserId === member)?.until).toBe(utc('2025-03-29T17:00:00Z'));
    expect(demo.world.callLog({ method: 'setChatNotificationSettings' })).toEqual([]);

    // 18:00 CET: off duty.
    t = utc('2025-03-29T17:00:05Z');
    await duty.tickNow();
    await sim.settle();
    expect(sim.events.filter((e) => e.type === 'dutyChanged').at(-1)).toMatchObject({ duty: { changed: [{ memberUserId: member, onDuty: false }] } });
    const off = settingsOf(demo, member);
    for (const [key, s] of off) {
      const was = before.get(key)!;
      if (support.has(key) && key !== already) expect(s).toEqual({ ...was, use_default_mute_for: false, mute_for: MUTE_FOREVER_S });
      else expect(s).toEqual(was); // the team chat, personal chats, and the chat that was already silent
    }
    const calls = demo.world.callLog({ method: 'setChatNotificationSettings' });
    expect(calls.every((c) => c.accountUserId === member)).toBe(true);
    expect(calls).toHaveLength(support.size - 1);
    expect(await duty.mutedChats(member)).toHaveLength(support.size - 1);
    // Next on duty: Sunday 09:00 in Berlin, which is now CEST (+2): 07:00Z, not 08:00Z.
    expect(duty.view().next.find((e) => e.memberUserId === member)?.from).toBe(utc('2025-03-30T07:00:00Z'));
    // The dialog rows follow Telegram: muted on the member's account.
    expect(daemon.queries.dialog(accountId, mutedChatId, null)?.isMuted).toBe(true);

    // A minute before, nothing changes; at 09:00 CEST everything is as it was.
    t = utc('2025-03-30T06:59:00Z');
    await duty.tickNow();
    await sim.settle();
    expect(settingsOf(demo, member)).toEqual(off);
    t = utc('2025-03-30T07:00:05Z');
    await duty.tickNow();
    await sim.settle();
    expect(settingsOf(demo, member)).toEqual(before);
    expect(await duty.mutedChats(member)).toEqual([]);
    expect(duty.switches.map((s) => [s.action, s.changed, s.untouched])).toEqual([
      ['mute', support.size - 1, 1],
      ['restore', support.size - 1, 0],
    ]);
  });

  it('catches up at start when the daemon was down across a shift change, both ways', async () => {
    t = utc('2025-03-30T15:00:00Z'); // Sunday 17:00 CEST: on duty
    sim = await startTeamOpsSim({ clock });
    const member = sim.demo.company.accounts[1]!.userId;
    const before = settingsOf(sim.demo, member);
    await sim.daemon.teamOps.duty.setSchedule(manager, { memberUserId: member, timeZone: 'Europe/Berlin', shifts: [{ day: 7, from: '09:00', to: '18:00' }, { day: 1, from: '09:00', to: '18:00' }], muteOffDuty: true });
    await sim.settle();
    await sim.stop();

    t = utc('2025-03-30T20:00:00Z'); // down across 18:00
    sim = await sim.restart();
    await sim.settle();
    const muted = [...settingsOf(sim.demo, member)].filter(([, s]) => s.mute_for === MUTE_FOREVER_S).map(([k]) => k);
    expect(new Set(muted)).toEqual(new Set(supportChatsOf(sim.demo, member).map((c) => c.chat.key)));
    await sim.stop();

    t = utc('2025-03-31T07:30:00Z'); // down across Monday 09:00 CEST
    sim = await sim.restart();
    await sim.settle();
    expect(settingsOf(sim.demo, member)).toEqual(before);
  });

  it('stops at once while a switch waits for an account that never finishes loading (logged out, waiting for a code), muting nothing', async () => {
    t = utc('2025-06-02T17:00:00Z'); // Monday 19:00 CEST: off duty
    sim = await startTeamOpsSim({ clock });
    const member = sim.demo.company.accounts[2]!.userId;
    const before = settingsOf(sim.demo, member);
    const accountId = sim.demo.accounts[2]!.accountId;
    // What a session that is ready but never loads its chats looks like to the switch: the wait
    // for the account does not end. (Fault injected: the simulator's accounts always load.)
    const sync = sim.daemon.syncs.get(accountId)! as { whenIdle(): Promise<void> };
    sync.whenIdle = () => new Promise<void>(() => undefined);
    const duty = sim.daemon.teamOps.duty;
    // Saving the schedule waits for the switch it starts, which waits for the account.
    const saving = duty.setSchedule(manager, { memberUserId: member, timeZone: 'Europe/Berlin', shifts: [{ day: 2, from: '09:00', to: '18:00' }], muteOffDuty: true });
    expect(await eventually(() => (duty as unknown as { looks: { busy: boolean } }).looks.busy, 5_000)).toBe(true);
    const stopping = Date.now();
    await duty.stop();
    expect(Date.now() - stopping).toBeLessThan(5_000);
    await saving;
    expect(settingsOf(sim.demo, member)).toEqual(before);
  });

  it('sits out a flood wait during a switch, and a stop ends that wait at once, the waiting chat left as it was', async () => {
    t = utc('2025-06-02T17:00:00Z'); // Monday 19:00 CEST: off duty
    sim = await startTeamOpsSim({ clock });
    const member = sim.demo.company.accounts[2]!.userId;
    const before = settingsOf(sim.demo, member);
    // Telegram asks for 30 s on one settings change: the switch sleeps it out (the policy allows five minutes).
    sim.demo.world.failures.tooManyRequests({ method: 'setChatNotificationSettings', accountUserId: member, retryAfter: 30, times: 1 });
    const duty = sim.daemon.teamOps.duty;
    const saving = duty.setSchedule(manager, { memberUserId: member, timeZone: 'Europe/Berlin', shifts: [{ day: 2, from: '09:00', to: '18:00' }], muteOffDuty: true });
    expect(await eventually(() => sim!.demo.world.callLog({ method: 'setChatNotificationSettings', accountUserId: member }).length > 1, 10_000)).toBe(true);
    const stopping = Date.now();
    await duty.stop();
    expect(Date.now() - stopping).toBeLessThan(5_000);
    await saving;
    // The chat Telegram refused stays as it was; the others the switch reached are muted.
    const after = settingsOf(sim.demo, member);
    const unchanged = [...before].filter(([key, settings]) => JSON.stringify(after.get(key)) === JSON.stringify(settings));
    expect(unchanged.length).toBeGreaterThanOrEqual(1);
  });

  it("leaves a chat alone that the member changed on the phone while off duty", async () => {
    t = utc('2025-06-02T17:00:00Z'); // Monday 19:00 CEST: off duty
    sim = await startTeamOpsSim({ clock });
    const member = sim.demo.company.accounts[2]!.userId;
    const before = settingsOf(sim.demo, member);
    await sim.daemon.teamOps.duty.setSchedule(manager, { memberUserId: member, timeZone: 'Europe/Berlin', shifts: [{ day: 2, from: '09:00', to: '18:00' }], muteOffDuty: true });
    await sim.settle();
    const [changed, ...others] = supportChatsOf(sim.demo, member);
    const mine = { ...sim.demo.world.chatState(member, changed!.chat).notificationSettings, use_default_mute_for: false, mute_for: 0, use_default_sound: false, sound_id: '3' };
    sim.demo.world.setNotificationSettings(member, changed!.chat, mine);
    await sim.settle();
    t = utc('2025-06-03T07:00:05Z'); // Tuesday 09:00 CEST
    await sim.daemon.teamOps.duty.tickNow();
    await sim.settle();
    const after = settingsOf(sim.demo, member);
    expect(after.get(changed!.chat.key)).toEqual(mine);
    for (const c of others) expect(after.get(c.chat.key)).toEqual(before.get(c.chat.key));
    expect(sim.daemon.teamOps.duty.switches.at(-1)).toMatchObject({ action: 'restore', untouched: 1 });
  });

  it('mutes a support chat that appears while the member is off duty, when it appears, and looks at no chat twice', async () => {
    t = utc('2025-06-02T17:00:00Z'); // Monday 19:00 CEST: off duty
    const { started, member, silent } = await startWithSilentSupportChat();
    sim = started;
    const { world } = sim.demo;
    const duty = sim.daemon.teamOps.duty;
    await duty.setSchedule(manager, { memberUserId: member, timeZone: 'Europe/Berlin', shifts: [{ day: 2, from: '09:00', to: '18:00' }], muteOffDuty: true });
    await sim.settle();
    expect(duty.switches.at(-1)).toMatchObject({ action: 'mute', untouched: 1 });
    // On the phone the member lets the chat that was already silent ring again.
    const silentChat = world.chats().find((c) => c.key === silent)!;
    world.setNotificationSettings(member, silentChat, { ...world.chatState(member, silentChat).notificationSettings, mute_for: 0 });
    await sim.settle();

    // A new client chat appears and becomes a support chat as its people write. The clock stands
    // still, so only its appearance can trigger the mute.
    const client = world.addUser({ firstName: 'Boris', lastName: 'Client' });
    const fresh = world.createSupergroup('Vega Logistics ⇄ Admins', [client.id, member], [client.id], { creatorId: client.id });
    const freshChat = fresh;
    const before = world.chatState(member, freshChat).notificationSettings;
    world.sendMessage({ chatId: fresh.id, senderId: client.id, text: 'Hello, this is our new chat with you' });
    world.sendMessage({ chatId: fresh.id, senderId: member, text: 'Welcome!' });
    expect(await eventually(() => sim!.daemon.model.chats.get(String(fresh.id))?.kind === 'support')).toBe(true);
    await sim.settle();
    expect(world.chatState(member, freshChat).notificationSettings).toEqual({ ...before, use_default_mute_for: false, mute_for: MUTE_FOREVER_S });
    expect((await duty.mutedChats(member)).map((r) => r.chatKey)).toContain(String(fresh.id));
    // The chat the member unmuted after the switch is not muted again.
    expect(world.chatState(member, silentChat).notificationSettings.mute_for).toBe(0);
    const calls = world.callLog({ method: 'setChatNotificationSettings' }).filter((c) => (c.request as { chat_id: number }).chat_id === silentChat.id);
    expect(calls).toEqual([]);

    // On duty: the new chat rings again as it did.
    t = utc('2025-06-03T07:00:05Z');
    await duty.tickNow();
    await sim.settle();
    expect(world.chatState(member, freshChat).notificationSettings).toEqual(before);
  });

  it('keeps a chat the member let ring again after the switch unmuted across a daemon restart while off duty', async () => {
    t = utc('2025-06-02T17:00:00Z'); // Monday 19:00 CEST: off duty
    const { started, member, silent } = await startWithSilentSupportChat();
    sim = started;
    await sim.daemon.teamOps.duty.setSchedule(manager, { memberUserId: member, timeZone: 'Europe/Berlin', shifts: [{ day: 2, from: '09:00', to: '18:00' }], muteOffDuty: true });
    await sim.settle();
    expect(sim.daemon.teamOps.duty.switches.at(-1)).toMatchObject({ action: 'mute', untouched: 1 });
    const silentChat = sim.demo.world.chats().find((c) => c.key === silent)!;
    const ringing = { ...sim.demo.world.chatState(member, silentChat).notificationSettings, mute_for: 0 };
    sim.demo.world.setNotificationSettings(member, silentChat, ringing);
    await sim.settle();
    const mutedBefore = (await sim.daemon.teamOps.duty.mutedChats(member)).map((r) => r.chatKey);
    expect(mutedBefore.length).toBe(supportChatsOf(sim.demo, member).length - 1);
    expect(mutedBefore).not.toContain(String(silentChat.id));
    await sim.stop();

    t = utc('2025-06-02T21:00:00Z'); // still off duty: the catch-up at start looks again
    sim = await sim.restart();
    await sim.settle();
    const { world } = sim.demo;
    expect(world.chatState(member, silentChat).notificationSettings).toEqual(ringing);
    expect(world.callLog({ method: 'setChatNotificationSettings' }).filter((c) => (c.request as { chat_id: number }).chat_id === silentChat.id)).toEqual([]);
    expect((await sim.daemon.teamOps.duty.mutedChats(member)).map((r) => r.chatKey)).toEqual(mutedBefore);

    // On duty: the muted chats ring again; the one left alone keeps what the member chose.
    t = utc('2025-06-03T07:00:05Z');
    await sim.daemon.teamOps.duty.tickNow();
    await sim.settle();
    expect(world.chatState(member, silentChat).notificationSettings).toEqual(ringing);
    for (const c of supportChatsOf(sim.demo, member)) expect(world.chatState(member, c.chat).notificationSettings.mute_for).not.toBe(MUTE_FOREVER_S);
    expect(await sim.daemon.teamOps.duty.mutedChats(member)).toEqual([]);
    // The record of the chat left alone goes with the others.
    expect(await listDutyMutes(sim.store.db)).toEqual([]);
  });

  it('gives back only the mute it set: a mute the member changed stays, other changes under its mute are kept', async () => {
    t = utc('2025-06-02T17:00:00Z'); // Monday 19:00 CEST: off duty
    sim = await startTeamOpsSim({ clock });
    const { world } = sim.demo;
    const member = sim.demo.company.accounts[2]!.userId;
    const before = settingsOf(sim.demo, member);
    await sim.daemon.teamOps.duty.setSchedule(manager, { memberUserId: member, timeZone: 'Europe/Berlin', shifts: [{ day: 2, from: '09:00', to: '18:00' }], muteOffDuty: true });
    await sim.settle();
    const [shorter, sound] = supportChatsOf(sim.demo, member);
    // On the phone: one chat muted for 8 hours instead (still a mute, but the member's); in the other a new sound, the daemon's mute left on.
    const eightHours = { ...world.chatState(member, shorter!.chat).notificationSettings, use_default_mute_for: false, mute_for: 8 * 3600 };
    world.setNotificationSettings(member, shorter!.chat, eightHours);
    const withSound = { ...world.chatState(member, sound!.chat).notificationSettings, use_default_sound: false, sound_id: '42' };
    expect(withSound.mute_for).toBe(MUTE_FOREVER_S);
    world.setNotificationSettings(member, sound!.chat, withSound);
    await sim.settle();

    t = utc('2025-06-03T07:00:05Z'); // Tuesday 09:00 CEST
    await sim.daemon.teamOps.duty.tickNow();
    await sim.settle();
    const after = settingsOf(sim.demo, member);
    expect(after.get(shorter!.chat.key)).toEqual(eightHours);
    const was = before.get(sound!.chat.key)!;
    expect(after.get(sound!.chat.key)).toEqual({ ...withSound, use_default_mute_for: was.use_default_mute_for, mute_for: was.mute_for });
    for (const c of supportChatsOf(sim.demo, member).slice(2)) expect(after.get(c.chat.key)).toEqual(before.get(c.chat.key));
    expect(await sim.daemon.teamOps.duty.mutedChats(member)).toEqual([]);
  });

  it('never mutes a member who did not opt in, and counts on-duty mentions by the schedules', async () => {
    t = utc('2025-06-02T21:00:00Z'); // Monday 23:00 in Berlin
    sim = await startTeamOpsSim({ clock });
    const { company } = sim.demo;
    const summaryBefore = sim.daemon.queries.teamSummary(t);
    for (const a of company.accounts) {
      await sim.daemon.teamOps.duty.setSchedule(manager, { memberUserId: a.userId, timeZone: 'Europe/Berlin', shifts: [{ day: 1, from: '09:00', to: '18:00' }], muteOffDuty: false });
    }
    await sim.settle();
    expect(sim.demo.world.callLog({ method: 'setChatNotificationSettings' })).toEqual([]);
    // Nobody with an account is on duty at 23:00: no mention counts as an on-duty mention.
    expect(summaryBefore.mentionedOnDuty).toBeGreaterThan(0);
    expect(sim.daemon.queries.teamSummary(t).mentionedOnDuty).toBe(0);
    expect(sim.events.filter((e) => e.type === 'teamSummaryChanged').at(-1)).toMatchObject({ summary: { mentionedOnDuty: 0 } });
    // An override puts one of them on duty now.
    const model = sim.daemon.model;
    const mentioned = [...model.accountChats].find(([, rows]) => [...rows.values()].some((r) => r.unreadMentionCount > 0 && model.chats.get(r.chatKey)?.kind === 'support'))!;
    const one = { userId: model.accountUsers.get(mentioned[0])! };
    await sim.daemon.teamOps.duty.addOverride(manager, { memberUserId: one.userId, from: t - 3600_000, to: t + 3600_000, onDuty: true, note: 'covering' });
    expect(sim.daemon.queries.teamSummary(t).mentionedOnDuty).toBeGreaterThan(0);
    expect(sim.daemon.teamOps.duty.view().onDuty.map((e) => e.memberUserId)).toEqual([one.userId]);
  });

  it('reports each member’s activity per on-duty shift: replies, chats, answered waits with response times, overdue ones, the newest message', async () => {
    t = utc('2025-06-02T10:00:00Z'); // Monday 12:00 in Berlin
    sim = await startTeamOpsSim({ clock });
    const { company, world } = sim.demo;
    const model = sim.daemon.model;
    const notWaiting = (c: (typeof company.clientChats)[number]) => model.waitingView(String(c.chatId), t).waitingSince === null;
    const x = company.team.find((m) => m.role === 'admin' && !m.isAccount && company.clientChats.filter((c) => c.teamIds.includes(m.userId) && notWaiting(c)).length >= 2)!;
    const [quick, slow] = company.clientChats.filter((c) => c.teamIds.includes(x.userId) && notWaiting(c));
    await sim.daemon.teamOps.duty.setSchedule(manager, { memberUserId: x.userId, timeZone: 'Europe/Berlin', shifts: [{ day: 1, from: '09:00', to: '18:00' }], muteOffDuty: false });
    const start = t;
    // Two client questions at once; x answers one after 5 minutes, the other after 16 (overdue at 15).
    world.sendMessage({ chat: quick!.chat, senderId: quick!.clients[0]!.userId, text: 'The backup job failed tonight' });
    world.sendMessage({ chat: slow!.chat, senderId: slow!.clients[0]!.userId, text: 'Disk almost full on db-2' });
    await sim.settle();
    t += 5 * 60_000;
    world.sendMessage({ chat: quick!.chat, senderId: x.userId, text: 'Restarted it, looking at the logs' });
    await sim.settle();
    t += 11 * 60_000;
    sim.daemon.clock.rearm();
    await sim.settle();
    expect(model.waitingView(String(slow!.chatId), t).isOverdue).toBe(true);
    world.sendMessage({ chat: slow!.chat, senderId: x.userId, text: 'Cleaned up old WAL files' });
    await sim.settle();
    const answeredAt = t;

    const rows = await sim.daemon.teamOps.activity.report({ from: start - 1000, to: start + 30 * 60_000 });
    const row = rows.find((r) => r.memberUserId === x.userId)!;
    expect(row).toMatchObject({
      onDuty: true,
      onDutyUntil: utc('2025-06-02T16:00:00Z'),
      lastActivityAt: answeredAt,
      lastActivityChatKey: String(slow!.chatId),
    });
    expect(row.shifts).toEqual([
      { from: start - 1000, to: start + 30 * 60_000, replies: 2, chats: 2, answered: 2, avgResponseMs: (5 * 60_000 + 16 * 60_000) / 2, maxResponseMs: 16 * 60_000, answeredOverdue: 1 },
    ]);
    // Members without a schedule are off duty once schedules are in use: no shifts in the window.
    const other = rows.find((r) => r.memberUserId !== x.userId && r.role === 'admin')!;
    expect(other).toMatchObject({ onDuty: false, shifts: [] });
    // Off duty (after 18:00 Berlin) nothing of the evening counts in a shift; the next shift is named.
    t = utc('2025-06-02T17:00:00Z');
    const evening = (await sim.daemon.teamOps.activity.report({ from: utc('2025-06-02T16:00:00Z'), to: t })).find((r) => r.memberUserId === x.userId)!;
    expect(evening).toMatchObject({ onDuty: false, nextOnDutyAt: utc('2025-06-09T07:00:00Z'), shifts: [] });
    await expect(sim.daemon.teamOps.activity.report({ from: t, to: t - 1 })).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
    await expect(sim.daemon.teamOps.activity.report({ from: t - 32 * 86_400_000, to: t })).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
  });
});

