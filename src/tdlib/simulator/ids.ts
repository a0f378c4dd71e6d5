/**
 * TDLib's id arithmetic (MessageId.h, DialogId.h) and chat-list order, in one place so the
 * rest of the simulator never hand-computes an id.
 */

/** TDLib message id = server message id << 20 (`MessageId::SERVER_ID_SHIFT`). */
export const SERVER_ID_SHIFT = 20;
const SHIFT = 2 ** SERVER_ID_SHIFT;

export function messageIdFromServerId(serverId: number): number {
  return serverId * SHIFT;
}

export function serverIdOf(messageId: number): number {
  return Math.floor(messageId / SHIFT);
}

/**
 * The temporary id TDLib gives a message it has not sent yet: the last known server id with
 * the "yet unsent" type (1) in the low bits and a local counter above it.
 */
export function yetUnsentMessageId(lastServerId: number, localSeq: number): number {
  return lastServerId * SHIFT + ((localSeq % 131072) * 8 + 1);
}

/** `DialogId::ZERO_CHANNEL_ID`: supergroup chat id = -1000000000000 - supergroup_id. */
const ZERO_CHANNEL_ID = -1000000000000;

export function supergroupChatId(supergroupId: number): number {
  return ZERO_CHANNEL_ID - supergroupId;
}

export function basicGroupChatId(basicGroupId: number): number {
  return -basicGroupId;
}

/**
 * TDLib's base order of a chat: the last message date in the high 32 bits and its server id
 * below (`get_dialog_base_order`). An int64, so a decimal string as in TDLib's JSON.
 */
export function chatOrder(date: number, serverId: number): string {
  return ((BigInt(Math.max(0, date)) << 32n) + BigInt(Math.max(0, serverId))).toString();
}

/**
 * Pinned chats sort above every dated chat: TDLib starts pinned orders at 2147000000 << 32 and
 * gives each newly pinned chat the next value, so the newest pin is on top.
 */
export function pinnedChatOrder(pinSeq: number): string {
  return ((2147000000n << 32n) + BigInt(pinSeq)).toString();
}

/** Compares two int64 order strings. */
export function compareOrder(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x === y ? 0 : x < y ? -1 : 1;
}
