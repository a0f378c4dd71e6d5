/**
 * The simulated Telegram server: users, chats, memberships and messages, the per-account read
 * state, and every change to them. Each change computes the TDLib updates each affected account
 * would receive and hands them to `emit`; the world (world.ts) decides who is listening and
 * delivers them. Telegram's rules live here: shared ids in supergroups, per-user ids elsewhere,
 * absolute unread counts, mentions, pins, the notification-settings replace semantics.
 */
import type * as Td from 'tdlib-types';
import { detectEntities, mentionedUserIds, mentionedUsernames, mergeEntities } from './entities.ts';
import { tdError } from './errors.ts';
import { basicGroupChatId, messageIdFromServerId, supergroupChatId } from './ids.ts';
import {
  type AccountChatState,
  type AdminRights,
  FULL_ADMIN_RIGHTS,
  type MemberRole,
  type NotificationScope,
  type SimChat,
  type SimChatKind,
  type SimContentKind,
  type SimInviteLink,
  type SimMembership,
  type SimMessage,
  type SimUser,
  canSeeChat,
  chatIdFor,
  lastVisibleMessage,
  messageIdFor,
} from './model.ts';
import type { Rng } from './rng.ts';
import {
  buildUser,
  defaultChatNotificationSettings,
  defaultScopeNotificationSettings,
  documentContent,
  formattedText,
  photoContent,
  scopeObject,
  stickerContent,
  textContent,
} from './td-objects.ts';
import {
  type ViewSource,
  buildBasicGroup,
  buildBasicGroupFullInfo,
  buildChat,
  buildMessage,
  buildSupergroup,
  chatOrderFor,
  chatPosition,
  chatPositions,
  inMainList,
  interactionInfo,
  unreadCount,
  unreadMentionCount,
} from './views.ts';

// ── public shapes ────────────────────────────────────────────────────────────────────────────

export interface SimChatHandle {
  readonly key: string;
  readonly kind: SimChatKind;
  readonly title: string;
  /** The TDLib chat id every member uses (groups); 0 for private chats, whose id depends on the side. */
  readonly id: number;
  readonly supergroupId: number | null;
  readonly basicGroupId: number | null;
  /** The TDLib chat id this user sees. */
  idFor(userId: number): number;
}

/** A chat: its handle, its internal key, or a group's TDLib chat id. */
export type SimChatRef = SimChatHandle | string | number;

export interface SimMessageHandle {
  readonly key: number;
  readonly chatKey: string;
  readonly senderId: number;
  readonly date: number;
  /** The id every member sees (supergroups only). */
  readonly sharedId: number | null;
  /** The TDLib message id this user sees, or null if the user has no copy. */
  idFor(userId: number): number | null;
}

/** A message: its handle or its key. */
export type SimMessageRef = SimMessageHandle | number;

export interface SimUserInfo {
  readonly id: number;
  readonly firstName: string;
  readonly lastName: string;
  readonly username: string | null;
  readonly phone: string;
  readonly isAccount: boolean;
}

export interface AddUserInput {
  readonly id?: number;
  readonly firstName: string;
  readonly lastName?: string;
  readonly username?: string | null;
  readonly phone?: string;
  /** An account the daemon drives. Accounts are logged in unless `loggedIn: false`. */
  readonly account?: boolean;
  readonly loggedIn?: boolean;
  readonly password?: string | null;
  /** Privacy settings forbid adding this user to groups (they come back in failedToAddMembers). */
  readonly restrictsInvites?: boolean;
  /** Only contacts may start a private conversation with this user. */
  readonly restrictsNewChats?: boolean;
  readonly languageCode?: string;
}

export type SimContentInput =
  | { readonly kind: 'text' }
  | { readonly kind: 'sticker'; readonly emoji?: string }
  | { readonly kind: 'photo'; readonly width?: number; readonly height?: number }
  | { readonly kind: 'document'; readonly fileName: string; readonly mimeType?: string; readonly size?: number };

export interface SimSendInput {
  readonly chat?: SimChatRef;
  /** Alternative to `chat` for group chats. */
  readonly chatId?: number;
  readonly senderId: number;
  /** Text, or the caption of a photo or document. */
  readonly text?: string;
  /** Explicit entities; mentions, URLs and hashtags are found automatically as TDLib does. */
  readonly entities?: readonly Td.textEntity[];
  readonly replyTo?: SimMessageRef | null;
  /** Unix seconds; default now. Lets scripts backdate history. */
  readonly date?: number;
  readonly content?: SimContentInput;
  readonly linkPreviewDisabled?: boolean;
}

export interface SimMessageTruth {
  readonly key: number;
  readonly chatKey: string;
  readonly chatKind: SimChatKind;
  readonly chatTitle: string;
  readonly senderId: number;
  readonly date: number;
  readonly editDate: number;
  readonly kind: SimContentKind;
  readonly text: string;
  readonly deleted: boolean;
  readonly replyToKey: number | null;
  readonly mentionedUserIds: readonly number[];
  readonly linkPreviewDisabled: boolean;
  /** Viewer user id → the chat id that viewer uses, for everyone holding a copy. */
  readonly chatIds: Readonly<Record<number, number>>;
  /** Viewer user id → that viewer's message id. Equal for all in supergroups. */
  readonly messageIds: Readonly<Record<number, number>>;
}

export interface SimChatStateSnapshot {
  readonly unreadCount: number;
  readonly lastReadInboxId: number;
  readonly lastReadOutboxId: number;
  readonly unreadMentionCount: number;
  readonly isMarkedAsUnread: boolean;
  readonly notificationSettings: Td.chatNotificationSettings;
  readonly isPinned: boolean;
  readonly inMainList: boolean;
  /** int64 string, "0" when not in the main list. */
  readonly order: string;
}

export interface InviteLinkInput {
  readonly name?: string;
  readonly expirationDate?: number;
  readonly memberLimit?: number;
}

interface PostOptions {
  readonly date: number;
  readonly replyTo: SimMessage | null;
  readonly linkPreviewDisabled: boolean;
  /** Set when the sender's own TDLib client sent it: that client gets updateMessageSendSucceeded. */
  readonly sentByClient?: { readonly oldMessageId: number };
}

interface PostContent {
  readonly kind: SimContentKind;
  readonly text: string;
  readonly entities: readonly Td.textEntity[];
  readonly content: Td.MessageContent;
}

const STICKER_EMOJI = ['👍', '🙏', '🔥', '😅', '👀', '✅', '🤝', '😂'];

// ── the state ────────────────────────────────────────────────────────────────────────────────

export class SimState implements ViewSource {
  protected readonly rng: Rng;
  protected readonly clock: () => number;

  private readonly usersById = new Map<number, SimUser>();
  private readonly userIdsByUsername = new Map<string, number>();
  private readonly chatsByKey = new Map<string, SimChat>();
  private readonly groupChatsByTdId = new Map<number, SimChat>();
  private readonly messagesByKey = new Map<number, SimMessage>();
  private readonly accountStates = new Map<number, Map<string, AccountChatState>>();
  private nextUserId: number;
  private nextSupergroupId: number;
  private nextBasicGroupId: number;
  private nextMessageKey = 1;
  private nextFileId = 1;

  constructor(rng: Rng, clock: () => number) {
    this.rng = rng;
    this.clock = clock;
    // Realistic magnitudes: user ids in the billions, supergroups -100…, basic groups -4….
    this.nextUserId = 5_100_000_000 + rng.int(0, 99_999) * 1000;
    this.nextSupergroupId = 1_900_000_000 + rng.int(0, 9_999) * 1000;
    this.nextBasicGroupId = 4_500_000_000 + rng.int(0, 9_999) * 1000;
  }

  /** Unix seconds on the world clock. */
  now(): number {
    return Math.floor(this.clock() / 1000);
  }

  // ── delivery hooks, overridden by the world ──

  /** Whether anyone receives this user's updates (only accounts that ever connected). */
  protected listens(_userId: number): boolean {
    return false;
  }

  /** Hands one update to an account; `chat` is the chat it concerns, if any. */
  protected emit(_userId: number, _update: Td.Update, _chat: SimChat | null): void {}

  // ── ViewSource ──

  user(id: number): SimUser | undefined {
    return this.usersById.get(id);
  }

  message(key: number): SimMessage | undefined {
    return this.messagesByKey.get(key);
  }

  accountState(userId: number, chat: SimChat): AccountChatState {
    let byChat = this.accountStates.get(userId);
    if (!byChat) this.accountStates.set(userId, (byChat = new Map()));
    let state = byChat.get(chat.key);
    if (!state) {
      state = {
        lastReadInboxId: 0,
        lastReadOutboxId: 0,
        unreadMentions: new Set(),
        isMarkedAsUnread: false,
        notificationSettings: defaultChatNotificationSettings(),
        pinSeq: 0,
      };
      byChat.set(chat.key, state);
    }
    return state;
  }

  // ── users ──

  addUser(input: AddUserInput): SimUserInfo {
    const id = input.id ?? this.allocateUserId();
    if (this.usersById.has(id)) throw new Error(`user ${id} already exists`);
    const username = input.username ?? null;
    if (username && this.userIdsByUsername.has(username.toLowerCase())) throw new Error(`username @${username} is taken`);
    const isAccount = input.account ?? false;
    const user: SimUser = {
      id,
      firstName: input.firstName,
      lastName: input.lastName ?? '',
      username,
      phone: input.phone ?? `+99966${String(id % 100_000).padStart(5, '0')}`,
      isAccount,
      loggedIn: input.loggedIn ?? isAccount,
      password: input.password ?? null,
      restrictsInvites: input.restrictsInvites ?? false,
      restrictsNewChats: input.restrictsNewChats ?? false,
      languageCode: input.languageCode ?? 'en',
      nextBoxServerId: 1 + this.rng.int(100, 90_000),
      pinSeq: 0,
      pinnedChatLimit: 5,
      contacts: new Set(),
      scopeSettings: {
        private: defaultScopeNotificationSettings(),
        group: defaultScopeNotificationSettings(),
        channel: defaultScopeNotificationSettings(),
      },
    };
    this.usersById.set(id, user);
    if (username) this.userIdsByUsername.set(username.toLowerCase(), id);
    return userInfo(user);
  }

  users(): SimUserInfo[] {
    return [...this.usersById.values()].map(userInfo);
  }

  userInfo(id: number): SimUserInfo {
    return userInfo(this.requireUser(id));
  }

  /** @internal */
  requireUser(id: number): SimUser {
    const user = this.usersById.get(id);
    if (!user) throw new Error(`unknown user ${id}`);
    return user;
  }

  /** Makes two users contacts, so each can add the other anywhere. */
  addContact(a: number, b: number): void {
    this.requireUser(a).contacts.add(b);
    this.requireUser(b).contacts.add(a);
  }

  /** Whether `accountId` has ever met `userId`: TDLib needs an access hash to add someone. */
  knowsUser(accountId: number, userId: number): boolean {
    if (accountId === userId) return true;
    if (this.requireUser(accountId).contacts.has(userId)) return true;
    for (const chat of this.chatsByKey.values()) {
      const seesChat = canSeeChat(chat, accountId);
      if (seesChat && (chat.members.has(userId) || chat.messages.some((m) => m.senderId === userId))) return true;
    }
    return false;
  }

  /** @internal */
  userByUsername(username: string): SimUser | undefined {
    const id = this.userIdsByUsername.get(username.replace(/^@/, '').toLowerCase());
    return id === undefined ? undefined : this.usersById.get(id);
  }

  /** Users this account should have heard of: itself and everyone it shares a chat with. */
  knownUserIds(accountId: number): number[] {
    const ids = new Set<number>([accountId, ...this.requireUser(accountId).contacts]);
    for (const chat of this.chatsByKey.values()) {
      if (!canSeeChat(chat, accountId)) continue;
      for (const id of chat.members.keys()) ids.add(id);
    }
    return [...ids];
  }

  // ── chats ──

  createSupergroup(
    title: string,
    memberIds: readonly number[],
    adminIds: readonly number[] = [],
    options: { creatorId?: number; date?: number; membersCanInvite?: boolean } = {},
  ): SimChatHandle {
    const id = this.allocateSupergroupId();
    return this.createGroup('supergroup', id, supergroupChatId(id), title, memberIds, adminIds, options);
  }

  createBasicGroup(
    title: string,
    memberIds: readonly number[],
    adminIds: readonly number[] = [],
    options: { creatorId?: number; date?: number; membersCanInvite?: boolean } = {},
  ): SimChatHandle {
    const id = this.allocateBasicGroupId();
    return this.createGroup('basicGroup', id, basicGroupChatId(id), title, memberIds, adminIds, options);
  }

  private createGroup(
    kind: 'supergroup' | 'basicGroup',
    groupId: number,
    tdId: number,
    title: string,
    memberIds: readonly number[],
    adminIds: readonly number[],
    options: { creatorId?: number; date?: number; membersCanInvite?: boolean },
  ): SimChatHandle {
    const date = options.date ?? this.now();
    const creatorId = options.creatorId ?? adminIds[0] ?? memberIds[0];
    if (creatorId === undefined) throw new Error('a group needs at least one member');
    const chat: SimChat = {
      key: kind === 'supergroup' ? `sg:${groupId}` : `bg:${groupId}`,
      kind,
      groupId,
      tdId,
      title,
      createdAt: date,
      creatorId,
      members: new Map(),
      banned: new Map(),
      nextServerId: 1,
      messages: [],
      inviteLinks: [],
      // Basic groups let everyone add people by default; supergroups leave it to admins here.
      membersCanInvite: options.membersCanInvite ?? kind === 'basicGroup',
      pair: null,
    };
    const everyone = [...new Set([creatorId, ...adminIds, ...memberIds])];
    for (const userId of everyone) {
      this.requireUser(userId);
      const role: MemberRole = userId === creatorId ? 'creator' : adminIds.includes(userId) ? 'administrator' : 'member';
      chat.members.set(userId, { userId, role, rights: role === 'member' ? NO_RIGHTS : FULL_ADMIN_RIGHTS, joinedAt: date, inviterUserId: creatorId });
    }
    this.chatsByKey.set(chat.key, chat);
    this.groupChatsByTdId.set(chat.tdId, chat);
    const content: Td.MessageContent =
      kind === 'supergroup'
        ? { _: 'messageSupergroupChatCreate', title }
        : { _: 'messageBasicGroupChatCreate', title, member_user_ids: everyone.filter((u) => u !== creatorId) };
    this.postMessage(chat, creatorId, { kind: 'service', text: '', entities: [], content }, { date, replyTo: null, linkPreviewDisabled: false });
    return this.handle(chat);
  }

  ensurePrivateChat(a: number, b: number): SimChatHandle {
    if (a === b) throw new Error('private chats need two different users');
    this.requireUser(a);
    this.requireUser(b);
    const key = privateKey(a, b);
    let chat = this.chatsByKey.get(key);
    if (!chat) {
      const [lo, hi] = a < b ? [a, b] : [b, a];
      const date = this.now();
      chat = {
        key,
        kind: 'private',
        groupId: 0,
        tdId: 0,
        title: '',
        createdAt: date,
        creatorId: a,
        members: new Map([
          [lo, { userId: lo, role: 'member', rights: NO_RIGHTS, joinedAt: date, inviterUserId: 0 }],
          [hi, { userId: hi, role: 'member', rights: NO_RIGHTS, joinedAt: date, inviterUserId: 0 }],
        ]),
        banned: new Map(),
        nextServerId: 1,
        messages: [],
        inviteLinks: [],
        membersCanInvite: false,
        pair: [lo, hi],
      };
      this.chatsByKey.set(key, chat);
    }
    return this.handle(chat);
  }

  chat(ref: SimChatRef): SimChatHandle {
    return this.handle(this.resolveChat(ref));
  }

  chats(): SimChatHandle[] {
    return [...this.chatsByKey.values()].map((c) => this.handle(c));
  }

  /** @internal */
  resolveChat(ref: SimChatRef): SimChat {
    const chat =
      typeof ref === 'string'
        ? this.chatsByKey.get(ref)
        : typeof ref === 'number'
          ? this.groupChatsByTdId.get(ref)
          : this.chatsByKey.get(ref.key);
    if (!chat) throw new Error(`unknown chat ${typeof ref === 'object' ? ref.key : ref}`);
    return chat;
  }

  /** @internal The chat a viewer means by a TDLib chat id, if it exists. */
  chatForViewer(viewerId: number, tdChatId: number): SimChat | undefined {
    if (tdChatId > 0) return this.chatsByKey.get(privateKey(viewerId, tdChatId));
    return this.groupChatsByTdId.get(tdChatId);
  }

  /** @internal Every chat the viewer can see, in no particular order. */
  chatsOf(viewerId: number): SimChat[] {
    return [...this.chatsByKey.values()].filter((c) => canSeeChat(c, viewerId));
  }

  /** @internal The viewer's main list, sorted as TDLib sorts it: (order, chat id) descending. */
  mainList(viewerId: number): SimChat[] {
    const entries = this.chatsOf(viewerId)
      .filter((c) => inMainList(c, viewerId))
      .map((c) => ({ chat: c, order: BigInt(chatOrderFor(this, c, viewerId)), id: chatIdFor(c, viewerId) }));
    entries.sort((x, y) => (x.order === y.order ? y.id - x.id : x.order < y.order ? 1 : -1));
    return entries.map((e) => e.chat);
  }

  handle(chat: SimChat): SimChatHandle {
    return {
      key: chat.key,
      kind: chat.kind,
      title: chat.title,
      id: chat.tdId,
      supergroupId: chat.kind === 'supergroup' ? chat.groupId : null,
      basicGroupId: chat.kind === 'basicGroup' ? chat.groupId : null,
      idFor: (userId) => chatIdFor(chat, userId),
    };
  }

  chatState(userId: number, ref: SimChatRef): SimChatStateSnapshot {
    const chat = this.resolveChat(ref);
    const state = this.accountState(userId, chat);
    const position = chatPosition(this, chat, userId);
    return {
      unreadCount: unreadCount(this, chat, userId),
      lastReadInboxId: state.lastReadInboxId,
      lastReadOutboxId: state.lastReadOutboxId,
      unreadMentionCount: unreadMentionCount(this, chat, userId),
      isMarkedAsUnread: state.isMarkedAsUnread,
      notificationSettings: { ...state.notificationSettings },
      isPinned: position.is_pinned,
      inMainList: position.order !== '0',
      order: position.order,
    };
  }

  /** The chat as this user's TDLib would return it from getChat. */
  tdChat(userId: number, ref: SimChatRef): Td.chat {
    return buildChat(this, this.resolveChat(ref), userId, false);
  }

  // ── messages ──

  sendMessage(input: SimSendInput): SimMessageHandle {
    const chat = this.resolveChat(input.chat ?? input.chatId ?? Number.NaN);
    if (!chat.members.has(input.senderId)) throw new Error(`user ${input.senderId} is not a member of ${chat.key}`);
    const replyTo = input.replyTo === undefined || input.replyTo === null ? null : this.resolveMessage(input.replyTo);
    const text = input.text ?? '';
    const entities = mergeEntities(input.entities ?? [], detectEntities(text));
    const linkPreviewDisabled = input.linkPreviewDisabled ?? false;
    const content = this.buildContent(input.content ?? { kind: 'text' }, text, entities, linkPreviewDisabled);
    const msg = this.postMessage(chat, input.senderId, content, { date: input.date ?? this.now(), replyTo, linkPreviewDisabled });
    return this.messageHandle(msg);
  }

  private buildContent(input: SimContentInput, text: string, entities: readonly Td.textEntity[], linkPreviewDisabled: boolean): PostContent {
    const caption = formattedText(text, entities);
    switch (input.kind) {
      case 'text':
        if (!text) throw new Error('a text message needs text');
        return { kind: 'text', text, entities, content: textContent(text, entities, linkPreviewDisabled) };
      case 'sticker': {
        const emoji = input.emoji ?? this.rng.pick(STICKER_EMOJI);
        const fileId = this.allocateFileIds(2);
        const stickerId = String(5_000_000_000_000_000n + BigInt(STICKER_EMOJI.indexOf(emoji) + 1) * 7_919n);
        return { kind: 'sticker', text: '', entities: [], content: stickerContent(emoji, fileId, stickerId, '5123456789012345678') };
      }
      case 'photo':
        return { kind: 'photo', text, entities, content: photoContent(caption, this.allocateFileIds(2), input.width ?? 1280, input.height ?? 720) };
      case 'document':
        return {
          kind: 'document',
          text,
          entities,
          content: documentContent(caption, this.allocateFileIds(1), input.fileName, input.mimeType ?? guessMime(input.fileName), input.size ?? 48_213),
        };
    }
  }

  /**
   * @internal Appends a message and tells every member's account. Ids: one shared counter in
   * supergroups; in basic groups and private chats each member's own counter.
   */
  postMessage(chat: SimChat, senderId: number, body: PostContent, options: PostOptions): SimMessage {
    const ids = new Map<number, number>();
    let sharedId: number | null = null;
    if (chat.kind === 'supergroup') sharedId = messageIdFromServerId(chat.nextServerId++);
    else for (const userId of chat.members.keys()) ids.set(userId, messageIdFromServerId(this.requireUser(userId).nextBoxServerId++));

    const msg: SimMessage = {
      key: this.nextMessageKey++,
      chat,
      senderId,
      date: options.date,
      editDate: 0,
      kind: body.kind,
      text: body.text,
      content: body.content,
      replyToKey: options.replyTo?.key ?? null,
      sharedId,
      ids,
      deleted: false,
      mentioned: this.mentionsOf(chat, senderId, body, options.replyTo),
      reactions: new Map(),
      linkPreviewDisabled: options.linkPreviewDisabled,
    };
    chat.messages.push(msg);
    this.messagesByKey.set(msg.key, msg);

    for (const viewerId of this.holders(msg)) {
      const state = this.accountState(viewerId, chat);
      const id = messageIdFor(msg, viewerId) as number;
      let readChanged = false;
      let unmarked = false;
      if (viewerId === senderId) {
        // Writing to a chat reads it: Telegram moves the sender's inbox pointer to the new message.
        if (body.kind !== 'service' && state.lastReadInboxId < id) {
          state.lastReadInboxId = id;
          readChanged = true;
          if (state.isMarkedAsUnread) {
            state.isMarkedAsUnread = false;
            unmarked = true;
          }
        }
      } else if (msg.mentioned.has(viewerId)) {
        state.unreadMentions.add(msg.key);
      }
      if (!this.listens(viewerId)) continue;

      const message = buildMessage(this, msg, viewerId);
      if (viewerId === senderId && options.sentByClient) {
        this.emit(viewerId, { _: 'updateMessageSendSucceeded', message, old_message_id: options.sentByClient.oldMessageId }, chat);
      } else {
        this.emit(viewerId, { _: 'updateNewMessage', message }, chat);
      }
      this.emitLastMessage(viewerId, chat);
      if (viewerId !== senderId || readChanged) this.emitReadInbox(viewerId, chat);
      if (unmarked) this.emit(viewerId, { _: 'updateChatIsMarkedAsUnread', chat_id: chatIdFor(chat, viewerId), is_marked_as_unread: false }, chat);
      if (msg.mentioned.has(viewerId)) this.emitMentionCount(viewerId, chat);
    }
    return msg;
  }

  /** Who gets a mention badge: @username and by-name mentions, and the author of a replied message. */
  private mentionsOf(chat: SimChat, senderId: number, body: PostContent, replyTo: SimMessage | null): Set<number> {
    const out = new Set<number>();
    if (chat.kind === 'private' || body.kind === 'service') return out;
    for (const name of mentionedUsernames(body.text, body.entities)) {
      const user = this.userByUsername(name);
      if (user) out.add(user.id);
    }
    for (const id of mentionedUserIds(body.entities)) out.add(id);
    if (replyTo && !replyTo.deleted) out.add(replyTo.senderId);
    out.delete(senderId);
    for (const id of out) if (!chat.members.has(id)) out.delete(id);
    return out;
  }

  editMessage(ref: SimMessageRef, edit: { text: string; entities?: readonly Td.textEntity[]; date?: number }): void {
    const msg = this.resolveMessage(ref);
    if (msg.deleted) throw new Error(`message ${msg.key} is deleted`);
    if (msg.kind === 'service' || msg.kind === 'sticker') throw new Error(`a ${msg.kind} message has no text to edit`);
    const entities = mergeEntities(edit.entities ?? [], detectEntities(edit.text));
    msg.text = edit.text;
    msg.editDate = edit.date ?? this.now();
    const c = msg.content;
    if (c._ === 'messageText') msg.content = textContent(edit.text, entities, msg.linkPreviewDisabled);
    else if (c._ === 'messagePhoto' || c._ === 'messageDocument') msg.content = { ...c, caption: formattedText(edit.text, entities) };
    for (const viewerId of this.holders(msg)) {
      if (!this.listens(viewerId)) continue;
      const chatId = chatIdFor(msg.chat, viewerId);
      const messageId = messageIdFor(msg, viewerId) as number;
      this.emit(viewerId, { _: 'updateMessageContent', chat_id: chatId, message_id: messageId, new_content: msg.content }, msg.chat);
      this.emit(viewerId, { _: 'updateMessageEdited', chat_id: chatId, message_id: messageId, edit_date: msg.editDate }, msg.chat);
    }
  }

  /** Deletes messages for everyone (revoke), as a member deleting in Telegram does. */
  deleteMessages(refs: readonly SimMessageRef[]): void {
    const byChat = new Map<SimChat, SimMessage[]>();
    for (const ref of refs) {
      const msg = this.resolveMessage(ref);
      if (msg.deleted) continue;
      byChat.set(msg.chat, [...(byChat.get(msg.chat) ?? []), msg]);
    }
    for (const [chat, messages] of byChat) {
      const viewers = new Set(messages.flatMap((m) => this.holders(m)));
      const before = new Map<number, { last: number | null; unread: number; mentions: number }>();
      for (const viewerId of viewers) {
        if (this.listens(viewerId)) {
          before.set(viewerId, {
            last: lastVisibleMessage(chat, viewerId)?.key ?? null,
            unread: unreadCount(this, chat, viewerId),
            mentions: unreadMentionCount(this, chat, viewerId),
          });
        }
      }
      for (const m of messages) {
        m.deleted = true;
        for (const viewerId of viewers) this.accountState(viewerId, chat).unreadMentions.delete(m.key);
      }
      for (const [viewerId, was] of before) {
        const ids = messages.map((m) => messageIdFor(m, viewerId)).filter((id): id is number => id !== null);
        if (ids.length === 0) continue;
        this.emit(viewerId, { _: 'updateDeleteMessages', chat_id: chatIdFor(chat, viewerId), message_ids: ids, is_permanent: true, from_cache: false }, chat);
        if ((lastVisibleMessage(chat, viewerId)?.key ?? null) !== was.last) this.emitLastMessage(viewerId, chat);
        if (unreadCount(this, chat, viewerId) !== was.unread) this.emitReadInbox(viewerId, chat);
        if (unreadMentionCount(this, chat, viewerId) !== was.mentions) this.emitMentionCount(viewerId, chat);
      }
    }
  }

  /** @internal */
  resolveMessage(ref: SimMessageRef): SimMessage {
    const msg = this.messagesByKey.get(typeof ref === 'number' ? ref : ref.key);
    if (!msg) throw new Error(`unknown message ${typeof ref === 'number' ? ref : ref.key}`);
    return msg;
  }

  /** @internal The message a viewer means by its TDLib ids. */
  messageForViewer(viewerId: number, chat: SimChat, messageId: number): SimMessage | undefined {
    if (chat.kind === 'supergroup') {
      if (!chat.members.has(viewerId)) return undefined;
      return chat.messages.find((m) => m.sharedId === messageId);
    }
    return chat.messages.find((m) => m.ids.get(viewerId) === messageId);
  }

  messageHandle(msg: SimMessage): SimMessageHandle {
    return {
      key: msg.key,
      chatKey: msg.chat.key,
      senderId: msg.senderId,
      date: msg.date,
      sharedId: msg.sharedId,
      idFor: (userId) => messageIdFor(msg, userId),
    };
  }

  /** Ground truth: every message ever sent, once, oldest first, deleted ones flagged. */
  allMessages(): SimMessageTruth[] {
    return [...this.messagesByKey.values()].map((m) => this.truth(m));
  }

  messageTruth(ref: SimMessageRef): SimMessageTruth {
    return this.truth(this.resolveMessage(ref));
  }

  private truth(m: SimMessage): SimMessageTruth {
    const chatIds: Record<number, number> = {};
    const messageIds: Record<number, number> = {};
    for (const viewerId of this.holders(m)) {
      chatIds[viewerId] = chatIdFor(m.chat, viewerId);
      messageIds[viewerId] = messageIdFor(m, viewerId) as number;
    }
    return {
      key: m.key,
      chatKey: m.chat.key,
      chatKind: m.chat.kind,
      chatTitle: m.chat.title,
      senderId: m.senderId,
      date: m.date,
      editDate: m.editDate,
      kind: m.kind,
      text: m.text,
      deleted: m.deleted,
      replyToKey: m.replyToKey,
      mentionedUserIds: [...m.mentioned],
      linkPreviewDisabled: m.linkPreviewDisabled,
      chatIds,
      messageIds,
    };
  }

  /** Users holding a copy of a message: current members in supergroups, id holders elsewhere. */
  protected holders(msg: SimMessage): number[] {
    return msg.sharedId !== null ? [...msg.chat.members.keys()] : [...msg.ids.keys()];
  }

  // ── reading, mentions, marks ──

  /**
   * A person reads a chat on one of their devices (default: up to the last message, including
   * the mentions in it). TDLib's viewMessages and readChatList come here too.
   */
  readChat(userId: number, ref: SimChatRef, options: { upTo?: SimMessageRef; mentions?: boolean } = {}): void {
    const chat = this.resolveChat(ref);
    const upTo = options.upTo === undefined ? null : messageIdFor(this.resolveMessage(options.upTo), userId);
    this.readInbox(userId, chat, upTo);
    if (options.mentions ?? true) this.readMentions(userId, chat, 'all');
  }

  /** @internal Moves the inbox pointer (never backwards) and tells the senders their messages were read. */
  readInbox(viewerId: number, chat: SimChat, upToId: number | null): boolean {
    const state = this.accountState(viewerId, chat);
    const last = lastVisibleMessage(chat, viewerId);
    const lastId = last ? (messageIdFor(last, viewerId) as number) : 0;
    const target = Math.min(upToId ?? lastId, lastId);
    const changed = target > state.lastReadInboxId;
    if (changed) state.lastReadInboxId = target;
    const unmarked = state.isMarkedAsUnread;
    state.isMarkedAsUnread = false;
    if (this.listens(viewerId)) {
      if (changed) this.emitReadInbox(viewerId, chat);
      if (unmarked) this.emit(viewerId, { _: 'updateChatIsMarkedAsUnread', chat_id: chatIdFor(chat, viewerId), is_marked_as_unread: false }, chat);
    }
    if (changed) this.propagateOutboxRead(viewerId, chat, state.lastReadInboxId);
    return changed || unmarked;
  }

  private propagateOutboxRead(readerId: number, chat: SimChat, readUpTo: number): void {
    for (const senderId of chat.members.keys()) {
      if (senderId === readerId) continue;
      // The newest message of this sender the reader has now read, in the sender's own ids.
      let newest: number | null = null;
      for (let i = chat.messages.length - 1; i >= 0; i--) {
        const m = chat.messages[i] as SimMessage;
        const readerIdOf = messageIdFor(m, readerId);
        if (m.senderId !== senderId || m.deleted || readerIdOf === null || readerIdOf > readUpTo) continue;
        newest = messageIdFor(m, senderId);
        break;
      }
      const state = this.accountState(senderId, chat);
      if (newest === null || newest <= state.lastReadOutboxId) continue;
      state.lastReadOutboxId = newest;
      if (this.listens(senderId)) {
        this.emit(senderId, { _: 'updateChatReadOutbox', chat_id: chatIdFor(chat, senderId), last_read_outbox_message_id: newest }, chat);
      }
    }
  }

  /** @internal Reads mentions: all of them, or those in the given messages (as viewing them does). */
  readMentions(viewerId: number, chat: SimChat, which: 'all' | readonly SimMessage[]): boolean {
    const state = this.accountState(viewerId, chat);
    if (which === 'all') {
      if (state.unreadMentions.size === 0) return false;
      state.unreadMentions.clear();
      if (this.listens(viewerId)) this.emitMentionCount(viewerId, chat);
      return true;
    }
    let changed = false;
    for (const m of which) {
      if (!state.unreadMentions.delete(m.key)) continue;
      changed = true;
      if (this.listens(viewerId)) {
        this.emit(
          viewerId,
          {
            _: 'updateMessageMentionRead',
            chat_id: chatIdFor(chat, viewerId),
            message_id: messageIdFor(m, viewerId) as number,
            unread_mention_count: unreadMentionCount(this, chat, viewerId),
          },
          chat,
        );
      }
    }
    return changed;
  }

  setMarkedAsUnread(userId: number, ref: SimChatRef, marked: boolean): void {
    const chat = this.resolveChat(ref);
    const state = this.accountState(userId, chat);
    if (state.isMarkedAsUnread === marked) return;
    state.isMarkedAsUnread = marked;
    if (this.listens(userId)) this.emit(userId, { _: 'updateChatIsMarkedAsUnread', chat_id: chatIdFor(chat, userId), is_marked_as_unread: marked }, chat);
  }

  // ── per-account settings synced to every device ──

  /** Stores a complete settings object (the caller has already applied TDLib's replace rule). */
  setNotificationSettings(userId: number, ref: SimChatRef, settings: Td.chatNotificationSettings): void {
    const chat = this.resolveChat(ref);
    this.accountState(userId, chat).notificationSettings = { ...settings };
    if (this.listens(userId)) {
      this.emit(userId, { _: 'updateChatNotificationSettings', chat_id: chatIdFor(chat, userId), notification_settings: { ...settings } }, chat);
    }
  }

  scopeNotificationSettings(userId: number, scope: NotificationScope): Td.scopeNotificationSettings {
    return { ...this.requireUser(userId).scopeSettings[scope] };
  }

  setScopeNotificationSettings(userId: number, scope: NotificationScope, settings: Td.scopeNotificationSettings): void {
    this.requireUser(userId).scopeSettings[scope] = { ...settings };
    if (this.listens(userId)) {
      this.emit(userId, { _: 'updateScopeNotificationSettings', scope: scopeObject(scope), notification_settings: { ...settings } }, null);
    }
  }

  /** Pins or unpins a chat in the user's main list, with Telegram's limit (5 without Premium). */
  setChatPinned(userId: number, ref: SimChatRef, pinned: boolean): void {
    const chat = this.resolveChat(ref);
    const user = this.requireUser(userId);
    const state = this.accountState(userId, chat);
    if (!inMainList(chat, userId)) throw tdError(400, 'The chat can\'t be pinned');
    if (pinned === state.pinSeq > 0) return;
    if (pinned) {
      const count = this.mainList(userId).filter((c) => this.accountState(userId, c).pinSeq > 0).length;
      if (count >= user.pinnedChatLimit) throw tdError(400, 'The maximum number of pinned chats exceeded');
      state.pinSeq = ++user.pinSeq;
    } else {
      state.pinSeq = 0;
    }
    if (this.listens(userId)) this.emit(userId, { _: 'updateChatPosition', chat_id: chatIdFor(chat, userId), position: chatPosition(this, chat, userId) }, chat);
  }

  /** A member renames a group: every member's client gets updateChatTitle and a service message. */
  renameChat(ref: SimChatRef, byUserId: number, title: string, options: { date?: number } = {}): void {
    const chat = this.resolveChat(ref);
    if (chat.kind === 'private') throw tdError(400, 'Can\'t change private chat title');
    chat.title = title;
    for (const memberId of chat.members.keys()) {
      if (this.listens(memberId)) this.emit(memberId, { _: 'updateChatTitle', chat_id: chatIdFor(chat, memberId), title }, chat);
    }
    this.postMessage(chat, byUserId, { kind: 'service', text: '', entities: [], content: { _: 'messageChatChangeTitle', title } }, {
      date: options.date ?? this.now(),
      replyTo: null,
      linkPreviewDisabled: false,
    });
  }

  setPinnedChatLimit(userId: number, limit: number): void {
    this.requireUser(userId).pinnedChatLimit = limit;
  }

  // ── reactions and typing ──

  react(userId: number, ref: SimMessageRef, emoji: string, add = true): void {
    const msg = this.resolveMessage(ref);
    const users = msg.reactions.get(emoji) ?? [];
    const has = users.includes(userId);
    if (add === has) return;
    const next = add ? [...users, userId] : users.filter((u) => u !== userId);
    if (next.length) msg.reactions.set(emoji, next);
    else msg.reactions.delete(emoji);
    for (const viewerId of this.holders(msg)) {
      if (!this.listens(viewerId)) continue;
      this.emit(
        viewerId,
        {
          _: 'updateMessageInteractionInfo',
          chat_id: chatIdFor(msg.chat, viewerId),
          message_id: messageIdFor(msg, viewerId) as number,
          interaction_info: interactionInfo(msg, viewerId),
        },
        msg.chat,
      );
    }
  }

  /** @internal Shows a chat action (typing) to the other members' accounts. */
  chatAction(userId: number, chat: SimChat, action: Td.ChatAction): void {
    for (const viewerId of chat.members.keys()) {
      if (viewerId === userId || !this.listens(viewerId)) continue;
      this.emit(viewerId, { _: 'updateChatAction', chat_id: chatIdFor(chat, viewerId), sender_id: { _: 'messageSenderUser', user_id: userId }, action }, chat);
    }
  }

  // ── membership ──

  addMember(ref: SimChatRef, userId: number, options: { inviterId?: number; date?: number; role?: MemberRole; viaLink?: boolean } = {}): void {
    const chat = this.resolveChat(ref);
    if (chat.kind === 'private') throw new Error('private chats have no members to add');
    this.requireUser(userId);
    if (chat.members.has(userId)) return;
    const date = options.date ?? this.now();
    const inviterId = options.viaLink ? userId : (options.inviterId ?? chat.creatorId);
    chat.banned.delete(userId);
    const role = options.role ?? 'member';
    chat.members.set(userId, { userId, role, rights: role === 'member' ? NO_RIGHTS : FULL_ADMIN_RIGHTS, joinedAt: date, inviterUserId: inviterId });
    // A newcomer to a supergroup sees the history as read; basic groups show nothing from before.
    const state = this.accountState(userId, chat);
    const last = lastVisibleMessage(chat, userId);
    if (last) state.lastReadInboxId = Math.max(state.lastReadInboxId, messageIdFor(last, userId) as number);

    this.emitGroupChanged(chat, userId);
    const content: Td.MessageContent = options.viaLink ? { _: 'messageChatJoinByLink' } : { _: 'messageChatAddMembers', member_user_ids: [userId] };
    const sender = chat.members.has(inviterId) ? inviterId : userId;
    this.postMessage(chat, sender, { kind: 'service', text: '', entities: [], content }, { date, replyTo: null, linkPreviewDisabled: false });
  }

  removeMember(ref: SimChatRef, userId: number, options: { byUserId?: number; ban?: boolean; bannedUntil?: number; date?: number } = {}): void {
    const chat = this.resolveChat(ref);
    if (chat.kind === 'private') throw new Error('private chats have no members to remove');
    if (!chat.members.has(userId)) {
      if (options.ban && chat.kind === 'supergroup') chat.banned.set(userId, options.bannedUntil ?? 0);
      return;
    }
    const byUserId = options.byUserId ?? userId;
    const date = options.date ?? this.now();
    // The removed person still sees the service message, then loses the chat (supergroups).
    this.postMessage(chat, chat.members.has(byUserId) ? byUserId : userId, { kind: 'service', text: '', entities: [], content: { _: 'messageChatDeleteMember', user_id: userId } }, {
      date,
      replyTo: null,
      linkPreviewDisabled: false,
    });
    chat.members.delete(userId);
    if (options.ban && chat.kind === 'supergroup') chat.banned.set(userId, options.bannedUntil ?? 0);
    const state = this.accountState(userId, chat);
    state.pinSeq = 0;
    if (chat.kind === 'supergroup') state.unreadMentions.clear();
    this.emitGroupChanged(chat, userId);
    if (chat.kind === 'supergroup' && this.listens(userId)) {
      this.emit(userId, { _: 'updateChatPosition', chat_id: chat.tdId, position: { ...chatPosition(this, chat, userId), order: '0', is_pinned: false } }, chat);
    }
  }

  setMemberRole(ref: SimChatRef, userId: number, role: MemberRole, rights: AdminRights = FULL_ADMIN_RIGHTS): void {
    const chat = this.resolveChat(ref);
    const member = chat.members.get(userId);
    if (!member) throw new Error(`user ${userId} is not a member of ${chat.key}`);
    member.role = role;
    member.rights = role === 'member' ? NO_RIGHTS : rights;
    this.emitGroupChanged(chat, userId);
  }

  isMember(ref: SimChatRef, userId: number): boolean {
    return this.resolveChat(ref).members.has(userId);
  }

  /** User ids of the chat's current members. */
  memberIds(ref: SimChatRef): number[] {
    return [...this.resolveChat(ref).members.keys()];
  }

  /** @internal */
  membership(chat: SimChat, userId: number): SimMembership | undefined {
    return chat.members.get(userId);
  }

  createInviteLink(ref: SimChatRef, creatorId: number, input: InviteLinkInput = {}): SimInviteLink {
    const chat = this.resolveChat(ref);
    const link: SimInviteLink = {
      link: `https://t.me/+${this.rng.token(16)}`,
      creatorId,
      name: input.name ?? '',
      date: this.now(),
      expirationDate: input.expirationDate ?? 0,
      memberLimit: input.memberLimit ?? 0,
      memberCount: 0,
    };
    chat.inviteLinks.push(link);
    return link;
  }

  /** Someone follows an invite link, with the link's member limit and expiry enforced. */
  joinByLink(userId: number, link: string): SimChatHandle {
    for (const chat of this.chatsByKey.values()) {
      const invite = chat.inviteLinks.find((l) => l.link === link);
      if (!invite) continue;
      const expired = invite.expirationDate !== 0 && invite.expirationDate <= this.now();
      if (expired || (invite.memberLimit !== 0 && invite.memberCount >= invite.memberLimit)) throw tdError(400, 'INVITE_HASH_EXPIRED');
      if (chat.banned.has(userId)) throw tdError(400, 'USER_BANNED_IN_CHANNEL');
      if (!chat.members.has(userId)) {
        invite.memberCount++;
        this.addMember(chat.key, userId, { viaLink: true });
      }
      return this.handle(chat);
    }
    throw tdError(400, 'INVITE_HASH_INVALID');
  }

  // ── emission helpers ──

  /** @internal */
  emitLastMessage(viewerId: number, chat: SimChat): void {
    const last = lastVisibleMessage(chat, viewerId);
    this.emit(
      viewerId,
      {
        _: 'updateChatLastMessage',
        chat_id: chatIdFor(chat, viewerId),
        last_message: last ? buildMessage(this, last, viewerId) : undefined,
        positions: chatPositions(this, chat, viewerId),
      },
      chat,
    );
  }

  private emitReadInbox(viewerId: number, chat: SimChat): void {
    this.emit(
      viewerId,
      {
        _: 'updateChatReadInbox',
        chat_id: chatIdFor(chat, viewerId),
        last_read_inbox_message_id: this.accountState(viewerId, chat).lastReadInboxId,
        unread_count: unreadCount(this, chat, viewerId),
      },
      chat,
    );
  }

  private emitMentionCount(viewerId: number, chat: SimChat): void {
    this.emit(viewerId, { _: 'updateChatUnreadMentionCount', chat_id: chatIdFor(chat, viewerId), unread_mention_count: unreadMentionCount(this, chat, viewerId) }, chat);
  }

  /** Member count or someone's status changed: every listening member (and the subject) hears of it. */
  private emitGroupChanged(chat: SimChat, subjectId: number): void {
    const viewers = new Set([...chat.members.keys(), subjectId]);
    for (const viewerId of viewers) {
      if (!this.listens(viewerId)) continue;
      if (chat.kind === 'supergroup') {
        this.emit(viewerId, { _: 'updateSupergroup', supergroup: buildSupergroup(chat, viewerId) }, null);
      } else {
        this.emit(viewerId, { _: 'updateBasicGroup', basic_group: buildBasicGroup(chat, viewerId) }, null);
        if (chat.members.has(viewerId)) {
          this.emit(viewerId, { _: 'updateBasicGroupFullInfo', basic_group_id: chat.groupId, basic_group_full_info: buildBasicGroupFullInfo(chat) }, null);
        }
      }
    }
  }

  /** @internal */
  tdUser(userId: number, viewerId: number): Td.user {
    return buildUser(this.requireUser(userId), viewerId, this.now());
  }

  // ── id allocation ──

  private allocateUserId(): number {
    this.nextUserId += this.rng.int(1, 97_531);
    return this.nextUserId;
  }

  private allocateSupergroupId(): number {
    this.nextSupergroupId += this.rng.int(1, 9_973);
    return this.nextSupergroupId;
  }

  private allocateBasicGroupId(): number {
    this.nextBasicGroupId += this.rng.int(1, 9_973);
    return this.nextBasicGroupId;
  }

  private allocateFileIds(count: number): number {
    const id = this.nextFileId;
    this.nextFileId += count;
    return id;
  }
}

const NO_RIGHTS: AdminRights = { canInviteUsers: false, canRestrictMembers: false, canPromoteMembers: false };

function privateKey(a: number, b: number): string {
  return a < b ? `pm:${a}:${b}` : `pm:${b}:${a}`;
}

function userInfo(u: SimUser): SimUserInfo {
  return { id: u.id, firstName: u.firstName, lastName: u.lastName, username: u.username, phone: u.phone, isAccount: u.isAccount };
}

function guessMime(fileName: string): string {
  const ext = fileName.split('.').pop()?.toLowerCase() ?? '';
  const known: Record<string, string> = {
    log: 'text/plain',
    txt: 'text/plain',
    conf: 'text/plain',
    json: 'application/json',
    pdf: 'application/pdf',
    gz: 'application/gzip',
    zip: 'application/zip',
    png: 'image/png',
    csv: 'text/csv',
  };
  return known[ext] ?? 'application/octet-stream';
}
