/**
 * The backfill limit bounds the first sync of a chat only. A chat synced before must be paged
 * all the way down to its cursor after downtime, however many messages came meanwhile:
 * otherwise the pass would stop at the limit, move the cursor to the top and lose the rest for
 * good (later passes only page down to the cursor).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { settle, startSimDaemon, type SimDaemon } from './helpers/sim-daemon.ts';
import { STORE_KINDS } from './helpers/stores.ts';

let sim: SimDaemon | null = null;
afterEach(async () => {
  await sim?.dispose();
  sim = null;
});

describe.each(STORE_KINDS)('reconcile after downtime on %s', (kind) => {
  it('stores every message sent while the daemon was down, beyond the first-sync backfill limit', async () => {
    const backfillMessages = 50;
    sim = await startSimDaemon({ kind, backfillMessages });
    await settle(sim);
    const { world, company } = sim.demo;
    const chats = [company.clientChats.find((c) => c.kind === 'supergroup')!, company.clientChats.find((c) => c.kind === 'basicGroup')!];
    await sim.stop();
    // More than the limit, and more than the simulator redelivers to a restarted supergroup session.
    const sent = 240;
    for (const chat of chats) {
      for (let i = 0; i < sent; i++) world.sendMessage({ chatId: chat.chatId, senderId: chat.clients[0]!.userId, text: `down ${chat.chatId} #${i}` });
    }
    sim = await sim.restart({ backfillMessages });
    await settle(sim);
    for (const chat of chats) {
      const rows = await sim.store.db.selectFrom('messages').select('text').where('chat_key', '=', String(chat.chatId)).where('text', 'like', `down ${chat.chatId} #%`).execute();
      expect(rows.length, `${chat.kind} ${chat.chatId}`).toBe(sent);
      expect(new Set(rows.map((r) => r.text)).size).toBe(sent);
    }
  }, 60_000);
});
