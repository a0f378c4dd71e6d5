/**
 * Each account's dialog rows and their orders, kept between queries and patched where the
 * published events say something changed, so a dialog list of thousands of chats is a walk over
 * a sorted list, not a rebuild.
 *
 * - **What is kept.** An account's rows are built from the team model at its first query. After
 *   that, each published event marks the rows it concerns: `dialogChanged`/`dialogRemoved` one
 *   account's row; every other event about a chat (alarm, acknowledgement, kind, title, waiting,
 *   message and task events) that chat's row in every account. A marked row is rebuilt from the
 *   model, with the same function as a fresh build (buildDialogRow), when it is next asked for.
 *   Values come from the model, never from event payloads: an event only says where to look, so
 *   a change that reached the model with a sparser event (an edited last message comes as
 *   `messageEdited`) still shows. Every change a subscriber can see is an event (DESIGN.md §4),
 *   which is what keeps the rows current.
 * - **Time.** Overdue is judged at the query's `now`, as a fresh build judges it (a flip's event
 *   comes up to a second after the deadline). Rows are evaluated at one instant and are valid for
 *   every `now` between the latest deadline already passed and the next one to come; a query
 *   outside that window re-evaluates the rows whose flag flips there first.
 * - **Stars** are the asking member's, read from the model at query time; each row keeps a
 *   starred twin, so no member needs rows of their own.
 * - **Orders.** Per order (and STABLE key) a sorted list of rows with their title ranks.
 *   Changed chats are taken out and put back by binary search; many changes, or a new title
 *   order, sort the list again. Every comparison ends with the chat key (dialog-order.ts), so
 *   the patched list is exactly what a full sort gives.
 *
 * Filters and counts run over the sorted list at every query (microseconds per thousand rows);
 * the returned rows are shared and must not be changed by callers.
 */
import { dialogComparator, titleRankOf, type DialogComparator, type DialogOrder, type DialogSortKey, type StableKey, type TitleOrder } from '../domain/dialog-order.ts';
import type { DialogView } from '../domain/dialog-view.ts';
import { buildDialogRow, compileDialogFilter, type DialogFilter, type DialogRow, type DialogSnapshot } from '../domain/dialogs.ts';
import type { ChatKey } from '../domain/ids.ts';
import type { AccountId } from '../domain/telegram.ts';
import type { UnixMs } from '../domain/time.ts';
import type { EventBus, StoredEvent } from './event-bus.ts';
import type { TeamModel } from './team-model.ts';

export interface DialogRowsQuery {
  readonly accountId: AccountId;
  readonly memberUserId: number | null;
  readonly filter?: DialogFilter | null;
  readonly order: DialogOrder;
  readonly stableKey?: StableKey;
}

/** One chat of one account: the row as evaluated at the account's instant, with its sort key. */
interface Entry extends DialogSortKey<DialogRow> {
  row: DialogRow;
  titleRank: number;
  titleExact: boolean;
  /** `row` with isStarred true, made when a member who starred the chat first asks. */
  starred: DialogRow | null;
}

interface SortedList {
  readonly compare: DialogComparator;
  list: Entry[];
  /** Chats changed since the list was last put in order. */
  readonly dirty: Set<ChatKey>;
  /** Sort the whole list again (title order changed, or too many chats did). */
  stale: boolean;
  /** Depends on overdue flags (URGENCY): chats whose flag flips are dirty here. */
  readonly timed: boolean;
}

const EMPTY_STARS: ReadonlySet<ChatKey> = new Set();

/** A patch touching more chats than this, and than an eighth of the list, sorts the list again. */
const PATCH_LIMIT = 64;

/** Whether a row is overdue at `now`: the same rule as buildDialogRow (deadline null is never). */
function overdueAt(row: DialogSnapshot, now: UnixMs): boolean {
  return row.deadline !== null && now >= row.deadline;
}

/** A row re-evaluated at `now` (buildDialogRow's overdue rule; only the flag and its date depend on time). */
function evaluated(row: DialogRow, now: UnixMs): DialogRow {
  const overdue = overdueAt(row, now);
  return { ...row, isOverdue: overdue, overdueSince: overdue ? row.deadline : null };
}

class AccountRows {
  readonly entries = new Map<ChatKey, Entry>();
  readonly lists = new Map<string, SortedList>();
  /** The instant the rows are evaluated at, and the window of instants where that holds. */
  evalNow: UnixMs;
  private validFrom = Number.NEGATIVE_INFINITY;
  private validUntil = Number.POSITIVE_INFINITY;
  titleOrder: TitleOrder;

  constructor(rows: readonly DialogRow[], now: UnixMs, titleOrder: TitleOrder) {
    this.evalNow = now;
    this.titleOrder = titleOrder;
    for (const row of rows) this.entries.set(row.chatKey, this.entryOf(row));
  }

  private entryOf(row: DialogRow): Entry {
    this.widen(row);
    const t = titleRankOf(this.titleOrder, row.title);
    return { row, titleRank: t.rank, titleExact: t.exact, starred: null };
  }

  /** Narrows the window of instants where the rows' overdue flags hold. */
  private widen(row: DialogSnapshot): void {
    const d = row.deadline;
    if (d === null) return;
    if (this.evalNow >= d) {
      if (d > this.validFrom) this.validFrom = d;
    } else if (d < this.validUntil) this.validUntil = d;
  }

  /** Chats whose rows an event said may have changed: rebuilt from the model when next asked for. */
  readonly stale = new Set<ChatKey>();

  set(row: DialogRow): void {
    this.entries.set(row.chatKey, this.entryOf(row));
    this.touch(row.chatKey, false);
  }

  remove(chatKey: ChatKey): void {
    if (this.entries.delete(chatKey)) this.touch(chatKey, false);
  }

  /** Marks a chat as moved in the lists (only the timed ones when only its overdue flag flipped). */
  private touch(chatKey: ChatKey, onlyTimed: boolean): void {
    for (const l of this.lists.values()) if (!l.stale && (l.timed || !onlyTimed)) l.dirty.add(chatKey);
  }

  /** Makes the rows right for `now`: re-evaluates the rows whose overdue flag differs there. */
  at(now: UnixMs): void {
    if (now >= this.validFrom && now < this.validUntil) return;
    this.evalNow = now;
    this.validFrom = Number.NEGATIVE_INFINITY;
    this.validUntil = Number.POSITIVE_INFINITY;
    for (const [chatKey, entry] of this.entries) {
      const row = entry.row;
      if (row.deadline === null) continue;
      if (overdueAt(row, now) !== row.isOverdue) {
        entry.row = evaluated(row, now);
        entry.starred = null;
        this.touch(chatKey, true);
      }
      this.widen(entry.row);
    }
  }

  /** Re-ranks every title after the model's title order changed. */
  retitle(titleOrder: TitleOrder): void {
    if (titleOrder === this.titleOrder) return;
    // The model rebuilds its title order after any chat change (members too): the same titles
    // give the same ranks.
    const same = sameTitles(titleOrder, this.titleOrder);
    this.titleOrder = titleOrder;
    if (same) return;
    for (const entry of this.entries.values()) {
      const t = titleRankOf(titleOrder, entry.row.title);
      entry.titleRank = t.rank;
      entry.titleExact = t.exact;
    }
    // Sorted again on their next use, with the new order's collator.
    this.lists.clear();
  }

  /** The account's rows in the given order. */
  sorted(order: DialogOrder, stableKey: StableKey): readonly Entry[] {
    const id = `${order}\u0000${stableKey}`;
    let l = this.lists.get(id);
    if (!l) {
      l = { compare: dialogComparator(order, stableKey, this.titleOrder.collator), list: [], dirty: new Set(), stale: true, timed: order === 'URGENCY' };
      this.lists.set(id, l);
    }
    if (!l.stale && l.dirty.size > Math.max(PATCH_LIMIT, l.list.length >> 3)) l.stale = true;
    if (l.stale) {
      l.list = [...this.entries.values()].sort(l.compare);
      l.stale = false;
      l.dirty.clear();
    } else if (l.dirty.size > 0) {
      const dirty = l.dirty;
      const kept: Entry[] = [];
      for (const e of l.list) if (!dirty.has(e.row.chatKey)) kept.push(e);
      for (const chatKey of dirty) {
        const e = this.entries.get(chatKey);
        if (e) insertSorted(kept, e, l.compare);
      }
      l.list = kept;
      dirty.clear();
    }
    return l.list;
  }
}

function sameTitles(a: TitleOrder, b: TitleOrder): boolean {
  if (a.collator !== b.collator || a.sorted.length !== b.sorted.length) return false;
  for (let i = 0; i < a.sorted.length; i++) if (a.sorted[i] !== b.sorted[i]) return false;
  return true;
}

function insertSorted(list: Entry[], e: Entry, compare: DialogComparator): void {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compare(list[mid]!, e) < 0) lo = mid + 1;
    else hi = mid;
  }
  list.splice(lo, 0, e);
}

function starredRow(e: Entry): DialogRow {
  return (e.starred ??= { ...e.row, isStarred: true });
}

export class DialogRows {
  private readonly accounts = new Map<AccountId, AccountRows>();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly model: TeamModel,
    bus: EventBus,
  ) {
    this.unsubscribe = bus.subscribe((events) => this.apply(events));
  }

  /** Forgets every account's rows: after the model was loaded or reset without events. */
  reset(): void {
    this.accounts.clear();
  }

  close(): void {
    this.unsubscribe();
    this.accounts.clear();
  }

  /** One account's dialog list: filtered, ordered and counted at `now`. */
  view(q: DialogRowsQuery, now: UnixMs): DialogView {
    const account = this.account(q.accountId, now);
    account.retitle(this.model.titleOrder);
    // Rebuilt rows are evaluated at the account's instant; then all of them are judged at `now`.
    this.rebuild(q.accountId, account);
    account.at(now);
    const list = account.sorted(q.order, q.stableKey ?? 'title');
    const stars = q.memberUserId === null ? EMPTY_STARS : (this.model.stars.get(q.memberUserId) ?? EMPTY_STARS);
    const keep = q.filter ? compileDialogFilter(q.filter) : null;
    const rows: DialogRow[] = [];
    const byKind = { support: 0, team: 0, personal: 0, other: 0 };
    for (const e of list) {
      const row = stars.size > 0 && stars.has(e.row.chatKey) ? starredRow(e) : e.row;
      if (keep !== null && !keep(row)) continue;
      rows.push(row);
      if (row.isUnread) byKind[row.kind]++;
    }
    return { rows, totalCount: rows.length, unreadChatCount: byKind.support + byKind.team + byKind.personal + byKind.other, unreadChatsByKind: byKind };
  }

  private account(accountId: AccountId, now: UnixMs): AccountRows {
    let account = this.accounts.get(accountId);
    if (!account) {
      const ctx = { now, scopeMuteFor: this.model.scopeMuteOf(accountId), starred: EMPTY_STARS };
      const rows = this.model.dialogInputs(accountId).map((input) => buildDialogRow(input, ctx));
      account = new AccountRows(rows, now, this.model.titleOrder);
      this.accounts.set(accountId, account);
    }
    return account;
  }

  /** Rebuilds the marked rows from the model, at the instant the account's rows are evaluated at. */
  private rebuild(accountId: AccountId, account: AccountRows): void {
    if (account.stale.size === 0) return;
    const mine = this.model.accountChats.get(accountId);
    const ctx = { now: account.evalNow, scopeMuteFor: this.model.scopeMuteOf(accountId), starred: EMPTY_STARS };
    for (const chatKey of account.stale) {
      const ac = mine?.get(chatKey);
      const input = ac ? this.model.dialogInput(accountId, ac) : null;
      if (input) account.set(buildDialogRow(input, ctx));
      else account.remove(chatKey);
    }
    account.stale.clear();
  }

  private apply(events: readonly StoredEvent[]): void {
    if (this.accounts.size === 0) return;
    for (const e of events) {
      const chatKey = e.chatKey;
      if (chatKey === null) continue; // the team summary, sync states, jobs, duty: no row shows them
      if (e.type === 'dialogChanged' || e.type === 'dialogRemoved') {
        if (e.accountId !== null) this.accounts.get(e.accountId)?.stale.add(chatKey);
      } else if (e.type !== 'starred') {
        // About a chat: its row in every account that has it.
        for (const account of this.accounts.values()) if (account.entries.has(chatKey)) account.stale.add(chatKey);
      }
    }
  }
}
