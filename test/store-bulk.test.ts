import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendEvents, listEventsAfter } from '../src/store/events.repository.ts';
import { matchReturnedRows } from '../src/store/messages.repository.ts';
import { createTestStore, STORE_KINDS, type TestStore } from './helpers/stores.ts';

describe.each(STORE_KINDS)('event log numbering on %s', (kind) => {
  let store: TestStore;
  beforeAll(async () => {
    store = await createTestStore(kind);
  });
  afterAll(async () => {
    await store?.dispose();
  });

  it('gives every appended event the sequence number it is stored under, across statements and transactions', async () => {
    const batch = (from: number, n: number) =>
      Array.from({ length: n }, (_, i) => ({ type: 'starred', accountId: null, chatKey: `-100${from + i}`, payload: { type: 'starred', at: 1_700_000_000_000 + from + i, chatKey: `-100${from + i}`, memberUserId: 5011, isStarred: true }, at: 1_700_000_000_000 + from + i }));
    // 700 rows go in several statements of different sizes; then a second, small transaction.
    const first = await store.db.transaction().execute((trx) => appendEvents(trx, batch(0, 700)));
    const second = await store.db.transaction().execute((trx) => appendEvents(trx, batch(700, 3)));
    const appended = [...first, ...second];
    const stored = await listEventsAfter(store.db, 0, 10_000);
    expect(stored).toHaveLength(703);
    expect(appended.map((e) => [e.seq, e.chatKey])).toEqual(stored.map((e) => [e.seq, e.chatKey]));
    expect(new Set(appended.map((e) => e.seq)).size).toBe(703);
    expect(await store.db.transaction().execute((trx) => appendEvents(trx, []))).toEqual([]);
  });
});

describe('matching the rows an upsert returned', () => {
  const written = () =>
    ['a', 'b', 'c', 'd', 'e'].map((k) => ({ best: { chatKey: '-1001', msgKey: `m${k}` }, id: 0, inserted: false }));
  const now = 1_700_000_000_000;
  // b conflicted without an update (nothing returned); d was updated (an older first_seen_at).
  const rows = [
    { id: 1, chat_key: '-1001', msg_key: 'ma', first_seen_at: now },
    { id: 3, chat_key: '-1001', msg_key: 'mc', first_seen_at: now },
    { id: 4, chat_key: '-1001', msg_key: 'md', first_seen_at: now - 5 },
    { id: 5, chat_key: '-1001', msg_key: 'me', first_seen_at: now },
  ];
  const outcome = (w: ReturnType<typeof written>) => w.map((e) => [e.best.msgKey, e.id, e.inserted]);
  const expected = [['ma', 1, true], ['mb', 0, false], ['mc', 3, true], ['md', 4, false], ['me', 5, true]];

  it('pairs rows returned in the order written', () => {
    const w = written();
    matchReturnedRows(w, rows, now);
    expect(outcome(w)).toEqual(expected);
  });

  it('pairs them as well when the database returns them in another order', () => {
    const w = written();
    matchReturnedRows(w, [rows[2]!, rows[0]!, rows[3]!, rows[1]!], now);
    expect(outcome(w)).toEqual(expected);
  });
});
