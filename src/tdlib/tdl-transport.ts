/**
 * The real `TdTransport`: TDLib through tdl and prebuilt-tdlib, one client per account.
 *
 * tdl is configured once per process (it refuses afterwards), every client gets its own
 * database and files directory (two instances on one directory block each other, notes §6),
 * and an 'error' listener is attached before anything can be emitted: without one tdl turns
 * the error into an unhandled rejection that kills the daemon (notes §7).
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { getTdjson } from 'prebuilt-tdlib';
import * as tdl from 'tdl';
import type * as Td from 'tdlib-types';
import type { Logger } from '../shared/log.ts';
import type { TdTransport, TdTransportFactory } from './transport.ts';

export interface TdlTransportOptions {
  /** From my.telegram.org. */
  readonly apiId: number;
  /** From my.telegram.org. A secret: kept out of every log line. */
  readonly apiHash: string;
  /** Each account lives in `<dataDir>/tdlib/<accountId>/{db,files}`. */
  readonly dataDir: string;
  /** Base64, as TDLib wants bytes in JSON. Empty or absent: unencrypted. A secret. */
  readonly databaseEncryptionKey?: string;
  readonly logger: Logger;
  /** TDLib's own log verbosity (0 fatal … 5 verbose). Default 1 (errors). */
  readonly verbosity?: number;
  /** Telegram's test servers, for auth experiments that must not touch real accounts. */
  readonly useTestDc?: boolean;
}

/**
 * TDLib's log goes to our logger only up to warnings: from verbosity 3 on, TDLib logs
 * requests verbatim, including setTdlibParameters (api_hash) and login steps.
 */
const MAX_ROUTED_LOG_VERBOSITY = 2;

let configuredVerbosity: number | null = null;

/** Where TDLib's own log goes: the callback is process-wide, the loggers are per factory. */
const logSinks = new Set<{ readonly logger: Logger; readonly secrets: readonly string[] }>();

function configureOnce(verbosity: number, logger: Logger): void {
  if (configuredVerbosity !== null) {
    if (configuredVerbosity !== verbosity) {
      logger.warn('TDLib is already configured for this process; verbosity unchanged', { verbosity: configuredVerbosity });
    }
    return;
  }
  try {
    tdl.configure({ tdjson: getTdjson(), verbosityLevel: verbosity });
  } catch (error) {
    // Someone loaded TDLib before us (e.g. a tdl.execute elsewhere): it still works, with
    // that configuration.
    logger.warn('TDLib was initialized before tgdesk configured it', { error });
  }
  configuredVerbosity = verbosity;
  // TDLib writes to stderr by default; the callback below is the only way out.
  tdl.execute({ _: 'setLogStream', log_stream: { _: 'logStreamEmpty' } });
  tdl.setLogMessageCallback(Math.min(verbosity, MAX_ROUTED_LOG_VERBOSITY), (level, message) => {
    const allSecrets = [...logSinks].flatMap((s) => s.secrets);
    const { text, source } = parseTdLogLine(scrub(message, allSecrets));
    const fields = { tdLevel: level, ...(source ? { source } : {}) };
    for (const { logger: sink } of logSinks) {
      if (level <= 1) sink.error(text, fields);
      else if (level === 2) sink.warn(text, fields);
      else sink.debug(text, fields);
    }
  });
}

/**
 * TDLib's prefix is `[ 2][t 1][1795569183.27][TdDb.cpp:433][#1][!Actor]\t`. The timestamp
 * would look like a phone number to the log redaction, and the logger adds its own time.
 */
function parseTdLogLine(line: string): { text: string; source: string | null } {
  const m = /^\[\s*\d+\]\[t\s*\d+\]\[[\d.]+\]\[([^\]]*)\](?:\[#\d+\])?(?:\[!?([^\]]*)\])?\s*([\s\S]*)$/.exec(line);
  if (!m) return { text: line.trim(), source: null };
  return { text: (m[3] ?? '').trim(), source: [m[1], m[2]].filter(Boolean).join(' ') };
}

/** Replaces secrets verbatim. Strings too short to be real secrets are left alone. */
function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s.length >= 8) out = out.split(s).join('[redacted]');
  return out;
}

function applicationVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
  } catch {
    return '0.0.0';
  }
}

const SAFE_ACCOUNT_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** Clients currently open in this process, by database directory. */
const openDirectories = new Set<string>();

export function createTdlTransportFactory(options: TdlTransportOptions): TdTransportFactory {
  const verbosity = options.verbosity ?? 1;
  const secrets = [options.apiHash, options.databaseEncryptionKey ?? ''];
  const version = applicationVersion();
  let registered = false;

  return (accountId) => {
    if (!SAFE_ACCOUNT_ID.test(accountId) || accountId.includes('..')) {
      throw new Error(`account id ${JSON.stringify(accountId)} cannot name a directory`);
    }
    configureOnce(verbosity, options.logger);
    if (!registered) {
      registered = true;
      logSinks.add({ logger: options.logger.child('tdjson'), secrets });
    }
    const logger = options.logger.child('tdl', { accountId });
    const base = resolve(options.dataDir, 'tdlib', accountId);
    const databaseDirectory = join(base, 'db');
    if (openDirectories.has(databaseDirectory)) {
      throw new Error(`account ${accountId} already has an open TDLib client in this process`);
    }

    const client = tdl.createClient({
      apiId: options.apiId,
      apiHash: options.apiHash,
      databaseDirectory,
      filesDirectory: join(base, 'files'),
      databaseEncryptionKey: options.databaseEncryptionKey ?? '',
      useTestDc: options.useTestDc ?? false,
      // Keep every update: a sync daemon must see what arrived while it was away (notes §7).
      skipOldUpdates: false,
      tdlibParameters: {
        use_message_database: true,
        use_secret_chats: false,
        system_language_code: 'en',
        device_model: 'tgdesk',
        system_version: `Node.js ${process.versions.node}`,
        application_version: version,
      },
    });
    openDirectories.add(databaseDirectory);
    client.once('close', () => openDirectories.delete(databaseDirectory));

    return wrapClient(client, logger, secrets);
  };
}

/** The tdl client as a `TdTransport`. Updates that arrive before a listener is attached are kept. */
function wrapClient(client: tdl.Client, logger: Logger, secrets: readonly string[]): TdTransport {
  const updateListeners: ((update: Td.Update) => void)[] = [];
  const errorListeners: ((error: unknown) => void)[] = [];
  let early: Td.Update[] | null = [];
  let closing: Promise<void> | null = null;

  client.on('update', (update) => {
    if (early) {
      early.push(update);
      return;
    }
    for (const l of updateListeners) l(update);
  });
  client.on('error', (error) => {
    const clean = error instanceof Error ? new Error(scrub(error.message, secrets)) : scrub(String(error), secrets);
    if (errorListeners.length === 0) {
      logger.error('TDLib reported an error', { error: clean });
      return;
    }
    for (const l of errorListeners) l(clean);
  });

  return {
    // tdl types invoke with the very signature TdTransport declares.
    invoke: client.invoke,
    onUpdate(listener) {
      updateListeners.push(listener);
      if (early) {
        const pending = early;
        early = null;
        for (const u of pending) listener(u);
      }
    },
    onError(listener) {
      errorListeners.push(listener);
    },
    close() {
      closing ??= client.isClosed() ? Promise.resolve() : client.close();
      return closing;
    },
  };
}
