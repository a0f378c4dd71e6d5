/**
 * Messages recently stored, shared by every account's sync: in a supergroup each member account
 * receives the same message, and all but the first copy need no write at all. Entries are added
 * only after the transaction that stored them committed, so a hit is always a stored message.
 */
import type { ChatKey } from '../domain/ids.ts';
import type { KnownMessages } from '../store/messages.repository.ts';
import type { IngestResult } from './ingest.ts';

export class RecentMessages implements KnownMessages {
  // By chat, then Telegram id: numbers and long-lived chat-key strings hash once, where a key
  // string built per lookup would be hashed afresh every time (ingest asks for every copy).
  private readonly byChat = new Map<ChatKey, Map<number, { id: number; editDate: number }>>();
  /** Insertion order for eviction: chat and id of each entry, oldest first (may hold stale pairs). */
  private readonly order: { chatKey: ChatKey; tdMessageId: number }[] = [];
  private head = 0;
  private size = 0;

  constructor(private readonly capacity = 50_000) {}

  get(chatKey: ChatKey, tdMessageId: number): { id: number; editDate: number } | undefined {
    return this.byChat.get(chatKey)?.get(tdMessageId);
  }

  /** Call after the commit of the batch that produced `result`. */
  remember(result: IngestResult): void {
    for (const s of result.stored) {
      // Only shared-id chats (their keys are "m<id>"): elsewhere each account has its own ids.
      if (s.ref.id <= 0 || !s.ref.msgKey.startsWith('m')) continue;
      let chat = this.byChat.get(s.chatKey);
      if (!chat) this.byChat.set(s.chatKey, (chat = new Map()));
      const prev = chat.get(s.message.tdMessageId);
      if (prev) {
        if (prev.editDate < s.message.editDate) prev.editDate = s.message.editDate;
        continue;
      }
      chat.set(s.message.tdMessageId, { id: s.ref.id, editDate: s.message.editDate });
      this.order.push({ chatKey: s.chatKey, tdMessageId: s.message.tdMessageId });
      if (++this.size > this.capacity) this.evictOldest();
    }
  }

  private evictOldest(): void {
    const oldest = this.order[this.head++]!;
    const chat = this.byChat.get(oldest.chatKey);
    if (chat?.delete(oldest.tdMessageId)) {
      this.size--;
      if (chat.size === 0) this.byChat.delete(oldest.chatKey);
    }
    // Drop the consumed prefix now and then, so the queue does not grow without bound.
    if (this.head > 4096 && this.head * 2 > this.order.length) {
      this.order.splice(0, this.head);
      this.head = 0;
    }
  }

  /** After a rollback nothing in memory can be trusted beyond the store; start over. */
  clear(): void {
    this.byChat.clear();
    this.order.length = 0;
    this.head = 0;
    this.size = 0;
  }
}
