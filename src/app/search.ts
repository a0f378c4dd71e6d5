/**
 * Message search as the API serves it (DESIGN.md §1 row 8): the store's candidates, checked
 * and ranked there, joined with their senders, grouped by chat and given highlighted snippets.
 *
 * The index is kept by SearchIndexer (search-indexer.ts) in the background; a message becomes
 * findable within one of its polls after it is stored.
 */
import type { Kysely } from 'kysely';
import { groupSearchHits, highlightSnippet, renderSnippet, type Snippet } from '../domain/search-grouping.ts';
import type { ChatKey } from '../domain/ids.ts';
import type { Dialect } from '../store/migrations/types.ts';
import { getMessagesByIds } from '../store/messages.repository.ts';
import type { Database } from '../store/schema.ts';
import { MAX_SEARCH_LIMIT, searchMessagesWithStats } from '../store/search.repository.ts';
import type { MessageView, Queries } from './queries.ts';

export { MAX_SEARCH_LIMIT };

export interface SearchArgs {
  readonly query: string;
  readonly chatKeys?: readonly ChatKey[];
  /** Unix ms, inclusive. */
  readonly from?: number;
  /** Unix ms, exclusive. */
  readonly to?: number;
  readonly senderUserId?: number;
  /** The newest hits to consider, at most MAX_SEARCH_LIMIT. */
  readonly limit: number;
}

export interface SearchHitView {
  readonly chatKey: ChatKey;
  readonly messageId: string;
  /** Unix ms. */
  readonly at: number;
  readonly message: MessageView;
  readonly snippet: Snippet;
  /** The snippet with matches between « and ». */
  readonly snippetText: string;
}

export interface SearchGroupView {
  readonly chatKey: ChatKey;
  readonly newestAt: number;
  readonly hits: readonly SearchHitView[];
}

export interface SearchResult {
  readonly groups: readonly SearchGroupView[];
  /** The time budget ran out before the index was exhausted: older hits may exist. */
  readonly truncated: boolean;
}

/** A snippet long enough for a line of a results list, short enough to scan. */
export const SNIPPET_LENGTH = 160;

export class MessageSearch {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: Dialect,
    private readonly queries: Queries,
  ) {}

  async search(args: SearchArgs): Promise<SearchResult> {
    const outcome = await searchMessagesWithStats(this.db, this.dialect, {
      query: args.query,
      ...(args.chatKeys ? { chatKeys: args.chatKeys } : {}),
      // Message dates are whole seconds: `from` rounds up and `to` rounds up too, keeping [from, to).
      ...(args.from !== undefined ? { from: Math.ceil(args.from / 1000) } : {}),
      ...(args.to !== undefined ? { to: Math.ceil(args.to / 1000) } : {}),
      ...(args.senderUserId !== undefined ? { senderUserId: args.senderUserId } : {}),
      limit: Math.min(args.limit, MAX_SEARCH_LIMIT),
    });
    if (outcome.hits.length === 0) return { groups: [], truncated: outcome.truncated };
    const stored = await getMessagesByIds(this.db, outcome.hits.map((h) => h.messageId));
    const views = new Map((await this.queries.withSenders(stored)).map((m) => [m.id, m]));
    const hits: SearchHitView[] = [];
    for (const h of outcome.hits) {
      const message = views.get(h.messageId);
      // Deleted between the search and this read: it is gone, so is the hit.
      if (!message || message.deletedAt !== null) continue;
      const snippet = highlightSnippet(h.text, h.matchRanges.map(([start, end]) => ({ start, end })), SNIPPET_LENGTH);
      hits.push({ chatKey: h.chatKey, messageId: String(h.messageId), at: h.date * 1000, message, snippet, snippetText: renderSnippet(snippet) });
    }
    return { groups: groupSearchHits(hits), truncated: outcome.truncated };
  }
}
