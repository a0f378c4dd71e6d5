/**
 * One simulated TDLib client for one account: the `TdTransport` the daemon talks to. It owns the
 * client's lifecycle (authorization states, close, a crash), the ordered delivery of its updates
 * and responses, and the call log entry of every request. What a request does to Telegram is
 * methods.ts; what the client receives after authorization is decided by the world.
 */
import type * as Td from 'tdlib-types';
import type { TdTransport } from '../transport.ts';
import { OrderedDelivery } from './delivery.ts';
import { SimTdError, clientClosedError, tdError } from './errors.ts';
import type { FailureDecision } from './failures.ts';
import type { SimUser } from './model.ts';
import type { Prerequisites } from './prerequisites.ts';
import { type SessionLocal, createSessionLocal } from './session-state.ts';
import type { SimChat } from './model.ts';
import { authorizationState } from './td-objects.ts';

export type SessionEnd = 'closed' | 'dropped' | 'loggedOut';

/** What a session needs from the world that created it. */
export interface SessionDeps {
  readonly userId: number;
  /** Behave like tdl, which answers `authorizationStateWaitTdlibParameters` by itself. */
  readonly autoTdlibParameters: boolean;
  readonly authCode: string;
  user(): SimUser;
  record(method: string, request: unknown): void;
  decideFailure(method: string): FailureDecision;
  /** Real milliseconds an absorbed FLOOD_WAIT of `seconds` takes. */
  floodDelayMs(seconds: number): number;
  newQrLink(): string;
  prerequisites(local: SessionLocal): Prerequisites;
  /** Authorization completed: the world sends the startup updates and any backlog. */
  onAuthorized(session: SimSession): void;
  onEnded(session: SimSession, how: SessionEnd): void;
  delivered(seq: number): void;
  handle<T extends Td.$FunctionName>(session: SimSession, request: { readonly _: T } & Td.$FunctionInputByName[T]): Td.$FunctionResultByName[T];
}

type AuthStep = 'waitTdlibParameters' | 'waitPhoneNumber' | 'waitCode' | 'waitPassword' | 'waitOtherDevice' | 'ready' | 'loggingOut' | 'closing' | 'closed';

/** Functions TDLib answers before authorization. Everything else gets 401 Unauthorized. */
const PRE_AUTH = new Set<string>(['getOption', 'setOption', 'testReturnError', 'getAuthorizationState', 'close', 'logOut']);

interface PendingCall {
  settled: boolean;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

type AuthTable = { [K in Td.$FunctionName]?: (request: Td.$FunctionInputByName[K]) => Td.$FunctionResultByName[K] };

const OK: Td.ok = { _: 'ok' };

export class SimSession implements TdTransport {
  readonly userId: number;
  readonly local: SessionLocal = createSessionLocal();
  /** Set by the world once the backlog is queued: new updates then stream in live. */
  attached = false;
  private readonly deps: SessionDeps;
  private readonly prereq: Prerequisites;
  private readonly delivery: OrderedDelivery;
  private readonly updateListeners: ((update: Td.Update) => void)[] = [];
  private readonly errorListeners: ((error: unknown) => void)[] = [];
  private readonly pending = new Set<PendingCall>();
  private auth: AuthStep = 'waitTdlibParameters';
  private ending: Promise<void> | null = null;
  private ended = false;
  private afterResponseHooks: (() => void)[] | null = null;
  private phone = '';

  constructor(deps: SessionDeps) {
    this.deps = deps;
    this.userId = deps.userId;
    this.prereq = deps.prerequisites(this.local);
    this.delivery = new OrderedDelivery((update, seq) => this.deliver(update, seq));
  }

  // ── TdTransport ──

  invoke<T extends Td.$FunctionName>(request: { readonly _: T } & Td.$FunctionInputByName[T]): Promise<Td.$FunctionResultByName[T]> {
    this.deps.record(request._, request);
    if (this.ended || this.ending) return Promise.reject(clientClosedError());
    if (request._ === 'close') return this.closeClient().then(() => OK as Td.$FunctionResultByName[T]);
    return new Promise<Td.$FunctionResultByName[T]>((resolve, reject) => {
      const call: PendingCall = { settled: false, resolve: resolve as (value: unknown) => void, reject };
      this.pending.add(call);
      const decision = this.deps.decideFailure(request._);
      if (decision.kind === 'error') {
        this.respond(call, { ok: false, error: decision.error });
      } else if (decision.kind === 'delay') {
        setTimeout(() => this.run<T>(call, request), this.deps.floodDelayMs(decision.seconds));
      } else if (decision.kind === 'stall') {
        const error = decision.error;
        void decision.released.then(() => (error ? this.respond(call, { ok: false, error }) : this.run<T>(call, request)));
      } else {
        this.run<T>(call, request);
      }
    });
  }

  onUpdate(listener: (update: Td.Update) => void): void {
    this.updateListeners.push(listener);
  }

  onError(listener: (error: unknown) => void): void {
    this.errorListeners.push(listener);
  }

  /** TDLib `close`: closing, then closed; resolves once `authorizationStateClosed` was delivered. */
  close(): Promise<void> {
    // tdl's close() sends the `close` request, so it is logged like one.
    if (!this.ended && !this.ending) this.deps.record('close', { _: 'close' });
    return this.closeClient();
  }

  private closeClient(): Promise<void> {
    if (this.ended) return Promise.resolve();
    if (this.ending) return this.ending;
    this.ending = new Promise<void>((resolve) => {
      this.attached = false;
      this.setAuth('closing');
      for (const call of this.pending) this.respond(call, { ok: false, error: tdError(500, 'Request aborted') });
      this.setAuth('closed');
      this.delivery.settle(() => {
        this.finish('closed');
        resolve();
      });
    });
    return this.ending;
  }

  // ── used by the world and the methods ──

  /** The process died: nothing more is delivered, pending calls fail, the world notes the loss. */
  drop(): void {
    if (this.ended) return;
    this.delivery.stop();
    for (const call of this.pending) {
      call.settled = true;
      call.reject(clientClosedError());
    }
    this.pending.clear();
    this.finish('dropped');
    const error = new Error('Connection to the simulated TDLib was lost');
    setImmediate(() => this.emitError(error));
  }

  get isEnded(): boolean {
    return this.ended || this.ending !== null;
  }

  get authorized(): boolean {
    return this.auth === 'ready';
  }

  /** Queues an update, preceded by whatever the client must learn first (users, chats). */
  push(update: Td.Update, seq: number | null = null): void {
    if (this.ended) return;
    for (const before of this.prereq.before(update)) this.delivery.update(before);
    this.delivery.update(update, seq);
  }

  /** Announces chats and users a response is about to mention. */
  ensure(chats: readonly SimChat[], userIds: readonly number[]): void {
    if (this.ended) return;
    for (const update of this.prereq.forResponse(chats, userIds)) this.delivery.update(update);
  }

  /** Runs `fn` right after the current request's response is queued (e.g. a message send completing). */
  afterResponse(fn: () => void): void {
    if (this.afterResponseHooks) this.afterResponseHooks.push(fn);
    else fn();
  }

  /** The QR link was scanned on the user's phone. */
  qrConfirmed(): void {
    if (this.auth === 'waitOtherDevice') this.credentialsAccepted();
  }

  /** The QR link expired and TDLib shows a new one. */
  refreshQr(): void {
    if (this.auth === 'waitOtherDevice') this.push(authorizationState({ kind: 'waitOtherDeviceConfirmation', link: this.deps.newQrLink() }));
  }

  /** Starts the client: TDLib's first updates, and tdl's automatic parameters. */
  start(): void {
    this.push({ _: 'updateOption', name: 'version', value: { _: 'optionValueString', value: '1.8.65' } });
    this.push({ _: 'updateOption', name: 'commit_hash', value: { _: 'optionValueString', value: '062f26052623dbecedb42075cab78a759e9f9987' } });
    this.setAuth('waitTdlibParameters');
    if (this.deps.autoTdlibParameters) this.parametersAccepted();
  }

  // ── requests ──

  private run<T extends Td.$FunctionName>(call: PendingCall, request: { readonly _: T } & Td.$FunctionInputByName[T]): void {
    if (call.settled) return;
    this.afterResponseHooks = [];
    let outcome: { ok: true; value: unknown } | { ok: false; error: unknown };
    try {
      outcome = { ok: true, value: this.dispatch<T>(request) };
    } catch (error) {
      outcome = { ok: false, error };
    }
    const hooks = this.afterResponseHooks;
    this.afterResponseHooks = null;
    this.respond(call, outcome);
    for (const hook of hooks) hook();
  }

  private respond(call: PendingCall, outcome: { ok: true; value: unknown } | { ok: false; error: unknown }): void {
    this.delivery.settle(() => {
      if (call.settled) return;
      call.settled = true;
      this.pending.delete(call);
      if (outcome.ok) call.resolve(outcome.value);
      else call.reject(outcome.error);
    });
  }

  private dispatch<T extends Td.$FunctionName>(request: { readonly _: T } & Td.$FunctionInputByName[T]): Td.$FunctionResultByName[T] {
    const authHandler = this.authTable[request._];
    if (authHandler) return authHandler(request);
    if (this.auth !== 'ready' && !PRE_AUTH.has(request._)) throw tdError(401, 'Unauthorized');
    return this.deps.handle<T>(this, request);
  }

  private readonly authTable: AuthTable = {
    getAuthorizationState: () => authorizationState(this.authView()).authorization_state,
    setTdlibParameters: () => {
      if (this.auth !== 'waitTdlibParameters') throw tdError(400, 'Unexpected setTdlibParameters');
      this.parametersAccepted();
      return OK;
    },
    setAuthenticationPhoneNumber: (req) => {
      if (this.auth !== 'waitPhoneNumber' && this.auth !== 'waitCode' && this.auth !== 'waitOtherDevice') {
        throw tdError(400, 'Call to setAuthenticationPhoneNumber unexpected');
      }
      const given = (req.phone_number ?? '').replace(/\D/g, '');
      if (!given) throw tdError(400, 'PHONE_NUMBER_INVALID');
      if (given !== this.deps.user().phone.replace(/\D/g, '')) throw tdError(400, 'PHONE_NUMBER_INVALID');
      this.phone = given;
      this.setAuth('waitCode');
      return OK;
    },
    resendAuthenticationCode: () => {
      if (this.auth !== 'waitCode') throw tdError(400, 'Authentication code can\'t be resent');
      this.setAuth('waitCode');
      return OK;
    },
    checkAuthenticationCode: (req) => {
      if (this.auth !== 'waitCode') throw tdError(400, 'Call to checkAuthenticationCode unexpected');
      const code = req.code ?? '';
      if (!code) throw tdError(400, 'PHONE_CODE_EMPTY');
      if (code !== this.deps.authCode) throw tdError(400, 'PHONE_CODE_INVALID');
      this.credentialsAccepted();
      return OK;
    },
    checkAuthenticationPassword: (req) => {
      if (this.auth !== 'waitPassword') throw tdError(400, 'Call to checkAuthenticationPassword unexpected');
      if ((req.password ?? '') !== this.deps.user().password) throw tdError(400, 'PASSWORD_HASH_INVALID');
      this.becomeReady();
      return OK;
    },
    requestQrCodeAuthentication: () => {
      if (this.auth !== 'waitPhoneNumber' && this.auth !== 'waitCode' && this.auth !== 'waitOtherDevice') {
        throw tdError(400, 'Call to requestQrCodeAuthentication unexpected');
      }
      this.setAuth('waitOtherDevice');
      return OK;
    },
    logOut: () => {
      this.logOut();
      return OK;
    },
  };

  // ── authorization ──

  private parametersAccepted(): void {
    this.push({ _: 'updateConnectionState', state: { _: 'connectionStateConnecting' } });
    if (this.deps.user().loggedIn) {
      this.becomeReady();
    } else {
      this.setAuth('waitPhoneNumber');
      this.push({ _: 'updateConnectionState', state: { _: 'connectionStateReady' } });
    }
  }

  private credentialsAccepted(): void {
    if (this.deps.user().password) this.setAuth('waitPassword');
    else this.becomeReady();
  }

  private becomeReady(): void {
    this.auth = 'ready';
    this.deps.user().loggedIn = true;
    this.deps.onAuthorized(this);
  }

  private logOut(): void {
    if (this.ending || this.ended) return;
    this.attached = false;
    this.setAuth('loggingOut');
    this.deps.user().loggedIn = false;
    this.ending = new Promise<void>((resolve) => {
      this.setAuth('closing');
      this.setAuth('closed');
      this.delivery.settle(() => {
        this.finish('loggedOut');
        resolve();
      });
    });
  }

  /** Sets the state and tells the client (ready is announced by the world with its startup updates). */
  private setAuth(step: AuthStep): void {
    this.auth = step;
    this.push(authorizationState(this.authView()));
  }

  private authView(): Parameters<typeof authorizationState>[0] {
    switch (this.auth) {
      case 'waitCode':
        return { kind: 'waitCode', phone: this.phone };
      case 'waitPassword':
        return { kind: 'waitPassword', hint: this.deps.user().password ? 'the usual one' : '' };
      case 'waitOtherDevice':
        return { kind: 'waitOtherDeviceConfirmation', link: this.deps.newQrLink() };
      default:
        return { kind: this.auth };
    }
  }

  // ── delivery ──

  private deliver(update: Td.Update, seq: number | null): void {
    for (const listener of this.updateListeners) {
      try {
        listener(update);
      } catch (error) {
        this.emitError(error);
      }
    }
    if (seq !== null) this.deps.delivered(seq);
  }

  private emitError(error: unknown): void {
    // Like tdl: an error nobody listens for becomes an unhandled rejection.
    if (this.errorListeners.length === 0) void Promise.reject(error);
    for (const listener of this.errorListeners) listener(error);
  }

  private finish(how: SessionEnd): void {
    if (this.ended) return;
    this.ended = true;
    this.attached = false;
    this.auth = 'closed';
    this.deps.onEnded(this, how);
  }
}

export { SimTdError };
