/**
 * The simulated Telegram as tests and `tgdesk demo` see it: the server state (state.ts) plus
 * the accounts' TDLib clients. It remembers every update each account was sent, so that a client
 * that restarts gets what real TDLib might give it (tdlib-notes §9), records every call, and
 * carries the failure switches.
 */
import type * as Td from 'tdlib-types';
import type { TdTransport } from '../transport.ts';
import { type FailureHost, SimFailures } from './failures.ts';
import { AccountFeed, GAPPABLE_UPDATES, type RestartMode, type RestartPolicy } from './feed.ts';
import { type HistoryPaging, dispatchMethod } from './methods.ts';
import { type SimChat, chatIdFor } from './model.ts';
import { Prerequisites } from './prerequisites.ts';
import { type Rng, createRng } from './rng.ts';
import { type SimChatRef, SimState } from './state.ts';
import { scopeObject } from './td-objects.ts';
import { SimSession } from './transport.ts';
import { chatPositions } from './views.ts';

export interface SimWorldOptions {
  /** Seeds every random choice (ids, page sizes, restarts, tokens). Default 1. */
  readonly seed?: number;
  /** Milliseconds since the epoch; tests inject their own. Default `Date.now`. */
  readonly clock?: () => number;
  /** What a reconnecting client receives. Default `random` (redeliver or latest, by seed). */
  readonly restart?: RestartPolicy;
  /** Default `tdlib`: first history page of one message, then varying sizes. */
  readonly historyPaging?: HistoryPaging;
  /** The login code every account accepts. Default `12345`. */
  readonly authCode?: string;
  /** Real milliseconds an absorbed FLOOD_WAIT of `seconds` takes. Default `seconds * 1000`. */
  readonly floodWaitDelayMs?: (seconds: number) => number;
  /** Pending message updates per supergroup beyond which a restart skips them. Default 100. */
  readonly gapLimit?: number;
  /** Delivered updates kept per account for `redeliver` restarts. Default 500. */
  readonly feedRetention?: number;
  /** Calls kept in the call log; the oldest are dropped beyond it (long demo runs). Default 100 000. */
  readonly callLogLimit?: number;
}

export interface ConnectOptions {
  /** Overrides the world's restart policy for this connection. */
  readonly restart?: RestartPolicy;
  /** Answer WaitTdlibParameters automatically as tdl does. Default true. */
  readonly autoTdlibParameters?: boolean;
}

export interface SimCall {
  readonly accountUserId: number;
  readonly method: string;
  /** World clock, milliseconds. */
  readonly at: number;
  readonly request: unknown;
}

/** The TdTransport of one simulated account, plus the crash switch. */
export interface SimTransport extends TdTransport {
  readonly userId: number;
  /** The client process dies without closing: nothing more is delivered. */
  drop(): void;
}

interface Gap {
  remaining: number | null;
}

export function createSimWorld(options: SimWorldOptions = {}): SimWorld {
  return new SimWorld(options);
}

export class SimWorld extends SimState {
  /** Every request any account's client made, in order. */
  readonly calls: SimCall[] = [];
  readonly failures: SimFailures;
  private readonly options: Required<Omit<SimWorldOptions, 'seed' | 'clock'>>;
  private readonly worldRng: Rng;
  private readonly feeds = new Map<number, AccountFeed>();
  private readonly sessions = new Map<number, SimSession>();
  private readonly gaps = new Map<string, Gap>();
  private readonly restarts: { readonly accountUserId: number; readonly mode: RestartMode | 'first' }[] = [];

  constructor(options: SimWorldOptions = {}) {
    const rng = createRng(options.seed ?? 1);
    super(rng.fork('state'), options.clock ?? Date.now);
    this.worldRng = rng.fork('world');
    this.options = {
      restart: options.restart ?? 'random',
      historyPaging: options.historyPaging ?? 'tdlib',
      authCode: options.authCode ?? '12345',
      floodWaitDelayMs: options.floodWaitDelayMs ?? ((s) => s * 1000),
      gapLimit: options.gapLimit ?? 100,
      feedRetention: options.feedRetention ?? 500,
      callLogLimit: options.callLogLimit ?? 100_000,
    };
    const host: FailureHost = {
      startChannelGap: (userId, chat, messages) => this.startChannelGap(userId, chat, messages),
      endChannelGap: (userId, chat) => this.endChannelGap(userId, chat),
      setRestrictsInvites: (userId, restricted) => {
        this.requireUser(userId).restrictsInvites = restricted;
      },
      setRestrictsNewChats: (userId, restricted) => {
        this.requireUser(userId).restrictsNewChats = restricted;
      },
      setPinnedChatLimit: (userId, limit) => this.setPinnedChatLimit(userId, limit),
    };
    this.failures = new SimFailures(host);
  }

  // ── clients ──

  /**
   * Starts a TDLib client for the account. A second connect while one runs replaces it, as a
   * restarted daemon would.
   */
  connect(accountUserId: number, options: ConnectOptions = {}): SimTransport {
    const user = this.requireUser(accountUserId);
    this.sessions.get(accountUserId)?.drop();
    const session: SimSession = new SimSession({
      userId: accountUserId,
      autoTdlibParameters: options.autoTdlibParameters ?? true,
      authCode: this.options.authCode,
      user: () => user,
      record: (method, request) => this.recordCall({ accountUserId, method, at: this.clock(), request }),
      decideFailure: (method) => this.failures.decide(accountUserId, method),
      floodDelayMs: (seconds) => this.options.floodWaitDelayMs(seconds),
      newQrLink: () => `tg://login?token=${this.worldRng.token(43)}`,
      prerequisites: (local) => new Prerequisites(this, accountUserId, local),
      onAuthorized: (s) => this.authorized(s, options.restart ?? this.options.restart),
      onEnded: (s, how) => {
        if (this.sessions.get(accountUserId) === s) this.sessions.delete(accountUserId);
        if (how === 'loggedOut') this.feeds.delete(accountUserId);
      },
      delivered: (seq) => this.feeds.get(accountUserId)?.markDelivered(seq),
      handle: <T extends Td.$FunctionName>(s: SimSession, request: { readonly _: T } & Td.$FunctionInputByName[T]) =>
        dispatchMethod<T>({ state: this, failures: this.failures, session: s, rng: this.worldRng, historyPaging: this.options.historyPaging }, request),
    });
    this.sessions.set(accountUserId, session);
    session.start();
    return session;
  }

  /** The account's client dies (process killed, socket lost). */
  drop(accountUserId: number): void {
    this.sessions.get(accountUserId)?.drop();
  }

  isConnected(accountUserId: number): boolean {
    const s = this.sessions.get(accountUserId);
    return !!s && !s.isEnded;
  }

  /** The person scans the QR code on their phone. */
  confirmQrLogin(accountUserId: number): void {
    this.sessions.get(accountUserId)?.qrConfirmed();
  }

  /** The QR link expires; the waiting client is shown a new one. */
  refreshQrLink(accountUserId: number): void {
    this.sessions.get(accountUserId)?.refreshQr();
  }

  /** Marks the account logged in or out on its (simulated) device. */
  setLoggedIn(accountUserId: number, loggedIn: boolean): void {
    this.requireUser(accountUserId).loggedIn = loggedIn;
  }

  /** How each reconnect was served, in order (`first` for an account's first connection). */
  restartLog(): readonly { readonly accountUserId: number; readonly mode: RestartMode | 'first' }[] {
    return this.restarts;
  }

  callLog(filter: { accountUserId?: number; method?: string } = {}): SimCall[] {
    return this.calls.filter(
      (c) => (filter.accountUserId === undefined || c.accountUserId === filter.accountUserId) && (filter.method === undefined || c.method === filter.method),
    );
  }

  private recordCall(call: SimCall): void {
    this.calls.push(call);
    if (this.calls.length > this.options.callLogLimit) this.calls.splice(0, Math.ceil(this.options.callLogLimit / 10));
  }

  /** Forgets recorded calls (e.g. after setup, before the behaviour under test). */
  clearCalls(): void {
    this.calls.length = 0;
  }

  /**
   * The client finished logging in: TDLib's startup updates, then whatever the restart policy
   * gives from the time it was away, between connectionStateUpdating and connectionStateReady.
   */
  private authorized(session: SimSession, policy: RestartPolicy): void {
    const userId = session.userId;
    session.push({ _: 'updateOption', name: 'my_id', value: { _: 'optionValueInteger', value: String(userId) } });
    session.push({ _: 'updateOption', name: 'authorization_date', value: { _: 'optionValueInteger', value: String(this.now()) } });
    session.ensure([], [userId]);
    session.push({ _: 'updateAuthorizationState', authorization_state: { _: 'authorizationStateReady' } });
    session.push({ _: 'updateConnectionState', state: { _: 'connectionStateUpdating' } });
    for (const scope of ['private', 'group', 'channel'] as const) {
      session.push({ _: 'updateScopeNotificationSettings', scope: scopeObject(scope), notification_settings: this.scopeNotificationSettings(userId, scope) });
    }
    session.ensure([], this.knownUserIds(userId));

    let feed = this.feeds.get(userId);
    if (!feed) {
      feed = new AccountFeed(this.options.feedRetention);
      this.feeds.set(userId, feed);
      this.restarts.push({ accountUserId: userId, mode: 'first' });
    } else {
      const mode: RestartMode = policy === 'random' ? this.worldRng.pick(['redeliver', 'latest'] as const) : policy;
      this.restarts.push({ accountUserId: userId, mode });
      const replay = feed.replay(mode, this.worldRng, this.options.gapLimit, (key) => key.startsWith('sg:'));
      for (const key of replay.gappedChatKeys) {
        const chat = this.resolveChat(key);
        session.push({ _: 'updateChatLastMessage', chat_id: chatIdFor(chat, userId), positions: chatPositions(this, chat, userId) });
      }
      for (const entry of replay.entries) session.push(entry.update, entry.seq);
    }
    session.attached = true;
    session.push({ _: 'updateConnectionState', state: { _: 'connectionStateReady' } });
  }

  // ── update routing ──

  protected override listens(userId: number): boolean {
    return this.feeds.has(userId);
  }

  protected override emit(userId: number, update: Td.Update, chat: SimChat | null): void {
    const feed = this.feeds.get(userId);
    if (!feed) return;
    let out: Td.Update = update;
    const gap = chat ? this.gaps.get(gapKey(userId, chat.key)) : undefined;
    if (gap && chat) {
      if (GAPPABLE_UPDATES.has(update._)) {
        if (update._ === 'updateNewMessage' && gap.remaining !== null && --gap.remaining <= 0) {
          // The next updateChatLastMessage (for this very message) is the jump that ends the gap.
          this.gaps.delete(gapKey(userId, chat.key));
        }
        return;
      }
      if (update._ === 'updateChatLastMessage') out = { ...update, last_message: undefined };
    }
    const entry = feed.append(out, chat?.key ?? null);
    const session = this.sessions.get(userId);
    if (session?.attached) session.push(entry.update, entry.seq);
  }

  // ── channel gaps ──

  private startChannelGap(accountUserId: number, ref: SimChatRef, messages: number | null): void {
    const chat = this.resolveChat(ref);
    if (chat.kind !== 'supergroup') throw new Error('channel gaps happen in supergroups only');
    this.gaps.set(gapKey(accountUserId, chat.key), { remaining: messages });
    this.emit(accountUserId, { _: 'updateChatLastMessage', chat_id: chat.tdId, positions: chatPositions(this, chat, accountUserId) }, chat);
  }

  private endChannelGap(accountUserId: number, ref: SimChatRef): void {
    const chat = this.resolveChat(ref);
    if (!this.gaps.delete(gapKey(accountUserId, chat.key))) return;
    if (this.listens(accountUserId)) this.emitLastMessage(accountUserId, chat);
  }
}

function gapKey(userId: number, chatKey: string): string {
  return `${userId}|${chatKey}`;
}
