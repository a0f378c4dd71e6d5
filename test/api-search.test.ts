/**
 * `search` over HTTP with realistic mixed Russian and English support traffic: word forms in
 * both languages, ё as е, exact fragments (addresses, hosts, error codes), grouping by chat with
 * the newest group first and hits oldest first, highlighted snippets, and the filters.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiHarness, type ApiHarness } from './helpers/api-harness.ts';
import { supportChat, type SupportChatPick } from './helpers/api-fixtures.ts';
import { eventually } from './helpers/sim-daemon.ts';
import { sql } from 'kysely';
import { createMemoryLogger } from '../src/shared/log.ts';

let h: ApiHarness;
let a: SupportChatPick;
let b: SupportChatPick;
const t0 = Math.floor(Date.now() / 1000) - 3600;

// A marker no generated message contains, so each query sees only these messages.
const M = 'кв7731';

interface Hit {
  message: { id: string; text: string; date: string; sender: { id: string; isTeam: boolean } };
  snippet: { text: string; segments: { text: string; isMatch: boolean }[] };
}
interface Group {
  chat: { id: string; title: string };
  newestAt: string;
  hits: Hit[];
}

async function search(query: string, extra: Record<string, unknown> = {}): Promise<Group[]> {
  const r = await h.gql<{ search: Group[] }>(
    `query ($q: String!, $chats: [ID!], $from: DateTime, $to: DateTime, $sender: ID) {
      search(query: $q, chatIds: $chats, from: $from, to: $to, senderId: $sender) {
        chat { id title } newestAt
        hits { message { id text date sender { id isTeam } } snippet { text segments { text isMatch } } }
      } }`,
    { q: query, ...extra },
    { token: h.tokens.viewer },
  );
  expect(r.body.errors).toBeUndefined();
  return r.body.data!.search;
}

const texts = (groups: Group[]) => groups.flatMap((g) => g.hits.map((x) => x.message.text));

beforeAll(async () => {
  h = await startApiHarness();
  a = supportChat(h, 6);
  b = supportChat(h, 7);
  const world = h.sim.demo.world;
  const send = (chat: SupportChatPick, fromTeam: boolean, at: number, text: string) =>
    world.sendMessage({ chatId: chat.tdChatId, senderId: fromTeam ? chat.teamUserId : chat.clientUserId, text: `${text} ${M}`, date: t0 + at });
  send(a, false, 10, 'Добрый день! Сервер 10.0.3.17 не отвечает, сайт отдаёт 502 Bad Gateway');
  send(a, true, 20, 'Смотрим. На db-prod-2.example закончилось место, чистим логи');
  send(a, false, 30, 'Отчёт падает с ошибкой ORA-00942: table or view does not exist');
  send(a, true, 40, 'Deploying the fix to prod now, the servers will restart');
  send(b, false, 15, 'Счётчик запросов растёт, серверы перегружены');
  send(b, true, 25, 'The backup job failed again: disk quota exceeded on 10.0.3.170');
  send(b, false, 50, 'Всё ещё 502 на главной, посмотрите пожалуйста');
  const ids = new Set([String(a.tdChatId), String(b.tdChatId)]);
  // Ingested, then indexed: search reads only the index.
  expect(await eventually(() => h.sim.events.filter((e) => e.type === 'messageAdded' && ids.has(e.chatKey) && e.message.text.endsWith(M)).length >= 7, 10_000)).toBe(true);
  await h.sim.daemon.searchIndexer!.whenCaughtUp();
});

afterAll(async () => {
  await h?.dispose();
});

describe('search', () => {
  it('finds Russian words in other forms, with ё as е', async () => {
    expect(texts(await search(`сервера ${M}`))).toEqual(expect.arrayContaining([expect.stringContaining('Сервер 10.0.3.17'), expect.stringContaining('серверы перегружены')]));
    expect(texts(await search(`счетчик ${M}`))).toEqual([expect.stringContaining('Счётчик запросов')]);
    expect(texts(await search(`отчет падает ${M}`))).toEqual([expect.stringContaining('ORA-00942')]);
  });

  it('finds English words in other forms', async () => {
    expect(texts(await search(`deployed fixes ${M}`))).toEqual([expect.stringContaining('Deploying the fix')]);
    expect(texts(await search(`failing backups ${M}`))).toEqual([expect.stringContaining('backup job failed')]);
  });

  it('finds exact fragments: addresses, hosts, error codes, numbers', async () => {
    expect(texts(await search(`10.0.3.17 ${M}`)).sort()).toEqual([expect.stringContaining('10.0.3.170'), expect.stringContaining('Сервер 10.0.3.17')].sort());
    expect(texts(await search(`db-prod-2.example ${M}`))).toEqual([expect.stringContaining('db-prod-2.example')]);
    expect(texts(await search(`ORA-00942 ${M}`))).toEqual([expect.stringContaining('ORA-00942')]);
    expect(texts(await search(`502 ${M}`))).toHaveLength(2);
  });

  it('groups by chat, newest group first, hits oldest first, with highlighted snippets', async () => {
    const groups = await search(`502 ${M}`);
    expect(groups.map((g) => g.chat.id)).toEqual([b.chatId, a.chatId]);
    const all = await search(M);
    expect(all.map((g) => g.chat.id)).toEqual([b.chatId, a.chatId]);
    for (const g of all) {
      const dates = g.hits.map((x) => Date.parse(x.message.date));
      expect(dates).toEqual([...dates].sort((p, q) => p - q));
      expect(Date.parse(g.newestAt)).toBe(Math.max(...dates));
    }
    expect(all.find((g) => g.chat.id === a.chatId)!.hits).toHaveLength(4);
    const hit = groups[1]!.hits[0]!;
    expect(hit.snippet.text).toContain('«502»');
    expect(hit.snippet.segments.filter((s) => s.isMatch).map((s) => s.text)).toContain('502');
    expect(hit.snippet.segments.map((s) => s.text).join('')).toBe(hit.message.text);
  });

  it('narrows by chats, sender and time', async () => {
    expect(texts(await search(`502 ${M}`, { chats: [a.chatId] }))).toEqual([expect.stringContaining('Bad Gateway')]);
    const fromTeam = await search(M, { sender: String(a.teamUserId), chats: [a.chatId] });
    expect(fromTeam.flatMap((g) => g.hits).every((x) => x.message.sender.isTeam && x.message.sender.id === `u${a.teamUserId}`)).toBe(true);
    expect(texts(fromTeam)).toHaveLength(2);
    const late = await search(M, { from: new Date((t0 + 30) * 1000).toISOString(), to: new Date((t0 + 50) * 1000).toISOString() });
    expect(texts(late).sort()).toEqual([expect.stringContaining('Deploying'), expect.stringContaining('ORA-00942')].sort());
    expect(await search(`502 ${M}`, { chats: [] })).toEqual([]);
  });

  it('finds nothing for words that are not there, and treats query syntax as text', async () => {
    expect(await search(`кубернетес ${M}`)).toEqual([]);
    // OR and NOT are words like any other, so each must occur: no 502 message says "or" or "not".
    expect(await search(`"502" OR ${M}`)).toEqual([]);
    expect(await search(`NOT 502 ${M}`)).toEqual([]);
    // Quotes are trimmed and OR is a plain word of "table or view": the message that says it is found.
    expect(texts(await search(`"table" OR "view" ${M}`))).toEqual([expect.stringContaining('table or view does not exist')]);
    expect(texts(await search(`ORA-00942: ${M}`))).toEqual([expect.stringContaining('ORA-00942')]);
  });
});

describe('search follows edits and deletes', () => {
  it('finds an edited message by its new words and not its old ones, and a deleted one not at all', async () => {
    const world = h.sim.demo.world;
    const mark = 'пр9042';
    const seq = h.sim.daemon.bus.lastSeq;
    const msg = world.sendMessage({ chatId: a.tdChatId, senderId: a.clientUserId, text: `Ошибка ORA-01555 на bill-db-7 ${mark}`, date: t0 + 60 });
    const other = world.sendMessage({ chatId: a.tdChatId, senderId: a.clientUserId, text: `просто сообщение ${mark}`, date: t0 + 61 });
    expect(await eventually(() => h.sim.events.filter((e) => e.seq > seq && e.type === 'messageAdded').length >= 2, 10_000)).toBe(true);
    await h.sim.daemon.searchIndexer!.whenCaughtUp();
    expect(texts(await search(`ORA-01555 ${mark}`))).toHaveLength(1);

    // An edit of the same length dated two days back: the sweeps' window (edit dates near the
    // newest edit) cannot see it, so only the edit event brings it to the index.
    const seq2 = h.sim.daemon.bus.lastSeq;
    world.editMessage(other, { text: `просто сообщение ${mark}`, date: Math.floor(Date.now() / 1000) });
    world.editMessage(msg, { text: `Ошибка ORA-04031 на bill-db-7 ${mark}`, date: t0 - 2 * 86_400 });
    expect(await eventually(() => h.sim.events.filter((e) => e.seq > seq2 && e.type === 'messageEdited').length >= 2, 10_000)).toBe(true);
    await h.sim.daemon.searchIndexer!.whenCaughtUp();
    expect(texts(await search(`ORA-04031 ${mark}`))).toEqual([expect.stringContaining('ORA-04031')]);
    expect(await search(`ORA-01555 ${mark}`)).toEqual([]);

    const seq3 = h.sim.daemon.bus.lastSeq;
    world.deleteMessages([msg]);
    expect(await eventually(() => h.sim.events.some((e) => e.seq > seq3 && e.type === 'messagesDeleted'), 10_000)).toBe(true);
    await h.sim.daemon.searchIndexer!.whenCaughtUp();
    expect(await search(`ORA-04031 ${mark}`)).toEqual([]);
    // Dropped from the index, not only hidden by the query.
    const docs = await h.sim.store.db.selectFrom('messages').select('id').where('text', 'like', `%ORA-04031%${mark}%`).execute();
    expect(docs).toHaveLength(1);
    const indexed = await sql<{ n: number }>`SELECT count(*) AS n FROM search_docs WHERE message_id = ${docs[0]!.id}`.execute(h.sim.store.db);
    expect(Number(indexed.rows[0]!.n)).toBe(0);
  });

  it('keeps its place in the event log across a restart: an edit made while the indexer was stopped is indexed after it starts', async () => {
    const world = h.sim.demo.world;
    const mark = 'рс5518';
    const seq = h.sim.daemon.bus.lastSeq;
    const msg = world.sendMessage({ chatId: b.tdChatId, senderId: b.clientUserId, text: `nginx на lb-prod-3 отдаёт 503 ${mark}`, date: t0 + 70 });
    expect(await eventually(() => h.sim.events.some((e) => e.seq > seq && e.type === 'messageAdded'), 10_000)).toBe(true);
    await h.sim.daemon.searchIndexer!.whenCaughtUp();
    await h.sim.daemon.searchIndexer!.stop();
    const seq2 = h.sim.daemon.bus.lastSeq;
    world.editMessage(msg, { text: `nginx на lb-prod-3 отдаёт 504 ${mark}`, date: t0 - 3 * 86_400 });
    expect(await eventually(() => h.sim.events.some((e) => e.seq > seq2 && e.type === 'messageEdited'), 10_000)).toBe(true);
    // A new indexer on the same store, as after a restart: the mark in the store says where to go on.
    const { SearchIndexer } = await import('../src/app/search-indexer.ts');
    const fresh = new SearchIndexer({ db: h.sim.store.db, dialect: h.sim.store.dialect, logger: createMemoryLogger('warn'), fullSweepIntervalMs: 3_600_000 });
    await fresh.indexPending();
    expect(texts(await search(`504 ${mark}`))).toEqual([expect.stringContaining('504')]);
    // The mark moved past the edit in the store, so the next process does not read it again.
    const edited = h.sim.events.find((e) => e.seq > seq2 && e.type === 'messageEdited')!;
    const state = await sql<{ s: number }>`SELECT events_to_seq AS s FROM search_index_state WHERE id = 1`.execute(h.sim.store.db);
    expect(Number(state.rows[0]!.s)).toBeGreaterThanOrEqual(edited.seq);
    expect(await search(`503 ${mark}`)).toEqual([]);
    h.sim.daemon.searchIndexer!.start();
  });
});
