import { describe, expect, it } from 'vitest';
import { teamSummary, type TeamSummary } from '../src/domain/counts.ts';
import { buildDialogRow, snapshotOf, type DialogInput, type DialogSnapshot } from '../src/domain/dialogs.ts';
import {
  applyDomainEvent,
  applyDomainEvents,
  dialogRowsFor,
  emptyClientState,
  eventScope,
  type AccountSync,
  type ClientState,
  type DomainEvent,
} from '../src/domain/events.ts';
import { MINUTE } from '../src/domain/time.ts';

const NOW = Date.parse('2025-06-02T12:00:00Z');
const SCOPES = { private: 0, group: 0, channel: 0 };

function input(chatKey: string, over: Partial<DialogInput> = {}): DialogInput {
  return {
    chatKey,
    tdChatId: -Number(chatKey.replace(/\D/g, '') || 1),
    chatType: 'supergroup',
    kind: 'support',
    title: `Chat ${chatKey}`,
    clientName: `Client ${chatKey}`,
    unreadCount: 0,
    unreadMentionCount: 0,
    isMarkedAsUnread: false,
    notification: { useDefaultMuteFor: true, muteFor: 0 },
    position: { order: '100', isPinned: false },
    createdAt: NOW - MINUTE,
    manualPosition: null,
    lastMessage: null,
    waiting: null,
    alarm: null,
    acknowledged: null,
    openTaskCount: 0,
    ...over,
  };
}

/** The world as the store would hold it, and the client state read afresh from it. */
interface World {
  readonly accounts: Readonly<Record<string, readonly DialogInput[]>>;
  readonly stars: ReadonlyMap<number, ReadonlySet<string>>;
  readonly sync: ReadonlyMap<string, AccountSync>;
}

const snapshot = (i: DialogInput, now: number): DialogSnapshot => snapshotOf(buildDialogRow(i, { now, scopeMuteFor: SCOPES, starred: new Set() }));

function summaryOf(world: World, now: number): TeamSummary {
  const chats = new Map<string, DialogInput>();
  for (const list of Object.values(world.accounts)) for (const i of list) chats.set(i.chatKey, i);
  return teamSummary(
    [...chats.values()].map((c) => ({ chatKey: c.chatKey, kind: c.kind, waiting: c.waiting, hasAlarm: c.alarm !== null })),
    Object.entries(world.accounts).flatMap(([account, list]) =>
      list.map((i) => ({ chatKey: i.chatKey, accountUserId: account === 'A' ? 1 : 2, unreadCount: i.unreadCount, unreadMentionCount: i.unreadMentionCount })),
    ),
    now,
    () => true,
  );
}

function readAfresh(world: World, seq: number, now: number): ClientState {
  return {
    seq,
    dialogs: new Map(Object.entries(world.accounts).map(([account, list]) => [account, new Map(list.map((i) => [i.chatKey, snapshot(i, now)]))])),
    teamSummary: summaryOf(world, now),
    stars: world.stars,
    accounts: world.sync,
  };
}

/** Changes the chat in every account that has it, as a team-wide fact would. */
function everywhere(world: World, chatKey: string, patch: Partial<DialogInput>): World {
  const accounts: Record<string, DialogInput[]> = {};
  for (const [a, list] of Object.entries(world.accounts)) accounts[a] = list.map((i) => (i.chatKey === chatKey ? { ...i, ...patch } : i));
  return { ...world, accounts };
}

function inAccount(world: World, account: string, chatKey: string, patch: Partial<DialogInput>): World {
  return { ...world, accounts: { ...world.accounts, [account]: world.accounts[account]!.map((i) => (i.chatKey === chatKey ? { ...i, ...patch } : i)) } };
}

const sync: AccountSync = { authState: 'ready', phase: 'ready', syncComplete: true };
const initial: World = {
  accounts: { A: [input('s1'), input('s2'), input('t1', { kind: 'team' })], B: [input('s1'), input('s3')] },
  stars: new Map(),
  sync: new Map([
    ['A', sync],
    ['B', sync],
  ]),
};

describe('state before + events == state read afresh', () => {
  let seq = 0;
  const ev = <E extends Omit<DomainEvent, 'seq'>>(e: E): E & { seq: number } => ({ ...e, seq: ++seq });

  it('holds across a sequence of team actions and Telegram updates', () => {
    let world = initial;
    let state = readAfresh(world, 0, NOW);
    const step = (next: World, events: DomainEvent[], now = NOW): void => {
      world = next;
      // Events travel through the store and the wire as JSON.
      state = applyDomainEvents(state, JSON.parse(JSON.stringify(events)) as DomainEvent[]);
      expect(state).toEqual(readAfresh(world, events.at(-1)!.seq, now));
    };

    // An account receives messages: unread 5 (absolute), with a mention.
    let next = inAccount(world, 'A', 's1', { unreadCount: 5, unreadMentionCount: 1 });
    step(next, [
      ev({ type: 'dialogChanged', at: NOW, accountId: 'A', dialog: snapshot(next.accounts['A']!.find((i) => i.chatKey === 's1')!, NOW) }),
      ev({ type: 'teamSummaryChanged', at: NOW, summary: summaryOf(next, NOW) }),
    ]);

    // The client waits, then it becomes overdue: one overdue event per change, applied to both accounts.
    const waiting = { since: NOW - 20 * MINUTE, deadline: NOW - 5 * MINUTE };
    next = everywhere(world, 's1', { waiting });
    step(next, [
      ev({ type: 'overdueChanged', at: NOW, chatKey: 's1', waiting: { waitingSince: waiting.since, deadline: waiting.deadline, isOverdue: true, overdueSince: waiting.deadline } }),
      ev({ type: 'teamSummaryChanged', at: NOW, summary: summaryOf(next, NOW) }),
    ]);

    // Alarm raised, then acknowledged ("It's OK"), which ends the wait.
    const alarm = { raisedBy: 1, raisedAt: NOW, reason: 'db-prod-2 is down' };
    next = everywhere(world, 's1', { alarm });
    step(next, [ev({ type: 'alarmRaised', at: NOW, chatKey: 's1', alarm }), ev({ type: 'teamSummaryChanged', at: NOW, summary: summaryOf(next, NOW) })]);
    next = everywhere(world, 's1', { acknowledged: { by: 2, at: NOW + 1 }, waiting: null });
    step(next, [
      ev({ type: 'acknowledged', at: NOW + 1, chatKey: 's1', acknowledged: { by: 2, at: NOW + 1 } }),
      ev({ type: 'overdueChanged', at: NOW + 1, chatKey: 's1', waiting: { waitingSince: null, deadline: null, isOverdue: false, overdueSince: null } }),
      ev({ type: 'teamSummaryChanged', at: NOW + 1, summary: summaryOf(next, NOW) }),
    ]);
    next = everywhere(world, 's1', { alarm: null });
    step(next, [ev({ type: 'alarmCleared', at: NOW + 2, chatKey: 's1', clearedBy: 1 }), ev({ type: 'teamSummaryChanged', at: NOW + 2, summary: summaryOf(next, NOW) })]);

    // Reclassified and renamed.
    next = everywhere(world, 's3', { kind: 'other', clientName: null });
    step(next, [ev({ type: 'chatKindChanged', at: NOW, chatKey: 's3', kind: 'other', clientName: null }), ev({ type: 'teamSummaryChanged', at: NOW, summary: summaryOf(next, NOW) })]);
    next = everywhere(world, 's1', { title: 'Support: Acme', clientName: 'Acme' });
    step(next, [ev({ type: 'chatTitleChanged', at: NOW, chatKey: 's1', title: 'Support: Acme', clientName: 'Acme' })]);

    // Stars are per member.
    next = { ...world, stars: new Map([[1, new Set(['s2'])]]) };
    step(next, [ev({ type: 'starred', at: NOW, memberUserId: 1, chatKey: 's2', isStarred: true })]);
    next = { ...world, stars: new Map([[1, new Set<string>()]]) };
    step(next, [ev({ type: 'starred', at: NOW, memberUserId: 1, chatKey: 's2', isStarred: false })]);

    // Messages change no dialog by themselves.
    const message = { messageId: 'm1', sender: { kind: 'user' as const, id: 100 }, senderName: 'Bob', isTeam: false, at: NOW, editedAt: null, replyToMessageId: null, text: 'hi', contentKind: 'text' as const, mediaSummary: null, isService: false };
    step(world, [
      ev({ type: 'messageAdded', at: NOW, chatKey: 's2', message }),
      ev({ type: 'messageEdited', at: NOW, chatKey: 's2', message: { ...message, text: 'hello', editedAt: NOW + 1 } }),
      ev({ type: 'messagesDeleted', at: NOW, chatKey: 's2', messageIds: ['m1'] }),
    ]);

    // The account leaves a chat; another account's sync state changes.
    next = { ...world, accounts: { ...world.accounts, B: world.accounts['B']!.filter((i) => i.chatKey !== 's3') } };
    step(next, [ev({ type: 'dialogRemoved', at: NOW, accountId: 'B', chatKey: 's3' }), ev({ type: 'teamSummaryChanged', at: NOW, summary: summaryOf(next, NOW) })]);
    const reconciling: AccountSync = { authState: 'ready', phase: 'reconciling', syncComplete: false };
    next = { ...world, sync: new Map([...world.sync, ['B', reconciling]]) };
    step(next, [ev({ type: 'accountSyncChanged', at: NOW, accountId: 'B', sync: reconciling })]);
  });
});

describe('applyDomainEvent', () => {
  const base = emptyClientState();
  const changed = (seq: number, unreadCount: number): DomainEvent => ({
    type: 'dialogChanged',
    seq,
    at: NOW,
    accountId: 'A',
    dialog: snapshot(input('s1', { unreadCount }), NOW),
  });

  it('skips an event it already applied, and an older one after a newer', () => {
    const s2 = applyDomainEvents(base, [changed(1, 5), changed(2, 7)]);
    expect(applyDomainEvent(s2, changed(2, 7))).toBe(s2);
    expect(applyDomainEvent(s2, changed(1, 5))).toBe(s2);
    expect(s2.dialogs.get('A')?.get('s1')?.unreadCount).toBe(7);
  });

  it('does not change the state it is given', () => {
    const s1 = applyDomainEvent(base, changed(1, 5));
    const frozen = JSON.stringify([...s1.dialogs.get('A')!.values()]);
    applyDomainEvent(s1, changed(2, 9));
    applyDomainEvent(s1, { type: 'alarmRaised', seq: 3, at: NOW, chatKey: 's1', alarm: { raisedBy: 1, raisedAt: NOW, reason: 'x' } });
    expect(JSON.stringify([...s1.dialogs.get('A')!.values()])).toBe(frozen);
    expect(base.dialogs.size).toBe(0);
  });

  it('ignores a team-wide event for a chat no account has', () => {
    const s1 = applyDomainEvent(base, changed(1, 5));
    const s2 = applyDomainEvent(s1, { type: 'alarmRaised', seq: 2, at: NOW, chatKey: 'unknown', alarm: { raisedBy: 1, raisedAt: NOW, reason: 'x' } });
    expect(s2.dialogs).toBe(s1.dialogs);
    expect(s2.seq).toBe(2);
  });

  it('gives each member their own stars on the rows', () => {
    let s = applyDomainEvent(base, changed(1, 0));
    s = applyDomainEvent(s, { type: 'starred', seq: 2, at: NOW, memberUserId: 7, chatKey: 's1', isStarred: true });
    expect(dialogRowsFor(s, 'A', 7)[0]!.isStarred).toBe(true);
    expect(dialogRowsFor(s, 'A', 8)[0]!.isStarred).toBe(false);
    expect(dialogRowsFor(s, 'nobody', 7)).toEqual([]);
  });
});

describe('eventScope', () => {
  it('names the account and chat an event is about', () => {
    const dialog = snapshot(input('s1'), NOW);
    expect(eventScope({ type: 'dialogChanged', seq: 1, at: NOW, accountId: 'A', dialog })).toEqual({ accountId: 'A', chatKey: 's1' });
    expect(eventScope({ type: 'alarmCleared', seq: 1, at: NOW, chatKey: 's9', clearedBy: 1 })).toEqual({ accountId: null, chatKey: 's9' });
    expect(eventScope({ type: 'teamSummaryChanged', seq: 1, at: NOW, summary: summaryOf(initial, NOW) })).toEqual({ accountId: null, chatKey: null });
    expect(eventScope({ type: 'accountSyncChanged', seq: 1, at: NOW, accountId: 'B', sync })).toEqual({ accountId: 'B', chatKey: null });
  });
});
