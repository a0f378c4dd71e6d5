/**
 * TDLib objects into tgdesk's own shapes (src/domain/telegram.ts). Pure: no I/O, no clock
 * (the receive time is passed in where a value depends on it).
 *
 * This is the only place that knows TDLib field names for chats, messages and updates, so a
 * TDLib upgrade that renames a field breaks here, under tsc, and nowhere else.
 */
import type * as Td from 'tdlib-types';
import type { ChatType, SenderRef } from '../domain/ids.ts';
import type {
  AuthState,
  ChatListName,
  ChatMemberStatus,
  ChatPosition,
  ConnectionState,
  ContentKind,
  EntityType,
  NotificationScope,
  NotificationSettings,
  TextEntity,
  TgChat,
  TgEvent,
  TgMessage,
  TgUser,
} from '../domain/telegram.ts';

/**
 * One update into at most one event; null for everything tgdesk does not follow.
 * `receivedAt` (Unix seconds) only bounds "last seen" for users reported online right now.
 */
export function translateUpdate(update: Td.Update, receivedAt?: number): TgEvent | null {
  switch (update._) {
    case 'updateAuthorizationState':
      return { kind: 'auth', state: translateAuthState(update.authorization_state) };
    case 'updateConnectionState':
      return { kind: 'connection', state: translateConnectionState(update.state) };
    case 'updateUser':
      return { kind: 'user', user: translateUser(update.user, receivedAt) };
    case 'updateNewChat':
      return { kind: 'chat', chat: translateChat(update.chat) };
    case 'updateChatTitle':
      return { kind: 'chatTitle', tdChatId: update.chat_id, title: update.title };
    case 'updateChatPosition':
      return { kind: 'chatPosition', tdChatId: update.chat_id, position: translatePosition(update.position) };
    case 'updateChatLastMessage':
      return {
        kind: 'chatLastMessage',
        tdChatId: update.chat_id,
        lastMessage: update.last_message ? translateMessage(update.last_message) : null,
        positions: update.positions.map(translatePosition),
      };
    case 'updateNewMessage':
      return { kind: 'message', message: translateMessage(update.message) };
    case 'updateMessageSendSucceeded':
      return {
        kind: 'messageSendSucceeded',
        message: translateMessage(update.message),
        oldTdMessageId: update.old_message_id,
      };
    case 'updateMessageEdited':
      return {
        kind: 'messageEdited',
        tdChatId: update.chat_id,
        tdMessageId: update.message_id,
        editDate: update.edit_date,
      };
    case 'updateMessageContent': {
      const content = translateContent(update.new_content);
      return {
        kind: 'messageContent',
        tdChatId: update.chat_id,
        tdMessageId: update.message_id,
        text: content.text,
        entities: content.entities,
        contentKind: content.kind,
        mediaSummary: content.summary,
      };
    }
    case 'updateDeleteMessages':
      return {
        kind: 'messagesDeleted',
        tdChatId: update.chat_id,
        tdMessageIds: update.message_ids,
        // from_cache: TDLib only forgot them locally; they may come back from the server.
        isPermanent: update.is_permanent && !update.from_cache,
      };
    case 'updateChatReadInbox':
      return {
        kind: 'readInbox',
        tdChatId: update.chat_id,
        lastReadInboxId: update.last_read_inbox_message_id,
        unreadCount: update.unread_count,
      };
    case 'updateChatReadOutbox':
      return { kind: 'readOutbox', tdChatId: update.chat_id, lastReadOutboxId: update.last_read_outbox_message_id };
    case 'updateChatUnreadMentionCount':
      return { kind: 'unreadMentionCount', tdChatId: update.chat_id, unreadMentionCount: update.unread_mention_count };
    case 'updateMessageMentionRead':
      return {
        kind: 'mentionRead',
        tdChatId: update.chat_id,
        tdMessageId: update.message_id,
        unreadMentionCount: update.unread_mention_count,
      };
    case 'updateChatIsMarkedAsUnread':
      return { kind: 'markedAsUnread', tdChatId: update.chat_id, isMarkedAsUnread: update.is_marked_as_unread };
    case 'updateChatNotificationSettings':
      return {
        kind: 'notificationSettings',
        tdChatId: update.chat_id,
        settings: translateNotificationSettings(update.notification_settings),
      };
    case 'updateScopeNotificationSettings':
      return {
        kind: 'scopeNotificationSettings',
        scope: translateScope(update.scope),
        muteFor: update.notification_settings.mute_for,
      };
    case 'updateChatMember': {
      const member = update.new_chat_member;
      // Channels can be members of chats too; tgdesk tracks people only.
      if (member.member_id._ !== 'messageSenderUser') return null;
      return {
        kind: 'chatMember',
        tdChatId: update.chat_id,
        userId: member.member_id.user_id,
        status: translateMemberStatus(member.status),
      };
    }
    default:
      return null;
  }
}

export function translateAuthState(state: Td.AuthorizationState): AuthState {
  switch (state._) {
    case 'authorizationStateWaitTdlibParameters':
      return { kind: 'waitParameters' };
    case 'authorizationStateWaitPhoneNumber':
      return { kind: 'waitPhoneNumber' };
    case 'authorizationStateWaitCode': {
      // code_info also carries the phone number: deliberately not copied.
      const type = state.code_info.type;
      const length = 'length' in type && typeof type.length === 'number' && type.length > 0 ? type.length : null;
      return { kind: 'waitCode', codeLength: length, via: lowerFirst(type._.replace(/^authenticationCodeType/, '')) };
    }
    case 'authorizationStateWaitPassword':
      return { kind: 'waitPassword', hint: state.password_hint };
    case 'authorizationStateWaitOtherDeviceConfirmation':
      return { kind: 'waitOtherDeviceConfirmation', link: state.link };
    case 'authorizationStateWaitRegistration':
    // A new account that must buy Premium to sign up: like registration, it can only be
    // finished in an official app, so it is reported the same way.
    case 'authorizationStateWaitPremiumPurchase':
      return { kind: 'waitRegistration' };
    case 'authorizationStateWaitEmailAddress':
    case 'authorizationStateWaitEmailCode':
      return { kind: 'waitEmail' };
    case 'authorizationStateReady':
      return { kind: 'ready' };
    case 'authorizationStateLoggingOut':
      return { kind: 'loggingOut' };
    case 'authorizationStateClosing':
      return { kind: 'closing' };
    case 'authorizationStateClosed':
      return { kind: 'closed' };
  }
}

export function translateConnectionState(state: Td.ConnectionState): ConnectionState {
  switch (state._) {
    case 'connectionStateWaitingForNetwork':
      return 'waitingForNetwork';
    case 'connectionStateConnectingToProxy':
      return 'connectingToProxy';
    case 'connectionStateConnecting':
      return 'connecting';
    case 'connectionStateUpdating':
      return 'updating';
    case 'connectionStateReady':
      return 'ready';
  }
}

export function translateUser(user: Td.user, receivedAt?: number): TgUser {
  const usernames = user.usernames;
  const username = usernames?.active_usernames[0] ?? (usernames?.editable_username || null);
  return {
    id: user.id,
    firstName: user.first_name,
    lastName: user.last_name,
    username,
    isBot: user.type._ === 'userTypeBot',
    lastSeenAt: lastSeenAt(user.status, receivedAt),
  };
}

function lastSeenAt(status: Td.UserStatus, receivedAt: number | undefined): number | null {
  switch (status._) {
    case 'userStatusOffline':
      return status.was_online || null;
    case 'userStatusOnline':
      // `expires` is in the future; the user is online at the time we heard it.
      return receivedAt !== undefined ? Math.min(receivedAt, status.expires) : status.expires;
    default:
      // Recently/last week/last month: the user hides the exact time.
      return null;
  }
}

export function translateChat(chat: Td.chat): TgChat {
  const { type, typeId } = chatTypeOf(chat.type);
  return {
    tdChatId: chat.id,
    type,
    typeId,
    title: chat.title,
    unreadCount: chat.unread_count,
    lastReadInboxId: chat.last_read_inbox_message_id,
    lastReadOutboxId: chat.last_read_outbox_message_id,
    unreadMentionCount: chat.unread_mention_count,
    isMarkedAsUnread: chat.is_marked_as_unread,
    notificationSettings: translateNotificationSettings(chat.notification_settings),
    positions: chat.positions.map(translatePosition),
    lastMessage: chat.last_message ? translateMessage(chat.last_message) : null,
  };
}

export function chatTypeOf(type: Td.ChatType): { type: ChatType; typeId: number } {
  switch (type._) {
    case 'chatTypePrivate':
      return { type: 'private', typeId: type.user_id };
    case 'chatTypeBasicGroup':
      return { type: 'basic', typeId: type.basic_group_id };
    case 'chatTypeSupergroup':
      return { type: type.is_channel ? 'channel' : 'supergroup', typeId: type.supergroup_id };
    case 'chatTypeSecret':
      // The user on the other side, like a private chat; the secret chat id itself is per device.
      return { type: 'secret', typeId: type.user_id };
  }
}

export function chatListName(list: Td.ChatList): ChatListName {
  switch (list._) {
    case 'chatListMain':
      return 'main';
    case 'chatListArchive':
      return 'archive';
    case 'chatListFolder':
      return `folder:${list.chat_folder_id}`;
  }
}

export function translatePosition(position: Td.chatPosition): ChatPosition {
  return { list: chatListName(position.list), order: position.order, isPinned: position.is_pinned };
}

export function translateNotificationSettings(settings: Td.chatNotificationSettings): NotificationSettings {
  return {
    useDefaultMuteFor: settings.use_default_mute_for,
    muteFor: settings.mute_for,
    raw: { ...settings },
  };
}

function translateScope(scope: Td.NotificationSettingsScope): NotificationScope {
  switch (scope._) {
    case 'notificationSettingsScopePrivateChats':
      return 'private';
    case 'notificationSettingsScopeGroupChats':
      return 'group';
    case 'notificationSettingsScopeChannelChats':
      return 'channel';
  }
}

export function translateMemberStatus(status: Td.ChatMemberStatus): ChatMemberStatus {
  switch (status._) {
    case 'chatMemberStatusCreator':
      // A creator who left still owns the chat but is not in it.
      return status.is_member ? 'creator' : 'left';
    case 'chatMemberStatusAdministrator':
      return 'administrator';
    case 'chatMemberStatusMember':
      return 'member';
    case 'chatMemberStatusRestricted':
      // Restrictions can outlive membership; what matters to tgdesk is who is in the chat.
      return status.is_member ? 'restricted' : 'left';
    case 'chatMemberStatusLeft':
      return 'left';
    case 'chatMemberStatusBanned':
      return 'banned';
  }
}

export function senderOf(sender: Td.MessageSender): SenderRef {
  return sender._ === 'messageSenderUser' ? { kind: 'user', id: sender.user_id } : { kind: 'chat', id: sender.chat_id };
}

export function translateMessage(message: Td.message): TgMessage {
  const content = translateContent(message.content);
  const reply = message.reply_to;
  // Replies to other chats (and to stories) have no meaning inside this chat's history.
  const replyTo =
    reply?._ === 'messageReplyToMessage' && reply.chat_id === message.chat_id && reply.message_id !== 0
      ? reply.message_id
      : null;
  return {
    tdChatId: message.chat_id,
    tdMessageId: message.id,
    sender: senderOf(message.sender_id),
    isOutgoing: message.is_outgoing,
    date: message.date,
    editDate: message.edit_date,
    replyToTdMessageId: replyTo,
    text: content.text,
    entities: content.entities,
    contentKind: content.kind,
    mediaSummary: content.summary,
    isService: content.kind === 'service',
    containsUnreadMention: message.contains_unread_mention,
  };
}

export interface TranslatedContent {
  readonly kind: ContentKind;
  readonly text: string;
  readonly entities: readonly TextEntity[];
  readonly summary: string | null;
}

const NO_TEXT = { text: '', entities: [] as readonly TextEntity[] };

/** The text, kind and one-line label of a message's content. */
export function translateContent(content: Td.MessageContent): TranslatedContent {
  switch (content._) {
    case 'messageText':
      return { kind: 'text', ...formatted(content.text), summary: null };
    case 'messageAnimatedEmoji':
      // A lone emoji that Telegram animates: to people it is text.
      return { kind: 'text', text: content.emoji, entities: [], summary: null };
    case 'messagePhoto': {
      const largest = largestPhotoSize(content.photo);
      return { kind: 'photo', ...formatted(content.caption), summary: largest ? `photo ${largest.width}×${largest.height}` : 'photo' };
    }
    case 'messageVideo': {
      const v = content.video;
      return { kind: 'video', ...formatted(content.caption), summary: `video ${v.width}×${v.height} ${duration(v.duration)}` };
    }
    case 'messageDocument': {
      const d = content.document;
      return { kind: 'document', ...formatted(content.caption), summary: labelWithSize('document', d.file_name, fileSize(d.document)) };
    }
    case 'messageAudio': {
      const a = content.audio;
      const name = a.performer && a.title ? `${a.performer} – ${a.title}` : a.title || a.file_name;
      return { kind: 'audio', ...formatted(content.caption), summary: join('audio', name, duration(a.duration)) };
    }
    case 'messageVoiceNote':
      return { kind: 'voice', ...formatted(content.caption), summary: `voice ${duration(content.voice_note.duration)}` };
    case 'messageVideoNote':
      return { kind: 'videoNote', ...NO_TEXT, summary: `video message ${duration(content.video_note.duration)}` };
    case 'messageSticker':
      return { kind: 'sticker', ...NO_TEXT, summary: join('sticker', content.sticker.emoji) };
    case 'messageAnimation': {
      const a = content.animation;
      return { kind: 'animation', ...formatted(content.caption), summary: join('GIF', duration(a.duration)) };
    }
    case 'messageLocation':
      return { kind: 'location', ...NO_TEXT, summary: `location ${coordinates(content.location)}` };
    case 'messageLiveLocation':
      return { kind: 'location', ...NO_TEXT, summary: `live location ${coordinates(content.location.location)}` };
    case 'messageVenue':
      return { kind: 'location', ...NO_TEXT, summary: join('venue', content.venue.title, content.venue.address && `(${content.venue.address})`) };
    case 'messageContact': {
      // The contact's phone number stays out: summaries end up in logs and search indexes.
      const c = content.contact;
      return { kind: 'contact', ...NO_TEXT, summary: join('contact', [c.first_name, c.last_name].filter(Boolean).join(' ')) };
    }
    case 'messagePoll':
      return { kind: 'poll', ...formatted(content.poll.question), summary: 'poll' };
    case 'messageDice':
      return { kind: 'other', text: content.emoji, entities: [], summary: `dice ${content.emoji} ${content.value}` };
    case 'messageExpiredPhoto':
      return { kind: 'photo', ...NO_TEXT, summary: 'photo (expired)' };
    case 'messageExpiredVideo':
      return { kind: 'video', ...NO_TEXT, summary: 'video (expired)' };
    case 'messageExpiredVoiceNote':
      return { kind: 'voice', ...NO_TEXT, summary: 'voice (expired)' };
    case 'messageExpiredVideoNote':
      return { kind: 'videoNote', ...NO_TEXT, summary: 'video message (expired)' };
    case 'messagePaidMedia':
      return { kind: 'other', ...formatted(content.caption), summary: 'paid media' };
    case 'messageGame':
      return { kind: 'other', ...NO_TEXT, summary: join('game', content.game.title) };
    case 'messageChecklist':
      return { kind: 'other', ...formatted(content.list.title), summary: 'checklist' };
    case 'messageStory':
      return { kind: 'other', ...NO_TEXT, summary: 'story' };
    case 'messageInvoice':
      return { kind: 'other', ...NO_TEXT, summary: 'invoice' };
    case 'messageRichMessage':
    case 'messageStakeDice':
    case 'messageUnsupported':
      return { kind: 'other', ...NO_TEXT, summary: humanize(content._) };
    default:
      // Everything else is something that happened to the chat (joins, pins, title
      // changes, calls, gifts…), never a message somebody wrote.
      return { kind: 'service', ...NO_TEXT, summary: serviceSummary(content) };
  }
}

function serviceSummary(content: Td.MessageContent): string {
  switch (content._) {
    case 'messageChatChangeTitle':
      return `title changed to “${content.title}”`;
    case 'messageChatAddMembers':
      return content.member_user_ids.length === 1 ? 'member added' : `${content.member_user_ids.length} members added`;
    case 'messageChatJoinByLink':
      return 'joined by link';
    case 'messageChatJoinByRequest':
      return 'joined by request';
    case 'messageChatDeleteMember':
      return 'member left';
    case 'messagePinMessage':
      return 'message pinned';
    case 'messageBasicGroupChatCreate':
    case 'messageSupergroupChatCreate':
      return `group “${content.title}” created`;
    case 'messageChatChangePhoto':
      return 'photo changed';
    case 'messageChatDeletePhoto':
      return 'photo removed';
    case 'messageChatUpgradeTo':
    case 'messageChatUpgradeFrom':
      return 'upgraded to supergroup';
    case 'messageCall':
      return content.is_video ? `video call ${duration(content.duration)}` : `call ${duration(content.duration)}`;
    default:
      return humanize(content._);
  }
}

function formatted(text: Td.formattedText): { text: string; entities: readonly TextEntity[] } {
  return { text: text.text, entities: text.entities.map(translateEntity) };
}

export function translateEntity(entity: Td.textEntity): TextEntity {
  const base = { offset: entity.offset, length: entity.length };
  const t = entity.type;
  switch (t._) {
    case 'textEntityTypeMentionName':
      return { ...base, type: 'mentionName', userId: t.user_id };
    case 'textEntityTypeTextUrl':
      return { ...base, type: 'textUrl', url: t.url };
    default:
      return { ...base, type: ENTITY_TYPES[t._] ?? 'other' };
  }
}

const ENTITY_TYPES: Partial<Record<Td.TextEntityType['_'], EntityType>> = {
  textEntityTypeMention: 'mention',
  textEntityTypeUrl: 'url',
  textEntityTypeEmailAddress: 'email',
  textEntityTypePhoneNumber: 'phone',
  textEntityTypeHashtag: 'hashtag',
  textEntityTypeBotCommand: 'botCommand',
  textEntityTypeCode: 'code',
  textEntityTypePre: 'pre',
  textEntityTypePreCode: 'pre',
  textEntityTypeBold: 'bold',
  textEntityTypeItalic: 'italic',
};

function largestPhotoSize(photo: Td.photo): Td.photoSize | undefined {
  let best: Td.photoSize | undefined;
  for (const size of photo.sizes) if (!best || size.width * size.height > best.width * best.height) best = size;
  return best;
}

function coordinates(l: Td.location): string {
  return `${l.latitude.toFixed(5)}, ${l.longitude.toFixed(5)}`;
}

function fileSize(file: Td.file): number {
  return file.size || file.expected_size;
}

/** "m:ss", or "h:mm:ss" from an hour up. */
export function duration(totalSeconds: number): string {
  const s = Math.max(0, Math.round(totalSeconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** Binary units with the names people expect: 12 MB, 1.5 GB, 800 KB. */
export function humanSize(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  const shown = unit === 0 || value >= 10 ? String(Math.round(value)) : value.toFixed(1).replace(/\.0$/, '');
  return `${shown} ${units[unit]}`;
}

function labelWithSize(label: string, name: string, bytes: number): string {
  return join(label, name, bytes > 0 ? `(${humanSize(bytes)})` : '');
}

function join(...parts: (string | null | undefined)[]): string {
  return parts.filter((p) => p).join(' ');
}

function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}

/** `messageChatSetTheme` → "chat set theme". */
function humanize(name: string): string {
  return name
    .replace(/^message/, '')
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase();
}
