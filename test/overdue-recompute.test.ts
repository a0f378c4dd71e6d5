/**
 * The overdue clock rebuilt from stored history at start: a wait that began further back than
 * the first window of history the recompute reads must still be dated from its first message.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, settle, startSimDaemon, type SimDaemon } from './helpers/sim-daemon.ts';

let sims: SimDaemon[] = [];
afterEach(async () => {
  await Promise.all(sims.map((s) => s.dispose()));
  sims = [];
});

describe('overdue recompute at start', () => {
  it('dates a wait of more client messages than one history window from its first message', async () => {
    const sim = await startSimDaemon();
    sims.push(sim);
    await settle(sim);
    const { world, company, accounts } = sim.demo;
    const chat = company.clientChats.find((c) => c.scenario === 'quiet' && c.kind === 'supergroup')!;
    const key = String(chat.chatId);
    const account = accounts.find((_, i) => chat.teamIds.includes(company.accounts[i]!.userId))!.accountId;
    // A client (or a chatty bot nobody put on the roster) writes 400 messages, one every two
    // seconds from 20 minutes ago, with nobody from the team answering.
    const first = Math.floor(Date.now() / 1000) - 20 * 60;
    for (let i = 0; i < 400; i++) world.sendMessage({ chatId: chat.chatId, senderId: chat.clients[0]!.userId, text: `лог ${i}: 502 on db-prod-2`, date: first + 2 * i });
    const live = () => sim.daemon.queries.dialog(account, key, null);
    expect(await eventually(() => live()?.waitingSince === first * 1000, 15_000), JSON.stringify(live())).toBe(true);

    const next = await sim.restart();
    sims.push(next);
    const row = next.daemon.queries.dialog(account, key, null)!;
    expect(row).toMatchObject({ waitingSince: first * 1000, isOverdue: true, overdueSince: (first + 15 * 60) * 1000 });
  }, 60_000);
});
