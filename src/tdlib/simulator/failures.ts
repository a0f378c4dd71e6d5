/**
 * Switches a test turns on to make the simulated Telegram misbehave the ways real Telegram does
 * (tdlib-notes §3, §5, §9): flood waits, 429s, PEER_FLOOD on adds, privacy-restricted users,
 * channel gaps, a lower pin limit, or any error on any method.
 */
import { type SimTdError, tdError } from './errors.ts';
import type { SimChatRef } from './state.ts';

/** What the world needs to apply switches that change state or emit updates. */
export interface FailureHost {
  startChannelGap(accountUserId: number, chat: SimChatRef, messages: number | null): void;
  endChannelGap(accountUserId: number, chat: SimChatRef): void;
  setRestrictsInvites(userId: number, restricted: boolean): void;
  setRestrictsNewChats(userId: number, restricted: boolean): void;
  setPinnedChatLimit(userId: number, limit: number): void;
}

export type FailureDecision =
  | { readonly kind: 'none' }
  /** TDLib absorbed a FLOOD_WAIT: the call succeeds, just this much later. */
  | { readonly kind: 'delay'; readonly seconds: number }
  | { readonly kind: 'error'; readonly error: SimTdError }
  /** The call stays in flight until `released`, then goes through, or fails with `error`. */
  | { readonly kind: 'stall'; readonly released: Promise<void>; readonly error: SimTdError | null };

/** A stalled call's handle: when a call reached the stall, and the release. */
export interface SimStall {
  /** Resolves when the first matching call is in flight. */
  readonly reached: Promise<void>;
  /** Lets every stalled call get Telegram's answer. */
  release(): void;
}

interface MethodRule {
  readonly method: string;
  readonly accountUserId: number | null;
  remaining: number | null;
  readonly decide: () => FailureDecision;
}

export interface MethodFailureTarget {
  /** A TDLib function name, e.g. 'addChatMembers'. */
  readonly method: string;
  /** Only this account's calls; default every account. */
  readonly accountUserId?: number;
  /** How many calls fail before the rule expires; default until cleared. */
  readonly times?: number;
}

/** Waits longer than this come back as 429; shorter ones TDLib retries itself (users: 60 s). */
export const FLOOD_WAIT_ABSORBED_SECONDS = 60;

export class SimFailures {
  private readonly host: FailureHost;
  private rules: MethodRule[] = [];
  private readonly peerFloods = new Map<number, { allowedAdds: number; adds: number }>();

  constructor(host: FailureHost) {
    this.host = host;
  }

  /**
   * A FLOOD_WAIT of `seconds` on a method. Up to 60 s TDLib retries by itself, so the call just
   * takes that long (scaled by the world's `floodWaitDelayMs`); longer waits surface as
   * 429 "Too Many Requests: retry after N".
   */
  floodWait(target: MethodFailureTarget & { readonly seconds: number }): void {
    const seconds = target.seconds;
    this.addRule(target, () =>
      seconds <= FLOOD_WAIT_ABSORBED_SECONDS
        ? { kind: 'delay', seconds }
        : { kind: 'error', error: tdError(429, `Too Many Requests: retry after ${seconds}`) },
    );
  }

  /** A 429 "Too Many Requests: retry after N" straight away. */
  tooManyRequests(target: MethodFailureTarget & { readonly retryAfter: number }): void {
    this.addRule(target, () => ({ kind: 'error', error: tdError(429, `Too Many Requests: retry after ${target.retryAfter}`) }));
  }

  /** Any TDLib error on a method. */
  error(target: MethodFailureTarget & { readonly code: number; readonly message: string }): void {
    this.addRule(target, () => ({ kind: 'error', error: tdError(target.code, target.message) }));
  }

  /**
   * Matching calls stay in flight until `release()`, as a call does while TDLib sits out a short
   * FLOOD_WAIT by itself or the network is slow (tdlib-notes §5); then Telegram answers: the call
   * goes through, or fails with `then` (TDLib retried, and Telegram asked for a longer wait).
   * Tests use it to act while a call is under way, without racing a timer.
   */
  stall(target: MethodFailureTarget & { readonly then?: { readonly code: number; readonly message: string } }): SimStall {
    let release!: () => void;
    let reach!: () => void;
    const released = new Promise<void>((r) => (release = r));
    const reached = new Promise<void>((r) => (reach = r));
    const error = target.then ? tdError(target.then.code, target.then.message) : null;
    this.addRule(target, () => {
      reach();
      return { kind: 'stall', released, error };
    });
    return { reached, release };
  }

  /**
   * The account's adds are limited: after `afterAdds` more users added (default 0), every
   * addChatMembers/addChatMember/setChatMemberStatus(member) fails with 400 PEER_FLOOD.
   */
  peerFlood(accountUserId: number, options: { afterAdds?: number } = {}): void {
    this.peerFloods.set(accountUserId, { allowedAdds: options.afterAdds ?? 0, adds: 0 });
  }

  clearPeerFlood(accountUserId: number): void {
    this.peerFloods.delete(accountUserId);
  }

  /** The user's privacy settings forbid adding them: they come back in failedToAddMembers. */
  restrictInvites(userId: number, restricted = true): void {
    this.host.setRestrictsInvites(userId, restricted);
  }

  /**
   * The user lets only contacts start a private conversation with them (Telegram's "new chats
   * from non-contacts" setting): anyone else's first message to them fails with 403
   * PRIVACY_PREMIUM_REQUIRED (updateMessageSendFailed). A chat in which they wrote is not new.
   */
  restrictNewChats(userId: number, restricted = true): void {
    this.host.setRestrictsNewChats(userId, restricted);
  }

  /** Lowers (or raises) how many chats the account may pin in its main list. */
  pinLimit(accountUserId: number, limit: number): void {
    this.host.setPinnedChatLimit(accountUserId, limit);
  }

  /**
   * A channel gap for one account in one supergroup (tdlib-notes §9): the account is told
   * `updateChatLastMessage` with no last message, then misses the `updateNewMessage` (and edits,
   * deletes) of the next `messages` messages (default: until `endChannelGap`), and finally gets
   * an `updateChatLastMessage` with the newer message.
   */
  channelGap(target: { readonly accountUserId: number; readonly chat: SimChatRef; readonly messages?: number }): void {
    this.host.startChannelGap(target.accountUserId, target.chat, target.messages ?? null);
  }

  endChannelGap(target: { readonly accountUserId: number; readonly chat: SimChatRef }): void {
    this.host.endChannelGap(target.accountUserId, target.chat);
  }

  /** Drops every method rule and PEER_FLOOD switch (privacy, pins and gaps stay as set). */
  clear(): void {
    this.rules = [];
    this.peerFloods.clear();
  }

  /** @internal Consulted by the transport before each call. */
  decide(accountUserId: number, method: string): FailureDecision {
    const rule = this.rules.find((r) => r.method === method && (r.accountUserId === null || r.accountUserId === accountUserId));
    if (!rule) return { kind: 'none' };
    if (rule.remaining !== null && --rule.remaining <= 0) this.rules = this.rules.filter((r) => r !== rule);
    return rule.decide();
  }

  /** @internal Throws PEER_FLOOD when this account may not add `count` more users. */
  checkAdds(accountUserId: number, count: number): void {
    const flood = this.peerFloods.get(accountUserId);
    if (flood && flood.adds + count > flood.allowedAdds) throw tdError(400, 'PEER_FLOOD');
  }

  /** @internal */
  countAdds(accountUserId: number, count: number): void {
    const flood = this.peerFloods.get(accountUserId);
    if (flood) flood.adds += count;
  }

  private addRule(target: MethodFailureTarget, decide: () => FailureDecision): void {
    this.rules.push({ method: target.method, accountUserId: target.accountUserId ?? null, remaining: target.times ?? null, decide });
  }
}
