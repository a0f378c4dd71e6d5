/**
 * Identities of chats and messages across the team's accounts (DESIGN.md §6).
 *
 * Telegram gives each account its own view:
 * - supergroups and channels: one chat id, and every member sees the same message ids;
 * - basic groups: one chat id, but message ids differ per account;
 * - private chats: the chat id is the *other* user's id, so two team accounts that talk to
 *   each other see two different chat ids for one conversation.
 *
 * tgdesk stores every chat and message once, so it derives keys that are equal across accounts.
 */

export type ChatType = 'private' | 'basic' | 'supergroup' | 'channel' | 'secret';

/** A chat's key in tgdesk: the same for every account that sees the chat. */
export type ChatKey = string;

/**
 * The key of a chat as seen by an account.
 * Groups keep Telegram's id; a private chat is keyed by the pair of users in it.
 */
export function chatKeyOf(type: ChatType, tdChatId: number, accountUserId: number): ChatKey {
  if (type === 'private') {
    const [low, high] = accountUserId < tdChatId ? [accountUserId, tdChatId] : [tdChatId, accountUserId];
    return `u${low}_${high}`;
  }
  // Secret chats are per device and never synced (use_secret_chats is off); keep them apart.
  if (type === 'secret') return `x${accountUserId}_${tdChatId}`;
  return String(tdChatId);
}

/** True where every member sees the same message id, so the id alone identifies a message. */
export function hasSharedMessageIds(type: ChatType): boolean {
  return type === 'supergroup' || type === 'channel';
}

/**
 * The key of a message inside its chat, equal across accounts.
 *
 * Where ids are shared it is the id. Elsewhere it is the sender, the send time and an ordinal
 * that tells apart several messages of one sender within one second; `ordinal` is the number
 * of messages this account already holds from the same sender at the same second with a
 * lower id. Content is left out on purpose: an edit must not change a message's identity.
 */
export function messageKeyOf(
  type: ChatType,
  tdMessageId: number,
  sender: SenderRef,
  date: number,
  ordinal: number,
): string {
  if (hasSharedMessageIds(type)) return `m${tdMessageId}`;
  return `s${sender.kind === 'user' ? 'u' : 'c'}${sender.id}_${date}_${ordinal}`;
}

/**
 * A sortable position of a message inside its chat. Shared ids already grow with time;
 * elsewhere the send time orders messages, and the ordinal breaks ties within a second.
 */
export function messageSortKeyOf(type: ChatType, tdMessageId: number, date: number, ordinal: number): number {
  if (hasSharedMessageIds(type)) return tdMessageId;
  return date * 1024 + Math.min(ordinal, 1023);
}

export interface SenderRef {
  readonly kind: 'user' | 'chat';
  readonly id: number;
}

export function senderKey(sender: SenderRef): string {
  return `${sender.kind === 'user' ? 'u' : 'c'}${sender.id}`;
}

export function parseSenderKey(key: string): SenderRef | null {
  // Called for every message the overdue clock and the views see: no regular expression.
  const kind = key.charCodeAt(0) === 117 /* u */ ? 'user' : key.charCodeAt(0) === 99 /* c */ ? 'chat' : null;
  if (kind === null || key.length < 2) return null;
  const digits = key.charCodeAt(1) === 45 /* - */ ? key.slice(2) : key.slice(1);
  if (digits.length === 0) return null;
  for (let i = 0; i < digits.length; i++) {
    const c = digits.charCodeAt(i);
    if (c < 48 || c > 57) return null;
  }
  return { kind, id: Number(key.slice(1)) };
}

/** TDLib message id = server id × 2^20; pending and local messages have low bits set. */
export const SERVER_MESSAGE_ID_SHIFT = 1_048_576;

/** True for ids of messages the server knows: the only ones tgdesk stores. */
export function isServerMessageId(tdMessageId: number): boolean {
  return tdMessageId > 0 && tdMessageId % SERVER_MESSAGE_ID_SHIFT === 0;
}
