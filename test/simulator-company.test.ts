/**
 * The support company script: a believable team, clients and history that put the overdue rule,
 * unread chats and mentions to work at `now`; and the live traffic on top of it.
 */
import { describe, expect, it } from 'vitest';
import { buildSupportCompany, createSimWorld, createTraffic, type SupportCompany, type SimWorld } from '../src/tdlib/simulator/index.ts';
import { drain, loadAllChats, ready, record, testClock } from './simulator-helpers.ts';

const NOW = Date.UTC(2026, 2, 10, 11, 30, 0);

function company(seed = 7, options: { accounts?: number } = {}): { world: SimWorld; company: SupportCompany } {
  const world = createSimWorld({ seed, clock: () => NOW });
  return { world, company: buildSupportCompany(world, { now: NOW, seed, ...options }) };
}

describe('support company', () => {
  it('has the shape of the team in DESIGN.md: 8 admins, 2 managers, a team chat, ~40 client chats, 4 accounts', () => {
    const { world, company: c } = company();
    expect(c.team.filter((m) => m.role === 'admin')).toHaveLength(8);
    expect(c.team.filter((m) => m.role === 'manager')).toHaveLength(2);
    expect(c.accounts.map((a) => a.role)).toEqual(['admin', 'admin', 'admin', 'manager']);
    expect(c.accounts.every((a) => world.userInfo(a.userId).isAccount)).toBe(true);
    expect(new Set(world.memberIds(c.teamChat))).toEqual(new Set(c.team.map((m) => m.userId)));

    expect(c.clientChats).toHaveLength(40);
    const kinds = c.clientChats.map((x) => x.kind);
    expect(kinds.filter((k) => k === 'basicGroup').length).toBeGreaterThanOrEqual(4);
    expect(kinds.filter((k) => k === 'supergroup').length).toBeGreaterThan(25);
    const teamIds = new Set(c.team.map((m) => m.userId));
    for (const chat of c.clientChats) {
      expect(chat.clients.length).toBeGreaterThanOrEqual(1);
      expect(chat.clients.length).toBeLessThanOrEqual(4);
      expect(chat.clients.every((p) => !teamIds.has(p.userId))).toBe(true);
      // Every client chat is visible to at least one of the daemon's accounts.
      expect(chat.teamIds.some((id) => c.accounts.some((a) => a.userId === id))).toBe(true);
    }
    // Russian and English people and companies.
    const names = c.clientChats.flatMap((x) => x.clients.map((p) => p.name));
    expect(names.some((n) => /[А-Яа-яЁё]/.test(n))).toBe(true);
    expect(names.some((n) => /^[A-Za-z ]+$/.test(n))).toBe(true);
    expect(c.clientChats.some((x) => x.lang === 'en')).toBe(true);
    expect(c.privateChats.length).toBeGreaterThanOrEqual(2);

    const smaller = company(7, { accounts: 2 }).company;
    expect(smaller.accounts.map((a) => a.role)).toEqual(['admin', 'manager']);
  });

  it('puts clients waiting, overdue, answered, thanked and mentions in place at now', async () => {
    const { world, company: c } = company();
    const now = c.now;
    const by = (s: string) => c.clientChats.filter((x) => x.scenario === s);
    const teamIds = new Set(c.team.map((m) => m.userId));
    const lastMessage = (key: string) => world.allMessages().filter((m) => m.chatKey === key && !m.deleted && m.kind !== 'service').at(-1);

    expect(by('waiting').length).toBeGreaterThanOrEqual(3);
    for (const w of by('waiting')) {
      expect(w.waitingSince).not.toBeNull();
      expect(now - (w.waitingSince ?? 0)).toBeLessThan(15 * 60);
      expect(w.overdue).toBe(false);
      expect(teamIds.has(lastMessage(w.chat.key)?.senderId ?? 0)).toBe(false);
    }
    expect(by('overdue').length).toBeGreaterThanOrEqual(2);
    for (const o of by('overdue')) {
      expect(now - (o.waitingSince ?? now)).toBeGreaterThan(15 * 60);
      expect(o.overdue).toBe(true);
    }
    for (const a of by('answered')) {
      expect(a.waitingSince).toBeNull();
      expect(teamIds.has(lastMessage(a.chat.key)?.senderId ?? 0)).toBe(true);
    }
    expect(by('thanks').length).toBeGreaterThanOrEqual(2);
    for (const t of by('thanks')) {
      expect(t.endsWithThanks).toBe(true);
      expect(t.waitingSince).not.toBeNull();
      expect(t.waitingSinceIgnoringThanks).toBeNull();
    }
    expect(by('mention').length).toBeGreaterThanOrEqual(2);
    for (const m of by('mention')) {
      expect(m.unreadMentionAccountIds.length).toBeGreaterThanOrEqual(1);
      expect(m.waitingSince).toBeNull();
    }
    // No message is dated after now.
    expect(Math.max(...world.allMessages().map((m) => m.date))).toBeLessThanOrEqual(now);

    // What the account's own TDLib reports matches the descriptor.
    const mentioned = by('mention')[0];
    const accountId = mentioned?.unreadMentionAccountIds[0] ?? 0;
    const t = world.connect(accountId);
    const rec = record(t);
    await ready(rec);
    await loadAllChats(t);
    const chat = await t.invoke({ _: 'getChat', chat_id: mentioned?.chatId ?? 0 });
    expect(chat.unread_mention_count).toBeGreaterThan(0);
    const waiting = by('waiting').find((w) => w.teamIds.includes(accountId));
    if (waiting) {
      const w = await t.invoke({ _: 'getChat', chat_id: waiting.chatId });
      expect(w.last_message?.is_outgoing).toBe(false);
      expect(w.unread_count).toBeGreaterThan(0);
    }
    await t.close();
  });

  it('has the texture of a sysadmin desk: hosts, IPs, error codes, edits, replies, stickers, photos, documents, deletions', () => {
    const { world } = company();
    const all = world.allMessages();
    const texts = all.map((m) => m.text).join('\n');
    expect(texts).toMatch(/\b(web|db-prod|pg-replica|redis|k8s-node|backup|lb|mq|es-data|app)-\d/);
    expect(texts).toMatch(/\b(10|172|192)\.\d+\.\d+\.\d+\b/);
    expect(texts).toMatch(/ORA-00942|ENOSPC|502|504|OOMKilled|CrashLoopBackOff/);
    expect(texts).toMatch(/[А-Яа-яЁё]{4,}/);
    expect(texts).toMatch(/\b(the|is|on|can)\b/);
    const kinds = new Set(all.map((m) => m.kind));
    for (const k of ['text', 'sticker', 'photo', 'document', 'service']) expect(kinds.has(k as never)).toBe(true);
    expect(all.some((m) => m.editDate > 0)).toBe(true);
    expect(all.some((m) => m.replyToKey !== null)).toBe(true);
    expect(all.some((m) => m.deleted)).toBe(true);
    expect(all.some((m) => m.mentionedUserIds.length > 0)).toBe(true);
    // Russian plural forms are right ("2 минуты", "5 минут", "21 минуту").
    for (const [, n, word] of texts.matchAll(/(\d+) (минуту|минуты|минут)\b/g)) {
      const k = Number(n);
      const expected = k % 10 === 1 && k % 100 !== 11 ? 'минуту' : k % 10 >= 2 && k % 10 <= 4 && (k % 100 < 12 || k % 100 > 14) ? 'минуты' : 'минут';
      expect(word).toBe(expected);
    }
  });

  it('is deterministic for a seed', () => {
    const a = company(7).world.allMessages().map((m) => `${m.chatTitle}|${m.senderId}|${m.date}|${m.text}`);
    const b = company(7).world.allMessages().map((m) => `${m.chatTitle}|${m.senderId}|${m.date}|${m.text}`);
    const c = company(8).world.allMessages().map((m) => `${m.chatTitle}|${m.senderId}|${m.date}|${m.text}`);
    expect(a).toEqual(b);
    expect(c).not.toEqual(a);
  });
});

describe('traffic', () => {
  it('produces a realistic, deterministic stream of events that the accounts receive', async () => {
    const clock = testClock(NOW);
    const world = createSimWorld({ seed: 3, clock: clock.now });
    const c = buildSupportCompany(world, { now: NOW, seed: 3 });
    const account = c.accounts[0];
    const t = world.connect(account?.userId ?? 0);
    const rec = record(t);
    await ready(rec);
    await loadAllChats(t);
    rec.clear();

    const before = world.allMessages().length;
    const traffic = createTraffic(world, c, { seed: 4 });
    const kinds = new Map<string, number>();
    for (let i = 0; i < 400; i++) {
      clock.advance(3000);
      const e = traffic.step();
      kinds.set(e.kind, (kinds.get(e.kind) ?? 0) + 1);
      expect(e.at).toBe(Math.floor(clock.now() / 1000));
    }
    for (const k of ['question', 'reply', 'followUp', 'thanks', 'mention', 'sticker', 'edit', 'delete', 'teamChat', 'read']) expect(kinds.get(k) ?? 0).toBeGreaterThan(0);
    expect(world.allMessages().length).toBeGreaterThan(before + 250);
    await drain();
    expect(rec.of('updateNewMessage').length).toBeGreaterThan(20);
    expect(rec.of('updateMessageContent').length + rec.of('updateDeleteMessages').length).toBeGreaterThan(0);
    await t.close();

    // Same seeds, same stream.
    const replay = () => {
      const w = createSimWorld({ seed: 3, clock: () => NOW });
      const co = buildSupportCompany(w, { now: NOW, seed: 3 });
      const tr = createTraffic(w, co, { seed: 4 });
      return Array.from({ length: 50 }, () => tr.step()).map((e) => `${e.kind}:${e.chatKey}:${e.userId}`);
    };
    expect(replay()).toEqual(replay());
  });

  it('runs at a rate until aborted', async () => {
    const world = createSimWorld({ seed: 9 });
    const c = buildSupportCompany(world, { seed: 9, clientChats: 10 });
    const controller = new AbortController();
    let atAbort = -1;
    setTimeout(() => {
      atAbort = world.allMessages().length;
      controller.abort();
    }, 200);
    const count = await createTraffic(world, c, { seed: 1 }).run({ messagesPerSecond: 50, signal: controller.signal });
    // It returned (one that ignored the signal never would) and sent nothing after the abort.
    expect(atAbort).toBeGreaterThan(0);
    expect(world.allMessages().length).toBe(atAbort);
    expect(count).toBeGreaterThan(3);
    expect(count).toBeLessThan(40);
    expect(await createTraffic(world, c, { seed: 2 }).run({ messagesPerSecond: 1000, maxEvents: 5 })).toBe(5);
  });
});
