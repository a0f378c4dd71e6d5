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
 * Sorting compares precomputed keys, never rows. The title key is a rank in a `TitleOrder`: a
 * locale-aware sort of distinct titles done once and reused across views (a collator compare
 * costs about a microsecond, so sorting 2,000 titles with it every time would eat the view's
 * whole budget). A title missing from the TitleOrder still sorts correctly, by binary search.
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
 * apart by the collator at compare time (`titleIsExact`).
 */
function titleRank(order: TitleOrder, title: string): { rank: number; exact: boolean } {
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
 * Returns the rows in the requested order, as a new array; the input is not touched.
 * Works on any row that extends DialogSnapshot (DialogRow included).
 */
export function sortDialogs<R extends DialogSnapshot>(rows: readonly R[], options: SortOptions): R[] {
  const n = rows.length;
  const titleOrder = options.titleOrder ?? buildTitleOrder(rows.map((r) => r.title));
  const collator = titleOrder.collator;
  const stableKey = options.stableKey ?? 'title';

  const titleKey = new Float64Array(n);
  const titleExact = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const t = titleRank(titleOrder, rows[i]!.title);
    titleKey[i] = t.rank;
    titleExact[i] = t.exact ? 1 : 0;
  }

  const byTitle = (a: number, b: number): number => {
    const d = titleKey[a]! - titleKey[b]!;
    if (d !== 0) return d;
    if (titleExact[a] === 0 && titleExact[b] === 0) {
      const c = collator.compare(rows[a]!.title, rows[b]!.title);
      if (c !== 0) return c;
    }
    return 0;
  };
  const byChatKey = (a: number, b: number): number => {
    const x = rows[a]!.chatKey;
    const y = rows[b]!.chatKey;
    return x < y ? -1 : x > y ? 1 : 0;
  };

  let secondary: (a: number, b: number) => number;
  if (stableKey === 'title') secondary = byTitle;
  else {
    const key = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const v = stableKey === 'manual' ? rows[i]!.manualPosition : rows[i]!.createdAt;
      key[i] = v === null || !Number.isFinite(v) ? Number.POSITIVE_INFINITY : v;
    }
    secondary = (a, b) => {
      const ka = key[a]!;
      const kb = key[b]!;
      if (ka !== kb) return ka < kb ? -1 : 1;
      return byTitle(a, b);
    };
  }

  const stable = (a: number, b: number): number => {
    const pa = rows[a]!.isPinned;
    const pb = rows[b]!.isPinned;
    if (pa !== pb) return pa ? -1 : 1;
    if (pa) {
      const c = compareInt64Strings(rows[b]!.listOrder, rows[a]!.listOrder);
      if (c !== 0) return c;
    } else {
      const c = secondary(a, b);
      if (c !== 0) return c;
    }
    return byChatKey(a, b);
  };

  let compare: (a: number, b: number) => number;
  if (options.order === 'STABLE') compare = stable;
  else if (options.order === 'ACTIVITY') {
    const lastAt = new Float64Array(n);
    for (let i = 0; i < n; i++) lastAt[i] = rows[i]!.lastMessage?.at ?? Number.NEGATIVE_INFINITY;
    compare = (a, b) => {
      const oa = rows[a]!.listOrder;
      const ob = rows[b]!.listOrder;
      const inA = oa !== '0';
      const inB = ob !== '0';
      if (inA !== inB) return inA ? -1 : 1;
      if (inA) {
        const c = compareInt64Strings(ob, oa);
        if (c !== 0) return c;
      } else if (lastAt[a] !== lastAt[b]) return lastAt[a]! > lastAt[b]! ? -1 : 1;
      const ia = rows[a]!.tdChatId;
      const ib = rows[b]!.tdChatId;
      if (ia !== ib) return ib - ia;
      return byChatKey(a, b);
    };
  } else {
    const group = new Uint8Array(n);
    const since = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const r = rows[i]!;
      group[i] = r.alarm !== null ? 0 : r.isOverdue ? 1 : r.hasUnreadMention ? 2 : r.isUnread ? 3 : 4;
      since[i] = r.waitingSince ?? Number.POSITIVE_INFINITY;
    }
    compare = (a, b) => {
      if (group[a] !== group[b]) return group[a]! - group[b]!;
      if (since[a] !== since[b]) return since[a]! < since[b]! ? -1 : 1;
      return stable(a, b);
    };
  }

  const index = new Array<number>(n);
  for (let i = 0; i < n; i++) index[i] = i;
  index.sort(compare);
  const out = new Array<R>(n);
  for (let i = 0; i < n; i++) out[i] = rows[index[i]!]!;
  return out;
}
