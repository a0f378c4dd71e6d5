/**
 * Who may do what. Every request carries an API token (app/tokens.ts); its role decides which
 * operations it may run. Reads are open to every role except where listed; every mutation is
 * listed, and the type below makes the build fail when a mutation is added to the schema
 * without a decision here.
 *
 * | role        | reads | chat actions | team settings | alarm |
 * |-------------|-------|--------------|---------------|-------|
 * | viewer      | yes   |              |               |       |
 * | admin       | yes   | yes          |               | yes   |
 * | manager     | yes   | yes          | yes           | yes   |
 * | integration | yes   |              |               | raise |
 *
 * The role is the first gate. The Telegram actions (pin, mute, read all) have a second one in the
 * app, because they change a real person's account: an admin's token acts only on its own team
 * member's account, a manager's on any (src/app/actions.ts, the actor's `accountScope`).
 */
import type { ApiRole, Principal } from '../app/tokens.ts';
import { DomainError } from '../domain/errors.ts';
import type { MutationResolvers, QueryResolvers } from './generated/resolvers-types.ts';
import { TEAM_OPS_MUTATION_ROLES } from './team-ops.roles.ts';

const CHAT_ACTION: readonly ApiRole[] = ['admin', 'manager'];
const TEAM_SETTING: readonly ApiRole[] = ['manager'];

export const MUTATION_ROLES: { readonly [K in keyof Required<MutationResolvers>]: readonly ApiRole[] } = {
  pinChat: CHAT_ACTION,
  muteChat: CHAT_ACTION,
  readAll: CHAT_ACTION,
  // The portal may escalate a chat (a critical task) so that everybody looks at it.
  raiseAlarm: ['admin', 'manager', 'integration'],
  clearAlarm: CHAT_ACTION,
  acknowledge: CHAT_ACTION,
  starChat: CHAT_ACTION,
  setPreferences: CHAT_ACTION,
  // Sends as the token's own member's account only (src/app/messaging.ts).
  sendMessage: CHAT_ACTION,
  // The team's own order of chats (STABLE by manual position): tgdesk only, never Telegram.
  setChatPosition: CHAT_ACTION,
  setChatKind: TEAM_SETTING,
  setChatPolicy: TEAM_SETTING,
  putPolicy: TEAM_SETTING,
  // Tasks: the team makes them; the portal may also change, close and reopen them (docs/portal.md).
  createTask: CHAT_ACTION,
  markMessageAsTask: CHAT_ACTION,
  updateTask: ['admin', 'manager', 'integration'],
  closeTask: ['admin', 'manager', 'integration'],
  reopenTask: ['admin', 'manager', 'integration'],
  retryPortalDeliveries: CHAT_ACTION,
  // Membership jobs, the roster, duty and alert channels (team-ops.roles.ts).
  ...TEAM_OPS_MUTATION_ROLES,
};

/** Reads closed to some roles; every other query is open to all. */
export const QUERY_ROLES: { readonly [K in keyof QueryResolvers]?: readonly ApiRole[] } = {
  // Who did what is the team's business, not the wall's or the portal's.
  auditLog: ['admin', 'manager'],
  // Delivery bodies hold whole discussions; the wall has no use for them.
  portalDeliveries: ['admin', 'manager', 'integration'],
  portalStatus: ['admin', 'manager', 'integration'],
};

/**
 * Who sees a membership item's one-use invite link: whoever holds it can join the client's chat,
 * so only the managers who run jobs do; every other token reads null (the item, its state and
 * reason stay visible). It applies wherever an item is shown: `membershipJob`, `jobProgress` and
 * the `events` stream.
 */
export const INVITE_LINK_ROLES: readonly ApiRole[] = ['manager'];

export function requireRole(principal: Principal, allowed: readonly ApiRole[], what: string): void {
  if (!allowed.includes(principal.role)) {
    throw new DomainError('FORBIDDEN', `${what} needs the role ${allowed.join(' or ')}; this token has ${principal.role}`, { required: [...allowed] });
  }
}

/** The token of an `Authorization: Bearer …` header, or null. */
export function bearerToken(header: string | null | undefined): string | null {
  if (!header) return null;
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  return m ? m[1]! : null;
}

/**
 * The token of a graphql-ws connection: `connectionParams.authorization` ("Bearer …" or the
 * bare token), `connectionParams.token`, or the upgrade request's Authorization header
 * (clients outside browsers can send one).
 */
export function connectionToken(params: Readonly<Record<string, unknown>> | undefined, header: string | undefined): string | null {
  const auth = params?.['authorization'] ?? params?.['Authorization'];
  if (typeof auth === 'string') return bearerToken(auth) ?? (auth.trim() || null);
  const token = params?.['token'];
  if (typeof token === 'string' && token.trim()) return token.trim();
  return bearerToken(header);
}
