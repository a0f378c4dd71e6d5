import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chatKeyOf } from '../src/domain/ids.ts';
import { ensureAccounts, listAccounts, updateAccount } from '../src/store/accounts.repository.ts';
import { listAccountChats, patchAccountChat, putAccountChats, upsertChats, listChats, upsertChatMembers, listChatMembers } from '../src/store/chats.repository.ts';
import { countMessages, listMessages, markDeleted, resolveMessageIds, refKey, setContent, upsertMessages } from '../src/store/messages.repository.ts';
import { listCursors, markAllUnsynced, putCursors } from '../src/store/sync-cursors.repository.ts';
import { getUsers, upsertUsers } from '../src/store/users.repository.ts';
import { createTestStore, STORE_KINDS, type TestStore } from './helpers/stores.ts';
import { tgMessage } from './helpers/telegram-fixtures.ts';

const NOW = 1_700_000_500_000;

/** upsertMessages with the result's length checked, so tests can destructure it. */
async function storeMessages(...args: Parameters<typeof upsertMessages>): Promise<[{ id: number }, ...{ id: number }[]]> {
  const refs = await upsertMessages(...args);
  expect(refs).toHaveLength(args[2].length);
  return refs as unknown as [{ id: number }, ...{ id: number }[]];
}
const SUPERGROUP = -1001234567890;
const BASIC = -4242;

describe.each(STORE_KINDS)('store repositories on %s', (kind) => {
  let store: TestStore;
  beforeAll(async () => {
    store = await createTestStore(kind);
  });
  afterAll(async () => {
    await store?.dispose();
  });

  it('migrates idempotently: a second run applies nothing', async () => {
    const again = await store.migrate();
    expect(again.applied).toEqual([]);
  });

  it('keeps accounts with their sync state', async () => {
    await ensureAccounts(store.db, ['alice', 'bob'], NOW);
    await ensureAccounts(store.db, ['alice'], NOW + 1);
    await updateAccount(store.db, 'alice', { userId: 501, authState: 'ready', syncState: 'ready', syncComplete: true }, NOW + 2);
    const accounts = await listAccounts(store.db);
    expect(accounts.map((a) => [a.id, a.userId, a.syncState, a.syncComplete])).toEqual([
      ['alice', 501, 'ready', true],
      ['bob', null, 'starting', false],
    ]);
  });

  it('stores a supergroup message once when two accounts see it, keeping its Telegram id as identity', async () => {
    const key = chatKeyOf('supergroup', SUPERGROUP, 501);
    await upsertChats(store.db, [{ key, tdChatId: SUPERGROUP, type: 'supergroup', typeId: 1234567890, title: 'ACME support' }], NOW);
    const m = tgMessage({ tdChatId: SUPERGROUP, tdMessageId: 5 << 20, text: 'db-prod-2 is down, 502 on /api' });
    const [{ id: idA }] = await storeMessages(store.db, 'alice', [{ chatKey: key, chatType: 'supergroup', message: m }], NOW);
    const [{ id: idB }] = await storeMessages(store.db, 'bob', [{ chatKey: key, chatType: 'supergroup', message: m }], NOW);
    expect(idA).toBeGreaterThan(0);
    expect(idB).toBe(idA);
    expect(await countMessages(store.db, key)).toBe(1);
  });

  it('matches a basic-group message across accounts whose ids differ, and never merges two messages of one account', async () => {
    const key = chatKeyOf('basic', BASIC, 501);
    await upsertChats(store.db, [{ key, tdChatId: BASIC, type: 'basic', typeId: 4242, title: 'Small client' }], NOW);
    const date = 1_700_000_100;
    // Two messages of one sender within one second, as alice (ids 10, 11) and bob (ids 70, 71) see them.
    const a1 = tgMessage({ tdChatId: BASIC, tdMessageId: 10 << 20, date, text: 'first' });
    const a2 = tgMessage({ tdChatId: BASIC, tdMessageId: 11 << 20, date, text: 'second' });
    const b1 = { ...a1, tdMessageId: 70 << 20 };
    const b2 = { ...a2, tdMessageId: 71 << 20 };
    const idsA = (await upsertMessages(store.db, 'alice', [a1, a2].map((message) => ({ chatKey: key, chatType: 'basic' as const, message })), NOW)).map((r) => r.id);
    // bob sees them in two separate batches, in order.
    const [{ id: idB1 }] = await storeMessages(store.db, 'bob', [{ chatKey: key, chatType: 'basic', message: b1 }], NOW);
    const [{ id: idB2 }] = await storeMessages(store.db, 'bob', [{ chatKey: key, chatType: 'basic', message: b2 }], NOW);
    expect(idsA[0]).not.toBe(idsA[1]);
    expect([idB1, idB2]).toEqual(idsA);
    expect(await countMessages(store.db, key)).toBe(2);
    // Replaying alice's batch is harmless.
    expect((await upsertMessages(store.db, 'alice', [a1, a2].map((message) => ({ chatKey: key, chatType: 'basic' as const, message })), NOW)).map((r) => r.id)).toEqual(idsA);
    expect(await countMessages(store.db, key)).toBe(2);
    const resolved = await resolveMessageIds(store.db, 'bob', [{ chatKey: key, chatType: 'basic', tdMessageId: 71 << 20 }]);
    expect(resolved.get(refKey(key, 71 << 20))).toBe(idsA[1]);
  });

  it('an edit replaces content, an older copy never overwrites it, and a deleted message leaves history', async () => {
    const key = chatKeyOf('supergroup', SUPERGROUP, 501);
    const original = tgMessage({ tdChatId: SUPERGROUP, tdMessageId: 6 << 20, date: 1_700_000_200, text: 'ORA-00942 on billing' });
    const edited = { ...original, text: 'ORA-00942: table or view does not exist (billing)', editDate: 1_700_000_260 };
    const [{ id }] = await storeMessages(store.db, 'alice', [{ chatKey: key, chatType: 'supergroup', message: edited }], NOW);
    await upsertMessages(store.db, 'bob', [{ chatKey: key, chatType: 'supergroup', message: original }], NOW);
    let page = await listMessages(store.db, { chatKey: key, limit: 10 });
    expect(page.find((m) => m.id === id)?.text).toBe('ORA-00942: table or view does not exist (billing)');
    await setContent(store.db, id!, { text: 'fixed typo', entities: [{ type: 'mention', offset: 0, length: 5 }], contentKind: 'text', mediaSummary: null });
    page = await listMessages(store.db, { chatKey: key, limit: 10 });
    expect(page.find((m) => m.id === id)).toMatchObject({ text: 'fixed typo', hasMention: true });
    await markDeleted(store.db, [id!], NOW);
    page = await listMessages(store.db, { chatKey: key, limit: 10 });
    expect(page.some((m) => m.id === id)).toBe(false);
    const withDeleted = await listMessages(store.db, { chatKey: key, limit: 10, includeDeleted: true });
    expect(withDeleted.find((m) => m.id === id)?.deletedAt).toBe(NOW);
  });

  it('tells which messages a call stored for the first time', async () => {
    const key = chatKeyOf('supergroup', -100888, 501);
    const m = tgMessage({ tdChatId: -100888, tdMessageId: 3 << 20, text: 'web-03: 502 Bad Gateway' });
    const first = await upsertMessages(store.db, 'alice', [{ chatKey: key, chatType: 'supergroup', message: m }, { chatKey: key, chatType: 'supergroup', message: m }], NOW + 10);
    expect(first.map((r) => r.inserted)).toEqual([true, false]);
    const again = await upsertMessages(store.db, 'bob', [{ chatKey: key, chatType: 'supergroup', message: m }], NOW + 11);
    expect(again[0]).toMatchObject({ id: first[0]!.id, inserted: false });
    const edited = await upsertMessages(store.db, 'bob', [{ chatKey: key, chatType: 'supergroup', message: { ...m, text: 'web-03: fixed', editDate: m.date + 60 } }], NOW + 12);
    expect(edited[0]).toMatchObject({ id: first[0]!.id, inserted: false });
  });

  it('pages history in chronological order', async () => {
    const key = chatKeyOf('supergroup', -100777, 501);
    await upsertChats(store.db, [{ key, tdChatId: -100777, type: 'supergroup', typeId: 777, title: 'Paging' }], NOW);
    const batch = Array.from({ length: 30 }, (_, i) => ({
      chatKey: key,
      chatType: 'supergroup' as const,
      message: tgMessage({ tdChatId: -100777, tdMessageId: (i + 1) << 20, date: 1_700_000_000 + i, text: `line ${i}` }),
    }));
    await upsertMessages(store.db, 'alice', batch.reverse(), NOW);
    const latest = await listMessages(store.db, { chatKey: key, limit: 10 });
    expect(latest.map((m) => m.text)).toEqual(Array.from({ length: 10 }, (_, i) => `line ${20 + i}`));
    const older = await listMessages(store.db, { chatKey: key, limit: 5, beforeSortKey: latest[0]!.sortKey });
    expect(older.map((m) => m.text)).toEqual(['line 15', 'line 16', 'line 17', 'line 18', 'line 19']);
    const newer = await listMessages(store.db, { chatKey: key, limit: 3, afterSortKey: older[4]!.sortKey });
    expect(newer.map((m) => m.text)).toEqual(['line 20', 'line 21', 'line 22']);
  });

  it('keeps per-account chat state with absolute values and whole notification settings', async () => {
    const key = chatKeyOf('supergroup', SUPERGROUP, 501);
    const settings = { useDefaultMuteFor: false, muteFor: 0, raw: { use_default_sound: true, sound_id: '0', show_preview: true } };
    await putAccountChats(store.db, 'alice', [{ chatKey: key, tdChatId: SUPERGROUP, unreadCount: 3, lastReadInboxId: 4 << 20, lastReadOutboxId: 0, unreadMentionCount: 1, isMarkedAsUnread: false, notificationSettings: settings, positions: [{ list: 'main', order: '9221294780217032704', isPinned: true }], lastTdMessageId: 6 << 20 }], NOW);
    await patchAccountChat(store.db, 'alice', key, { unreadCount: 0, lastReadInboxId: 6 << 20, unreadMentionCount: 0 }, NOW + 1);
    const [row] = await listAccountChats(store.db, 'alice');
    expect(row).toMatchObject({ chatKey: key, unreadCount: 0, lastReadInboxId: 6 << 20, unreadMentionCount: 0, notificationSettings: settings });
    expect(row!.positions[0]).toEqual({ list: 'main', order: '9221294780217032704', isPinned: true });
    expect((await listChats(store.db)).some((c) => c.key === key && c.title === 'ACME support')).toBe(true);
  });

  it('keeps chat members and users', async () => {
    const key = chatKeyOf('supergroup', SUPERGROUP, 501);
    await upsertChatMembers(store.db, [{ chatKey: key, userId: 501, status: 'administrator' }, { chatKey: key, userId: 1001, status: 'member' }], NOW);
    await upsertChatMembers(store.db, [{ chatKey: key, userId: 1001, status: 'left' }], NOW + 1);
    expect(await listChatMembers(store.db, key)).toEqual([{ userId: 501, status: 'administrator' }, { userId: 1001, status: 'left' }]);
    await upsertUsers(store.db, [{ id: 1001, firstName: 'Иван', lastName: 'Петров', username: 'ipetrov', isBot: false, lastSeenAt: null }], NOW);
    await upsertUsers(store.db, [{ id: 1001, firstName: 'Ivan', lastName: 'Petrov', username: 'ipetrov', isBot: false, lastSeenAt: null }], NOW);
    expect((await getUsers(store.db, [1001, 9])).get(1001)?.firstName).toBe('Ivan');
  });

  it('keeps sync cursors per account and chat, and forgets "synced" at start', async () => {
    await putCursors(store.db, 'alice', [{ tdChatId: SUPERGROUP, completeTo: 6 << 20, isSynced: true }], NOW);
    await putCursors(store.db, 'bob', [{ tdChatId: SUPERGROUP, completeTo: 2 << 20, isSynced: true }], NOW);
    await markAllUnsynced(store.db, 'alice', NOW + 1);
    expect((await listCursors(store.db, 'alice')).get(SUPERGROUP)).toEqual({ tdChatId: SUPERGROUP, completeTo: 6 << 20, isSynced: false });
    expect((await listCursors(store.db, 'bob')).get(SUPERGROUP)?.isSynced).toBe(true);
  });
});
