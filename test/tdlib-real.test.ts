/**
 * The real TDLib (tdl + prebuilt-tdlib 1.8.65), offline: no network here, so it gets as far
 * as the phone-number prompt, and runs the functions that need no server.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLogin, stopAtPhonePrompt } from '../src/cli/login.ts';
import { createMemoryLogger } from '../src/shared/log.ts';
import { createTdCaller, createTelegramAccount } from '../src/tdlib/account.ts';
import { FloodWaitError } from '../src/tdlib/errors.ts';
import type { LoginPrompts } from '../src/tdlib/login-flow.ts';
import { createTdlTransportFactory } from '../src/tdlib/tdl-transport.ts';
import type { TdTransportFactory } from '../src/tdlib/transport.ts';

// A made-up hash shaped like a real one, so that a leak into the logs would be visible.
const API_HASH = '0d1e2a3d4b5e6e7f8a9b0c1d2e3f4a5b';
const PHONE = '+15550001234';

describe('real TDLib, offline', () => {
  let dir: string;
  let logger: ReturnType<typeof createMemoryLogger>;
  let factory: TdTransportFactory;
  // Closed again here (close is idempotent), so that a failed test leaves no TDLib client running.
  const accounts: { close(): Promise<void> }[] = [];

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tgdesk-tdlib-'));
    logger = createMemoryLogger('debug');
    // Verbosity 2 routes TDLib's warnings into the captured log too.
    factory = createTdlTransportFactory({ apiId: 1, apiHash: API_HASH, dataDir: dir, logger, verbosity: 2 });
  });
  afterAll(async () => {
    for (const a of accounts) await a.close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs tgdesk login up to the phone prompt, answers offline calls with typed errors, and closes cleanly', async () => {
    const transport = factory('alice');
    const account = createTelegramAccount({ accountId: 'alice', transport, logger });
    accounts.push(account);
    const asked: string[] = [];
    const prompts: LoginPrompts = {
      chooseMethod: async () => (asked.push('method'), 'phone'),
      askPhone: async () => (asked.push('phone'), PHONE),
      askCode: async () => (asked.push('code'), '00000'),
      askPassword: async () => (asked.push('password'), 'x'),
      showQr: () => void asked.push('qr'),
    };
    const stdout = new PassThrough();
    const result = await runLogin({ account, prompts, stdout, stopBefore: stopAtPhonePrompt, logger });
    expect(result).toEqual({ kind: 'stopped', step: 'phone' });
    expect(asked).toEqual(['method']);
    expect(account.authState()).toEqual({ kind: 'waitPhoneNumber' });
    expect(existsSync(join(dir, 'tdlib', 'alice', 'db'))).toBe(true);

    const call = createTdCaller(transport, 'alice');
    await expect(call({ _: 'getOption', name: 'version' })).resolves.toEqual({ _: 'optionValueString', value: '1.8.65' });

    const entities = await call({ _: 'getTextEntities', text: '@oncall_ivan db-3 down, see https://status.acme.io /status' });
    expect(entities.entities.map((e) => e.type._)).toEqual(['textEntityTypeMention', 'textEntityTypeUrl', 'textEntityTypeBotCommand']);

    const fail = (code: number, message: string) => call({ _: 'testReturnError', error: { _: 'error', code, message } });
    await expect(fail(400, 'PEER_FLOOD')).rejects.toMatchObject({ code: 'PEER_FLOOD', tdCode: 400, method: 'testReturnError', accountId: 'alice' });
    const flood = await fail(429, 'Too Many Requests: retry after 30').catch((e: unknown) => e);
    expect(flood).toBeInstanceOf(FloodWaitError);
    expect(flood).toMatchObject({ code: 'FLOOD_WAIT', retryAfter: 30, details: { retryAfter: 30 } });
    await expect(fail(401, 'Unauthorized')).rejects.toMatchObject({ code: 'AUTH_LOST', tdCode: 401 });

    // Before login TDLib answers 401 for anything that needs an account.
    await expect(account.getMe()).rejects.toMatchObject({ code: 'AUTH_LOST', method: 'getMe' });
    await expect(account.loadAllChats()).rejects.toMatchObject({ code: 'AUTH_LOST', method: 'loadChats' });

    // The phone goes to TDLib (which cannot reach Telegram here) but never into a log line. TDLib
    // holds the request until the close aborts it; by then every line about it has been logged.
    const submitted = account.submitPhoneNumber(PHONE).catch((e: unknown) => e);
    await account.close();
    expect(account.authState()).toEqual({ kind: 'closed' });
    expect(await submitted).toMatchObject({ method: 'setAuthenticationPhoneNumber', tdMessage: 'Request aborted' });

    const log = logger.lines.join('\n');
    expect(log).toContain('"state":"waitPhoneNumber"');
    expect(log).toContain('"component":"tdjson"');
    expect(log).not.toContain(API_HASH);
    expect(log).not.toContain('5550001234');
  });

  it('refuses a second client on an open account directory, and reopens after close', async () => {
    const first = factory('bob');
    expect(() => factory('bob')).toThrow(/already has an open TDLib client/);
    expect(() => factory('../evil')).toThrow(/cannot name a directory/);
    const account = createTelegramAccount({ accountId: 'bob', transport: first, logger });
    accounts.push(account);
    const seen: string[] = [];
    await account.start(async (_id, events) => {
      for (const e of events) if (e.kind === 'auth') seen.push(e.state.kind);
    });
    await account.close();
    expect(seen).toEqual(expect.arrayContaining(['waitPhoneNumber', 'closing', 'closed']));
    expect(seen.at(-1)).toBe('closed');

    const again = createTelegramAccount({ accountId: 'bob', transport: factory('bob'), logger });
    accounts.push(again);
    await again.start(async () => {});
    await again.close();
  });
});
