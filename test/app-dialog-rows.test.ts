/**
 * The daemon's dialog lists (Queries.dialogs: rows kept per account and patched by the published
 * events) against a fresh build from the team model (Queries.dialogsFromModel), on the simulated
 * company: after traffic, after changes made on a phone, after every action, and at a later
 * clock before the overdue timer has flipped anything. Every order, STABLE key, filter and
 * member's stars must agree exactly.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { DialogOrder, StableKey } from '../src/domain/dialog-order.ts';
import type { DialogFilter } from '../src/domain/dialogs.ts';
import { dueChats } from '../src/domain/overdue.ts';
import { createTraffic } from '../src/tdlib/simulator/traffic.ts';
import { eventually, startSimDaemon, type SimDaemon, settle } from './helpers/sim-daemon.ts';
import { STORE_KINDS } from './helpers/stores.ts';

let sims: SimDaemon[] = [];
afterEach(async () => {
  await Promise.all(sims.map((s) => s.dispose()));
  sims = [];
});

const ORDERS: readonly DialogOrder[] = ['STABLE', 'ACTIVITY', 'URGENCY'];
const STABLE_KEYS: readonly StableKey[] = ['title', 'manual', 'created'];
const FILTERS: readonly (DialogFilter | null)[] = [null, { kind: 'support' }, { overdue: true }, { unread: true }, { starred: true }, { muted: false, mentioned: true }, { alarm: true }];

function expectSameAsFresh(sim: SimDaemon, now: number): number {
  const members = [null, ...sim.demo.company.accounts.map((a) => a.userId)];
  let compared = 0;
  for (const { accountId } of sim.demo.accounts) {
    for (const order of ORDERS) {
      for (const stableKey of STABLE_KEYS) {
        for (const filter of FILTERS) {
          for (const memberUserId of members.slice(0, 3)) {
            const q = { accountId, memberUserId, order, stableKey, filter };
            const kept = sim.daemon.queries.dialogs(q, now);
            const fresh = sim.daemon.queries.dialogsFromModel(q, now);
            expect({ q, keys: kept.rows.map((r) => r.chatKey) }).toEqual({ q, keys: fresh.rows.map((r) => r.chatKey) });
            expect(kept).toEqual(fresh);
            compared += kept.rows.length;
          }
        }
      }
    }
  }
  return compared;
}

describe.each(STORE_KINDS)('dialog lists on %s', (kind) => {
  it('stay what a fresh build from the model gives, across traffic, phone-side changes, actions and time', async () => {
    let offset = 0;
    const clock = () => Date.now() + offset;
    const sim = await startSimDaemon({ kind, clock });
    sims.push(sim);
    await settle(sim, 300);
    expect(expectSameAsFresh(sim, clock())).toBeGreaterThan(100);

    const traffic = createTraffic(sim.demo.world, sim.demo.company, { seed: 5 });
    for (let i = 0; i < 120; i++) traffic.step();
    await settle(sim, 300);
    expectSameAsFresh(sim, clock());

    const world = sim.demo.world;
    const account0 = sim.demo.company.accounts[0]!.userId;
    const acc0 = sim.demo.accounts[0]!.accountId;
    const chats = sim.demo.company.clientChats.filter((c) => c.teamIds.includes(account0));
    const [chatA, chatB, chatC] = chats;
    world.setMarkedAsUnread(account0, chatA!.chatId, true);
    world.setScopeNotificationSettings(account0, 'group', { ...world.scopeNotificationSettings(account0, 'group'), mute_for: 3600 });
    world.setChatPinned(account0, chatB!.chatId, true);
    world.renameChat(chatC!.chatId, chatC!.clients[0]!.userId, 'Aardvark Logistics (support)');
    await settle(sim, 300);
    expectSameAsFresh(sim, clock());

    const me = { label: 'alice (admin)', memberUserId: account0 };
    const waiting = chats.find((c) => c.scenario === 'waiting') ?? chatA!;
    await sim.daemon.actions.raiseAlarm(me, String(chatA!.chatId), 'db-prod-2 is down');
    await sim.daemon.actions.starChat(me, String(chatB!.chatId), true);
    await sim.daemon.actions.acknowledge(me, String(waiting.chatId));
    await sim.daemon.actions.setChatKind(me, String(chatC!.chatId), 'other');
    await sim.daemon.actions.muteChat(me, acc0, String(chatA!.chatId), true, 600);
    await sim.daemon.actions.readAll(me, acc0, 'support');
    await settle(sim, 300);
    expectSameAsFresh(sim, clock());
    await sim.daemon.actions.clearAlarm(me, String(chatA!.chatId));
    await sim.daemon.actions.setChatKind(me, String(chatC!.chatId), 'support');
    await sim.daemon.actions.starChat(me, String(chatB!.chatId), false);
    for (let i = 0; i < 60; i++) traffic.step();
    await settle(sim, 300);
    expectSameAsFresh(sim, clock());

    // Later than every deadline, before the timer has flipped anything: judged at `now` all the same.
    offset += 40 * 60_000;
    const support = [...sim.daemon.model.overdue.values()].filter((s) => sim.daemon.model.chats.get(s.chatKey)?.kind === 'support');
    const due = dueChats(support, clock());
    expect(due.length).toBeGreaterThan(0);
    expectSameAsFresh(sim, clock());
    // Seeded overdue chats published flips at startup: only what the timer publishes from here counts.
    const seen = sim.events.length;
    sim.daemon.clock.rearm();
    await settle(sim, 300);
    const flipped = new Set(sim.events.slice(seen).flatMap((e) => (e.type === 'overdueChanged' && e.waiting.isOverdue ? [e.chatKey] : [])));
    expect(due.filter((k) => !flipped.has(k))).toEqual([]);
    expectSameAsFresh(sim, clock());
  }, 90_000);
});
