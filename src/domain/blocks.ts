/**
 * Sender blocks (DESIGN.md §1 row 7): history shown as runs of consecutive messages of one
 * sender. A new block starts when the sender changes, or when more than `maxGapMs` passed since
 * the previous message (default 10 minutes: someone who comes back after a coffee break starts
 * a new thought). A gap of exactly `maxGapMs` stays in the block. Service messages (joins, pins,
 * title changes) are never part of a conversation, so each stands alone as a block of its own
 * and breaks the run around it.
 */
import type { SenderRef } from './ids.ts';
import { MINUTE, type DurationMs, type UnixMs } from './time.ts';

export const DEFAULT_BLOCK_GAP_MS: DurationMs = 10 * MINUTE;

export interface BlockableMessage {
  readonly sender: SenderRef;
  readonly at: UnixMs;
  readonly isService: boolean;
}

export interface SenderBlock<M extends BlockableMessage> {
  readonly sender: SenderRef;
  readonly isService: boolean;
  /** In the order given, oldest first. */
  readonly messages: readonly M[];
  readonly firstAt: UnixMs;
  readonly lastAt: UnixMs;
}

export interface BlockOptions {
  readonly maxGapMs?: DurationMs;
}

/**
 * Groups messages, given oldest first, into blocks. A page of history may cut a block in two
 * at its edge; a client that joins pages merges the edge blocks when sender and gap allow.
 */
export function groupIntoBlocks<M extends BlockableMessage>(messages: readonly M[], options: BlockOptions = {}): SenderBlock<M>[] {
  const maxGap = options.maxGapMs ?? DEFAULT_BLOCK_GAP_MS;
  const blocks: SenderBlock<M>[] = [];
  let current: M[] | null = null;
  let first: M | null = null;
  let prev: M | null = null;
  const close = (): void => {
    if (current !== null && first !== null && prev !== null) {
      blocks.push({ sender: first.sender, isService: first.isService, messages: current, firstAt: first.at, lastAt: prev.at });
    }
  };
  for (const m of messages) {
    const joins =
      prev !== null &&
      !m.isService &&
      !prev.isService &&
      m.sender.kind === prev.sender.kind &&
      m.sender.id === prev.sender.id &&
      m.at - prev.at <= maxGap;
    if (joins) current!.push(m);
    else {
      close();
      current = [m];
      first = m;
    }
    prev = m;
  }
  close();
  return blocks;
}
