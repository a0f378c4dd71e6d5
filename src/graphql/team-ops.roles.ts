/**
 * Who may call the team-operations mutations (auth.ts spreads these into MUTATION_ROLES).
 * Membership, the roster and duty are team settings: managers only. Alert channels are a
 * member's own choice (admins set their own, managers anyone's; team-ops.resolvers.ts checks).
 * A file of its own, with no imports, so auth.ts can take it without an import cycle.
 */
import type { ApiRole as Role } from '../app/tokens.ts';

const MANAGER: readonly Role[] = ['manager'];

export const TEAM_OPS_MUTATION_ROLES = {
  addMembersToChat: MANAGER,
  addMemberToChats: MANAGER,
  removeMemberFromChats: MANAGER,
  cancelJob: MANAGER,
  addTeamMember: MANAGER,
  removeTeamMember: MANAGER,
  setDutySchedule: MANAGER,
  removeDutySchedule: MANAGER,
  addDutyOverride: MANAGER,
  removeDutyOverride: MANAGER,
  setAlertChannels: ['admin', 'manager'] as readonly Role[],
} as const;
