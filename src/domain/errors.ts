/**
 * Errors a user of tgdesk can act on, each with a stable code. The API copies `code` into
 * `extensions.code`; anything that is not a DomainError is unexpected and gets masked.
 */
export type DomainErrorCode =
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'BAD_USER_INPUT'
  | 'CONFLICT'
  | 'FLOOD_WAIT'
  | 'PEER_FLOOD'
  | 'PIN_LIMIT'
  | 'PRIVACY_RESTRICTED'
  | 'AUTH_LOST'
  | 'TELEGRAM_ERROR'
  | 'RESYNC_REQUIRED';

export class DomainError extends Error {
  readonly code: DomainErrorCode;
  /** Extra machine-readable facts, e.g. `{ retryAfter: 30 }`. Never secrets. */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: DomainErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = 'DomainError';
    this.code = code;
    this.details = details;
  }
}

export const notFound = (what: string, id: string | number): DomainError =>
  new DomainError('NOT_FOUND', `${what} ${String(id)} not found`, { what, id: String(id) });

export const badInput = (message: string, details: Record<string, unknown> = {}): DomainError =>
  new DomainError('BAD_USER_INPUT', message, details);
