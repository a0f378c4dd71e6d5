/**
 * Structured logging, one JSON line per record on stderr (or human-readable lines on a TTY).
 *
 * Secrets must never reach a log: fields whose names look secret are replaced, and phone
 * numbers and login codes inside messages are masked as a second line of defence.
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

const SECRET_KEY = /(pass(word)?|secret|token|api_?hash|apihash|hash|key|code|phone|authorization|cookie)/i;
const PHONE = /\+?\d[\d\s()-]{8,}\d/g;

/** Masks values that must never be logged. Exported so that error messages can be cleaned too. */
export function redact(value: unknown, depth = 0): unknown {
  if (depth > 6) return '[…]';
  if (typeof value === 'string') return value.replace(PHONE, '[phone]');
  if (value instanceof Error) {
    return { name: value.name, message: redact(value.message, depth + 1), ...(value.stack && depth === 0 ? { stack: redact(value.stack, depth + 1) } : {}) };
  }
  if (Array.isArray(value)) return value.slice(0, 50).map((v) => redact(v, depth + 1));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = SECRET_KEY.test(k) && !/^(code|errorCode|tdCode|statusCode)$/.test(k) ? '[redacted]' : redact(v, depth + 1);
    }
    return out;
  }
  return value;
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
