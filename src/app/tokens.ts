/**
 * API tokens: created by `tgdesk token create`, shown once, stored only as a SHA-256 hash.
 *
 * A token is `tgd_` and 32 base64url characters (192 random bits): hashing it without a salt
 * is safe because it cannot be guessed, and a fixed prefix lets secret scanners spot a leaked
 * one. The daemon and the CLI may be different processes on the same store (the CLI runs while
 * the demo runs), so the daemon asks the store, not its memory; a short cache keeps that off the
 * request path, which is why a revocation takes effect within `cacheMs`.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { badInput, DomainError } from '../domain/errors.ts';
import type { Database } from '../store/schema.ts';
import {
  findApiTokenByHash,
  insertApiToken,
  listApiTokens,
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
}

const CACHE_MAX = 10_000;

export class ApiTokens {
  private readonly now: () => number;
  private readonly cacheMs: number;
  private readonly touchEveryMs: number;
  private readonly cache = new Map<string, { principal: Principal; until: number }>();
  private readonly touched = new Map<string, number>();

  constructor(
    private readonly db: Kysely<Database>,
    options: ApiTokensOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.cacheMs = options.cacheMs ?? 2_000;
    this.touchEveryMs = options.touchEveryMs ?? 60_000;
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
    for (const [hash, entry] of this.cache) if (revoked.some((r) => r.id === entry.principal.tokenId)) this.cache.delete(hash);
    return revoked;
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
