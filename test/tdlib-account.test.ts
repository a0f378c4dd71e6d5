import type * as Td from 'tdlib-types';
import { describe, expect, it } from 'vitest';
import type { TgEvent } from '../src/domain/telegram.ts';
import { createMemoryLogger } from '../src/shared/log.ts';
import { createTelegramAccount } from '../src/tdlib/account.ts';
import { translateChat } from '../src/tdlib/translate.ts';
import type { TdTransport } from '../src/tdlib/transport.ts';
import { authState, chat, chatMember, message, notificationSettings } from './tdlib-fixtures.ts';

type Request = { readonly _: string } & Record<string, unknown>;
type Handler = (request: Request) => unknown;

/** Just enough of a TDLib client to unit-test the adapter: scripted answers, recorded requests. */
class FakeTransport implements TdTransport {
  readonly requests: Request[] = [];
  readonly answers: Record<string, Handler> = {};
  private readonly updateListeners: ((u: Td.Update) => void)[] = [];
  private readonly errorListeners: ((e: unknown) => void)[] = [];

  invoke<T extends Td.$FunctionName>(request: { readonly _: T } & Td.$FunctionInputByName[T]): Promise<Td.$FunctionResultByName[T]> {
    const req = request as unknown as Request;
    this.requests.push(req);
    const answer = this.answers[req._];
    if (!answer) return Promise.reject({ _: 'error', code: 400, message: `no fake answer for ${req._}` });
    try {
      return Promise.resolve(answer(req)) as Promise<Td.$FunctionResultByName[T]>;
    } catch (error) {
      return Promise.reject(error);
    }
  }
  onUpdate(listener: (update: Td.Update) => void): void {
    this.updateListeners.push(listener);
  }
  onError(listener: (error: unknown) => void): void {
    this.errorListeners.push(listener);
  }
  emit(update: Td.Update): void {
    for (const l of this.updateListeners) l(update);
  }
  emitError(error: unknown): void {
    for (const l of this.errorListeners) l(error);
  }
  async close(): Promise<void> {
    this.emit(authState({ _: 'authorizationStateClosing' }));
    this.emit(authState({ _: 'authorizationStateClosed' }));
  }
  methods(): string[] {
    return this.requests.map((r) => r._);
  }
}

const ok = (): Td.ok => ({ _: 'ok' });
const tdError = (code: number, message: string): Td.error => ({ _: 'error', code, message });
const title = (chat_id: number, t: string): Td.updateChatTitle => ({ _: 'updateChatTitle', chat_id, title: t });
const flush = () => new Promise<void>((r) => setImmediate(r));

function setup(options: { sendTimeoutMs?: number } = {}) {
  const transport = new FakeTransport();
  const logger = createMemoryLogger();
  const account = createTelegramAccount({ accountId: 'alice', transport, logger, ...options });
  return { transport, logger, account };
}

describe('event queue', () => {
  it('keeps TDLib order, batches what queued up, and never runs two handler calls at once', async () => {
    const { transport, account } = setup();
    const batches: string[][] = [];
    let active = 0;
    let maxActive = 0;
    let release!: () => void;
    const firstBatchHeld = new Promise<void>((r) => (release = r));

    // Updates before start() are kept.
    transport.emit(authState({ _: 'authorizationStateWaitTdlibParameters' }));
    transport.emit(title(1, 'a'));
    transport.emit({ _: 'updateOption', name: 'version', value: { _: 'optionValueString', value: '1.8.65' } });
    transport.emit(title(1, 'b'));

    await account.start(async (accountId, events) => {
      expect(accountId).toBe('alice');
      active++;
      maxActive = Math.max(maxActive, active);
      batches.push(events.map(describeEvent));
      if (batches.length === 1) await firstBatchHeld;
      active--;
    });
    await flush();
    expect(batches).toEqual([['auth:waitParameters', 'title:a', 'title:b']]);

    // While the first batch is still being handled, more arrives: one later batch, in order.
    for (const t of ['c', 'd', 'e']) transport.emit(title(1, t));
    await flush();
    expect(batches).toHaveLength(1);
    release();
    await flush();
    await flush();
    expect(batches).toEqual([['auth:waitParameters', 'title:a', 'title:b'], ['title:c', 'title:d', 'title:e']]);
    expect(maxActive).toBe(1);

    transport.emit(title(1, 'f'));
    await flush();
    expect(batches.at(-1)).toEqual(['title:f']);
  });

  it('tracks the auth state as updates arrive, before the handler sees them', async () => {
    const { transport, account } = setup();
    const seen: string[] = [];
    const started = account.start(async (_id, events) => void seen.push(...events.map(describeEvent)));
    expect(account.authState()).toEqual({ kind: 'waitParameters' });
    transport.emit(authState({ _: 'authorizationStateWaitPhoneNumber' }));
    expect(account.authState()).toEqual({ kind: 'waitPhoneNumber' });
    await started;
    await flush();
    expect(seen).toEqual(['auth:waitPhoneNumber']);
  });

  it('logs a failing handler and an out-of-band error, and keeps going', async () => {
    const { transport, account, logger } = setup();
    transport.emit(authState({ _: 'authorizationStateWaitPhoneNumber' }));
    const seen: string[] = [];
    await account.start(async (_id, events) => {
      seen.push(...events.map(describeEvent));
      if (seen.length === 1) throw new Error('store is down');
    });
    await flush();
    transport.emitError(new Error('Wrong database encryption key'));
    transport.emit(title(1, 'x'));
    await flush();
    expect(seen).toEqual(['auth:waitPhoneNumber', 'title:x']);
    expect(logger.lines.some((l) => l.includes('event handler failed'))).toBe(true);
    expect(logger.lines.some((l) => l.includes('Wrong database encryption key'))).toBe(true);
  });

  it('close() returns after the handler got the closed state', async () => {
    const { transport, account } = setup();
    transport.emit(authState({ _: 'authorizationStateWaitPhoneNumber' }));
    const seen: string[] = [];
    await account.start(async (_id, events) => {
      await new Promise((r) => setTimeout(r, 5));
      seen.push(...events.map(describeEvent));
    });
    await account.close();
    expect(seen.at(-1)).toBe('auth:closed');
    expect(account.authState()).toEqual({ kind: 'closed' });
  });
});

describe('reads', () => {
  it('loads main and archive chat lists until TDLib answers 404', async () => {
    const { transport, account } = setup();
    let mainRounds = 0;
    transport.answers.loadChats = (r) => {
      const list = (r.chat_list as { _: string })._;
      if (list === 'chatListMain' && ++mainRounds <= 2) return ok();
      throw tdError(404, 'Not Found');
    };
    await account.loadAllChats();
    expect(transport.requests.map((r) => [(r.chat_list as { _: string })._, r.limit])).toEqual([
      ['chatListMain', 100],
      ['chatListMain', 100],
      ['chatListMain', 100],
      ['chatListArchive', 100],
    ]);
  });

  it('maps errors to typed errors', async () => {
    const { transport, account } = setup();
    transport.answers.getChat = () => {
      throw tdError(400, 'Chat not found');
    };
    await expect(account.getChat(5)).rejects.toMatchObject({ code: 'NOT_FOUND', method: 'getChat', accountId: 'alice' });
    transport.answers.loadChats = () => {
      throw tdError(401, 'Unauthorized');
    };
    await expect(account.loadAllChats()).rejects.toMatchObject({ code: 'AUTH_LOST' });
  });

  it('opens a private chat with a user by asking the server (force: false), and maps an unreachable user to NOT_FOUND', async () => {
    const { transport, account } = setup();
    const pm = chat({ id: 5011, type: { _: 'chatTypePrivate', user_id: 5011 }, title: 'Olga', positions: [] });
    transport.answers.createPrivateChat = (r) => {
      if (r.user_id === 5011) return pm;
      throw tdError(400, r.user_id === 7 ? "Can't access the chat" : 'Chat info not found');
    };
    expect(await account.createPrivateChat(5011)).toEqual(translateChat(pm));
    expect(transport.requests).toEqual([{ _: 'createPrivateChat', user_id: 5011, force: false }]);
    await expect(account.createPrivateChat(42)).rejects.toMatchObject({ code: 'NOT_FOUND', method: 'createPrivateChat', details: { userId: 42 } });
    await expect(account.createPrivateChat(7)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('returns history newest first and skips nulls', async () => {
    const { transport, account } = setup();
    transport.answers.getChatHistory = () =>
      ({ _: 'messages', total_count: 2, messages: [message({ id: 3 << 20 }), null, message({ id: 2 << 20 })] }) satisfies Td.messages;
    const page = await account.getChatHistory(-1001234567890, 0, 50);
    expect(page.messages.map((m) => m.tdMessageId)).toEqual([3 << 20, 2 << 20]);
    expect(transport.requests[0]).toMatchObject({ chat_id: -1001234567890, from_message_id: 0, offset: 0, limit: 50, only_local: false });
  });

  it('pages supergroup members and reads basic group members from full info', async () => {
    const { transport, account } = setup();
    transport.answers.getChat = (r) =>
      r.chat_id === 1
        ? chat({ id: 1, type: { _: 'chatTypeSupergroup', supergroup_id: 77, is_channel: false } })
        : chat({ id: 2, type: { _: 'chatTypeBasicGroup', basic_group_id: 88 } });
    const all = Array.from({ length: 250 }, (_, i) => chatMember(i + 1, { _: 'chatMemberStatusMember', member_until_date: 0 }));
    transport.answers.getSupergroupMembers = (r) => {
      const offset = r.offset as number;
      return { _: 'chatMembers', total_count: all.length, members: all.slice(offset, offset + (r.limit as number)) } satisfies Td.chatMembers;
    };
    const members = await account.getChatMembers(1);
    expect(members).toHaveLength(250);
    expect(transport.requests.filter((r) => r._ === 'getSupergroupMembers').map((r) => r.offset)).toEqual([0, 200]);

    transport.answers.getBasicGroupFullInfo = () =>
      ({
        _: 'basicGroupFullInfo',
        description: '',
        creator_user_id: 5,
        members: [chatMember(5, { _: 'chatMemberStatusCreator', is_anonymous: false, is_member: true }), chatMember(6, { _: 'chatMemberStatusLeft' })],
        can_hide_members: false,
        can_toggle_aggressive_anti_spam: false,
        bot_commands: [],
      }) satisfies Td.basicGroupFullInfo;
    expect(await account.getChatMembers(2)).toEqual([
      { userId: 5, status: 'creator' },
      { userId: 6, status: 'left' },
    ]);
  });
});

describe('actions', () => {
  it('sends a message without preview as a reply and returns the confirmed message', async () => {
    const { transport, account } = setup();
    const pending = message({
      id: 9 << 20 | 1,
      is_outgoing: true,
      sending_state: { _: 'messageSendingStatePending', sending_id: 0 },
      content: { _: 'messageText', text: { _: 'formattedText', text: 'see https://acme.io', entities: [] } },
    });
    transport.answers.sendMessage = () => pending;
    const sent = account.sendMessage(-1001234567890, 'see https://acme.io', { replyToTdMessageId: 7 << 20, disableLinkPreview: true });
    await flush();
    transport.emit({ _: 'updateMessageSendSucceeded', message: { ...pending, id: 9 << 20, sending_state: undefined }, old_message_id: pending.id });
    const result = await sent;
    expect(result).toMatchObject({ tdMessageId: 9 << 20, isOutgoing: true, text: 'see https://acme.io' });
    expect(transport.requests[0]).toEqual({
      _: 'sendMessage',
      chat_id: -1001234567890,
      reply_to: { _: 'inputMessageReplyToMessage', message_id: 7 << 20 },
      input_message_content: {
        _: 'inputMessageText',
        text: { _: 'formattedText', text: 'see https://acme.io', entities: [] },
        link_preview_options: { _: 'linkPreviewOptions', is_disabled: true },
        clear_draft: false,
      },
    });
  });

  it('handles a confirmation that arrives before the sendMessage answer', async () => {
    const { transport, account } = setup();
    const pending = message({ id: 11, chat_id: 5, sending_state: { _: 'messageSendingStatePending', sending_id: 0 } });
    transport.answers.sendMessage = () => {
      transport.emit({ _: 'updateMessageSendSucceeded', message: { ...pending, id: 12 << 20, sending_state: undefined }, old_message_id: 11 });
      return pending;
    };
    expect((await account.sendMessage(5, 'hi')).tdMessageId).toBe(12 << 20);
  });

  it('turns a failed send into a typed error, and an unconfirmed one into a timeout', async () => {
    const { transport, account } = setup({ sendTimeoutMs: 30 });
    const pending = message({ id: 21, chat_id: 5, sending_state: { _: 'messageSendingStatePending', sending_id: 0 } });
    transport.answers.sendMessage = () => pending;
    const failing = account.sendMessage(5, 'hi');
    await flush();
    transport.emit({
      _: 'updateMessageSendFailed',
      message: pending,
      old_message_id: 21,
      error: tdError(429, 'Too Many Requests: retry after 120'),
    });
    await expect(failing).rejects.toMatchObject({ code: 'FLOOD_WAIT', method: 'sendMessage', retryAfter: 120 });

    await expect(account.sendMessage(5, 'hi')).rejects.toMatchObject({ code: 'TELEGRAM_ERROR', details: { unconfirmed: true } });
    expect(transport.methods().filter((m) => m === 'sendMessage')).toHaveLength(2);
  });

  it('reads a chat: view the last message, read mentions, clear the unread mark', async () => {
    const { transport, account } = setup();
    transport.answers.getChat = () => chat({ id: 5, unread_mention_count: 2, is_marked_as_unread: true, last_message: message({ chat_id: 5, id: 40 << 20 }) });
    transport.answers.viewMessages = ok;
    transport.answers.readAllChatMentions = ok;
    transport.answers.toggleChatIsMarkedAsUnread = ok;
    await account.readChat(5, 0);
    expect(transport.requests).toEqual([
      { _: 'getChat', chat_id: 5 },
      { _: 'viewMessages', chat_id: 5, message_ids: [40 << 20], source: { _: 'messageSourceOther' }, force_read: true },
      { _: 'readAllChatMentions', chat_id: 5 },
      { _: 'toggleChatIsMarkedAsUnread', chat_id: 5, is_marked_as_unread: false },
    ]);
  });

  it('pins in the main list, sends typing, reacts, links, invites', async () => {
    const { transport, account } = setup();
    Object.assign(transport.answers, {
      toggleChatIsPinned: ok,
      sendChatAction: ok,
      addMessageReaction: ok,
      removeMessageReaction: ok,
      getMessage: () =>
        message({
          interaction_info: {
            _: 'messageInteractionInfo',
            view_count: 0,
            forward_count: 0,
            reactions: {
              _: 'messageReactions',
              are_tags: false,
              paid_reactors: [],
              can_get_added_reactions: false,
              reactions: [
                { _: 'messageReaction', type: { _: 'reactionTypeEmoji', emoji: '👍' }, total_count: 2, is_chosen: true, recent_sender_ids: [] },
                { _: 'messageReaction', type: { _: 'reactionTypeEmoji', emoji: '🔥' }, total_count: 1, is_chosen: false, recent_sender_ids: [] },
              ],
            },
          },
        }),
      createChatInviteLink: () =>
        ({
          _: 'chatInviteLink',
          invite_link: 'https://t.me/+AbCdEf123',
          name: '',
          creator_user_id: 1,
          date: 0,
          edit_date: 0,
          expiration_date: 0,
          member_limit: 1,
          member_count: 0,
          expired_member_count: 0,
          pending_join_request_count: 0,
          creates_join_request: false,
          is_primary: false,
          is_revoked: false,
        }) satisfies Td.chatInviteLink,
      getMessageLink: (r: Request) => {
        if (r.chat_id === -4242) throw tdError(400, 'Message links are available only for messages in supergroups and channel chats');
        return { _: 'messageLink', link: 'https://t.me/c/1234567890/7', is_public: false } satisfies Td.messageLink;
      },
    });
    await account.setChatPinned(5, true);
    await account.sendTyping(5);
    await account.setReaction(5, 7, '👍');
    await account.setReaction(5, 7, null);
    expect(await account.createInviteLink(5, 1)).toBe('https://t.me/+AbCdEf123');
    expect(await account.getMessageLink(-1001234567890, 7 << 20)).toBe('https://t.me/c/1234567890/7');
    expect(await account.getMessageLink(-4242, 7 << 20)).toBeNull();
    expect(transport.requests.slice(0, 6)).toEqual([
      { _: 'toggleChatIsPinned', chat_list: { _: 'chatListMain' }, chat_id: 5, is_pinned: true },
      { _: 'sendChatAction', chat_id: 5, action: { _: 'chatActionTyping' } },
      { _: 'addMessageReaction', chat_id: 5, message_id: 7, reaction_type: { _: 'reactionTypeEmoji', emoji: '👍' }, is_big: false, update_recent_reactions: true },
      { _: 'getMessage', chat_id: 5, message_id: 7 },
      { _: 'removeMessageReaction', chat_id: 5, message_id: 7, reaction_type: { _: 'reactionTypeEmoji', emoji: '👍' } },
      { _: 'createChatInviteLink', chat_id: 5, name: '', expiration_date: 0, member_limit: 1, creates_join_request: false },
    ]);
  });

  it('mutes by sending the whole settings object with the mute fields changed', async () => {
    const { transport, account } = setup();
    transport.answers.setChatNotificationSettings = ok;
    const current = translateChat(chat({ notification_settings: notificationSettings({ use_default_sound: false, sound_id: '5012345' }) }));
    await account.setChatNotificationSettings(5, { ...current.notificationSettings, useDefaultMuteFor: false, muteFor: 366 * 86400 + 1 });
    expect(transport.requests[0]).toEqual({
      _: 'setChatNotificationSettings',
      chat_id: 5,
      notification_settings: notificationSettings({ use_default_sound: false, sound_id: '5012345', use_default_mute_for: false, mute_for: 366 * 86400 + 1 }),
    });
    await expect(account.setChatNotificationSettings(5, { useDefaultMuteFor: false, muteFor: 0, raw: { mute_for: 0 } })).rejects.toMatchObject({
      code: 'BAD_USER_INPUT',
    });
    expect(transport.requests).toHaveLength(1);
  });

  it('adds members 20 at a time to a supergroup, one by one to a basic group', async () => {
    const { transport, account } = setup();
    transport.answers.getChat = (r) =>
      r.chat_id === 1
        ? chat({ id: 1, type: { _: 'chatTypeSupergroup', supergroup_id: 77, is_channel: false } })
        : chat({ id: 2, type: { _: 'chatTypeBasicGroup', basic_group_id: 88 } });
    transport.answers.addChatMembers = (r) =>
      ({
        _: 'failedToAddMembers',
        failed_to_add_members: (r.user_ids as number[])
          .filter((id) => id % 10 === 0)
          .map((user_id) => ({ _: 'failedToAddMember', user_id, premium_would_allow_invite: true, premium_required_to_send_messages: false })),
      }) satisfies Td.failedToAddMembers;
    const ids = Array.from({ length: 45 }, (_, i) => i + 1);
    const failed = await account.addChatMembers(1, ids);
    expect(transport.requests.filter((r) => r._ === 'addChatMembers').map((r) => (r.user_ids as number[]).length)).toEqual([20, 20, 5]);
    expect(failed.map((f) => f.userId)).toEqual([10, 20, 30, 40]);

    transport.answers.addChatMember = (r) => {
      if (r.user_id === 3) throw tdError(403, 'USER_PRIVACY_RESTRICTED');
      return { _: 'failedToAddMembers', failed_to_add_members: [] } satisfies Td.failedToAddMembers;
    };
    expect(await account.addChatMembers(2, [3, 4])).toEqual([{ userId: 3, premiumWouldAllowInvite: false }]);
    expect(transport.requests.filter((r) => r._ === 'addChatMember').map((r) => [r.user_id, r.forward_limit])).toEqual([
      [3, 100],
      [4, 100],
    ]);

    transport.answers.addChatMember = () => {
      throw tdError(400, 'PEER_FLOOD');
    };
    await expect(account.addChatMembers(2, [5])).rejects.toMatchObject({ code: 'PEER_FLOOD', method: 'addChatMember' });
  });

  it('removes a member so that they can be invited again', async () => {
    const { transport, account } = setup();
    transport.answers.getChat = (r) =>
      r.chat_id === 1
        ? chat({ id: 1, type: { _: 'chatTypeSupergroup', supergroup_id: 77, is_channel: false } })
        : chat({ id: 2, type: { _: 'chatTypeBasicGroup', basic_group_id: 88 } });
    transport.answers.banChatMember = ok;
    transport.answers.setChatMemberStatus = ok;
    await account.removeChatMember(1, 9);
    await account.removeChatMember(2, 9);
    const member_id = { _: 'messageSenderUser', user_id: 9 };
    expect(transport.requests.filter((r) => r._ !== 'getChat')).toEqual([
      { _: 'banChatMember', chat_id: 1, member_id, banned_until_date: 0, revoke_messages: false },
      { _: 'setChatMemberStatus', chat_id: 1, member_id, status: { _: 'chatMemberStatusLeft' } },
      { _: 'setChatMemberStatus', chat_id: 2, member_id, status: { _: 'chatMemberStatusLeft' } },
    ]);
  });

  it('never opens chats, views messages, reads chat lists or goes online on its own', async () => {
    const { transport, account } = setup();
    transport.answers.loadChats = () => {
      throw tdError(404, 'Not Found');
    };
    transport.answers.getChat = () => chat();
    transport.answers.getChatHistory = () => ({ _: 'messages', total_count: 0, messages: [] }) satisfies Td.messages;
    transport.emit(authState({ _: 'authorizationStateReady' }));
    await account.start(async () => {});
    await account.loadAllChats();
    await account.getChat(1);
    await account.getChatHistory(1, 0, 100);
    transport.emit({ _: 'updateNewMessage', message: message({ contains_unread_mention: true }) });
    await flush();
    expect(transport.methods().filter((m) => ['viewMessages', 'openChat', 'readChatList', 'setOption'].includes(m))).toEqual([]);
  });
});

function describeEvent(e: TgEvent): string {
  switch (e.kind) {
    case 'auth':
      return `auth:${e.state.kind}`;
    case 'chatTitle':
      return `title:${e.title}`;
    default:
      return e.kind;
  }
}
