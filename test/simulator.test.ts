/**
 * The simulated Telegram behaves like Telegram and TDLib where the daemon depends on it
 * (DESIGN.md §6, tdlib-notes §1, §3, §4): ids, chat loading, history paging, unread counts,
 * mentions, notification settings, pins, member adds, links, the call log, auth and close.
 */
import type * as Td from 'tdlib-types';
import { describe, expect, it } from 'vitest';
import { createSimWorld, messageIdFromServerId, supergroupChatId, basicGroupChatId, type SimWorld } from '../src/tdlib/simulator/index.ts';
import { drain, fullHistory, loadAllChats, ready, record, rejection, testClock, textOf } from './simulator-helpers.ts';

function smallWorld(options: { historyPaging?: 'tdlib' | 'full' } = {}) {
  const clock = testClock();
  const world = createSimWorld({ seed: 11, clock: clock.now, ...options });
  const ivan = world.addUser({ firstName: 'Иван', lastName: 'Петров', username: 'ivan_ops', account: true });
  const olga = world.addUser({ firstName: 'Ольга', lastName: 'Смирнова', username: 'olga_ops', account: true });
  const client = world.addUser({ firstName: 'Pavel', lastName: 'Client' });
  const sg = world.createSupergroup('Acme ⇄ Support', [ivan.id, olga.id, client.id], [ivan.id, olga.id]);
  const bg = world.createBasicGroup('Ромашка — поддержка', [ivan.id, olga.id, client.id], [ivan.id]);
  return { world, clock, ivan, olga, client, sg, bg };
}

async function connected(world: SimWorld, userId: number) {
  const t = world.connect(userId);
  const rec = record(t);
  await ready(rec);
  return { t, rec };
}

describe('ids', () => {
  it('shares one message id in supergroups and gives each account its own in basic groups and private chats', async () => {
    const { world, ivan, olga, client, sg, bg } = smallWorld({ historyPaging: 'full' });
    const pm = world.ensurePrivateChat(ivan.id, olga.id);
    const inSg = world.sendMessage({ chat: sg, senderId: client.id, text: 'web-03 returns 502' });
    const inBg = world.sendMessage({ chat: bg, senderId: client.id, text: 'Не работает 1С' });
    const inPm = world.sendMessage({ chat: pm, senderId: olga.id, text: 'Подменишь завтра?' });

    expect(sg.id).toBe(supergroupChatId(sg.supergroupId ?? 0));
    expect(bg.id).toBe(basicGroupChatId(bg.basicGroupId ?? 0));
    expect(pm.idFor(ivan.id)).toBe(olga.id);
    expect(pm.idFor(olga.id)).toBe(ivan.id);

    // Supergroup: server ids count per chat (1 is the creation message), the same for everyone.
    expect(inSg.idFor(ivan.id)).toBe(messageIdFromServerId(2));
    expect(inSg.idFor(olga.id)).toBe(inSg.idFor(ivan.id));
    expect(inSg.idFor(client.id)).toBe(inSg.idFor(ivan.id));
    // Basic group and private chat: different per account, always server id << 20.
    expect(inBg.idFor(ivan.id)).not.toBe(inBg.idFor(olga.id));
    expect(inPm.idFor(ivan.id)).not.toBe(inPm.idFor(olga.id));
    for (const id of [inBg.idFor(ivan.id), inBg.idFor(olga.id), inPm.idFor(ivan.id)]) expect((id ?? 1) % 1048576).toBe(0);

    const truth = world.allMessages().find((m) => m.key === inBg.key);
    expect(truth?.messageIds[ivan.id]).toBe(inBg.idFor(ivan.id));
    expect(truth?.messageIds[olga.id]).toBe(inBg.idFor(olga.id));

    // Each account's TDLib reports its own ids.
    for (const user of [ivan, olga]) {
      const { t } = await connected(world, user.id);
      await loadAllChats(t);
      const [bgLast] = (await t.invoke({ _: 'getChatHistory', chat_id: bg.id, from_message_id: 0, offset: 0, limit: 1 })).messages;
      expect(bgLast?.id).toBe(inBg.idFor(user.id));
      const [pmLast] = (await t.invoke({ _: 'getChatHistory', chat_id: pm.idFor(user.id), from_message_id: 0, offset: 0, limit: 1 })).messages;
      expect(pmLast?.id).toBe(inPm.idFor(user.id));
      expect(pmLast?.is_outgoing).toBe(user.id === olga.id);
      await t.close();
    }
  });
});

describe('authorization and lifecycle', () => {
  it('brings a logged-in account to ready and announces itself and known users first', async () => {
    const { world, ivan, olga, client } = smallWorld();
    const { t, rec } = await connected(world, ivan.id);
    const states = rec.of('updateAuthorizationState').map((u) => u.authorization_state._);
    expect(states).toEqual(['authorizationStateWaitTdlibParameters', 'authorizationStateReady']);
    const connection = rec.of('updateConnectionState').map((u) => u.state._);
    expect(connection.slice(-2)).toEqual(['connectionStateUpdating', 'connectionStateReady']);
    expect(rec.of('updateUser').map((u) => u.user.id)).toEqual(expect.arrayContaining([ivan.id, olga.id, client.id]));
    const me = await t.invoke({ _: 'getMe' });
    expect(me.id).toBe(ivan.id);
    expect(me.usernames?.active_usernames).toEqual(['ivan_ops']);
    expect(await t.invoke({ _: 'getOption', name: 'my_id' })).toEqual({ _: 'optionValueInteger', value: String(ivan.id) });
    expect(await t.invoke({ _: 'getOption', name: 'online' })).toEqual({ _: 'optionValueBoolean', value: false });
    await t.close();
  });

  it('walks a logged-out account through phone, code and password, rejecting wrong answers as TDLib does', async () => {
    const world = createSimWorld({ seed: 2, authCode: '54321' });
    const user = world.addUser({ firstName: 'Anna', phone: '+7 912 345 67 89', account: true, loggedIn: false, password: 'hunter2' });
    const t = world.connect(user.id);
    const rec = record(t);
    await rec.waitFor('updateAuthorizationState', (u) => u.authorization_state._ === 'authorizationStateWaitPhoneNumber');

    expect((await rejection(t.invoke({ _: 'getMe' }))).code).toBe(401);
    expect(await rejection(t.invoke({ _: 'setAuthenticationPhoneNumber', phone_number: '+7 900 000 00 00' }))).toMatchObject({ code: 400, message: 'PHONE_NUMBER_INVALID' });
    await t.invoke({ _: 'setAuthenticationPhoneNumber', phone_number: '79123456789' });
    const waitCode = await rec.waitFor('updateAuthorizationState', (u) => u.authorization_state._ === 'authorizationStateWaitCode');
    expect(waitCode.authorization_state).toMatchObject({ code_info: { phone_number: '79123456789' } });

    expect(await rejection(t.invoke({ _: 'checkAuthenticationCode', code: '11111' }))).toMatchObject({ _: 'error', code: 400, message: 'PHONE_CODE_INVALID' });
    await t.invoke({ _: 'checkAuthenticationCode', code: '54321' });
    await rec.waitFor('updateAuthorizationState', (u) => u.authorization_state._ === 'authorizationStateWaitPassword');
    expect(await rejection(t.invoke({ _: 'checkAuthenticationPassword', password: 'nope' }))).toMatchObject({ code: 400, message: 'PASSWORD_HASH_INVALID' });
    await t.invoke({ _: 'checkAuthenticationPassword', password: 'hunter2' });
    await ready(rec);
    expect((await t.invoke({ _: 'getMe' })).id).toBe(user.id);
    await t.close();
  });

  it('logs in by QR code once the phone confirms, refreshing the link while it waits', async () => {
    const world = createSimWorld({ seed: 3 });
    const user = world.addUser({ firstName: 'Max', account: true, loggedIn: false });
    const t = world.connect(user.id);
    const rec = record(t);
    await rec.waitFor('updateAuthorizationState', (u) => u.authorization_state._ === 'authorizationStateWaitPhoneNumber');
    await t.invoke({ _: 'requestQrCodeAuthentication', other_user_ids: [] });
    const first = await rec.waitFor('updateAuthorizationState', (u) => u.authorization_state._ === 'authorizationStateWaitOtherDeviceConfirmation');
    world.refreshQrLink(user.id);
    await drain();
    const links = rec
      .of('updateAuthorizationState')
      .flatMap((u) => (u.authorization_state._ === 'authorizationStateWaitOtherDeviceConfirmation' ? [u.authorization_state.link] : []));
    expect(links).toHaveLength(2);
    expect(links[0]).toMatch(/^tg:\/\/login\?token=/);
    expect(links[1]).not.toBe(links[0]);
    // The link the client was first shown is the one the refresh replaced.
    expect(first.authorization_state).toMatchObject({ _: 'authorizationStateWaitOtherDeviceConfirmation', link: links[0] });
    world.confirmQrLogin(user.id);
    await ready(rec);
    await t.close();
  });

  it('closes with closing then closed, and rejects calls afterwards like tdl', async () => {
    const { world, ivan } = smallWorld();
    const { t, rec } = await connected(world, ivan.id);
    await t.close();
    const states = rec.of('updateAuthorizationState').map((u) => u.authorization_state._);
    expect(states.slice(-2)).toEqual(['authorizationStateClosing', 'authorizationStateClosed']);
    await expect(t.invoke({ _: 'getMe' })).rejects.toThrow('Client was closed');
    expect(world.isConnected(ivan.id)).toBe(false);
  });

  it('rejects functions it does not know with a TDLib-like 400', async () => {
    const { world, ivan } = smallWorld();
    const { t } = await connected(world, ivan.id);
    const error = await rejection(t.invoke({ _: 'getStarTransactions', owner_id: { _: 'messageSenderUser', user_id: ivan.id }, subscription_id: '', offset: '', limit: 10 }));
    expect(error).toMatchObject({ _: 'error', code: 400 });
    expect(error.message).toContain('getStarTransactions');
    expect(await rejection(t.invoke({ _: 'testReturnError', error: { _: 'error', code: 420, message: 'FLOOD_WAIT_7' } }))).toMatchObject({ code: 420, message: 'FLOOD_WAIT_7' });
    await t.close();
  });
});

describe('chat list', () => {
  it('announces chats through updates during loadChats and answers 404 once everything is loaded', async () => {
    const { world, ivan, olga, client } = smallWorld();
    for (let i = 0; i < 25; i++) world.createSupergroup(`Client ${i}`, [ivan.id, client.id], [ivan.id]);
    world.createSupergroup('Not mine', [olga.id, client.id], [olga.id]);
    const { t, rec } = await connected(world, ivan.id);
    const successful = await loadAllChats(t);
    expect(successful).toBe(2); // 27 chats in pages of 20

    const newChats = rec.of('updateNewChat');
    expect(newChats).toHaveLength(27);
    expect(newChats.map((u) => u.chat.title)).not.toContain('Not mine');
    // A chat arrives bare; its position and last message follow in their own update.
    expect(newChats.every((u) => u.chat.positions.length === 0 && u.chat.last_message === undefined)).toBe(true);
    const lastMessages = rec.of('updateChatLastMessage');
    for (const u of newChats) {
      const follow = lastMessages.find((l) => l.chat_id === u.chat.id);
      expect(follow?.positions[0]?.list).toEqual({ _: 'chatListMain' });
      expect(typeof follow?.positions[0]?.order).toBe('string');
    }
    // TDLib order: an int64 string, newer activity sorts higher.
    const orders = lastMessages.map((u) => BigInt(u.positions[0]?.order ?? '0'));
    expect(orders.every((o) => o > 0n)).toBe(true);

    expect((await rejection(t.invoke({ _: 'loadChats', chat_list: { _: 'chatListMain' }, limit: 20 }))).code).toBe(404);
    expect((await rejection(t.invoke({ _: 'loadChats', chat_list: { _: 'chatListArchive' }, limit: 20 }))).code).toBe(404);

    // A chat joined later arrives by updates alone.
    const later = world.createSupergroup('New client', [olga.id, client.id], [olga.id]);
    world.addMember(later, ivan.id, { inviterId: olga.id });
    const announced = await rec.waitFor('updateNewChat', (u) => u.chat.id === later.id);
    expect(announced.chat.title).toBe('New client');
    await rec.waitFor('updateChatLastMessage', (u) => u.chat_id === later.id && u.last_message?.content._ === 'messageChatAddMembers');
    await t.close();
  });

  it('pins at most five chats, only after the list was loaded, above every unpinned chat', async () => {
    const { world, ivan, client } = smallWorld();
    const chats = Array.from({ length: 7 }, (_, i) => world.createSupergroup(`Client ${i}`, [ivan.id, client.id], [ivan.id]));
    const { t, rec } = await connected(world, ivan.id);
    expect(await rejection(t.invoke({ _: 'toggleChatIsPinned', chat_list: { _: 'chatListMain' }, chat_id: chats[0]?.id, is_pinned: true }))).toMatchObject({
      code: 400,
      message: 'Pinned chats must be loaded first',
    });
    await loadAllChats(t);
    for (const chat of chats.slice(0, 5)) await t.invoke({ _: 'toggleChatIsPinned', chat_list: { _: 'chatListMain' }, chat_id: chat.id, is_pinned: true });
    expect(await rejection(t.invoke({ _: 'toggleChatIsPinned', chat_list: { _: 'chatListMain' }, chat_id: chats[5]?.id, is_pinned: true }))).toMatchObject({
      code: 400,
      message: 'The maximum number of pinned chats exceeded',
    });
    expect(await t.invoke({ _: 'getOption', name: 'pinned_chat_count_max' })).toEqual({ _: 'optionValueInteger', value: '5' });

    const pinned = await rec.waitFor('updateChatPosition', (u) => u.chat_id === chats[4]?.id && u.position.is_pinned);
    // New activity in an unpinned chat still sorts below any pin; the latest pin is on top.
    world.sendMessage({ chat: chats[6] ?? '', senderId: client.id, text: 'urgent' });
    const bumped = await rec.waitFor('updateChatLastMessage', (u) => u.chat_id === chats[6]?.id && textOf(u.last_message) === 'urgent');
    expect(BigInt(pinned.position.order)).toBeGreaterThan(BigInt(bumped.positions[0]?.order ?? '0'));
    const firstPin = rec.of('updateChatPosition').find((u) => u.chat_id === chats[0]?.id && u.position.is_pinned);
    expect(BigInt(pinned.position.order)).toBeGreaterThan(BigInt(firstPin?.position.order ?? '0'));

    // Unpin frees a slot; the pin is the account's own, synced to all its devices.
    await t.invoke({ _: 'toggleChatIsPinned', chat_list: { _: 'chatListMain' }, chat_id: chats[0]?.id, is_pinned: false });
    await t.invoke({ _: 'toggleChatIsPinned', chat_list: { _: 'chatListMain' }, chat_id: chats[5]?.id, is_pinned: true });
    expect(world.chatState(ivan.id, chats[5] ?? '').isPinned).toBe(true);
    expect(world.chatState(ivan.id, chats[0] ?? '').isPinned).toBe(false);
    await t.close();
  });
});

describe('history', () => {
  it('returns one message on the first page from the end, then pages newest first down to an empty page', async () => {
    const { world, ivan, client, sg } = smallWorld();
    for (let i = 1; i <= 130; i++) world.sendMessage({ chat: sg, senderId: i % 3 ? client.id : ivan.id, text: `line ${i}` });
    const { t } = await connected(world, ivan.id);
    await loadAllChats(t);
    const { messages, pages } = await fullHistory(t, sg.id, 50);
    expect(pages[0]).toBe(1);
    expect(pages.every((n) => n >= 1 && n <= 50)).toBe(true);
    const ids = messages.map((m) => m.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort((a, b) => b - a)).toEqual(ids);
    const truth = world.allMessages().filter((m) => m.chatKey === sg.key);
    expect(ids).toEqual(truth.map((m) => m.messageIds[ivan.id]).reverse());
    expect(textOf(messages[0])).toBe('line 130');
    expect(messages[messages.length - 1]?.content._).toBe('messageSupergroupChatCreate');
    await t.close();
  });

  it('reads strictly below from_message_id, and a negative offset adds newer messages', async () => {
    const { world, ivan, client, sg } = smallWorld({ historyPaging: 'full' });
    const sent = Array.from({ length: 10 }, (_, i) => world.sendMessage({ chat: sg, senderId: client.id, text: `m${i}` }));
    const { t } = await connected(world, ivan.id);
    const pivot = sent[5]?.sharedId ?? 0;
    const below = await t.invoke({ _: 'getChatHistory', chat_id: sg.id, from_message_id: pivot, offset: 0, limit: 3 });
    expect(below.messages.map(textOf)).toEqual(['m4', 'm3', 'm2']);
    const around = await t.invoke({ _: 'getChatHistory', chat_id: sg.id, from_message_id: pivot, offset: -2, limit: 4 });
    expect(around.messages.map(textOf)).toEqual(['m6', 'm5', 'm4', 'm3']);
    expect(await rejection(t.invoke({ _: 'getChatHistory', chat_id: sg.id, from_message_id: 0, offset: 0, limit: 0 }))).toMatchObject({ code: 400 });
    expect(await rejection(t.invoke({ _: 'getChatHistory', chat_id: sg.id, from_message_id: pivot, offset: -5, limit: 3 }))).toMatchObject({ code: 400 });
    await t.close();
  });
});

describe('messages and unread state', () => {
  it('keeps unread counts absolute, marks the sender read, and turns a send into pending then succeeded', async () => {
    const { world, ivan, olga, client, bg } = smallWorld();
    const a = await connected(world, ivan.id);
    const b = await connected(world, olga.id);
    await loadAllChats(a.t);
    await loadAllChats(b.t);
    world.readChat(ivan.id, bg);
    world.readChat(olga.id, bg);
    await drain();
    a.rec.clear();
    b.rec.clear();

    world.sendMessage({ chat: bg, senderId: client.id, text: 'Сервер 10.0.3.17 недоступен' });
    world.sendMessage({ chat: bg, senderId: client.id, text: 'Срочно!' });
    const read = await a.rec.waitFor('updateChatReadInbox', (u) => u.chat_id === bg.id && u.unread_count === 2);
    expect(read.last_read_inbox_message_id).toBe(world.chatState(ivan.id, bg).lastReadInboxId);

    // Ivan answers from the daemon: pending first, then the server id.
    const pending = await a.t.invoke({
      _: 'sendMessage',
      chat_id: bg.id,
      input_message_content: { _: 'inputMessageText', text: { _: 'formattedText', text: 'Смотрю, https://status.example/incident/42' }, link_preview_options: { _: 'linkPreviewOptions', is_disabled: true } },
    });
    expect(pending.sending_state?._).toBe('messageSendingStatePending');
    expect(pending.id % 1048576).not.toBe(0);
    const succeeded = await a.rec.waitFor('updateMessageSendSucceeded', (u) => u.old_message_id === pending.id);
    const truth = world.allMessages().find((m) => m.text.startsWith('Смотрю'));
    expect(succeeded.message.id).toBe(truth?.messageIds[ivan.id]);
    expect(succeeded.message.is_outgoing).toBe(true);
    expect(succeeded.message.sending_state).toBeUndefined();
    expect(truth?.linkPreviewDisabled).toBe(true);
    const entities = succeeded.message.content._ === 'messageText' ? succeeded.message.content.text.entities : [];
    expect(entities.map((e) => e.type._)).toContain('textEntityTypeUrl');
    // Writing to the chat read it for the sender.
    await a.rec.waitFor('updateChatReadInbox', (u) => u.chat_id === bg.id && u.unread_count === 0);

    // Olga sees it as an incoming message with her own id, and her unread count grows.
    const incoming = await b.rec.waitFor('updateNewMessage', (u) => textOf(u.message).startsWith('Смотрю'));
    expect(incoming.message.is_outgoing).toBe(false);
    expect(incoming.message.id).toBe(truth?.messageIds[olga.id]);
    await b.rec.waitFor('updateChatReadInbox', (u) => u.chat_id === bg.id && u.unread_count === 3);

    // Olga reads on her phone: Ivan learns his message was read.
    world.readChat(olga.id, bg);
    await a.rec.waitFor('updateChatReadOutbox', (u) => u.chat_id === bg.id && u.last_read_outbox_message_id === truth?.messageIds[ivan.id]);
    await a.t.close();
    await b.t.close();
  });

  it('counts @mentions and replies as mentions of that account, read by viewing in an opened chat only', async () => {
    const { world, ivan, olga, client, sg } = smallWorld();
    const { t, rec } = await connected(world, ivan.id);
    await loadAllChats(t);
    const own = world.sendMessage({ chat: sg, senderId: ivan.id, text: 'Перезапустил nginx на web-03' });
    const mention = world.sendMessage({ chat: sg, senderId: client.id, text: '@ivan_ops посмотрите, пожалуйста, снова 502' });
    world.sendMessage({ chat: sg, senderId: client.id, text: 'всё ещё падает', replyTo: own });
    world.sendMessage({ chat: sg, senderId: client.id, text: '@olga_ops и вы тоже' });
    await rec.waitFor('updateChatUnreadMentionCount', (u) => u.chat_id === sg.id && u.unread_mention_count === 2);
    expect(world.chatState(olga.id, sg).unreadMentionCount).toBe(1);
    const msg = await t.invoke({ _: 'getMessage', chat_id: sg.id, message_id: mention.sharedId ?? 0 });
    expect(msg.contains_unread_mention).toBe(true);
    const entity = msg.content._ === 'messageText' ? msg.content.text.entities[0] : undefined;
    expect(entity).toMatchObject({ offset: 0, length: 9, type: { _: 'textEntityTypeMention' } });

    // Viewing without opening the chat does nothing (the daemon must not read for people anyway).
    await t.invoke({ _: 'viewMessages', chat_id: sg.id, message_ids: [mention.sharedId ?? 0], force_read: false });
    expect(world.chatState(ivan.id, sg).unreadMentionCount).toBe(2);
    await t.invoke({ _: 'openChat', chat_id: sg.id });
    await t.invoke({ _: 'viewMessages', chat_id: sg.id, message_ids: [mention.sharedId ?? 0], force_read: false });
    const read = await rec.waitFor('updateMessageMentionRead', (u) => u.message_id === mention.sharedId);
    expect(read.unread_mention_count).toBe(1);
    await t.invoke({ _: 'readAllChatMentions', chat_id: sg.id });
    await rec.waitFor('updateChatUnreadMentionCount', (u) => u.chat_id === sg.id && u.unread_mention_count === 0);
    await t.close();
  });

  it('reads every chat with readChatList but leaves mentions, and toggles the unread mark', async () => {
    const { world, ivan, client, sg, bg } = smallWorld();
    world.sendMessage({ chat: sg, senderId: client.id, text: '@ivan_ops help' });
    world.sendMessage({ chat: bg, senderId: client.id, text: 'ping' });
    const { t, rec } = await connected(world, ivan.id);
    await loadAllChats(t);
    await t.invoke({ _: 'toggleChatIsMarkedAsUnread', chat_id: bg.id, is_marked_as_unread: true });
    await rec.waitFor('updateChatIsMarkedAsUnread', (u) => u.chat_id === bg.id && u.is_marked_as_unread);
    await t.invoke({ _: 'readChatList', chat_list: { _: 'chatListMain' } });
    await rec.waitFor('updateChatReadInbox', (u) => u.chat_id === sg.id && u.unread_count === 0);
    await rec.waitFor('updateChatIsMarkedAsUnread', (u) => u.chat_id === bg.id && !u.is_marked_as_unread);
    expect(world.chatState(ivan.id, bg).unreadCount).toBe(0);
    expect(world.chatState(ivan.id, sg).unreadMentionCount).toBe(1);
    await t.close();
  });

  it('delivers edits, deletions and reactions to every account holding the message', async () => {
    const { world, ivan, olga, client, sg } = smallWorld();
    const { t, rec } = await connected(world, ivan.id);
    await loadAllChats(t);
    const m = world.sendMessage({ chat: sg, senderId: client.id, text: 'ORA-00942 на db-prod-2' });
    const next = world.sendMessage({ chat: sg, senderId: client.id, text: 'ой, не туда' });
    world.editMessage(m, { text: 'ORA-00942 на db-prod-2.example' });
    const content = await rec.waitFor('updateMessageContent', (u) => u.message_id === m.sharedId);
    expect(content.new_content._ === 'messageText' && content.new_content.text.text).toBe('ORA-00942 на db-prod-2.example');
    await rec.waitFor('updateMessageEdited', (u) => u.message_id === m.sharedId && u.edit_date > 0);
    await drain();
    rec.clear();
    world.deleteMessages([next]);
    const deleted = await rec.waitFor('updateDeleteMessages', (u) => u.chat_id === sg.id);
    expect(deleted).toMatchObject({ message_ids: [next.sharedId], is_permanent: true, from_cache: false });
    const last = await rec.waitFor('updateChatLastMessage', (u) => u.chat_id === sg.id && u.last_message?.id === m.sharedId);
    expect(last.last_message?.edit_date).toBeGreaterThan(0);
    world.react(olga.id, m, '👍');
    const info = await rec.waitFor('updateMessageInteractionInfo', (u) => u.message_id === m.sharedId);
    expect(info.interaction_info?.reactions?.reactions[0]).toMatchObject({ type: { _: 'reactionTypeEmoji', emoji: '👍' }, total_count: 1, is_chosen: false });
    expect(world.allMessages().find((x) => x.key === next.key)?.deleted).toBe(true);
    await t.close();
  });
});

describe('per-account settings', () => {
  it('replaces the whole notification settings object: omitted fields become false or 0', async () => {
    const { world, ivan, olga, sg } = smallWorld();
    const { t, rec } = await connected(world, ivan.id);
    await loadAllChats(t);
    const before = (await t.invoke({ _: 'getChat', chat_id: sg.id })).notification_settings;
    expect(before.use_default_mute_for).toBe(true);
    expect(before.use_default_sound).toBe(true);

    await t.invoke({ _: 'setChatNotificationSettings', chat_id: sg.id, notification_settings: { _: 'chatNotificationSettings', mute_for: 366 * 86400 + 1 } });
    const update = await rec.waitFor('updateChatNotificationSettings', (u) => u.chat_id === sg.id);
    const expected: Td.chatNotificationSettings = {
      _: 'chatNotificationSettings',
      use_default_mute_for: false,
      mute_for: 366 * 86400 + 1,
      use_default_sound: false,
      sound_id: '0',
      use_default_show_preview: false,
      show_preview: false,
      use_default_mute_stories: false,
      mute_stories: false,
      use_default_story_sound: false,
      story_sound_id: '0',
      use_default_show_story_poster: false,
      show_story_poster: false,
      use_default_disable_pinned_message_notifications: false,
      disable_pinned_message_notifications: false,
      use_default_disable_mention_notifications: false,
      disable_mention_notifications: false,
    };
    expect(update.notification_settings).toEqual(expected);
    expect((await t.invoke({ _: 'getChat', chat_id: sg.id })).notification_settings).toEqual(expected);
    // Settings belong to the account: Olga's chat is untouched.
    expect(world.chatState(olga.id, sg).notificationSettings.use_default_mute_for).toBe(true);

    // Copy-and-change keeps everything else.
    await t.invoke({ _: 'setChatNotificationSettings', chat_id: sg.id, notification_settings: { ...before, use_default_mute_for: false, mute_for: 0 } });
    await rec.waitFor('updateChatNotificationSettings', (u) => u.chat_id === sg.id && u.notification_settings.use_default_sound);
    expect(world.chatState(ivan.id, sg).notificationSettings).toEqual({ ...before, use_default_mute_for: false, mute_for: 0 });

    const scope = await t.invoke({ _: 'getScopeNotificationSettings', scope: { _: 'notificationSettingsScopeGroupChats' } });
    expect(scope).toMatchObject({ _: 'scopeNotificationSettings', mute_for: 0 });
    await t.close();
  });
});

describe('members, links, reactions', () => {
  it('adds members like Telegram: privacy failures reported, basic groups one at a time, rights and limits enforced', async () => {
    const { world, ivan, olga, client, sg, bg } = smallWorld();
    const shy = world.addUser({ firstName: 'Shy', restrictsInvites: true });
    const newbie = world.addUser({ firstName: 'Newbie' });
    const stranger = world.addUser({ firstName: 'Stranger' });
    const other = world.createSupergroup('Where Ivan met them', [ivan.id, shy.id, newbie.id], [ivan.id]);
    expect(other.kind).toBe('supergroup');
    const { t } = await connected(world, ivan.id);
    await loadAllChats(t);

    const result = await t.invoke({ _: 'addChatMembers', chat_id: sg.id, user_ids: [shy.id, newbie.id] });
    expect(result.failed_to_add_members).toEqual([{ _: 'failedToAddMember', user_id: shy.id, premium_would_allow_invite: false, premium_required_to_send_messages: false }]);
    expect(world.isMember(sg, newbie.id)).toBe(true);
    expect(world.isMember(sg, shy.id)).toBe(false);

    expect(await rejection(t.invoke({ _: 'addChatMembers', chat_id: bg.id, user_ids: [shy.id, newbie.id] }))).toMatchObject({
      code: 400,
      message: "Can't add many members at once to a basic group chat",
    });
    await t.invoke({ _: 'addChatMember', chat_id: bg.id, user_id: newbie.id, forward_limit: 0 });
    expect(world.isMember(bg, newbie.id)).toBe(true);
    expect(await rejection(t.invoke({ _: 'addChatMembers', chat_id: sg.id, user_ids: [stranger.id] }))).toMatchObject({ code: 400 });
    const many = Array.from({ length: 21 }, (_, i) => world.addUser({ firstName: `Bulk ${i}` }).id);
    expect((await rejection(t.invoke({ _: 'addChatMembers', chat_id: sg.id, user_ids: many }))).code).toBe(400);

    // A plain member of a supergroup may not invite.
    world.setLoggedIn(client.id, true);
    const c = await connected(world, client.id);
    expect(await rejection(c.t.invoke({ _: 'addChatMembers', chat_id: sg.id, user_ids: [olga.id] }))).toMatchObject({
      message: 'Not enough rights to invite members to the supergroup chat',
    });

    // setChatMemberStatus turns a privacy refusal into an error; banning removes.
    expect(await rejection(t.invoke({ _: 'setChatMemberStatus', chat_id: sg.id, member_id: { _: 'messageSenderUser', user_id: shy.id }, status: { _: 'chatMemberStatusMember' } }))).toMatchObject({
      code: 403,
      message: 'USER_PRIVACY_RESTRICTED',
    });
    await t.invoke({ _: 'banChatMember', chat_id: sg.id, member_id: { _: 'messageSenderUser', user_id: newbie.id }, banned_until_date: 0, revoke_messages: false });
    expect(world.isMember(sg, newbie.id)).toBe(false);
    const banned = await t.invoke({ _: 'getSupergroupMembers', supergroup_id: sg.supergroupId ?? 0, filter: { _: 'supergroupMembersFilterBanned' }, offset: 0, limit: 50 });
    expect(banned.members.map((m) => m.member_id._ === 'messageSenderUser' && m.member_id.user_id)).toEqual([newbie.id]);
    const admins = await t.invoke({ _: 'searchChatMembers', chat_id: sg.id, query: '', limit: 50, filter: { _: 'chatMembersFilterAdministrators' } });
    expect(admins.members.map((m) => m.status._).sort()).toEqual(['chatMemberStatusAdministrator', 'chatMemberStatusCreator']);
    const full = await t.invoke({ _: 'getBasicGroupFullInfo', basic_group_id: bg.basicGroupId ?? 0 });
    expect(full.members.map((m) => (m.member_id._ === 'messageSenderUser' ? m.member_id.user_id : 0))).toContain(newbie.id);
    await t.close();
    await c.t.close();
  });

  it('creates invite links with a member limit that Telegram enforces', async () => {
    const { world, ivan, sg } = smallWorld();
    const { t } = await connected(world, ivan.id);
    await loadAllChats(t);
    const link = await t.invoke({ _: 'createChatInviteLink', chat_id: sg.id, name: 'bulk job', expiration_date: 0, member_limit: 1, creates_join_request: false });
    expect(link).toMatchObject({ _: 'chatInviteLink', member_limit: 1, creator_user_id: ivan.id, name: 'bulk job' });
    expect(link.invite_link).toMatch(/^https:\/\/t\.me\/\+/);
    const first = world.addUser({ firstName: 'First' });
    const second = world.addUser({ firstName: 'Second' });
    world.joinByLink(first.id, link.invite_link);
    expect(world.isMember(sg, first.id)).toBe(true);
    expect(() => world.joinByLink(second.id, link.invite_link)).toThrow('INVITE_HASH_EXPIRED');
    await t.close();
  });

  it('gives message links in supergroups only', async () => {
    const { world, ivan, client, sg, bg } = smallWorld();
    const inSg = world.sendMessage({ chat: sg, senderId: client.id, text: 'see 10.0.3.17' });
    const inBg = world.sendMessage({ chat: bg, senderId: client.id, text: 'see 10.0.3.18' });
    const { t } = await connected(world, ivan.id);
    const link = await t.invoke({ _: 'getMessageLink', chat_id: sg.id, message_id: inSg.sharedId ?? 0, media_timestamp: 0, for_album: false, in_message_thread: false });
    expect(link).toEqual({ _: 'messageLink', link: `https://t.me/c/${sg.supergroupId}/2`, is_public: false });
    expect(await rejection(t.invoke({ _: 'getMessageLink', chat_id: bg.id, message_id: inBg.idFor(ivan.id) ?? 0 }))).toMatchObject({
      code: 400,
      message: 'Message links are available only for messages in supergroups and channel chats',
    });
    await t.invoke({ _: 'addMessageReaction', chat_id: sg.id, message_id: inSg.sharedId ?? 0, reaction_type: { _: 'reactionTypeEmoji', emoji: '👀' }, is_big: false, update_recent_reactions: false });
    const got = await t.invoke({ _: 'getMessage', chat_id: sg.id, message_id: inSg.sharedId ?? 0 });
    expect(got.interaction_info?.reactions?.reactions[0]).toMatchObject({ is_chosen: true, total_count: 1 });
    await t.invoke({ _: 'removeMessageReaction', chat_id: sg.id, message_id: inSg.sharedId ?? 0, reaction_type: { _: 'reactionTypeEmoji', emoji: '👀' } });
    expect((await t.invoke({ _: 'getMessage', chat_id: sg.id, message_id: inSg.sharedId ?? 0 })).interaction_info).toBeUndefined();
    await t.close();
  });
});

describe('private chats', () => {
  it('opens a private chat with a user the account has met, announced before the answer, once; others get TDLib\'s 400', async () => {
    const { world, ivan, client } = smallWorld();
    const stranger = world.addUser({ firstName: 'Stranger' });
    const { t, rec } = await connected(world, ivan.id);
    await loadAllChats(t);
    await drain();
    rec.clear();

    const pm = await t.invoke({ _: 'createPrivateChat', user_id: client.id, force: false });
    expect(pm).toMatchObject({ _: 'chat', id: client.id, type: { _: 'chatTypePrivate', user_id: client.id }, positions: [] });
    // updateNewChat came first, then the answer; the user had been announced before it.
    const announced = rec.of('updateNewChat').filter((u) => u.chat.id === client.id);
    expect(announced).toHaveLength(1);
    expect(announced[0]!.chat.positions).toEqual([]); // an empty private chat is in no list yet
    expect(world.chats().filter((c) => c.kind === 'private')).toHaveLength(1);
    // Asking again returns the same chat and announces nothing new.
    expect((await t.invoke({ _: 'createPrivateChat', user_id: client.id, force: false })).id).toBe(client.id);
    expect(rec.of('updateNewChat').filter((u) => u.chat.id === client.id)).toHaveLength(1);
    expect(world.chats().filter((c) => c.kind === 'private')).toHaveLength(1);

    // A user the account never met, and one that does not exist: TDLib has no info on them.
    expect(await rejection(t.invoke({ _: 'createPrivateChat', user_id: stranger.id, force: false }))).toMatchObject({ code: 400, message: 'Chat info not found' });
    expect(await rejection(t.invoke({ _: 'createPrivateChat', user_id: 777, force: false }))).toMatchObject({ code: 400, message: 'Chat info not found' });
    expect(world.chats().filter((c) => c.kind === 'private')).toHaveLength(1);

    // The first message puts the chat in the list and reaches the user.
    await t.invoke({ _: 'sendMessage', chat_id: client.id, input_message_content: { _: 'inputMessageText', text: { _: 'formattedText', text: 'Hello from support' } } });
    await rec.waitFor('updateMessageSendSucceeded');
    await rec.waitFor('updateChatLastMessage', (u) => u.chat_id === client.id && u.positions.length > 0 && u.last_message?.sending_state === undefined);
    expect(world.allMessages().filter((m) => m.chatKind === 'private').map((m) => m.text)).toEqual(['Hello from support']);
    await t.close();
  });

  it('refuses a first message to a user who lets only contacts start a chat, until they wrote or are a contact', async () => {
    const { world, ivan, olga, client } = smallWorld();
    world.failures.restrictNewChats(client.id);
    world.failures.restrictNewChats(olga.id);
    world.addContact(ivan.id, olga.id);
    const { t, rec } = await connected(world, ivan.id);
    await loadAllChats(t);
    const send = (chatId: number, text: string) =>
      t.invoke({ _: 'sendMessage', chat_id: chatId, input_message_content: { _: 'inputMessageText', text: { _: 'formattedText', text } } });

    await t.invoke({ _: 'createPrivateChat', user_id: client.id, force: false });
    const pending = await send(client.id, 'Your invite link');
    expect(pending.sending_state?._).toBe('messageSendingStatePending');
    const failed = await rec.waitFor('updateMessageSendFailed', (u) => u.old_message_id === pending.id);
    expect(failed.error).toEqual({ _: 'error', code: 403, message: 'PRIVACY_PREMIUM_REQUIRED' });
    expect(failed.message.sending_state?._).toBe('messageSendingStateFailed');
    expect(world.allMessages().filter((m) => m.chatKind === 'private')).toEqual([]);
    expect((await t.invoke({ _: 'getUser', user_id: client.id })).restricts_new_chats).toBe(true);

    // A contact may write; so may anyone once the user wrote in the chat.
    await t.invoke({ _: 'createPrivateChat', user_id: olga.id, force: false });
    const toOlga = await send(olga.id, 'Hi Olga');
    await rec.waitFor('updateMessageSendSucceeded', (u) => u.old_message_id === toOlga.id);
    world.sendMessage({ chat: world.ensurePrivateChat(client.id, ivan.id), senderId: client.id, text: 'Hi, it is me' });
    const again = await send(client.id, 'Your invite link');
    await rec.waitFor('updateMessageSendSucceeded', (u) => u.old_message_id === again.id);
    expect(world.allMessages().filter((m) => m.chatKind === 'private').map((m) => m.text).sort()).toEqual(['Hi Olga', 'Hi, it is me', 'Your invite link']);
    await t.close();
  });
});

describe('call log', () => {
  it('records every call with account, method, time and request, so tests can assert what sync never does', async () => {
    const { world, clock, ivan, client, sg } = smallWorld();
    world.sendMessage({ chat: sg, senderId: client.id, text: 'hello' });
    const { t } = await connected(world, ivan.id);
    clock.advance(5000);
    await loadAllChats(t);
    await fullHistory(t, sg.id);
    const syncMethods = new Set(world.callLog({ accountUserId: ivan.id }).map((c) => c.method));
    expect(syncMethods).toEqual(new Set(['loadChats', 'getChatHistory']));
    for (const forbidden of ['viewMessages', 'openChat', 'readChatList', 'setOption']) expect(syncMethods.has(forbidden)).toBe(false);

    await t.invoke({ _: 'setOption', name: 'online', value: { _: 'optionValueBoolean', value: true } });
    const call = world.callLog({ method: 'setOption' })[0];
    expect(call).toMatchObject({ accountUserId: ivan.id, method: 'setOption', at: clock.now(), request: { name: 'online', value: { _: 'optionValueBoolean', value: true } } });
    // Calls that fail are recorded too.
    await rejection(t.invoke({ _: 'getChat', chat_id: 42 }));
    expect(world.callLog({ method: 'getChat' })).toHaveLength(1);
    await t.close();
    expect(world.calls.at(-1)?.method).toBe('close');
  });
});
