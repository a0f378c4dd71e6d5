/**
 * The three dialog orders (DESIGN.md §1 row 1):
 *
 * - STABLE: pinned chats first, in Telegram's pin order; then a key that a new message never
 *   changes: the title (locale-aware, case- and accent-insensitive, ties by chat key) by
 *   default, or a manual position, or the creation order (both with the title, then the chat
 *   key, breaking ties; chats without a position or creation time come after those with one).
 *   Pinned chats' Telegram order comes from the pin list, not from messages, so pinning is the
 *   only thing that moves a chat in this order besides a title change.
 * - ACTIVITY: Telegram's own order: the main list's (order, chat id) pair descending, order
 *   compared as a 64-bit integer. Chats outside the main list follow, newest last message first.
 * - URGENCY: alarm, then overdue, then unread mention, then unread, then the rest; inside each
 *   group the longest wait first (chats not waiting after those waiting), then STABLE.
 *
 * Sorting compares sort keys: the row with its title's rank in a `TitleOrder`, a locale-aware
 * sort of distinct titles done once and reused across views (a collator compare costs about a
 * microsecond, so sorting 2,000 titles with it every time would eat the view's whole budget). A
 * title missing from the TitleOrder still sorts correctly, by binary search. `dialogComparator`
 * is the one definition of each order: sortDialogs uses it, and so do the dialog lists the daemon
 * keeps sorted between queries (src/app/dialog-rows.ts).
 */
import type { DialogSnapshot } from './dialogs.ts';

export type DialogOrder = 'STABLE' | 'ACTIVITY' | 'URGENCY';

/** What STABLE orders unpinned chats by. */
export type StableKey = 'title' | 'manual' | 'created';

export const DEFAULT_TITLE_LOCALE = 'en';

/**
 * The collator titles are compared with. Create it once: constructing one is far dearer than
 * using it.
 */
export function createTitleCollator(locale: string = DEFAULT_TITLE_LOCALE): Intl.Collator {
  return new Intl.Collator(locale, { sensitivity: 'base', numeric: true, ignorePunctuation: false });
}

const DEFAULT_COLLATOR = createTitleCollator();

/** Distinct titles in collation order, with a rank each (titles equal to the collator share one). */
export interface TitleOrder {
  readonly collator: Intl.Collator;
  readonly sorted: readonly string[];
  readonly rankOf: ReadonlyMap<string, number>;
}

/** Sorts the titles once; keep the result until titles change (it stays correct if they do). */
export function buildTitleOrder(titles: Iterable<string>, collator: Intl.Collator = DEFAULT_COLLATOR): TitleOrder {
  const sorted = [...new Set(titles)].sort(collator.compare);
  const rankOf = new Map<string, number>();
  let rank = 0;
  for (let i = 0; i < sorted.length; i++) {
    if (i > 0 && collator.compare(sorted[i - 1]!, sorted[i]!) !== 0) rank = i;
    rankOf.set(sorted[i]!, rank);
  }
  return { collator, sorted, rankOf };
}

/**
 * A rank for any title: its own, or for a title the order has not seen, half a step below the
 * first known title that sorts at or after it. Unknown titles sharing a half-step are told
 * apart by the collator at compare time (`exact` false).
 */
export function titleRankOf(order: TitleOrder, title: string): { rank: number; exact: boolean } {
  const known = order.rankOf.get(title);
  if (known !== undefined) return { rank: known, exact: true };
  let lo = 0;
  let hi = order.sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (order.collator.compare(order.sorted[mid]!, title) < 0) lo = mid + 1;
    else hi = mid;
  }
  const atOrAfter = order.sorted[lo];
  if (atOrAfter !== undefined && order.collator.compare(atOrAfter, title) === 0) return { rank: order.rankOf.get(atOrAfter)!, exact: true };
  return { rank: lo - 0.5, exact: false };
}

/** Compares non-negative int64 decimal strings without BigInt (shorter is smaller). */
export function compareInt64Strings(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

export interface SortOptions {
  readonly order: DialogOrder;
  /** STABLE's key for unpinned chats (and URGENCY's last tie-break). Default 'title'. */
  readonly stableKey?: StableKey;
  /** Reuse across views; built from the rows' titles when absent (correct, but slower). */
  readonly titleOrder?: TitleOrder;
}

/**
 * A row with its title's rank in a TitleOrder: what the orders compare. Keep one per row across
 * sorts (src/app/dialog-rows.ts does) and only the ranks of changed rows need computing again.
 */
export interface DialogSortKey<R extends DialogSnapshot = DialogSnapshot> {
  readonly row: R;
  readonly titleRank: number;
  /** False for a title the TitleOrder has not seen: ties in rank are then settled by the collator. */
  readonly titleExact: boolean;
}

export type DialogComparator = (a: DialogSortKey, b: DialogSortKey) => number;

function stableValueOf(row: DialogSnapshot, stableKey: 'manual' | 'created'): number {
  const v = stableKey === 'manual' ? row.manualPosition : row.createdAt;
  return v === null || !Number.isFinite(v) ? Number.POSITIVE_INFINITY : v;
}

/** URGENCY's groups: alarm, overdue, unread mention, unread, the rest. */
function urgencyGroup(r: DialogSnapshot): number {
  return r.alarm !== null ? 0 : r.isOverdue ? 1 : r.hasUnreadMention ? 2 : r.isUnread ? 3 : 4;
}

/**
 * The total order of one of the three orders, over sort keys: every comparison ends with the
 * chat key, so two distinct chats never compare equal and any correct sort (a full one, or a
 * binary insertion into an already sorted list) gives the same sequence.
 */
export function dialogComparator(order: DialogOrder, stableKey: StableKey = 'title', collator: Intl.Collator = DEFAULT_COLLATOR): DialogComparator {
  const byTitle = (a: DialogSortKey, b: DialogSortKey): number => {
    const d = a.titleRank - b.titleRank;
    if (d !== 0) return d;
    if (!a.titleExact && !b.titleExact) return collator.compare(a.row.title, b.row.title);
    return 0;
  };
  const byChatKey = (a: DialogSortKey, b: DialogSortKey): number => {
    const x = a.row.chatKey;
    const y = b.row.chatKey;
    return x < y ? -1 : x > y ? 1 : 0;
  };
  let secondary: DialogComparator;
  if (stableKey === 'title') secondary = byTitle;
  else {
    secondary = (a, b) => {
      const ka = stableValueOf(a.row, stableKey);
      const kb = stableValueOf(b.row, stableKey);
      if (ka !== kb) return ka < kb ? -1 : 1;
      return byTitle(a, b);
    };
  }
  const stable: DialogComparator = (a, b) => {
    const pa = a.row.isPinned;
    const pb = b.row.isPinned;
    if (pa !== pb) return pa ? -1 : 1;
    if (pa) {
      const c = compareInt64Strings(b.row.listOrder, a.row.listOrder);
      if (c !== 0) return c;
    } else {
      const c = secondary(a, b);
      if (c !== 0) return c;
    }
    return byChatKey(a, b);
  };
  if (order === 'STABLE') return stable;
  if (order === 'ACTIVITY') {
    return (a, b) => {
      const oa = a.row.listOrder;
      const ob = b.row.listOrder;
      const inA = oa !== '0';
      const inB = ob !== '0';
      if (inA !== inB) return inA ? -1 : 1;
      if (inA) {
        const c = compareInt64Strings(ob, oa);
        if (c !== 0) return c;
      } else {
        const la = a.row.lastMessage?.at ?? Number.NEGATIVE_INFINITY;
        const lb = b.row.lastMessage?.at ?? Number.NEGATIVE_INFINITY;
        if (la !== lb) return la > lb ? -1 : 1;
      }
      const ia = a.row.tdChatId;
      const ib = b.row.tdChatId;
      if (ia !== ib) return ib - ia;
      return byChatKey(a, b);
    };
  }
  return (a, b) => {
    const ga = urgencyGroup(a.row);
    const gb = urgencyGroup(b.row);
    if (ga !== gb) return ga - gb;
    const sa = a.row.waitingSince ?? Number.POSITIVE_INFINITY;
    const sb = b.row.waitingSince ?? Number.POSITIVE_INFINITY;
    if (sa !== sb) return sa < sb ? -1 : 1;
    return stable(a, b);
  };
}

/** The sort key of one row under a TitleOrder. */
export function dialogSortKey<R extends DialogSnapshot>(row: R, titleOrder: TitleOrder): DialogSortKey<R> {
  const t = titleRankOf(titleOrder, row.title);
  return { row, titleRank: t.rank, titleExact: t.exact };
}

/**
 * Returns the rows in the requested order, as a new array; the input is not touched.
 * Works on any row that extends DialogSnapshot (DialogRow included).
 */
export function sortDialogs<R extends DialogSnapshot>(rows: readonly R[], options: SortOptions): R[] {
  const titleOrder = options.titleOrder ?? buildTitleOrder(rows.map((r) => r.title));
  const keys = rows.map((r) => dialogSortKey(r, titleOrder));
  keys.sort(dialogComparator(options.order, options.stableKey ?? 'title', titleOrder.collator));
  return keys.map((k) => k.row);
}
