/**
 * One account's update history on the simulated server, and what a restarted client gets from
 * it. TDLib promises nothing here (tdlib-notes §9): after a restart it "will start from some
 * old state and the updates will be delivered again … or will start from the latest state", and
 * in supergroups with too many pending updates it skips the messages (a channel gap).
 */
import type * as Td from 'tdlib-types';
import type { Rng } from './rng.ts';

/**
 * - `resume`: exactly the updates the client had not received yet (a clean restart).
 * - `redeliver`: from an older point, so some updates arrive a second time.
 * - `latest`: nothing from while the client was away; only the current state through chats
 *   and getChatHistory.
 */
export type RestartMode = 'resume' | 'redeliver' | 'latest';
/** `random` picks `redeliver` or `latest` from the world's seed. */
export type RestartPolicy = RestartMode | 'random';

export interface FeedEntry {
  readonly seq: number;
  readonly update: Td.Update;
  readonly chatKey: string | null;
}

export interface Replay {
  readonly mode: RestartMode;
  readonly entries: readonly FeedEntry[];
  /** Supergroups whose pending message updates were skipped: the client must be told the last message is unknown. */
  readonly gappedChatKeys: readonly string[];
}

/** Updates that a channel gap swallows. */
export const GAPPABLE_UPDATES: ReadonlySet<Td.Update['_']> = new Set([
  'updateNewMessage',
  'updateMessageContent',
  'updateMessageEdited',
  'updateDeleteMessages',
  'updateMessageInteractionInfo',
]);

export class AccountFeed {
  private entries: FeedEntry[] = [];
  private nextSeq = 1;
  /** Highest seq a client has handed to its listeners. */
  deliveredSeq = 0;
  private readonly retention: number;

  constructor(retention: number) {
    this.retention = retention;
  }

  append(update: Td.Update, chatKey: string | null): FeedEntry {
    const entry: FeedEntry = { seq: this.nextSeq++, update, chatKey };
    this.entries.push(entry);
    return entry;
  }

  markDelivered(seq: number): void {
    if (seq <= this.deliveredSeq) return;
    this.deliveredSeq = seq;
    // Keep a window of delivered updates so a `redeliver` restart has something to repeat.
    if (this.entries.length > this.retention * 2) {
      const keepAfter = this.deliveredSeq - this.retention;
      this.entries = this.entries.filter((e) => e.seq > keepAfter);
    }
  }

  /**
   * What a reconnecting client receives. `gapLimit` is TDLib's "more than about 100 pending
   * updates" in a supergroup, beyond which the messages themselves are skipped.
   */
  replay(mode: RestartMode, rng: Rng, gapLimit: number, isSupergroup: (chatKey: string) => boolean): Replay {
    let from: number;
    if (mode === 'latest') {
      from = this.nextSeq;
    } else if (mode === 'redeliver') {
      // Back to a point somewhere in the second half of the last (up to) 50 delivered updates.
      const available = Math.min(50, this.entries.filter((e) => e.seq <= this.deliveredSeq).length);
      from = this.deliveredSeq + 1 - rng.int(Math.ceil(available / 2), available);
    } else {
      from = this.deliveredSeq + 1;
    }
    const pending = this.entries.filter((e) => e.seq >= from);
    if (mode === 'latest') this.deliveredSeq = this.nextSeq - 1;

    const perChat = new Map<string, number>();
    for (const e of pending) {
      if (e.chatKey && e.update._ === 'updateNewMessage') perChat.set(e.chatKey, (perChat.get(e.chatKey) ?? 0) + 1);
    }
    const gapped = [...perChat].filter(([key, n]) => n > gapLimit && isSupergroup(key)).map(([key]) => key);
    const entries = pending.filter((e) => !(e.chatKey && gapped.includes(e.chatKey) && GAPPABLE_UPDATES.has(e.update._)));
    return { mode, entries, gappedChatKeys: gapped };
  }
}
