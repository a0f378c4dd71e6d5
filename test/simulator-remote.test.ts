/**
 * The simulator over a real WebSocket on 127.0.0.1: the ground truth stays in the test process
 * while a client (later the daemon in a child process) talks TDLib to it. A socket that goes
 * away without `close` is a crashed client.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { SimTdError, connectRemoteSimulator, createSimWorld, serveSimWorld, type SimServer } from '../src/tdlib/simulator/index.ts';
import { drain, fullHistory, loadAllChats, ready, record, rejection, testClock, textOf } from './simulator-helpers.ts';

const servers: SimServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

function setup() {
  const clock = testClock();
  const world = createSimWorld({ seed: 31, clock: clock.now, historyPaging: 'full' });
  const admin = world.addUser({ firstName: 'Admin', lastName: 'Remote', username: 'admin_remote', phone: '+7 900 111 22 33', account: true });
  const client = world.addUser({ firstName: 'Client' });
  const sg = world.createSupergroup('Remote client', [admin.id, client.id], [admin.id]);
  const bg = world.createBasicGroup('Remote basic', [admin.id, client.id], [admin.id]);
  return { world, clock, admin, client, sg, bg };
}

async function serve(world: Parameters<typeof serveSimWorld>[0]) {
  const server = await serveSimWorld(world, { host: '127.0.0.1', port: 0 });
  servers.push(server);
  return server;
}

describe('remote simulator', () => {
  it('round-trips requests, updates and TDLib errors over a real socket, in order', async () => {
    const { world, admin, client, sg, bg } = setup();
    world.sendMessage({ chat: sg, senderId: client.id, text: 'ENOSPC on backup-01' });
    const server = await serve(world);
    expect(server.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/);

    const t = connectRemoteSimulator(server.url, admin.id);
    const rec = record(t);
    await ready(rec);
    expect((await t.invoke({ _: 'getMe' })).id).toBe(admin.id);
    expect(await loadAllChats(t)).toBe(1);
    // updateNewChat came before loadChats answered.
    expect(rec.of('updateNewChat').map((u) => u.chat.id).sort()).toEqual([sg.id, bg.id].sort());
    const { messages } = await fullHistory(t, sg.id);
    expect(textOf(messages[0])).toBe('ENOSPC on backup-01');

    const pending = await t.invoke({ _: 'sendMessage', chat_id: sg.id, input_message_content: { _: 'inputMessageText', text: { _: 'formattedText', text: 'Почистил место' } } });
    const sent = await rec.waitFor('updateMessageSendSucceeded', (u) => u.old_message_id === pending.id);
    expect(world.allMessages().at(-1)).toMatchObject({ text: 'Почистил место', senderId: admin.id, messageIds: { [admin.id]: sent.message.id } });

    world.sendMessage({ chat: bg, senderId: client.id, text: 'спасибо' });
    await rec.waitFor('updateNewMessage', (u) => textOf(u.message) === 'спасибо');

    const error = await rejection(t.invoke({ _: 'getMessageLink', chat_id: bg.id, message_id: 1048576 }));
    expect(error).toBeInstanceOf(SimTdError);
    expect(error).toMatchObject({ _: 'error', code: 400, message: 'Message links are available only for messages in supergroups and channel chats' });

    // The call log lives with the world, in the test process.
    expect(world.callLog({ accountUserId: admin.id }).map((c) => c.method)).toContain('sendMessage');
    await t.close();
    expect(rec.of('updateAuthorizationState').at(-1)?.authorization_state._).toBe('authorizationStateClosed');
    await expect(t.invoke({ _: 'getMe' })).rejects.toThrow('Client was closed');
    await drain();
    expect(world.isConnected(admin.id)).toBe(false);
  });

  it('lists the accounts over HTTP so a daemon process can be configured from the world', async () => {
    const { world, admin } = setup();
    const server = await serve(world);
    const res = await fetch(`${server.url.replace(/^ws/, 'http')}/accounts`);
    expect(await res.json()).toEqual([{ userId: admin.id, name: 'Admin Remote', username: 'admin_remote', phone: '+7 900 111 22 33' }]);
  });

  it('treats a socket that drops as a crashed client, which reconnects and reconciles through history', async () => {
    const { world, admin, client, sg } = setup();
    const server = await serve(world);
    const first = connectRemoteSimulator(server.url, admin.id, { restart: 'latest' });
    const errors: unknown[] = [];
    const failed = new Promise<void>((resolve) =>
      first.onError((e) => {
        errors.push(e);
        resolve();
      }),
    );
    const rec = record(first);
    await ready(rec);
    await loadAllChats(first);
    expect(world.isConnected(admin.id)).toBe(true);

    // The daemon process is killed: its socket goes away without `close`.
    await server.close();
    servers.length = 0;
    await failed;
    await drain();
    expect(world.isConnected(admin.id)).toBe(false);
    await expect(first.invoke({ _: 'getMe' })).rejects.toThrow('Client was closed');
    expect(errors).toHaveLength(1);

    world.sendMessage({ chat: sg, senderId: client.id, text: 'written while the daemon was down' });

    const again = await serve(world);
    const second = connectRemoteSimulator(again.url, admin.id, { restart: 'latest' });
    const rec2 = record(second);
    await ready(rec2);
    await loadAllChats(second);
    await drain();
    expect(world.restartLog().at(-1)).toEqual({ accountUserId: admin.id, mode: 'latest' });
    expect(rec2.of('updateNewMessage')).toHaveLength(0);
    const { messages } = await fullHistory(second, sg.id);
    expect(textOf(messages[0])).toBe('written while the daemon was down');
    await second.close();
  });

  it('closes the socket when the test kills the simulated client in the world', async () => {
    const { world, admin } = setup();
    const server = await serve(world);
    const t = connectRemoteSimulator(server.url, admin.id);
    const errors: unknown[] = [];
    const failed = new Promise<void>((resolve) =>
      t.onError((e) => {
        errors.push(e);
        resolve();
      }),
    );
    await ready(record(t));
    world.drop(admin.id);
    await failed;
    await expect(t.invoke({ _: 'getMe' })).rejects.toThrow('Client was closed');
    expect(errors).toHaveLength(1);
  });

  it('refuses sockets for unknown accounts', async () => {
    const { world } = setup();
    const server = await serve(world);
    const ws = new WebSocket(`${server.url}/account/42`);
    const code = await new Promise<number>((resolve) => ws.on('close', (c) => resolve(c)));
    expect(code).toBe(4004);
  });
});
