/**
 * Facts about the simulated company that API tests pick their arguments from.
 */
import type { ApiHarness } from './api-harness.ts';

export interface SupportChatPick {
  /** The daemon's account that sees the chat. */
  readonly accountId: string;
  readonly accountUserId: number;
  /** tgdesk's chat id (`Chat.id`). */
  readonly chatId: string;
  readonly tdChatId: number;
  readonly clientUserId: number;
  readonly teamUserId: number;
  readonly title: string;
}

/** The `n`th support chat that one of the daemon's accounts sees. */
export function supportChat(h: ApiHarness, n = 0): SupportChatPick {
  const { company, accounts } = h.sim.demo;
  const picks: SupportChatPick[] = [];
  for (const chat of company.clientChats) {
    const i = company.accounts.findIndex((a) => chat.teamIds.includes(a.userId));
    if (i === -1) continue;
    picks.push({
      accountId: accounts[i]!.accountId,
      accountUserId: company.accounts[i]!.userId,
      chatId: String(chat.chatId),
      tdChatId: chat.chatId,
      clientUserId: chat.clients[0]!.userId,
      teamUserId: chat.teamIds[0]!,
      title: chat.title,
    });
  }
  const pick = picks[n % picks.length];
  if (!pick) throw new Error('the simulated company has no support chat an account sees');
  return pick;
}

/** Sends a client message into a support chat, as simulated Telegram traffic. */
export function clientWrites(h: ApiHarness, chat: SupportChatPick, text: string): void {
  h.sim.demo.world.sendMessage({ chatId: chat.tdChatId, senderId: chat.clientUserId, text });
}

/** The `extensions.code` of every error in a GraphQL response body, in order. */
export const errorCodes = (body: { errors?: { extensions?: Record<string, unknown> }[] }): unknown[] => (body.errors ?? []).map((e) => e.extensions?.['code']);
