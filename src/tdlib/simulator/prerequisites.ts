/**
 * TDLib's ordering promise: `updateUser`, `updateSupergroup`, `updateBasicGroup` and
 * `updateNewChat` come before any update or response that mentions the id. Given an update
 * about to be delivered, this lists what the client must be told first, and records it as told.
 */
import type * as Td from 'tdlib-types';
import { type SimChat, chatIdFor, lastVisibleMessage } from './model.ts';
import type { SessionLocal } from './session-state.ts';
import type { SimState } from './state.ts';
import { buildBasicGroup, buildBasicGroupFullInfo, buildChat, buildMessage, buildSupergroup, chatPositions } from './views.ts';

/** Users a message refers to: its sender and the people in service messages. */
export function usersInMessage(message: Td.message): number[] {
  const ids: number[] = [];
  if (message.sender_id._ === 'messageSenderUser') ids.push(message.sender_id.user_id);
  const c = message.content;
  if (c._ === 'messageChatAddMembers' || c._ === 'messageBasicGroupChatCreate') ids.push(...c.member_user_ids);
  if (c._ === 'messageChatDeleteMember') ids.push(c.user_id);
  return ids;
}

function chatIdOf(update: Td.Update): number | null {
  switch (update._) {
    case 'updateNewMessage':
    case 'updateMessageSendSucceeded':
      return update.message.chat_id;
    case 'updateNewChat':
      return null;
    default:
      return 'chat_id' in update && typeof update.chat_id === 'number' ? update.chat_id : null;
  }
}

function usersOf(update: Td.Update): number[] {
  switch (update._) {
    case 'updateNewMessage':
    case 'updateMessageSendSucceeded':
      return usersInMessage(update.message);
    case 'updateChatLastMessage':
      return update.last_message ? usersInMessage(update.last_message) : [];
    case 'updateChatAction':
      return update.sender_id._ === 'messageSenderUser' ? [update.sender_id.user_id] : [];
    case 'updateBasicGroupFullInfo':
      return update.basic_group_full_info.members.flatMap((m) => (m.member_id._ === 'messageSenderUser' ? [m.member_id.user_id] : []));
    default:
      return [];
  }
}

export class Prerequisites {
  private readonly state: SimState;
  private readonly viewerId: number;
  private readonly local: SessionLocal;

  constructor(state: SimState, viewerId: number, local: SessionLocal) {
    this.state = state;
    this.viewerId = viewerId;
    this.local = local;
  }

  /** What must precede `update`; also notes what `update` itself announces. */
  before(update: Td.Update): Td.Update[] {
    const out: Td.Update[] = [];
    for (const id of usersOf(update)) this.user(id, out);
    const chatId = chatIdOf(update);
    if (chatId !== null) {
      const chat = this.state.chatForViewer(this.viewerId, chatId);
      if (chat) this.chat(chat, out);
    }
    this.noteAnnounced(update);
    return out;
  }

  /** What must precede a response that mentions these chats and users. */
  forResponse(chats: readonly SimChat[], userIds: readonly number[]): Td.Update[] {
    const out: Td.Update[] = [];
    for (const id of userIds) this.user(id, out);
    for (const chat of chats) this.chat(chat, out);
    return out;
  }

  private noteAnnounced(update: Td.Update): void {
    switch (update._) {
      case 'updateUser':
        this.local.knownUsers.add(update.user.id);
        break;
      case 'updateSupergroup':
        this.local.knownGroups.add(`sg:${update.supergroup.id}`);
        break;
      case 'updateBasicGroup':
        this.local.knownGroups.add(`bg:${update.basic_group.id}`);
        break;
      default:
        break;
    }
  }

  private user(id: number, out: Td.Update[]): void {
    if (this.local.knownUsers.has(id) || !this.state.user(id)) return;
    this.local.knownUsers.add(id);
    out.push({ _: 'updateUser', user: this.state.tdUser(id, this.viewerId) });
  }

  private group(chat: SimChat, out: Td.Update[]): void {
    if (chat.kind === 'private' || this.local.knownGroups.has(chat.key)) return;
    this.local.knownGroups.add(chat.key);
    if (chat.kind === 'supergroup') {
      out.push({ _: 'updateSupergroup', supergroup: buildSupergroup(chat, this.viewerId) });
    } else {
      out.push({ _: 'updateBasicGroup', basic_group: buildBasicGroup(chat, this.viewerId) });
      if (chat.members.has(this.viewerId)) {
        for (const id of chat.members.keys()) this.user(id, out);
        out.push({ _: 'updateBasicGroupFullInfo', basic_group_id: chat.groupId, basic_group_full_info: buildBasicGroupFullInfo(chat) });
      }
    }
  }

  /**
   * A chat new to this client: `updateNewChat` in the bare form TDLib sends for a chat it just
   * learned of, then its last message and position in their own update, as TDLib does.
   */
  private chat(chat: SimChat, out: Td.Update[]): void {
    if (this.local.knownChats.has(chat.key)) return;
    this.local.knownChats.add(chat.key);
    if (chat.kind === 'private' && chat.pair) this.user(chatIdFor(chat, this.viewerId), out);
    this.group(chat, out);
    out.push({ _: 'updateNewChat', chat: buildChat(this.state, chat, this.viewerId, true) });
    const last = lastVisibleMessage(chat, this.viewerId);
    const positions = chatPositions(this.state, chat, this.viewerId);
    if (last) {
      const message = buildMessage(this.state, last, this.viewerId);
      for (const id of usersInMessage(message)) this.user(id, out);
      out.push({ _: 'updateChatLastMessage', chat_id: chatIdFor(chat, this.viewerId), last_message: message, positions });
    } else {
      for (const position of positions) out.push({ _: 'updateChatPosition', chat_id: chatIdFor(chat, this.viewerId), position });
    }
  }
}
