/**
 * The team-operations mutations for the roles × mutations test (test/api-auth.test.ts): each
 * case is harmless when allowed (dry runs, a job with nothing to do, undone settings), so the
 * next role starts from the same state. It also carries the cases of mutations added beside the
 * team operations since (setChatPosition), so that test covers every mutation of the schema.
 */
import { beforeAll } from 'vitest';
import type { TEAM_OPS_MUTATION_ROLES } from '../../src/graphql/team-ops.roles.ts';
import type { ApiHarness } from './api-harness.ts';
import type { SupportChatPick } from './api-fixtures.ts';

interface RoleCase {
  readonly query: string;
  readonly variables: () => Record<string, unknown>;
  readonly undo?: string;
  readonly undoAsCaller?: boolean;
}

/** A Telegram user id on nobody's roster and in no chat. */
const STRANGER = '999000111';

export function teamOpsRoleCases(harness: () => ApiHarness, chat: () => SupportChatPick): Record<keyof typeof TEAM_OPS_MUTATION_ROLES | 'setChatPosition', RoleCase> {
  // A finished job to cancel: the account's own user is already in the chat, so nothing is done.
  let jobId = '';
  beforeAll(async () => {
    const { job } = await harness().sim.daemon.teamOps.jobs.create({ label: 'test', memberUserId: null }, { kind: 'addMemberToChats', memberUserId: chat().accountUserId, chatKeys: [chat().chatId] });
    jobId = String(job!.id);
  });
  const cm = () => ({ c: chat().chatId, m: String(chat().teamUserId) });
  return {
    addMembersToChat: { query: 'mutation ($c: ID!, $m: ID!) { addMembersToChat(chatId: $c, memberIds: [$m], dryRun: true) { plan { counts { todo skip impossible } } job { id } } }', variables: cm },
    addMemberToChats: { query: 'mutation ($c: ID!, $m: ID!) { addMemberToChats(memberId: $m, chatIds: [$c], dryRun: true) { plan { items { outcome reason } } } }', variables: cm },
    removeMemberFromChats: {
      query: 'mutation ($c: ID!, $m: ID!) { removeMemberFromChats(memberId: $m, chatIds: [$c], dryRun: true) { plan { counts { todo } } } }',
      variables: () => ({ c: chat().chatId, m: String(chat().clientUserId) }),
    },
    cancelJob: { query: 'mutation ($j: ID!) { cancelJob(jobId: $j) { id state } }', variables: () => ({ j: jobId }) },
    addTeamMember: {
      query: `mutation { addTeamMember(userId: "${STRANGER}", role: ADMIN, name: "Role test") { id role source } }`,
      variables: () => ({}),
      undo: `mutation { removeTeamMember(userId: "${STRANGER}") }`,
    },
    removeTeamMember: { query: `mutation { removeTeamMember(userId: "${STRANGER}") }`, variables: () => ({}) },
    setDutySchedule: {
      query: 'mutation ($m: ID!) { setDutySchedule(memberId: $m, timeZone: "Europe/Berlin", shifts: [{ day: 1, from: "09:00", to: "18:00" }]) { memberId } }',
      variables: () => ({ m: String(harness().members.admin) }),
      undo: 'mutation ($m: ID!) { removeDutySchedule(memberId: $m) }',
    },
    removeDutySchedule: { query: 'mutation ($m: ID!) { removeDutySchedule(memberId: $m) }', variables: () => ({ m: String(harness().members.admin) }) },
    addDutyOverride: {
      query: 'mutation ($m: ID!) { addDutyOverride(memberId: $m, from: "2000-01-01T00:00:00Z", to: "2000-01-02T00:00:00Z", onDuty: false, note: "roles") { id } }',
      variables: () => ({ m: String(harness().members.admin) }),
    },
    removeDutyOverride: { query: 'mutation { removeDutyOverride(id: "999999") }', variables: () => ({}) },
    setChatPosition: {
      query: 'mutation ($c: ID!) { setChatPosition(chatId: $c, position: 3) { manualPosition } }',
      variables: () => ({ c: chat().chatId }),
      undo: 'mutation ($c: ID!) { setChatPosition(chatId: $c, position: null) { manualPosition } }',
    },
    setAlertChannels: { query: 'mutation { setAlertChannels(channels: [DM]) }', variables: () => ({}), undo: 'mutation { setAlertChannels(channels: null) }', undoAsCaller: true },
  };
}
