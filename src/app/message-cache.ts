/**
 * Messages recently stored, shared by every account's sync: in a supergroup each member account
 * receives the same message, and all but the first copy need no write at all. Entries are added
 * only after the transaction that stored them committed, so a hit is always a stored message.
 */
import type { KnownMessages } from '../store/messages.repository.ts';
import type { IngestResult } from './ingest.ts';

export class RecentMessages implements KnownMessages {
  private readonly entries = new Map<string, { id: number; editDate: number }>();

  constructor(private readonly capacity = 50_000) {}

  get(identity: string): { id: number; editDate: number } | undefined {
    return this.entries.get(identity);
  }

  /** Call after the commit of the batch that produced `result`. */
  remember(result: IngestResult): void {
    for (const s of result.stored) {
      if (s.ref.id <= 0 || !s.ref.msgKey.startsWith('m')) continue;
      const identity = `${s.chatKey}\u0000${s.ref.msgKey}`;
      const prev = this.entries.get(identity);
      if (prev && prev.editDate >= s.message.editDate) continue;
      this.entries.delete(identity);
      this.entries.set(identity, { id: s.ref.id, editDate: s.message.editDate });
      if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
    }
  }

  /** After a rollback nothing in memory can be trusted beyond the store; start over. */
  clear(): void {
    this.entries.clear();
  }
}
