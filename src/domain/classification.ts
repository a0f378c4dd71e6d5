/**
 * Which kind a chat is: support (one client each), team, personal or other (DESIGN.md §2).
 *
 * Precedence, strongest first; the first rule that applies decides:
 *  1. a per-chat override set by an action (`setChatKind`);
 *  2. the configured team chat → team;
 *  3. configured "other" chat ids → other;
 *  4. configured support chat ids → support;
 *  5. private and secret chats → personal; channels → other (nobody answers a channel);
 *  6. a group (basic or supergroup) whose title matches the support title pattern → support;
 *  7. a group with both team members and outsiders → support;
 *  8. anything else → other (a group of team members only, or one nobody on the team is in).
 * Explicit ids beat the title pattern and the member rule because a person wrote them down for
 * this very chat; the override beats everything because it is the latest such decision.
 */
import type { ChatType } from './ids.ts';
import { badInput } from './errors.ts';
import type { Roster } from './roster.ts';

export type ChatKind = 'support' | 'team' | 'personal' | 'other';

export const CHAT_KINDS: readonly ChatKind[] = ['support', 'team', 'personal', 'other'];

export function isChatKind(value: unknown): value is ChatKind {
  return value === 'support' || value === 'team' || value === 'personal' || value === 'other';
}

/** The classification part of the configuration, by Telegram chat id as config names them. */
export interface ClassificationRules {
  readonly teamChatId: number | null;
  readonly supportChatIds: readonly number[];
  readonly otherChatIds: readonly number[];
  /**
   * A regular expression (source text), matched case-insensitively with the `u` flag against
   * group titles. A named group `client` in it, if matched, is also the client's name
   * (see client-name.ts), e.g. `^Support: (?<client>.+)$`.
   */
  readonly supportTitlePattern: string | null;
}

/** Rules checked and compiled once; classify many chats with it. */
export interface Classifier {
  readonly teamChatId: number | null;
  readonly supportChatIds: ReadonlySet<number>;
  readonly otherChatIds: ReadonlySet<number>;
  readonly supportTitlePattern: RegExp | null;
}

/**
 * Validates and compiles the rules. Throws a BAD_USER_INPUT DomainError when the pattern is
 * not a regular expression or when one chat id is given two kinds: silently preferring one
 * would leave the operator wondering why their rule "does not work".
 */
export function compileClassifier(rules: ClassificationRules): Classifier {
  const support = new Set(rules.supportChatIds);
  const other = new Set(rules.otherChatIds);
  for (const id of support) {
    if (other.has(id)) throw badInput(`chat ${id} is listed both as a support chat and as an other chat`, { chatId: id });
  }
  if (rules.teamChatId !== null && (support.has(rules.teamChatId) || other.has(rules.teamChatId))) {
    throw badInput(`the team chat ${rules.teamChatId} is also listed as a support or other chat`, { chatId: rules.teamChatId });
  }
  let pattern: RegExp | null = null;
  if (rules.supportTitlePattern !== null && rules.supportTitlePattern !== '') {
    try {
      pattern = new RegExp(rules.supportTitlePattern, 'iu');
    } catch {
      throw badInput('the support title pattern is not a valid regular expression', { pattern: rules.supportTitlePattern });
    }
  }
  return { teamChatId: rules.teamChatId, supportChatIds: support, otherChatIds: other, supportTitlePattern: pattern };
}

export interface ChatMemberFact {
  readonly userId: number;
  readonly isBot: boolean;
}

/** What classification needs to know about one chat. */
export interface ChatFacts {
  readonly tdChatId: number;
  readonly type: ChatType;
  readonly title: string;
  /**
   * The chat's current members as far as known (left and banned ones excluded), or for a big
   * supergroup whose member list is hidden, the people seen writing in it.
   */
  readonly members: Iterable<ChatMemberFact>;
  readonly override: ChatKind | null;
}

export type ClassificationReason =
  | 'override'
  | 'teamChat'
  | 'otherChatId'
  | 'supportChatId'
  | 'privateChat'
  | 'channel'
  | 'titlePattern'
  | 'teamAndOutsiders'
  | 'noRuleMatched';

export interface Classification {
  readonly kind: ChatKind;
  /** Which rule decided: shown to operators so a surprising kind can be explained. */
  readonly reason: ClassificationReason;
}

export function isGroupType(type: ChatType): boolean {
  return type === 'basic' || type === 'supergroup';
}

export function classifyChat(classifier: Classifier, roster: Roster, chat: ChatFacts): Classification {
  if (chat.override !== null) return { kind: chat.override, reason: 'override' };
  if (classifier.teamChatId !== null && chat.tdChatId === classifier.teamChatId) return { kind: 'team', reason: 'teamChat' };
  if (classifier.otherChatIds.has(chat.tdChatId)) return { kind: 'other', reason: 'otherChatId' };
  if (classifier.supportChatIds.has(chat.tdChatId)) return { kind: 'support', reason: 'supportChatId' };
  if (chat.type === 'private' || chat.type === 'secret') return { kind: 'personal', reason: 'privateChat' };
  if (chat.type === 'channel') return { kind: 'other', reason: 'channel' };
  if (classifier.supportTitlePattern !== null && classifier.supportTitlePattern.test(chat.title)) {
    return { kind: 'support', reason: 'titlePattern' };
  }
  if (hasTeamAndOutsiders(roster, chat.members)) return { kind: 'support', reason: 'teamAndOutsiders' };
  return { kind: 'other', reason: 'noRuleMatched' };
}

/**
 * Bots that are not on the roster count on neither side: a group of admins and their own
 * monitoring bot is not a client's chat. A bot put on the roster is team like anyone else.
 */
function hasTeamAndOutsiders(roster: Roster, members: Iterable<ChatMemberFact>): boolean {
  let team = false;
  let outsider = false;
  for (const m of members) {
    if (roster.byId.has(m.userId)) team = true;
    else if (!m.isBot) outsider = true;
    if (team && outsider) return true;
  }
  return false;
}
