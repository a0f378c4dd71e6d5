import { describe, expect, it } from 'vitest';
import { parseSenderKey, senderKey } from '../src/domain/ids.ts';

describe('sender keys', () => {
  it('read back every user and chat sender they were made from', () => {
    for (const sender of [
      { kind: 'user', id: 5011 },
      { kind: 'user', id: 7_123_456_789 },
      { kind: 'chat', id: -1_001_234_567_890 },
      { kind: 'chat', id: 0 },
    ] as const) {
      expect(parseSenderKey(senderKey(sender))).toEqual(sender);
    }
  });

  it('refuse keys no sender makes', () => {
    for (const key of ['', 'u', 'c-', 'x5', 'u5a', 'u-', 'u 5', 'U5', 'u5.5', 'u--5', 'c1e3']) expect(parseSenderKey(key), key).toBeNull();
  });
});
