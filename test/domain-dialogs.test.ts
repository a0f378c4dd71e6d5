import { describe, expect, it } from 'vitest';
import { countUnreadChats, everyoneOnDuty, teamSummary, type AccountChatFact, type TeamChatFact } from '../src/domain/counts.ts';
import { buildTitleOrder, compareInt64Strings, createTitleCollator, sortDialogs, type StableKey } from '../src/domain/dialog-order.ts';
import { buildDialogView } from '../src/domain/dialog-view.ts';
import {
  buildDialogRow,
  compileDialogFilter,
  isEffectivelyMuted,
  mainListPosition,
  shortText,
  snapshotOf,
  type DialogInput,
  type DialogRow,
  type DialogRowContext,
} from '../src/domain/dialogs.ts';
import { buildRoster } from '../src/domain/roster.ts';
import { MINUTE } from '../src/domain/time.ts';

const NOW = Date.parse('2025-06-02T12:00:00Z');
const ctx: DialogRowContext = { now: NOW, scopeMuteFor: { private: 0, group: 0, channel: 0 }, starred: new Set() };

let seq = 0;
function input(over: Partial<DialogInput> = {}): DialogInput {
  seq++;
  return {
    chatKey: `-100${seq}`,
    tdChatId: -1000 - seq,
    chatType: 'supergroup',
    kind: 'support',
    title: `Chat ${seq}`,
    clientName: `Client ${seq}`,
    unreadCount: 0,
    unreadMentionCount: 0,
    isMarkedAsUnread: false,
    notification: { useDefaultMuteFor: true, muteFor: 0 },
    position: { order: String(1_000_000 + seq), isPinned: false },
    createdAt: NOW - seq * MINUTE,
    manualPosition: null,
    lastMessage: null,
    waiting: null,
    alarm: null,
    acknowledged: null,
    openTaskCount: 0,
    ...over,
  };
}
const row = (over: Partial<DialogInput> = {}, context: DialogRowContext = ctx): DialogRow => buildDialogRow(input(over), context);
const keys = (rows: readonly { chatKey: string }[]): string[] => rows.map((r) => r.chatKey);

describe('dialog row', () => {
  it('computes effective mute from the scope when the chat uses the default, else from its own setting', () => {
    const scopes = { private: 0, group: 3600, channel: 0 };
    expect(isEffectivelyMuted({ useDefaultMuteFor: true, muteFor: 0 }, 'supergroup', scopes)).toBe(true);
    expect(isEffectivelyMuted({ useDefaultMuteFor: true, muteFor: 0 }, 'basic', scopes)).toBe(true);
    expect(isEffectivelyMuted({ useDefaultMuteFor: true, muteFor: 0 }, 'private', scopes)).toBe(false);
    expect(isEffectivelyMuted({ useDefaultMuteFor: true, muteFor: 99 }, 'channel', scopes)).toBe(false);
    expect(isEffectivelyMuted({ useDefaultMuteFor: false, muteFor: 0 }, 'supergroup', scopes)).toBe(false);
    expect(isEffectivelyMuted({ useDefaultMuteFor: false, muteFor: 60 }, 'private', scopes)).toBe(true);
    expect(row({ notification: { useDefaultMuteFor: false, muteFor: 60 } }).isMuted).toBe(true);
  });

  it('marks overdue from the deadline and now, with overdue since the deadline', () => {
    const waiting = row({ waiting: { since: NOW - 10 * MINUTE, deadline: NOW + 5 * MINUTE } });
    expect(waiting).toMatchObject({ waitingSince: NOW - 10 * MINUTE, isOverdue: false, overdueSince: null });
    const overdue = row({ waiting: { since: NOW - 20 * MINUTE, deadline: NOW - 5 * MINUTE } });
    expect(overdue).toMatchObject({ isOverdue: true, overdueSince: NOW - 5 * MINUTE });
    expect(row({ waiting: { since: NOW - 15 * MINUTE, deadline: NOW } }).isOverdue).toBe(true);
    expect(row({ waiting: { since: NOW, deadline: Number.POSITIVE_INFINITY } })).toMatchObject({ waitingSince: NOW, deadline: null, isOverdue: false });
  });

  it('holds unread, mention, pin, star and client name', () => {
    const starredCtx = { ...ctx, starred: new Set(['-100x']) };
    const r = row(
      { chatKey: '-100x', unreadCount: 5, unreadMentionCount: 1, position: { order: '9', isPinned: true }, openTaskCount: 2 },
      starredCtx,
    );
    expect(r).toMatchObject({ unreadCount: 5, hasUnreadMention: true, isUnread: true, isPinned: true, isStarred: true, openTaskCount: 2 });
    expect(row({ isMarkedAsUnread: true }).isUnread).toBe(true);
    expect(row({ kind: 'personal', clientName: 'ignored' }).clientName).toBeNull();
    expect(snapshotOf(r)).not.toHaveProperty('isStarred');
  });

  it('shortens the last message to one line, with a media label when there is no text', () => {
    expect(shortText('line one\n\n  line two\tend', 'text', null)).toBe('line one line two end');
    const long = shortText('word '.repeat(60), 'text', null);
    expect(long.length).toBeLessThanOrEqual(100);
    expect(long.endsWith('…')).toBe(true);
    expect(shortText('', 'photo', 'photo 1280×720')).toBe('photo 1280×720');
    expect(shortText('', 'voice', null)).toBe('Voice message');
    expect(shortText('look', 'photo', 'photo 1280×720')).toBe('look');
    // 98 letters then an emoji (two UTF-16 units) at the cut: the pair is not split.
    const cut = shortText('a'.repeat(98) + '😀😀😀', 'text', null);
    expect(cut).toBe('a'.repeat(98) + '…');
    // Only the head of a huge message is folded; what it leaves out still shows as cut.
    expect(shortText(`start${' '.repeat(1000)}end`, 'text', null)).toBe('start…');
  });

  it('builds the last message view', () => {
    const r = row({
      lastMessage: {
        messageId: 'm5',
        sender: { kind: 'user', id: 100 },
        senderName: 'Bob',
        isTeam: false,
        at: NOW - MINUTE,
        text: 'help\nplease',
        contentKind: 'text',
        mediaSummary: null,
      },
    });
    expect(r.lastMessage).toEqual({ messageId: 'm5', sender: { kind: 'user', id: 100 }, senderName: 'Bob', isTeam: false, at: NOW - MINUTE, text: 'help please' });
  });

  it('finds the main list position', () => {
    expect(
      mainListPosition([
        { list: 'archive', order: '5', isPinned: true },
        { list: 'main', order: '7', isPinned: false },
      ]),
    ).toEqual({ order: '7', isPinned: false });
    expect(mainListPosition([{ list: 'main', order: '0', isPinned: false }])).toBeNull();
  });
});

describe('filter', () => {
  const rows = [
    row({ chatKey: 'unread', unreadCount: 2 }),
    row({ chatKey: 'mention', unreadCount: 1, unreadMentionCount: 1 }),
    row({ chatKey: 'overdue', waiting: { since: NOW - 30 * MINUTE, deadline: NOW - 15 * MINUTE } }),
    row({ chatKey: 'alarm', alarm: { raisedBy: 1, raisedAt: NOW, reason: 'db down' } }),
    row({ chatKey: 'starred' }, { ...ctx, starred: new Set(['starred']) }),
    row({ chatKey: 'muted', notification: { useDefaultMuteFor: false, muteFor: 100 } }),
    row({ chatKey: 'team', kind: 'team' }),
    row({ chatKey: 'personal', kind: 'personal', chatType: 'private' }),
  ];
  const pick = (filter: Parameters<typeof compileDialogFilter>[0]): string[] => keys(rows.filter(compileDialogFilter(filter)));

  it('keeps everything without a filter or with only nulls', () => {
    expect(pick(null)).toHaveLength(rows.length);
    expect(pick({ kind: null, unread: null, muted: undefined })).toHaveLength(rows.length);
  });

  it('narrows by each flag, true and false', () => {
    expect(pick({ unread: true })).toEqual(['unread', 'mention']);
    expect(pick({ mentioned: true })).toEqual(['mention']);
    expect(pick({ overdue: true })).toEqual(['overdue']);
    expect(pick({ alarm: true })).toEqual(['alarm']);
    expect(pick({ starred: true })).toEqual(['starred']);
    expect(pick({ muted: true })).toEqual(['muted']);
    expect(pick({ muted: false })).not.toContain('muted');
    expect(pick({ unread: false })).toHaveLength(rows.length - 2);
  });

  it('narrows by one kind or several, and combines conditions', () => {
    expect(pick({ kind: 'team' })).toEqual(['team']);
    expect(pick({ kind: ['team', 'personal'] })).toEqual(['team', 'personal']);
    expect(pick({ kind: 'support', unread: true, mentioned: false })).toEqual(['unread']);
  });
});

describe('counts', () => {
  it('counts unread chats, not messages, per kind', () => {
    const counts = countUnreadChats([
      row({ unreadCount: 40 }),
      row({ isMarkedAsUnread: true }),
      row({ unreadCount: 1, kind: 'team' }),
      row({ kind: 'personal' }),
      row({ unreadCount: 3, kind: 'other' }),
    ]);
    expect(counts).toEqual({ total: 4, byKind: { support: 2, team: 1, personal: 0, other: 1 } });
  });

  const roster = buildRoster([
    { userId: 1, name: 'Anna', role: 'admin', source: 'config' },
    { userId: 2, name: 'Max', role: 'manager', source: 'config' },
  ]);
  const chats: TeamChatFact[] = [
    { chatKey: 's1', kind: 'support', waiting: { deadline: NOW - 1 }, hasAlarm: true },
    { chatKey: 's2', kind: 'support', waiting: { deadline: NOW + 1 }, hasAlarm: false },
    { chatKey: 's3', kind: 'support', waiting: null, hasAlarm: false },
    { chatKey: 'o1', kind: 'other', waiting: { deadline: NOW - 1 }, hasAlarm: true },
  ];
  const accountChats: AccountChatFact[] = [
    { chatKey: 's1', accountUserId: 1, unreadCount: 3, unreadMentionCount: 0 },
    { chatKey: 's1', accountUserId: 2, unreadCount: 3, unreadMentionCount: 1 },
    { chatKey: 's2', accountUserId: 1, unreadCount: 0, unreadMentionCount: 0 },
    { chatKey: 's3', accountUserId: 999, unreadCount: 1, unreadMentionCount: 1 },
    { chatKey: 'o1', accountUserId: 1, unreadCount: 9, unreadMentionCount: 2 },
  ];

  it('gives the team summary: overdue support chats, alarms of any chat, unread support chats, mentions of members', () => {
    expect(teamSummary(chats, accountChats, NOW, everyoneOnDuty(roster))).toEqual({
      overdueChats: 1,
      alarms: 2,
      unreadSupportChats: 2,
      // s3's mention is of a service account, not a team member; o1 is not a support chat.
      mentionedOnDuty: 1,
    });
  });

  it('counts a mention only for members on duty', () => {
    expect(teamSummary(chats, accountChats, NOW, (id) => id === 1).mentionedOnDuty).toBe(0);
  });

  it('counts overdue at the deadline instant', () => {
    expect(teamSummary(chats, [], NOW + 1, () => true).overdueChats).toBe(2);
  });
});

describe('orders', () => {
  const collator = createTitleCollator('en');

  it('STABLE: pinned first in pin order, then titles locale-aware and case-insensitive, ties by chat key', () => {
    const rows = [
      row({ chatKey: 'k5', title: 'gamma' }),
      row({ chatKey: 'k2', title: 'Beta', position: { order: '500', isPinned: true } }),
      row({ chatKey: 'k4', title: 'Alpha' }),
      row({ chatKey: 'k3', title: 'Zed', position: { order: '900', isPinned: true } }),
      row({ chatKey: 'k1', title: 'alpha' }),
      row({ chatKey: 'k7', title: 'Client 10' }),
      row({ chatKey: 'k6', title: 'Client 2' }),
      row({ chatKey: 'k8', title: 'Ärger GmbH' }),
    ];
    const sorted = sortDialogs(rows, { order: 'STABLE', titleOrder: buildTitleOrder(rows.map((r) => r.title), collator) });
    expect(keys(sorted)).toEqual(['k3', 'k2', 'k1', 'k4', 'k8', 'k6', 'k7', 'k5']);
    // The same without a prepared title order.
    expect(keys(sortDialogs(rows, { order: 'STABLE' }))).toEqual(keys(sorted));
  });

  it('STABLE: never changes when a new message arrives', () => {
    const rows = Array.from({ length: 40 }, (_, i) =>
      row({ title: ['Acme', 'beta', 'Гамма', 'delta', 'Эпсилон'][i % 5]!, position: { order: String(1000 + i), isPinned: i < 3 } }),
    );
    for (const stableKey of ['title', 'manual', 'created'] as StableKey[]) {
      const before = keys(sortDialogs(rows, { order: 'STABLE', stableKey }));
      let current = rows;
      for (let k = 0; k < 25; k++) {
        // A message lands in chat j: Telegram moves it to the top of the unpinned list and it
        // gets unread, a mention, a wait; none of that may move it in STABLE.
        const j = (k * 7) % rows.length;
        current = current.map((r, i) =>
          i !== j
            ? r
            : {
                ...r,
                listOrder: r.isPinned ? r.listOrder : String(100_000 + k),
                unreadCount: r.unreadCount + 1,
                isUnread: true,
                hasUnreadMention: true,
                waitingSince: NOW,
                lastMessage: { messageId: `n${k}`, sender: { kind: 'user', id: 100 }, senderName: 'Bob', isTeam: false, at: NOW + k, text: 'new' },
              },
        );
        expect(keys(sortDialogs(current, { order: 'STABLE', stableKey }))).toEqual(before);
      }
      // …while ACTIVITY does move them.
      expect(keys(sortDialogs(current, { order: 'ACTIVITY' }))).not.toEqual(keys(sortDialogs(rows, { order: 'ACTIVITY' })));
    }
  });

  it('STABLE: manual position or creation order instead of the title, missing ones last', () => {
    const rows = [
      row({ chatKey: 'a', title: 'A', manualPosition: null, createdAt: NOW - 1 }),
      row({ chatKey: 'b', title: 'B', manualPosition: 2, createdAt: null }),
      row({ chatKey: 'c', title: 'C', manualPosition: 1, createdAt: NOW - 3 }),
      row({ chatKey: 'd', title: 'D', manualPosition: 2, createdAt: NOW - 2 }),
      row({ chatKey: 'p', title: 'Z', position: { order: '5', isPinned: true } }),
    ];
    expect(keys(sortDialogs(rows, { order: 'STABLE', stableKey: 'manual' }))).toEqual(['p', 'c', 'b', 'd', 'a']);
    expect(keys(sortDialogs(rows, { order: 'STABLE', stableKey: 'created' }))).toEqual(['p', 'c', 'd', 'a', 'b']);
  });

  it('STABLE: a stale title order gives the same result as a fresh one', () => {
    const words = ['Acme', 'acme', 'Борис', 'борис', 'Zeta', 'Ёлка', 'Елка', 'client 9', 'Client 10', 'Ärger', 'arger', '', '🔥 Fire', 'Mañana'];
    let s = 7;
    const rand = (n: number): number => {
      s = (s * 1103515245 + 12345) & 0x7fffffff;
      return s % n;
    };
    for (let round = 0; round < 30; round++) {
      const rows = Array.from({ length: 30 }, () => row({ title: words[rand(words.length)]! + (rand(3) === 0 ? ` ${rand(20)}` : '') }));
      const fresh = sortDialogs(rows, { order: 'STABLE', titleOrder: buildTitleOrder(rows.map((r) => r.title), collator) });
      const stale = sortDialogs(rows, { order: 'STABLE', titleOrder: buildTitleOrder(rows.slice(0, rand(30)).map((r) => r.title), collator) });
      expect(keys(stale)).toEqual(keys(fresh));
      // And it is what the collator says, pair by pair.
      for (let i = 1; i < fresh.length; i++) {
        const c = collator.compare(fresh[i - 1]!.title, fresh[i]!.title);
        expect(c < 0 || (c === 0 && fresh[i - 1]!.chatKey < fresh[i]!.chatKey)).toBe(true);
      }
    }
  });

  it('ACTIVITY: Telegram order descending as 64-bit integers, then chat id descending', () => {
    const big = '9223372036854775000';
    const rows = [
      row({ chatKey: 'small', tdChatId: -5, position: { order: '999999999999999999', isPinned: false } }),
      row({ chatKey: 'big-low-id', tdChatId: -20, position: { order: big, isPinned: false } }),
      row({ chatKey: 'big-high-id', tdChatId: -10, position: { order: big, isPinned: false } }),
      // Differs from `big` only below 2^53's precision: a Number compare would call them equal.
      row({ chatKey: 'bigger', tdChatId: -30, position: { order: '9223372036854775001', isPinned: false } }),
      row({ chatKey: 'pinned', tdChatId: -40, position: { order: '9223372036854775807', isPinned: true } }),
    ];
    expect(keys(sortDialogs(rows, { order: 'ACTIVITY' }))).toEqual(['pinned', 'bigger', 'big-high-id', 'big-low-id', 'small']);
  });

  it('ACTIVITY: chats outside the main list come last, newest message first', () => {
    const last = (at: number) => ({ messageId: 'x', sender: { kind: 'user' as const, id: 1 }, senderName: 'A', isTeam: true, at, text: 'x', contentKind: 'text' as const, mediaSummary: null });
    const rows = [
      row({ chatKey: 'out-old', position: null, lastMessage: last(NOW - 100) }),
      row({ chatKey: 'in', position: { order: '1', isPinned: false } }),
      row({ chatKey: 'out-none', position: null }),
      row({ chatKey: 'out-new', position: null, lastMessage: last(NOW) }),
    ];
    expect(keys(sortDialogs(rows, { order: 'ACTIVITY' }))).toEqual(['in', 'out-new', 'out-old', 'out-none']);
  });

  it('compares int64 strings as BigInt does', () => {
    const values = ['0', '1', '9', '10', '9007199254740993', '9007199254740992', '9223372036854775807', '123456789012345678'];
    for (const a of values) for (const b of values) expect(Math.sign(compareInt64Strings(a, b))).toBe(BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0);
  });

  it('URGENCY: alarm, overdue, mention, unread, rest; longer waits first; then STABLE', () => {
    const waiting = (minutesAgo: number, overdue: boolean) => ({ since: NOW - minutesAgo * MINUTE, deadline: overdue ? NOW - 1 : NOW + 1 });
    const alarm = { raisedBy: 1, raisedAt: NOW, reason: 'x' };
    const rows = [
      row({ chatKey: 'rest-b', title: 'B' }),
      row({ chatKey: 'rest-a', title: 'A' }),
      row({ chatKey: 'unread', unreadCount: 1 }),
      row({ chatKey: 'mention-long', unreadCount: 1, unreadMentionCount: 1, waiting: waiting(10, false) }),
      row({ chatKey: 'mention', unreadCount: 1, unreadMentionCount: 1 }),
      row({ chatKey: 'overdue-short', waiting: waiting(20, true) }),
      row({ chatKey: 'overdue-long', waiting: waiting(60, true), unreadMentionCount: 1 }),
      row({ chatKey: 'alarm-quiet', alarm }),
      row({ chatKey: 'alarm-waiting', alarm, waiting: waiting(5, false) }),
      row({ chatKey: 'pinned-rest', title: 'Z', position: { order: '1', isPinned: true } }),
    ];
    expect(keys(sortDialogs(rows, { order: 'URGENCY' }))).toEqual([
      'alarm-waiting',
      'alarm-quiet',
      'overdue-long',
      'overdue-short',
      'mention-long',
      'mention',
      'unread',
      'pinned-rest',
      'rest-a',
      'rest-b',
    ]);
  });

  it('does not touch the input array', () => {
    const rows = [row({ title: 'b' }), row({ title: 'a' })];
    const copy = [...rows];
    sortDialogs(rows, { order: 'STABLE' });
    expect(rows).toEqual(copy);
  });
});

describe('dialog view', () => {
  it('filters, orders and counts in one call', () => {
    const inputs = [
      input({ chatKey: 's-b', title: 'B', unreadCount: 2 }),
      input({ chatKey: 's-a', title: 'A' }),
      input({ chatKey: 't', title: 'Team', kind: 'team', unreadCount: 1 }),
      input({ chatKey: 's-c', title: 'C', isMarkedAsUnread: true }),
    ];
    const view = buildDialogView(inputs, { ...ctx, order: 'STABLE', filter: { kind: 'support' } });
    expect(keys(view.rows)).toEqual(['s-a', 's-b', 's-c']);
    expect(view.totalCount).toBe(3);
    expect(view.unreadChatCount).toBe(2);
  });
});
