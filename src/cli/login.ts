/**
 * `tgdesk login ACCOUNT` over a terminal: the UI-agnostic flow of src/tdlib/login-flow.ts
 * with prompts on readline and the QR link drawn as a QR code.
 *
 * Answers are never echoed back or logged; the password is typed without echo on a TTY.
 */
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import type { Logger } from '../shared/log.ts';
import { runLoginFlow, LoginError, type LoginPrompts, type LoginResult, type LoginStep } from '../tdlib/login-flow.ts';
import type { TelegramAccount } from '../tdlib/port.ts';

export { stopAtPhonePrompt } from '../tdlib/login-flow.ts';

/** Whether `accountId` names a configured account, with a message for a person if not. */
export function checkLoginAccount(
  accountId: string | undefined,
  configured: readonly string[],
): { readonly ok: true; readonly accountId: string } | { readonly ok: false; readonly message: string } {
  const known = configured.length > 0 ? `Configured accounts: ${configured.join(', ')}.` : 'No accounts are configured yet (set TGDESK_ACCOUNTS).';
  if (!accountId) return { ok: false, message: `Name the account to log in: tgdesk login ACCOUNT. ${known}` };
  if (!configured.includes(accountId)) {
    return { ok: false, message: `Unknown account "${accountId}". ${known} Add it to TGDESK_ACCOUNTS first.` };
  }
  return { ok: true, accountId };
}

export interface RunLoginOptions {
  /** Created for this login and not yet started; the caller closes it afterwards. */
  readonly account: TelegramAccount;
  /** Defaults to prompts on `stdin`/`stdout`. */
  readonly prompts?: LoginPrompts;
  readonly stdin?: NodeJS.ReadableStream;
  readonly stdout?: NodeJS.WritableStream & { isTTY?: boolean };
  readonly signal?: AbortSignal;
  readonly logger?: Logger;
  readonly stopBefore?: (step: LoginStep) => boolean;
}

export async function runLogin(options: RunLoginOptions): Promise<LoginResult> {
  const stdout = options.stdout ?? process.stdout;
  const own = options.prompts ? null : createTerminalPrompts({ input: options.stdin ?? process.stdin, output: stdout, signal: options.signal });
  const prompts = options.prompts ?? own!;
  try {
    const result = await runLoginFlow({
      account: options.account,
      prompts,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
      ...(options.stopBefore ? { stopBefore: options.stopBefore } : {}),
    });
    if (result.kind === 'ready') {
      const me = await options.account.getMe();
      const name = [me.firstName, me.lastName].filter(Boolean).join(' ');
      stdout.write(`Logged in as ${name}${me.username ? ` (@${me.username})` : ''}.\n`);
    }
    return result;
  } finally {
    own?.close();
  }
}

interface QrTerminal {
  generate(text: string, options: { small: boolean }, callback: (drawing: string) => void): void;
}
const qrcode = createRequire(import.meta.url)('qrcode-terminal') as QrTerminal;

/** Draws `link` as a QR code, as text. */
export function drawQr(link: string): string {
  let drawing = '';
  qrcode.generate(link, { small: true }, (d) => (drawing = d));
  return drawing;
}

/** Login prompts on a terminal (or any pair of streams, one answer per line). */
export function createTerminalPrompts(options: {
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream & { isTTY?: boolean };
  signal?: AbortSignal | undefined;
}): LoginPrompts & { close(): void } {
  const { output, signal } = options;
  const tty = Boolean(output.isTTY);
  // readline echoes what is typed through its output; muting that stream hides the password.
  let muted = false;
  const echo = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      if (!muted) output.write(chunk);
      done();
    },
  });
  const rl = createInterface({ input: options.input, output: echo, terminal: tty });
  // In terminal mode readline swallows Ctrl+C (and would merely pause); make it mean what it
  // means everywhere else: end the prompt and signal the process.
  let interrupted = false;
  rl.on('SIGINT', () => {
    interrupted = true;
    rl.close();
    process.kill(process.pid, 'SIGINT');
  });
  // The iterator buffers lines, so answers typed (or piped) ahead are not lost.
  const lines = rl[Symbol.asyncIterator]();
  let qrLines = 0;

  const ask = async (question: string, hidden = false): Promise<string> => {
    // As readline's prompt, so that line editing redraws it instead of wiping it.
    rl.setPrompt(question);
    rl.prompt();
    muted = hidden && tty;
    try {
      const next = lines.next();
      const line = await (signal
        ? Promise.race([
            next,
            new Promise<never>((_, reject) => {
              if (signal.aborted) reject(signal.reason);
              signal.addEventListener('abort', () => reject(signal.reason), { once: true });
            }),
          ])
        : next);
      if (line.done) throw new LoginError(interrupted ? 'login cancelled' : 'input ended before the login finished');
      return String(line.value);
    } finally {
      if (muted) output.write('\n');
      muted = false;
    }
  };

  return {
    async chooseMethod() {
      const answer = (await ask('Log in with [1] phone number and code, or [2] QR code from another device? [1] ')).trim().toLowerCase();
      return answer === '2' || answer === 'qr' ? 'qr' : 'phone';
    },
    async askPhone(retry) {
      if (retry) output.write('Telegram did not accept that phone number.\n');
      return ask('Phone number, international format (e.g. +44 20 7946 0000): ');
    },
    async askCode(retry) {
      if (retry) output.write('That code was wrong. Check the latest code and try again.\n');
      return ask('Login code (sent to your Telegram app or by SMS): ');
    },
    async askPassword(hint, retry) {
      if (retry) output.write('That password was wrong. Try again.\n');
      return ask(`Two-step verification password${hint ? ` (hint: ${hint})` : ''}: `, true);
    },
    showQr(link) {
      const drawing = drawQr(link);
      // Redraw in place on a terminal: Telegram replaces the link every few seconds.
      if (tty && qrLines > 0) output.write(`\x1b[${qrLines}A\x1b[J`);
      const text = `Scan with Telegram on your phone: Settings → Devices → Link Desktop Device.\n${drawing}\n`;
      output.write(text);
      qrLines = text.split('\n').length - 1;
    },
    close() {
      rl.close();
    },
  };
}
