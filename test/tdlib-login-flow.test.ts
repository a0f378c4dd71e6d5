import { PassThrough } from 'node:stream';
import type * as Td from 'tdlib-types';
import { describe, expect, it } from 'vitest';
import { checkLoginAccount, drawQr, runLogin } from '../src/cli/login.ts';
import { createMemoryLogger } from '../src/shared/log.ts';
import { createTelegramAccount } from '../src/tdlib/account.ts';
import { runLoginFlow, stopAtPhonePrompt, type LoginPrompts } from '../src/tdlib/login-flow.ts';
import type { TdTransport } from '../src/tdlib/transport.ts';
import { authState, user } from './tdlib-fixtures.ts';

const PHONE = '+15550001234';
const CODE = '24680';
const PASSWORD = 'correct horse battery staple';

/**
 * TDLib's login state machine, scripted: the phone → code → password path, or QR links
 * that TDLib replaces one after another until the other device confirms. The next link (or
 * the confirmation) comes when the test calls `qrShown()`, not on a timer, so a slow
 * machine cannot make a link expire before the flow has drawn it.
 */
class LoginTransport implements TdTransport {
  readonly methods: string[] = [];
  private readonly listeners: ((u: Td.Update) => void)[] = [];
  private qrStep = 0;
  constructor(private readonly options: { password: boolean; qrLinks?: string[]; qrNeverConfirmed?: boolean }) {
    queueMicrotask(() => {
      this.state({ _: 'authorizationStateWaitTdlibParameters' });
      this.state({ _: 'authorizationStateWaitPhoneNumber' });
    });
  }

  private state(s: Td.AuthorizationState): void {
    for (const l of this.listeners) l(authState(s));
  }

  invoke<T extends Td.$FunctionName>(request: { readonly _: T } & Td.$FunctionInputByName[T]): Promise<Td.$FunctionResultByName[T]> {
    return this.answer(request as unknown as Record<string, unknown> & { _: string }) as Promise<Td.$FunctionResultByName[T]>;
  }

  private answer(r: Record<string, unknown> & { _: string }): Promise<unknown> {
    this.methods.push(r._);
    const ok = () => Promise.resolve({ _: 'ok' } satisfies Td.ok);
    const fail = (code: number, message: string) => Promise.reject({ _: 'error', code, message });
    switch (r._) {
      case 'setAuthenticationPhoneNumber':
        if (r.phone_number !== PHONE) return fail(400, 'PHONE_NUMBER_INVALID');
        this.state({
          _: 'authorizationStateWaitCode',
          code_info: { _: 'authenticationCodeInfo', phone_number: PHONE, type: { _: 'authenticationCodeTypeTelegramMessage', length: 5 }, timeout: 60 },
        });
        return ok();
      case 'checkAuthenticationCode':
        if (r.code !== CODE) return fail(400, 'PHONE_CODE_INVALID');
        this.afterCode();
        return ok();
      case 'checkAuthenticationPassword':
        if (r.password !== PASSWORD) return fail(400, 'PASSWORD_HASH_INVALID');
        this.state({ _: 'authorizationStateReady' });
        return ok();
      case 'requestQrCodeAuthentication':
        setTimeout(() => this.nextQrState(), 0);
        return ok();
      case 'getMe':
        return Promise.resolve(user({ id: 1001 }));
      default:
        return fail(400, `unexpected ${r._}`);
    }
  }

  /** The other device saw the drawn link: TDLib replaces it, or the login goes on. */
  qrShown(): void {
    setTimeout(() => this.nextQrState(), 1);
  }

  private nextQrState(): void {
    const links = this.options.qrLinks ?? [];
    const link = links[this.qrStep++];
    if (link !== undefined) this.state({ _: 'authorizationStateWaitOtherDeviceConfirmation', link });
    else if (!this.options.qrNeverConfirmed) this.afterCode();
  }

  private afterCode(): void {
    if (this.options.password) {
      this.state({
        _: 'authorizationStateWaitPassword',
        password_hint: 'horse',
        has_recovery_email_address: false,
        has_passport_data: false,
        recovery_email_address_pattern: '',
      });
    } else {
      this.state({ _: 'authorizationStateReady' });
    }
  }

  onUpdate(listener: (update: Td.Update) => void): void {
    this.listeners.push(listener);
  }
  onError(): void {}
  async close(): Promise<void> {
    this.state({ _: 'authorizationStateClosing' });
    this.state({ _: 'authorizationStateClosed' });
  }
}

/** Prompts that answer from a script and record what they were asked. */
function scripted(answers: { method?: 'phone' | 'qr'; phones?: string[]; codes?: string[]; passwords?: string[] }) {
  const asked: string[] = [];
  const qr: string[] = [];
  const next = (list: string[] | undefined, what: string) => {
    const value = list?.shift();
    if (value === undefined) throw new Error(`no scripted ${what}`);
    return value;
  };
  const prompts: LoginPrompts = {
    chooseMethod: async () => (asked.push('method'), answers.method ?? 'phone'),
    askPhone: async (retry) => (asked.push(`phone${retry ? ' again' : ''}`), next(answers.phones, 'phone')),
    askCode: async (retry) => (asked.push(`code${retry ? ' again' : ''}`), next(answers.codes, 'code')),
    askPassword: async (hint, retry) => (asked.push(`password(${hint})${retry ? ' again' : ''}`), next(answers.passwords, 'password')),
    showQr: (link) => void qr.push(link),
  };
  return { prompts, asked, qr };
}

function setup(options: { password: boolean; qrLinks?: string[]; qrNeverConfirmed?: boolean }) {
  const transport = new LoginTransport(options);
  const logger = createMemoryLogger();
  const account = createTelegramAccount({ accountId: 'alice', transport, logger });
  return { transport, logger, account };
}

describe('login flow', () => {
  it('asks again after a wrong code and a wrong password, then is ready', async () => {
    const { account, logger, transport } = setup({ password: true });
    const { prompts, asked } = scripted({ phones: [PHONE], codes: ['11111', CODE], passwords: ['hunter2', PASSWORD] });
    await expect(runLoginFlow({ account, prompts, logger })).resolves.toEqual({ kind: 'ready' });
    expect(asked).toEqual(['method', 'phone', 'code', 'code again', 'password(horse)', 'password(horse) again']);
    expect(transport.methods).toEqual([
      'setAuthenticationPhoneNumber',
      'checkAuthenticationCode',
      'checkAuthenticationCode',
      'checkAuthenticationPassword',
      'checkAuthenticationPassword',
    ]);
    expect(account.authState()).toEqual({ kind: 'ready' });
    // Nothing typed in reaches the log.
    const log = logger.lines.join('\n');
    for (const secret of ['5550001234', CODE, '11111', PASSWORD, 'hunter2']) expect(log).not.toContain(secret);
    await account.close();
  });

  it('asks for the phone again when Telegram rejects it', async () => {
    const { account } = setup({ password: false });
    const { prompts, asked } = scripted({ phones: ['+1 000', PHONE], codes: [CODE] });
    await expect(runLoginFlow({ account, prompts })).resolves.toEqual({ kind: 'ready' });
    expect(asked).toEqual(['method', 'phone', 'phone again', 'code']);
  });

  it('draws each new QR link, then finishes with the password', async () => {
    const links = ['tg://login?token=AQAB', 'tg://login?token=AQAC'];
    const { account, transport } = setup({ password: true, qrLinks: links });
    const { prompts, asked, qr } = scripted({ method: 'qr', passwords: [PASSWORD] });
    prompts.showQr = (link) => {
      qr.push(link);
      transport.qrShown();
    };
    await expect(runLoginFlow({ account, prompts })).resolves.toEqual({ kind: 'ready' });
    expect(qr).toEqual(links);
    expect(asked).toEqual(['method', 'password(horse)']);
  });

  it('stops cleanly at the phone prompt', async () => {
    const { account, transport } = setup({ password: false });
    const { prompts, asked } = scripted({});
    await expect(runLoginFlow({ account, prompts, stopBefore: stopAtPhonePrompt })).resolves.toEqual({ kind: 'stopped', step: 'phone' });
    expect(asked).toEqual(['method']);
    expect(transport.methods).toEqual([]);
    expect(account.authState()).toEqual({ kind: 'waitPhoneNumber' });
  });

  it('can be cancelled while waiting for the other device', async () => {
    const { account } = setup({ password: false, qrLinks: ['tg://login?token=AQAB'], qrNeverConfirmed: true });
    const controller = new AbortController();
    const { prompts, qr } = scripted({ method: 'qr' });
    prompts.showQr = (link) => {
      qr.push(link);
      setTimeout(() => controller.abort(new Error('cancelled')), 10);
    };
    await expect(runLoginFlow({ account, prompts, signal: controller.signal })).rejects.toThrow('cancelled');
    expect(qr).toEqual(['tg://login?token=AQAB']);
    expect(account.authState()).toMatchObject({ kind: 'waitOtherDeviceConfirmation' });
  });
});

describe('tgdesk login over a terminal', () => {
  it('reads answers line by line, retries a wrong code, and greets the user', async () => {
    const { account } = setup({ password: false });
    const stdin = new PassThrough();
    const stdout = new PassThrough();
    let shown = '';
    stdout.on('data', (d) => (shown += String(d)));
    // Typed ahead: method, phone, a wrong code, the right code.
    stdin.write(`1\n${PHONE}\n00000\n${CODE}\n`);
    await expect(runLogin({ account, stdin, stdout })).resolves.toEqual({ kind: 'ready' });
    expect(shown).toContain('Phone number');
    expect(shown).toContain('That code was wrong');
    expect(shown).toContain('Logged in as Olga Petrova (@olga_acme).');
    expect(shown).not.toContain('5550001234');
  });

  it('draws a QR code for the link', () => {
    const drawing = drawQr('tg://login?token=AQAB');
    expect(drawing.split('\n').length).toBeGreaterThan(10);
    expect(drawing).toMatch(/[█▀▄]/);
  });

  it('explains an unknown account', () => {
    expect(checkLoginAccount('alice', ['alice', 'bob'])).toEqual({ ok: true, accountId: 'alice' });
    const unknown = checkLoginAccount('carol', ['alice', 'bob']);
    expect(unknown).toEqual({ ok: false, message: expect.stringContaining('Unknown account "carol"') });
    expect(unknown.ok === false && unknown.message).toContain('alice, bob');
    expect(checkLoginAccount(undefined, [])).toMatchObject({ ok: false, message: expect.stringContaining('No accounts are configured') });
  });
});
