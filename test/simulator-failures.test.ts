/**
 * The ways Telegram lets a client down (tdlib-notes §5, §9), switched on by tests: channel gaps,
 * flood waits and 429s, PEER_FLOOD, and what a restarted client does or does not get again.
 */
import { describe, expect, it } from 'vitest';
import { createSimWorld, type RestartPolicy, type SimWorld } from '../src/tdlib/simulator/index.ts';
import { drain, fullHistory, loadAllChats, ready, record, rejection, testClock, textOf } from './simulator-helpers.ts';

function world(options: { restart?: RestartPolicy; gapLimit?: number; seed?: number } = {}) {
  const clock = testClock();
  const w = createSimWorld({ seed: options.seed ?? 21, clock: clock.now, floodWaitDelayMs: (s) => s * 5, historyPaging: 'full', ...options });
  const admin = w.addUser({ firstName: 'Admin', username: 'admin_ops', account: true });
  const client = w.addUser({ firstName: 'Client' });
  const sg = w.createSupergroup('Busy client', [admin.id, client.id], [admin.id]);
  return { world: w, clock, admin, client, sg };
}

async function connect(w: SimWorld, userId: number, restart?: RestartPolicy) {
  const t = w.connect(userId, restart ? { restart } : {});
  const rec = record(t);
  await ready(rec);
  return { t, rec };
}

describe('channel gaps', () => {
  it('tells the account the last message is unknown, skips the messages, then jumps to the newer one', async () => {
    const { world: w, admin, client, sg } = world();
    const { t, rec } = await connect(w, admin.id);
    await loadAllChats(t);
    rec.clear();

    w.failures.channelGap({ accountUserId: admin.id, chat: sg, messages: 3 });
    const skipped = [1, 2, 3].map((i) => w.sendMessage({ chat: sg, senderId: client.id, text: `lost ${i}` }));
    const after = w.sendMessage({ chat: sg, senderId: client.id, text: 'seen again' });
    await rec.waitFor('updateNewMessage', (u) => textOf(u.message) === 'seen again');

    const lastMessages = rec.of('updateChatLastMessage').filter((u) => u.chat_id === sg.id);
    expect(lastMessages[0]?.last_message).toBeUndefined();
    expect(lastMessages[0]?.positions[0]?.order).not.toBe('0');
    // The first message after the gap's end arrives as a jump: the last message, not a new one.
    expect(lastMessages.map((u) => textOf(u.last_message))).toContain('lost 3');
    const newMessages = rec.of('updateNewMessage').map((u) => textOf(u.message));
    expect(newMessages).toEqual(['seen again']);
    // Unread counters are not gap updates: they keep coming.
    expect(rec.of('updateChatReadInbox').at(-1)?.unread_count).toBe(4);

    // Only history tells the whole story.
    const { messages } = await fullHistory(t, sg.id);
    const ids = messages.map((m) => m.id);
    for (const m of [...skipped, after]) expect(ids).toContain(m.sharedId);
    await t.close();
  });

  it('holds a gap open until it is ended, then reports the newest message', async () => {
    const { world: w, admin, client, sg } = world();
    const { t, rec } = await connect(w, admin.id);
    await loadAllChats(t);
    rec.clear();
    w.failures.channelGap({ accountUserId: admin.id, chat: sg });
    for (let i = 0; i < 5; i++) w.sendMessage({ chat: sg, senderId: client.id, text: `m${i}` });
    w.failures.endChannelGap({ accountUserId: admin.id, chat: sg });
    const recovered = await rec.waitFor('updateChatLastMessage', (u) => textOf(u.last_message) === 'm4');
    expect(recovered.chat_id).toBe(sg.id);
    expect(rec.of('updateNewMessage')).toHaveLength(0);
    expect(rec.of('updateChatLastMessage').filter((u) => u.last_message === undefined).length).toBeGreaterThanOrEqual(1);
    await t.close();
  });
});

describe('flood control', () => {
  it('absorbs a FLOOD_WAIT up to 60 s as a slower call and surfaces longer ones as 429', async () => {
    const { world: w, admin, sg } = world();
    const { t } = await connect(w, admin.id);
    w.failures.floodWait({ method: 'getChat', seconds: 30, times: 1 });
    const started = Date.now();
    const chat = await t.invoke({ _: 'getChat', chat_id: sg.id });
    expect(chat.id).toBe(sg.id);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140); // 30 s scaled to 5 ms per second

    w.failures.floodWait({ method: 'getChat', seconds: 120, accountUserId: admin.id, times: 1 });
    expect(await rejection(t.invoke({ _: 'getChat', chat_id: sg.id }))).toMatchObject({ _: 'error', code: 429, message: 'Too Many Requests: retry after 120' });
    // The rule is spent: the retry succeeds.
    expect((await t.invoke({ _: 'getChat', chat_id: sg.id })).id).toBe(sg.id);

    w.failures.tooManyRequests({ method: 'sendMessage', retryAfter: 7, times: 2 });
    const send = () => t.invoke({ _: 'sendMessage', chat_id: sg.id, input_message_content: { _: 'inputMessageText', text: { _: 'formattedText', text: 'hi' } } });
    expect((await rejection(send())).message).toBe('Too Many Requests: retry after 7');
    expect((await rejection(send())).code).toBe(429);
    expect((await send()).sending_state?._).toBe('messageSendingStatePending');
    await t.close();
  });

  it('stops an account\'s adds with PEER_FLOOD after the allowed number, for the whole batch', async () => {
    const { world: w, admin, client, sg } = world();
    const people = Array.from({ length: 5 }, (_, i) => w.addUser({ firstName: `P${i}` }));
    w.createSupergroup('Where admin met them', [admin.id, ...people.map((p) => p.id)], [admin.id]);
    const { t } = await connect(w, admin.id);
    w.failures.peerFlood(admin.id, { afterAdds: 2 });
    const ok = await t.invoke({ _: 'addChatMembers', chat_id: sg.id, user_ids: [people[0]?.id ?? 0, people[1]?.id ?? 0] });
    expect(ok.failed_to_add_members).toEqual([]);
    expect(await rejection(t.invoke({ _: 'addChatMembers', chat_id: sg.id, user_ids: [people[2]?.id ?? 0] }))).toMatchObject({ code: 400, message: 'PEER_FLOOD' });
    expect(w.isMember(sg, people[2]?.id ?? 0)).toBe(false);
    w.failures.clearPeerFlood(admin.id);
    await t.invoke({ _: 'addChatMembers', chat_id: sg.id, user_ids: [people[2]?.id ?? 0] });
    expect(w.isMember(sg, people[2]?.id ?? 0)).toBe(true);

    w.failures.restrictInvites(people[3]?.id ?? 0);
    const refused = await t.invoke({ _: 'addChatMembers', chat_id: sg.id, user_ids: [people[3]?.id ?? 0, people[4]?.id ?? 0] });
    expect(refused.failed_to_add_members.map((f) => f.user_id)).toEqual([people[3]?.id]);
    w.failures.error({ method: 'addChatMembers', code: 403, message: 'CHAT_ADMIN_REQUIRED', times: 1 });
    expect((await rejection(t.invoke({ _: 'addChatMembers', chat_id: sg.id, user_ids: [client.id] }))).message).toBe('CHAT_ADMIN_REQUIRED');
    await t.close();
  });

  it('lowers the pin limit when told to', async () => {
    const { world: w, admin, client } = world();
    const a = w.createSupergroup('A', [admin.id, client.id], [admin.id]);
    const b = w.createSupergroup('B', [admin.id, client.id], [admin.id]);
    w.failures.pinLimit(admin.id, 1);
    const { t } = await connect(w, admin.id);
    await loadAllChats(t);
    await t.invoke({ _: 'toggleChatIsPinned', chat_list: { _: 'chatListMain' }, chat_id: a.id, is_pinned: true });
    expect((await rejection(t.invoke({ _: 'toggleChatIsPinned', chat_list: { _: 'chatListMain' }, chat_id: b.id, is_pinned: true }))).message).toBe(
      'The maximum number of pinned chats exceeded',
    );
    await t.close();
  });
});

describe('restarts', () => {
  async function firstRun(w: SimWorld, userId: number) {
    const first = await connect(w, userId);
    await loadAllChats(first.t);
    await drain();
    return first;
  }

  it('starts from the latest state without redelivering: missed messages only reachable through history', async () => {
    const { world: w, admin, client, sg } = world();
    const first = await firstRun(w, admin.id);
    w.sendMessage({ chat: sg, senderId: client.id, text: 'before the crash' });
    await first.rec.waitFor('updateNewMessage', (u) => textOf(u.message) === 'before the crash');
    first.t.drop();
    w.sendMessage({ chat: sg, senderId: client.id, text: 'while down 1' });
    w.sendMessage({ chat: sg, senderId: client.id, text: 'while down 2' });

    const second = await connect(w, admin.id, 'latest');
    await loadAllChats(second.t);
    await drain();
    expect(w.restartLog().at(-1)).toEqual({ accountUserId: admin.id, mode: 'latest' });
    expect(second.rec.of('updateNewMessage')).toHaveLength(0);
    // The chat itself is current: its last message and unread count come with loadChats.
    const last = second.rec.of('updateChatLastMessage').find((u) => u.chat_id === sg.id);
    expect(textOf(last?.last_message)).toBe('while down 2');
    expect(second.rec.of('updateNewChat').find((u) => u.chat.id === sg.id)?.chat.unread_count).toBe(3);
    const { messages } = await fullHistory(second.t, sg.id);
    expect(messages.slice(0, 3).map(textOf)).toEqual(['while down 2', 'while down 1', 'before the crash']);
    await second.t.close();
  });

  it('may redeliver from an older point, so some updates arrive twice', async () => {
    const { world: w, admin, client, sg } = world();
    const first = await firstRun(w, admin.id);
    for (let i = 0; i < 5; i++) w.sendMessage({ chat: sg, senderId: client.id, text: `seen ${i}` });
    await first.rec.waitFor('updateNewMessage', (u) => textOf(u.message) === 'seen 4');
    await drain();
    await first.t.close();
    w.sendMessage({ chat: sg, senderId: client.id, text: 'while down' });

    const second = await connect(w, admin.id, 'redeliver');
    await drain();
    const again = second.rec.of('updateNewMessage').map((u) => textOf(u.message));
    expect(again.at(-1)).toBe('while down');
    expect(again.length).toBeGreaterThan(1);
    const firstSeen = first.rec.of('updateNewMessage').map((u) => u.message.id);
    expect(second.rec.of('updateNewMessage').some((u) => firstSeen.includes(u.message.id))).toBe(true);
    // Redelivered updates still come after the chat is announced.
    const order = second.rec.updates.map((u) => u._);
    expect(order.indexOf('updateNewChat')).toBeLessThan(order.indexOf('updateNewMessage'));
    await second.t.close();
  });

  it('resumes exactly where a cleanly closed client stopped, unless a supergroup has too many pending messages', async () => {
    const { world: w, admin, client, sg } = world({ gapLimit: 5 });
    const quiet = w.createBasicGroup('Quiet client', [admin.id, client.id], [admin.id]);
    const first = await firstRun(w, admin.id);
    await first.t.close();
    w.sendMessage({ chat: quiet, senderId: client.id, text: 'one missed message' });
    for (let i = 0; i < 8; i++) w.sendMessage({ chat: sg, senderId: client.id, text: `burst ${i}` });

    const second = await connect(w, admin.id, 'resume');
    await drain();
    expect(w.restartLog().at(-1)?.mode).toBe('resume');
    const got = second.rec.of('updateNewMessage').map((u) => textOf(u.message));
    expect(got).toEqual(['one missed message']);
    // The burst is skipped as a channel gap: "last message unknown", then the newer ones.
    const sgLast = second.rec.of('updateChatLastMessage').filter((u) => u.chat_id === sg.id);
    const unknownAt = sgLast.findIndex((u) => u.last_message === undefined);
    expect(unknownAt).toBeGreaterThanOrEqual(0);
    expect(textOf(sgLast.at(-1)?.last_message)).toBe('burst 7');
    expect(sgLast.length - 1).toBeGreaterThan(unknownAt);
    await second.t.close();
  });

  it('picks redeliver or latest from the seed when the policy is random', async () => {
    const modes = async (seed: number) => {
      const { world: w, admin } = world({ seed, restart: 'random' });
      for (let i = 0; i < 6; i++) {
        const c = await connect(w, admin.id);
        c.t.drop();
      }
      return w.restartLog().map((r) => r.mode);
    };
    const a = await modes(5);
    expect(a[0]).toBe('first');
    // Every later restart is one of the two, and the seed picks both along the way.
    expect(new Set(a.slice(1))).toEqual(new Set(['redeliver', 'latest']));
    expect(await modes(5)).toEqual(a);
  });

  it('fails calls in flight when the client dies, and reports the loss', async () => {
    const { world: w, admin, sg } = world();
    const t = w.connect(admin.id);
    const errors: unknown[] = [];
    t.onError((e) => errors.push(e));
    const rec = record(t);
    await ready(rec);
    w.failures.floodWait({ method: 'getChat', seconds: 60, times: 1 });
    const pending = t.invoke({ _: 'getChat', chat_id: sg.id });
    t.drop();
    await expect(pending).rejects.toThrow('Client was closed');
    await drain();
    expect(errors).toHaveLength(1);
    expect(w.isConnected(admin.id)).toBe(false);
  });
});
