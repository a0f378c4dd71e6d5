/**
 * "Slow ranking never blocks the event loop" (issue 5): on SQLite a search runs on the daemon's
 * own thread, so a search that walks a large index must give the event loop turns while it runs,
 * or every other request, subscription and timer of the daemon waits for it.
 *
 * Proved by counting, not by the clock: callbacks queued with setImmediate and setTimeout run
 * only when the event loop turns, so any of them that ran before the search settled ran while it
 * was in progress. The same search with yielding switched off lets none run, which shows the
 * probe would catch a search that blocks.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SearchIndexer } from '../src/app/search-indexer.ts';
import { chatKeyOf } from '../src/domain/ids.ts';
import { createMemoryLogger } from '../src/shared/log.ts';
import { upsertMessages } from '../src/store/messages.repository.ts';
import { DEFAULT_SEARCH_BUDGET, searchMessagesWithStats, type SearchBudget, type SearchOutcome } from '../src/store/search.repository.ts';
import { createTestStore, type TestStore } from './helpers/stores.ts';
import { tgMessage } from './helpers/telegram-fixtures.ts';

const T0 = 1_700_000_000;
const CHATS = 8;
/** A word in half of them and a number in the other half; they meet only in the planted messages. */
const MESSAGES = 40_000;
const ADMIN = 1001;
const CLIENT = 2001;
const PLANTED = ['Бэкап упал с 502: диск переполнен, задания встали', 'На db-7 ошибка 502, диск в режиме read-only', 'Nginx отдаёт 502, потому что диск логов заполнен'];

let store: TestStore;
const plantedIds: number[] = [];

beforeAll(async () => {
  store = await createTestStore('sqlite');
  const batch = 2_000;
  for (let from = 0; from < MESSAGES + PLANTED.length; from += batch) {
    const items = [];
    for (let i = from; i < Math.min(from + batch, MESSAGES + PLANTED.length); i++) {
      const planted = i >= MESSAGES ? PLANTED[i - MESSAGES]! : null;
      const chat = -1001000000000 - (i % CHATS);
      const text = planted ?? (i % 2 === 0 ? `Сервер web-${i % 97} отвечает 502, перезапускаем nginx` : `Disk usage on db-${i % 89}: ${i % 100}% — чистим логи, диск почти полон`);
      items.push({
        chatKey: chatKeyOf('supergroup', chat, ADMIN),
        chatType: 'supergroup' as const,
        message: tgMessage({ tdChatId: chat, tdMessageId: (i + 1) * 1_048_576, sender: { kind: 'user', id: i % 3 === 0 ? ADMIN : CLIENT }, date: T0 + i * 7, text }),
      });
    }
    const refs = await upsertMessages(store.db, 'alice', items, Date.now());
    for (let k = 0; k < refs.length; k++) if (from + k >= MESSAGES) plantedIds.push(refs[k]!.id);
  }
  const indexer = new SearchIndexer({ db: store.db, dialect: store.dialect, logger: createMemoryLogger('warn'), batchSize: 5_000 });
  expect(await indexer.indexPending()).toBe(MESSAGES + PLANTED.length);
  await indexer.stop();
}, 300_000);

afterAll(async () => {
  await store?.dispose();
});

interface Turns {
  readonly outcome: SearchOutcome;
  /** setImmediate callbacks that ran before the search settled. */
  readonly immediates: number;
  /** setTimeout(0) callbacks that ran before the search settled. */
  readonly timers: number;
}

/** Runs the search with two self-renewing probes queued beside it; each is bounded in count. */
async function turnsDuring(search: () => Promise<SearchOutcome>): Promise<Turns> {
  let done = false;
  let immediates = 0;
  let timers = 0;
  const onImmediate = () => {
    if (done || immediates >= 100_000) return;
    immediates++;
    setImmediate(onImmediate);
  };
  const onTimer = () => {
    if (done || timers >= 10_000) return;
    timers++;
    setTimeout(onTimer, 0);
  };
  setImmediate(onImmediate);
  setTimeout(onTimer, 0);
  try {
    const outcome = await search();
    return { outcome, immediates, timers };
  } finally {
    done = true;
  }
}

// Two indexes (the word and the trigrams of "502") joined step by step: one statement per page.
const query = { query: 'диск 502', limit: 50 };

describe('a search over a large SQLite index', () => {
  it('finds what it should and lets timers and other callbacks run while it walks the index', async () => {
    const { outcome, immediates, timers } = await turnsDuring(() => searchMessagesWithStats(store.db, 'sqlite', query));
    // The right answer: the three messages with both, newest first, out of 40,000 with one of them.
    expect(outcome.hits.map((h) => h.messageId)).toEqual([...plantedIds].reverse());
    expect(outcome.hits.map((h) => h.text)).toEqual([...PLANTED].reverse());
    // A walk through both postings, not a lookup: pages of at most 1,024 rows from each index.
    expect(outcome.statements).toBeGreaterThanOrEqual(MESSAGES / 1024);
    expect(outcome.truncated).toBe(false);
    expect(immediates).toBeGreaterThan(0);
    expect(timers).toBeGreaterThan(0);
  });

  it('the probe sees a search that does not yield: none of its callbacks run until the search ends', async () => {
    const blocking: SearchBudget = { ...DEFAULT_SEARCH_BUDGET, sliceMillis: Number.POSITIVE_INFINITY };
    const { outcome, immediates, timers } = await turnsDuring(() => searchMessagesWithStats(store.db, 'sqlite', query, blocking));
    expect(outcome.hits.map((h) => h.messageId)).toEqual([...plantedIds].reverse());
    expect(immediates).toBe(0);
    expect(timers).toBe(0);
  });

  it('stops at its budget even when nothing matches along the way, and says the answer may be short', async () => {
    // Below the planted messages (the newest) the two postings interleave without meeting.
    const below = { ...query, to: T0 + (MESSAGES - 1) * 7 };
    const budget: SearchBudget = { ...DEFAULT_SEARCH_BUDGET, maxStatements: 12 };
    const cut = await searchMessagesWithStats(store.db, 'sqlite', below, budget);
    expect(cut.hits).toEqual([]);
    expect(cut.truncated).toBe(true);
    expect(cut.statements).toBeLessThanOrEqual(12);
    const whole = await searchMessagesWithStats(store.db, 'sqlite', below);
    expect(whole).toMatchObject({ hits: [], truncated: false });
    expect(whole.statements).toBeGreaterThan(12);
  });
});
