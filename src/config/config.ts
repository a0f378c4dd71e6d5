/**
 * The daemon's configuration: read once at start from environment variables and an optional
 * JSON file, validated as a whole (every problem is reported at once, named by its variable),
 * then frozen. Environment variables win over the file.
 *
 * Secrets (the api_hash, the TDLib database key, the portal secret) are wrapped in `Secret`,
 * which prints as "[redacted]" in logs, errors and JSON.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

export class Secret {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  reveal(): string {
    return this.#value;
  }
  toString(): string {
    return '[redacted]';
  }
  toJSON(): string {
    return '[redacted]';
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return '[redacted]';
  }
}

export type Role = 'admin' | 'manager';

export interface ConfiguredMember {
  readonly userId: number;
  readonly role: Role;
  readonly name: string | null;
}

export interface Config {
  readonly mode: 'start' | 'demo' | 'tool';
  readonly apiId: number | null;
  readonly apiHash: Secret | null;
  readonly dataDir: string;
  readonly host: string;
  readonly port: number;
  /** PostgreSQL when set; otherwise SQLite at `${dataDir}/tgdesk.sqlite`. */
  readonly databaseUrl: Secret | null;
  readonly databaseEncryptionKey: Secret | null;
  /** The accounts this daemon drives, by the names used in `tgdesk login ACCOUNT`. */
  readonly accounts: readonly string[];
  readonly logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** How far back the first sync of a chat pages history. */
  readonly backfillMessages: number;
  readonly team: {
    readonly chatId: number | null;
    readonly members: readonly ConfiguredMember[];
  };
  readonly classification: {
    readonly supportChatIds: readonly number[];
    readonly otherChatIds: readonly number[];
    readonly supportTitlePattern: string | null;
  };
  readonly portal: {
    readonly url: string | null;
    readonly secret: Secret | null;
  };
  /** Membership jobs' throttles and the alerts' Telegram delivery (src/app/team-ops.ts). */
  readonly teamOps: {
    readonly addIntervalSeconds: number;
    readonly addsPerDay: number;
    readonly privacyFallback: 'dm' | 'report';
    /** The account alert messages are sent from; null: alerts only on the API's subscription. */
    readonly alertAccount: string | null;
    readonly alertChannels: readonly ('teamChat' | 'dm')[];
    readonly alertMentionMinutes: number;
    readonly alertReminderMinutes: number;
    readonly alertsPerMinute: number;
  };
  /** Tasks' reaction on their source messages in Telegram, which every chat member sees: off (null) by default. */
  readonly tasks: {
    readonly reaction: string | null;
    readonly closedReaction: string | null;
  };
}

export class ConfigError extends Error {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`Invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n` + problems.map((p) => `  - ${p}`).join('\n'));
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

type Env = Readonly<Record<string, string | undefined>>;

interface FileConfig {
  apiId?: unknown;
  apiHash?: unknown;
  dataDir?: unknown;
  host?: unknown;
  port?: unknown;
  databaseUrl?: unknown;
  accounts?: unknown;
  logLevel?: unknown;
  backfillMessages?: unknown;
  team?: { chatId?: unknown; members?: unknown };
  classification?: { supportChatIds?: unknown; otherChatIds?: unknown; supportTitlePattern?: unknown };
  portal?: { url?: unknown; secret?: unknown };
  jobs?: { addIntervalSeconds?: unknown; addsPerDay?: unknown; privacyFallback?: unknown };
  alerts?: { account?: unknown; channels?: unknown; mentionMinutes?: unknown; reminderMinutes?: unknown; perMinute?: unknown };
  tasks?: { reaction?: unknown; closedReaction?: unknown };
}

/** Every variable the daemon reads, with what it means; the README's table is generated from the same facts. */
export const CONFIG_VARIABLES = [
  ['TGDESK_CONFIG', 'path of an optional JSON config file; variables override it'],
  ['TGDESK_API_ID', 'api_id from my.telegram.org (required by `tgdesk start` and `tgdesk login`)'],
  ['TGDESK_API_HASH', 'api_hash from my.telegram.org (secret; required with TGDESK_API_ID)'],
  ['TGDESK_DATA_DIR', 'directory for the SQLite file and each account\'s TDLib database (default ./.tgdesk, demo: ./.tgdesk/demo)'],
  ['TGDESK_HOST', 'address the API listens on (default 127.0.0.1)'],
  ['TGDESK_PORT', 'port of the API and the dashboards (default 4000)'],
  ['DATABASE_URL', 'postgres://… to use PostgreSQL instead of SQLite (secret)'],
  ['TGDESK_ACCOUNTS', 'comma-separated names of the accounts to drive, e.g. alice,bob'],
  ['TGDESK_DB_ENCRYPTION_KEY', 'base64 key that encrypts the TDLib databases (secret, optional)'],
  ['TGDESK_TEAM_CHAT_ID', 'Telegram chat id of the team chat'],
  ['TGDESK_SUPPORT_CHAT_IDS', 'comma-separated chat ids always classified as support chats'],
  ['TGDESK_SUPPORT_TITLE_PATTERN', 'regular expression: chats whose title matches are support chats'],
  ['TGDESK_BACKFILL_MESSAGES', 'how many messages of history the first sync of a chat fetches (default 1000)'],
  ['TGDESK_LOG_LEVEL', 'debug, info, warn or error (default info)'],
  ['TGDESK_PORTAL_URL', 'URL the portal connector posts task events to'],
  ['TGDESK_PORTAL_SECRET', 'HMAC secret shared with the portal (secret)'],
  ['TGDESK_JOB_ADD_INTERVAL_SECONDS', 'least time between two add calls of one account in membership jobs (default 30)'],
  ['TGDESK_JOB_ADDS_PER_DAY', 'most people one account adds to chats per day (default 40)'],
  ['TGDESK_JOB_PRIVACY_FALLBACK', 'dm: send a privacy-restricted member a one-use invite link by direct message; report: only report the link (default dm)'],
  ['TGDESK_ALERT_ACCOUNT', 'account that sends alert messages to the team chat or by DM (default: none, alerts only on the API)'],
  ['TGDESK_ALERT_CHANNELS', 'alert channels of members who chose none: teamChat, dm, both comma-separated, or none (default teamChat)'],
  ['TGDESK_ALERT_MENTION_MINUTES', 'an on-duty member mentioned and unread this long is alerted (default 10)'],
  ['TGDESK_ALERT_REMINDER_MINUTES', 'a situation still open this long after its alert is reminded of; 0 turns reminders off (default 30)'],
  ['TGDESK_ALERTS_PER_MINUTE', 'alert messages per destination (team chat, each DM) per minute (default 6)'],
  ['TGDESK_TASK_REACTION', 'emoji put on a task\'s messages in Telegram while it is open, seen by every chat member (default: none)'],
  ['TGDESK_TASK_CLOSED_REACTION', 'emoji that replaces it when the task closes (default: the reaction is removed)'],
] as const;

const ACCOUNT_NAME = /^[a-z0-9][a-z0-9_-]{0,31}$/i;

export function loadConfig(options: { env?: Env; mode: Config['mode']; cwd?: string }): Config {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const problems: string[] = [];

  let file: FileConfig = {};
  const filePath = env.TGDESK_CONFIG;
  if (filePath) {
    try {
      const parsed: unknown = JSON.parse(readFileSync(resolve(cwd, filePath), 'utf8'));
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) problems.push(`TGDESK_CONFIG: ${filePath} must hold a JSON object`);
      else file = parsed as FileConfig;
    } catch (error) {
      problems.push(`TGDESK_CONFIG: cannot read ${filePath}: ${(error as Error).message.split('\n')[0]}`);
    }
  }

  const pick = (name: string, fromFile: unknown): string | undefined => {
    const v = env[name];
    if (v !== undefined && v !== '') return v;
    if (fromFile === undefined || fromFile === null) return undefined;
    return typeof fromFile === 'string' ? fromFile : JSON.stringify(fromFile);
  };

  const int = (name: string, raw: string | undefined, min: number, max: number): number | null => {
    if (raw === undefined) return null;
    if (!/^-?\d+$/.test(raw.trim())) {
      problems.push(`${name}: expected a whole number, got "${raw.length > 40 ? raw.slice(0, 40) + '…' : raw}"`);
      return null;
    }
    const n = Number(raw);
    if (n < min || n > max) {
      problems.push(`${name}: ${n} is out of range ${min}..${max}`);
      return null;
    }
    return n;
  };

  const idList = (name: string, raw: unknown): number[] => {
    if (raw === undefined || raw === null || raw === '') return [];
    const parts = Array.isArray(raw) ? raw.map(String) : String(raw).split(',');
    const out: number[] = [];
    for (const p of parts.map((s) => s.trim()).filter(Boolean)) {
      if (!/^-?\d+$/.test(p)) problems.push(`${name}: "${p}" is not a chat id`);
      else out.push(Number(p));
    }
    return out;
  };

  const apiId = int('TGDESK_API_ID', pick('TGDESK_API_ID', file.apiId), 1, 2 ** 31 - 1);
  const apiHashRaw = pick('TGDESK_API_HASH', file.apiHash);
  if (apiHashRaw !== undefined && !/^[0-9a-f]{32}$/i.test(apiHashRaw)) {
    problems.push('TGDESK_API_HASH: expected the 32 hex digits from my.telegram.org');
  }
  if (options.mode === 'start') {
    if (apiId === null && pick('TGDESK_API_ID', file.apiId) === undefined) problems.push('TGDESK_API_ID: required (get it at my.telegram.org → API development tools)');
    if (apiHashRaw === undefined) problems.push('TGDESK_API_HASH: required (get it at my.telegram.org → API development tools)');
  }

  const defaultDataDir = options.mode === 'demo' ? '.tgdesk/demo' : '.tgdesk';
  const dataDir = resolve(cwd, pick('TGDESK_DATA_DIR', file.dataDir) ?? defaultDataDir);
  const host = pick('TGDESK_HOST', file.host) ?? '127.0.0.1';
  if (!/^[a-zA-Z0-9.:\-[\]]+$/.test(host)) problems.push(`TGDESK_HOST: "${host}" is not a host name or address`);
  const port = int('TGDESK_PORT', pick('TGDESK_PORT', file.port), 0, 65535) ?? 4000;

  const databaseUrlRaw = pick('DATABASE_URL', file.databaseUrl);
  if (databaseUrlRaw !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrlRaw)) {
    problems.push('DATABASE_URL: expected a postgres:// or postgresql:// URL');
  }

  const accountsRaw = pick('TGDESK_ACCOUNTS', file.accounts);
  const accounts = accountsRaw === undefined ? [] : (Array.isArray(file.accounts) && !env.TGDESK_ACCOUNTS ? (file.accounts as unknown[]).map(String) : accountsRaw.split(',')).map((s) => s.trim()).filter(Boolean);
  for (const a of accounts) if (!ACCOUNT_NAME.test(a)) problems.push(`TGDESK_ACCOUNTS: "${a}" is not a valid account name (letters, digits, - and _, up to 32)`);
  if (new Set(accounts).size !== accounts.length) problems.push('TGDESK_ACCOUNTS: an account is listed twice');
  if (options.mode === 'start' && accounts.length === 0) problems.push('TGDESK_ACCOUNTS: name at least one account (log it in first with `tgdesk login NAME`)');

  const logLevelRaw = pick('TGDESK_LOG_LEVEL', file.logLevel) ?? 'info';
  const logLevels = ['debug', 'info', 'warn', 'error'] as const;
  const logLevel = (logLevels as readonly string[]).includes(logLevelRaw) ? (logLevelRaw as Config['logLevel']) : (problems.push(`TGDESK_LOG_LEVEL: expected one of ${logLevels.join(', ')}`), 'info');

  const backfillMessages = int('TGDESK_BACKFILL_MESSAGES', pick('TGDESK_BACKFILL_MESSAGES', file.backfillMessages), 0, 1_000_000) ?? 1000;

  const encKey = pick('TGDESK_DB_ENCRYPTION_KEY', undefined);
  if (encKey !== undefined && !/^[A-Za-z0-9+/]+={0,2}$/.test(encKey)) problems.push('TGDESK_DB_ENCRYPTION_KEY: expected base64');

  const teamChatId = int('TGDESK_TEAM_CHAT_ID', pick('TGDESK_TEAM_CHAT_ID', file.team?.chatId), -(2 ** 53 - 1), 2 ** 53 - 1);
  const members: ConfiguredMember[] = [];
  if (file.team?.members !== undefined) {
    if (!Array.isArray(file.team.members)) problems.push('TGDESK_CONFIG: team.members must be a list');
    else
      file.team.members.forEach((m: unknown, i: number) => {
        const rec = (m ?? {}) as { userId?: unknown; role?: unknown; name?: unknown };
        const userId = Number(rec.userId);
        if (!Number.isSafeInteger(userId) || userId <= 0) problems.push(`TGDESK_CONFIG: team.members[${i}].userId must be a Telegram user id`);
        else if (rec.role !== 'admin' && rec.role !== 'manager') problems.push(`TGDESK_CONFIG: team.members[${i}].role must be "admin" or "manager"`);
        else members.push({ userId, role: rec.role, name: typeof rec.name === 'string' ? rec.name : null });
      });
  }

  const supportTitlePattern = pick('TGDESK_SUPPORT_TITLE_PATTERN', file.classification?.supportTitlePattern) ?? null;
  if (supportTitlePattern !== null) {
    try {
      new RegExp(supportTitlePattern, 'iu');
    } catch {
      problems.push('TGDESK_SUPPORT_TITLE_PATTERN: not a valid regular expression');
    }
  }

  const portalUrl = pick('TGDESK_PORTAL_URL', file.portal?.url) ?? null;
  if (portalUrl !== null && !/^https?:\/\//.test(portalUrl)) problems.push('TGDESK_PORTAL_URL: expected an http:// or https:// URL');
  const portalSecret = pick('TGDESK_PORTAL_SECRET', file.portal?.secret);
  if (portalUrl !== null && portalSecret === undefined) problems.push('TGDESK_PORTAL_SECRET: required when TGDESK_PORTAL_URL is set');

  const emoji = (name: string, raw: string | undefined): string | null => {
    if (raw === undefined) return null;
    const e = raw.trim();
    // One emoji, perhaps with modifiers and joiners: a few code points, no letters or spaces.
    if (e.length === 0 || [...e].length > 8 || /[\s\p{L}\p{N}]/u.test(e)) {
      problems.push(`${name}: expected one emoji, got "${raw.slice(0, 20)}"`);
      return null;
    }
    return e;
  };
  const taskReaction = emoji('TGDESK_TASK_REACTION', pick('TGDESK_TASK_REACTION', file.tasks?.reaction));
  const taskClosedReaction = emoji('TGDESK_TASK_CLOSED_REACTION', pick('TGDESK_TASK_CLOSED_REACTION', file.tasks?.closedReaction));

  const addIntervalSeconds = int('TGDESK_JOB_ADD_INTERVAL_SECONDS', pick('TGDESK_JOB_ADD_INTERVAL_SECONDS', file.jobs?.addIntervalSeconds), 0, 86_400) ?? 30;
  const addsPerDay = int('TGDESK_JOB_ADDS_PER_DAY', pick('TGDESK_JOB_ADDS_PER_DAY', file.jobs?.addsPerDay), 1, 10_000) ?? 40;
  const privacyFallbackRaw = pick('TGDESK_JOB_PRIVACY_FALLBACK', file.jobs?.privacyFallback) ?? 'dm';
  if (privacyFallbackRaw !== 'dm' && privacyFallbackRaw !== 'report') problems.push('TGDESK_JOB_PRIVACY_FALLBACK: expected dm or report');
  const alertAccount = pick('TGDESK_ALERT_ACCOUNT', file.alerts?.account) ?? null;
  if (alertAccount !== null && accounts.length > 0 && !accounts.includes(alertAccount)) problems.push(`TGDESK_ALERT_ACCOUNT: "${alertAccount}" is not one of TGDESK_ACCOUNTS`);
  const channelsRaw = pick('TGDESK_ALERT_CHANNELS', Array.isArray(file.alerts?.channels) ? (file.alerts.channels as unknown[]).join(',') : file.alerts?.channels) ?? 'teamChat';
  const alertChannels = channelsRaw.trim() === 'none' ? [] : channelsRaw.split(',').map((s) => s.trim()).filter(Boolean);
  for (const c of alertChannels) if (c !== 'teamChat' && c !== 'dm') problems.push(`TGDESK_ALERT_CHANNELS: "${c}" is not teamChat or dm`);
  const alertMentionMinutes = int('TGDESK_ALERT_MENTION_MINUTES', pick('TGDESK_ALERT_MENTION_MINUTES', file.alerts?.mentionMinutes), 1, 1440) ?? 10;
  const alertReminderMinutes = int('TGDESK_ALERT_REMINDER_MINUTES', pick('TGDESK_ALERT_REMINDER_MINUTES', file.alerts?.reminderMinutes), 0, 1440) ?? 30;
  const alertsPerMinute = int('TGDESK_ALERTS_PER_MINUTE', pick('TGDESK_ALERTS_PER_MINUTE', file.alerts?.perMinute), 1, 600) ?? 6;

  if (problems.length > 0) throw new ConfigError(problems);

  return deepFreeze({
    mode: options.mode,
    apiId,
    apiHash: apiHashRaw === undefined ? null : new Secret(apiHashRaw),
    dataDir,
    host,
    port,
    databaseUrl: databaseUrlRaw === undefined ? null : new Secret(databaseUrlRaw),
    databaseEncryptionKey: encKey === undefined ? null : new Secret(encKey),
    accounts,
    logLevel,
    backfillMessages,
    team: { chatId: teamChatId, members },
    classification: {
      supportChatIds: idList('TGDESK_SUPPORT_CHAT_IDS', pick('TGDESK_SUPPORT_CHAT_IDS', file.classification?.supportChatIds)),
      otherChatIds: idList('TGDESK_CONFIG classification.otherChatIds', file.classification?.otherChatIds),
      supportTitlePattern,
    },
    portal: { url: portalUrl, secret: portalSecret === undefined ? null : new Secret(portalSecret) },
    teamOps: {
      addIntervalSeconds,
      addsPerDay,
      privacyFallback: privacyFallbackRaw as 'dm' | 'report',
      alertAccount,
      alertChannels: alertChannels as ('teamChat' | 'dm')[],
      alertMentionMinutes,
      alertReminderMinutes,
      alertsPerMinute,
    },
    tasks: { reaction: taskReaction, closedReaction: taskClosedReaction },
  });
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !(value instanceof Secret) && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
