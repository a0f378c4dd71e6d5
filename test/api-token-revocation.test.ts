/**
 * A revoked API token loses its open subscriptions, not only its next request (docs/api.md: a
 * revocation takes effect within about two seconds). Over a real WebSocket (graphql-ws) and a
 * real SSE stream: the revoked token's connection is cut off and cannot come back, whether it was
 * revoked through this daemon or by `tgdesk token revoke` in another process on the same store;
 * other tokens' connections, even ones sharing the revoked one's execution, keep receiving.
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiRole } from '../src/app/tokens.ts';
import { sseSubscribe, wsClient, type Inbox, type ExecutionResultLike } from './helpers/api-clients.ts';
import { startApiHarness, type ApiHarness } from './helpers/api-harness.ts';
import { supportChat } from './helpers/api-fixtures.ts';
import { eventually } from './helpers/sim-daemon.ts';

let h: ApiHarness;

beforeAll(async () => {
  h = await startApiHarness();
});

afterAll(async () => {
  await h?.dispose();
});

const SUMMARY = 'subscription { teamSummaryChanged { alarms } }';
type Summary = ExecutionResultLike<{ teamSummaryChanged: { alarms: number } }>;

async function newToken(name: string, role: ApiRole = 'viewer'): Promise<string> {
  return (await h.sim.daemon.tokens.create({ name, role })).token;
}

/** Settles with `work`, or fails naming what did not happen: a bound on a wait, not a measurement. */
async function within<T>(work: Promise<T>, what: string, ms = 5_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: did not happen within ${ms} ms`)), ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

/** Raises an alarm (a change every teamSummaryChanged subscriber hears of); returns the new count. */
async function raiseAlarm(n: number): Promise<{ alarms: number; clear: () => Promise<void> }> {
  const chat = supportChat(h, n);
  const r = await h.gql('mutation ($c: ID!) { raiseAlarm(chatId: $c, reason: "revocation test") { reason } }', { c: chat.chatId });
  expect(r.body.errors).toBeUndefined();
  const summary = await h.gql<{ teamSummary: { alarms: number } }>('{ teamSummary { alarms } }');
  return {
    alarms: summary.body.data!.teamSummary.alarms,
    clear: async () => {
      await h.gql('mutation ($c: ID!) { clearAlarm(chatId: $c) }', { c: chat.chatId });
    },
  };
}

/** The one result that tells an SSE subscriber its token was revoked, and the normal end after it. */
async function endedAsRevoked(inbox: Inbox<ExecutionResultLike>, what: string): Promise<void> {
  const last = await inbox.waitFor((r) => r.errors !== undefined, 5_000);
  expect(last.errors?.[0]?.extensions?.['code'], what).toBe('UNAUTHENTICATED');
  expect(last.errors?.[0]?.message, what).toMatch(/revoked/);
  expect(await eventually(() => inbox.ended, 5_000), `${what}: the stream completes`).toBe(true);
  expect(inbox.error, what).toBeNull();
  expect(inbox.items.at(-1), `${what}: nothing after the error`).toBe(last);
}

/** `tgdesk token revoke NAME` as an operator types it, a process of its own on the daemon's store. */
function revokeWithCli(name: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/tgdesk.mjs', 'token', 'revoke', name], { env: { ...process.env, TGDESK_DATA_DIR: h.sim.store.place }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    // Well inside the test's own timeout, so that a hung command fails the test with what it printed, and is not left running.
    const timer = setTimeout(() => {
      stderr += '\n(killed: still running after 30 s)';
      child.kill('SIGKILL');
    }, 30_000);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

describe('graphql-ws', () => {
  it('closes a revoked token\'s connection with 4403, ending every subscription on it, refuses it again, and leaves other tokens\' connections alone', async () => {
    const revokedToken = await newToken('ws-revoked');
    const keptToken = await newToken('ws-kept');
    const revoked = wsClient(h.wsUrl, revokedToken);
    const kept = wsClient(h.wsUrl, keptToken);
    const again = wsClient(h.wsUrl, revokedToken);
    let alarm: Awaited<ReturnType<typeof raiseAlarm>> | undefined;
    try {
      // Same operation, same role, no member: the two connections share one execution.
      const groupsBefore = h.api.metrics.subscriptionGroups.value();
      const revokedSummary = revoked.subscribe<Summary['data']>(SUMMARY);
      // Not shared (it replays from `after`): ended by the same close.
      const revokedEvents = revoked.subscribe('subscription ($after: Int) { events(after: $after) { seq } }', { after: h.sim.daemon.bus.lastSeq - 1 });
      const keptSummary = kept.subscribe<Summary['data']>(SUMMARY);
      const before = (await revokedSummary.inbox.waitFor(() => true)).data!.teamSummaryChanged.alarms;
      await keptSummary.inbox.waitFor(() => true);
      await revokedEvents.inbox.waitFor(() => true);
      expect(h.api.metrics.subscriptionGroups.value()).toBe(groupsBefore + 1);

      const [revocation] = await h.sim.daemon.tokens.revoke('ws-revoked');
      expect(revocation?.name).toBe('ws-revoked');

      expect(await within(revoked.closed, 'the revoked connection is closed')).toEqual({ code: 4403, reason: 'Forbidden: the API token was revoked' });
      expect(await eventually(() => revokedSummary.inbox.ended && revokedEvents.inbox.ended, 5_000)).toBe(true);
      const seenByRevoked = revokedSummary.inbox.items.length;

      // The other token's subscription, on the same shared execution, hears the next change.
      alarm = await raiseAlarm(5);
      expect(alarm.alarms).toBe(before + 1);
      await keptSummary.inbox.waitFor((r) => r.data?.teamSummaryChanged.alarms === before + 1);
      expect(keptSummary.inbox.ended).toBe(false);
      expect(revokedSummary.inbox.items.length).toBe(seenByRevoked);

      // The revoked token cannot come back: not over graphql-ws, not over HTTP.
      const resubscribed = again.subscribe(SUMMARY);
      expect(await within(again.closed, 'a new connection with the revoked token is refused')).toMatchObject({ code: 4403, reason: expect.stringContaining('revoked') });
      expect(await eventually(() => resubscribed.inbox.ended, 5_000)).toBe(true);
      expect(resubscribed.inbox.items).toEqual([]);
      expect((await h.gql('{ me { name } }', undefined, { token: revokedToken })).status).toBe(401);
    } finally {
      await alarm?.clear();
      await Promise.all([revoked.dispose(), kept.dispose(), again.dispose()]);
    }
  });
});

describe('SSE', () => {
  it('ends a revoked token\'s stream with UNAUTHENTICATED and a normal end, refuses it again with 401, and leaves other tokens\' streams alone', async () => {
    const revokedToken = await newToken('sse-revoked', 'admin');
    const keptToken = await newToken('sse-kept', 'admin');
    const openBefore = h.api.metrics.subscriptions.value({ transport: 'sse' });
    const revoked = sseSubscribe<Summary['data']>(h.graphqlUrl, revokedToken, SUMMARY);
    const kept = sseSubscribe<Summary['data']>(h.graphqlUrl, keptToken, SUMMARY);
    let alarm: Awaited<ReturnType<typeof raiseAlarm>> | undefined;
    try {
      expect(await revoked.status).toBe(200);
      expect(await kept.status).toBe(200);
      const before = (await revoked.inbox.waitFor(() => true)).data!.teamSummaryChanged.alarms;
      await kept.inbox.waitFor(() => true);
      expect(h.api.metrics.subscriptions.value({ transport: 'sse' })).toBe(openBefore + 2);

      await h.sim.daemon.tokens.revoke('sse-revoked');
      await endedAsRevoked(revoked.inbox as Inbox<ExecutionResultLike>, 'the revoked stream');
      // The daemon ended it too: its subscription is no longer counted as open.
      expect(await eventually(() => h.api.metrics.subscriptions.value({ transport: 'sse' }) === openBefore + 1, 5_000)).toBe(true);

      alarm = await raiseAlarm(6);
      await kept.inbox.waitFor((r) => r.data?.teamSummaryChanged.alarms === before + 1);
      expect(kept.inbox.ended).toBe(false);

      const again = sseSubscribe(h.graphqlUrl, revokedToken, SUMMARY);
      expect(await again.status).toBe(401);
      again.stop();
    } finally {
      revoked.stop();
      kept.stop();
      await alarm?.clear();
    }
  });
});

describe('revoked by another process', () => {
  it('cuts off the token\'s graphql-ws connection and SSE stream after `tgdesk token revoke` on the same store', async () => {
    const revokedToken = await newToken('cli-revoked');
    const keptToken = await newToken('cli-kept');
    const ws = wsClient(h.wsUrl, revokedToken);
    const keptWs = wsClient(h.wsUrl, keptToken);
    const sse = sseSubscribe<Summary['data']>(h.graphqlUrl, revokedToken, SUMMARY);
    let alarm: Awaited<ReturnType<typeof raiseAlarm>> | undefined;
    try {
      const wsSummary = ws.subscribe<Summary['data']>(SUMMARY);
      const keptSummary = keptWs.subscribe<Summary['data']>(SUMMARY);
      const before = (await wsSummary.inbox.waitFor(() => true)).data!.teamSummaryChanged.alarms;
      await keptSummary.inbox.waitFor(() => true);
      await sse.inbox.waitFor(() => true);

      // This daemon is not told: it finds out from the store, as it would from a CLI on another host.
      const cli = await revokeWithCli('cli-revoked');
      expect(cli.code, cli.stderr).toBe(0);
      expect(cli.stderr).toContain('Revoked token');

      expect(await within(ws.closed, 'the revoked connection is closed')).toEqual({ code: 4403, reason: 'Forbidden: the API token was revoked' });
      await endedAsRevoked(sse.inbox as Inbox<ExecutionResultLike>, 'the revoked SSE stream');

      alarm = await raiseAlarm(7);
      await keptSummary.inbox.waitFor((r) => r.data?.teamSummaryChanged.alarms === before + 1);
      expect(keptSummary.inbox.ended).toBe(false);
      const again = wsClient(h.wsUrl, revokedToken);
      try {
        const resubscribed = again.subscribe(SUMMARY);
        expect(await within(again.closed, 'a new connection with the revoked token is refused')).toMatchObject({ code: 4403 });
        expect(resubscribed.inbox.items).toEqual([]);
      } finally {
        await again.dispose();
      }
    } finally {
      sse.stop();
      await alarm?.clear();
      await Promise.all([ws.dispose(), keptWs.dispose()]);
    }
  }, 60_000);
});
