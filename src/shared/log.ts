/**
 * Structured logging, one JSON line per record on stderr (or human-readable lines on a TTY).
 *
 * Secrets must never reach a log: fields whose names say they hold one are replaced, and phone
 * numbers, login codes, API tokens and QR login links inside text are masked as a second line of
 * defence. Id fields (chatKey, accountId, userId…) are kept as they are.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(component: string, fields?: Record<string, unknown>): Logger;
}

export interface LogSink {
  write(line: string): void;
}

/**
 * Field names whose values are secrets, matched on the name in lower case without `_` and `-`:
 * credentials (the api hash, tokens, passwords, secrets, authorization headers, cookies), key
 * material (the database encryption key, private, signing and API keys), login codes and phone
 * numbers. Ids that merely end in "key" (chatKey, msgKey, idempotencyKey) are not secrets: a log
 * that hides which chat it is about is no use to anyone.
 */
const SECRET_FIELD = /password|passwd|passphrase|^pass$|secret|token$|apihash|^hash$|authorization|cookie|encryptionkey|privatekey|signingkey|apikey|accesskey|phone|(login|auth|authentication|verification|confirmation|sms|email|phone)code|^otp$|^qrlink$/;
/** Fields that hold ids: their values are kept as they are (a Telegram id is not a phone number). */
const ID_FIELD = /(key|keys|id|ids)$/;
/** A field named `code` is an error code ("FLOOD_WAIT", 429) unless it is all digits: then a login code. */
const LOGIN_CODE_VALUE = /^\d{4,8}$/;

const PHONE = /\+?\d[\d\s()-]{8,}\d/g;
/** API tokens (src/app/tokens.ts), wherever they appear in text. */
const API_TOKEN = /tgd_[A-Za-z0-9_-]{32}(?![A-Za-z0-9_-])/g;
/** A QR login link (`tg://login?token=…`): whoever has it logs in. */
const QR_LINK = /(tg:\/\/login\?token=)[A-Za-z0-9_=-]+/g;
const BEARER = /(Bearer\s+)\S+/gi;
/** "code: 12345", "login code 12345": a login code in a message. */
const CODE_IN_TEXT = /(\bcode\b\D{0,12}?)\d{4,8}\b/gi;

function fieldName(name: string): string {
  return name.toLowerCase().replace(/[_\s-]/g, '');
}

function isSecretField(name: string, value: unknown): boolean {
  const n = fieldName(name);
  if (n === 'code') return typeof value === 'string' && LOGIN_CODE_VALUE.test(value);
  return SECRET_FIELD.test(n);
}

function redactText(text: string): string {
  return text.replace(API_TOKEN, 'tgd_[redacted]').replace(QR_LINK, '$1[redacted]').replace(BEARER, '$1[redacted]').replace(CODE_IN_TEXT, '$1[code]').replace(PHONE, '[phone]');
}

/** Masks values that must never be logged. Exported so that error messages can be cleaned too. */
export function redact(value: unknown, depth = 0): unknown {
  if (depth > 6) return '[…]';
  if (typeof value === 'string') return redactText(value);
  if (value instanceof Error) {
    return { name: value.name, message: redact(value.message, depth + 1), ...(value.stack && depth === 0 ? { stack: redact(value.stack, depth + 1) } : {}) };
  }
  if (Array.isArray(value)) return value.slice(0, 50).map((v) => redact(v, depth + 1));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (isSecretField(k, v)) out[k] = '[redacted]';
      else if (ID_FIELD.test(fieldName(k)) && isIdValue(v)) out[k] = Array.isArray(v) ? v.slice(0, 50) : v;
      else out[k] = redact(v, depth + 1);
    }
    return out;
  }
  return value;
}

/** An id or a list of ids: a number, or a string without spaces (tokens are caught by name). */
function isIdValue(v: unknown): boolean {
  const one = (x: unknown) => typeof x === 'number' || (typeof x === 'string' && x.length <= 64 && !/\s/.test(x) && !x.includes('tgd_'));
  return Array.isArray(v) ? v.every(one) : one(v);
}

export function createLogger(options: { level?: LogLevel; sink?: LogSink; component?: string; fields?: Record<string, unknown>; pretty?: boolean } = {}): Logger {
  const level = options.level ?? 'info';
  const sink = options.sink ?? { write: (line: string) => process.stderr.write(line + '\n') };
  const pretty = options.pretty ?? false;
  const base = { ...(options.component ? { component: options.component } : {}), ...options.fields };

  const emit = (lvl: LogLevel, msg: string, fields?: Record<string, unknown>): void => {
    if (ORDER[lvl] < ORDER[level]) return;
    const record = redact({ ...base, ...fields }) as Record<string, unknown>;
    const message = redact(msg) as string;
    if (pretty) {
      const { component, ...rest } = record;
      const extra = Object.keys(rest).length ? ' ' + JSON.stringify(rest) : '';
      sink.write(`${new Date().toISOString().slice(11, 19)} ${lvl.padEnd(5)} ${component ? `[${String(component)}] ` : ''}${message}${extra}`);
    } else {
      sink.write(JSON.stringify({ time: new Date().toISOString(), level: lvl, msg: message, ...record }));
    }
  };

  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (component, fields) =>
      createLogger({ level, sink, pretty, component: base.component ? `${String(base.component)}:${component}` : component, fields: { ...options.fields, ...fields } }),
  };
}

/** A logger that keeps records in memory, for tests that assert what was (not) logged. */
export function createMemoryLogger(level: LogLevel = 'debug'): Logger & { readonly lines: string[] } {
  const lines: string[] = [];
  const logger = createLogger({ level, sink: { write: (l) => lines.push(l) } });
  return Object.assign(logger, { lines });
}
