/**
 * `sendMessage`, the API the operator console's composer uses, over real HTTP against a daemon
 * on the simulated Telegram: it sends as the token's own member's account only, honours that
 * member's preferences (no "typing…" unless wanted, links without preview if chosen), replies in
 * the account's own id space, surfaces Telegram's flood limit as FLOOD_WAIT with retryAfter and
 * sends nothing then, and audits every attempt without the text. The simulator's call log is the
 * witness of what reached Telegram.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConsoleDaemon, type ConsoleDaemon } from './helpers/console-daemon.ts';

let c: ConsoleDaemon;

beforeAll(async () => {
  c = await startConsoleDaemon();
});

afterAll(async () => {
  await c?.dispose();
});

const SEND = `mutation ($a: ID!, $c: ID!, $t: String!, $r: ID) {
  sendMessage(accountId: $a, chatId: $c, text: $t, replyTo: $r) {
    sentTyping linkPreviews date
    message { id text replyToId sender { id isTeam } }
  }
}`;
const PREFS = 'mutation ($t: Boolean, $p: Boolean) { setPreferences(sendTyping: $t, linkPreviews: $p) { sendTyping linkPreviews } }';

interface Sent {
  sendMessage: { sentTyping: boolean; linkPreviews: boolean; date: string; message: { id: string; text: string; replyToId: string | null; sender: { id: string; isTeam: boolean } } | null };
}

async function errorOf(p: Promise<unknown>): Promise<{ message: string; extensions?: Record<string, unknown> }> {
  try {
    await p;
  } catch (e) {
    return (e as { errors: { message: string; extensions?: Record<string, unknown> }[] }).errors[0]!;
  }
  throw new Error('expected an error');
}

/** A client chat the admin's account is in, of the given kind. */
function adminChat(kind: 'supergroup' | 'basicGroup') {
  const chat = c.demo.company.clientChats.find((x) => x.kind === kind && x.teamIds.includes(c.admin.userId));
  if (!chat) throw new Error(`the admin's account is in no ${kind}`);
  return chat;
}

describe('sendMessage', () => {
  it('sends as the member, with no typing status and no link preview when the member chose so, and returns the stored message', async () => {
    await c.gql(PREFS, { t: false, p: false }, c.admin.token);
    const chat = adminChat('supergroup');
    c.demo.world.clearCalls();
    const text = 'Проверили, всё работает: https://status.example.com/incidents/42';
    const r = await c.gql<Sent>(SEND, { a: c.admin.accountId, c: String(chat.chatId), t: text }, c.admin.token);
    expect(r.sendMessage).toMatchObject({ sentTyping: false, linkPreviews: false });
    expect(r.sendMessage.message).toMatchObject({ text, sender: { id: `u${c.admin.userId}`, isTeam: true } });
    const calls = c.demo.world.callLog({ accountUserId: c.admin.userId });
    expect(calls.filter((x) => x.method === 'sendChatAction')).toEqual([]);
    const sends = calls.filter((x) => x.method === 'sendMessage');
    expect(sends).toHaveLength(1);
    const request = sends[0]!.request as { chat_id: number; input_message_content: { text: { text: string }; link_preview_options?: { is_disabled: boolean } } };
    expect(request.chat_id).toBe(chat.chatId);
    expect(request.input_message_content.text.text).toBe(text);
    expect(request.input_message_content.link_preview_options?.is_disabled).toBe(true);
    // Nobody else's account sent anything, and nothing was read or opened.
    expect(c.demo.world.callLog().filter((x) => x.accountUserId !== c.admin.userId && x.method === 'sendMessage')).toEqual([]);
    expect(calls.filter((x) => ['viewMessages', 'openChat'].includes(x.method))).toEqual([]);
  });

  it('shows "typing…" first and lets links preview when the member wants both', async () => {
    await c.gql(PREFS, { t: true, p: true }, c.admin.token);
    const chat = adminChat('supergroup');
    c.demo.world.clearCalls();
    const r = await c.gql<Sent>(SEND, { a: c.admin.accountId, c: String(chat.chatId), t: 'see https://example.com' }, c.admin.token);
    expect(r.sendMessage).toMatchObject({ sentTyping: true, linkPreviews: true });
    const methods = c.demo.world.callLog({ accountUserId: c.admin.userId }).map((x) => x.method).filter((m) => m === 'sendChatAction' || m === 'sendMessage');
    expect(methods).toEqual(['sendChatAction', 'sendMessage']);
    const request = c.demo.world.callLog({ accountUserId: c.admin.userId, method: 'sendMessage' })[0]!.request as { input_message_content: { link_preview_options?: unknown } };
    expect(request.input_message_content.link_preview_options).toBeUndefined();
    await c.gql(PREFS, { t: false, p: false }, c.admin.token);
  });

  it('replies in a basic group, where each account numbers messages its own way', async () => {
    const chat = adminChat('basicGroup');
    const page = await c.gql<{ messages: { blocks: { messages: { id: string; isService: boolean; text: string }[] }[] } }>(
      'query ($c: ID!) { messages(chatId: $c, first: 20) { blocks { messages { id isService text } } } }',
      { c: String(chat.chatId) },
      c.admin.token,
    );
    const target = page.messages.blocks.flatMap((b) => b.messages).filter((m) => !m.isService).at(-1)!;
    const r = await c.gql<Sent>(SEND, { a: c.admin.accountId, c: String(chat.chatId), t: 'Отвечаю на это', r: target.id }, c.admin.token);
    expect(r.sendMessage.message?.replyToId).toBe(target.id);
  });

  it('refuses another member\'s account, someone else\'s chat message, empty and oversized text, changing nothing', async () => {
    const chat = adminChat('supergroup');
    c.demo.world.clearCalls();
    const foreign = await errorOf(c.gql(SEND, { a: c.manager.accountId, c: String(chat.chatId), t: 'hi' }, c.admin.token));
    expect(foreign.extensions?.['code']).toBe('FORBIDDEN');
    expect((await errorOf(c.gql(SEND, { a: c.admin.accountId, c: String(chat.chatId), t: '  \n ' }, c.admin.token))).extensions?.['code']).toBe('BAD_USER_INPUT');
    expect((await errorOf(c.gql(SEND, { a: c.admin.accountId, c: String(chat.chatId), t: 'x'.repeat(4097) }, c.admin.token))).extensions?.['code']).toBe('BAD_USER_INPUT');
    const other = c.demo.company.clientChats.find((x) => x.chatId !== chat.chatId && x.teamIds.includes(c.admin.userId))!;
    const otherPage = await c.gql<{ messages: { blocks: { messages: { id: string }[] }[] } }>('query ($c: ID!) { messages(chatId: $c, first: 5) { blocks { messages { id } } } }', { c: String(other.chatId) }, c.admin.token);
    const otherId = otherPage.messages.blocks[0]!.messages[0]!.id;
    expect((await errorOf(c.gql(SEND, { a: c.admin.accountId, c: String(chat.chatId), t: 'reply', r: otherId }, c.admin.token))).extensions?.['code']).toBe('BAD_USER_INPUT');
    const viewer = (await c.daemon.tokens.create({ name: 'console-viewer', role: 'viewer' })).token;
    expect((await errorOf(c.gql(SEND, { a: c.admin.accountId, c: String(chat.chatId), t: 'hi' }, viewer))).extensions?.['code']).toBe('FORBIDDEN');
    expect(c.demo.world.callLog({ method: 'sendMessage' })).toEqual([]);
  });

  it('surfaces a long flood wait as FLOOD_WAIT with retryAfter, sends nothing, and audits it without the text', async () => {
    const chat = adminChat('supergroup');
    c.demo.world.failures.tooManyRequests({ method: 'sendMessage', accountUserId: c.admin.userId, retryAfter: 90, times: 1 });
    const before = c.daemon.model.chats.get(String(chat.chatId))!.lastMessage?.messageId;
    const secret = 'пароль от сервера: hunter2';
    const e = await errorOf(c.gql(SEND, { a: c.admin.accountId, c: String(chat.chatId), t: secret }, c.admin.token));
    expect(e.extensions).toMatchObject({ code: 'FLOOD_WAIT', retryAfter: 90 });
    expect(c.daemon.model.chats.get(String(chat.chatId))!.lastMessage?.messageId).toBe(before);
    const audit = await c.daemon.audit.list({ limit: 5, action: 'sendMessage' });
    expect(audit[0]).toMatchObject({ outcome: 'error', errorCode: 'FLOOD_WAIT', accountId: c.admin.accountId });
    expect(audit[0]!.details).toMatchObject({ length: secret.length, memberUserId: c.admin.userId });
    expect(JSON.stringify(audit)).not.toContain('hunter2');
    // Once the wait is over, it goes through.
    const r = await c.gql<Sent>(SEND, { a: c.admin.accountId, c: String(chat.chatId), t: 'now it works' }, c.admin.token);
    expect(r.sendMessage.message?.text).toBe('now it works');
    expect((await c.daemon.audit.list({ limit: 1, action: 'sendMessage' }))[0]).toMatchObject({ outcome: 'ok' });
  });
});
