/**
 * Sending a message as a team member's own account (the operator console's composer, or any
 * client of `sendMessage`), the way that member wants it (DESIGN.md §1 row 15):
 *
 * - "typing…" is shown first only when the member's preferences ask for it: by default tgdesk
 *   sends no chat action at all;
 * - links go without a preview when the member turned previews off;
 * - a reply names a stored message of the same chat, translated into the account's own id
 *   space (basic groups and private chats number messages per account).
 *
 * Exactly one Telegram side effect (the message; typing before it only if asked). Telegram's
 * refusals come back typed: a long flood wait is FLOOD_WAIT with `retryAfter` in seconds, and
 * nothing was sent. Every attempt is audited, with the text's length but never the text.
 *
 * The message reaches the store the way every message does, through the account's updates
 * (ingest); `send` waits briefly for that and returns the stored message id when it is there.
 */
import { badInput, DomainError, notFound } from '../domain/errors.ts';
import { hasSharedMessageIds, type ChatKey } from '../domain/ids.ts';
import type { Logger } from '../shared/log.ts';
import { getMessagesByIds, resolveMessageIds } from '../store/messages.repository.ts';
import { tdMessageIdsOf } from '../store/tasks.repository.ts';
import { appendAudit } from '../store/team.repository.ts';
import type { TelegramAccount } from '../tdlib/port.ts';
import type { Actor } from './actions.ts';
import type { EventBus } from './event-bus.ts';
import type { Preferences } from './preferences.ts';
import type { TeamModel } from './team-model.ts';
import type { Writer } from './writer.ts';

/** Telegram's limit for one text message, in UTF-16 code units (as Telegram counts). */
export const MESSAGE_TEXT_MAX = 4096;
/** How long `send` waits for the sent message to be stored before answering without its id. */
const STORE_WAIT_MS = 3_000;

export interface SendMessageInput {
  readonly accountId: string;
  readonly chatKey: ChatKey;
  readonly text: string;
  /** A stored message id (`Message.id`) of the same chat. */
  readonly replyToId?: number | null;
}

export interface SendMessageResult {
  /** The stored message's id; null when ingest has not stored it within the wait. */
  readonly messageId: number | null;
  /** The account's own Telegram id of the sent message. */
  readonly tdMessageId: number;
  /** Unix seconds, as Telegram dated it. */
  readonly date: number;
  /** "typing…" was sent first (the member's preference). */
  readonly sentTyping: boolean;
  /** Links were allowed a preview (the member's preference). */
  readonly linkPreviews: boolean;
}

export interface MessagingDeps {
  readonly writer: Writer;
  readonly bus: EventBus;
  readonly model: TeamModel;
  readonly accounts: ReadonlyMap<string, TelegramAccount>;
  readonly preferences: Preferences;
  readonly now: () => number;
  readonly logger?: Logger;
  /** How long to wait for the sent message in the store (tests shorten it). */
  readonly storeWaitMs?: number;
}

export class Messaging {
  constructor(private readonly d: MessagingDeps) {}

  /**
   * Sends `text` into the chat as the account. The actor must be a team member, and the account
   * must be that member's own: tgdesk never writes as one person on another's behalf.
   */
  async send(actor: Actor, input: SendMessageInput): Promise<SendMessageResult> {
    const member = actor.memberUserId;
    if (member === null) throw new DomainError('FORBIDDEN', 'sending needs a token tied to a team member (tgdesk token create --member USER_ID)');
    const account = this.d.accounts.get(input.accountId);
    if (!account) throw notFound('account', input.accountId);
    const owner = this.d.model.accountUsers.get(input.accountId);
    if (owner !== member) {
      throw new DomainError('FORBIDDEN', `account ${input.accountId} is not the account of team member ${member}: messages are sent as their own account only`, { accountId: input.accountId });
    }
    const entry = this.d.model.chats.get(input.chatKey);
    if (!entry) throw notFound('chat', input.chatKey);
    const state = this.d.model.accountChats.get(input.accountId)?.get(input.chatKey);
    if (!state) throw notFound(`chat in account ${input.accountId}`, input.chatKey);
    const text = input.text.replace(/\s+$/u, '');
    if (text.trim().length === 0) throw badInput('the message is empty', { argument: 'text' });
    if (text.length > MESSAGE_TEXT_MAX) throw badInput(`the message is longer than ${MESSAGE_TEXT_MAX} characters`, { argument: 'text', max: MESSAGE_TEXT_MAX });

    let replyToTdMessageId: number | null = null;
    if (input.replyToId !== undefined && input.replyToId !== null) {
      const replyToId = input.replyToId;
      replyToTdMessageId = await this.d.writer.run(async (trx) => {
        const [target] = await getMessagesByIds(trx, [replyToId]);
        if (!target || target.deletedAt !== null) throw notFound('message', replyToId);
        if (target.chatKey !== input.chatKey) throw badInput(`message ${replyToId} is not in chat ${input.chatKey}`, { argument: 'replyTo' });
        const tdIds = await tdMessageIdsOf(trx, input.accountId, entry.record.type, [target]);
        return tdIds.get(target.id) ?? null;
      });
      if (replyToTdMessageId === null) throw badInput(`account ${input.accountId} does not have message ${replyToId}`, { argument: 'replyTo' });
    }

    const prefs = await this.d.preferences.get(member);
    const details: Record<string, unknown> = {
      length: text.length,
      replyToId: input.replyToId ?? null,
      sentTyping: prefs.sendTyping,
      linkPreviews: prefs.linkPreviews,
    };
    let sent;
    try {
      if (prefs.sendTyping) {
        // "typing…" is a courtesy: a refusal must not stop the message itself.
        await account.sendTyping(state.tdChatId).catch((error: unknown) => this.d.logger?.warn('typing status was refused', { accountId: input.accountId, chatKey: input.chatKey, error }));
      }
      sent = await account.sendMessage(state.tdChatId, text, { replyToTdMessageId, disableLinkPreview: !prefs.linkPreviews });
    } catch (error) {
      await this.audit(actor, input, details, error);
      throw error;
    }
    await this.audit(actor, input, { ...details, tdMessageId: sent.tdMessageId }, null);
    const messageId = await this.storedId(input.accountId, input.chatKey, entry.record.type, sent.tdMessageId);
    return { messageId, tdMessageId: sent.tdMessageId, date: sent.date, sentTyping: prefs.sendTyping, linkPreviews: prefs.linkPreviews };
  }

  /**
   * Waits (briefly) until ingest stored the sent message; its id, or null. Looks again whenever
   * a message event of the chat is published (and every half second, in case one was missed).
   */
  private async storedId(accountId: string, chatKey: ChatKey, chatType: Parameters<typeof hasSharedMessageIds>[0], tdMessageId: number): Promise<number | null> {
    const deadline = Date.now() + (this.d.storeWaitMs ?? STORE_WAIT_MS);
    let wake: (() => void) | null = null;
    const stop = this.d.bus.subscribe((events) => {
      if (events.some((e) => e.chatKey === chatKey && e.type === 'messageAdded')) wake?.();
    });
    try {
      for (;;) {
        const ids = await this.d.writer.run((trx) => resolveMessageIds(trx, accountId, [{ chatKey, chatType, tdMessageId }]));
        const id = ids.get(`${chatKey}\u0000${tdMessageId}`);
        if (id !== undefined) return id;
        const left = deadline - Date.now();
        if (left <= 0) return null;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.min(left, 500));
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wake = null;
      }
    } finally {
      stop();
    }
  }

  private async audit(actor: Actor, input: SendMessageInput, details: Record<string, unknown>, error: unknown): Promise<void> {
    await this.d.writer
      .run((trx) =>
        appendAudit(trx, {
          at: this.d.now(),
          actor: actor.label,
          action: 'sendMessage',
          accountId: input.accountId,
          chatKey: input.chatKey,
          details: { ...details, ...(actor.memberUserId !== null ? { memberUserId: actor.memberUserId } : {}) },
          outcome: error ? 'error' : 'ok',
          errorCode: error ? (error instanceof DomainError ? error.code : 'INTERNAL') : null,
        }),
      )
      .catch((e: unknown) => this.d.logger?.error('could not write the audit log', { action: 'sendMessage', error: e }));
  }
}
