/**
 * An overdue policy (DESIGN.md §3): how long a client may wait, whether only business hours
 * count, and which client messages do not start waiting. There is a default policy and a chat
 * can be given another; the app stores the config (plain JSON) and compiles it once.
 */
import { addBusinessTime, compileBusinessHours, type BusinessHours, type BusinessHoursConfig } from './business-hours.ts';
import { badInput } from './errors.ts';
import type { ContentKind } from './telegram.ts';
import { HOUR, MINUTE, type DurationMs, type UnixMs } from './time.ts';

export interface OverduePolicyConfig {
  /** Minutes a client may wait before the chat is overdue. Default 15. */
  readonly thresholdMinutes?: number;
  /** When set, only time inside these hours counts towards the threshold. Default: none. */
  readonly businessHours?: BusinessHoursConfig | null;
  /**
   * Client messages that do not start waiting. Default `DEFAULT_IGNORE_PATTERNS`.
   * - A plain string is a phrase. A text message is ignored when it consists only of such
   *   phrases, compared case-insensitively with punctuation, emoji skin tones and "ё" folded away:
   *   "Спасибо!", "ok, thanks", "👍👍", "Ок." all match the defaults; "ok, but 502 again" does not.
   * - A string written as `/source/flags` is a regular expression tested against the message's
   *   trimmed text as it is; the message is ignored when it matches.
   * Only text messages (and stickers, see below) can be ignored: a photo captioned "ok" is a
   * screenshot someone has to look at.
   */
  readonly ignorePatterns?: readonly string[];
  /** Whether a sticker alone does not start waiting. Default true. */
  readonly ignoreStickers?: boolean;
  /**
   * A wait is the start of a new conversation ("first" response) when nothing was written in
   * the chat for this many minutes before it; otherwise it is a "next" response. Default 240.
   */
  readonly newConversationAfterMinutes?: number;
}

export interface OverduePolicy {
  readonly config: OverduePolicyConfig;
  readonly thresholdMs: DurationMs;
  readonly businessHours: BusinessHours | null;
  readonly ignoreStickers: boolean;
  /** Matches a normalized text made only of ignorable phrases; null if there are none. */
  readonly ignorePhrases: RegExp | null;
  /**
   * The letters and digits of the ignorable phrases (lowercase, ё as е): a text with any other
   * ASCII or Cyrillic letter or digit cannot be made only of those phrases, which rules out most
   * messages without normalizing them.
   */
  readonly ignorePhraseLetters: ReadonlySet<string>;
  readonly ignoreRegExps: readonly RegExp[];
  readonly newConversationAfterMs: DurationMs;
}

export const DEFAULT_THRESHOLD_MINUTES = 15;

export const DEFAULT_IGNORE_PATTERNS: readonly string[] = [
  'спасибо',
  'спасибо большое',
  'большое спасибо',
  'спс',
  'благодарю',
  'ок',
  'окей',
  'ага',
  'хорошо',
  'понял',
  'поняла',
  'понятно',
  'ясно',
  'принято',
  'thanks',
  'thank you',
  'thanks a lot',
  'thx',
  'ty',
  'ok',
  'okay',
  'got it',
  'cool',
  '+',
  '👍',
  '👌',
  '🙏',
  '🤝',
  '❤',
];

/**
 * Folds a text for phrase matching: lower case, "ё" as "е", emoji variation selectors, joiners
 * and skin tones dropped, each emoji a word of its own, punctuation and runs of spaces as one
 * space, trimmed.
 */
export function normalizeForIgnore(text: string): string {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/ё/g, 'е')
    .replace(/[\uFE0E\uFE0F\u200D]|\p{Emoji_Modifier}/gu, '')
    .replace(/\p{Extended_Pictographic}/gu, ' $& ')
    .replace(/[\p{P}\s]+/gu, ' ')
    .trim();
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

const REGEXP_PATTERN = /^\/(.+)\/([a-z]*)$/s;

function positiveNumber(value: number | undefined, fallback: number, field: string, allowZero: boolean): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) throw badInput(`${field} must be a ${allowZero ? 'non-negative' : 'positive'} number`, { [field]: value });
  return value;
}

/** Validates and compiles a policy; throws BAD_USER_INPUT naming the bad field. */
export function compileOverduePolicy(config: OverduePolicyConfig = {}): OverduePolicy {
  const thresholdMinutes = positiveNumber(config.thresholdMinutes, DEFAULT_THRESHOLD_MINUTES, 'thresholdMinutes', true);
  const gapMinutes = positiveNumber(config.newConversationAfterMinutes, (4 * HOUR) / MINUTE, 'newConversationAfterMinutes', true);
  const phrases: string[] = [];
  const regexps: RegExp[] = [];
  for (const pattern of config.ignorePatterns ?? DEFAULT_IGNORE_PATTERNS) {
    const re = REGEXP_PATTERN.exec(pattern);
    if (re) {
      try {
        regexps.push(new RegExp(re[1]!, re[2]!.replace(/[gy]/g, '')));
      } catch {
        throw badInput(`ignore pattern ${pattern} is not a valid regular expression`, { pattern });
      }
      continue;
    }
    const phrase = normalizeForIgnore(pattern);
    if (phrase !== '') phrases.push(phrase);
  }
  // Longest first, so "спасибо большое" wins over "спасибо" before the space.
  phrases.sort((a, b) => b.length - a.length);
  const alternatives = phrases.map(escapeRegExp).join('|');
  return {
    config,
    thresholdMs: thresholdMinutes * MINUTE,
    businessHours: config.businessHours ? compileBusinessHours(config.businessHours) : null,
    ignoreStickers: config.ignoreStickers ?? true,
    ignorePhrases: phrases.length === 0 ? null : new RegExp(`^(?:${alternatives})(?: (?:${alternatives}))*$`, 'u'),
    ignorePhraseLetters: new Set(phrases.join('')),
    ignoreRegExps: regexps,
    newConversationAfterMs: gapMinutes * MINUTE,
  };
}

export const DEFAULT_OVERDUE_POLICY: OverduePolicy = compileOverduePolicy();

export interface IgnorableMessage {
  readonly contentKind: ContentKind;
  readonly text: string;
}

/** True when this client message, by the policy, does not start waiting. */
export function isIgnoredClientMessage(policy: OverduePolicy, message: IgnorableMessage): boolean {
  if (message.contentKind === 'sticker') return policy.ignoreStickers;
  if (message.contentKind !== 'text') return false;
  const trimmed = message.text.trim();
  for (const re of policy.ignoreRegExps) if (re.test(trimmed)) return true;
  if (policy.ignorePhrases === null || hasForeignLetter(trimmed, policy.ignorePhraseLetters)) return false;
  const normalized = normalizeForIgnore(trimmed);
  return normalized !== '' && policy.ignorePhrases.test(normalized);
}

/**
 * True when the text holds an ASCII or basic Cyrillic letter or digit that no ignorable phrase
 * has. Such characters pass normalizeForIgnore unchanged but for case (NFKC leaves them alone,
 * ё becomes е), so the normalized text would hold it too and could not match.
 */
function hasForeignLetter(text: string, letters: ReadonlySet<string>): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const plain = (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 0x410 && c <= 0x44f) || c === 0x401 || c === 0x451;
    if (!plain) continue;
    let letter = text[i]!.toLowerCase();
    if (letter === 'ё') letter = 'е';
    if (!letters.has(letter)) return true;
  }
  return false;
}

/**
 * The instant overdue begins for a wait that started at `waitingSince`: the threshold on the
 * clock, or, with business hours, once that much business time has passed.
 */
export function deadlineOf(waitingSince: UnixMs, policy: OverduePolicy): UnixMs {
  if (policy.businessHours === null) return waitingSince + policy.thresholdMs;
  return addBusinessTime(policy.businessHours, waitingSince, policy.thresholdMs);
}
