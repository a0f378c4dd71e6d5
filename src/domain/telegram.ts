/**
 * What Telegram tells an account, in tgdesk's own words.
 *
 * src/tdlib translates TDLib updates and responses into these shapes; nothing TDLib-typed
 * crosses into the app or the domain. Values are absolute (an unread count is 5, not +1),
 * as TDLib sends them, so applying an event twice is harmless.
 */
import type { ChatType, SenderRef } from './ids.ts';

export type AccountId = string;

export interface TgUser {
  readonly id: number;
  readonly firstName: string;
  readonly lastName: string;
  readonly username: string | null;
  readonly isBot: boolean;
  /** Unix seconds of the last time Telegram reported the user online, if known. */
  readonly lastSeenAt: number | null;
}

export type EntityType =
  | 'mention'
  | 'mentionName'
  | 'url'
  | 'textUrl'
  | 'email'
  | 'phone'
  | 'hashtag'
  | 'botCommand'
  | 'code'
  | 'pre'
  | 'bold'
  | 'italic'
  | 'other';

export interface TextEntity {
  readonly type: EntityType;
  /** Offset and length in UTF-16 code units, as Telegram counts them. */
  readonly offset: number;
  readonly length: number;
  /** For `mentionName`: the mentioned user. */
  readonly userId?: number;
  /** For `textUrl`: the target. */
  readonly url?: string;
}

export type ContentKind =
  | 'text'
  | 'photo'
  | 'video'
  | 'document'
  | 'audio'
  | 'voice'
  | 'videoNote'
  | 'sticker'
  | 'animation'
  | 'location'
  | 'contact'
  | 'poll'
  | 'service'
  | 'other';

/** A message as one account sees it. */
export interface TgMessage {
  readonly tdChatId: number;
  /** The id in this account's id space (equal for all accounts only in supergroups). */
  readonly tdMessageId: number;
  readonly sender: SenderRef;
  readonly isOutgoing: boolean;
  /** Unix seconds. */
  readonly date: number;
  /** Unix seconds, 0 if never edited. */
  readonly editDate: number;
  /** The replied message, in the same account's id space, in the same chat. */
  readonly replyToTdMessageId: number | null;
  readonly text: string;
  readonly entities: readonly TextEntity[];
  readonly contentKind: ContentKind;
  /** A one-line label for media: "photo 1280×720", "document backup.tar.gz (12 MB)", "sticker 👍". */
  readonly mediaSummary: string | null;
  /** True for joins, pins, title changes: never part of a conversation. */
  readonly isService: boolean;
  /** Whether this message mentions the account (Telegram's contains_unread_mention / mentioned flag). */
  readonly containsUnreadMention: boolean;
}

export interface NotificationSettings {
  readonly useDefaultMuteFor: boolean;
  /** Seconds left muted; 0 is unmuted. */
  readonly muteFor: number;
  /** The whole settings object as Telegram sent it, so a change can copy it and alter one field. */
  readonly raw: Readonly<Record<string, unknown>>;
}

export type ChatListName = 'main' | 'archive' | `folder:${number}`;

export interface ChatPosition {
  readonly list: ChatListName;
  /** Telegram's int64 order as a decimal string; "0" means the chat left the list. */
  readonly order: string;
  readonly isPinned: boolean;
}

export interface TgChat {
  readonly tdChatId: number;
  readonly type: ChatType;
  /** The basic group, supergroup or user behind the chat. */
  readonly typeId: number;
  readonly title: string;
  readonly unreadCount: number;
  readonly lastReadInboxId: number;
  readonly lastReadOutboxId: number;
  readonly unreadMentionCount: number;
  readonly isMarkedAsUnread: boolean;
  readonly notificationSettings: NotificationSettings;
  readonly positions: readonly ChatPosition[];
  readonly lastMessage: TgMessage | null;
}

export type NotificationScope = 'private' | 'group' | 'channel';

export type AuthState =
  | { readonly kind: 'waitParameters' }
  | { readonly kind: 'waitPhoneNumber' }
  | { readonly kind: 'waitCode'; readonly codeLength: number | null; readonly via: string }
  | { readonly kind: 'waitPassword'; readonly hint: string }
  | { readonly kind: 'waitOtherDeviceConfirmation'; readonly link: string }
  | { readonly kind: 'waitRegistration' }
  | { readonly kind: 'waitEmail' }
  | { readonly kind: 'ready' }
  | { readonly kind: 'loggingOut' }
  | { readonly kind: 'closing' }
  | { readonly kind: 'closed' };

export type ConnectionState = 'waitingForNetwork' | 'connectingToProxy' | 'connecting' | 'updating' | 'ready';

export type ChatMemberStatus = 'creator' | 'administrator' | 'member' | 'restricted' | 'left' | 'banned';

/** One thing Telegram told one account. */
export type TgEvent =
  | { readonly kind: 'auth'; readonly state: AuthState }
  | { readonly kind: 'connection'; readonly state: ConnectionState }
  | { readonly kind: 'user'; readonly user: TgUser }
  | { readonly kind: 'chat'; readonly chat: TgChat }
  | { readonly kind: 'chatTitle'; readonly tdChatId: number; readonly title: string }
  | { readonly kind: 'chatPosition'; readonly tdChatId: number; readonly position: ChatPosition }
  /** `lastMessage` null means Telegram no longer knows the last message: a gap may follow. */
  | {
      readonly kind: 'chatLastMessage';
      readonly tdChatId: number;
      readonly lastMessage: TgMessage | null;
      readonly positions: readonly ChatPosition[];
    }
  | { readonly kind: 'message'; readonly message: TgMessage }
  | {
      readonly kind: 'messageSendSucceeded';
      readonly message: TgMessage;
      readonly oldTdMessageId: number;
    }
  | {
      readonly kind: 'messageEdited';
      readonly tdChatId: number;
      readonly tdMessageId: number;
      readonly editDate: number;
    }
  | {
      readonly kind: 'messageContent';
      readonly tdChatId: number;
      readonly tdMessageId: number;
      readonly text: string;
      readonly entities: readonly TextEntity[];
      readonly contentKind: ContentKind;
      readonly mediaSummary: string | null;
    }
  | {
      readonly kind: 'messagesDeleted';
      readonly tdChatId: number;
      readonly tdMessageIds: readonly number[];
      /** False when TDLib only dropped them from its cache: then nothing was deleted. */
      readonly isPermanent: boolean;
    }
  | {
      readonly kind: 'readInbox';
      readonly tdChatId: number;
      readonly lastReadInboxId: number;
      readonly unreadCount: number;
    }
  | { readonly kind: 'readOutbox'; readonly tdChatId: number; readonly lastReadOutboxId: number }
  | { readonly kind: 'unreadMentionCount'; readonly tdChatId: number; readonly unreadMentionCount: number }
  | {
      readonly kind: 'mentionRead';
      readonly tdChatId: number;
      readonly tdMessageId: number;
      readonly unreadMentionCount: number;
    }
  | { readonly kind: 'markedAsUnread'; readonly tdChatId: number; readonly isMarkedAsUnread: boolean }
  | {
      readonly kind: 'notificationSettings';
      readonly tdChatId: number;
      readonly settings: NotificationSettings;
    }
  | {
      readonly kind: 'scopeNotificationSettings';
      readonly scope: NotificationScope;
      readonly muteFor: number;
    }
  | {
      readonly kind: 'chatMember';
      readonly tdChatId: number;
      readonly userId: number;
      readonly status: ChatMemberStatus;
    };

export type TgEventKind = TgEvent['kind'];
