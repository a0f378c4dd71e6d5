import { describe, expect, it } from 'vitest';
import { RecentMessages } from '../src/app/message-cache.ts';
import type { IngestResult } from '../src/app/ingest.ts';
import { tgMessage } from './helpers/telegram-fixtures.ts';

const CHAT = '-1001234567890';

/** The parts of an ingest result the cache reads: what a commit stored. */
function stored(entries: { id: number; tdMessageId: number; editDate?: number; msgKey?: string }[]): IngestResult {
  return {
    stored: entries.map((e) => ({
      chatKey: CHAT,
      ref: { id: e.id, msgKey: e.msgKey ?? `m${e.tdMessageId}`, sortKey: e.tdMessageId, inserted: true },
      message: tgMessage({ tdChatId: Number(CHAT), tdMessageId: e.tdMessageId, editDate: e.editDate ?? 0 }),
    })),
  } as unknown as IngestResult;
}

describe('recently stored messages', () => {
  it('knows a supergroup message another account stored, with its newest edit', () => {
    const cache = new RecentMessages();
    cache.remember(stored([{ id: 7, tdMessageId: 1 * 2 ** 20 }]));
    expect(cache.get(CHAT, 1 * 2 ** 20)).toEqual({ id: 7, editDate: 0 });
    cache.remember(stored([{ id: 7, tdMessageId: 1 * 2 ** 20, editDate: 1_700_000_000 }]));
    cache.remember(stored([{ id: 7, tdMessageId: 1 * 2 ** 20, editDate: 5 }]));
    expect(cache.get(CHAT, 1 * 2 ** 20)).toEqual({ id: 7, editDate: 1_700_000_000 });
    expect(cache.get(CHAT, 2 * 2 ** 20)).toBeUndefined();
  });

  it('ignores messages whose ids are per account (basic groups, private chats)', () => {
    const cache = new RecentMessages();
    cache.remember(stored([{ id: 9, tdMessageId: 3 * 2 ** 20, msgKey: 'su5_1700000000_0' }]));
    expect(cache.get(CHAT, 3 * 2 ** 20)).toBeUndefined();
  });

  it('forgets the oldest entries beyond its capacity, and only those', () => {
    const cache = new RecentMessages(1000);
    for (let i = 1; i <= 10_000; i++) cache.remember(stored([{ id: i, tdMessageId: i * 2 ** 20 }]));
    expect(cache.get(CHAT, 9000 * 2 ** 20)).toBeUndefined();
    expect(cache.get(CHAT, 9001 * 2 ** 20)).toEqual({ id: 9001, editDate: 0 });
    expect(cache.get(CHAT, 10_000 * 2 ** 20)).toEqual({ id: 10_000, editDate: 0 });
    cache.clear();
    expect(cache.get(CHAT, 10_000 * 2 ** 20)).toBeUndefined();
  });
});
