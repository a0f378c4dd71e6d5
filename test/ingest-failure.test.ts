/**
 * A batch whose ingest transaction fails is lost from the live stream; its chats must be paged
 * again before later traffic may prove their history complete, or the lost message would stay
 * missing for good (later messages would move the chat's cursor past it).
 */
import { sql } from 'kysely';
import { readClientStateFromStore } from '../src/app/team-model.ts';
import { applyDomainEvents, type ClientState } from '../src/domain/events.ts';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, settle, startSimDaemon, type SimDaemon } from './helpers/sim-daemon.ts';

let sim: SimDaemon | null = null;
afterEach(async () => {
  await sim?.dispose();
  sim = null;
});

describe('a failed ingest transaction', () => {
  it('leaves its chats to a reconcile pass that recovers the lost message, even after later traffic', async () => {
    sim = await startSimDaemon();
    await settle(sim);
    const { world, company } = sim.demo;
    const config = { ...sim.demo.team, supportChatIds: [], otherChatIds: [], supportTitlePattern: null };
    const before = await readClientStateFromStore(sim.store.db, config, Date.now());
    const from = sim.events.length;
    const chat = company.clientChats.find((c) => c.kind === 'supergroup')!;
    const db = sim.store.db;
    const stored = async (text: string) =>
      (await db.selectFrom('messages').select('id').where('chat_key', '=', String(chat.chatId)).where('text', '=', text).execute()).length;

    // The store refuses one message, as a full disk or a broken connection would refuse a transaction.
    await sql`create trigger refuse_lost before insert on messages when new.text = 'lost: 502 on db-prod-2' begin select raise(abort, 'disk full'); end`.execute(db);
    world.sendMessage({ chatId: chat.chatId, senderId: chat.clients[0]!.userId, text: 'lost: 502 on db-prod-2' });
    // Tried again a few times first (a store that refuses one transaction usually takes the next).
    expect(await eventually(() => sim!.logger.lines.some((l) => l.includes('ingest failed; chats will be reconciled')), 20_000)).toBe(true);
    expect(sim.logger.lines.filter((l) => l.includes('ingest failed; retrying the batch')).length).toBeGreaterThanOrEqual(3);

    // Traffic goes on in the same chat while the store still refuses the lost message.
    world.sendMessage({ chatId: chat.chatId, senderId: chat.teamIds[0]!, text: 'after: смотрим' });
    expect(await eventually(async () => (await stored('after: смотрим')) === 1, 10_000)).toBe(true);
    expect(await stored('lost: 502 on db-prod-2')).toBe(0);

    // Once the store accepts writes again, the chat's reconcile pass (retried) stores the lost message.
    await sql`drop trigger refuse_lost`.execute(db);
    expect(await eventually(async () => (await stored('lost: 502 on db-prod-2')) === 1, 15_000)).toBe(true);
    await settle(sim);
    expect(await stored('after: смотрим')).toBe(1);

    // Subscribers were told all of it: what they hold equals the state read afresh, though the
    // rolled-back transaction had already changed the daemon's memory.
    const now = Date.now();
    const published = sim.events.slice(from);
    const applied = applyDomainEvents({ ...before, seq: published[0]!.seq - 1 }, published);
    const fresh = await readClientStateFromStore(sim.store.db, config, now);
    expect(comparable(applied)).toEqual(comparable(fresh));
    expect(sim.daemon.queries.teamSummary(now)).toEqual(fresh.teamSummary);
  }, 60_000);

  it('stores a batch the store refused once when it tries again, with what a reconcile could not fetch again', async () => {
    sim = await startSimDaemon();
    await settle(sim);
    const { world, company } = sim.demo;
    const chat = company.clientChats.find((c) => c.kind === 'supergroup')!;
    const db = sim.store.db;
    const key = String(chat.chatId);
    // The refused batch also renames the chat: a title is no message, and no history page brings it back.
    await sql`create trigger refuse_once before insert on messages when new.text = 'flaky: 504 on lb-1' begin select raise(abort, 'database is locked'); end`.execute(db);
    world.sendMessage({ chatId: chat.chatId, senderId: chat.clients[0]!.userId, text: 'flaky: 504 on lb-1' });
    world.renameChat(chat.chatId, chat.clients[0]!.userId, 'HostOps · renamed during the outage');
    expect(await eventually(() => sim!.logger.lines.some((l) => l.includes('ingest failed; retrying the batch')), 10_000)).toBe(true);
    await sql`drop trigger refuse_once`.execute(db);
    expect(await eventually(async () => (await db.selectFrom('messages').select('id').where('chat_key', '=', key).where('text', '=', 'flaky: 504 on lb-1').execute()).length === 1, 15_000)).toBe(true);
    expect(await eventually(async () => (await db.selectFrom('chats').select('title').where('key', '=', key).executeTakeFirst())?.title === 'HostOps · renamed during the outage', 10_000)).toBe(true);
    expect(sim.logger.lines.some((l) => l.includes('chats will be reconciled'))).toBe(false);
  }, 40_000);
});

function comparable(state: ClientState) {
  const dialogs = [...state.dialogs].map(([account, rows]) => [account, [...rows].sort(([a], [b]) => a.localeCompare(b))] as const).sort(([a], [b]) => a.localeCompare(b));
  return { dialogs, summary: state.teamSummary };
}
