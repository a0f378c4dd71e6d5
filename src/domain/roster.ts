/**
 * The team roster: who is "team". DESIGN.md §2: a sender is team if and only if they are on
 * the roster; everyone else who writes in a support chat is the client.
 */
import type { SenderRef } from './ids.ts';

export type TeamRole = 'admin' | 'manager';

/**
 * Where a roster entry came from. A person can come from several sources at once (configured
 * and also in the team chat); the roster keeps the strongest one, see `buildRoster`.
 */
export type RosterSource = 'config' | 'teamChat' | 'api';

export interface TeamMember {
  /** Telegram user id. */
  readonly userId: number;
  readonly name: string;
  readonly role: TeamRole;
  readonly source: RosterSource;
}

export interface Roster {
  /** Members by Telegram user id. */
  readonly byId: ReadonlyMap<number, TeamMember>;
}

/**
 * An explicit decision (a manager's API call) beats the config file, which beats the mere
 * fact of sitting in the team chat: membership there says "team", not which role.
 */
const SOURCE_STRENGTH: Readonly<Record<RosterSource, number>> = { api: 3, config: 2, teamChat: 1 };

/**
 * Merges roster entries from every source into one roster.
 *
 * When one user id appears more than once, the entry from the strongest source (api > config >
 * teamChat) gives the role and source; the name is the strongest non-empty one, because config
 * often lists an id with no name while the team chat knows it.
 *
 * The app decides who enters: it should pass the team chat's human members (not bots) as
 * `teamChat` entries with role `admin`, since sitting in the team chat says nothing about being
 * a manager.
 */
export function buildRoster(entries: Iterable<TeamMember>): Roster {
  const byId = new Map<number, TeamMember>();
  for (const entry of entries) {
    const prev = byId.get(entry.userId);
    if (prev === undefined) {
      byId.set(entry.userId, entry);
      continue;
    }
    const [strong, weak] = SOURCE_STRENGTH[entry.source] > SOURCE_STRENGTH[prev.source] ? [entry, prev] : [prev, entry];
    const name = strong.name.trim() !== '' ? strong.name : weak.name;
    byId.set(entry.userId, name === strong.name ? strong : { ...strong, name });
  }
  return { byId };
}

export const EMPTY_ROSTER: Roster = { byId: new Map() };

export function isTeamUser(roster: Roster, userId: number): boolean {
  return roster.byId.has(userId);
}

/**
 * True when the sender is on the roster. A message sent on behalf of a chat (an anonymous group
 * admin, a linked channel) has no user behind it and so is never team: the rule is exact, and
 * guessing would hide a client's message from the overdue clock.
 */
export function isTeamSender(roster: Roster, sender: SenderRef): boolean {
  return sender.kind === 'user' && roster.byId.has(sender.id);
}

export function teamMember(roster: Roster, userId: number): TeamMember | null {
  return roster.byId.get(userId) ?? null;
}
