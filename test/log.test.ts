/**
 * What reaches a log line: secrets never (by field name, and inside text), ids always, so an
 * operator can tell which chat a line is about.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryLogger, redact } from '../src/shared/log.ts';

function logged(fields: Record<string, unknown>, msg = 'something happened'): Record<string, unknown> {
  const logger = createMemoryLogger('debug');
  logger.warn(msg, fields);
  return JSON.parse(logger.lines[0]!) as Record<string, unknown>;
}

const TOKEN = 'tgd_' + 'AbCdEfGhIjKlMnOpQrStUvWxYz012345';

describe('log redaction', () => {
  it('keeps chat keys, message keys, account and user ids as they are', () => {
    const fields = {
      chatKey: '-1001906348782',
      msgKey: '-1001906348782:4718592',
      chatKeys: ['-1001906348782', '5198162068:5198207342'],
      idempotencyKey: 'task-17:closed:3',
      accountId: 'g_pavlov_ops',
      userId: 5198162068,
      memberUserId: 5198207342,
      tdChatId: -1001906348782,
      jobId: 12,
    };
    expect(logged(fields)).toMatchObject(fields);
  });

  it('replaces secrets by field name: api hash, encryption keys, tokens, passwords, login codes, phone numbers', () => {
    const secrets = {
      apiHash: '0123456789abcdef0123456789abcdef',
      api_hash: '0123456789abcdef0123456789abcdef',
      TGDESK_API_HASH: '0123456789abcdef0123456789abcdef',
      databaseEncryptionKey: 'c2VjcmV0IGtleSBieXRlcw==',
      TGDESK_DB_ENCRYPTION_KEY: 'c2VjcmV0IGtleSBieXRlcw==',
      token: TOKEN,
      accessToken: 'abc.def.ghi',
      password: 'hunter22',
      twoStepPassword: 'hunter22',
      portalSecret: 's3cr3t',
      authorization: `Bearer ${TOKEN}`,
      cookie: 'session=1',
      phoneNumber: '+7 999 123-45-67',
      phone: '79991234567',
      loginCode: '12345',
      code: '54321',
    };
    const out = logged(secrets);
    for (const k of Object.keys(secrets)) expect([k, out[k]]).toEqual([k, '[redacted]']);
    const line = JSON.stringify(out);
    for (const v of Object.values(secrets)) expect(line).not.toContain(v);
  });

  it('keeps error codes, which share the field name `code` with login codes', () => {
    expect(logged({ code: 'FLOOD_WAIT', errorCode: 'PIN_LIMIT', tdCode: 429, statusCode: 503 })).toMatchObject({ code: 'FLOOD_WAIT', errorCode: 'PIN_LIMIT', tdCode: 429, statusCode: 503 });
    expect(logged({ code: 400 })).toMatchObject({ code: 400 });
  });

  it('masks API tokens, QR login links, bearer headers, login codes and phone numbers inside text', () => {
    const out = logged(
      {
        error: new Error(`request with ${TOKEN} refused`),
        detail: `QR: tg://login?token=AQAbc-_123xyz; header Authorization: Bearer ${TOKEN}x`,
        sms: 'Login code: 72913. Do not give this code to anyone',
        note: 'call +7 (999) 123-45-67 if it breaks',
      },
      `token ${TOKEN} was used for chat -1001906348782`,
    );
    const line = JSON.stringify(out);
    expect(line).not.toContain(TOKEN);
    expect(line).not.toContain('AQAbc-_123xyz');
    expect(line).not.toContain('72913');
    expect(line).not.toContain('999) 123-45-67');
    expect(out['msg']).toMatch(/^token tgd_\[redacted\] was used/);
    expect((out['error'] as { message: string }).message).toBe('request with tgd_[redacted] refused');
    expect(out['detail']).toBe('QR: tg://login?token=[redacted]; header Authorization: Bearer [redacted]');
    expect(out['sms']).toBe('Login code: [code]. Do not give this code to anyone');
  });

  it('redacts inside nested objects and lists, and an id field holding free text is still cleaned', () => {
    expect(redact({ session: { apiHash: 'x', chatKey: '-100123' }, list: [{ password: 'p' }] })).toEqual({ session: { apiHash: '[redacted]', chatKey: '-100123' }, list: [{ password: '[redacted]' }] });
    expect(redact({ requestId: `sent ${TOKEN} twice` })).toEqual({ requestId: 'sent tgd_[redacted] twice' });
  });
});
