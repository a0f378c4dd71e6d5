/**
 * Chat actions over the API, as the team's tokens call them: whose Telegram account a token may
 * change, who raised an alarm (an integration included), the team's own STABLE order, and unread
 * chats counted by kind.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sseSubscribe } from './helpers/api-clients.ts';
import { startApiHarness, type ApiHarness } from './helpers/api-harness.ts';
import { supportChat, type SupportChatPick, errorCodes as codes } from './helpers/api-fixtures.ts';
import { eventually } from './helpers/sim-daemon.ts';

let h: ApiHarness;

beforeAll(async () => {
  h = await startApiHarness();
});

afterAll(async () => {
  await h?.dispose();
});


/** The first support chat that an account other than the admin token's member sees. */
function foreignChat(): SupportChatPick {
  for (let n = 0; n < 100; n++) {
    const pick = supportChat(h, n);
    if (pick.accountUserId !== h.members.admin) return pick;
  }
  throw new Error('no support chat of another account');
}

/** The Telegram calls that change an account, made by that account's user. */
function changes(userId: number): string[] {
  const changing = new Set(['toggleChatIsPinned', 'setChatNotificationSettings', 'viewMessages', 'readAllChatMentions', 'toggleChatIsMarkedAsUnread']);
  return h.sim.demo.world
    .callLog({ accountUserId: userId })
    .filter((c) => changing.has(c.method))
    .map((c) => c.method);
}

interface Row {
  chat: { id: string; title: string; firstSeenAt: string };
  isPinned: boolean;
  manualPosition: number | null;
}

async function unpinnedOrder(accountId: string, stableKey: string): Promise<Row[]> {
  const r = await h.gql<{ dialogs: { nodes: Row[] } }>(`query ($a: ID!) { dialogs(accountId: $a, first: 500, stableKey: ${stableKey}) { nodes { chat { id title firstSeenAt } isPinned manualPosition } } }`, { a: accountId });
  expect(r.body.errors).toBeUndefined();
  return r.body.data!.dialogs.nodes.filter((n) => !n.isPinned);
}

describe('whose Telegram account a token changes', () => {
  it('lets an admin pin, mute and read all on their own account only and a manager on any; a refusal is FORBIDDEN, audited, and calls nothing', async () => {
    const own = supportChat(h, 0);
    expect(own.accountUserId).toBe(h.members.admin);
    const other = foreignChat();
    const admin = { token: h.tokens.admin };

    // On the admin's own account.
    const pinned = await h.gql<{ pinChat: { isPinned: boolean } }>('mutation ($a: ID!, $c: ID!) { pinChat(accountId: $a, chatId: $c) { isPinned } }', { a: own.accountId, c: own.chatId }, admin);
    expect(pinned.body.data).toEqual({ pinChat: { isPinned: true } });
    expect((await h.gql('mutation ($a: ID!, $c: ID!) { pinChat(accountId: $a, chatId: $c, pinned: false) { isPinned } }', { a: own.accountId, c: own.chatId }, admin)).body.data).toEqual({ pinChat: { isPinned: false } });

    // On someone else's: refused before Telegram hears of it.
    const before = changes(other.accountUserId);
    const attempts = [
      ['pinChat', 'mutation ($a: ID!, $c: ID!) { pinChat(accountId: $a, chatId: $c) { isPinned } }'],
      ['muteChat', 'mutation ($a: ID!, $c: ID!) { muteChat(accountId: $a, chatId: $c) { isMuted } }'],
      ['readAll', 'mutation ($a: ID!) { readAll(accountId: $a) { chatsRead } }'],
    ] as const;
    for (const [action, query] of attempts) {
      const r = await h.gql(query, { a: other.accountId, c: other.chatId }, admin);
      expect([action, codes(r.body)]).toEqual([action, ['FORBIDDEN']]);
      expect(r.body.errors![0]!.message).toContain('own account');
    }
    expect(changes(other.accountUserId)).toEqual(before);
    const audit = await h.gql<{ auditLog: { actor: string; action: string; accountId: string; outcome: string; errorCode: string }[] }>('{ auditLog(first: 3) { actor action accountId outcome errorCode } }');
    expect(audit.body.data!.auditLog.map((e) => [e.action, e.actor, e.accountId, e.outcome, e.errorCode])).toEqual([
      ['readAll', 'token:test-admin', other.accountId, 'ERROR', 'FORBIDDEN'],
      ['muteChat', 'token:test-admin', other.accountId, 'ERROR', 'FORBIDDEN'],
      ['pinChat', 'token:test-admin', other.accountId, 'ERROR', 'FORBIDDEN'],
    ]);

    // An admin token tied to nobody has no account of its own.
    const { token: memberless } = await h.sim.daemon.tokens.create({ name: 'memberless-admin-pin', role: 'admin' });
    expect(codes((await h.gql('mutation ($a: ID!, $c: ID!) { pinChat(accountId: $a, chatId: $c) { isPinned } }', { a: own.accountId, c: own.chatId }, { token: memberless })).body)).toEqual(['FORBIDDEN']);

    // A manager looks after every account.
    const byManager = await h.gql('mutation ($a: ID!, $c: ID!) { pinChat(accountId: $a, chatId: $c) { isPinned } }', { a: other.accountId, c: other.chatId });
    expect(byManager.body.data).toEqual({ pinChat: { isPinned: true } });
    expect(changes(other.accountUserId)).toEqual([...before, 'toggleChatIsPinned']);
    await h.gql('mutation ($a: ID!, $c: ID!) { pinChat(accountId: $a, chatId: $c, pinned: false) { isPinned } }', { a: other.accountId, c: other.chatId });
    const [last] = (await h.gql<{ auditLog: { actor: string; action: string; outcome: string }[] }>('{ auditLog(first: 1) { actor action outcome } }')).body.data!.auditLog;
    expect(last).toEqual({ actor: 'token:test-manager', action: 'unpinChat', outcome: 'OK' });
  });
});

describe('who raised an alarm', () => {
  it('names the integration token that raised it, in the mutation, the rows, the chat and the event stream, and keeps it across a restart', async () => {
    const chat = supportChat(h, 1);
    const events = sseSubscribe<{ events: { __typename: string; alarm?: { raisedByActor: string | null } } }>(h.graphqlUrl, h.tokens.viewer, 'subscription { events { __typename ... on AlarmRaisedEvent { alarm { raisedByActor } } } }');
    // The stream answers once it is subscribed: what is raised after that reaches it.
    expect(await events.status).toBe(200);
    const raised = await h.gql('mutation ($c: ID!) { raiseAlarm(chatId: $c, reason: "portal: critical task P-1042") { raisedBy { id } raisedByActor reason } }', { c: chat.chatId }, { token: h.tokens.integration });
    expect(raised.body.data).toEqual({ raiseAlarm: { raisedBy: null, raisedByActor: 'token:test-integration', reason: 'portal: critical task P-1042' } });
    const event = await events.inbox.waitFor((m) => m.data?.events.__typename === 'AlarmRaisedEvent', 10_000);
    expect(event.data!.events.alarm).toEqual({ raisedByActor: 'token:test-integration' });
    events.stop();
    const read = async (api: ApiHarness) =>
      (
        await api.gql<{ chat: { alarm: unknown }; dialog: { alarm: unknown } }>('query ($a: ID!, $c: ID!) { chat(id: $c) { alarm { raisedBy { id } raisedByActor } } dialog(accountId: $a, chatId: $c) { alarm { raisedBy { id } raisedByActor } } }', {
          a: chat.accountId,
          c: chat.chatId,
        })
      ).body.data;
    const expected = { chat: { alarm: { raisedBy: null, raisedByActor: 'token:test-integration' } }, dialog: { alarm: { raisedBy: null, raisedByActor: 'token:test-integration' } } };
    expect(await read(h)).toEqual(expected);
    // The wall's board names it too.
    const board = await h.gql<{ supportBoard: { chats: { chatId: string; alarm: { raisedByActor: string | null } | null }[] } }>('{ supportBoard { chats { chatId alarm { raisedByActor } } } }', {}, { token: h.tokens.viewer });
    expect(board.body.data!.supportBoard.chats.find((c) => c.chatId === chat.chatId)?.alarm).toEqual({ raisedByActor: 'token:test-integration' });
    h = await h.restart();
    expect(await read(h)).toEqual(expected);

    // A member's alarm names both the member and the token.
    await h.gql('mutation ($c: ID!) { clearAlarm(chatId: $c) }', { c: chat.chatId });
    const byAdmin = await h.gql('mutation ($c: ID!) { raiseAlarm(chatId: $c, reason: "db-prod-2 down") { raisedBy { id } raisedByActor } }', { c: chat.chatId }, { token: h.tokens.admin });
    expect(byAdmin.body.data).toEqual({ raiseAlarm: { raisedBy: { id: String(h.members.admin) }, raisedByActor: 'token:test-admin' } });
    await h.gql('mutation ($c: ID!) { clearAlarm(chatId: $c) }', { c: chat.chatId });
  }, 60_000);
});

describe("the team's own STABLE order", () => {
  it('orders unpinned chats by manual position or by creation, positions set per chat for every account, audited, with a dialogChanged per account', async () => {
    const own = supportChat(h, 0);
    const world = h.sim.demo.world;
    // A chat that appears now: first by title, last by creation.
    const client = world.addUser({ firstName: 'Ada', lastName: 'Client' });
    const fresh = String(world.createSupergroup('Aaa Newest Client', [own.accountUserId, client.id], [own.accountUserId], { creatorId: own.accountUserId }).id);
    expect(await eventually(() => h.sim.daemon.queries.dialog(own.accountId, fresh, null) !== null, 10_000)).toBe(true);

    const byTitle = await unpinnedOrder(own.accountId, 'TITLE');
    expect(byTitle[0]!.chat.id).toBe(fresh);
    const byCreation = await unpinnedOrder(own.accountId, 'CREATED');
    expect(byCreation.at(-1)!.chat.id).toBe(fresh);
    const seen = byCreation.map((r) => Date.parse(r.chat.firstSeenAt));
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(new Set(byCreation.map((r) => r.chat.id))).toEqual(new Set(byTitle.map((r) => r.chat.id)));

    // Two chats get positions: they lead the MANUAL order, the rest follow by title.
    const [second, first] = [byTitle[3]!.chat.id, byTitle.at(-1)!.chat.id];
    const accountsOf = (chatId: string) => h.sim.demo.accounts.filter((a) => h.sim.daemon.queries.dialog(a.accountId, chatId, null) !== null).map((a) => a.accountId).sort();
    const events = sseSubscribe<{ events: { __typename: string; accountId?: string; dialog?: { chat: { id: string }; manualPosition: number | null } } }>(
      h.graphqlUrl,
      h.tokens.viewer,
      'subscription { events { __typename ... on DialogChangedEvent { accountId dialog { chat { id } manualPosition } } } }',
    );
    expect(await events.status).toBe(200);
    const set = await h.gql('mutation ($c: ID!) { setChatPosition(chatId: $c, position: 1) { id manualPosition } }', { c: first }, { token: h.tokens.admin });
    expect(set.body.data).toEqual({ setChatPosition: { id: first, manualPosition: 1 } });
    expect((await h.gql('mutation ($c: ID!) { setChatPosition(chatId: $c, position: 2) { manualPosition } }', { c: second }, { token: h.tokens.admin })).body.errors).toBeUndefined();
    const changed = new Set<string>();
    for (const accountId of accountsOf(first)) {
      await events.inbox.waitFor((m) => m.data?.events.accountId === accountId && m.data.events.dialog?.chat.id === first && m.data.events.dialog.manualPosition === 1, 10_000);
      changed.add(accountId);
    }
    expect([...changed].sort()).toEqual(accountsOf(first));
    events.stop();

    const manual = await unpinnedOrder(own.accountId, 'MANUAL');
    expect(manual.slice(0, 2).map((r) => [r.chat.id, r.manualPosition])).toEqual([
      [first, 1],
      [second, 2],
    ]);
    expect(manual.slice(2).map((r) => r.chat.id)).toEqual(byTitle.map((r) => r.chat.id).filter((id) => id !== first && id !== second));
    // The title order ignores positions.
    expect((await unpinnedOrder(own.accountId, 'TITLE')).map((r) => r.chat.id)).toEqual(byTitle.map((r) => r.chat.id));
    const audit = await h.gql<{ auditLog: { actor: string; chatId: string; details: { position: number } }[] }>('{ auditLog(first: 2, action: "setChatPosition") { actor chatId details } }');
    expect(audit.body.data!.auditLog.map((e) => [e.actor, e.chatId, e.details.position])).toEqual([
      ['token:test-admin', second, 2],
      ['token:test-admin', first, 1],
    ]);

    // Bad input changes nothing; null takes a position away.
    expect(codes((await h.gql('mutation { setChatPosition(chatId: "-100404", position: 1) { id } }')).body)).toEqual(['NOT_FOUND']);
    for (const c of [first, second]) expect((await h.gql('mutation ($c: ID!) { setChatPosition(chatId: $c, position: null) { manualPosition } }', { c })).body.data).toEqual({ setChatPosition: { manualPosition: null } });
    expect((await unpinnedOrder(own.accountId, 'MANUAL')).map((r) => r.chat.id)).toEqual(byTitle.map((r) => r.chat.id));
  }, 60_000);
});

describe('unread chats by kind', () => {
  it('splits unreadChatCount by kind, over the rows that pass the filter', async () => {
    const own = supportChat(h, 0);
    // Something unread in the team chat, so two kinds count.
    h.sim.demo.world.setMarkedAsUnread(own.accountUserId, h.sim.demo.company.teamChat.id, true);
    const teamChat = String(h.sim.demo.company.teamChat.id);
    expect(await eventually(() => h.sim.daemon.queries.dialog(own.accountId, teamChat, null)?.isMarkedAsUnread === true)).toBe(true);
    type Counts = { support: number; team: number; personal: number; other: number };
    const q = async (filter: string) =>
      (
        await h.gql<{ dialogs: { unreadChatCount: number; unreadChatCounts: Counts; nodes: { chat: { kind: string }; isUnread: boolean }[] } }>(
          `query ($a: ID!) { dialogs(accountId: $a, first: 500${filter}) { unreadChatCount unreadChatCounts { support team personal other } nodes { chat { kind } isUnread } } }`,
          { a: own.accountId },
        )
      ).body.data!.dialogs;
    const all = await q('');
    const counted: Counts = { support: 0, team: 0, personal: 0, other: 0 };
    for (const n of all.nodes) if (n.isUnread) counted[n.chat.kind.toLowerCase() as keyof Counts]++;
    expect(all.unreadChatCounts).toEqual(counted);
    expect(all.unreadChatCounts.support).toBeGreaterThan(0);
    expect(all.unreadChatCounts.team).toBe(1);
    expect(Object.values(all.unreadChatCounts).reduce((a, b) => a + b, 0)).toBe(all.unreadChatCount);
    const support = await q(', filter: { kind: [SUPPORT] }');
    expect(support.unreadChatCounts).toEqual({ support: counted.support, team: 0, personal: 0, other: 0 });
    h.sim.demo.world.setMarkedAsUnread(own.accountUserId, h.sim.demo.company.teamChat.id, false);
  });
});
