/**
 * Several accounts' batches stored in one transaction (src/app/ingest-batcher.ts): each account
 * still gets its own result in order, a message three accounts delivered is stored once and new
 * for exactly one of them, read counts merged onto the rows in memory reach the store, and a
 * failed transaction fails every batch in it without losing later ones.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EventBus } from '../src/app/event-bus.ts';
import { IngestBatcher, type IngestFollower } from '../src/app/ingest-batcher.ts';
import { planBatch, type AccountSyncState, type IngestResult } from '../src/app/ingest.ts';
import { Writer } from '../src/app/writer.ts';
import type { TgChat, TgEvent } from '../src/domain/telegram.ts';
import { ensureAccounts } from '../src/store/accounts.repository.ts';
import { listAccountChats } from '../src/store/chats.repository.ts';
import { countMessages } from '../src/store/messages.repository.ts';
import { listCursors } from '../src/store/sync-cursors.repository.ts';
import { createTestStore, STORE_KINDS, type TestStore } from './helpers/stores.ts';
import { tgMessage } from './helpers/telegram-fixtures.ts';

const SUPERGROUP = -1009000000001;
const ACCOUNTS = ['alice', 'bob', 'carol'] as const;

function chat(): TgChat {
  return {
    tdChatId: SUPERGROUP,
    type: 'supergroup',
    typeId: 9000000001,
    title: 'Acme ↔ HostOps',
    unreadCount: 0,
    lastReadInboxId: 0,
    lastReadOutboxId: 0,
    unreadMentionCount: 0,
    isMarkedAsUnread: false,
    notificationSettings: { useDefaultMuteFor: true, muteFor: 0, raw: {} },
    positions: [{ list: 'main', order: '100', isPinned: false }],
    lastMessage: null,
  };
}

const message = (n: number) => tgMessage({ tdChatId: SUPERGROUP, tdMessageId: n << 20, date: 1_700_000_000 + n, text: `db-prod-2: ORA-00942 #${n}` });

describe.each(STORE_KINDS)('ingest batcher on %s', (kind) => {
  let store: TestStore;
  let states: Map<string, AccountSyncState>;
  let transactions: number;
  let batcher: IngestBatcher;
  let writer: Writer;
  /** The team layer throws for a transaction that holds this account's batch. */
  let failFor: string | null;
  /** The team layer waits inside a transaction that holds this account's batch, until released. */
  let holdFor: string | null;
  let entered: () => void;
  let release: Promise<void>;
  let now = 1_700_000_600_000;

  beforeEach(async () => {
    store = await createTestStore(kind);
    await ensureAccounts(store.db, [...ACCOUNTS], now);
    states = new Map(ACCOUNTS.map((a, i) => [a, { accountId: a, userId: 500 + i, chats: new Map(), cursors: new Map(), gapEpochs: new Map(), chatStates: new Map() }]));
    transactions = 0;
    failFor = null;
    holdFor = null;
    const follower: IngestFollower = {
      async onIngested(_trx, _emit, results) {
        transactions++;
        if (results.some((r) => r.accountId === holdFor)) {
          entered();
          await release;
        }
        if (results.some((r) => r.accountId === failFor)) throw new Error('the team layer failed');
      },
    };
    writer = new Writer(store.db, store.dialect, new EventBus(store.db));
    batcher = new IngestBatcher({ writer, follower, now: () => ++now });
    // Every account learns the chat and proves it synced, one account at a time.
    for (const a of ACCOUNTS) await submit(a, [{ kind: 'chat', chat: chat() }]);
    for (const s of states.values()) s.cursors.set(SUPERGROUP, { tdChatId: SUPERGROUP, completeTo: 0, isSynced: true });
    transactions = 0;
  });
  afterEach(async () => {
    await store.dispose();
  });

  const submit = (accountId: string, events: TgEvent[]): Promise<IngestResult> => {
    const state = states.get(accountId)!;
    return batcher.submit(state, planBatch(state, events), events);
  };

  it('stores batches that queued meanwhile together: one result each, the shared message once', async () => {
    const m = message(1);
    const deliveries = ACCOUNTS.map((a, i) =>
      submit(a, [
        { kind: 'message', message: m },
        { kind: 'chatLastMessage', tdChatId: SUPERGROUP, lastMessage: m, positions: [{ list: 'main', order: String(200 + i), isPinned: false }] },
        { kind: 'readInbox', tdChatId: SUPERGROUP, lastReadInboxId: 0, unreadCount: i + 1 },
      ]),
    );
    const results = await Promise.all(deliveries);

    // Submitted in one turn, before the writer started: one transaction for all three.
    expect(transactions).toBe(1);
    expect(results.map((r) => r.accountId)).toEqual([...ACCOUNTS]);
    expect(await countMessages(store.db)).toBe(1);
    const ids = new Set(results.flatMap((r) => r.stored.map((s) => s.ref.id)));
    expect(ids.size).toBe(1);
    expect(results.flatMap((r) => r.stored.filter((s) => s.ref.inserted))).toHaveLength(1);

    // Each account's partial update landed on its own whole row, in the store and in memory.
    for (const [i, a] of ACCOUNTS.entries()) {
      const [row] = await listAccountChats(store.db, a);
      expect(row).toMatchObject({ unreadCount: i + 1, lastTdMessageId: m.tdMessageId });
      expect(row!.positions).toEqual([{ list: 'main', order: String(200 + i), isPinned: false }]);
      expect(states.get(a)!.chatStates.get(row!.chatKey)).toMatchObject({ unreadCount: i + 1, notificationSettings: chat().notificationSettings });
      expect((await listCursors(store.db, a)).get(SUPERGROUP)).toMatchObject({ completeTo: m.tdMessageId, isSynced: true });
    }
  });

  it('batches that queue while a transaction runs go in the next one together', async () => {
    holdFor = 'alice';
    let go!: () => void;
    release = new Promise((resolve) => (go = resolve));
    const inside = new Promise<void>((resolve) => (entered = resolve));
    const first = submit('alice', [{ kind: 'message', message: message(1) }]);
    await inside; // alice's transaction is running
    const later = [submit('bob', [{ kind: 'message', message: message(2) }]), submit('carol', [{ kind: 'message', message: message(2) }])];
    go();
    await Promise.all([first, ...later]);
    expect(transactions).toBe(2);
    expect(await countMessages(store.db)).toBe(2);
  });

  it('a backlog goes in bounded steps: other writers get in between', async () => {
    // Transactions run one at a time: the order they ran in is the order they committed in.
    const order: string[] = [];
    const follower: IngestFollower = {
      onIngested: async (_trx, _emit, results) => {
        transactions++;
        order.push(`ingest ${results.map((r) => r.accountId).join('+')}`);
      },
    };
    batcher = new IngestBatcher({ writer, follower, now: () => ++now, maxItemsPerTransaction: 2 });
    const backlog = ACCOUNTS.map((a, i) => submit(a, [{ kind: 'message', message: message(i + 1) }]));
    // An action submitted while the whole backlog waits: it must not wait for all of it.
    const action = writer.run(async () => void order.push('action'));
    await Promise.all([...backlog, action]);
    // Each batch is one event and one message: two items, so one batch per transaction.
    expect(transactions).toBe(3);
    expect(await countMessages(store.db)).toBe(3);
    expect(order).toHaveLength(4);
    expect(order.indexOf('action')).toBeGreaterThanOrEqual(0);
    expect(order.indexOf('action')).toBeLessThan(order.length - 1);
    expect(order.at(-1)).toMatch(/^ingest /);
  });

  it('a failed transaction fails every batch in it and moves no cursor; the next batches store normally', async () => {
    failFor = 'bob';
    const outcomes = await Promise.allSettled([submit('bob', [{ kind: 'message', message: message(2) }]), submit('carol', [{ kind: 'message', message: message(2) }])]);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
    expect(await countMessages(store.db)).toBe(0);
    expect(states.get('bob')!.cursors.get(SUPERGROUP)!.completeTo).toBe(0);

    // What the failed batches carried comes again (a reconcile pass, in the daemon) and is stored.
    failFor = null;
    await Promise.all([submit('bob', [{ kind: 'message', message: message(2) }]), submit('carol', [{ kind: 'message', message: message(3) }])]);
    expect(await countMessages(store.db)).toBe(2);
    expect(states.get('bob')!.cursors.get(SUPERGROUP)!.completeTo).toBe(message(2).tdMessageId);
  });
});
