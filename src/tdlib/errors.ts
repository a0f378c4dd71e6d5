/**
 * TDLib errors as tgdesk's typed errors, and the one policy for flood waits.
 *
 * TDLib rejects with `{ code, message }` (tdl wraps it in `TDLibError`). The message is
 * either a server constant (`PEER_FLOOD`, `CHAT_ADMIN_REQUIRED`) or TDLib's own English
 * sentence ("Chat not found"), and the code is not reliable on its own: the same condition
 * comes back as 400 or 403 depending on where TDLib noticed it. So every error goes through
 * one ordered table of rules (first match wins) and comes out as a `TelegramError` with a
 * stable `DomainError` code. See reference/tdlib-notes.md §3–§5.
 */
import { DomainError, type DomainErrorCode } from '../domain/errors.ts';
import { redact } from '../shared/log.ts';

export interface TelegramErrorContext {
  /** The TDLib method that failed, e.g. `sendMessage`. */
  readonly method: string;
  readonly accountId: string;
  /** Extra facts for the caller (never secrets), merged into `details`. */
  readonly details?: Readonly<Record<string, unknown>>;
}

/** A failed TDLib call. `code` is the stable tgdesk code; `tdCode`/`tdMessage` are TDLib's. */
export class TelegramError extends DomainError {
  readonly method: string;
  readonly accountId: string;
  /** TDLib's numeric code; null when the failure did not come from TDLib (e.g. a closed client). */
  readonly tdCode: number | null;
  /** TDLib's message, cleaned of anything that looks like a phone number. */
  readonly tdMessage: string;

  constructor(
    code: DomainErrorCode,
    context: TelegramErrorContext,
    tdCode: number | null,
    tdMessage: string,
    details: Record<string, unknown> = {},
  ) {
    super(code, `${context.method} failed: ${tdMessage}`, {
      ...context.details,
      ...details,
      method: context.method,
      accountId: context.accountId,
      tdCode,
      tdMessage,
    });
    this.name = 'TelegramError';
    this.method = context.method;
    this.accountId = context.accountId;
    this.tdCode = tdCode;
    this.tdMessage = tdMessage;
  }
}

/** Telegram asked to wait. `retryAfter` is in seconds, as Telegram says it. */
export class FloodWaitError extends TelegramError {
  readonly retryAfter: number;
  constructor(context: TelegramErrorContext, tdCode: number | null, tdMessage: string, retryAfter: number) {
    super('FLOOD_WAIT', context, tdCode, tdMessage, { retryAfter });
    this.name = 'FloodWaitError';
    this.retryAfter = retryAfter;
  }
}

interface Rule {
  readonly code: DomainErrorCode;
  /** Matches TDLib's code and message; returns extra details, or null for no match. */
  readonly match: (tdCode: number | null, message: string) => Record<string, unknown> | null;
}

const onMessage =
  (pattern: RegExp) =>
  (_tdCode: number | null, message: string): Record<string, unknown> | null =>
    pattern.test(message) ? {} : null;

const onCode =
  (code: number) =>
  (tdCode: number | null): Record<string, unknown> | null =>
    tdCode === code ? {} : null;

const either =
  (...matchers: Rule['match'][]) =>
  (tdCode: number | null, message: string): Record<string, unknown> | null => {
    for (const m of matchers) {
      const hit = m(tdCode, message);
      if (hit) return hit;
    }
    return null;
  };

/**
 * The whole mapping, in priority order. Flood waits come first because they can carry any
 * code; privacy before FORBIDDEN because USER_PRIVACY_RESTRICTED arrives as 403.
 */
const RULES: readonly Rule[] = [
  {
    // 429 is TDLib giving up after absorbing waits up to 60 s itself (NetQueryDelayer);
    // the raw server forms can still surface from calls TDLib does not retry. SLOWMODE is
    // a per-chat wait with the same meaning for the caller.
    code: 'FLOOD_WAIT',
    match: (tdCode, message) => {
      const after = /retry after (\d+)/i.exec(message);
      if (tdCode === 429 && after) return { retryAfter: Number(after[1]) };
      const raw = /^(?:FLOOD_WAIT|FLOOD_PREMIUM_WAIT|SLOWMODE_WAIT)_(\d+)$/.exec(message);
      if (raw) return { retryAfter: Number(raw[1]) };
      if (tdCode === 429) return { retryAfter: null };
      return null;
    },
  },
  { code: 'PEER_FLOOD', match: onMessage(/^PEER_FLOOD$/) },
  // USER_NOT_MUTUAL_CONTACT is the same user choice seen from another path: they only
  // allow contacts to add them. PRIVACY_PREMIUM_REQUIRED: they let only contacts (and Premium
  // users) start a private chat with them, so a first direct message is refused.
  { code: 'PRIVACY_RESTRICTED', match: onMessage(/^(USER_PRIVACY_RESTRICTED|USER_NOT_MUTUAL_CONTACT|PRIVACY_PREMIUM_REQUIRED)$/) },
  {
    code: 'AUTH_LOST',
    match: either(onCode(401), onMessage(/^(Unauthorized|AUTH_KEY_UNREGISTERED|SESSION_REVOKED|AUTH_KEY_DUPLICATED|USER_DEACTIVATED(_BAN)?)$/)),
  },
  { code: 'PIN_LIMIT', match: onMessage(/^The maximum number of pinned chats exceeded$/) },
  {
    // "Have no access to the user", "Can't access the chat" (createPrivateChat): the user is
    // not known to this account (no access hash), which for the caller is an unknown user.
    code: 'NOT_FOUND',
    match: either(
      onCode(404),
      onMessage(/^(Chat|Message|User|Supergroup|Basic group|Chat info|Chat list) not found$|^Have no access to the user$|^Can't access the chat$|^(PEER_ID_INVALID|MSG_ID_INVALID|USER_ID_INVALID|CHANNEL_INVALID)$/),
    ),
  },
  {
    code: 'FORBIDDEN',
    match: either(
      onCode(403),
      onMessage(/^(CHAT_ADMIN_REQUIRED|CHAT_WRITE_FORBIDDEN|CHANNEL_PRIVATE|USER_BANNED_IN_CHANNEL)$|^Not enough rights|^Have no (write access|rights)/),
    ),
  },
];

function describe(error: unknown): { tdCode: number | null; message: string } {
  if (error && typeof error === 'object') {
    const e = error as { code?: unknown; message?: unknown };
    const tdCode = typeof e.code === 'number' ? e.code : null;
    const message = typeof e.message === 'string' ? e.message : String(error);
    return { tdCode, message };
  }
  return { tdCode: null, message: String(error) };
}

/**
 * Maps anything a TDLib call rejected with into a `TelegramError`. A `DomainError` passes
 * through unchanged, so mapping twice is harmless.
 */
export function toTelegramError(error: unknown, context: TelegramErrorContext): DomainError {
  if (error instanceof DomainError) return error;
  const { tdCode, message: raw } = describe(error);
  const message = redact(raw) as string;
  for (const rule of RULES) {
    const details = rule.match(tdCode, raw);
    if (!details) continue;
    if (rule.code === 'FLOOD_WAIT') {
      const retryAfter = typeof details.retryAfter === 'number' ? details.retryAfter : DEFAULT_RETRY_AFTER_SECONDS;
      return new FloodWaitError(context, tdCode, message, retryAfter);
    }
    return new TelegramError(rule.code, context, tdCode, message, details);
  }
  // 406: "must not be processed in any way and must not be displayed to the user" (td_api.tl).
  return new TelegramError('TELEGRAM_ERROR', context, tdCode, message, tdCode === 406 ? { silent: true } : {});
}

/** Used when Telegram says "wait" without saying how long. */
const DEFAULT_RETRY_AFTER_SECONDS = 60;

/**
 * Methods that may be sent again after a flood wait without doing anything twice: reads,
 * and writes that set a state rather than add something. Everything else (sendMessage,
 * addChatMembers, createChatInviteLink, login steps) is treated as non-idempotent.
 */
const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set([
  'loadChats',
  'getChat',
  'getChats',
  'getMe',
  'getUser',
  'getChatHistory',
  'getMessage',
  'getMessages',
  'searchChatMessages',
  'searchMessages',
  'getSupergroupMembers',
  'getBasicGroupFullInfo',
  'getSupergroupFullInfo',
  'searchChatMembers',
  'getMessageLink',
  'getOption',
  'getScopeNotificationSettings',
  'toggleChatIsPinned',
  'setChatNotificationSettings',
  'toggleChatIsMarkedAsUnread',
  'viewMessages',
  'readAllChatMentions',
  'banChatMember',
  'setChatMemberStatus',
  'addMessageReaction',
  'removeMessageReaction',
  // Returns the existing private chat when there is one: asking twice creates nothing twice.
  'createPrivateChat',
]);

export interface FloodWaitPolicyOptions {
  /** Attempts allowed in total, the first included. Default 3. */
  readonly maxAttempts?: number;
  /** Waits longer than this are not slept through: the caller gets `giveUp` and reschedules. Default 5 min. */
  readonly maxWaitMs?: number;
}

export type FloodWaitDecision =
  | { readonly retryAfterMs: number }
  | { readonly giveUp: string; readonly retryAfterMs: number | null };

/**
 * What to do after `error` ended call number `attempt` (1 for the first call).
 *
 * Retry only when all hold: it is a flood wait, the method is idempotent, attempts are left,
 * and the wait is short enough to sleep through. TDLib has already absorbed waits of up to
 * 60 s before reporting one (notes §5), so anything that reaches us is long; the answer then
 * is usually `giveUp` with the wait, and the caller pauses that account's queue or job
 * instead of sleeping inside a request. Non-idempotent calls are never retried here: a send
 * that timed out may still have gone through.
 */
export function floodWaitPolicy(error: unknown, attempt: number, options: FloodWaitPolicyOptions = {}): FloodWaitDecision {
  const maxAttempts = options.maxAttempts ?? 3;
  const maxWaitMs = options.maxWaitMs ?? 5 * 60_000;
  if (!(error instanceof FloodWaitError)) return { giveUp: 'not a flood wait', retryAfterMs: null };
  // One second of margin: Telegram counts whole seconds and a retry at the boundary fails again.
  const retryAfterMs = error.retryAfter * 1000 + 1000;
  if (!IDEMPOTENT_METHODS.has(error.method)) return { giveUp: `${error.method} is not idempotent`, retryAfterMs };
  if (attempt >= maxAttempts) return { giveUp: `gave up after ${attempt} attempts`, retryAfterMs };
  if (retryAfterMs > maxWaitMs) return { giveUp: `wait of ${error.retryAfter} s is too long to sleep through`, retryAfterMs };
  return { retryAfterMs };
}
