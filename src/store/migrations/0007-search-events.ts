/**
 * Search follows the event log: `search_index_state.events_to_seq` is the last event sequence
 * number whose message edits and deletions (messageEdited, messagesDeleted) the search index has
 * taken in (src/app/search-indexer.ts). It starts at the newest event stored when this runs: the
 * indexer's sweeps had already taken in what came before.
 */
import { sql, type Kysely } from 'kysely';
import type { MigrationFactory } from './types.ts';

export const searchEvents: MigrationFactory = () => ({
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('search_index_state').addColumn('events_to_seq', 'bigint', (c) => c.notNull().defaultTo(0)).execute();
    await sql`UPDATE search_index_state SET events_to_seq = COALESCE((SELECT max(seq) FROM events), 0)`.execute(db);
  },
  async down(db: Kysely<unknown>) {
    await db.schema.alterTable('search_index_state').dropColumn('events_to_seq').execute();
  },
});
