/**
 * TDLib objects as one account sees them: its chat ids, message ids, unread counters, positions
 * and member status. Pure functions over the model; the state hands in what they need.
 */
import type * as Td from 'tdlib-types';
import { chatOrder, pinnedChatOrder, serverIdOf } from './ids.ts';
import {
  type AccountChatState,
  type SimChat,
  type SimMessage,
  type SimUser,
  canSeeChat,
  chatIdFor,
  fullName,
  lastVisibleMessage,
  messageIdFor,
} from './model.ts';
import { chatMember, chatPermissions, memberStatus } from './td-objects.ts';

export interface ViewSource {
  user(id: number): SimUser | undefined;
  accountState(userId: number, chat: SimChat): AccountChatState;
  message(key: number): SimMessage | undefined;
}

const MAIN_LIST: Td.chatListMain = { _: 'chatListMain' };

export function buildMessage(src: ViewSource, msg: SimMessage, viewerId: number): Td.message {
  const id = messageIdFor(msg, viewerId);
  if (id === null) throw new Error(`user ${viewerId} has no copy of message ${msg.key}`);
  const state = src.accountState(viewerId, msg.chat);
  const chatId = chatIdFor(msg.chat, viewerId);
  return {
    _: 'message',
    id,
    sender_id: { _: 'messageSenderUser', user_id: msg.senderId },
    chat_id: chatId,
    is_outgoing: msg.senderId === viewerId,
    is_pinned: false,
    is_from_offline: false,
    can_be_saved: true,
    has_timestamped_media: false,
    is_channel_post: false,
    is_paid_star_suggested_post: false,
    is_paid_ton_suggested_post: false,
    contains_unread_mention: state.unreadMentions.has(msg.key),
    contains_unread_poll_votes: false,
    date: msg.date,
    edit_date: msg.editDate,
    interaction_info: interactionInfo(msg, viewerId),
    unread_reactions: [],
    reply_to: replyTo(src, msg, viewerId, chatId),
    self_destruct_in: 0,
    auto_delete_in: 0,
    via_bot_user_id: 0,
    sender_business_bot_user_id: 0,
    sender_boost_count: 0,
    sender_tag: '',
    paid_message_star_count: 0,
    author_signature: '',
    media_album_id: '0',
    effect_id: '0',
    summary_language_code: '',
    content: msg.content,
  } satisfies Td.message;
}

function replyTo(src: ViewSource, msg: SimMessage, viewerId: number, chatId: number): Td.messageReplyToMessage | undefined {
  if (msg.replyToKey === null) return undefined;
  const target = src.message(msg.replyToKey);
  const targetId = target ? messageIdFor(target, viewerId) : null;
  if (targetId === null) return undefined;
  return { _: 'messageReplyToMessage', chat_id: chatId, message_id: targetId, checklist_task_id: 0, poll_option_id: '', origin_send_date: 0 };
}

export function interactionInfo(msg: SimMessage, viewerId: number): Td.messageInteractionInfo | undefined {
  if (msg.reactions.size === 0) return undefined;
  const reactions: Td.messageReaction[] = [...msg.reactions].map(([emoji, userIds]) => ({
    _: 'messageReaction',
    type: { _: 'reactionTypeEmoji', emoji },
    total_count: userIds.length,
    is_chosen: userIds.includes(viewerId),
    recent_sender_ids: userIds.slice(-3).map((user_id) => ({ _: 'messageSenderUser', user_id })),
  }));
  return {
    _: 'messageInteractionInfo',
    view_count: 0,
    forward_count: 0,
    reactions: { _: 'messageReactions', reactions, are_tags: false, paid_reactors: [], can_get_added_reactions: false },
  };
}

/** A pending (not yet sent) outgoing message, as `sendMessage` returns it. */
export function buildPendingMessage(
  chat: SimChat,
  viewerId: number,
  id: number,
  date: number,
  content: Td.MessageContent,
  replyToMessageId: number | null,
): Td.message {
  const chatId = chatIdFor(chat, viewerId);
  return {
    _: 'message',
    id,
    sender_id: { _: 'messageSenderUser', user_id: viewerId },
    chat_id: chatId,
    sending_state: { _: 'messageSendingStatePending', sending_id: 0 },
    is_outgoing: true,
    is_pinned: false,
    is_from_offline: false,
    can_be_saved: true,
    has_timestamped_media: false,
    is_channel_post: false,
    is_paid_star_suggested_post: false,
    is_paid_ton_suggested_post: false,
    contains_unread_mention: false,
    contains_unread_poll_votes: false,
    date,
    edit_date: 0,
    unread_reactions: [],
    reply_to:
      replyToMessageId === null
        ? undefined
        : { _: 'messageReplyToMessage', chat_id: chatId, message_id: replyToMessageId, checklist_task_id: 0, poll_option_id: '', origin_send_date: 0 },
    self_destruct_in: 0,
    auto_delete_in: 0,
    via_bot_user_id: 0,
    sender_business_bot_user_id: 0,
    sender_boost_count: 0,
    sender_tag: '',
    paid_message_star_count: 0,
    author_signature: '',
    media_album_id: '0',
    effect_id: '0',
    summary_language_code: '',
    content,
  } satisfies Td.message;
}

// ── chat list ────────────────────────────────────────────────────────────────────────────────

/** Whether the chat is in the viewer's main list (a private chat only once it has messages). */
export function inMainList(chat: SimChat, viewerId: number): boolean {
  if (chat.kind === 'supergroup') return chat.members.has(viewerId);
  if (chat.kind === 'private') return lastVisibleMessage(chat, viewerId) !== null;
  return canSeeChat(chat, viewerId);
}

export function chatOrderFor(src: ViewSource, chat: SimChat, viewerId: number): string {
  if (!inMainList(chat, viewerId)) return '0';
  const state = src.accountState(viewerId, chat);
  if (state.pinSeq > 0) return pinnedChatOrder(state.pinSeq);
  const last = lastVisibleMessage(chat, viewerId);
  if (last) return chatOrder(last.date, serverIdOf(messageIdFor(last, viewerId) ?? 0));
  return chatOrder(chat.members.get(viewerId)?.joinedAt ?? chat.createdAt, 0);
}

export function chatPosition(src: ViewSource, chat: SimChat, viewerId: number): Td.chatPosition {
  return {
    _: 'chatPosition',
    list: MAIN_LIST,
    order: chatOrderFor(src, chat, viewerId),
    is_pinned: src.accountState(viewerId, chat).pinSeq > 0 && inMainList(chat, viewerId),
  };
}

/** Positions as TDLib lists them: only lists the chat is in. */
export function chatPositions(src: ViewSource, chat: SimChat, viewerId: number): Td.chatPosition[] {
  const p = chatPosition(src, chat, viewerId);
  return p.order === '0' ? [] : [p];
}

export function unreadCount(src: ViewSource, chat: SimChat, viewerId: number): number {
  const lastRead = src.accountState(viewerId, chat).lastReadInboxId;
  let count = 0;
  for (let i = chat.messages.length - 1; i >= 0; i--) {
    const m = chat.messages[i] as SimMessage;
    const id = messageIdFor(m, viewerId);
    if (id === null) continue;
    if (id <= lastRead) break;
    if (!m.deleted && m.senderId !== viewerId) count++;
  }
  return count;
}

export function unreadMentionCount(src: ViewSource, chat: SimChat, viewerId: number): number {
  let count = 0;
  for (const key of src.accountState(viewerId, chat).unreadMentions) if (src.message(key)?.deleted === false) count++;
  return count;
}

export function chatTitleFor(src: ViewSource, chat: SimChat, viewerId: number): string {
  if (chat.kind !== 'private') return chat.title;
  const other = src.user(chatIdFor(chat, viewerId));
  return other ? fullName(other) : chat.title;
}

export function chatType(chat: SimChat, viewerId: number): Td.ChatType {
  switch (chat.kind) {
    case 'supergroup':
      return { _: 'chatTypeSupergroup', supergroup_id: chat.groupId, is_channel: false };
    case 'basicGroup':
      return { _: 'chatTypeBasicGroup', basic_group_id: chat.groupId };
    case 'private':
      return { _: 'chatTypePrivate', user_id: chatIdFor(chat, viewerId) };
  }
}

/**
 * The chat object. `bare` is the form `updateNewChat` carries when TDLib learns of a chat from
 * the server: no positions and no last message yet; they follow in their own updates.
 */
export function buildChat(src: ViewSource, chat: SimChat, viewerId: number, bare: boolean): Td.chat {
  const state = src.accountState(viewerId, chat);
  const last = bare ? null : lastVisibleMessage(chat, viewerId);
  const positions = bare ? [] : chatPositions(src, chat, viewerId);
  return {
    _: 'chat',
    id: chatIdFor(chat, viewerId),
    type: chatType(chat, viewerId),
    title: chatTitleFor(src, chat, viewerId),
    accent_color_id: Math.abs(chat.tdId) % 7,
    background_custom_emoji_id: '0',
    profile_accent_color_id: -1,
    profile_background_custom_emoji_id: '0',
    permissions: chatPermissions(chat.membersCanInvite),
    last_message: last ? buildMessage(src, last, viewerId) : undefined,
    positions,
    chat_lists: positions.map((p) => p.list),
    has_protected_content: false,
    is_translatable: false,
    is_marked_as_unread: state.isMarkedAsUnread,
    view_as_topics: false,
    has_scheduled_messages: false,
    can_be_deleted_only_for_self: chat.kind !== 'supergroup',
    can_be_deleted_for_all_users: chat.kind === 'private',
    can_be_reported: chat.kind !== 'private',
    default_disable_notification: false,
    unread_count: unreadCount(src, chat, viewerId),
    last_read_inbox_message_id: state.lastReadInboxId,
    last_read_outbox_message_id: state.lastReadOutboxId,
    unread_mention_count: unreadMentionCount(src, chat, viewerId),
    unread_reaction_count: 0,
    unread_poll_vote_count: 0,
    notification_settings: { ...state.notificationSettings },
    available_reactions: { _: 'chatAvailableReactionsAll', max_reaction_count: 11 },
    message_auto_delete_time: 0,
    video_chat: { _: 'videoChat', group_call_id: 0, has_participants: false },
    reply_markup_message_id: 0,
    client_data: '',
  } satisfies Td.chat;
}

// ── groups ───────────────────────────────────────────────────────────────────────────────────

export function buildSupergroup(chat: SimChat, viewerId: number): Td.supergroup {
  return {
    _: 'supergroup',
    id: chat.groupId,
    date: chat.createdAt,
    status: memberStatus(chat.members.get(viewerId), chat.banned.get(viewerId)),
    member_count: chat.members.size,
    boost_level: 0,
    has_automatic_translation: false,
    has_linked_chat: false,
    has_location: false,
    sign_messages: false,
    show_message_sender: false,
    join_to_send_messages: true,
    join_by_request: false,
    is_slow_mode_enabled: false,
    is_channel: false,
    is_broadcast_group: false,
    is_forum: false,
    is_direct_messages_group: false,
    is_administered_direct_messages_group: false,
    has_direct_messages_group: false,
    has_forum_tabs: false,
    paid_message_star_count: 0,
  } satisfies Td.supergroup;
}

export function buildBasicGroup(chat: SimChat, viewerId: number): Td.basicGroup {
  return {
    _: 'basicGroup',
    id: chat.groupId,
    member_count: chat.members.size,
    status: memberStatus(chat.members.get(viewerId), undefined),
    is_active: true,
    upgraded_to_supergroup_id: 0,
  } satisfies Td.basicGroup;
}

export function membersOf(chat: SimChat): Td.chatMember[] {
  return [...chat.members.values()].map(chatMember);
}

export function buildBasicGroupFullInfo(chat: SimChat): Td.basicGroupFullInfo {
  return {
    _: 'basicGroupFullInfo',
    description: '',
    creator_user_id: chat.creatorId,
    members: membersOf(chat),
    can_hide_members: false,
    can_toggle_aggressive_anti_spam: false,
    bot_commands: [],
  } satisfies Td.basicGroupFullInfo;
}

export function buildSupergroupFullInfo(chat: SimChat, viewerId: number): Td.supergroupFullInfo {
  const admins = [...chat.members.values()].filter((m) => m.role !== 'member').length;
  const viewerRole = chat.members.get(viewerId)?.role;
  return {
    _: 'supergroupFullInfo',
    description: '',
    member_count: chat.members.size,
    administrator_count: admins,
    restricted_count: 0,
    banned_count: chat.banned.size,
    linked_chat_id: 0,
    direct_messages_chat_id: 0,
    slow_mode_delay: 0,
    slow_mode_delay_expires_in: 0,
    can_enable_paid_messages: false,
    can_enable_paid_reaction: false,
    can_get_members: true,
    has_hidden_members: false,
    can_hide_members: viewerRole === 'creator' || viewerRole === 'administrator',
    can_set_sticker_set: false,
    can_set_location: false,
    can_get_statistics: false,
    can_get_revenue_statistics: false,
    can_get_star_revenue_statistics: false,
    can_send_gift: false,
    can_toggle_aggressive_anti_spam: false,
    is_all_history_available: true,
    can_have_sponsored_messages: false,
    has_aggressive_anti_spam_enabled: false,
    has_paid_media_allowed: false,
    has_pinned_stories: false,
    gift_count: 0,
    my_boost_count: 0,
    unrestrict_boost_count: 0,
    outgoing_paid_message_star_count: 0,
    sticker_set_id: '0',
    custom_emoji_sticker_set_id: '0',
    guard_bot_user_id: 0,
    bot_commands: [],
    upgraded_from_basic_group_id: 0,
    upgraded_from_max_message_id: 0,
  } satisfies Td.supergroupFullInfo;
}
