/**
 * The dialog list's data: every row of the signed-in account (one `dialogs` fetch, then
 * `dialogChanged`), filtered and ordered here, so that folders, filters and orders switch at
 * once and their unread-chat counts are always at hand.
 *
 * Orders (DESIGN.md §1 row 1):
 * - STABLE is the daemon's: its positions are fetched once and again only when something that
 *   can move a chat in it changes (a pin, a title, a chat coming or going). A new message never
 *   moves a row, so the list does not jump.
 * - ACTIVITY is the daemon's too; a chat whose last message changes moves to the top of the
 *   unpinned chats at once, and the daemon's order is fetched again shortly after.
 * - URGENCY is computed here from the row (alarm, overdue, unread mention, unread, the rest;
 *   the longest wait first in each group; then STABLE), exactly as the daemon defines it.
 *
 * No DOM here: the list view draws `visible` and this module is unit-tested on its own.
 */
import type { ChatKind, DialogOrder, Row } from './gql.ts';

export type Folder = 'ALL' | ChatKind;
export type QuickFilter = 'unread' | 'mentioned' | 'waiting' | 'overdue' | 'alarm' | 'starred';

export const FOLDERS: readonly Folder[] = ['ALL', 'SUPPORT', 'TEAM', 'PERSONAL', 'OTHER'];

export interface ListState {
  readonly folder: Folder;
  readonly filter: QuickFilter | null;
  readonly order: DialogOrder;
}

/** What a change asks of the daemon: positions to fetch again. */
export interface RefetchNeeds {
  stable: boolean;
  activity: boolean;
}

function passes(row: Row, state: ListState): boolean {
  if (state.folder !== 'ALL' && row.chat.kind !== state.folder) return false;
  switch (state.filter) {
    case null:
      return true;
    case 'unread':
      return row.isUnread;
    case 'mentioned':
      return row.hasUnreadMention;
    case 'waiting':
      return row.waitingSince !== null;
    case 'overdue':
      return row.isOverdue;
    case 'alarm':
      return row.alarm !== null;
    case 'starred':
      return row.isStarred;
  }
}

function urgencyGroup(r: Row): number {
  return r.alarm !== null ? 0 : r.isOverdue ? 1 : r.hasUnreadMention ? 2 : r.isUnread ? 3 : 4;
}

export class DialogStore {
  readonly rows = new Map<string, Row>();
  /** Daemon positions per order; a chat missing from one sorts after every known chat. */
  private stablePos = new Map<string, number>();
  private activityPos = new Map<string, number>();
  private activityTop = 0;
  private state: ListState = { folder: 'ALL', filter: null, order: 'STABLE' };
  private ordered: string[] = [];
  private dirty = true;
  /** Bumped whenever `visible()` may have changed. */
  version = 0;
  private countsCache: Map<Folder, number> | null = null;
  private readonly collator = new Intl.Collator(undefined, { sensitivity: 'base', numeric: true });

  get listState(): ListState {
    return this.state;
  }

  setState(patch: Partial<ListState>): void {
    const next = { ...this.state, ...patch };
    if (next.folder === this.state.folder && next.filter === this.state.filter && next.order === this.state.order) return;
    this.state = next;
    this.invalidate();
  }

  /** Replaces every row (a fresh fetch). */
  reset(rows: readonly Row[]): void {
    this.rows.clear();
    for (const r of rows) this.rows.set(r.chat.id, r);
    this.invalidate();
  }

  setPositions(order: 'STABLE' | 'ACTIVITY', chatIds: readonly string[]): void {
    const map = new Map<string, number>();
    chatIds.forEach((id, i) => map.set(id, i));
    if (order === 'STABLE') this.stablePos = map;
    else {
      this.activityPos = map;
      this.activityTop = 0;
    }
    this.invalidate();
  }

  /**
   * Applies one row as it is now (null: the account no longer has the chat) and says which
   * daemon orders must be fetched again.
   */
  apply(chatId: string, row: Row | null, needs: RefetchNeeds): void {
    const before = this.rows.get(chatId);
    if (row === null) {
      if (!before) return;
      this.rows.delete(chatId);
      this.invalidate();
      return;
    }
    this.rows.set(chatId, row);
    if (!before) {
      needs.stable = true;
      needs.activity = true;
      this.invalidate();
      return;
    }
    if (before.isPinned !== row.isPinned || before.chat.title !== row.chat.title) {
      needs.stable = true;
      needs.activity = true;
    }
    if ((before.lastMessage?.id ?? null) !== (row.lastMessage?.id ?? null) && row.lastMessage && (!before.lastMessage || row.lastMessage.date >= before.lastMessage.date)) {
      // Telegram puts a chat with a new message first among the unpinned ones.
      this.activityPos.set(chatId, --this.activityTop);
      needs.activity = true;
    }
    if (this.orderChanged(before, row)) this.invalidate();
    else {
      // Same place: only the row's look changed.
      this.version++;
      if (before.isUnread !== row.isUnread) this.countsCache = null;
    }
  }

  private orderChanged(a: Row, b: Row): boolean {
    if (passes(a, this.state) !== passes(b, this.state)) return true;
    if (a.chat.kind !== b.chat.kind || a.isUnread !== b.isUnread) this.countsCache = null;
    switch (this.state.order) {
      case 'STABLE':
        return false;
      case 'ACTIVITY':
        return (a.lastMessage?.id ?? null) !== (b.lastMessage?.id ?? null) || a.isPinned !== b.isPinned;
      case 'URGENCY':
        return urgencyGroup(a) !== urgencyGroup(b) || a.waitingSince !== b.waitingSince;
    }
  }

  private invalidate(): void {
    this.dirty = true;
    this.countsCache = null;
    this.version++;
  }

  /** Chat ids of the list as shown: the folder and filter applied, in the chosen order. */
  visible(): readonly string[] {
    if (!this.dirty) return this.ordered;
    const rows: Row[] = [];
    for (const r of this.rows.values()) if (passes(r, this.state)) rows.push(r);
    rows.sort(this.comparator());
    this.ordered = rows.map((r) => r.chat.id);
    this.dirty = false;
    return this.ordered;
  }

  /** Unread chats per folder (not messages: DESIGN.md §1 row 3). */
  unreadCounts(): ReadonlyMap<Folder, number> {
    if (this.countsCache) return this.countsCache;
    const counts = new Map<Folder, number>(FOLDERS.map((f) => [f, 0]));
    for (const r of this.rows.values()) {
      if (!r.isUnread) continue;
      counts.set('ALL', counts.get('ALL')! + 1);
      counts.set(r.chat.kind, (counts.get(r.chat.kind) ?? 0) + 1);
    }
    this.countsCache = counts;
    return counts;
  }

  private stableCompare = (a: Row, b: Row): number => {
    const pa = this.stablePos.get(a.chat.id);
    const pb = this.stablePos.get(b.chat.id);
    if (pa !== undefined && pb !== undefined) return pa - pb;
    if (pa !== undefined) return -1;
    if (pb !== undefined) return 1;
    // Neither known yet (a new chat, until the daemon's order arrives): pinned, then title.
    if (a.isPinned !== b.isPinned) return a.isPinned ? -1 : 1;
    return this.collator.compare(a.chat.title, b.chat.title) || (a.chat.id < b.chat.id ? -1 : a.chat.id > b.chat.id ? 1 : 0);
  };

  private comparator(): (a: Row, b: Row) => number {
    switch (this.state.order) {
      case 'STABLE':
        return this.stableCompare;
      case 'ACTIVITY':
        return (a, b) => {
          if (a.isPinned !== b.isPinned) return a.isPinned ? -1 : 1;
          if (a.isPinned) return this.stableCompare(a, b);
          const pa = this.activityPos.get(a.chat.id) ?? Number.MAX_SAFE_INTEGER;
          const pb = this.activityPos.get(b.chat.id) ?? Number.MAX_SAFE_INTEGER;
          if (pa !== pb) return pa - pb;
          const da = a.lastMessage?.date ?? '';
          const db = b.lastMessage?.date ?? '';
          return da === db ? this.stableCompare(a, b) : da > db ? -1 : 1;
        };
      case 'URGENCY':
        return (a, b) => {
          const g = urgencyGroup(a) - urgencyGroup(b);
          if (g !== 0) return g;
          const wa = a.waitingSince === null ? Number.POSITIVE_INFINITY : Date.parse(a.waitingSince);
          const wb = b.waitingSince === null ? Number.POSITIVE_INFINITY : Date.parse(b.waitingSince);
          if (wa !== wb) return wa < wb ? -1 : 1;
          return this.stableCompare(a, b);
        };
    }
  }
}
