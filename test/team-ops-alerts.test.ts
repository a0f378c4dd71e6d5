/**
 * Alerts against the simulated company: one alert per situation however often the daemon looks,
 * reminders after the set time, a new alert for a new wait, Telegram messages from the alert
 * account to the team chat or by direct message as each member chose, rate-limited, stored while
 * they wait and sent once each across a restart.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { DomainEvent } from '../src/domain/events.ts';
import { STORE_KINDS } from './helpers/stores.ts';
import { startTeamOpsSim, type TeamOpsSim } from './helpers/team-ops-sim.ts';

let t = Date.parse('2025-06-02T10:00:00Z');
const clock = () => t;
let sim: TeamOpsSim | null = null;

afterEach(async () => {
  await sim?.dispose();
  sim = null;
});

type AlertEvent = Extract<DomainEvent, { type: 'alert' }>;
const alertsIn = (s: TeamOpsSim): AlertEvent[] => s.events.filter((e): e is AlertEvent => e.type === 'alert');

function sends(s: TeamOpsSim, fromUserId: number) {
  return s.demo.world.callLog({ method: 'sendMessage', accountUserId: fromUserId }).map((c) => c.request as { chat_id: number; input_message_content: { text: { text: string } } });
}

async function start(alerts: Record<string, unknown>) {
  const s = await startTeamOpsSim({ clock, teamOps: { alerts: { rules: { mentionAfterMs: 10 * 60_000, reminderAfterMs: 30 * 60_000, maxReminders: 2 }, ...alerts } } });
  return s;
}

/** Moves the clock, lets the overdue clock flip what is due, then takes one alert look. */
async function advance(s: TeamOpsSim, ms: number) {
  t += ms;
  s.daemon.clock.rearm();
  await s.settle();
  await s.daemon.teamOps.alerts.tickNow();
  await s.settle();
}

describe('alerts', () => {
  it('alerts each overdue chat once, reminds after the set time, and alerts again for the next wait', async () => {
    t = Date.parse('2025-06-02T10:00:00Z');
    sim = await start({});
    const fromUser = sim.demo.company.accounts[3]!.userId;
    await advance(sim, 0);
    const first = alertsIn(sim);
    const overdue = [...sim.daemon.model.chats.values()].filter((c) => c.kind === 'support' && sim!.daemon.model.waitingView(c.record.key, t).isOverdue);
    expect(overdue.length).toBeGreaterThan(0);
    expect(first.filter((a) => a.alert.kind === 'overdue').map((a) => a.alert.chatKey).sort()).toEqual(overdue.map((c) => c.record.key).sort());
    // Admins on duty are the recipients (everyone while duty is unused); no alert account: no messages.
    const admins = [...sim.daemon.model.roster.byId.values()].filter((m) => m.role === 'admin').map((m) => m.userId).sort((a, b) => a - b);
    expect(first[0]!.alert.recipients).toEqual(admins);
    expect(sends(sim, fromUser)).toEqual([]);

    // Looking again and again changes nothing.
    await advance(sim, 60_000);
    await advance(sim, 60_000);
    const byKey = new Map<string, number[]>();
    for (const a of alertsIn(sim)) byKey.set(a.alert.key, [...(byKey.get(a.alert.key) ?? []), a.alert.reminder]);
    expect([...byKey.values()].every((r) => r.join() === '0')).toBe(true);

    // Half an hour after an alert a still-overdue chat is reminded of, once.
    const reminded = first.find((a) => a.alert.kind === 'overdue')!.alert;
    await advance(sim, 29 * 60_000);
    const reminders = alertsIn(sim).filter((a) => a.alert.key === reminded.key).map((a) => a.alert.reminder);
    expect(reminders).toEqual([0, 1]);
    expect(alertsIn(sim).find((a) => a.alert.key === reminded.key && a.alert.reminder === 1)!.alert.text).toMatch(/^Reminder 1: /);

    // "It's OK" ends the situation; the next client message starts a new wait, which alerts anew once overdue.
    await sim.daemon.actions.acknowledge({ label: 'test', memberUserId: admins[0]! }, reminded.chatKey);
    await advance(sim, 1000);
    expect(await sim.store.db.selectFrom('alert_state').select('key').where('key', '=', reminded.key).execute()).toEqual([]);
    const chat = sim.demo.company.clientChats.find((c) => String(c.chatId) === reminded.chatKey)!;
    sim.demo.world.sendMessage({ chat: chat.chat, senderId: chat.clients[0]!.userId, text: 'Still broken, please look' });
    await advance(sim, 16 * 60_000);
    const again = alertsIn(sim).filter((a) => a.alert.chatKey === reminded.chatKey && a.alert.key !== reminded.key);
    expect(again.map((a) => a.alert.reminder)).toEqual([0]);
  });

  it('alerts an unread mention of an on-duty member after N minutes, and a raised alarm at once', async () => {
    t = Date.parse('2025-06-02T10:00:00Z');
    sim = await start({});
    await advance(sim, 0);
    const model = sim.daemon.model;
    const mentioned = [...model.accountChats].flatMap(([accountId, rows]) => [...rows.values()].filter((r) => r.unreadMentionCount > 0 && model.chats.get(r.chatKey)?.kind === 'support').map((r) => ({ accountId, chatKey: r.chatKey })));
    expect(mentioned.length).toBeGreaterThan(0);
    expect(alertsIn(sim).filter((a) => a.alert.kind === 'mention')).toEqual([]);
    await advance(sim, 10 * 60_000 + 1000);
    const mentions = alertsIn(sim).filter((a) => a.alert.kind === 'mention');
    expect(mentions.map((a) => `${a.alert.memberUserId}:${a.alert.chatKey}`).sort()).toEqual(mentioned.map((m) => `${model.accountUsers.get(m.accountId)}:${m.chatKey}`).sort());
    expect(mentions[0]!.alert.recipients).toContain(mentions[0]!.alert.memberUserId);

    const quiet = sim.demo.company.clientChats.find((c) => c.scenario === 'quiet')!;
    await sim.daemon.actions.raiseAlarm({ label: 'test', memberUserId: null }, String(quiet.chatId), 'db-prod-2 is down');
    await sim.settle();
    await sim.daemon.teamOps.whenIdle();
    const alarm = alertsIn(sim).filter((a) => a.alert.kind === 'alarm');
    expect(alarm).toHaveLength(1);
    expect(alarm[0]!.alert.text).toContain('db-prod-2 is down');
    if (quiet.kind === 'supergroup') expect(alarm[0]!.alert.link).toMatch(/^https:\/\/t\.me\/c\/\d+\/\d+$/);
    else expect(alarm[0]!.alert.link).toBeNull();
  });

  it('alerts the admins on duty by their schedules: an off-duty admin is not alerted, nor @mentioned in the team chat', async () => {
    t = Date.parse('2025-06-02T10:00:00Z'); // Monday 12:00 in Berlin
    const probe = await startTeamOpsSim({ clock });
    const fromAccountId = probe.demo.accounts[3]!.accountId;
    await probe.dispose();
    sim = await start({ fromAccountId, perMinute: 60, burst: 60 });
    const { company } = sim.demo;
    const from = company.accounts[3]!.userId;
    const [day, evening] = company.accounts.filter((a) => a.role === 'admin').map((a) => a.userId) as [number, number];
    const manager = { label: 'test:manager', memberUserId: null };
    await sim.daemon.teamOps.duty.setSchedule(manager, { memberUserId: day, timeZone: 'Europe/Berlin', shifts: [{ day: 1, from: '09:00', to: '18:00' }], muteOffDuty: false });
    await sim.daemon.teamOps.duty.setSchedule(manager, { memberUserId: evening, timeZone: 'Europe/Berlin', shifts: [{ day: 1, from: '20:00', to: '23:00' }], muteOffDuty: false });
    await advance(sim, 0);
    const username = (id: number) => `@${sim!.daemon.model.users.get(id)!.username}`;
    const teamChat = () => sends(sim!, from).filter((r) => r.chat_id === company.teamChat.id).map((r) => r.input_message_content.text.text);

    // Midday: only the day admin is on duty (admins without a schedule are off once schedules are used).
    const [quiet, other] = company.clientChats.filter((c) => c.scenario === 'quiet');
    await sim.daemon.actions.raiseAlarm(manager, String(quiet!.chatId), 'db-prod-2 is down');
    await advance(sim, 1000);
    const noon = alertsIn(sim).find((a) => a.alert.kind === 'alarm' && a.alert.chatKey === String(quiet!.chatId))!;
    expect(noon.alert.recipients).toEqual([day]);
    const noonText = teamChat().find((x) => x.includes('db-prod-2 is down'))!;
    expect(noonText).toContain(username(day));
    expect(noonText).not.toContain(username(evening));

    // Evening: the other way round.
    await advance(sim, 8.5 * 3600_000); // 20:30 in Berlin
    await sim.daemon.actions.raiseAlarm(manager, String(other!.chatId), 'backup failed on web-3');
    await advance(sim, 1000);
    const late = alertsIn(sim).find((a) => a.alert.kind === 'alarm' && a.alert.chatKey === String(other!.chatId))!;
    expect(late.alert.recipients).toEqual([evening]);
    const lateText = teamChat().find((x) => x.includes('backup failed on web-3'))!;
    expect(lateText).toContain(username(evening));
    expect(lateText).not.toContain(username(day));
  });

  it('sends the alert account’s messages to the team chat or by DM as each member chose, rate-limited per destination', async () => {
    t = Date.parse('2025-06-02T10:00:00Z');
    const probe = await startTeamOpsSim({ clock });
    const fromAccountId = probe.demo.accounts[3]!.accountId;
    await probe.dispose();
    sim = await start({ fromAccountId, perMinute: 2, burst: 2 });
    const { company } = sim.demo;
    const from = company.accounts[3]!.userId;
    const dmMember = company.accounts[0]!.userId; // has a private chat with the manager account
    const other = company.accounts[1]!.userId;
    const teamChat = () => sends(sim!, from).filter((r) => r.chat_id === company.teamChat.id).map((r) => r.input_message_content.text.text);
    const dms = () => sends(sim!, from).filter((r) => r.chat_id === dmMember).map((r) => r.input_message_content.text.text);
    await advance(sim, 0);
    const overdue = alertsIn(sim).length;
    expect(overdue).toBeGreaterThan(2);
    // Two at once (the burst); the rest waits its turn. The subscription got all of them.
    expect(teamChat()).toHaveLength(2);
    expect(teamChat()[0]).toContain(`@${sim.daemon.model.users.get(dmMember)!.username}`);

    expect(await sim.daemon.teamOps.alerts.setChannels({ label: 'test', memberUserId: dmMember }, dmMember, ['dm'])).toEqual(['dm']);
    const quiet = company.clientChats.filter((c) => c.scenario === 'quiet').slice(0, 3);
    for (const c of quiet) await sim.daemon.actions.raiseAlarm({ label: 'test', memberUserId: null }, String(c.chatId), `alarm in ${c.title}`);
    await advance(sim, 1000);
    expect(alertsIn(sim).filter((a) => a.alert.kind === 'alarm')).toHaveLength(3);
    expect(dms()).toHaveLength(2);
    expect(dms()[0]).toMatch(/^Alarm in /);
    expect(teamChat()).toHaveLength(2); // that bucket is still empty

    await advance(sim, 60_000);
    expect(teamChat()).toHaveLength(4);
    expect(dms()).toHaveLength(3);
    // The alarms wait behind the older overdue alerts (oldest first, two a minute): let the minutes
    // pass until they reach the team chat, where only the member who kept it is @mentioned.
    const alarmsInTeamChat = () => teamChat().filter((x) => x.startsWith('Alarm in'));
    for (let i = 0; i < 30 && alarmsInTeamChat().length < quiet.length; i++) await advance(sim, 60_000);
    expect(alarmsInTeamChat()).toHaveLength(quiet.length);
    for (const text of alarmsInTeamChat()) {
      expect(text).not.toContain(`@${sim.daemon.model.users.get(dmMember)!.username}`);
      expect(text).toContain(`@${sim.daemon.model.users.get(other)!.username}`);
    }

    // Channels and what was alerted are stored: a new daemon keeps both and repeats nothing.
    const alerted = new Set(alertsIn(sim).map((a) => a.alert.id));
    sim = await sim.restart();
    expect(sim.daemon.teamOps.alerts.channelsOf(dmMember)).toEqual(['dm']);
    expect(sim.daemon.teamOps.alerts.channelsOf(other)).toEqual(['teamChat']);
    await advance(sim, 1000);
    expect(alertsIn(sim).filter((a) => alerted.has(a.alert.id))).toEqual([]);
  });

  it.each(STORE_KINDS)('keeps alert messages that wait for the rate limit across a restart: each sent once, in order; one under way is checked in the chat first (%s)', async (kind) => {
    t = Date.parse('2025-06-02T10:00:00Z');
    const probe = await startTeamOpsSim({ clock });
    const fromAccountId = probe.demo.accounts[3]!.accountId;
    await probe.dispose();
    // No reminders and no mention alerts here: the queue is what the test watches.
    sim = await startTeamOpsSim({ clock, kind, teamOps: { alerts: { fromAccountId, perMinute: 1, burst: 1, rules: { mentionAfterMs: 86_400_000, reminderAfterMs: 0, maxReminders: 0 } } } });
    const { company, world } = sim.demo;
    const from = company.accounts[3]!.userId;
    // Alert messages are dated from now on; the company's history is older.
    const history = new Set(world.allMessages().filter((m) => m.date * 1000 < Date.parse('2025-06-02T10:00:00Z')).map((m) => m.key));
    const teamChatTexts = () => world.allMessages().filter((m) => !history.has(m.key) && m.chatKey === company.teamChat.key && m.senderId === from).map((m) => m.text);
    // A member without a private chat with the alert account chooses direct messages: it is opened for them.
    const admins = [...sim.daemon.model.roster.byId.values()].filter((m) => m.role === 'admin').map((m) => m.userId);
    const dmMember = admins.find((id) => id !== from && !world.chats().some((c) => c.key === `pm:${Math.min(id, from)}:${Math.max(id, from)}`))!;
    expect(dmMember).toBeDefined();
    await sim.daemon.teamOps.alerts.setChannels({ label: 'test', memberUserId: dmMember }, dmMember, ['dm']);
    const quiet = company.clientChats.find((c) => c.scenario === 'quiet')!;
    await sim.daemon.actions.raiseAlarm({ label: 'test', memberUserId: null }, String(quiet.chatId), 'disk full on db-1');

    await advance(sim, 0);
    const alerted = alertsIn(sim).map((a) => a.alert.id);
    expect(alerted.length).toBeGreaterThan(3);
    const db = sim.store.db;
    const outbox = () => db.selectFrom('alert_outbox').selectAll().orderBy('id').execute();
    const stored = await outbox();
    // One message per alert and destination, stored with it; one of each destination went out (the burst).
    expect(stored.filter((r) => r.destination === 'teamChat')).toHaveLength(alerted.length);
    expect(stored.filter((r) => r.destination === `dm:${dmMember}`).map((r) => r.alert_id)).toEqual([alertsIn(sim).find((a) => a.alert.kind === 'alarm')!.alert.id]);
    expect(stored.filter((r) => r.state === 'sent').map((r) => r.destination).sort()).toEqual([`dm:${dmMember}`, 'teamChat']);
    expect(teamChatTexts()).toHaveLength(1);
    expect(world.callLog({ method: 'createPrivateChat', accountUserId: from }).map((c) => (c.request as { user_id: number }).user_id)).toEqual([dmMember]);
    expect(world.allMessages().filter((m) => !history.has(m.key) && m.chatKind === 'private' && m.senderId === from)).toHaveLength(1);

    // The daemon stops in the middle of two sends: the first had gone out, the second had not.
    await sim.stop();
    const pending = stored.filter((r) => r.state === 'pending' && r.destination === 'teamChat');
    const [wentOut, lost] = pending;
    await db.updateTable('alert_outbox').set({ state: 'sending', attempted_at: t }).where('id', 'in', [wentOut!.id, lost!.id]).execute();
    world.sendMessage({ chat: company.teamChat, senderId: from, text: wentOut!.text });

    sim = await sim.restart();
    await advance(sim, 1000);
    // Nothing alerted again; the one found in the chat is recorded as sent, not sent again; the
    // limits still count what went out, so nothing more goes to the team chat in that minute.
    expect(alertsIn(sim).filter((a) => alerted.includes(a.alert.id))).toEqual([]);
    expect(teamChatTexts()).toEqual([stored.find((r) => r.state === 'sent' && r.destination === 'teamChat')!.text, wentOut!.text]);
    expect((await outbox()).find((r) => r.id === wentOut!.id)).toMatchObject({ state: 'sent' });

    // Then one a minute, oldest first, until every stored message went out exactly once.
    for (let i = 0; i < 40 && (await outbox()).some((r) => r.state !== 'sent'); i++) await advance(sim, 60_000);
    const finalRows = await outbox();
    const teamRows = finalRows.filter((r) => r.destination === 'teamChat');
    expect(teamRows.every((r) => r.state === 'sent')).toBe(true);
    expect(teamChatTexts().sort()).toEqual(teamRows.map((r) => r.text).sort());
    expect(new Set(teamChatTexts()).size).toBe(teamChatTexts().length);
    const sentOrder = teamChatTexts().slice(2);
    expect(sentOrder).toEqual(teamRows.filter((r) => r.id !== wentOut!.id).slice(1).map((r) => r.text));
    const dms = world.allMessages().filter((m) => !history.has(m.key) && m.chatKind === 'private' && m.senderId === from).map((m) => m.text);
    expect(dms.sort()).toEqual(finalRows.filter((r) => r.destination === `dm:${dmMember}`).map((r) => r.text).sort());
    // Chats that turned overdue meanwhile alerted once each; still nothing repeated.
    const ids = alertsIn(sim).map((a) => a.alert.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('holds an alert message Telegram refused with a long FLOOD_WAIT, stored, and sends it once after the wait', async () => {
    t = Date.parse('2025-06-02T10:00:00Z');
    const probe = await startTeamOpsSim({ clock });
    const fromAccountId = probe.demo.accounts[3]!.accountId;
    await probe.dispose();
    sim = await startTeamOpsSim({
      clock,
      teamOps: { alerts: { fromAccountId, perMinute: 60, burst: 1, rules: { mentionAfterMs: 86_400_000, reminderAfterMs: 0, maxReminders: 0 } } },
      setup: (demo) => demo.world.failures.tooManyRequests({ method: 'sendMessage', retryAfter: 120, times: 1 }),
    });
    const db = sim.store.db;
    const first = await db.selectFrom('alert_outbox').selectAll().orderBy('id').executeTakeFirstOrThrow();
    expect(first).toMatchObject({ state: 'pending', error: expect.stringContaining('retry after 120') });
    // The daemon's clock never repeats a millisecond, so "now" is the attempt's own instant.
    expect(Number(first.not_before)).toBe(Number(first.attempted_at) + 121_000);
    const sendsOf = (text: string) => sim!.demo.world.callLog({ method: 'sendMessage' }).filter((c) => (c.request as { input_message_content: { text: { text: string } } }).input_message_content.text.text === text);
    await advance(sim, 60_000);
    expect(sendsOf(first.text)).toHaveLength(1); // only the refused call
    await advance(sim, 62_000);
    expect(sendsOf(first.text)).toHaveLength(2);
    expect(await db.selectFrom('alert_outbox').select('state').where('id', '=', first.id).executeTakeFirstOrThrow()).toEqual({ state: 'sent' });
  });
});
