/**
 * Message search (src/store/search.repository.ts, src/app/search-indexer.ts).
 *
 * Nothing here runs on the ingest path: there are no triggers on `messages`. The indexer copies
 * messages into these tables in batches after they are committed. The two partial indexes on
 * `messages` hold only edited and deleted rows, so an insert of a fresh message never touches
 * them; they let the indexer find recent edits and deletes without scanning the table.
 *
 * SQLite: `search_docs` maps a message to a document id ordered by date, and two contentless
 * FTS5 tables share that id as rowid, so "newest first" is a reverse rowid walk that stops at the
 * LIMIT:
 * - `search_words`: index terms (src/domain/search-text.ts stems) plus facet terms for chat and
 *   sender, tokenised by unicode61 (remove_diacritics 2; `_` is a token character so facet terms
 *   like `_c_n100123` can never collide with a word, which has no `_`). detail=none: queries
 *   only AND and OR single terms.
 * - `search_trigrams`: the folded text (lower case, ё → е) for substring phrases.
 *
 * PostgreSQL: one `search_docs` row per message with a tsvector of the same terms (built by
 * array_to_tsvector, so PostgreSQL's parser and stemmers never see the text) under GIN, and the
 * folded text, with punctuation spelled as letters so pg_trgm indexes it (gramsOf in
 * search.repository.ts), under a pg_trgm GIN index for LIKE '%…%'.
 */
import { sql, type Kysely } from 'kysely';
import type { MigrationFactory } from './types.ts';

export const search: MigrationFactory = (dialect) => ({
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('search_index_state')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      // Every message id at or below this is indexed (or was deleted before it could be).
      .addColumn('indexed_to_id', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('updated_at', 'bigint', (c) => c.notNull().defaultTo(0))
      .execute();
    await sql`INSERT INTO search_index_state (id, indexed_to_id, updated_at) VALUES (1, 0, 0)`.execute(db);

    // Messages whose index entry must be rebuilt or dropped: appended by writers that change
    // messages out of order (see queueSearchReindex), drained by the indexer.
    await db.schema
      .createTable('search_reindex')
      .addColumn('id', dialect === 'postgres' ? 'bigserial' : 'integer', (c) =>
        dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
      )
      .addColumn('message_id', 'bigint', (c) => c.notNull())
      .addColumn('queued_at', 'bigint', (c) => c.notNull())
      .execute();

    await sql`CREATE INDEX messages_edited ON messages (edit_date) WHERE edit_date > 0`.execute(db);
    await sql`CREATE INDEX messages_deleted ON messages (deleted_at) WHERE deleted_at IS NOT NULL`.execute(db);

    if (dialect === 'sqlite') {
      await sql`CREATE TABLE search_docs (
        doc_id INTEGER PRIMARY KEY,
        message_id INTEGER NOT NULL UNIQUE,
        edit_date INTEGER NOT NULL,
        text_len INTEGER NOT NULL
      )`.execute(db);
      await sql`CREATE VIRTUAL TABLE search_words USING fts5(
        terms, content='', contentless_delete=1, detail=none,
        tokenize="unicode61 remove_diacritics 2 tokenchars '_'"
      )`.execute(db);
      await sql`CREATE VIRTUAL TABLE search_trigrams USING fts5(
        folded, content='', contentless_delete=1, tokenize='trigram'
      )`.execute(db);
      return;
    }

    // Extensions are database-wide; keep pg_trgm in public, which every tgdesk schema's
    // search_path includes (src/store/database.ts), wherever an earlier install put it.
    await sql`CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public`.execute(db);
    await sql`DO $$ BEGIN
      IF (SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm') <> 'public' THEN
        ALTER EXTENSION pg_trgm SET SCHEMA public;
      END IF;
    END $$`.execute(db);
    await sql`CREATE TABLE search_docs (
      message_id bigint PRIMARY KEY,
      chat_key text NOT NULL,
      sender_user_id bigint,
      date bigint NOT NULL,
      edit_date bigint NOT NULL,
      text_len integer NOT NULL,
      words tsvector NOT NULL,
      grams text NOT NULL
    )`.execute(db);
    await sql`CREATE INDEX search_docs_words ON search_docs USING gin (words)`.execute(db);
    await sql`CREATE INDEX search_docs_trigrams ON search_docs USING gin (grams gin_trgm_ops)`.execute(db);
    await sql`CREATE INDEX search_docs_by_date ON search_docs (date, message_id)`.execute(db);
    await sql`CREATE INDEX search_docs_by_chat ON search_docs (chat_key, date, message_id)`.execute(db);
    await sql`CREATE INDEX search_docs_by_sender ON search_docs (sender_user_id, date, message_id)`.execute(db);
  },
  async down(db: Kysely<unknown>) {
    for (const t of ['search_trigrams', 'search_words', 'search_docs', 'search_reindex', 'search_index_state']) {
      await sql`DROP TABLE IF EXISTS ${sql.table(t)}`.execute(db);
    }
    await sql`DROP INDEX IF EXISTS messages_edited`.execute(db);
    await sql`DROP INDEX IF EXISTS messages_deleted`.execute(db);
  },
});
