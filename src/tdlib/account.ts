/**
 * The `TelegramAccount` port over any `TdTransport` (real TDLib or the simulator).
 *
 * Ordering: one tdl receive loop serves every account of the process (notes §7), so the
 * update listener only translates and enqueues. A drain loop hands the handler everything
 * queued so far as one batch and waits for it before taking the next, so one account's
 * events are applied strictly in TDLib's order and never by two handler calls at once.
 *
 * Side effects: this adapter acts as a real person. It never calls openChat, readChatList or
 * setOption(online), and viewMessages only inside `readChat`, an explicit action
 * (DESIGN.md §6). Failures leave here as typed errors from errors.ts and are never retried
 * here: callers apply `floodWaitPolicy`.
 */
import type * as Td from 'tdlib-types';
import { badInput } from '../domain/errors.ts';
import type { AccountId, AuthState, ChatMemberStatus, NotificationSettings, TgChat, TgEvent, TgMessage, TgUser } from '../domain/telegram.ts';
import type { Logger } from '../shared/log.ts';
import { TelegramError, toTelegramError } from './errors.ts';
import type { FailedToAdd, HistoryPage, SendOptions, TelegramAccount, TgEventBatchHandler } from './port.ts';
import type { TdTransport } from './transport.ts';
import { senderOf, translateChat, translateMemberStatus, translateMessage, translateUpdate, translateUser } from './translate.ts';

export interface TelegramAccountOptions {
  readonly accountId: AccountId;
  readonly transport: TdTransport;
  readonly logger: Logger;
  /**
   * How long `sendMessage` waits for Telegram to confirm a message. Default 120 s: TDLib
   * may first sit out flood waits of up to 60 s on its own.
   */
  readonly sendTimeoutMs?: number;
  /** Wall clock in ms; only used to bound "last seen" of users who are online. */
  readonly now?: () => number;
}

/** A TDLib call whose failures come back mapped by `toTelegramError`. */
export type TdCall = <T extends Td.$FunctionName>(
  request: { readonly _: T } & Td.$FunctionInputByName[T],
  details?: Readonly<Record<string, unknown>>,
) => Promise<Td.$FunctionResultByName[T]>;

/** The single path by which this adapter calls TDLib, exported for diagnostics and tests. */
export function createTdCaller(transport: TdTransport, accountId: AccountId): TdCall {
  async function tdCall<T extends Td.$FunctionName>(
    request: { readonly _: T } & Td.$FunctionInputByName[T],
    details?: Readonly<Record<string, unknown>>,
  ): Promise<Td.$FunctionResultByName[T]> {
    try {
      return await transport.invoke<T>(request);
    } catch (error) {
      throw toTelegramError(error, { method: request._, accountId, ...(details ? { details } : {}) });
    }
  }
  // Same signature; tsc cannot relate two generic signatures over TDLib's 1000-member union.
  return tdCall as TdCall;
}

/** Users per `addChatMembers` call: TDLib's limit for supergroups (channels allow 100). */
const ADD_BATCH = 20;
/** Earlier messages a new basic-group member gets to see: the most TDLib allows, so a newly added admin has context. */
const BASIC_GROUP_FORWARD_LIMIT = 100;
const SUPERGROUP_MEMBERS_PAGE = 200;
/** Safety stops for loops that end on a condition TDLib must report. */
const MAX_LOAD_CHATS_ROUNDS = 1000;
const MAX_MEMBER_PAGES = 100;
const LOAD_CHATS_LIMIT = 100;

type SendOutcome = { readonly ok: true; readonly message: Td.message } | { readonly ok: false; readonly error: Td.error };

export function createTelegramAccount(options: TelegramAccountOptions): TelegramAccount {
  const { accountId, transport } = options;
  const logger = options.logger.child('account', { accountId });
  const sendTimeoutMs = options.sendTimeoutMs ?? 120_000;
  const now = options.now ?? Date.now;
  const call = createTdCaller(transport, accountId);

  let auth: AuthState = { kind: 'waitParameters' };
  let authSeen = false;
  const authSeenWaiters: (() => void)[] = [];

  // --- the ordered event queue ---------------------------------------------------------
  const queue: TgEvent[] = [];
  let handler: TgEventBatchHandler | null = null;
  let draining = false;
  let drainScheduled = false;
  const idleWaiters: (() => void)[] = [];

  const scheduleDrain = (): void => {
    if (!handler || draining || drainScheduled || queue.length === 0) return;
    drainScheduled = true;
    // setImmediate, not a direct call: the handler must not run inside tdl's receive
    // callback, and a burst of updates from one receive turn becomes one batch.
    setImmediate(() => void drain());
  };

  const drain = async (): Promise<void> => {
    drainScheduled = false;
    draining = true;
    try {
      while (handler && queue.length > 0) {
        const batch = queue.splice(0, queue.length);
        try {
          await handler(accountId, batch);
        } catch (error) {
          logger.error('event handler failed; batch not retried', { events: batch.length, error });
        }
      }
    } finally {
      draining = false;
      if (queue.length === 0) for (const w of idleWaiters.splice(0)) w();
      else scheduleDrain();
    }
  };

  const whenIdle = (): Promise<void> =>
    !handler || (!draining && !drainScheduled && queue.length === 0)
      ? Promise.resolve()
      : new Promise((resolve) => idleWaiters.push(resolve));

  // --- sendMessage confirmations ---------------------------------------------------------
  const sendWaiters = new Map<string, (outcome: SendOutcome) => void>();
  // A confirmation can overtake the sendMessage response on its way to us (the simulator
  // emits synchronously; tdl may deliver both in one turn), so keep those that arrive while
  // a send is in flight and nobody waits for them yet.
  const earlyOutcomes = new Map<string, SendOutcome>();
  let sendsInFlight = 0;
  const sendKey = (chatId: number, messageId: number): string => `${chatId}:${messageId}`;

  const settleSend = (update: Td.Update): void => {
    if (update._ !== 'updateMessageSendSucceeded' && update._ !== 'updateMessageSendFailed') return;
    const key = sendKey(update.message.chat_id, update.old_message_id);
    const outcome: SendOutcome =
      update._ === 'updateMessageSendSucceeded' ? { ok: true, message: update.message } : { ok: false, error: update.error };
    const waiter = sendWaiters.get(key);
    if (waiter) {
      sendWaiters.delete(key);
      waiter(outcome);
    } else if (sendsInFlight > 0) {
      earlyOutcomes.set(key, outcome);
    }
  };

  const failAllSends = (): void => {
    for (const [key, waiter] of sendWaiters) {
      sendWaiters.delete(key);
      waiter({ ok: false, error: { _: 'error', code: 500, message: 'Client was closed before the message was confirmed' } });
    }
  };

  // --- listeners: attached at once, so nothing TDLib says before start() is lost ---------
  transport.onUpdate((update) => {
    try {
      settleSend(update);
      const event = translateUpdate(update, Math.floor(now() / 1000));
      if (!event) return;
      if (event.kind === 'auth') onAuthState(event.state);
      queue.push(event);
      scheduleDrain();
    } catch (error) {
      // A malformed update must not stop the stream for this account or, through tdl's
      // shared loop, for the others.
      logger.error('could not translate update', { update: update._, error });
    }
  });
  transport.onError((error) => {
    logger.error('TDLib reported an error', { error });
  });

  function onAuthState(state: AuthState): void {
    auth = state;
    // Only the kind: the QR link is a login token and the hint is personal.
    logger.info('authorization state', { state: state.kind });
    if (state.kind === 'closed') failAllSends();
    if (!authSeen) {
      authSeen = true;
      for (const w of authSeenWaiters.splice(0)) w();
    }
  }

  const getTdChat = (tdChatId: number): Promise<Td.chat> => call({ _: 'getChat', chat_id: tdChatId });
  const userSender = (userId: number): Td.messageSenderUser$Input => ({ _: 'messageSenderUser', user_id: userId });

  async function waitForSendOutcome(chatId: number, pendingId: number): Promise<Td.message> {
    const key = sendKey(chatId, pendingId);
    const early = earlyOutcomes.get(key);
    earlyOutcomes.delete(key);
    const outcome =
      early ??
      (await new Promise<SendOutcome | null>((resolve) => {
        const timer = setTimeout(() => {
          sendWaiters.delete(key);
          resolve(null);
        }, sendTimeoutMs);
        sendWaiters.set(key, (o) => {
          clearTimeout(timer);
          resolve(o);
        });
      }));
    if (outcome === null) {
      // Not retried, by anyone: the message may still be delivered later.
      throw new TelegramError(
        'TELEGRAM_ERROR',
        { method: 'sendMessage', accountId },
        null,
        `not confirmed within ${Math.round(sendTimeoutMs / 1000)} s`,
        { tdChatId: chatId, pendingTdMessageId: pendingId, unconfirmed: true },
      );
    }
    if (!outcome.ok) throw toTelegramError(outcome.error, { method: 'sendMessage', accountId, details: { tdChatId: chatId } });
    return outcome.message;
  }

  const account: TelegramAccount = {
    accountId,

    async start(eventHandler) {
      if (handler) throw new Error(`account ${accountId} is already started`);
      handler = eventHandler;
      scheduleDrain();
      if (!authSeen) await new Promise<void>((resolve) => authSeenWaiters.push(resolve));
    },

    async close() {
      await transport.close();
      // The final `closed` state goes to the handler before close() returns.
      await whenIdle();
    },

    authState: () => auth,

    async submitPhoneNumber(phone) {
      await call({ _: 'setAuthenticationPhoneNumber', phone_number: phone });
    },
    async submitCode(code) {
      await call({ _: 'checkAuthenticationCode', code });
    },
    async submitPassword(password) {
      await call({ _: 'checkAuthenticationPassword', password });
    },
    async requestQrCode() {
      await call({ _: 'requestQrCodeAuthentication', other_user_ids: [] });
    },
    async logOut() {
      await call({ _: 'logOut' });
    },

    async getMe(): Promise<TgUser> {
      return translateUser(await call({ _: 'getMe' }), Math.floor(now() / 1000));
    },

    async loadAllChats() {
      const lists: readonly Td.ChatList$Input[] = [{ _: 'chatListMain' }, { _: 'chatListArchive' }];
      for (const list of lists) {
        for (let round = 0; ; round++) {
          if (round >= MAX_LOAD_CHATS_ROUNDS) {
            logger.warn('loadChats never reported the end of the list', { list: list._ });
            break;
          }
          try {
            await call({ _: 'loadChats', chat_list: list, limit: LOAD_CHATS_LIMIT });
          } catch (error) {
            // 404 is how TDLib says the whole list has arrived through updates (notes §0.1).
            if (error instanceof TelegramError && error.tdCode === 404) break;
            throw error;
          }
        }
      }
    },

    async getChat(tdChatId): Promise<TgChat> {
      return translateChat(await getTdChat(tdChatId));
    },

    async getChatHistory(tdChatId, fromTdMessageId, limit): Promise<HistoryPage> {
      const page = await call({
        _: 'getChatHistory',
        chat_id: tdChatId,
        from_message_id: fromTdMessageId,
        offset: 0,
        limit,
        only_local: false,
      });
      return { messages: page.messages.filter((m): m is Td.message => m !== null).map(translateMessage) };
    },

    async getChatMembers(tdChatId) {
      const chat = await getTdChat(tdChatId);
      const members: { userId: number; status: ChatMemberStatus }[] = [];
      const addAll = (list: readonly Td.chatMember[]): void => {
        for (const m of list) {
          const sender = senderOf(m.member_id);
          if (sender.kind === 'user') members.push({ userId: sender.id, status: translateMemberStatus(m.status) });
        }
      };
      switch (chat.type._) {
        case 'chatTypeSupergroup': {
          for (let page = 0, offset = 0; page < MAX_MEMBER_PAGES; page++) {
            const result = await call({
              _: 'getSupergroupMembers',
              supergroup_id: chat.type.supergroup_id,
              filter: { _: 'supergroupMembersFilterRecent' },
              offset,
              limit: SUPERGROUP_MEMBERS_PAGE,
            });
            addAll(result.members);
            offset += result.members.length;
            if (result.members.length === 0 || offset >= result.total_count) break;
          }
          break;
        }
        case 'chatTypeBasicGroup':
          addAll((await call({ _: 'getBasicGroupFullInfo', basic_group_id: chat.type.basic_group_id })).members);
          break;
        case 'chatTypePrivate':
        case 'chatTypeSecret': {
          const me = await call({ _: 'getMe' });
          members.push({ userId: me.id, status: 'member' });
          if (chat.type.user_id !== me.id) members.push({ userId: chat.type.user_id, status: 'member' });
          break;
        }
      }
      return members;
    },

    async setChatPinned(tdChatId, pinned) {
      await call({ _: 'toggleChatIsPinned', chat_list: { _: 'chatListMain' }, chat_id: tdChatId, is_pinned: pinned });
    },

    async setChatNotificationSettings(tdChatId, settings) {
      await call({
        _: 'setChatNotificationSettings',
        chat_id: tdChatId,
        notification_settings: withMute(settings),
      });
    },

    async readChat(tdChatId, upToTdMessageId) {
      const chat = await getTdChat(tdChatId);
      const upTo = upToTdMessageId > 0 ? upToTdMessageId : (chat.last_message?.id ?? 0);
      if (upTo > 0) {
        // force_read marks read without opening the chat. Source "other": the chat-list
        // source would also mark the chat's stories as viewed.
        await call({
          _: 'viewMessages',
          chat_id: tdChatId,
          message_ids: [upTo],
          source: { _: 'messageSourceOther' },
          force_read: true,
        });
      }
      if (chat.unread_mention_count > 0) await call({ _: 'readAllChatMentions', chat_id: tdChatId });
      if (chat.is_marked_as_unread) await call({ _: 'toggleChatIsMarkedAsUnread', chat_id: tdChatId, is_marked_as_unread: false });
    },

    async sendMessage(tdChatId, text, sendOptions: SendOptions = {}): Promise<TgMessage> {
      const replyTo = sendOptions.replyToTdMessageId;
      sendsInFlight++;
      try {
        const pending = await call(
          {
            _: 'sendMessage',
            chat_id: tdChatId,
            ...(replyTo ? { reply_to: { _: 'inputMessageReplyToMessage', message_id: replyTo } } : {}),
            input_message_content: {
              _: 'inputMessageText',
              text: { _: 'formattedText', text, entities: [] },
              ...(sendOptions.disableLinkPreview ? { link_preview_options: { _: 'linkPreviewOptions', is_disabled: true } } : {}),
              clear_draft: false,
            },
          },
          { tdChatId },
        );
        const state = pending.sending_state;
        if (!state) return translateMessage(pending);
        if (state._ === 'messageSendingStateFailed') {
          throw toTelegramError(state.error, { method: 'sendMessage', accountId, details: { tdChatId } });
        }
        return translateMessage(await waitForSendOutcome(pending.chat_id, pending.id));
      } finally {
        sendsInFlight--;
        if (sendsInFlight === 0) earlyOutcomes.clear();
      }
    },

    async sendTyping(tdChatId) {
      await call({ _: 'sendChatAction', chat_id: tdChatId, action: { _: 'chatActionTyping' } });
    },

    async addChatMembers(tdChatId, userIds): Promise<readonly FailedToAdd[]> {
      const chat = await getTdChat(tdChatId);
      const failed: FailedToAdd[] = [];
      const collect = (result: Td.failedToAddMembers): void => {
        for (const f of result.failed_to_add_members) {
          failed.push({ userId: f.user_id, premiumWouldAllowInvite: f.premium_would_allow_invite });
        }
      };
      const processed: number[] = [];
      switch (chat.type._) {
        case 'chatTypeSupergroup':
          for (let i = 0; i < userIds.length; i += ADD_BATCH) {
            const batch = userIds.slice(i, i + ADD_BATCH);
            // A batch error fails the whole call (notes §3); the caller learns how far we got.
            collect(await call({ _: 'addChatMembers', chat_id: tdChatId, user_ids: batch }, { processedUserIds: [...processed] }));
            processed.push(...batch);
          }
          break;
        case 'chatTypeBasicGroup':
          for (const userId of userIds) {
            try {
              collect(
                await call(
                  { _: 'addChatMember', chat_id: tdChatId, user_id: userId, forward_limit: BASIC_GROUP_FORWARD_LIMIT },
                  { processedUserIds: [...processed] },
                ),
              );
            } catch (error) {
              // One user's privacy settings are that user's failure, not the batch's.
              if (!(error instanceof TelegramError && error.code === 'PRIVACY_RESTRICTED')) throw error;
              failed.push({ userId, premiumWouldAllowInvite: false });
            }
            processed.push(userId);
          }
          break;
        default:
          throw badInput('members can be added to groups only', { tdChatId });
      }
      return failed;
    },

    async removeChatMember(tdChatId, userId) {
      const chat = await getTdChat(tdChatId);
      const member_id = userSender(userId);
      switch (chat.type._) {
        case 'chatTypeSupergroup':
          // A ban removes the user; lifting it at once (status "left") lets them be invited again.
          await call({ _: 'banChatMember', chat_id: tdChatId, member_id, banned_until_date: 0, revoke_messages: false });
          await call({ _: 'setChatMemberStatus', chat_id: tdChatId, member_id, status: { _: 'chatMemberStatusLeft' } });
          break;
        case 'chatTypeBasicGroup':
          await call({ _: 'setChatMemberStatus', chat_id: tdChatId, member_id, status: { _: 'chatMemberStatusLeft' } });
          break;
        default:
          throw badInput('members can be removed from groups only', { tdChatId });
      }
    },

    async createInviteLink(tdChatId, memberLimit) {
      const link = await call({
        _: 'createChatInviteLink',
        chat_id: tdChatId,
        name: '',
        expiration_date: 0,
        member_limit: memberLimit,
        creates_join_request: false,
      });
      return link.invite_link;
    },

    async createPrivateChat(userId) {
      // force: false asks the server, so a user TDLib knows only vaguely is checked, not guessed.
      return translateChat(await call({ _: 'createPrivateChat', user_id: userId, force: false }, { userId }));
    },

    async getMessageLink(tdChatId, tdMessageId) {
      try {
        const link = await call({
          _: 'getMessageLink',
          chat_id: tdChatId,
          message_id: tdMessageId,
          media_timestamp: 0,
          for_album: false,
          in_message_thread: false,
        });
        return link.link;
      } catch (error) {
        if (error instanceof TelegramError && /available only for messages in supergroups/i.test(error.tdMessage)) return null;
        throw error;
      }
    },

    async setReaction(tdChatId, tdMessageId, emoji) {
      if (emoji !== null) {
        await call({
          _: 'addMessageReaction',
          chat_id: tdChatId,
          message_id: tdMessageId,
          reaction_type: { _: 'reactionTypeEmoji', emoji },
          is_big: false,
          update_recent_reactions: true,
        });
        return;
      }
      // Clearing: remove whatever emoji reactions this account has chosen on the message.
      const message = await call({ _: 'getMessage', chat_id: tdChatId, message_id: tdMessageId });
      for (const reaction of message.interaction_info?.reactions?.reactions ?? []) {
        if (!reaction.is_chosen || reaction.type._ !== 'reactionTypeEmoji') continue;
        await call({
          _: 'removeMessageReaction',
          chat_id: tdChatId,
          message_id: tdMessageId,
          reaction_type: { _: 'reactionTypeEmoji', emoji: reaction.type.emoji },
        });
      }
    },
  };
  return account;
}

/**
 * TDLib replaces the whole settings object and defaults every omitted field (notes §1):
 * sending only `mute_for` would also switch sounds off. So the caller's copy of the chat's
 * current object must be complete; only the mute fields are taken from `settings`.
 */
const NOTIFICATION_FIELDS: readonly (keyof Td.chatNotificationSettings)[] = [
  'use_default_mute_for',
  'mute_for',
  'use_default_sound',
  'sound_id',
  'use_default_show_preview',
  'show_preview',
  'use_default_mute_stories',
  'mute_stories',
  'use_default_story_sound',
  'story_sound_id',
  'use_default_show_story_poster',
  'show_story_poster',
  'use_default_disable_pinned_message_notifications',
  'disable_pinned_message_notifications',
  'use_default_disable_mention_notifications',
  'disable_mention_notifications',
];

function withMute(settings: NotificationSettings): Td.chatNotificationSettings$Input {
  const missing = NOTIFICATION_FIELDS.filter((f) => !(f in settings.raw));
  if (missing.length > 0) {
    throw badInput("notification settings must be a full copy of the chat's current settings", { missing });
  }
  return {
    ...(settings.raw as Omit<Td.chatNotificationSettings, '_'>),
    _: 'chatNotificationSettings',
    use_default_mute_for: settings.useDefaultMuteFor,
    mute_for: settings.muteFor,
  };
}
