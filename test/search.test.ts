import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { SearchIndexer } from '../src/app/search-indexer.ts';
import { DomainError } from '../src/domain/errors.ts';
import { chatKeyOf } from '../src/domain/ids.ts';
import { createMemoryLogger } from '../src/shared/log.ts';
import { markDeleted, setContent, setEditDate, upsertMessages } from '../src/store/messages.repository.ts';
import {
  countSearchDocs,
  DOC_ID_SHIFT,
  MAX_SEARCH_LIMIT,
  queueSearchReindex,
  readSearchIndexState,
  searchMessages,
  searchMessagesWithStats,
  type SearchHit,
  type SearchQuery,
} from '../src/store/search.repository.ts';
import { createTestStore, STORE_KINDS, type TestStore } from './helpers/stores.ts';
import { tgMessage } from './helpers/telegram-fixtures.ts';

const NOW = 1_700_000_500_000;
const T0 = 1_700_000_000;
const ACME = -1001000000001;
const GLOBEX = -1001000000002;
const TEAM = -1001000000003;
const MONITORING = -1001000000004;
const CLIENT_ACME = 2001;
const CLIENT_GLOBEX = 2002;
const IVAN = 1001;
const OLGA = 1002;
const key = (tdChatId: number) => chatKeyOf('supergroup', tdChatId, IVAN);

/** A support team's week, Russian and English mixed, as it is written. */
const CORPUS: ReadonlyArray<readonly [name: string, chat: number, sender: number, minute: number, text: string]> = [
  ['down', ACME, CLIENT_ACME, 1, 'Сервер db-prod-2.example не отвечает, 502 на /api с 10:15'],
  ['looking', ACME, IVAN, 2, 'Смотрю. На серверах nginx отдаёт 502, перезапускаю upstream'],
  ['restarted', ACME, IVAN, 3, 'Restarted nginx on web-1 and web-2, restarting php-fpm now'],
  ['ping', ACME, CLIENT_ACME, 4, 'Спасибо! А что с сервером 10.0.3.17? ping не проходит'],
  ['ora', GLOBEX, CLIENT_GLOBEX, 5, 'У нас ошибка ORA-00942: table or view does not exist в биллинге'],
  ['grant', GLOBEX, OLGA, 6, 'Проверила права: grant select отвалился после миграции. Восстановила, ORA-00942 больше нет'],
  ['balancer', GLOBEX, CLIENT_GLOBEX, 7, 'Ёлки, опять ошибки на 10.0.3.1 — это старый балансировщик'],
  ['key', TEAM, OLGA, 8, 'Коллеги, передайте серверу бэкапов новый ключ, старый истёк'],
  ['window', TEAM, IVAN, 9, 'The restart of db-prod-2 is scheduled for 03:00 UTC, about 5 min downtime'],
  ['syntax', ACME, CLIENT_ACME, 10, 'Query syntax test: "quoted" *star* NEAR(a b) OR -minus col:value (paren) a&b|c!d 100%_done'],
  ['pool', GLOBEX, OLGA, 11, 'Серверов в пуле 12, из них 3 в maintenance'],
  ['disk', ACME, IVAN, 12, 'Ёмкость диска на DB-PROD-2.example.com 95%, чистим логи'],
  ['alert', TEAM, IVAN, 13, '5021 — это не 502, это код нашего внутреннего алерта'],
];

describe.each(STORE_KINDS)('message search on %s', (kind) => {
  let store: TestStore;
  let indexer: SearchIndexer;
  const ids = new Map<string, number>();
  const nameOf = new Map<number, string>();
  let nextTdId = 1;

  async function put(name: string, chat: number, sender: number, date: number, text: string): Promise<number> {
    const message = tgMessage({ tdChatId: chat, tdMessageId: nextTdId++ << 20, sender: { kind: 'user', id: sender }, date, text });
    const [ref] = await upsertMessages(store.db, 'alice', [{ chatKey: key(chat), chatType: 'supergroup', message }], NOW);
    ids.set(name, ref!.id);
    nameOf.set(ref!.id, name);
    return ref!.id;
  }
  const search = (query: string, extra: Partial<SearchQuery> = {}): Promise<SearchHit[]> => searchMessages(store.db, store.dialect, { query, limit: 50, ...extra });
  const names = async (query: string, extra: Partial<SearchQuery> = {}): Promise<string[]> => (await search(query, extra)).map((h) => nameOf.get(h.messageId) ?? `#${h.messageId}`);

  beforeAll(async () => {
    store = await createTestStore(kind);
    indexer = new SearchIndexer({ db: store.db, dialect: store.dialect, logger: createMemoryLogger(), batchSize: 4 });
    for (const [name, chat, sender, minute, text] of CORPUS) await put(name, chat, sender, T0 + minute * 60, text);
    expect(await indexer.indexPending()).toBe(CORPUS.length);
  });
  afterAll(async () => {
    await indexer?.stop();
    await store?.dispose();
  });

  it('indexes each message once: a second pass finds nothing to do', async () => {
    expect(await indexer.indexPending()).toBe(0);
    expect(await countSearchDocs(store.db)).toBe(CORPUS.length);
    expect((await readSearchIndexState(store.db)).indexedToId).toBe(kind === 'sqlite' ? Math.max(...ids.values()) : 0);
  });

  it('finds Russian words in all their forms, newest first', async () => {
    expect(await names('сервер')).toEqual(['pool', 'key', 'ping', 'looking', 'down']);
    expect(await names('СЕРВЕРОВ')).toEqual(['pool', 'key', 'ping', 'looking', 'down']);
    expect(await names('серверу')).toEqual(['pool', 'key', 'ping', 'looking', 'down']);
    expect(await names('ошибки')).toEqual(['balancer', 'ora']);
  });

  it('finds English words in all their forms', async () => {
    expect(await names('restart')).toEqual(['window', 'restarted']);
    expect(await names('restarting')).toEqual(['window', 'restarted']);
    expect(await names('Restarted nginx')).toEqual(['restarted']);
  });

  it('treats ё as е both ways', async () => {
    expect(await names('елки')).toEqual(['balancer']);
    expect(await names('ёлки')).toEqual(['balancer']);
    expect(await names('емкость')).toEqual(['disk']);
    expect(await names('истек')).toEqual(['key']);
    expect(await names('отдает')).toEqual(['looking']);
  });

  it('finds exact substrings: IPs, hostnames, error codes, numbers', async () => {
    expect(await names('10.0.3.17')).toEqual(['ping']);
    // A substring query matches inside longer tokens, as grep does: 10.0.3.1 is in 10.0.3.17.
    expect(await names('10.0.3.1')).toEqual(['balancer', 'ping']);
    expect(await names('db-prod-2.example')).toEqual(['disk', 'down']);
    expect(await names('db-prod-2')).toEqual(['disk', 'window', 'down']);
    expect(await names('ORA-00942')).toEqual(['grant', 'ora']);
    expect(await names('ora-00942')).toEqual(['grant', 'ora']);
    expect(await names('502')).toEqual(['alert', 'looking', 'down']);
    expect(await names('5021')).toEqual(['alert']);
    // Short numbers are whole words.
    expect(await names('12')).toEqual(['pool']);
    expect(await names('95%')).toEqual(['disk']);
  });

  it('combines words and substrings: every token must match', async () => {
    expect(await names('nginx 502')).toEqual(['looking']);
    expect(await names('сервер 502')).toEqual(['looking', 'down']);
    expect(await names('сервер 10.0.3.17 ping')).toEqual(['ping']);
    expect(await names('сервер ORA-00942')).toEqual([]);
  });

  it('never parses input as query syntax, and a hostile query never errors', async () => {
    expect(await names('"quoted"')).toEqual(['syntax']);
    expect(await names('*star*')).toEqual(['syntax']);
    expect(await names('col:value')).toEqual(['syntax']);
    expect(await names('a&b|c!d')).toEqual(['syntax']);
    expect(await names('100%_done')).toEqual(['syntax']);
    expect(await names('NEAR(a')).toEqual(['syntax']);
    // OR is the English word "or", not an operator.
    expect(await names('OR')).toEqual(['syntax', 'ora']);
    expect(await names('-minus')).toEqual(['syntax']);
    const hostile = [
      '"', '""', '"""', '*', 'сервер*', '^сервер', 'NEAR("a" "b", 3)', 'a OR b', 'NOT сервер', 'AND', '(', ')))', '{}', 'col:', ':*', "a:*",
      "'", "''", "'''", "'); DROP TABLE messages; --", '%', '%%%', '_', '___', '\\', '\\\\\\', '!', '!!!', '&|!', 'a & b', '<->', "'a' <-> 'b'",
      'x\u0000y', '\ud800', '🔥🔥🔥', 'ё'.repeat(200), '-'.repeat(400), 'a-'.repeat(100),
      '\u0301', '\u0301\u0301\u0301', 'x\u0301\u0301y', 'й', '\u200b\u200b\u200b', '\ufeffсервер', 'ﷺ', '$$$', '$1', '?', '?::text', '@@', "E'\\x'",
    ];
    for (const q of hostile) {
      const outcome = await searchMessagesWithStats(store.db, store.dialect, { query: q, limit: 10 });
      expect(Array.isArray(outcome.hits), q).toBe(true);
    }
    expect(await names("'); DROP TABLE messages; --")).toEqual([]);
    expect(await countSearchDocs(store.db)).toBeGreaterThan(0);
    expect(await names('сервер')).toHaveLength(5);
  });

  it('rejects an empty query with a typed error', async () => {
    for (const q of ['', '   ', '\n\t']) {
      const err = await search(q).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DomainError);
      expect((err as DomainError).code).toBe('BAD_USER_INPUT');
    }
    await expect(search('сервер', { limit: 0 })).rejects.toThrowError(DomainError);
  });

  it('filters by chat, sender and date range', async () => {
    expect(await names('502', { chatKeys: [key(ACME)] })).toEqual(['looking', 'down']);
    expect(await names('сервер', { chatKeys: [key(GLOBEX), key(TEAM)] })).toEqual(['pool', 'key']);
    expect(await names('сервер', { chatKeys: [] })).toEqual([]);
    expect(await names('сервер', { senderUserId: IVAN })).toEqual(['looking']);
    expect(await names('502', { senderUserId: IVAN, chatKeys: [key(TEAM)] })).toEqual(['alert']);
    expect(await names('сервер', { from: T0 + 2 * 60, to: T0 + 8 * 60 })).toEqual(['ping', 'looking']);
    expect(await names('сервер', { from: T0 + 8 * 60 })).toEqual(['pool', 'key']);
    expect(await names('сервер', { to: T0 + 2 * 60 })).toEqual(['down']);
    expect(await names('сервер', { from: T0 + 8 * 60, to: T0 + 8 * 60 })).toEqual([]);
    // Many chats are filtered after the index walk rather than through it; same answer.
    const many = [key(GLOBEX), key(TEAM), ...Array.from({ length: 40 }, (_, i) => `-100900000${i}`)];
    expect(await names('сервер', { chatKeys: many })).toEqual(['pool', 'key']);
  });

  it('returns highlight ranges as UTF-16 offsets into the text', async () => {
    const slices = async (query: string, name: string) => {
      const hit = (await search(query)).find((h) => h.messageId === ids.get(name))!;
      return hit.matchRanges.map(([s, e]) => hit.text.slice(s, e));
    };
    expect(await slices('сервер', 'looking')).toEqual(['серверах']);
    expect(await slices('nginx 502', 'looking')).toEqual(['nginx', '502']);
    expect(await slices('10.0.3.1', 'ping')).toEqual(['10.0.3.1']);
    expect(await slices('ёмкость db-prod-2.example', 'disk')).toEqual(['Ёмкость', 'DB-PROD-2.example']);
    expect(await slices('restart', 'restarted')).toEqual(['Restarted', 'restarting']);
    const hit = (await search('ora-00942')).find((h) => h.messageId === ids.get('ora'))!;
    expect(hit).toMatchObject({ chatKey: key(GLOBEX), date: T0 + 5 * 60, senderUserId: CLIENT_GLOBEX });
    expect(hit.matchRanges).toEqual([[hit.text.indexOf('ORA'), hit.text.indexOf('ORA') + 9]]);
  });

  it('keeps the newest hits under a limit, and caps the limit', async () => {
    expect(await names('сервер', { limit: 2 })).toEqual(['pool', 'key']);
    const outcome = await searchMessagesWithStats(store.db, store.dialect, { query: 'сервер', limit: 10_000 });
    expect(outcome.hits).toHaveLength(5);
    expect(outcome.truncated).toBe(false);
    // More matches than the cap: a larger limit brings the newest MAX_SEARCH_LIMIT of them, no more.
    const matches = MAX_SEARCH_LIMIT + 25;
    const first = T0 + 60 * 60;
    const beats = Array.from({ length: matches }, (_, i) => ({
      chatKey: key(MONITORING),
      chatType: 'supergroup' as const,
      message: tgMessage({ tdChatId: MONITORING, tdMessageId: (i + 1) << 20, sender: { kind: 'user', id: IVAN }, date: first + i, text: 'Heartbeat from the monitoring probe' }),
    }));
    await upsertMessages(store.db, 'alice', beats, NOW);
    await indexer.indexPending();
    const capped = await searchMessagesWithStats(store.db, store.dialect, { query: 'heartbeat', limit: 10_000 });
    expect(capped.truncated).toBe(false);
    expect(capped.hits.map((h) => h.date)).toEqual(Array.from({ length: MAX_SEARCH_LIMIT }, (_, i) => first + matches - 1 - i));
  });

  it('re-indexes an edited message (edit update, then content update)', async () => {
    const id = ids.get('grant')!;
    await setEditDate(store.db, id, T0 + 3600);
    await setContent(store.db, id, { text: 'Проверила права: после миграции слетел grant на схему billing, вернула', entities: [], contentKind: 'text', mediaSummary: null });
    // Before the indexer runs, the old words no longer match the text, so the hit is not shown.
    expect(await names('восстановила')).toEqual([]);
    expect(await indexer.indexPending()).toBeGreaterThan(0);
    expect(await names('слетел')).toEqual(['grant']);
    expect(await names('billing')).toEqual(['grant']);
    expect(await names('ORA-00942')).toEqual(['ora']);
  });

  it('re-indexes an edit that arrives as a newer copy of the message', async () => {
    const id = await put('late', GLOBEX, OLGA, T0 + 20 * 60, 'Перезагрузка сервера запланирована');
    await indexer.indexPending();
    expect(await names('перезагрузка')).toEqual(['late']);
    const message = tgMessage({ tdChatId: GLOBEX, tdMessageId: 0, date: T0 + 20 * 60, editDate: T0 + 21 * 60, sender: { kind: 'user', id: OLGA }, text: 'Перезагрузка отменена, сервер 10.0.3.99 стабилен' });
    const msgKey = (await sql<{ msg_key: string }>`SELECT msg_key FROM messages WHERE id = ${id}`.execute(store.db)).rows[0]!.msg_key;
    await upsertMessages(store.db, 'bob', [{ chatKey: key(GLOBEX), chatType: 'supergroup', message: { ...message, tdMessageId: Number(msgKey.slice(1)) } }], NOW + 1);
    await indexer.indexPending();
    expect(await names('10.0.3.99')).toEqual(['late']);
    expect(await names('запланирована')).toEqual([]);
  });

  it('re-indexes what a writer queued, even a change edit_date does not show', async () => {
    const id = ids.get('pool')!;
    await setContent(store.db, id, { text: 'Серверов в пуле 14, из них 2 в maintenance', entities: [], contentKind: 'text', mediaSummary: null });
    await indexer.indexPending();
    // Unedited (edit_date 0) and the same length: invisible to the sweep, so it waits for the queue.
    expect(await names('14')).toEqual([]);
    await queueSearchReindex(store.db, [id, id], NOW);
    expect(await indexer.indexPending()).toBe(1);
    expect(await names('14')).toEqual(['pool']);
    expect(await indexer.indexPending()).toBe(0);
  });

  it('never shows a deleted message, and drops it from the index', async () => {
    const before = await countSearchDocs(store.db);
    await markDeleted(store.db, [ids.get('ping')!], NOW + 5);
    // Not yet re-indexed: the query itself drops it.
    expect(await names('10.0.3.17')).toEqual([]);
    expect(await names('сервер')).not.toContain('ping');
    expect(await indexer.indexPending()).toBe(1);
    expect(await countSearchDocs(store.db)).toBe(before - 1);
    expect(await names('10.0.3.1')).toEqual(['balancer']);
  });

  // How fast lives in bench/search.bench.ts; here, that the indexer gets there on its own.
  it('runs in the background: new messages, edits and deletes show without a call to the indexer', async () => {
    const fast = new SearchIndexer({ db: store.db, dialect: store.dialect, logger: createMemoryLogger(), pollMs: 50 });
    fast.start();
    try {
      const id = await put('live', TEAM, OLGA, T0 + 30 * 60, 'Alert: disk /var on mon-3.example at 91%');
      await waitFor(async () => (await names('mon-3.example')).includes('live'));
      await setEditDate(store.db, id, T0 + 31 * 60);
      await setContent(store.db, id, { text: 'Alert resolved: disk /var on mon-3.example at 40% after logrotate', entities: [], contentKind: 'text', mediaSummary: null });
      await waitFor(async () => (await names('logrotate')).includes('live'));
      await markDeleted(store.db, [id], NOW + 10);
      const docs = await countSearchDocs(store.db);
      await waitFor(async () => (await countSearchDocs(store.db)) === docs - 1);
    } finally {
      await fast.stop();
    }
  });

  it('keeps two messages of one second apart even when their ids collide modulo the document key', async () => {
    const date = T0 + 40 * 60;
    const base = 3 * DOC_ID_SHIFT + 7;
    for (const [offset, text] of [[0, 'first twin host twin-a.example'], [DOC_ID_SHIFT, 'second twin host twin-b.example']] as const) {
      await store.db
        .insertInto('messages')
        .values({ id: base + offset, chat_key: key(TEAM), msg_key: `m${base + offset}`, sort_key: base + offset, sender_key: `u${IVAN}`, sender_user_id: IVAN, date, edit_date: 0, reply_to_key: null, text, entities: '[]', has_mention: 0, content_kind: 'text', media_summary: null, is_service: 0, deleted_at: null, first_seen_at: NOW })
        .execute();
      nameOf.set(base + offset, offset === 0 ? 'twin-a' : 'twin-b');
    }
    await indexer.indexPending();
    expect(await names('twin')).toEqual(['twin-b', 'twin-a']);
    expect(await names('twin-a.example')).toEqual(['twin-a']);
  });

  if (kind === 'postgres') {
    it('picks up an id that commits after a higher one was indexed, and makes the mark durable only after the commit lag', async () => {
      let clock = 1_000_000;
      const lagged = new SearchIndexer({ db: store.db, dialect: store.dialect, logger: createMemoryLogger(), commitLagMs: 10_000, now: () => clock });
      const high = 50 * DOC_ID_SHIFT;
      const row = (id: number, text: string) => ({ id, chat_key: key(TEAM), msg_key: `m${id}`, sort_key: id, sender_key: `u${OLGA}`, sender_user_id: OLGA, date: T0 + 50 * 60, edit_date: 0, reply_to_key: null, text, entities: '[]', has_mention: 0, content_kind: 'text', media_summary: null, is_service: 0, deleted_at: null, first_seen_at: NOW });
      await store.db.insertInto('messages').values(row(high, 'committed first: tunnel vpn-7.example up')).execute();
      await lagged.indexPending();
      const markBefore = (await readSearchIndexState(store.db)).indexedToId;
      // A transaction that took its id earlier commits now.
      await store.db.insertInto('messages').values(row(high - 5, 'committed late: tunnel vpn-6.example up')).execute();
      clock += 1_000;
      await lagged.indexPending();
      expect((await search('vpn-6.example')).map((h) => h.messageId)).toEqual([high - 5]);
      expect((await readSearchIndexState(store.db)).indexedToId).toBe(markBefore);
      clock += 20_000;
      await lagged.indexPending();
      clock += 1;
      await lagged.indexPending();
      expect((await readSearchIndexState(store.db)).indexedToId).toBe(high);
    });
  }
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
