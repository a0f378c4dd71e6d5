/** Domain-level Telegram values for store and ingest tests. */
import type { TgMessage } from '../../src/domain/telegram.ts';

export function tgMessage(overrides: Partial<TgMessage> & Pick<TgMessage, 'tdChatId' | 'tdMessageId'>): TgMessage {
  return {
    sender: { kind: 'user', id: 1001 },
    isOutgoing: false,
    date: 1_700_000_000,
    editDate: 0,
    replyToTdMessageId: null,
    text: 'hello',
    entities: [],
    contentKind: 'text',
    mediaSummary: null,
    isService: false,
    containsUnreadMention: false,
    ...overrides,
  };
}
