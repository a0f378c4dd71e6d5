/**
 * The narrow port through which the app talks to Telegram, one object per account.
 *
 * Everything here is in tgdesk's own types (src/domain/telegram.ts). The TDLib-shaped
 * transport underneath (`TdTransport`, real tdl or the simulator) never leaks out of
 * src/tdlib.
 */
import type {
  AccountId,
  AuthState,
  ChatMemberStatus,
  NotificationSettings,
  TgChat,
  TgEvent,
  TgMessage,
  TgUser,
} from '../domain/telegram.ts';

/**
 * Receives one account's events in Telegram's order. The account calls it with every event
 * that arrived while the previous call was running, so a slow handler gets bigger batches
 * instead of a growing backlog of calls. A rejected promise is logged and the batch is not
 * retried: handlers must be idempotent and catch their own failures.
 */
export type TgEventBatchHandler = (accountId: AccountId, events: readonly TgEvent[]) => Promise<void>;

export interface HistoryPage {
  /** Newest first, as TDLib returns them. Empty when there is nothing older. */
  readonly messages: readonly TgMessage[];
}

export interface FailedToAdd {
  readonly userId: number;
  readonly premiumWouldAllowInvite: boolean;
}

export interface SendOptions {
  readonly replyToTdMessageId?: number | null;
  readonly disableLinkPreview?: boolean;
}

export interface TelegramAccount {
  readonly accountId: AccountId;

  /** Starts the client and the ordered event stream. Resolves once TDLib reported its first auth state. */
  start(handler: TgEventBatchHandler): Promise<void>;
  /** Closes the client cleanly (TDLib `close`) and waits until it is closed. */
  close(): Promise<void>;
  authState(): AuthState;

  // Login steps. Never prompt: callers supply the answers.
  submitPhoneNumber(phone: string): Promise<void>;
  submitCode(code: string): Promise<void>;
  submitPassword(password: string): Promise<void>;
  requestQrCode(): Promise<void>;
  logOut(): Promise<void>;

  getMe(): Promise<TgUser>;
  /** Loads the main and archive chat lists until Telegram says everything is loaded. Chats arrive as events. */
  loadAllChats(): Promise<void>;
  getChat(tdChatId: number): Promise<TgChat>;
  /** One page of history, newest first, starting below `fromTdMessageId` (0: from the newest). */
  getChatHistory(tdChatId: number, fromTdMessageId: number, limit: number): Promise<HistoryPage>;
  getChatMembers(tdChatId: number): Promise<readonly { userId: number; status: ChatMemberStatus }[]>;

  // Actions: each is exactly one visible change in Telegram, done only when asked.
  setChatPinned(tdChatId: number, pinned: boolean): Promise<void>;
  setChatNotificationSettings(tdChatId: number, settings: NotificationSettings): Promise<void>;
  /** Marks the chat read up to its last message, clears its mentions and its manual unread mark. */
  readChat(tdChatId: number, upToTdMessageId: number): Promise<void>;
  sendMessage(tdChatId: number, text: string, options?: SendOptions): Promise<TgMessage>;
  sendTyping(tdChatId: number): Promise<void>;
  addChatMembers(tdChatId: number, userIds: readonly number[]): Promise<readonly FailedToAdd[]>;
  removeChatMember(tdChatId: number, userId: number): Promise<void>;
  createInviteLink(tdChatId: number, memberLimit: number): Promise<string>;
  /**
   * The account's private chat with a user (TDLib `createPrivateChat`, `force: false`): the
   * existing one, or a new, empty one that TDLib then announces with `updateNewChat`. Nothing
   * is sent and the user sees nothing until a message is. Fails NOT_FOUND for a user the
   * account has never met or cannot reach. Only for actions that were asked to write to the
   * user (an invite link by direct message).
   */
  createPrivateChat(userId: number): Promise<TgChat>;
  getMessageLink(tdChatId: number, tdMessageId: number): Promise<string | null>;
  setReaction(tdChatId: number, tdMessageId: number, emoji: string | null): Promise<void>;
}
