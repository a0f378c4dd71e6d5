/**
 * The kept dialog rows (src/app/dialog-rows.ts) against the definition: after every kind of
 * published change, at any `now`, for every order, STABLE key, filter and member, the view is
 * exactly what building the rows afresh from the model gives (buildDialogRow at `now`, filtered,
 * sorted by sortDialogs, counted). The model here is a small fake whose chats change as the
 * events it publishes say (the client reducer over its state).
 */
import { describe, expect, it } from 'vitest';
import { DialogRows } from '../src/app/dialog-rows.ts';
import { EventBus, type StoredEvent } from '../src/app/event-bus.ts';
import type { TeamModel } from '../src/app/team-model.ts';
import { buildTitleOrder, createTitleCollator, sortDialogs, type DialogOrder, type StableKey, type TitleOrder } from '../src/domain/dialog-order.ts';
import type { DialogView } from '../src/domain/dialog-view.ts';
import { buildDialogRow, compileDialogFilter, type DialogFilter, type DialogInput, type DialogRow, type DialogSnapshot } from '../src/domain/dialogs.ts';
import { applyDomainEvent, emptyClientState, eventScope, type ClientState, type DomainEvent } from '../src/domain/events.ts';
import type { NewEvent } from '../src/app/writer.ts';
import { MINUTE } from '../src/domain/time.ts';

const NOW = Date.parse('2025-06-02T12:00:00Z');
const collator = createTitleCollator();
const ORDERS: readonly DialogOrder[] = ['STABLE', 'ACTIVITY', 'URGENCY'];
const STABLE_KEYS: readonly StableKey[] = ['title', 'manual', 'created'];
const FILTERS: readonly (DialogFilter | null)[] = [null, { overdue: true }, { overdue: false, kind: ['support', 'team'] }, { starred: true }, { unread: true, mentioned: false }, { alarm: true }];
const TITLES = ['Acme', 'acme', 'Ácme', 'Beta 2', 'Beta 10', 'Gamma', 'Zeta', 'Омега', 'alpha', ''];

/** A small team model: its rows are the client reducer's state over the events published so far. */
class FakeModel {
  titleOrder: TitleOrder = buildTitleOrder(TITLES.slice(0, 5), collator);
  readonly stars = new Map<number, Set<string>>();
  private current: ClientState = emptyClientState();
  private chatsOf: Map<string, Map<string, { chatKey: string }>> | null = null;
  get state(): ClientState {
    return this.current;
  }
  set state(s: ClientState) {
    this.current = s;
    this.chatsOf = null;
  }
  get accountChats(): Map<string, Map<string, { chatKey: string }>> {
    return (this.chatsOf ??= new Map([...this.state.dialogs].map(([accountId, rows]) => [accountId, new Map([...rows.keys()].map((chatKey) => [chatKey, { chatKey }]))])));
  }
  dialogInput(accountId: string, ac: { chatKey: string }): DialogInput | null {
    const s = this.state.dialogs.get(accountId)?.get(ac.chatKey);
    return s ? inputOf(s) : null;
  }
  dialogInputs(accountId: string): DialogInput[] {
    return [...(this.state.dialogs.get(accountId)?.values() ?? [])].map(inputOf);
  }
  scopeMuteOf(): { private: number; group: number; channel: number } {
    return { private: 0, group: 0, channel: 0 };
  }
}

function rng(seed: number): (n: number) => number {
  let s = seed >>> 0;
  return (n) => {
    s = (Math.imul(s, 1_103_515_245) + 12_345) >>> 0;
    return Math.floor(((s >>> 8) / 16_777_216) * n);
  };
}

function randomSnapshot(rand: (n: number) => number, chatKey: string): DialogSnapshot {
  const waiting = rand(3) === 0 ? null : { since: NOW - rand(40) * MINUTE, deadline: rand(5) === 0 ? null : NOW + (rand(21) - 10) * MINUTE };
  const pinned = rand(6) === 0;
  const inList = pinned || rand(5) !== 0;
  const unreadCount = rand(3) === 0 ? rand(5) : 0;
  const unreadMentionCount = unreadCount > 0 && rand(2) === 0 ? 1 : 0;
  const isMarkedAsUnread = rand(8) === 0;
  const kinds = ['support', 'team', 'personal', 'other'] as const;
  const kind = kinds[rand(4)]!;
  const deadline = waiting?.deadline ?? null;
  // Events carry overdue as it was when they were made: deliberately anything here.
  const isOverdue = deadline !== null && rand(2) === 0;
  return {
    chatKey,
    tdChatId: -1000 - Number(chatKey.slice(1)),
    title: TITLES[rand(TITLES.length)]!,
    kind,
    clientName: kind === 'support' ? 'Client' : null,
    unreadCount,
    unreadMentionCount,
    hasUnreadMention: unreadMentionCount > 0,
    isMarkedAsUnread,
    isUnread: unreadCount > 0 || isMarkedAsUnread,
    isMuted: rand(4) === 0,
    isPinned: pinned,
    listOrder: inList ? String(1_000_000 + rand(50)) : '0',
    createdAt: rand(4) === 0 ? null : NOW - rand(30) * MINUTE,
    manualPosition: rand(2) === 0 ? null : rand(5),
    lastMessage: rand(5) === 0 ? null : { messageId: String(rand(1000)), sender: { kind: 'user', id: 7 }, senderName: 'x', isTeam: false, at: NOW - rand(20) * MINUTE, text: 't' },
    waitingSince: waiting?.since ?? null,
    deadline,
    isOverdue,
    overdueSince: isOverdue ? deadline : null,
    alarm: rand(6) === 0 ? { raisedBy: 7, raisedAt: NOW - rand(10) * MINUTE, reason: 'r' } : null,
    acknowledged: null,
    openTaskCount: rand(3),
  };
}

function inputOf(s: DialogSnapshot): DialogInput {
  return {
    chatKey: s.chatKey,
    tdChatId: s.tdChatId,
    chatType: 'supergroup',
    kind: s.kind,
    title: s.title,
    clientName: s.clientName,
    unreadCount: s.unreadCount,
    unreadMentionCount: s.unreadMentionCount,
    isMarkedAsUnread: s.isMarkedAsUnread,
    notification: { useDefaultMuteFor: false, muteFor: s.isMuted ? 60 : 0 },
    position: s.listOrder === '0' ? null : { order: s.listOrder, isPinned: s.isPinned },
    createdAt: s.createdAt,
    manualPosition: s.manualPosition,
    lastMessage: s.lastMessage === null ? null : { ...s.lastMessage, contentKind: 'text', mediaSummary: null },
    waiting: s.waitingSince === null ? null : { since: s.waitingSince, deadline: s.deadline ?? Number.POSITIVE_INFINITY },
    alarm: s.alarm,
    acknowledged: s.acknowledged,
    openTaskCount: s.openTaskCount,
  };
}

/** The definition: a fresh build from the model at `now`, with the member's stars, filtered, sorted, counted. */
function expected(model: FakeModel, accountId: string, member: number | null, order: DialogOrder, stableKey: StableKey, filter: DialogFilter | null, now: number): DialogView {
  const starred = member === null ? new Set<string>() : (model.stars.get(member) ?? new Set<string>());
  const keep = compileDialogFilter(filter);
  const rows = model.dialogInputs(accountId).map((input) => buildDialogRow(input, { now, scopeMuteFor: model.scopeMuteOf(), starred })).filter(keep);
  const sorted = sortDialogs(rows, { order, stableKey, titleOrder: model.titleOrder });
  const unread = sorted.filter((r) => r.isUnread);
  const byKind = { support: 0, team: 0, personal: 0, other: 0 };
  for (const r of unread) byKind[r.kind]++;
  return { rows: sorted, totalCount: sorted.length, unreadChatCount: unread.length, unreadChatsByKind: byKind };
}

function setup(accounts: readonly string[], chatsPerAccount: number, seed: number) {
  const rand = rng(seed);
  const model = new FakeModel();
  const bus = new EventBus(null as never);
  const dialogs = new Map<string, Map<string, DialogSnapshot>>();
  for (const accountId of accounts) {
    const rows = new Map<string, DialogSnapshot>();
    for (let i = 0; i < chatsPerAccount; i++) {
      const snap = randomSnapshot(rand, `-${i + 1}`);
      rows.set(snap.chatKey, snap);
    }
    dialogs.set(accountId, rows);
  }
  model.state = { ...model.state, dialogs };
  const rows = new DialogRows(model as unknown as TeamModel, bus);
  let seq = 0;
  /** Changes the model as the events say, then publishes them (as the writer does after a commit). */
  const publish = (...events: NewEvent[]): void => {
    const stored: StoredEvent[] = events.map((e) => {
      seq++;
      model.state = applyDomainEvent(model.state, { ...e, seq } as DomainEvent);
      const scope = eventScope({ ...e, seq } as DomainEvent);
      return { seq, type: e.type, accountId: scope.accountId, chatKey: scope.chatKey, payload: e, at: e.at } as StoredEvent;
    });
    bus.publish(stored);
  };
  return { rand, model, rows, publish };
}

function check(ctx: ReturnType<typeof setup>, accounts: readonly string[], now: number, members: readonly (number | null)[] = [null, 7]): void {
  for (const accountId of accounts) {
    for (const order of ORDERS) {
      for (const stableKey of order === 'ACTIVITY' ? (['title'] as const) : STABLE_KEYS) {
        for (const filter of FILTERS) {
          for (const member of members) {
            const got = ctx.rows.view({ accountId, memberUserId: member, order, stableKey, filter }, now);
            const want = expected(ctx.model, accountId, member, order, stableKey, filter, now);
            expect({ accountId, order, stableKey, filter, member, rows: got.rows.map((r) => r.chatKey) }).toEqual({ accountId, order, stableKey, filter, member, rows: want.rows.map((r) => r.chatKey) });
            expect(got).toEqual(want);
          }
        }
      }
    }
  }
}

describe('kept dialog rows', () => {
  it('match a fresh build after each kind of change', () => {
    const ctx = setup(['a1', 'a2'], 40, 1);
    ctx.model.stars.set(7, new Set(['-3', '-5']));
    check(ctx, ['a1', 'a2'], NOW);
    const at = NOW + 1;
    const snap = (accountId: string, chatKey: string) => ctx.model.state.dialogs.get(accountId)!.get(chatKey)!;

    // A new message: last message, unread, activity position.
    ctx.publish({ type: 'dialogChanged', at, accountId: 'a1', dialog: { ...snap('a1', '-4'), unreadCount: 9, isUnread: true, listOrder: '2000000', lastMessage: { messageId: '77', sender: { kind: 'user', id: 7 }, senderName: 'x', isTeam: false, at: NOW, text: 'new' } } });
    check(ctx, ['a1', 'a2'], NOW);
    // Pinned, then renamed on one account's row only.
    ctx.publish({ type: 'dialogChanged', at, accountId: 'a1', dialog: { ...snap('a1', '-6'), isPinned: true, listOrder: '5000000' } });
    ctx.publish({ type: 'dialogChanged', at, accountId: 'a2', dialog: { ...snap('a2', '-7'), title: 'Aaa first' } });
    check(ctx, ['a1', 'a2'], NOW);
    // A chat appears and one goes.
    ctx.publish({ type: 'dialogChanged', at, accountId: 'a1', dialog: randomSnapshot(ctx.rand, '-999') });
    ctx.publish({ type: 'dialogRemoved', at, accountId: 'a1', chatKey: '-2' });
    ctx.publish({ type: 'dialogRemoved', at, accountId: 'a2', chatKey: '-12345' });
    check(ctx, ['a1', 'a2'], NOW);
    // Team-wide fields, in every account's row.
    ctx.publish({ type: 'alarmRaised', at, chatKey: '-8', alarm: { raisedBy: 7, raisedAt: at, reason: 'down' } });
    check(ctx, ['a1', 'a2'], NOW);
    ctx.publish({ type: 'alarmCleared', at, chatKey: '-8', clearedBy: 7 });
    ctx.publish({ type: 'acknowledged', at, chatKey: '-9', acknowledged: { by: 7, at } });
    ctx.publish({ type: 'chatKindChanged', at, chatKey: '-10', kind: 'other', clientName: null });
    ctx.publish({ type: 'chatTitleChanged', at, chatKey: '-11', title: 'Zzz last', clientName: 'Zzz' });
    check(ctx, ['a1', 'a2'], NOW);
    // A wait starts, then flips (the flip's event comes after the deadline), then ends.
    const waiting = { waitingSince: NOW - 14 * MINUTE, deadline: NOW + MINUTE, isOverdue: false, overdueSince: null };
    ctx.publish({ type: 'overdueChanged', at, chatKey: '-12', waiting });
    check(ctx, ['a1', 'a2'], NOW);
    check(ctx, ['a1', 'a2'], NOW + MINUTE); // overdue at the deadline, before any event says so
    ctx.publish({ type: 'overdueChanged', at: NOW + MINUTE + 300, chatKey: '-12', waiting: { ...waiting, isOverdue: true, overdueSince: waiting.deadline } });
    check(ctx, ['a1', 'a2'], NOW + MINUTE + 300);
    check(ctx, ['a1', 'a2'], NOW); // a clock asked about the past judges by the past
    ctx.publish({ type: 'overdueChanged', at, chatKey: '-12', waiting: { waitingSince: null, deadline: null, isOverdue: false, overdueSince: null } });
    check(ctx, ['a1', 'a2'], NOW + MINUTE);
    // Stars are read at query time; events that change no row change nothing.
    ctx.model.stars.set(7, new Set(['-4', '-8', '-999']));
    ctx.publish({ type: 'starred', at, memberUserId: 7, chatKey: '-999', isStarred: true });
    ctx.publish({ type: 'messageAdded', at, chatKey: '-4', message: { messageId: '1', sender: { kind: 'user', id: 7 }, senderName: 'x', isTeam: false, at, editedAt: null, replyToMessageId: null, text: 'hi', contentKind: 'text', mediaSummary: null, isService: false } });
    check(ctx, ['a1', 'a2'], NOW);
    // A change that comes with a message event only (an edited last message): the row is read again.
    const edited = snap('a1', '-13');
    ctx.model.state = applyDomainEvent(ctx.model.state, { type: 'dialogChanged', seq: 0, at, accountId: 'a1', dialog: { ...edited, lastMessage: { messageId: '1', sender: { kind: 'user', id: 7 }, senderName: 'x', isTeam: false, at: NOW - MINUTE, text: 'edited' } } } as DomainEvent);
    ctx.publish({ type: 'messageEdited', at, chatKey: '-13', message: { messageId: '1', sender: { kind: 'user', id: 7 }, senderName: 'x', isTeam: false, at, editedAt: at, replyToMessageId: null, text: 'edited', contentKind: 'text', mediaSummary: null, isService: false } });
    check(ctx, ['a1', 'a2'], NOW);
    // The model's title order is rebuilt (titles changed): ranks follow.
    ctx.model.titleOrder = buildTitleOrder([...TITLES, 'Aaa first', 'Zzz last'], collator);
    check(ctx, ['a1', 'a2'], NOW);
  });

  it('match a fresh build through a random stream of changes and clock moves', () => {
    const accounts = ['a1', 'a2', 'a3'];
    const ctx = setup(accounts, 120, 42);
    const { rand } = ctx;
    let now = NOW;
    check(ctx, accounts, now); // every account's rows are kept from here on
    for (let step = 0; step < 300; step++) {
      const burst = rand(3) === 0 ? 100 : 1 + rand(4); // sometimes more than a patch: a full sort
      for (let i = 0; i < burst; i++) {
        const chatKey = `-${1 + rand(140)}`;
        const accountId = accounts[rand(accounts.length)]!;
        const at = now;
        switch (rand(10)) {
          case 0:
            ctx.publish({ type: 'dialogRemoved', at, accountId, chatKey });
            break;
          case 1:
            ctx.publish(rand(2) ? { type: 'alarmRaised', at, chatKey, alarm: { raisedBy: 7, raisedAt: at, reason: 'x' } } : { type: 'alarmCleared', at, chatKey, clearedBy: 7 });
            break;
          case 2:
            ctx.publish({ type: 'chatTitleChanged', at, chatKey, title: TITLES[rand(TITLES.length)]!, clientName: null });
            break;
          case 3: {
            const since = now - rand(20) * MINUTE;
            const deadline = rand(4) === 0 ? null : since + 15 * MINUTE;
            const overdue = deadline !== null && at >= deadline;
            ctx.publish({ type: 'overdueChanged', at, chatKey, waiting: rand(3) === 0 ? { waitingSince: null, deadline: null, isOverdue: false, overdueSince: null } : { waitingSince: since, deadline, isOverdue: overdue, overdueSince: overdue ? deadline : null } });
            break;
          }
          case 4:
            ctx.publish({ type: 'chatKindChanged', at, chatKey, kind: rand(2) ? 'support' : 'other', clientName: null });
            break;
          case 5:
            ctx.publish({ type: 'acknowledged', at, chatKey, acknowledged: { by: 7, at } });
            break;
          default:
            ctx.publish({ type: 'dialogChanged', at, accountId, dialog: randomSnapshot(rand, chatKey) });
        }
      }
      if (rand(4) === 0) ctx.model.stars.set(7, new Set(Array.from({ length: rand(20) }, () => `-${1 + rand(140)}`)));
      if (rand(10) === 0) ctx.model.titleOrder = buildTitleOrder(TITLES.slice(0, 1 + rand(TITLES.length)), collator);
      // The clock moves forward mostly, across deadlines, and sometimes a query asks about the past.
      now += rand(4) === 0 ? -rand(10) * MINUTE : rand(3) * MINUTE;
      if (step % 20 === 0) check(ctx, accounts, now);
      else {
        const accountId = accounts[rand(accounts.length)]!;
        const order = ORDERS[rand(3)]!;
        const stableKey = STABLE_KEYS[rand(3)]!;
        const filter = FILTERS[rand(FILTERS.length)]!;
        const got = ctx.rows.view({ accountId, memberUserId: 7, order, stableKey, filter }, now);
        expect(got).toEqual(expected(ctx.model, accountId, 7, order, stableKey, filter, now));
      }
    }
  });

  it('builds an account at its first query, and again after a reset', () => {
    const ctx = setup(['a1'], 10, 3);
    // Events before anyone asked for the account need no rows: the model has them at the first query.
    ctx.publish({ type: 'dialogChanged', at: NOW, accountId: 'a1', dialog: randomSnapshot(ctx.rand, '-30') });
    check(ctx, ['a1'], NOW);
    // A change the model got without an event (a reload at start) shows only after a reset.
    const rows = new Map(ctx.model.state.dialogs.get('a1'));
    rows.delete('-30');
    ctx.model.state = { ...ctx.model.state, dialogs: new Map([['a1', rows]]) };
    expect(ctx.rows.view({ accountId: 'a1', memberUserId: null, order: 'STABLE' }, NOW).totalCount).toBe(11);
    ctx.rows.reset();
    check(ctx, ['a1'], NOW);
    expect(ctx.rows.view({ accountId: 'nobody', memberUserId: null, order: 'URGENCY' }, NOW)).toEqual({ rows: [], totalCount: 0, unreadChatCount: 0, unreadChatsByKind: { support: 0, team: 0, personal: 0, other: 0 } });
  });
});
