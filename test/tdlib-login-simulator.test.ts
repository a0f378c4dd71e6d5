/**
 * The login flow against the simulated Telegram, through the real adapter: the same path
 * `tgdesk login` takes, minus the terminal.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryLogger } from '../src/shared/log.ts';
import { createTelegramAccount } from '../src/tdlib/account.ts';
import { runLoginFlow, stopAtPhonePrompt, type LoginPrompts } from '../src/tdlib/login-flow.ts';
import { createSimWorld } from '../src/tdlib/simulator/world.ts';

function scripted(answers: { method: 'phone' | 'qr'; phone?: string; codes?: string[]; passwords?: string[] }, onQr?: (link: string) => void) {
  const asked: string[] = [];
  const take = (list: string[] | undefined): string => {
    const v = list?.shift();
    if (v === undefined) throw new Error('script ran out');
    return v;
  };
  const prompts: LoginPrompts = {
    chooseMethod: async () => (asked.push('method'), answers.method),
    askPhone: async () => (asked.push('phone'), answers.phone ?? ''),
    askCode: async (retry) => (asked.push(retry ? 'code again' : 'code'), take(answers.codes)),
    askPassword: async (hint, retry) => (asked.push(retry ? 'password again' : 'password'), take(answers.passwords)),
    showQr: (link) => {
      asked.push('qr');
      onQr?.(link);
    },
  };
  return { prompts, asked };
}

describe('login flow on the simulator', () => {
  it('retries a wrong code, then a wrong password, and ends ready', async () => {
    const world = createSimWorld({ seed: 7, authCode: '24680' });
    const me = world.addUser({ firstName: 'Anna', phone: '+15550001234', account: true, loggedIn: false, password: 'tea-for-two' });
    const logger = createMemoryLogger();
    const account = createTelegramAccount({ accountId: 'anna', transport: world.connect(me.id), logger });
    const { prompts, asked } = scripted({ method: 'phone', phone: '+1 555 000 1234', codes: ['13579', '24680'], passwords: ['tea', 'tea-for-two'] });

    await expect(runLoginFlow({ account, prompts, logger })).resolves.toEqual({ kind: 'ready' });
    expect(asked).toEqual(['method', 'phone', 'code', 'code again', 'password', 'password again']);
    expect((await account.getMe()).id).toBe(me.id);
    const log = logger.lines.join('\n');
    for (const secret of ['5550001234', '24680', '13579', 'tea-for-two']) expect(log).not.toContain(secret);
    await account.close();
  });

  it('shows every QR link until the phone confirms it', async () => {
    const world = createSimWorld({ seed: 8 });
    const me = world.addUser({ firstName: 'Boris', account: true, loggedIn: false });
    const account = createTelegramAccount({ accountId: 'boris', transport: world.connect(me.id), logger: createMemoryLogger() });
    const links: string[] = [];
    const { prompts } = scripted({ method: 'qr' }, (link) => {
      links.push(link);
      // The first link expires unscanned; the second one is scanned.
      setTimeout(() => (links.length === 1 ? world.refreshQrLink(me.id) : world.confirmQrLogin(me.id)), 5);
    });
    await expect(runLoginFlow({ account, prompts })).resolves.toEqual({ kind: 'ready' });
    expect(links).toHaveLength(2);
    expect(new Set(links).size).toBe(2);
    for (const link of links) expect(link).toMatch(/^tg:\/\/login\?token=/);
    await account.close();
  });

  it('stops at the phone prompt, and is ready at once for an account already logged in', async () => {
    const world = createSimWorld({ seed: 9 });
    const out = world.addUser({ firstName: 'Cleo', account: true, loggedIn: false });
    const inside = world.addUser({ firstName: 'Dan', account: true });

    const a = createTelegramAccount({ accountId: 'cleo', transport: world.connect(out.id), logger: createMemoryLogger() });
    await expect(runLoginFlow({ account: a, prompts: scripted({ method: 'phone' }).prompts, stopBefore: stopAtPhonePrompt })).resolves.toEqual({
      kind: 'stopped',
      step: 'phone',
    });
    await a.close();

    const b = createTelegramAccount({ accountId: 'dan', transport: world.connect(inside.id), logger: createMemoryLogger() });
    const { prompts, asked } = scripted({ method: 'phone' });
    await expect(runLoginFlow({ account: b, prompts })).resolves.toEqual({ kind: 'ready' });
    expect(asked).toEqual([]);
    await b.close();
  });
});
