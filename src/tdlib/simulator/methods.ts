/**
 * The TDLib functions the simulator answers once a client is authorized, with TDLib's semantics
 * and error texts (tdlib-notes §1, §3, §4). One handler per function, typed by the function's
 * own input and result types.
 */
import type * as Td from 'tdlib-types';
import { entitiesFromInput, detectEntities, mergeEntities } from './entities.ts';
import { tdError } from './errors.ts';
import type { SimFailures } from './failures.ts';
import { chatOrder, serverIdOf, supergroupChatId, yetUnsentMessageId } from './ids.ts';
import {
  type SimChat,
  type SimMembership,
  type SimMessage,
  canSeeChat,
  chatIdFor,
  lastVisibleMessage,
  messageIdFor,
  visibleMessages,
} from './model.ts';
import { usersInMessage } from './prerequisites.ts';
import type { Rng } from './rng.ts';
import type { SimState } from './state.ts';
import {
  chatMember,
  chatNotificationSettingsFromInput,
  intOption,
  memberStatus,
  scopeFromInput,
  scopeNotificationSettingsFromInput,
  textContent,
} from './td-objects.ts';
import type { SimSession } from './transport.ts';
import {
  buildBasicGroup,
  buildBasicGroupFullInfo,
  buildChat,
  buildMessage,
  buildPendingMessage,
  buildSupergroup,
  buildSupergroupFullInfo,
  chatPosition,
} from './views.ts';

export type HistoryPaging = 'tdlib' | 'full';

export interface RequestContext {
  readonly state: SimState;
  readonly failures: SimFailures;
  readonly session: SimSession;
  readonly rng: Rng;
  /** `tdlib`: short first page and varying page sizes; `full`: always `limit`. */
  readonly historyPaging: HistoryPaging;
}

type MethodTable = {
  [K in Td.$FunctionName]?: (ctx: RequestContext, request: Td.$FunctionInputByName[K]) => Td.$FunctionResultByName[K];
};

const OK: Td.ok = { _: 'ok' };
const MAX_TEXT_LENGTH = 4096;
const MAX_SUPERGROUP_ADDS = 20;
const READ_ONLY_OPTIONS = new Set(['version', 'commit_hash', 'my_id', 'authorization_date', 'pinned_chat_count_max', 'pinned_archived_chat_count_max']);

export function dispatchMethod<T extends Td.$FunctionName>(
  ctx: RequestContext,
  request: { readonly _: T } & Td.$FunctionInputByName[T],
): Td.$FunctionResultByName[T] {
  const handler = methods[request._];
  // TDLib rejects a request it cannot parse into a known function the same way.
  if (!handler) throw tdError(400, `Failed to parse JSON object as TDLib request: Unknown class "${request._}"`);
  return handler(ctx, request);
}

// ── lookups and checks ───────────────────────────────────────────────────────────────────────

function me(ctx: RequestContext): number {
  return ctx.session.userId;
}

/** A chat the account can see, announced to the client (updateNewChat) before the response. */
function requireChat(ctx: RequestContext, chatId: number | undefined): SimChat {
  const chat = ctx.state.chatForViewer(me(ctx), chatId ?? 0);
  if (!chat || !canSeeChat(chat, me(ctx))) throw tdError(400, 'Chat not found');
  ctx.session.ensure([chat], []);
  return chat;
}

function requireMessage(ctx: RequestContext, chat: SimChat, messageId: number | undefined): SimMessage {
  const msg = ctx.state.messageForViewer(me(ctx), chat, messageId ?? 0);
  if (!msg || msg.deleted) throw tdError(400, 'Message not found');
  return msg;
}

function userIdOfSender(sender: Td.MessageSender$Input | undefined): number {
  if (sender?._ !== 'messageSenderUser') throw tdError(400, 'Member not found');
  return sender.user_id ?? 0;
}

function isAdmin(m: SimMembership | undefined): boolean {
  return m?.role === 'creator' || m?.role === 'administrator';
}

function canInvite(chat: SimChat, m: SimMembership | undefined): boolean {
  if (!m) return false;
  return m.role === 'creator' || (m.role === 'administrator' && m.rights.canInviteUsers) || chat.membersCanInvite;
}

function canRestrict(m: SimMembership | undefined): boolean {
  return m?.role === 'creator' || (m?.role === 'administrator' && m.rights.canRestrictMembers);
}

function canPromote(m: SimMembership | undefined): boolean {
  return m?.role === 'creator' || (m?.role === 'administrator' && m.rights.canPromoteMembers);
}

function tdMessages(ctx: RequestContext, list: readonly SimMessage[]): Td.message[] {
  const built = list.map((m) => buildMessage(ctx.state, m, me(ctx)));
  ctx.session.ensure([], built.flatMap(usersInMessage));
  for (const m of list) ctx.session.local.seenMessages.add(m.key);
  return built;
}

function isMainList(list: Td.ChatList$Input | undefined): boolean {
  return list === undefined || list._ === 'chatListMain';
}

function requireMainList(list: Td.ChatList$Input | undefined): void {
  if (list?._ === 'chatListFolder') throw tdError(400, 'Chat list not found');
}

// ── adding and removing members ──────────────────────────────────────────────────────────────

/**
 * Adds users the way Telegram does: unknown users fail the whole call, PEER_FLOOD fails the
 * whole call, privacy-restricted users are reported back without an error.
 */
function addUsers(ctx: RequestContext, chat: SimChat, userIds: readonly number[]): Td.failedToAddMembers {
  const myself = ctx.state.membership(chat, me(ctx));
  if (!myself) throw tdError(400, 'Have no write access to the chat');
  if (!canInvite(chat, myself)) {
    throw tdError(400, chat.kind === 'supergroup' ? 'Not enough rights to invite members to the supergroup chat' : 'Not enough rights to invite members to the group chat');
  }
  for (const id of userIds) {
    if (!ctx.state.user(id)) throw tdError(400, 'User not found');
    if (!ctx.state.knowsUser(me(ctx), id)) throw tdError(400, 'Have no access to the user');
  }
  const toAdd = userIds.filter((id) => !chat.members.has(id));
  ctx.failures.checkAdds(me(ctx), toAdd.length);
  const failed: Td.failedToAddMember[] = [];
  let added = 0;
  for (const id of toAdd) {
    const user = ctx.state.requireUser(id);
    if (user.restrictsInvites && !user.contacts.has(me(ctx))) {
      failed.push({ _: 'failedToAddMember', user_id: id, premium_would_allow_invite: false, premium_required_to_send_messages: false });
      continue;
    }
    ctx.state.addMember(chat.key, id, { inviterId: me(ctx) });
    added++;
  }
  ctx.failures.countAdds(me(ctx), added);
  return { _: 'failedToAddMembers', failed_to_add_members: failed };
}

function banUser(ctx: RequestContext, chat: SimChat, userId: number, bannedUntil: number, revoke: boolean): void {
  const myself = ctx.state.membership(chat, me(ctx));
  if (chat.kind === 'private') throw tdError(400, 'Can\'t ban members in private chats');
  if (!canRestrict(myself)) throw tdError(400, 'Not enough rights to restrict/ban chat member');
  const target = chat.members.get(userId);
  if (target?.role === 'creator') throw tdError(400, 'Can\'t ban the owner of the chat');
  if (revoke) ctx.state.deleteMessages(chat.messages.filter((m) => m.senderId === userId && !m.deleted).map((m) => m.key));
  ctx.state.removeMember(chat.key, userId, { byUserId: me(ctx), ban: chat.kind === 'supergroup', bannedUntil });
}

// ── private chats ────────────────────────────────────────────────────────────────────────────

/**
 * createPrivateChat: the account's chat with a user, created on first use and announced with
 * updateNewChat before the response (TDLib's `create_dialog`). TDLib needs to have met the user
 * (a shared chat, a contact) to reach them; otherwise 400 "Chat info not found". An empty
 * private chat has no place in the chat list until its first message.
 */
function privateChatWith(ctx: RequestContext, userId: number): Td.chat {
  if (userId === me(ctx)) throw tdError(400, 'The simulator has no Saved Messages chat');
  if (!ctx.state.user(userId) || !ctx.state.knowsUser(me(ctx), userId)) throw tdError(400, 'Chat info not found');
  const chat = ctx.state.resolveChat(ctx.state.ensurePrivateChat(me(ctx), userId).key);
  ctx.session.ensure([chat], [userId]);
  return buildChat(ctx.state, chat, me(ctx), false);
}

/** Why the server refuses a message in this chat, if it does: a new chat with a user who lets only contacts start one. */
function sendRefusal(ctx: RequestContext, chat: SimChat): Td.error | null {
  if (chat.kind !== 'private' || !chat.pair) return null;
  const otherId = chat.pair[0] === me(ctx) ? chat.pair[1] : chat.pair[0];
  const other = ctx.state.requireUser(otherId);
  if (!other.restrictsNewChats || other.contacts.has(me(ctx))) return null;
  if (chat.messages.some((m) => m.senderId === otherId)) return null;
  return { _: 'error', code: 403, message: 'PRIVACY_PREMIUM_REQUIRED' };
}

/** The server refused a sent message: TDLib replaces the pending message by a failed one (updateMessageSendFailed). */
function failSend(ctx: RequestContext, pending: Td.message, position: Td.chatPosition, error: Td.error): void {
  const failed: Td.message = {
    ...pending,
    id: pending.id + 1,
    sending_state: {
      _: 'messageSendingStateFailed',
      error,
      can_retry: false,
      need_another_sender: false,
      need_another_reply_quote: false,
      need_drop_reply: false,
      required_paid_message_star_count: 0,
      retry_after: 0,
    },
  };
  ctx.session.push({ _: 'updateMessageSendFailed', message: failed, old_message_id: pending.id, error });
  ctx.session.push({ _: 'updateChatLastMessage', chat_id: pending.chat_id, last_message: failed, positions: [position] });
}

// ── history ──────────────────────────────────────────────────────────────────────────────────

/**
 * getChatHistory: newest first, strictly below `from_message_id` (0: from the last message), with
 * a negative `offset` adding that many newer messages. Page sizes are TDLib's choice: the first
 * page from the end is a single message, later pages vary up to `limit`.
 */
function history(ctx: RequestContext, request: Td.getChatHistory): Td.messages {
  const chat = requireChat(ctx, request.chat_id);
  const limit = request.limit ?? 0;
  const offset = request.offset ?? 0;
  const from = request.from_message_id ?? 0;
  if (limit <= 0) throw tdError(400, 'Parameter limit must be positive');
  if (offset > 0) throw tdError(400, 'Parameter offset must be non-positive');
  if (offset <= -100) throw tdError(400, 'Parameter offset must be greater than -100');
  if (offset <= -Math.min(limit, 100)) throw tdError(400, 'Parameter offset must be greater than -limit');
  const cappedLimit = Math.min(limit, 100);

  let all = visibleMessages(chat, me(ctx));
  if (request.only_local) all = all.filter((m) => ctx.session.local.seenMessages.has(m.key));
  const ids = all.map((m) => messageIdFor(m, me(ctx)) as number);
  let start: number;
  if (from === 0) {
    start = all.length - 1;
  } else {
    let below = -1;
    for (let i = ids.length - 1; i >= 0; i--) {
      if ((ids[i] as number) < from) {
        below = i;
        break;
      }
    }
    start = Math.min(all.length - 1, below - offset);
  }

  const firstPage = from === 0 && offset === 0 && !ctx.session.local.historyRequested.has(chat.key);
  ctx.session.local.historyRequested.add(chat.key);
  let size = cappedLimit;
  if (ctx.historyPaging === 'tdlib' && !request.only_local) {
    if (firstPage) size = 1;
    else if (ctx.rng.chance(0.3)) size = Math.max(1 - offset, ctx.rng.int(1, cappedLimit));
  }
  const page: SimMessage[] = [];
  for (let i = start; i >= 0 && page.length < size; i--) page.push(all[i] as SimMessage);
  const messages = tdMessages(ctx, page);
  return { _: 'messages', total_count: messages.length, messages };
}

function searchChat(ctx: RequestContext, request: Td.searchChatMessages): Td.foundChatMessages {
  const chat = requireChat(ctx, request.chat_id);
  const limit = Math.min(request.limit ?? 0, 100);
  if (limit <= 0) throw tdError(400, 'Parameter limit must be positive');
  const query = (request.query ?? '').toLowerCase();
  const senderId = request.sender_id?._ === 'messageSenderUser' ? (request.sender_id.user_id ?? 0) : null;
  const filter = request.filter?._ ?? 'searchMessagesFilterEmpty';
  const state = ctx.state.accountState(me(ctx), chat);
  const from = request.from_message_id ?? 0;
  const matches = visibleMessages(chat, me(ctx))
    .filter((m) => filter !== 'searchMessagesFilterUnreadMention' || state.unreadMentions.has(m.key))
    .filter((m) => filter !== 'searchMessagesFilterMention' || m.mentioned.has(me(ctx)))
    .filter((m) => !query || m.text.toLowerCase().includes(query))
    .filter((m) => senderId === null || m.senderId === senderId)
    .reverse();
  const startIdx = from === 0 ? 0 : matches.findIndex((m) => (messageIdFor(m, me(ctx)) as number) < from);
  const page = startIdx < 0 ? [] : matches.slice(startIdx, startIdx + limit);
  const last = page[page.length - 1];
  const more = startIdx >= 0 && startIdx + limit < matches.length;
  return {
    _: 'foundChatMessages',
    total_count: matches.length,
    messages: tdMessages(ctx, page),
    next_from_message_id: more && last ? (messageIdFor(last, me(ctx)) as number) : 0,
  };
}

// ── members ──────────────────────────────────────────────────────────────────────────────────

function filteredMembers(ctx: RequestContext, chat: SimChat, filter: string, query: string, offset: number, limit: number): Td.chatMembers {
  if (limit <= 0) throw tdError(400, 'Parameter limit must be positive');
  const q = query.toLowerCase();
  const matchesQuery = (userId: number): boolean => {
    if (!q) return true;
    const u = ctx.state.user(userId);
    return !!u && `${u.firstName} ${u.lastName} ${u.username ?? ''}`.toLowerCase().includes(q);
  };
  let list: Td.chatMember[];
  if (filter === 'banned') {
    list = [...chat.banned].map(([userId, until]) => ({
      _: 'chatMember',
      member_id: { _: 'messageSenderUser', user_id: userId },
      tag: '',
      inviter_user_id: 0,
      joined_chat_date: 0,
      status: { _: 'chatMemberStatusBanned', banned_until_date: until },
    }));
  } else if (filter === 'restricted' || filter === 'bots') {
    list = [];
  } else {
    list = [...chat.members.values()]
      .filter((m) => filter !== 'administrators' || isAdmin(m))
      .filter((m) => filter !== 'contacts' || ctx.state.requireUser(me(ctx)).contacts.has(m.userId))
      .map(chatMember);
  }
  list = list.filter((m) => m.member_id._ === 'messageSenderUser' && matchesQuery(m.member_id.user_id));
  const page = list.slice(offset, offset + Math.min(limit, 200));
  ctx.session.ensure([], page.flatMap((m) => (m.member_id._ === 'messageSenderUser' ? [m.member_id.user_id] : [])));
  return { _: 'chatMembers', total_count: list.length, members: page };
}

function supergroupFilter(filter: Td.SupergroupMembersFilter$Input | undefined): [string, string] {
  switch (filter?._) {
    case 'supergroupMembersFilterAdministrators':
      return ['administrators', ''];
    case 'supergroupMembersFilterSearch':
      return ['recent', filter.query ?? ''];
    case 'supergroupMembersFilterMention':
      return ['recent', filter.query ?? ''];
    case 'supergroupMembersFilterContacts':
      return ['contacts', filter.query ?? ''];
    case 'supergroupMembersFilterBanned':
      return ['banned', filter.query ?? ''];
    case 'supergroupMembersFilterRestricted':
      return ['restricted', filter.query ?? ''];
    case 'supergroupMembersFilterBots':
      return ['bots', ''];
    default:
      return ['recent', ''];
  }
}

function chatMembersFilter(filter: Td.ChatMembersFilter$Input | undefined): string {
  switch (filter?._) {
    case 'chatMembersFilterAdministrators':
      return 'administrators';
    case 'chatMembersFilterContacts':
      return 'contacts';
    case 'chatMembersFilterBanned':
      return 'banned';
    case 'chatMembersFilterRestricted':
      return 'restricted';
    case 'chatMembersFilterBots':
      return 'bots';
    default:
      return 'recent';
  }
}

function requireSupergroup(ctx: RequestContext, supergroupId: number | undefined): SimChat {
  const chat = ctx.state.chatForViewer(me(ctx), supergroupChatId(supergroupId ?? 0));
  if (!chat || chat.kind !== 'supergroup') throw tdError(400, 'Supergroup not found');
  return chat;
}

function requireBasicGroup(ctx: RequestContext, basicGroupId: number | undefined): SimChat {
  const chat = ctx.state.chatForViewer(me(ctx), -(basicGroupId ?? 0));
  if (!chat || chat.kind !== 'basicGroup') throw tdError(400, 'Basic group not found');
  return chat;
}

// ── options ──────────────────────────────────────────────────────────────────────────────────

function optionValue(ctx: RequestContext, name: string): Td.OptionValue {
  const stored = ctx.session.local.options.get(name);
  if (stored) return stored;
  const user = ctx.state.requireUser(me(ctx));
  switch (name) {
    case 'version':
      return { _: 'optionValueString', value: '1.8.65' };
    case 'commit_hash':
      return { _: 'optionValueString', value: '062f26052623dbecedb42075cab78a759e9f9987' };
    case 'my_id':
      return ctx.session.authorized ? intOption(user.id) : { _: 'optionValueEmpty' };
    case 'online':
      return { _: 'optionValueBoolean', value: false };
    case 'pinned_chat_count_max':
      return intOption(user.pinnedChatLimit);
    case 'pinned_archived_chat_count_max':
      return intOption(100);
    case 'chat_folder_count_max':
      return intOption(10);
    case 'chat_folder_chosen_chat_count_max':
      return intOption(100);
    case 'message_text_length_max':
      return intOption(MAX_TEXT_LENGTH);
    default:
      return { _: 'optionValueEmpty' };
  }
}

function optionFromInput(value: Td.OptionValue$Input | undefined): Td.OptionValue {
  switch (value?._) {
    case 'optionValueBoolean':
      return { _: 'optionValueBoolean', value: value.value ?? false };
    case 'optionValueInteger':
      return { _: 'optionValueInteger', value: String(value.value ?? 0) };
    case 'optionValueString':
      return { _: 'optionValueString', value: value.value ?? '' };
    default:
      return { _: 'optionValueEmpty' };
  }
}

// ── the table ────────────────────────────────────────────────────────────────────────────────

const methods: MethodTable = {
  testReturnError: (_ctx, req) => {
    throw tdError(req.error?.code ?? 0, req.error?.message ?? '');
  },

  getOption: (ctx, req) => optionValue(ctx, req.name ?? ''),
  setOption: (ctx, req) => {
    const name = req.name ?? '';
    if (READ_ONLY_OPTIONS.has(name)) throw tdError(400, 'Option can\'t be set');
    const value = optionFromInput(req.value);
    ctx.session.local.options.set(name, value);
    ctx.session.push({ _: 'updateOption', name, value });
    return OK;
  },

  getMe: (ctx) => ctx.state.tdUser(me(ctx), me(ctx)),
  getUser: (ctx, req) => {
    const id = req.user_id ?? 0;
    if (!ctx.state.user(id) || !ctx.state.knowsUser(me(ctx), id)) throw tdError(400, 'User not found');
    ctx.session.ensure([], [id]);
    return ctx.state.tdUser(id, me(ctx));
  },

  // Chat lists
  loadChats: (ctx, req) => {
    if (req.chat_list?._ === 'chatListFolder') throw tdError(400, 'Chat list not found');
    if ((req.limit ?? 0) <= 0) throw tdError(400, 'Parameter limit must be positive');
    if (!isMainList(req.chat_list)) throw tdError(404, 'Not Found');
    const local = ctx.session.local;
    local.mainListLoadStarted = true;
    const remaining = ctx.state.mainList(me(ctx)).filter((c) => !local.loadedMain.has(c.key));
    if (local.mainListComplete || remaining.length === 0) {
      local.mainListComplete = true;
      throw tdError(404, 'Not Found');
    }
    for (const chat of remaining.slice(0, req.limit ?? 0)) {
      local.loadedMain.add(chat.key);
      if (local.knownChats.has(chat.key)) {
        ctx.session.push({ _: 'updateChatPosition', chat_id: chatIdFor(chat, me(ctx)), position: chatPosition(ctx.state, chat, me(ctx)) });
      } else {
        ctx.session.ensure([chat], []);
      }
    }
    return OK;
  },
  getChats: (ctx, req) => {
    requireMainList(req.chat_list);
    if (!isMainList(req.chat_list)) return { _: 'chats', total_count: 0, chat_ids: [] };
    const list = ctx.state.mainList(me(ctx));
    const page = list.slice(0, Math.max(0, req.limit ?? 0));
    ctx.session.ensure(page, []);
    for (const chat of page) ctx.session.local.loadedMain.add(chat.key);
    return { _: 'chats', total_count: list.length, chat_ids: page.map((c) => chatIdFor(c, me(ctx))) };
  },
  getChat: (ctx, req) => buildChat(ctx.state, requireChat(ctx, req.chat_id), me(ctx), false),
  createPrivateChat: (ctx, req) => privateChatWith(ctx, req.user_id ?? 0),
  openChat: (ctx, req) => {
    ctx.session.local.openedChats.add(requireChat(ctx, req.chat_id).key);
    return OK;
  },
  closeChat: (ctx, req) => {
    ctx.session.local.openedChats.delete(requireChat(ctx, req.chat_id).key);
    return OK;
  },
  toggleChatIsPinned: (ctx, req) => {
    requireMainList(req.chat_list);
    if (!isMainList(req.chat_list)) throw tdError(400, 'Chat not in the list');
    const chat = requireChat(ctx, req.chat_id);
    if (!ctx.session.local.mainListLoadStarted) throw tdError(400, 'Pinned chats must be loaded first');
    ctx.state.setChatPinned(me(ctx), chat.key, req.is_pinned ?? false);
    return OK;
  },

  // Notification settings
  setChatNotificationSettings: (ctx, req) => {
    const chat = requireChat(ctx, req.chat_id);
    ctx.state.setNotificationSettings(me(ctx), chat.key, chatNotificationSettingsFromInput(req.notification_settings));
    return OK;
  },
  getScopeNotificationSettings: (ctx, req) => {
    const scope = scopeFromInput(req.scope);
    if (!scope) throw tdError(400, 'Invalid notification settings scope');
    return ctx.state.scopeNotificationSettings(me(ctx), scope);
  },
  setScopeNotificationSettings: (ctx, req) => {
    const scope = scopeFromInput(req.scope);
    if (!scope) throw tdError(400, 'Invalid notification settings scope');
    ctx.state.setScopeNotificationSettings(me(ctx), scope, scopeNotificationSettingsFromInput(req.notification_settings));
    return OK;
  },

  // Reading
  viewMessages: (ctx, req) => {
    const chat = requireChat(ctx, req.chat_id);
    // TDLib reads only in opened chats unless forced: viewing alone changes nothing otherwise.
    if (!ctx.session.local.openedChats.has(chat.key) && !req.force_read) return OK;
    const viewed = (req.message_ids ?? []).map((id) => ctx.state.messageForViewer(me(ctx), chat, id)).filter((m): m is SimMessage => !!m && !m.deleted);
    if (viewed.length === 0) return OK;
    const maxId = Math.max(...viewed.map((m) => messageIdFor(m, me(ctx)) as number));
    ctx.state.readInbox(me(ctx), chat, maxId);
    ctx.state.readMentions(me(ctx), chat, viewed);
    return OK;
  },
  readAllChatMentions: (ctx, req) => {
    ctx.state.readMentions(me(ctx), requireChat(ctx, req.chat_id), 'all');
    return OK;
  },
  toggleChatIsMarkedAsUnread: (ctx, req) => {
    ctx.state.setMarkedAsUnread(me(ctx), requireChat(ctx, req.chat_id).key, req.is_marked_as_unread ?? false);
    return OK;
  },
  readChatList: (ctx, req) => {
    requireMainList(req.chat_list);
    if (!isMainList(req.chat_list)) return OK;
    // Reads every chat's inbox and clears marks; mentions stay unread, as in TDLib.
    for (const chat of ctx.state.mainList(me(ctx))) {
      ctx.session.ensure([chat], []);
      ctx.state.readInbox(me(ctx), chat, null);
    }
    return OK;
  },

  // Messages
  getChatHistory: (ctx, req) => history(ctx, req),
  getMessage: (ctx, req) => {
    const chat = requireChat(ctx, req.chat_id);
    const msg = ctx.state.messageForViewer(me(ctx), chat, req.message_id ?? 0);
    if (!msg || msg.deleted) throw tdError(404, 'Not Found');
    return tdMessages(ctx, [msg])[0] as Td.message;
  },
  getMessages: (ctx, req) => {
    const chat = requireChat(ctx, req.chat_id);
    const found = (req.message_ids ?? []).map((id) => {
      const msg = ctx.state.messageForViewer(me(ctx), chat, id);
      return msg && !msg.deleted ? msg : null;
    });
    const built = tdMessages(ctx, found.filter((m): m is SimMessage => m !== null));
    let i = 0;
    const messages = found.map((m) => (m ? (built[i++] as Td.message) : null));
    return { _: 'messages', total_count: messages.length, messages };
  },
  searchChatMessages: (ctx, req) => searchChat(ctx, req),
  sendMessage: (ctx, req) => {
    const chat = requireChat(ctx, req.chat_id);
    if (!chat.members.has(me(ctx))) throw tdError(400, 'Have no write access to the chat');
    const input = req.input_message_content;
    if (input?._ !== 'inputMessageText') throw tdError(400, 'The simulator sends text messages only');
    const text = input.text?.text ?? '';
    if (!text.trim()) throw tdError(400, 'Message text is empty');
    if (text.length > MAX_TEXT_LENGTH) throw tdError(400, 'Message is too long');
    const entities = mergeEntities(entitiesFromInput(input.text?.entities, text.length), detectEntities(text));
    const linkPreviewDisabled = input.link_preview_options?.is_disabled ?? false;
    const replyInput = req.reply_to?._ === 'inputMessageReplyToMessage' ? req.reply_to.message_id : undefined;
    // A reply to a message TDLib cannot find is sent as a plain message.
    const replyTo = replyInput ? (ctx.state.messageForViewer(me(ctx), chat, replyInput) ?? null) : null;

    const refusal = sendRefusal(ctx, chat);
    const last = lastVisibleMessage(chat, me(ctx));
    const pendingId = yetUnsentMessageId(last ? serverIdOf(messageIdFor(last, me(ctx)) as number) : 0, ++ctx.session.local.localMessageSeq);
    const content = textContent(text, entities, linkPreviewDisabled);
    const pending = buildPendingMessage(chat, me(ctx), pendingId, ctx.state.now(), content, replyTo ? messageIdFor(replyTo, me(ctx)) : null);
    ctx.session.push({ _: 'updateNewMessage', message: pending });
    // The pending message already moves the chat up the sender's list (pinned chats stay put).
    const position = chatPosition(ctx.state, chat, me(ctx));
    const pendingPosition = position.is_pinned ? position : { ...position, order: chatOrder(pending.date, serverIdOf(pendingId)) };
    ctx.session.push({ _: 'updateChatLastMessage', chat_id: pending.chat_id, last_message: pending, positions: [pendingPosition] });
    // The server accepts it after the pending message was returned: then updateMessageSendSucceeded.
    ctx.session.afterResponse(() => {
      if (!chat.members.has(me(ctx))) return;
      if (refusal) {
        failSend(ctx, pending, pendingPosition, refusal);
        return;
      }
      ctx.state.postMessage(
        chat,
        me(ctx),
        { kind: 'text', text, entities, content },
        { date: ctx.state.now(), replyTo, linkPreviewDisabled, sentByClient: { oldMessageId: pendingId } },
      );
    });
    return pending;
  },
  editMessageText: (ctx, req) => {
    const chat = requireChat(ctx, req.chat_id);
    const msg = requireMessage(ctx, chat, req.message_id);
    if (msg.senderId !== me(ctx) || msg.kind !== 'text') throw tdError(400, 'Message can\'t be edited');
    const input = req.input_message_content;
    if (input?._ !== 'inputMessageText' || !input.text?.text) throw tdError(400, 'Message text is empty');
    ctx.state.editMessage(msg.key, { text: input.text.text, entities: entitiesFromInput(input.text.entities, input.text.text.length) });
    return tdMessages(ctx, [msg])[0] as Td.message;
  },
  deleteMessages: (ctx, req) => {
    const chat = requireChat(ctx, req.chat_id);
    const admin = isAdmin(ctx.state.membership(chat, me(ctx)));
    const targets = (req.message_ids ?? []).map((id) => ctx.state.messageForViewer(me(ctx), chat, id)).filter((m): m is SimMessage => !!m && !m.deleted);
    if (targets.some((m) => m.senderId !== me(ctx) && !admin)) throw tdError(400, 'Message can\'t be deleted');
    ctx.state.deleteMessages(targets.map((m) => m.key));
    return OK;
  },
  sendChatAction: (ctx, req) => {
    const chat = requireChat(ctx, req.chat_id);
    if (!chat.members.has(me(ctx))) throw tdError(400, 'Have no write access to the chat');
    const action: Td.ChatAction = req.action?._ === 'chatActionTyping' ? { _: 'chatActionTyping' } : { _: 'chatActionCancel' };
    ctx.state.chatAction(me(ctx), chat, action);
    return OK;
  },
  getMessageLink: (ctx, req) => {
    const chat = requireChat(ctx, req.chat_id);
    if (chat.kind !== 'supergroup') throw tdError(400, 'Message links are available only for messages in supergroups and channel chats');
    const msg = requireMessage(ctx, chat, req.message_id);
    return { _: 'messageLink', link: `https://t.me/c/${chat.groupId}/${serverIdOf(msg.sharedId ?? 0)}`, is_public: false };
  },
  addMessageReaction: (ctx, req) => {
    const chat = requireChat(ctx, req.chat_id);
    const msg = requireMessage(ctx, chat, req.message_id);
    if (req.reaction_type?._ !== 'reactionTypeEmoji' || !req.reaction_type.emoji) throw tdError(400, 'Invalid reaction specified');
    ctx.state.react(me(ctx), msg.key, req.reaction_type.emoji, true);
    return OK;
  },
  removeMessageReaction: (ctx, req) => {
    const chat = requireChat(ctx, req.chat_id);
    const msg = requireMessage(ctx, chat, req.message_id);
    if (req.reaction_type?._ !== 'reactionTypeEmoji' || !req.reaction_type.emoji) throw tdError(400, 'Invalid reaction specified');
    ctx.state.react(me(ctx), msg.key, req.reaction_type.emoji, false);
    return OK;
  },

  // Groups and members
  getSupergroup: (ctx, req) => buildSupergroup(requireSupergroup(ctx, req.supergroup_id), me(ctx)),
  getSupergroupFullInfo: (ctx, req) => buildSupergroupFullInfo(requireSupergroup(ctx, req.supergroup_id), me(ctx)),
  getBasicGroup: (ctx, req) => buildBasicGroup(requireBasicGroup(ctx, req.basic_group_id), me(ctx)),
  getBasicGroupFullInfo: (ctx, req) => {
    const chat = requireBasicGroup(ctx, req.basic_group_id);
    const info = buildBasicGroupFullInfo(chat);
    ctx.session.ensure([], [...chat.members.keys()]);
    return chat.members.has(me(ctx)) ? info : { ...info, members: [] };
  },
  getSupergroupMembers: (ctx, req) => {
    const chat = requireSupergroup(ctx, req.supergroup_id);
    if (!chat.members.has(me(ctx))) throw tdError(400, 'Member list is inaccessible');
    const [filter, query] = supergroupFilter(req.filter);
    if (filter === 'banned' && !canRestrict(chat.members.get(me(ctx)))) throw tdError(400, 'Not enough rights to get banned members');
    return filteredMembers(ctx, chat, filter, query, req.offset ?? 0, req.limit ?? 0);
  },
  searchChatMembers: (ctx, req) => {
    const chat = requireChat(ctx, req.chat_id);
    if (chat.kind === 'private') {
      const ids = chat.pair ?? [];
      ctx.session.ensure([], ids);
      const members = [...chat.members.values()].map(chatMember);
      return { _: 'chatMembers', total_count: ids.length, members };
    }
    if (!chat.members.has(me(ctx))) throw tdError(400, 'Member list is inaccessible');
    return filteredMembers(ctx, chat, chatMembersFilter(req.filter), req.query ?? '', 0, req.limit ?? 0);
  },
  getChatMember: (ctx, req) => {
    const chat = requireChat(ctx, req.chat_id);
    const userId = userIdOfSender(req.member_id);
    const m = chat.members.get(userId);
    ctx.session.ensure([], [userId]);
    if (m) return chatMember(m);
    return {
      _: 'chatMember',
      member_id: { _: 'messageSenderUser', user_id: userId },
      tag: '',
      inviter_user_id: 0,
      joined_chat_date: 0,
      status: memberStatus(undefined, chat.banned.get(userId)),
    };
  },
  addChatMembers: (ctx, req) => {
    const chat = requireChat(ctx, req.chat_id);
    const ids = [...new Set(req.user_ids ?? [])];
    if (chat.kind === 'private') throw tdError(400, 'Can\'t add members to a private chat');
    if (chat.kind === 'basicGroup') {
      if (ids.length !== 1) throw tdError(400, 'Can\'t add many members at once to a basic group chat');
      return addUsers(ctx, chat, ids);
    }
    if (ids.length === 0) return { _: 'failedToAddMembers', failed_to_add_members: [] };
    if (ids.length > MAX_SUPERGROUP_ADDS) throw tdError(400, 'USERS_TOO_MUCH');
    return addUsers(ctx, chat, ids);
  },
  addChatMember: (ctx, req) => {
    const chat = requireChat(ctx, req.chat_id);
    if (chat.kind === 'private') throw tdError(400, 'Can\'t add members to a private chat');
    return addUsers(ctx, chat, [req.user_id ?? 0]);
  },
  banChatMember: (ctx, req) => {
    const chat = requireChat(ctx, req.chat_id);
    banUser(ctx, chat, userIdOfSender(req.member_id), req.banned_until_date ?? 0, req.revoke_messages ?? false);
    return OK;
  },
  setChatMemberStatus: (ctx, req) => {
    const chat = requireChat(ctx, req.chat_id);
    if (chat.kind === 'private') throw tdError(400, 'Chat member status can\'t be changed in private chats');
    const userId = userIdOfSender(req.member_id);
    const myself = ctx.state.membership(chat, me(ctx));
    const status = req.status;
    switch (status?._) {
      case 'chatMemberStatusLeft':
        if (userId === me(ctx)) ctx.state.removeMember(chat.key, userId);
        else if (!canRestrict(myself)) throw tdError(400, 'Not enough rights to restrict/ban chat member');
        // For a banned user, "left" is how TDLib lifts the ban: they may be invited again.
        else if (chat.banned.has(userId)) chat.banned.delete(userId);
        else ctx.state.removeMember(chat.key, userId, { byUserId: me(ctx) });
        return OK;
      case 'chatMemberStatusBanned':
        banUser(ctx, chat, userId, status.banned_until_date ?? 0, false);
        return OK;
      case 'chatMemberStatusMember': {
        const current = chat.members.get(userId);
        if (current) {
          if (current.role !== 'member' && !canPromote(myself)) throw tdError(400, 'Not enough rights to change chat member status');
          if (current.role === 'administrator') ctx.state.setMemberRole(chat.key, userId, 'member');
          return OK;
        }
        const result = addUsers(ctx, chat, [userId]);
        // setChatMemberStatus turns a privacy refusal into an error (tdlib-notes §3).
        if (result.failed_to_add_members.length > 0) throw tdError(403, 'USER_PRIVACY_RESTRICTED');
        return OK;
      }
      case 'chatMemberStatusAdministrator': {
        if (!canPromote(myself)) throw tdError(400, 'Not enough rights to promote chat member');
        if (!chat.members.has(userId)) {
          const result = addUsers(ctx, chat, [userId]);
          if (result.failed_to_add_members.length > 0) throw tdError(403, 'USER_PRIVACY_RESTRICTED');
        }
        const rights = status.rights;
        ctx.state.setMemberRole(chat.key, userId, 'administrator', {
          canInviteUsers: rights?.can_invite_users ?? false,
          canRestrictMembers: rights?.can_restrict_members ?? false,
          canPromoteMembers: rights?.can_promote_members ?? false,
        });
        return OK;
      }
      default:
        throw tdError(400, 'Unsupported chat member status');
    }
  },
  leaveChat: (ctx, req) => {
    const chat = requireChat(ctx, req.chat_id);
    if (chat.kind === 'private') throw tdError(400, 'Can\'t leave private chats');
    ctx.state.removeMember(chat.key, me(ctx));
    return OK;
  },
  createChatInviteLink: (ctx, req) => {
    const chat = requireChat(ctx, req.chat_id);
    if (chat.kind === 'private') throw tdError(400, 'Can\'t create invite link for the chat');
    const myself = ctx.state.membership(chat, me(ctx));
    if (!(myself?.role === 'creator' || (myself?.role === 'administrator' && myself.rights.canInviteUsers))) {
      throw tdError(400, 'Not enough rights to manage chat invite link');
    }
    const memberLimit = req.member_limit ?? 0;
    if (memberLimit < 0 || memberLimit > 99_999) throw tdError(400, 'Invalid member limit specified');
    const link = ctx.state.createInviteLink(chat.key, me(ctx), { name: req.name ?? '', expirationDate: req.expiration_date ?? 0, memberLimit });
    return {
      _: 'chatInviteLink',
      invite_link: link.link,
      name: link.name,
      creator_user_id: link.creatorId,
      date: link.date,
      edit_date: 0,
      expiration_date: link.expirationDate,
      member_limit: link.memberLimit,
      member_count: link.memberCount,
      expired_member_count: 0,
      pending_join_request_count: 0,
      creates_join_request: req.creates_join_request ?? false,
      is_primary: false,
      is_revoked: false,
    };
  },
};
