/**
 * The pure rules of team operations: duty across daylight-saving changes (checked against
 * croner as an independent oracle), membership planning and throttling, alert deduplication.
 */
import { Cron } from 'croner';
import { describe, expect, it } from 'vitest';
import { alertText, evaluateAlerts, messageLink, nextAlertDue, routeAlert, takeToken, type AlertCondition, type AlertRecord } from '../src/domain/alerts.ts';
import {
  compileDutySchedule,
  dutyPeriods,
  dutyPredicate,
  dutyView,
  isOnDutyAt,
  nextDutyChange,
  shiftPeriods,
  type DutyOverride,
  type DutyRoster,
  type DutyShift,
} from '../src/domain/duty.ts';
import { DomainError } from '../src/domain/errors.ts';
import { addBudget, FRESH_ADD_STATE, planMembership, recordAdds, type PlanAccount, type PlanChat } from '../src/domain/membership-plan.ts';
import type { ChatMemberStatus } from '../src/domain/telegram.ts';
import { DAY, HOUR, MINUTE } from '../src/domain/time.ts';

const utc = (iso: string) => Date.parse(iso);

describe('duty schedules across daylight-saving changes', () => {
  const weekend = compileDutySchedule({
    memberUserId: 1,
    timeZone: 'Europe/Berlin',
    shifts: [
      { day: 6, from: '09:00', to: '18:00' },
      { day: 7, from: '09:00', to: '18:00' },
    ],
    muteOffDuty: true,
  });

  it('ends Saturday 18:00 CET and starts Sunday 09:00 CEST: the clocks moved in between', () => {
    // 29 March 2025 is Saturday (CET, +1); on the 30th at 02:00 Berlin goes to CEST (+2).
    expect(isOnDutyAt(weekend, [], 1, utc('2025-03-29T16:59:59Z'))).toBe(true);
    expect(nextDutyChange(weekend, [], 1, utc('2025-03-29T12:00:00Z'))).toBe(utc('2025-03-29T17:00:00Z'));
    expect(nextDutyChange(weekend, [], 1, utc('2025-03-29T17:00:00Z'))).toBe(utc('2025-03-30T07:00:00Z'));
    expect(isOnDutyAt(weekend, [], 1, utc('2025-03-30T06:59:59Z'))).toBe(false);
    expect(isOnDutyAt(weekend, [], 1, utc('2025-03-30T07:00:00Z'))).toBe(true);
    expect(nextDutyChange(weekend, [], 1, utc('2025-03-30T07:00:00Z'))).toBe(utc('2025-03-30T16:00:00Z'));
  });

  it('agrees with croner on every shift boundary for a year, both changes included', () => {
    const shifts: DutyShift[] = [
      { day: 1, from: '08:30', to: '17:00' },
      { day: 3, from: '22:00', to: '06:00' }, // a night shift into Thursday
      { day: 7, from: '01:30', to: '04:00' }, // spans the skipped and the repeated hour
    ];
    const s = compileDutySchedule({ memberUserId: 1, timeZone: 'Europe/Berlin', shifts, muteOffDuty: false });
    const from = utc('2025-01-01T00:00:00Z');
    const to = utc('2026-01-01T00:00:00Z');
    const ours = shiftPeriods(s, from, to).flatMap((p) => [p.from, p.to]).filter((t) => t >= from && t < to);
    // croner: each shift start and end as a weekly cron pattern in the zone.
    const cron = (pattern: string) => new Cron(pattern, { timezone: 'Europe/Berlin', paused: true });
    const patterns = ['0 30 8 * * 1', '0 0 17 * * 1', '0 0 22 * * 3', '0 0 6 * * 4', '0 30 1 * * 0', '0 0 4 * * 0'];
    const theirs = new Set<number>();
    for (const p of patterns) {
      const job = cron(p);
      let t = new Date(from - 1000);
      for (;;) {
        const next = job.nextRun(t);
        if (!next || next.getTime() >= to) break;
        theirs.add(next.getTime());
        t = next;
      }
    }
    // Sundays 01:30–04:00 on the spring change hold the skipped hour; croner and we agree on the
    // real instants of 01:30 and 04:00 (the local times exist), so every boundary matches.
    expect(new Set(ours)).toEqual(theirs);
    // And the spring Sunday shift is an hour shorter in real time, the autumn one an hour longer.
    const spring = shiftPeriods(s, utc('2025-03-30T00:00:00Z'), utc('2025-03-30T12:00:00Z')).find((p) => p.to - p.from < 3 * HOUR);
    expect(spring!.to - spring!.from).toBe(90 * MINUTE);
    const autumn = shiftPeriods(s, utc('2025-10-26T00:00:00Z'), utc('2025-10-26T12:00:00Z'))[0]!;
    expect(autumn.to - autumn.from).toBe(210 * MINUTE);
  });

  it.each(['America/New_York', 'Australia/Sydney'])('agrees with croner on a year of shift boundaries in %s, whose clocks change on other dates', (timeZone) => {
    // Sunday 01:00–03:30 holds the skipped hour in spring and the repeated one in autumn (both zones change at 02:00 or 03:00 on a Sunday).
    const shifts: DutyShift[] = [
      { day: 5, from: '18:00', to: '02:00' },
      { day: 7, from: '01:00', to: '03:30' },
      { day: 2, from: '09:15', to: '17:45' },
    ];
    const s = compileDutySchedule({ memberUserId: 1, timeZone, shifts, muteOffDuty: false });
    const from = utc('2025-01-01T00:00:00Z');
    const to = utc('2026-01-01T00:00:00Z');
    const ours = new Set(shiftPeriods(s, from, to).flatMap((p) => [p.from, p.to]).filter((t) => t >= from && t < to));
    const theirs = new Set<number>();
    for (const pattern of ['0 0 18 * * 5', '0 0 2 * * 6', '0 0 1 * * 0', '0 30 3 * * 0', '0 15 9 * * 2', '0 45 17 * * 2']) {
      const job = new Cron(pattern, { timezone: timeZone, paused: true });
      for (let t = new Date(from - 1000), i = 0; i < 60; i++) {
        const next = job.nextRun(t);
        if (!next || next.getTime() >= to) break;
        theirs.add(next.getTime());
        t = next;
      }
    }
    expect(theirs.size).toBeGreaterThan(6 * 50);
    expect(ours).toEqual(theirs);
  });

  it('merges a night shift across midnight into one period', () => {
    const night = compileDutySchedule({ memberUserId: 1, timeZone: 'Asia/Yekaterinburg', shifts: [{ day: 5, from: '20:00', to: '08:00' }], muteOffDuty: false });
    expect(shiftPeriods(night, utc('2025-06-01T00:00:00Z'), utc('2025-06-10T00:00:00Z'))).toEqual([{ from: utc('2025-06-06T15:00:00Z'), to: utc('2025-06-07T03:00:00Z') }]);
  });

  it('lets overrides win, the newest where they overlap', () => {
    const sick: DutyOverride = { id: 1, memberUserId: 1, from: utc('2025-03-29T00:00:00Z'), to: utc('2025-03-30T00:00:00Z'), onDuty: false, note: 'sick', createdAt: 1 };
    const swap: DutyOverride = { id: 2, memberUserId: 1, from: utc('2025-03-29T12:00:00Z'), to: utc('2025-03-29T14:00:00Z'), onDuty: true, note: 'swap', createdAt: 2 };
    expect(isOnDutyAt(weekend, [sick], 1, utc('2025-03-29T10:00:00Z'))).toBe(false);
    expect(dutyPeriods(weekend, [sick, swap], 1, utc('2025-03-29T00:00:00Z'), utc('2025-03-30T00:00:00Z'))).toEqual([{ from: utc('2025-03-29T12:00:00Z'), to: utc('2025-03-29T14:00:00Z') }]);
    // Someone else's override changes nothing for member 1.
    expect(isOnDutyAt(weekend, [{ ...sick, memberUserId: 2 }], 1, utc('2025-03-29T10:00:00Z'))).toBe(true);
  });

  it('says who is on duty and who is next, and counts everyone while duty is unused', () => {
    const other = compileDutySchedule({ memberUserId: 2, timeZone: 'UTC', shifts: [{ day: 1, from: '00:00', to: '24:00' }], muteOffDuty: false });
    const duty: DutyRoster = { schedules: new Map([[1, weekend], [2, other]]), overrides: [] };
    const view = dutyView(duty, [1, 2, 3], utc('2025-03-29T10:00:00Z'));
    expect(view.onDuty).toEqual([{ memberUserId: 1, until: utc('2025-03-29T17:00:00Z') }]);
    expect(view.next).toEqual([{ memberUserId: 2, from: utc('2025-03-31T00:00:00Z'), until: utc('2025-04-01T00:00:00Z') }]);
    const team = (id: number) => id <= 3;
    expect([1, 2, 3].map(dutyPredicate(duty, team, utc('2025-03-29T10:00:00Z')))).toEqual([true, false, false]);
    expect([1, 2, 3, 4].map(dutyPredicate({ schedules: new Map(), overrides: [] }, team, 0))).toEqual([true, true, true, false]);
  });

  it('rejects bad schedules with typed errors naming the field', () => {
    const bad = (shifts: DutyShift[], timeZone = 'UTC') => () => compileDutySchedule({ memberUserId: 1, timeZone, shifts, muteOffDuty: false });
    expect(bad([{ day: 1, from: '9', to: '18:00' }])).toThrow(DomainError);
    expect(bad([{ day: 8 as 1, from: '09:00', to: '18:00' }])).toThrow(/day/);
    expect(bad([], 'Mars/Olympus')).toThrow(/time zone/);
  });
});

describe('membership planning', () => {
  const account = (accountId: string, userId: number, extra: Partial<PlanAccount> = {}): PlanAccount => ({ accountId, userId, usable: true, unusableReason: null, addsBlockedUntil: null, ...extra });
  const chat = (key: string, type: PlanChat['type'], members: [number, ChatMemberStatus][] | null, accountIds: string[]): PlanChat => ({
    chatKey: key,
    tdChatId: -Number(key.length),
    type,
    kind: 'support',
    title: key,
    members: members ? new Map(members) : null,
    accountIds,
  });
  const accounts = new Map([account('a', 10), account('b', 20), account('c', 30, { usable: false, unusableReason: 'is not logged in' })].map((x) => [x.accountId, x]));

  it('picks an administrator, skips who is there, and says why nobody can act', () => {
    const plan = planMembership({
      action: 'add',
      memberUserIds: [99],
      accounts,
      now: 0,
      chats: [
        chat('admin-b', 'supergroup', [[10, 'member'], [20, 'administrator']], ['a', 'b']),
        chat('already', 'supergroup', [[10, 'creator'], [99, 'member']], ['a']),
        chat('members-only', 'supergroup', [[10, 'member'], [20, 'member']], ['a', 'b']),
        chat('basic', 'basic', [[10, 'member']], ['a']),
        chat('nobody', 'supergroup', null, []),
        chat('logged-out', 'supergroup', null, ['c']),
        chat('unknown-list', 'supergroup', null, ['a']),
      ],
    });
    const by = new Map(plan.items.map((i) => [i.chatKey, i]));
    expect(by.get('admin-b')).toMatchObject({ outcome: 'todo', accountId: 'b', candidates: ['b'] });
    expect(by.get('already')).toMatchObject({ outcome: 'skip', reason: 'already a member' });
    expect(by.get('members-only')!.outcome).toBe('impossible');
    expect(by.get('members-only')!.reason).toContain('a is only a member; b is only a member');
    expect(by.get('basic')).toMatchObject({ outcome: 'todo', accountId: 'a' }); // members may add in basic groups
    expect(by.get('nobody')!.reason).toBe("none of the daemon's accounts is in this chat");
    expect(by.get('logged-out')!.reason).toContain('c is not logged in');
    expect(by.get('unknown-list')).toMatchObject({ outcome: 'todo', reason: 'member list unknown: checked before acting' });
    expect(plan.counts).toEqual({ todo: 3, skip: 1, impossible: 3 });
  });

  it("never removes with the member's own account, nor a chat's creator", () => {
    const plan = planMembership({
      action: 'remove',
      memberUserIds: [10],
      accounts,
      now: 0,
      chats: [chat('own', 'supergroup', [[10, 'administrator']], ['a']), chat('creator', 'supergroup', [[10, 'creator'], [20, 'administrator']], ['a', 'b']), chat('gone', 'basic', [[20, 'creator']], ['b'])],
    });
    expect(plan.items.map((i) => [i.chatKey, i.outcome])).toEqual([
      ['own', 'impossible'],
      ['creator', 'impossible'],
      ['gone', 'skip'],
    ]);
    expect(plan.items[0]!.reason).toContain("a is the member's own account");
  });

  it('spreads adds over equally good accounts and puts accounts paused by PEER_FLOOD last', () => {
    const chats = Array.from({ length: 10 }, (_, i) => chat(`c${i}`, 'supergroup', [[10, 'administrator'], [20, 'administrator']], ['a', 'b']));
    const plan = planMembership({ action: 'add', memberUserIds: [99], accounts, now: 0, chats });
    expect(plan.items.filter((i) => i.accountId === 'a')).toHaveLength(5);
    const paused = new Map(accounts).set('a', account('a', 10, { addsBlockedUntil: 1000 }));
    const plan2 = planMembership({ action: 'add', memberUserIds: [99], accounts: paused, now: 0, chats });
    expect(plan2.items.every((i) => i.accountId === 'b' && i.candidates.join() === 'b,a')).toBe(true);
  });

  it('throttles adds per account: spacing, a daily limit, and a pause', () => {
    const limits = { minIntervalMs: 30_000, maxPerDay: 40 };
    expect(addBudget(FRESH_ADD_STATE, limits, 0)).toEqual({ at: 0, count: 40, reason: null });
    let s = recordAdds(FRESH_ADD_STATE, 1000, 20);
    expect(addBudget(s, limits, 2000).at).toBe(31_000);
    s = recordAdds(s, 31_000, 20);
    expect(addBudget(s, limits, 100_000)).toMatchObject({ count: 0, at: 1000 + DAY });
    expect(addBudget(s, limits, 1000 + DAY).count).toBe(40);
    expect(addBudget({ ...s, blockedUntil: 5_000_000, blockedReason: 'PEER_FLOOD' }, limits, 100).reason).toBe('PEER_FLOOD');
  });
});

describe('alert rules', () => {
  const rules = { mentionAfterMs: 10 * MINUTE, reminderAfterMs: 30 * MINUTE, maxReminders: 2 };
  const overdue: AlertCondition = { key: 'overdue:c1:1000', kind: 'overdue', chatKey: 'c1', since: 1000, memberUserId: null, detail: null };
  const mention: AlertCondition = { key: 'mention:7:c2', kind: 'mention', chatKey: 'c2', since: 0, memberUserId: 7, detail: null };

  const run = (conditions: AlertCondition[], records: Map<string, AlertRecord>, now: number) => {
    const d = evaluateAlerts(conditions, records, rules, now);
    for (const r of d.upsert) records.set(r.key, r);
    for (const k of d.resolve) records.delete(k);
    return d.fire.map((f) => `${f.condition.key}#${f.reminder}`);
  };

  it('alerts once per condition, reminds after the set time a limited number of times, forgets an ended one', () => {
    const records = new Map<string, AlertRecord>();
    expect(run([overdue], records, 0)).toEqual(['overdue:c1:1000#0']);
    expect(run([overdue], records, 10 * MINUTE)).toEqual([]);
    expect(run([overdue, overdue], records, 20 * MINUTE)).toEqual([]);
    expect(nextAlertDue([overdue], records, rules, 20 * MINUTE)).toBe(30 * MINUTE);
    expect(run([overdue], records, 30 * MINUTE)).toEqual(['overdue:c1:1000#1']);
    expect(run([overdue], records, 60 * MINUTE)).toEqual(['overdue:c1:1000#2']);
    expect(run([overdue], records, 90 * MINUTE)).toEqual([]); // at most two reminders
    expect(run([], records, 91 * MINUTE)).toEqual([]);
    expect(records.size).toBe(0);
    // The next wait of the same chat is a new condition.
    expect(run([{ ...overdue, key: 'overdue:c1:5000' }], records, 92 * MINUTE)).toEqual(['overdue:c1:5000#0']);
  });

  it('alerts a mention only after it stayed unread long enough, counted from when it was first seen', () => {
    const records = new Map<string, AlertRecord>();
    expect(run([{ ...mention, since: 5 * MINUTE }], records, 5 * MINUTE)).toEqual([]);
    expect(run([{ ...mention, since: 12 * MINUTE }], records, 12 * MINUTE)).toEqual([]);
    expect(run([{ ...mention, since: 15 * MINUTE }], records, 15 * MINUTE)).toEqual(['mention:7:c2#0']);
  });

  it('rate-limits deliveries per destination with a token bucket', () => {
    let bucket;
    const allowed: boolean[] = [];
    for (let i = 0; i < 4; i++) {
      const t = takeToken(bucket, 6, 2, 0);
      bucket = t.bucket;
      allowed.push(t.allowed);
    }
    expect(allowed).toEqual([true, true, false, false]);
    expect(takeToken(bucket, 6, 2, 0).retryAt).toBe(10_000);
    expect(takeToken(bucket, 6, 2, 10_000).allowed).toBe(true);
  });

  it('routes by each member’s channels and writes a message with the link', () => {
    expect(routeAlert([1, 2, 3], (id) => (id === 1 ? ['teamChat'] : id === 2 ? ['dm', 'teamChat'] : []))).toEqual({ teamChat: [1, 2], dm: [2] });
    const link = messageLink('supergroup', -1001234567890, 42 * 1_048_576);
    expect(link).toBe('https://t.me/c/1234567890/42');
    expect(messageLink('basic', -5, 1_048_576)).toBeNull();
    const text = alertText({ kind: 'overdue', reminder: 1, chatTitle: 'ACME ⇄ Admins', clientName: 'ACME', since: 0, now: 17 * MINUTE, detail: null, mentionedName: null, link, addressees: ['@anna'] });
    expect(text).toBe('Reminder 1: A client in «ACME ⇄ Admins» has waited 17 min without an answer\nhttps://t.me/c/1234567890/42\n@anna');
  });
});
