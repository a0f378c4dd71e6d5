/**
 * The simulated Telegram's own records: users, chats, memberships, messages and what each
 * account sees of a chat. These are the ground truth; TDLib objects are built from them per
 * viewer (td-objects.ts, views.ts) and never stored.
 */
import type * as Td from 'tdlib-types';

export type SimChatKind = 'supergroup' | 'basicGroup' | 'private';
export type MemberRole = 'creator' | 'administrator' | 'member';
export type NotificationScope = 'private' | 'group' | 'channel';

export interface AdminRights {
  readonly canInviteUsers: boolean;
  readonly canRestrictMembers: boolean;
  readonly canPromoteMembers: boolean;
}

export const FULL_ADMIN_RIGHTS: AdminRights = { canInviteUsers: true, canRestrictMembers: true, canPromoteMembers: false };

export interface SimUser {
  readonly id: number;
  firstName: string;
  lastName: string;
  username: string | null;
  phone: string;
  /** An account the daemon drives: logged in on a TDLib "device" unless `loggedIn` says otherwise. */
  isAccount: boolean;
  loggedIn: boolean;
  /** Two-step verification password, if the account has one. */
  password: string | null;
  /** Privacy settings forbid others to add this user to groups. */
  restrictsInvites: boolean;
  /**
   * Privacy settings let only contacts (and Premium users) start a private conversation with
   * this user: a first message from anyone else fails with PRIVACY_PREMIUM_REQUIRED.
   */
  restrictsNewChats: boolean;
  languageCode: string;
  /**
   * The user's own message id counter for private chats and basic groups: Telegram numbers
   * those messages per user, so the same message has a different id for every member.
   */
  nextBoxServerId: number;
  /** Last pin sequence used, so the newest pin gets the highest order. */
  pinSeq: number;
  pinnedChatLimit: number;
  contacts: Set<number>;
  scopeSettings: Record<NotificationScope, Td.scopeNotificationSettings>;
}

export interface SimMembership {
  readonly userId: number;
  role: MemberRole;
  rights: AdminRights;
  joinedAt: number;
  inviterUserId: number;
}

export interface SimInviteLink {
  readonly link: string;
  readonly creatorId: number;
  readonly name: string;
  readonly date: number;
  readonly expirationDate: number;
  readonly memberLimit: number;
  memberCount: number;
}

export interface SimChat {
  /** Internal key: `sg:<supergroup id>`, `bg:<basic group id>`, `pm:<lower user id>:<higher user id>`. */
  readonly key: string;
  readonly kind: SimChatKind;
  /** supergroup_id or basic_group_id; 0 for private chats. */
  readonly groupId: number;
  /** The TDLib chat id for groups; private chats have a different id for each side. */
  readonly tdId: number;
  title: string;
  readonly createdAt: number;
  readonly creatorId: number;
  readonly members: Map<number, SimMembership>;
  /** Supergroup bans: user id → banned until (0 = forever). */
  readonly banned: Map<number, number>;
  /** Next shared server id (supergroups only). */
  nextServerId: number;
  /** Every message ever sent, oldest first; ids increase along it for every viewer. */
  readonly messages: SimMessage[];
  readonly inviteLinks: SimInviteLink[];
  /** Whether ordinary members may add people (chatPermissions.can_invite_users). */
  membersCanInvite: boolean;
  /** The two users of a private chat. */
  readonly pair: readonly [number, number] | null;
}

export type SimContentKind = 'text' | 'sticker' | 'photo' | 'document' | 'service';

export interface SimMessage {
  /** World-unique handle for ground truth; not a Telegram id. */
  readonly key: number;
  readonly chat: SimChat;
  readonly senderId: number;
  readonly date: number;
  editDate: number;
  kind: SimContentKind;
  /** Text or caption, '' for stickers without text and service messages. */
  text: string;
  content: Td.MessageContent;
  readonly replyToKey: number | null;
  /** Supergroups: the id every member sees. */
  readonly sharedId: number | null;
  /** Basic groups and private chats: viewer user id → that viewer's id for this message. */
  readonly ids: Map<number, number>;
  deleted: boolean;
  /** Users this message mentions (by @username, by name, or by replying to their message). */
  readonly mentioned: Set<number>;
  /** Emoji → users who reacted with it, in reaction order. */
  readonly reactions: Map<string, number[]>;
  readonly linkPreviewDisabled: boolean;
}

/** What one account sees of one chat, beyond the messages themselves. */
export interface AccountChatState {
  lastReadInboxId: number;
  lastReadOutboxId: number;
  /** Message keys with a mention of this account not yet read. */
  readonly unreadMentions: Set<number>;
  isMarkedAsUnread: boolean;
  notificationSettings: Td.chatNotificationSettings;
  /** 0 when not pinned; otherwise the pin sequence that orders pins. */
  pinSeq: number;
}

export function fullName(user: Pick<SimUser, 'firstName' | 'lastName'>): string {
  return user.lastName ? `${user.firstName} ${user.lastName}` : user.firstName;
}

/** The chat id a viewer uses: in private chats it is the other person's user id. */
export function chatIdFor(chat: SimChat, viewerId: number): number {
  if (chat.kind !== 'private' || !chat.pair) return chat.tdId;
  return chat.pair[0] === viewerId ? chat.pair[1] : chat.pair[0];
}

/** A viewer's id for a message, or null when the viewer has no copy of it. */
export function messageIdFor(message: SimMessage, viewerId: number): number | null {
  if (message.sharedId !== null) return message.chat.members.has(viewerId) ? message.sharedId : null;
  return message.ids.get(viewerId) ?? null;
}

/** Messages a viewer can read in a chat, oldest first (supergroups: current members see all). */
export function visibleMessages(chat: SimChat, viewerId: number): SimMessage[] {
  if (chat.kind === 'supergroup') return chat.members.has(viewerId) ? chat.messages.filter((m) => !m.deleted) : [];
  return chat.messages.filter((m) => !m.deleted && m.ids.has(viewerId));
}

export function lastVisibleMessage(chat: SimChat, viewerId: number): SimMessage | null {
  if (chat.kind === 'supergroup' && !chat.members.has(viewerId)) return null;
  for (let i = chat.messages.length - 1; i >= 0; i--) {
    const m = chat.messages[i] as SimMessage;
    if (!m.deleted && messageIdFor(m, viewerId) !== null) return m;
  }
  return null;
}

/**
 * Whether a user can still see a chat at all: members always, and in basic and private chats
 * anyone who keeps a copy of its history (a removed basic-group member keeps the chat).
 */
export function canSeeChat(chat: SimChat, viewerId: number): boolean {
  if (chat.members.has(viewerId)) return true;
  if (chat.kind === 'supergroup') return false;
  return chat.messages.some((m) => m.ids.has(viewerId));
}
