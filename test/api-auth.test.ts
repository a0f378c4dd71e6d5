/**
 * Every role against every mutation, over HTTP: a role that is not allowed gets FORBIDDEN and
 * changes nothing; an allowed role gets through (its outcome is the action's own).
 *
 * Who may do what is written down here from the issue and docs/api.md, not read from the code's
 * table (src/graphql/auth.ts): a wrong entry there must fail this test, not move it along.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiRole } from '../src/app/tokens.ts';
import { startApiHarness, type ApiHarness } from './helpers/api-harness.ts';
import { supportChat } from './helpers/api-fixtures.ts';
import { teamOpsRoleCases } from './helpers/team-ops-cases.ts';

let h: ApiHarness;

beforeAll(async () => {
  h = await startApiHarness();
});

afterAll(async () => {
  await h?.dispose();
});

const ROLES: readonly ApiRole[] = ['viewer', 'admin', 'manager', 'integration'];

interface Case {
  readonly query: string;
  readonly variables: (role: ApiRole) => Record<string, unknown>;
  /** Puts things back after an allowed call, so the next role starts from the same state. */
  readonly undo?: string;
  /** The undo acts for the caller's own team member (stars, preferences). */
  readonly undoAsCaller?: boolean;
}

const chat = () => supportChat(h, 0);
// The task mutations act on a message of that chat, and on one task made from it beforehand.
const lastMessageId = () => h.sim.daemon.model.chats.get(chat().chatId)!.lastMessage!.messageId;
let taskId = '';
beforeAll(async () => {
  taskId = (await h.sim.daemon.tasks.createTask({ label: 'test', memberUserId: null }, { chatKey: chat().chatId, messageIds: [lastMessageId()] })).id;
});
const v = () => ({ a: chat().accountId, c: chat().chatId });

const CASES: Record<string, Case> = {
  pinChat: { query: 'mutation ($a: ID!, $c: ID!) { pinChat(accountId: $a, chatId: $c) { isPinned } }', variables: v, undo: 'mutation ($a: ID!, $c: ID!) { pinChat(accountId: $a, chatId: $c, pinned: false) { isPinned } }' },
  muteChat: {
    query: 'mutation ($a: ID!, $c: ID!) { muteChat(accountId: $a, chatId: $c, forSeconds: 3600) { isMuted } }',
    variables: v,
    undo: 'mutation ($a: ID!, $c: ID!) { muteChat(accountId: $a, chatId: $c, muted: false) { isMuted } }',
  },
  readAll: { query: 'mutation ($a: ID!) { readAll(accountId: $a, kind: TEAM) { chatsRead failed } }', variables: () => ({ a: chat().accountId }) },
  raiseAlarm: { query: 'mutation ($c: ID!) { raiseAlarm(chatId: $c, reason: "roles") { reason raisedAt } }', variables: () => ({ c: chat().chatId }), undo: 'mutation ($c: ID!) { clearAlarm(chatId: $c) }' },
  clearAlarm: { query: 'mutation ($c: ID!) { clearAlarm(chatId: $c) }', variables: () => ({ c: chat().chatId }) },
  acknowledge: { query: 'mutation ($c: ID!) { acknowledge(chatId: $c) { by { id } at } }', variables: () => ({ c: chat().chatId }) },
  starChat: { query: 'mutation ($c: ID!) { starChat(chatId: $c) }', variables: () => ({ c: chat().chatId }), undo: 'mutation ($c: ID!) { starChat(chatId: $c, starred: false) }', undoAsCaller: true },
  setChatKind: { query: 'mutation ($c: ID!) { setChatKind(chatId: $c, kind: SUPPORT) { kind } }', variables: () => ({ c: chat().chatId }), undo: 'mutation ($c: ID!) { setChatKind(chatId: $c, kind: null) { kind } }' },
  setChatPolicy: { query: 'mutation ($c: ID!) { setChatPolicy(chatId: $c, policyId: null) { policy { id } } }', variables: () => ({ c: chat().chatId }) },
  putPolicy: { query: 'mutation { putPolicy(input: { id: "night", name: "Night", thresholdSeconds: 1800 }) { id thresholdSeconds } }', variables: () => ({}) },
  setPreferences: { query: 'mutation { setPreferences(sendTyping: false) { sendTyping linkPreviews } }', variables: () => ({}), undo: 'mutation { setPreferences(sendTyping: true) { sendTyping } }', undoAsCaller: true },
  createTask: { query: 'mutation ($c: ID!, $m: ID!) { createTask(chatId: $c, messageIds: [$m]) { id status } }', variables: () => ({ c: chat().chatId, m: lastMessageId() }) },
  markMessageAsTask: { query: 'mutation ($c: ID!, $m: ID!) { markMessageAsTask(chatId: $c, messageId: $m) { id } }', variables: () => ({ c: chat().chatId, m: lastMessageId() }) },
  updateTask: { query: 'mutation ($t: ID!) { updateTask(id: $t, title: "Roles") { title } }', variables: () => ({ t: taskId }) },
  closeTask: { query: 'mutation ($t: ID!) { closeTask(id: $t) { status } }', variables: () => ({ t: taskId }), undo: 'mutation ($t: ID!) { reopenTask(id: $t) { status } }' },
  reopenTask: { query: 'mutation ($t: ID!) { reopenTask(id: $t) { status } }', variables: () => ({ t: taskId }) },
  retryPortalDeliveries: { query: 'mutation { retryPortalDeliveries(ids: []) { id } }', variables: () => ({}) },
  // Sends as the caller's own account, into the team chat (no client waits there).
  sendMessage: { query: 'mutation ($a: ID!, $c: ID!) { sendMessage(accountId: $a, chatId: $c, text: "roles") { sentTyping } }', variables: (role) => ({ a: h.sim.demo.accounts[h.sim.demo.company.accounts.findIndex((m) => m.userId === (role === 'manager' ? h.members.manager : h.members.admin))]!.accountId, c: String(h.sim.demo.company.teamChat.id) }) },
  ...teamOpsRoleCases(() => h, chat),
};

/**
 * The roles as the issue and docs/api.md give them. viewer: read-only (the NOC wall). admin: the
 * chat actions, tasks made from messages, their own alert channels, and re-sending the portal's
 * dead letters. manager: also membership, the roster, duty and team settings. integration (the
 * portal): escalate with an alarm, and change, close and reopen tasks (docs/portal.md).
 */
const CHAT_ACTIONS = [
  'pinChat',
  'muteChat',
  'readAll',
  'raiseAlarm',
  'clearAlarm',
  'acknowledge',
  'starChat',
  'setChatPosition',
  'setPreferences',
  'sendMessage',
  'createTask',
  'markMessageAsTask',
  'updateTask',
  'closeTask',
  'reopenTask',
  'retryPortalDeliveries',
  'setAlertChannels',
] as const;
const TEAM_SETTINGS = [
  'setChatKind',
  'setChatPolicy',
  'putPolicy',
  'addMembersToChat',
  'addMemberToChats',
  'removeMemberFromChats',
  'cancelJob',
  'addTeamMember',
  'removeTeamMember',
  'setDutySchedule',
  'removeDutySchedule',
  'addDutyOverride',
  'removeDutyOverride',
] as const;
const PORTAL = ['raiseAlarm', 'updateTask', 'closeTask', 'reopenTask'] as const;

const EXPECTED: Readonly<Record<ApiRole, ReadonlySet<string>>> = {
  viewer: new Set(),
  admin: new Set(CHAT_ACTIONS),
  manager: new Set([...CHAT_ACTIONS, ...TEAM_SETTINGS]),
  integration: new Set(PORTAL),
};
const allowedRoles = (mutation: string) => ROLES.filter((r) => EXPECTED[r].has(mutation));

interface SchemaField {
  name: string;
  description: string | null;
}

describe('roles × mutations', () => {
  it('has a case and an expected role for every mutation of the schema, and nothing else', async () => {
    const r = await h.gql<{ __schema: { mutationType: { fields: SchemaField[] } } }>('{ __schema { mutationType { fields { name description } } } }');
    const names = r.body.data!.__schema.mutationType.fields.map((f) => f.name).sort();
    expect(names).toEqual(Object.keys(CASES).sort());
    expect(names).toEqual([...new Set([...CHAT_ACTIONS, ...TEAM_SETTINGS, ...PORTAL])].sort());
  });

  it("documents each mutation's roles in its schema description as this table has them", async () => {
    const r = await h.gql<{ __schema: { mutationType: { fields: SchemaField[] } } }>('{ __schema { mutationType { fields { name description } } } }');
    for (const f of r.body.data!.__schema.mutationType.fields) {
      const roles = /Roles:\s*([a-z,\s]+?)\.?\s*$/.exec(f.description ?? '')?.[1];
      expect(roles, `${f.name}: its description names no roles`).toBeDefined();
      expect(roles!.split(/[,\s]+/).filter(Boolean).sort(), f.name).toEqual(allowedRoles(f.name).sort());
    }
  });

  for (const [name, c] of Object.entries(CASES)) {
    for (const role of ROLES) {
      const allowed = EXPECTED[role].has(name);
      it(`${name} as ${role}: ${allowed ? 'allowed' : 'FORBIDDEN'}`, async () => {
        const auditBefore = await h.sim.daemon.audit.list({ limit: 1 });
        const r = await h.gql(c.query, c.variables(role), { token: h.tokens[role] });
        expect(r.status).toBe(200);
        const codes = (r.body.errors ?? []).map((e) => e.extensions?.['code']);
        if (allowed) {
          expect(codes).not.toContain('FORBIDDEN');
          expect(r.body.errors).toBeUndefined();
          if (c.undo) expect((await h.gql(c.undo, c.variables(role), { token: h.tokens[c.undoAsCaller ? role : 'manager'] })).body.errors).toBeUndefined();
        } else {
          expect(codes).toEqual(['FORBIDDEN']);
          expect(r.body.errors![0]!.message).toContain(role);
          expect(r.body.data).toBeNull();
          // Refused before acting: not even an audit entry.
          expect(await h.sim.daemon.audit.list({ limit: 1 })).toEqual(auditBefore);
        }
      });
    }
  }
});

describe('reads and members', () => {
  it('lets every role read, and only admins and managers read the audit log, which names the token', async () => {
    for (const role of ROLES) {
      const r = await h.gql('{ teamSummary { alarms } accounts { id } }', undefined, { token: h.tokens[role] });
      expect(r.body.errors).toBeUndefined();
      const audit = await h.gql<{ auditLog: { actor: string; action: string; outcome: string }[] }>('{ auditLog(first: 200) { id at actor action accountId chatId details outcome errorCode } }', undefined, {
        token: h.tokens[role],
      });
      if (role === 'admin' || role === 'manager') {
        expect(audit.body.errors).toBeUndefined();
        expect(audit.body.data!.auditLog.some((e) => e.actor === 'token:test-admin' && e.action === 'raiseAlarm' && e.outcome === 'OK')).toBe(true);
      } else expect(audit.body.errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');
    }
  });

  it('needs a token tied to a team member for stars, acknowledgements and preferences', async () => {
    const { token } = await h.sim.daemon.tokens.create({ name: 'memberless-admin', role: 'admin' });
    for (const q of [`mutation { starChat(chatId: "${chat().chatId}") }`, `mutation { acknowledge(chatId: "${chat().chatId}") { at } }`, 'mutation { setPreferences(linkPreviews: false) { linkPreviews } }']) {
      const r = await h.gql(q, undefined, { token });
      expect(r.body.errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');
      expect(r.body.errors?.[0]?.message).toContain('team member');
    }
  });

  it('stores preferences per member and returns them', async () => {
    const set = await h.gql('mutation { setPreferences(linkPreviews: false) { memberId sendTyping linkPreviews } }', undefined, { token: h.tokens.admin });
    expect(set.body.data).toEqual({ setPreferences: { memberId: String(h.members.admin), sendTyping: true, linkPreviews: false } });
    expect((await h.gql('{ preferences { linkPreviews } }', undefined, { token: h.tokens.admin })).body.data).toEqual({ preferences: { linkPreviews: false } });
    expect((await h.gql('{ preferences { linkPreviews } }', undefined, { token: h.tokens.manager })).body.data).toEqual({ preferences: { linkPreviews: true } });
    expect((await h.gql('{ preferences { linkPreviews } }', undefined, { token: h.tokens.viewer })).body.data).toEqual({ preferences: null });
    expect(await h.sim.daemon.preferences.get(h.members.admin)).toMatchObject({ sendTyping: true, linkPreviews: false });
  });

  it('gives Telegram refusals their codes: PIN_LIMIT past the pin limit', async () => {
    const accountId = chat().accountId;
    const r = await h.gql<{ dialogs: { nodes: { chat: { id: string }; isPinned: boolean }[] } }>(`{ dialogs(accountId: "${accountId}", first: 500) { nodes { chat { id } isPinned } } }`);
    const unpinned = r.body.data!.dialogs.nodes.filter((n) => !n.isPinned).map((n) => n.chat.id);
    const pinned: string[] = [];
    let refusal: { message: string; extensions?: Record<string, unknown> } | undefined;
    for (const c of unpinned.slice(0, 12)) {
      const p = await h.gql(`mutation { pinChat(accountId: "${accountId}", chatId: "${c}") { isPinned } }`);
      if (p.body.errors) {
        refusal = p.body.errors[0];
        break;
      }
      pinned.push(c);
    }
    for (const c of pinned) await h.gql(`mutation { pinChat(accountId: "${accountId}", chatId: "${c}", pinned: false) { isPinned } }`);
    expect(refusal?.extensions?.['code']).toBe('PIN_LIMIT');
  });
});
