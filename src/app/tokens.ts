/**
 * API tokens: created by `tgdesk token create`, shown once, stored only as a SHA-256 hash.
 *
 * A token is `tgd_` and 32 base64url characters (192 random bits): hashing it without a salt
 * is safe because it cannot be guessed, and a fixed prefix lets secret scanners spot a leaked
 * one. The daemon and the CLI may be different processes on the same store (the CLI runs while
 * the demo runs), so the daemon asks the store, not its memory; a short cache keeps that off the
 * request path, which is why a revocation takes effect within `cacheMs`.
 *
 * A subscription (a graphql-ws connection, an SSE stream) is authenticated once, when it opens,
 * and may then stay open for days: the API `watch`es its token. A revocation in this process
 * reaches the watchers at once; one made by another process (the CLI, another daemon on the same
 * PostgreSQL) is found by one query for all watched tokens every `revocationCheckMs`, made only
 * while something is watched. Nothing is asked per message.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { badInput, DomainError } from '../domain/errors.ts';
import type { Database } from '../store/schema.ts';
import {
  findApiTokenByHash,
  insertApiToken,
  listApiTokens,
  liveApiTokenIds,
  revokeApiTokens,
  touchApiToken,
  type ApiTokenRecord,
} from '../store/tokens.repository.ts';
import type { Actor } from './actions.ts';

export type { ApiTokenRecord };

/** What a token may do; the API maps each operation to the roles allowed (src/graphql/auth.ts). */
export type ApiRole = 'viewer' | 'admin' | 'manager' | 'integration';
export const API_ROLES: readonly ApiRole[] = ['viewer', 'admin', 'manager', 'integration'];

export function isApiRole(value: unknown): value is ApiRole {
  return typeof value === 'string' && (API_ROLES as readonly string[]).includes(value);
}

/** Who a request acts as. */
export interface Principal {
  readonly tokenId: string;
  readonly name: string;
  readonly role: ApiRole;
  /** The team member the token acts for (stars, acknowledgements, preferences), if any. */
  readonly memberUserId: number | null;
}

export const TOKEN_PREFIX = 'tgd_';
const TOKEN_PATTERN = /^tgd_[A-Za-z0-9_-]{32}$/;
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9 ._@-]{0,63}$/;

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** The audit log's actor for a request. Only a manager's token acts on any account in Telegram. */
export function actorOf(p: Principal): Actor {
  return { label: `token:${p.name}`, memberUserId: p.memberUserId, accountScope: p.role === 'manager' ? 'any' : 'own' };
}

export interface ApiTokensOptions {
  readonly now?: () => number;
  /** How long a successful lookup is reused. */
  readonly cacheMs?: number;
  /** How often `last_used_at` is written per token. */
  readonly touchEveryMs?: number;
  /** How often the store is asked whether a watched token was revoked by another process. */
  readonly revocationCheckMs?: number;
}

const CACHE_MAX = 10_000;

export class ApiTokens {
  private readonly now: () => number;
  private readonly cacheMs: number;
  private readonly touchEveryMs: number;
  private readonly cache = new Map<string, { principal: Principal; until: number }>();
  private readonly touched = new Map<string, number>();
  private readonly revocationCheckMs: number;
  /** Who to tell when a token is revoked, by token id. */
  private readonly watchers = new Map<string, Set<() => void>>();
  private checkTimer: NodeJS.Timeout | null = null;
  private checking = false;

  constructor(
    private readonly db: Kysely<Database>,
    options: ApiTokensOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.cacheMs = options.cacheMs ?? 2_000;
    this.touchEveryMs = options.touchEveryMs ?? 60_000;
    // With a check every second, a revocation elsewhere ends open subscriptions within the two
    // seconds docs/api.md promises, a slow store's answer included.
    this.revocationCheckMs = options.revocationCheckMs ?? 1_000;
  }

  /** Creates a token; the returned `token` is the only copy that will ever exist. */
  async create(input: { name: string; role: string; memberUserId?: number | null }): Promise<{ token: string; record: ApiTokenRecord }> {
    const name = input.name.trim();
    if (!NAME_PATTERN.test(name)) throw badInput('a token name is 1 to 64 letters, digits, spaces and . _ @ -, starting with a letter or digit', { argument: 'name' });
    if (!isApiRole(input.role)) throw badInput(`unknown role "${input.role}": use one of ${API_ROLES.join(', ')}`, { argument: 'role' });
    const member = input.memberUserId ?? null;
    if (member !== null && (!Number.isSafeInteger(member) || member <= 0)) throw badInput('a member is a positive Telegram user id', { argument: 'member' });
    if ((await listApiTokens(this.db)).some((t) => t.name === name)) {
      throw new DomainError('CONFLICT', `a live token named "${name}" exists; revoke it or pick another name`);
    }
    const token = TOKEN_PREFIX + randomBytes(24).toString('base64url');
    const record: ApiTokenRecord = { id: randomBytes(4).toString('hex'), name, role: input.role, memberUserId: member, createdAt: this.now(), lastUsedAt: null, revokedAt: null };
    await insertApiToken(this.db, { ...record, hash: hashToken(token) });
    return { token, record };
  }

  list(options: { includeRevoked?: boolean } = {}): Promise<ApiTokenRecord[]> {
    return listApiTokens(this.db, options);
  }

  /** Revokes by id or name; returns what was revoked (empty when nothing matched). */
  async revoke(idOrName: string): Promise<ApiTokenRecord[]> {
    const revoked = await revokeApiTokens(this.db, idOrName, this.now());
    for (const r of revoked) this.revoked(r.id);
    return revoked;
  }

  /**
   * Calls `onRevoked` once, when the token is revoked (here at once, elsewhere within
   * `revocationCheckMs` and a store round trip). Returns the function that stops watching;
   * call it when the subscription ends, whatever ended it.
   */
  watch(tokenId: string, onRevoked: () => void): () => void {
    let set = this.watchers.get(tokenId);
    if (!set) this.watchers.set(tokenId, (set = new Set()));
    // A function of its own per call, so two subscriptions with one callback stay apart.
    const entry = () => onRevoked();
    set.add(entry);
    if (!this.checkTimer) {
      this.checkTimer = setInterval(() => void this.checkRevocations(), this.revocationCheckMs);
      this.checkTimer.unref();
    }
    return () => {
      const current = this.watchers.get(tokenId);
      if (!current?.delete(entry) || current.size > 0) return;
      this.watchers.delete(tokenId);
      this.stopCheckingIfIdle();
    };
  }

  /** Asks the store once whether any watched token was revoked, and tells their watchers. */
  async checkRevocations(): Promise<void> {
    if (this.checking || this.watchers.size === 0) return;
    this.checking = true;
    try {
      const ids = [...this.watchers.keys()];
      const live = await liveApiTokenIds(this.db, ids);
      for (const id of ids) if (!live.has(id)) this.revoked(id);
    } catch {
      // The store did not answer: keep the subscriptions and ask again at the next tick, which
      // finds any revocation once the store is back. Cutting off every subscriber of the team
      // (the NOC wall, the portal) on a store hiccup would be worse than a late revocation.
    } finally {
      this.checking = false;
    }
  }

  /** Stops checking; the watchers are forgotten (the daemon is closing). */
  close(): void {
    this.watchers.clear();
    this.stopCheckingIfIdle();
  }

  /** Forgets the token's cached lookups and tells its watchers, each once. */
  private revoked(tokenId: string): void {
    for (const [hash, entry] of this.cache) if (entry.principal.tokenId === tokenId) this.cache.delete(hash);
    const set = this.watchers.get(tokenId);
    if (!set) return;
    this.watchers.delete(tokenId);
    this.stopCheckingIfIdle();
    for (const onRevoked of set) {
      try {
        onRevoked();
      } catch {
        // One watcher's failure must not keep the others connected.
      }
    }
  }

  private stopCheckingIfIdle(): void {
    if (this.watchers.size > 0 || !this.checkTimer) return;
    clearInterval(this.checkTimer);
    this.checkTimer = null;
  }

  /** The principal of a live token, or null for anything else (malformed, unknown, revoked). */
  async authenticate(token: string): Promise<Principal | null> {
    if (!TOKEN_PATTERN.test(token)) return null;
    const hash = hashToken(token);
    const now = this.now();
    const cached = this.cache.get(hash);
    if (cached && cached.until > now) {
      this.touch(cached.principal.tokenId, now);
      return cached.principal;
    }
    const record = await findApiTokenByHash(this.db, hash);
    if (!record || !isApiRole(record.role)) {
      this.cache.delete(hash);
      return null;
    }
    const principal: Principal = { tokenId: record.id, name: record.name, role: record.role, memberUserId: record.memberUserId };
    if (this.cache.size >= CACHE_MAX) this.cache.clear();
    this.cache.set(hash, { principal, until: now + this.cacheMs });
    this.touch(record.id, now);
    return principal;
  }

  /** Records use, at most once per `touchEveryMs`, off the request path. */
  private touch(tokenId: string, now: number): void {
    if ((this.touched.get(tokenId) ?? 0) + this.touchEveryMs > now) return;
    this.touched.set(tokenId, now);
    void touchApiToken(this.db, tokenId, now).catch(() => this.touched.delete(tokenId));
  }
}
