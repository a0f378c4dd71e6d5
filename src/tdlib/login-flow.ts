/**
 * The interactive login, independent of any UI: phone → code → two-step password, or a QR
 * link confirmed on another device. It follows the account's authorization state (TDLib
 * decides what comes next) and asks `prompts` only for what that state needs. A wrong code or
 * password is asked again; everything else that fails ends the flow with the typed error.
 *
 * The flow starts the account (its event stream carries the auth states) and leaves closing
 * it to the caller.
 */
import type { AuthState, TgEvent } from '../domain/telegram.ts';
import type { Logger } from '../shared/log.ts';
import { TelegramError } from './errors.ts';
import type { TelegramAccount } from './port.ts';

export type LoginMethod = 'phone' | 'qr';

export interface LoginPrompts {
  /** Which way to log in; asked once, when Telegram first wants a phone number. */
  chooseMethod(): Promise<LoginMethod>;
  /** `retry`: Telegram rejected the previous number. */
  askPhone(retry?: boolean): Promise<string>;
  /** `retry`: the previous code was wrong. */
  askCode(retry: boolean): Promise<string>;
  /** `retry`: the previous password was wrong. */
  askPassword(hint: string, retry: boolean): Promise<string>;
  /** Shows the `tg://login` link; called again each time Telegram replaces it. */
  showQr(link: string): void | Promise<void>;
}

/** The points where the flow is about to ask the person something. */
export type LoginStep = 'chooseMethod' | 'phone' | 'code' | 'password' | 'qr';

export type LoginResult = { readonly kind: 'ready' } | { readonly kind: 'stopped'; readonly step: LoginStep };

export interface LoginFlowOptions {
  readonly account: TelegramAccount;
  readonly prompts: LoginPrompts;
  readonly logger?: Logger;
  readonly signal?: AbortSignal;
  /** Ends the flow cleanly just before `step` would be asked. Tests and dry runs use it. */
  readonly stopBefore?: (step: LoginStep) => boolean;
}

/** Stops where a fresh, offline TDLib can get to: the phone-number prompt. */
export const stopAtPhonePrompt = (step: LoginStep): boolean => step === 'phone';

/** Thrown when Telegram wants something this flow cannot do (sign-up, e-mail setup, a closed session). */
export class LoginError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LoginError';
  }
}

const WRONG_CODE = /^(PHONE_CODE_INVALID|PHONE_CODE_EMPTY)$/;
const WRONG_PASSWORD = /^PASSWORD_HASH_INVALID$/;
const WRONG_PHONE = /^(PHONE_NUMBER_INVALID|PHONE_NUMBER_BANNED)$/;

function isTd(error: unknown, pattern: RegExp): boolean {
  return error instanceof TelegramError && pattern.test(error.tdMessage);
}

/**
 * Wakes the flow when the account reports auth events. The state itself is read from the
 * account, which replaces its state object on every auth update as it arrives; waiting means
 * "until that object is no longer the one we acted on".
 */
class AuthChanges {
  private waiters: (() => void)[] = [];

  notify(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  next(signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const onAbort = (): void => reject(signal?.reason ?? new Error('aborted'));
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      });
    });
  }
}

export async function runLoginFlow(options: LoginFlowOptions): Promise<LoginResult> {
  const { account, prompts, signal } = options;
  const log = options.logger?.child('login', { accountId: account.accountId });
  const stopBefore = options.stopBefore ?? (() => false);

  const changes = new AuthChanges();
  await account.start(async (_id, events: readonly TgEvent[]) => {
    if (events.some((e) => e.kind === 'auth')) changes.notify();
  });

  let method: LoginMethod | null = null;
  let phoneRetry = false;
  let codeRetry = false;
  let passwordRetry = false;
  let shownLink: string | null = null;
  let qrFailure: unknown = null;

  /** Waits until the account reports a state other than `current` (or `until` holds). */
  const leave = async (current: AuthState, until: () => boolean = () => false): Promise<void> => {
    while (account.authState() === current && !until()) await changes.next(signal);
  };

  for (;;) {
    signal?.throwIfAborted();
    const state = account.authState();
    switch (state.kind) {
      case 'ready':
        log?.info('logged in');
        return { kind: 'ready' };

      case 'waitParameters':
      case 'loggingOut':
        await leave(state);
        break;

      case 'waitPhoneNumber': {
        if (method === null) {
          if (stopBefore('chooseMethod')) return { kind: 'stopped', step: 'chooseMethod' };
          method = await prompts.chooseMethod();
          log?.info('login method chosen', { method });
        }
        if (method === 'phone') {
          if (stopBefore('phone')) return { kind: 'stopped', step: 'phone' };
          const phone = (await prompts.askPhone(phoneRetry)).trim();
          try {
            await account.submitPhoneNumber(phone);
            await leave(state);
            phoneRetry = false;
          } catch (error) {
            if (!isTd(error, WRONG_PHONE)) throw error;
            phoneRetry = true;
          }
        } else {
          if (stopBefore('qr')) return { kind: 'stopped', step: 'qr' };
          if (qrFailure) throw qrFailure;
          // Offline the request never answers (notes §6); the new state is what counts.
          account.requestQrCode().catch((error: unknown) => {
            qrFailure = error;
            changes.notify();
          });
          await leave(state, () => qrFailure !== null);
        }
        break;
      }

      case 'waitOtherDeviceConfirmation':
        if (state.link !== shownLink) {
          shownLink = state.link;
          if (stopBefore('qr')) return { kind: 'stopped', step: 'qr' };
          await prompts.showQr(state.link);
        }
        await leave(state);
        break;

      case 'waitCode': {
        if (stopBefore('code')) return { kind: 'stopped', step: 'code' };
        const code = (await prompts.askCode(codeRetry)).trim();
        try {
          await account.submitCode(code);
          await leave(state);
          codeRetry = false;
        } catch (error) {
          if (!isTd(error, WRONG_CODE)) throw error;
          log?.info('wrong code, asking again');
          codeRetry = true;
        }
        break;
      }

      case 'waitPassword': {
        if (stopBefore('password')) return { kind: 'stopped', step: 'password' };
        const password = await prompts.askPassword(state.hint, passwordRetry);
        try {
          await account.submitPassword(password);
          await leave(state);
          passwordRetry = false;
        } catch (error) {
          if (!isTd(error, WRONG_PASSWORD)) throw error;
          log?.info('wrong password, asking again');
          passwordRetry = true;
        }
        break;
      }

      case 'waitRegistration':
        throw new LoginError('this phone number has no Telegram account yet: sign up in an official Telegram app first');
      case 'waitEmail':
        throw new LoginError('Telegram wants a login e-mail set up: finish that in an official Telegram app first');
      case 'closing':
      case 'closed':
        throw new LoginError('the Telegram client closed before the login finished');
    }
  }
}
