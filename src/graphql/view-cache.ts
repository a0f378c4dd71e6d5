/**
 * Reuses a dialog view while nothing a subscriber could see has changed. A wall of NOC screens
 * and a portal ask for the same list again and again; building it (thousands of rows, filtered
 * and sorted) costs milliseconds, handing out the same view costs nothing.
 *
 * A view is valid while no event has been published since it was built (every visible change is
 * an event, DESIGN.md §4, overdue flips included) and for at most `maxAgeMs` of the daemon's
 * clock, so anything that depends on the clock alone is never staler than that.
 */
import type { Daemon } from '../app/daemon.ts';
import type { DialogQuery } from '../app/queries.ts';
import type { DialogParent } from './mappers.ts';

type View = ReturnType<Daemon['queries']['dialogs']>;

export interface CachedView {
  readonly view: View;
  /** The rows as the schema's Dialog parents, made once per view. */
  parents(): readonly DialogParent[];
}

const MAX_ENTRIES = 256;

export class DialogViewCache {
  private readonly entries = new Map<string, { seq: number; at: number; cached: CachedView }>();
  /**
   * Each row's schema parent, made once per row: the daemon keeps unchanged rows between views
   * (src/app/dialog-rows.ts), so a new view of the same chats makes no new parents. A row belongs
   * to one account's list, so its parent's accountId never differs.
   */
  private readonly parents = new WeakMap<View['rows'][number], DialogParent>();

  constructor(
    private readonly daemon: Daemon,
    private readonly maxAgeMs = 1_000,
  ) {}

  get(q: DialogQuery): CachedView {
    const key = `${q.accountId}\u0000${q.memberUserId ?? ''}\u0000${q.order}\u0000${q.stableKey ?? ''}\u0000${q.filter ? JSON.stringify(q.filter) : ''}`;
    const seq = this.daemon.bus.lastSeq;
    // The daemon's clock, as every other read judges waits and overdue flags by it.
    const now = this.daemon.now();
    const hit = this.entries.get(key);
    if (hit && hit.seq === seq && now - hit.at < this.maxAgeMs && now >= hit.at) return hit.cached;
    const view = this.daemon.queries.dialogs(q, now);
    let parents: readonly DialogParent[] | null = null;
    const cached: CachedView = { view, parents: () => (parents ??= view.rows.map((row) => this.parentOf(row, q.accountId))) };
    if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
    this.entries.set(key, { seq, at: now, cached });
    return cached;
  }

  private parentOf(row: View['rows'][number], accountId: string): DialogParent {
    let parent = this.parents.get(row);
    if (parent === undefined || parent.accountId !== accountId) this.parents.set(row, (parent = { ...row, accountId }));
    return parent;
  }
}

const caches = new WeakMap<Daemon, DialogViewCache>();

/** The daemon's cache, shared by every request it serves. */
export function dialogViews(daemon: Daemon): DialogViewCache {
  let cache = caches.get(daemon);
  if (!cache) caches.set(daemon, (cache = new DialogViewCache(daemon)));
  return cache;
}
