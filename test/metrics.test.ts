/**
 * `/metrics`: every metric it serves is documented (docs/api.md or docs/noc.md), and the queue
 * gauges, scraped over HTTP from daemons on the simulator: membership
 * jobs and their items (every unfinished job, however many), task events the portal has not
 * accepted (a portal that refuses makes a dead letter that holds the task's next event back),
 * and alert messages waiting for their rate limit; each with how long its oldest item has waited.
 * The expected figures come from what the scenario did, not from the store.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { DomainEvent } from '../src/domain/events.ts';
import { startApiServer, type ApiServer } from '../src/graphql/server.ts';
import { createPortalConnector } from '../src/portal/connector.ts';
import { createMemoryLogger } from '../src/shared/log.ts';
import { insertJob, insertJobItems } from '../src/store/jobs.repository.ts';
import { startPortalReceiver, type PortalReceiver } from './helpers/portal-receiver.ts';
import { eventually, startSimDaemon, type SimDaemon } from './helpers/sim-daemon.ts';
import { STORE_KINDS } from './helpers/stores.ts';
import { startTeamOpsSim, type TeamOpsSim } from './helpers/team-ops-sim.ts';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function serve(daemon: SimDaemon['daemon']): Promise<ApiServer> {
  const api = await startApiServer({ daemon, logger: createMemoryLogger('warn'), host: '127.0.0.1', port: 0 });
  cleanup.push(() => api.close());
  return api;
}

/**
 * The daemon's clock is the test's, frozen between moves, but it never returns the same instant
 * twice (a reading on a frozen clock is a millisecond past the last one): ages are within a
 * second of what the test moved the clock by.
 */
const about = (seconds: number) => (v: number) => v >= 0 && Math.abs(v - seconds) < 1;

/** One scrape, as Prometheus makes it: series by name and labels. */
async function scrape(api: ApiServer): Promise<(series: string) => number> {
  const res = await fetch(`${api.url}/metrics`);
  expect(res.status).toBe(200);
  const text = await res.text();
  // Each gauge named here says what it is, once.
  for (const name of ['tgdesk_membership_jobs', 'tgdesk_membership_job_items', 'tgdesk_portal_outbox_events', 'tgdesk_portal_outbox_lag_seconds', 'tgdesk_alert_outbox_messages', 'tgdesk_alert_outbox_lag_seconds']) {
    expect(text.match(new RegExp(`^# TYPE ${name} gauge$`, 'gm')), name).toHaveLength(1);
    expect(text).toMatch(new RegExp(`^# HELP ${name} \\S`, 'm'));
  }
  return (series) => {
    const m = new RegExp(`^${series.replace(/[{}"=,+.]/g, '\\$&')} (\\S+)$`, 'm').exec(text);
    if (!m) throw new Error(`no series ${series}`);
    return Number(m[1]);
  };
}

describe('/metrics', () => {
  it('serves only metrics that docs/api.md or docs/noc.md list by name', async () => {
    const sim = await startSimDaemon();
    cleanup.push(() => sim.dispose());
    const api = await serve(sim.daemon);
    await fetch(`${api.url}/healthz`);
    const text = await (await fetch(`${api.url}/metrics`)).text();
    const names = [...text.matchAll(/^# TYPE (\S+) (counter|gauge|histogram)$/gm)].map((m) => m[1]!);
    expect(names.length).toBeGreaterThan(30);
    const docs = readFileSync('docs/api.md', 'utf8') + readFileSync('docs/noc.md', 'utf8');
    expect(names.filter((n) => !new RegExp(`\`${n}[\`{]`).test(docs))).toEqual([]);
  });
});

describe('membership job gauges', () => {
  it.each(STORE_KINDS)('count every unfinished job and item, past the 500 a listing stopped at (%s)', async (kind) => {
    const sim = await startSimDaemon({ kind });
    cleanup.push(() => sim.dispose());
    const api = await serve(sim.daemon);
    const empty = await scrape(api);
    expect(empty('tgdesk_membership_jobs{state="paused"}')).toBe(0);
    expect(empty('tgdesk_membership_job_items{state="pending"}')).toBe(0);
    // 520 paused jobs (a long PEER_FLOOD pause), one item each still to do; one running job with
    // one item under way and one to do; a finished job's item does not count. Stored as the job
    // runner stores them: a daemon runs only the jobs it started or resumed, so these stay put.
    const now = Date.now();
    const chat = sim.demo.company.clientChats[0]!;
    const job = (state: 'paused' | 'running' | 'done') =>
      insertJob(sim.store.db, { kind: 'addMemberToChats', action: 'add', state, reason: state === 'paused' ? 'PEER_FLOOD' : null, createdBy: 'token:test', memberUserIds: [], request: {}, createdAt: now, updatedAt: now, finishedAt: state === 'done' ? now : null });
    const item = (jobId: number, memberUserId: number, state: 'pending' | 'running' | 'done') => ({
      jobId,
      chatKey: String(chat.chatId),
      tdChatId: chat.chatId,
      chatType: 'supergroup' as const,
      title: chat.title,
      memberUserId,
      action: 'add' as const,
      state,
      accountId: null,
      candidates: [],
      reason: null,
      inviteLink: null,
      inviteDelivery: null,
      attempts: 0,
      notBefore: null,
      updatedAt: now,
    });
    const items = [];
    for (let i = 0; i < 520; i++) items.push(item(await job('paused'), 900_000 + i, 'pending'));
    const running = await job('running');
    items.push(item(running, 899_000, 'running'), item(running, 899_001, 'pending'));
    items.push(item(await job('done'), 899_002, 'done'));
    await insertJobItems(sim.store.db, items);
    const m = await scrape(api);
    expect(m('tgdesk_membership_jobs{state="paused"}')).toBe(520);
    expect(m('tgdesk_membership_jobs{state="running"}')).toBe(1);
    expect(m('tgdesk_membership_job_items{state="pending"}')).toBe(521);
    expect(m('tgdesk_membership_job_items{state="running"}')).toBe(1);
  }, 60_000);
});

describe('portal outbox gauges', () => {
  it('count pending and dead task events and how long the oldest pending one has waited', async () => {
    let t = Date.parse('2026-03-02T10:00:00Z');
    const sim = await startSimDaemon({ clock: () => t });
    cleanup.push(() => sim.dispose());
    const secret = 'metrics-test-secret';
    const portal: PortalReceiver = await startPortalReceiver(secret, { status: 400 });
    cleanup.push(() => portal.close());
    const connector = createPortalConnector({ daemon: sim.daemon, url: portal.url, secret, logger: createMemoryLogger('error'), delivery: { pollMs: 200 } });
    connector.start();
    cleanup.push(() => connector.stop());
    const api = await serve(sim.daemon);
    expect(await scrape(api).then((m) => [m('tgdesk_portal_outbox_events{state="pending"}'), m('tgdesk_portal_outbox_events{state="dead"}'), m('tgdesk_portal_outbox_lag_seconds')])).toEqual([0, 0, 0]);

    // A task: its "created" event goes to a portal that refuses it (400): a dead letter.
    const chat = sim.demo.company.clientChats.find((c) => c.scenario === 'answered')!;
    const messageId = sim.daemon.model.chats.get(String(chat.chatId))!.lastMessage!.messageId;
    const actor = { label: 'token:test', memberUserId: null };
    const task = await sim.daemon.tasks.createTask(actor, { chatKey: String(chat.chatId), messageIds: [messageId] });
    expect(await eventually(async () => (await scrape(api))('tgdesk_portal_outbox_events{state="dead"}') === 1, 10_000)).toBe(true);
    expect(portal.attempts).toHaveLength(1);
    // Closed a minute later: the "closed" event waits behind the dead one, in order.
    t += 60_000;
    await sim.daemon.tasks.closeTask(actor, task.id);
    t += 90_000;
    const m = await scrape(api);
    expect(m('tgdesk_portal_outbox_events{state="pending"}')).toBe(1);
    expect(m('tgdesk_portal_outbox_events{state="dead"}')).toBe(1);
    expect(m('tgdesk_portal_outbox_lag_seconds')).toSatisfy(about(90));
    expect(portal.attempts).toHaveLength(1);

    // The portal takes events again and the dead letter is retried: both go, the queue is empty.
    await portal.setMode('ok');
    await sim.daemon.portalOutbox.retry(actor, null);
    expect(await eventually(async () => {
      const after = await scrape(api);
      return after('tgdesk_portal_outbox_events{state="pending"}') === 0 && after('tgdesk_portal_outbox_events{state="dead"}') === 0;
    }, 10_000)).toBe(true);
    expect(portal.accepted.map((e) => e.type)).toEqual(['task.created', 'task.closed']);
    expect((await scrape(api))('tgdesk_portal_outbox_lag_seconds')).toBe(0);
  }, 60_000);
});

type AlertEvent = Extract<DomainEvent, { type: 'alert' }>;

describe('alert outbox gauges', () => {
  it('count alert messages waiting for the rate limit and how long the oldest has waited', async () => {
    let t = Date.parse('2026-03-02T10:00:00Z');
    const clock = () => t;
    const probe = await startTeamOpsSim({ clock });
    const fromAccountId = probe.demo.accounts[3]!.accountId;
    await probe.dispose();
    // One message a minute to the team chat; no mention alerts and no reminders, only overdue chats.
    const sim: TeamOpsSim = await startTeamOpsSim({ clock, teamOps: { alerts: { fromAccountId, perMinute: 1, burst: 1, rules: { mentionAfterMs: 86_400_000, reminderAfterMs: 0, maxReminders: 0 } } } });
    cleanup.push(() => sim.dispose());
    const api = await serve(sim.daemon);
    const from = sim.demo.company.accounts[3]!.userId;
    const startedAt = t;
    const look = async (ms: number) => {
      t += ms;
      sim.daemon.clock.rearm();
      await sim.settle();
      await sim.daemon.teamOps.alerts.tickNow();
      await sim.settle();
    };
    await look(0);
    const alerted = sim.events.filter((e): e is AlertEvent => e.type === 'alert');
    expect(alerted.length).toBeGreaterThan(2);
    // What reached the team chat from the alert account: the one message the limit allowed.
    const sent = sim.demo.world.allMessages().filter((msg) => msg.chatKey === sim.demo.company.teamChat.key && msg.senderId === from && msg.date * 1000 >= startedAt);
    expect(sent).toHaveLength(1);
    let m = await scrape(api);
    expect(m('tgdesk_alert_outbox_messages{state="pending"}')).toBe(alerted.length - sent.length);
    expect(m('tgdesk_alert_outbox_messages{state="sending"}')).toBe(0);
    expect(m('tgdesk_alert_outbox_lag_seconds')).toSatisfy(about(0));
    // Half a minute on, the limit still holds them: the queue has aged by that much.
    await look(30_000);
    m = await scrape(api);
    expect(m('tgdesk_alert_outbox_messages{state="pending"}')).toBe(alerted.length - sent.length);
    expect(m('tgdesk_alert_outbox_lag_seconds')).toSatisfy(about(30));
  }, 60_000);
});
