/**
 * The console's dialog-list data (src/console/web/src/dialogs.ts), without a browser: folders,
 * filters and unread-chat counts; the stable order never moves a chat on a new message; the
 * activity order moves it to the top at once and asks the daemon for its order; urgency is
 * alarm, overdue, mention, unread, the rest, longest wait first.
 */
import { describe, expect, it } from 'vitest';
import { DialogStore, type RefetchNeeds } from '../src/console/web/src/dialogs.ts';
import type { ChatKind, Row } from '../src/console/web/src/gql.ts';

function row(id: string, patch: Partial<Omit<Row, 'chat'>> & { title?: string; kind?: ChatKind } = {}): Row {
  const { title, kind, ...rest } = patch;
  return {
    chat: { id, title: title ?? `Chat ${id}`, kind: kind ?? 'SUPPORT', clientName: null, type: 'SUPERGROUP' },
    unreadCount: 0,
    hasUnreadMention: false,
    isUnread: false,
    isMuted: false,
    isPinned: false,
    isStarred: false,
    waitingSince: null,
    deadline: null,
    isOverdue: false,
    overdueSince: null,
    alarm: null,
    openTaskCount: 0,
    lastMessage: { id: `${id}-1`, date: '2026-01-01T10:00:00.000Z', text: 'hi', sender: { name: 'A', isTeam: false } },
    ...rest,
  };
}

function message(id: string, at: string) {
  return { id, date: at, text: 'new', sender: { name: 'Client', isTeam: false } };
}

const none = (): RefetchNeeds => ({ stable: false, activity: false });

function store(rows: Row[]): DialogStore {
  const s = new DialogStore();
  s.reset(rows);
  s.setPositions(
    'STABLE',
    rows.map((r) => r.chat.id),
  );
  s.setPositions(
    'ACTIVITY',
    rows.map((r) => r.chat.id),
  );
  return s;
}

describe('console dialog list', () => {
  it('keeps the stable order while messages arrive, and needs no refetch for them', () => {
    const s = store([row('a'), row('b'), row('c'), row('d')]);
    const before = [...s.visible()];
    const needs = none();
    s.apply('c', { ...row('c'), isUnread: true, unreadCount: 3, lastMessage: message('c-2', '2026-01-01T11:00:00.000Z') }, needs);
    s.apply('d', { ...row('d'), waitingSince: '2026-01-01T11:00:00.000Z', lastMessage: message('d-2', '2026-01-01T11:01:00.000Z') }, needs);
    expect(s.visible()).toEqual(before);
    expect(needs.stable).toBe(false);
  });

  it('asks for the stable order again when a pin or a title changes, or a chat appears', () => {
    const s = store([row('a'), row('b')]);
    const pin = none();
    s.apply('b', { ...row('b'), isPinned: true }, pin);
    expect(pin.stable).toBe(true);
    const fresh = none();
    s.apply('z', row('z', { title: 'Aaa' }), fresh);
    expect(fresh.stable).toBe(true);
    // Until the daemon answers, a new chat goes after the known ones rather than jumping in.
    expect(s.visible().at(-1)).toBe('z');
  });

  it('moves a chat with a new message to the top of the unpinned chats in the activity order', () => {
    const s = store([row('p', { isPinned: true }), row('a'), row('b'), row('c')]);
    s.setState({ order: 'ACTIVITY' });
    expect(s.visible()).toEqual(['p', 'a', 'b', 'c']);
    const needs = none();
    s.apply('c', { ...row('c'), lastMessage: message('c-2', '2026-01-01T12:00:00.000Z') }, needs);
    expect(s.visible()).toEqual(['p', 'c', 'a', 'b']);
    expect(needs.activity).toBe(true);
  });

  it('orders by urgency: alarm, overdue, mention, unread, the rest; longest wait first', () => {
    const s = store([
      row('rest'),
      row('unread', { isUnread: true }),
      row('mention', { hasUnreadMention: true, isUnread: true }),
      row('late', { isOverdue: true, waitingSince: '2026-01-01T09:00:00.000Z' }),
      row('later', { isOverdue: true, waitingSince: '2026-01-01T08:00:00.000Z' }),
      row('alarm', { alarm: { reason: 'x', raisedAt: '2026-01-01T10:00:00.000Z', raisedBy: null } }),
    ]);
    s.setState({ order: 'URGENCY' });
    expect(s.visible()).toEqual(['alarm', 'later', 'late', 'mention', 'unread', 'rest']);
  });

  it('filters by folder and quick filter, and counts unread chats (not messages) per folder', () => {
    const s = store([
      row('s1', { isUnread: true, unreadCount: 40 }),
      row('s2', { waitingSince: '2026-01-01T09:00:00.000Z' }),
      row('t', { kind: 'TEAM', isUnread: true, unreadCount: 2 }),
      row('p', { kind: 'PERSONAL', isStarred: true }),
    ]);
    expect(Object.fromEntries(s.unreadCounts())).toEqual({ ALL: 2, SUPPORT: 1, TEAM: 1, PERSONAL: 0, OTHER: 0 });
    s.setState({ folder: 'SUPPORT' });
    expect(s.visible()).toEqual(['s1', 's2']);
    s.setState({ filter: 'waiting' });
    expect(s.visible()).toEqual(['s2']);
    s.setState({ folder: 'ALL', filter: 'starred' });
    expect(s.visible()).toEqual(['p']);
    // A row that stops passing the filter leaves the list.
    s.apply('p', { ...row('p', { kind: 'PERSONAL' }), isStarred: false }, none());
    expect(s.visible()).toEqual([]);
    s.apply('t', null, none());
    expect(s.unreadCounts().get('ALL')).toBe(1);
  });
});
