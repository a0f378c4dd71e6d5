import { describe, expect, it } from 'vitest';
import { DomainError } from '../src/domain/errors.ts';
import { FloodWaitError, TelegramError, floodWaitPolicy, toTelegramError } from '../src/tdlib/errors.ts';

const ctx = { method: 'addChatMembers', accountId: 'alice' };
const map = (code: number, message: string, method = 'addChatMembers') =>
  toTelegramError({ code, message }, { method, accountId: 'alice' });

describe('toTelegramError', () => {
  it.each([
    [429, 'Too Many Requests: retry after 30', 'FLOOD_WAIT'],
    [420, 'FLOOD_WAIT_120', 'FLOOD_WAIT'],
    [400, 'SLOWMODE_WAIT_10', 'FLOOD_WAIT'],
    [400, 'PEER_FLOOD', 'PEER_FLOOD'],
    [403, 'USER_PRIVACY_RESTRICTED', 'PRIVACY_RESTRICTED'],
    [400, 'USER_NOT_MUTUAL_CONTACT', 'PRIVACY_RESTRICTED'],
    [403, 'PRIVACY_PREMIUM_REQUIRED', 'PRIVACY_RESTRICTED'],
    [404, 'Not Found', 'NOT_FOUND'],
    [400, 'Chat not found', 'NOT_FOUND'],
    [400, 'Message not found', 'NOT_FOUND'],
    [400, 'User not found', 'NOT_FOUND'],
    [400, 'Have no access to the user', 'NOT_FOUND'],
    [400, 'Chat info not found', 'NOT_FOUND'],
    [400, "Can't access the chat", 'NOT_FOUND'],
    [403, 'Forbidden', 'FORBIDDEN'],
    [400, 'CHAT_ADMIN_REQUIRED', 'FORBIDDEN'],
    [400, 'Not enough rights to invite members to the supergroup chat', 'FORBIDDEN'],
    [403, 'CHAT_WRITE_FORBIDDEN', 'FORBIDDEN'],
    [401, 'Unauthorized', 'AUTH_LOST'],
    [401, 'AUTH_KEY_UNREGISTERED', 'AUTH_LOST'],
    [401, 'SESSION_REVOKED', 'AUTH_LOST'],
    [400, 'The maximum number of pinned chats exceeded', 'PIN_LIMIT'],
    [400, 'Pinned chats must be loaded first', 'TELEGRAM_ERROR'],
    [500, 'Internal error', 'TELEGRAM_ERROR'],
  ])('%i %s → %s', (code, message, expected) => {
    const e = map(code, message);
    expect(e).toBeInstanceOf(TelegramError);
    expect(e).toBeInstanceOf(DomainError);
    expect(e.code).toBe(expected);
    expect(e).toMatchObject({ method: 'addChatMembers', accountId: 'alice', tdCode: code, tdMessage: message });
  });

  it('carries the wait in seconds', () => {
    const e = map(429, 'Too Many Requests: retry after 30');
    expect(e).toBeInstanceOf(FloodWaitError);
    expect(e.details).toMatchObject({ retryAfter: 30, method: 'addChatMembers', accountId: 'alice', tdCode: 429 });
    expect((map(420, 'FLOOD_WAIT_120') as FloodWaitError).retryAfter).toBe(120);
  });

  it('keeps phone numbers out of the message', () => {
    const e = map(400, 'PHONE_NUMBER_INVALID: +1 555 000 1234', 'setAuthenticationPhoneNumber');
    expect(e.message).not.toContain('555');
    expect(JSON.stringify(e.details)).not.toContain('555');
  });

  it('passes DomainErrors through and wraps anything else', () => {
    const original = new DomainError('BAD_USER_INPUT', 'nope');
    expect(toTelegramError(original, ctx)).toBe(original);
    const closed = toTelegramError(new Error('Client was closed'), ctx);
    expect(closed).toMatchObject({ code: 'TELEGRAM_ERROR', tdCode: null, tdMessage: 'Client was closed' });
    expect(map(406, 'FRESH_RESET_AUTHORISATION_FORBIDDEN').details).toMatchObject({ silent: true });
  });
});

describe('floodWaitPolicy', () => {
  const flood = (method: string, seconds: number) => map(429, `Too Many Requests: retry after ${seconds}`, method);

  it('retries idempotent calls after the wait, with a second of margin', () => {
    expect(floodWaitPolicy(flood('getChatHistory', 30), 1)).toEqual({ retryAfterMs: 31_000 });
    expect(floodWaitPolicy(flood('toggleChatIsPinned', 5), 2)).toEqual({ retryAfterMs: 6_000 });
  });

  it('never retries a non-idempotent call', () => {
    for (const method of ['sendMessage', 'addChatMembers', 'addChatMember', 'createChatInviteLink', 'setAuthenticationPhoneNumber']) {
      expect(floodWaitPolicy(flood(method, 5), 1)).toMatchObject({ giveUp: expect.stringContaining('not idempotent'), retryAfterMs: 6_000 });
    }
  });

  it('gives up after the last attempt, on long waits and on other errors', () => {
    expect(floodWaitPolicy(flood('getChatHistory', 5), 3)).toMatchObject({ giveUp: expect.any(String) });
    expect(floodWaitPolicy(flood('getChatHistory', 3600), 1)).toMatchObject({ giveUp: expect.any(String), retryAfterMs: 3_601_000 });
    expect(floodWaitPolicy(flood('getChatHistory', 3600), 1, { maxWaitMs: 2 * 3600_000 })).toEqual({ retryAfterMs: 3_601_000 });
    expect(floodWaitPolicy(map(400, 'PEER_FLOOD', 'getChat'), 1)).toEqual({ giveUp: 'not a flood wait', retryAfterMs: null });
    expect(floodWaitPolicy(new Error('boom'), 1)).toMatchObject({ giveUp: 'not a flood wait' });
  });
});
