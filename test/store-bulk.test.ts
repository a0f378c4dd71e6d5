import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendEvents, listEventsAfter } from '../src/store/events.repository.ts';
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
