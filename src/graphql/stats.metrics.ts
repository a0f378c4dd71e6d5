/**
 * Response-time monitoring on `/metrics`, for Grafana walls (docs/noc.md): a histogram of
 * response times observed since the daemon started, answered waits by outcome, gauges of the
 * support board, and the queues (membership jobs, the portal and alert outboxes). Read fresh at
 * each scrape.
 */
import type { Daemon } from '../app/daemon.ts';
import { RESPONSE_BUCKETS_S, type ResponseObservations } from '../app/stats.ts';
import { Counter, Gauge, Histogram } from './metrics.ts';

/** A histogram whose cumulative counts are kept by the app; this only writes them out. */
class ObservedHistogram extends Histogram {
  constructor(
    name: string,
    help: string,
    private readonly data: ResponseObservations,
  ) {
    super(name, help, RESPONSE_BUCKETS_S);
  }

  override render(): string {
    let out = this.header();
    for (const kind of ['first', 'next'] as const) {
      const h = this.data.byKind.get(kind) ?? { counts: RESPONSE_BUCKETS_S.map(() => 0), sum: 0, count: 0 };
      RESPONSE_BUCKETS_S.forEach((le, i) => (out += `${this.name}_bucket{kind="${kind}",le="${le}"} ${h.counts[i]}\n`));
      out += `${this.name}_bucket{kind="${kind}",le="+Inf"} ${h.count}\n`;
      out += `${this.name}_sum{kind="${kind}"} ${h.sum}\n`;
      out += `${this.name}_count{kind="${kind}"} ${h.count}\n`;
    }
    return out;
  }
}

/**
 * The queues: membership jobs and their items still to do, task events the portal has not got,
 * alert messages not sent yet. Counted by the store at each scrape, however many there are.
 */
async function queueGauges(daemon: Daemon, now: number): Promise<Gauge[]> {
  const q = await daemon.queueDepths();
  const gauge = (name: string, help: string, values: Readonly<Record<string, number>> | number) => {
    const g = new Gauge(name, help);
    if (typeof values === 'number') g.set({}, values);
    else for (const [state, v] of Object.entries(values)) g.set({ state }, v);
    return g;
  };
  const age = (since: number | null) => (since === null ? 0 : Math.max(0, (now - since) / 1000));
  return [
    gauge('tgdesk_membership_jobs', 'Membership jobs not finished, by state (running, paused).', q.membershipJobs),
    gauge('tgdesk_membership_job_items', 'Items of unfinished membership jobs still to do, by state (pending, running).', q.membershipItems),
    gauge('tgdesk_portal_outbox_events', 'Task events the portal has not accepted, by state: pending (to send or retry) and dead (given up; retryPortalDeliveries).', {
      pending: q.portalOutbox.pending,
      dead: q.portalOutbox.dead,
    }),
    gauge('tgdesk_portal_outbox_lag_seconds', 'How long the oldest pending task event has waited for the portal, in seconds (0 when none waits).', age(q.portalOutbox.oldestPendingAt)),
    gauge('tgdesk_alert_outbox_messages', 'Alert messages to Telegram not sent yet, by state: pending (waiting for the rate limit or the alert account) and sending (under way).', {
      pending: q.alertOutbox.pending,
      sending: q.alertOutbox.sending,
    }),
    gauge('tgdesk_alert_outbox_lag_seconds', 'How long the oldest alert message not sent yet has waited, in seconds (0 when none waits).', age(q.alertOutbox.oldestAt)),
  ];
}

export async function monitoringMetrics(daemon: Daemon): Promise<(Gauge | Counter | Histogram)[]> {
  const m = daemon.monitoring;
  const now = daemon.now();
  const counts = m.counts(now);
  const duty = m.dutyAt(now);
  let longest = 0;
  for (const [chatKey, state] of daemon.model.overdue) {
    const w = state.waiting;
    if (w && daemon.model.chats.get(chatKey)?.kind === 'support') longest = Math.max(longest, (now - w.since) / 1000);
  }
  const gauge = (name: string, help: string, value: number) => {
    const g = new Gauge(name, help);
    g.set({}, value);
    return g;
  };
  const answered = new Counter('tgdesk_waits_answered_total', 'Client waits answered (reply or "It\'s OK") since the daemon started, by kind (first, next) and whether in time.');
  for (const kind of ['first', 'next']) {
    for (const inTime of ['true', 'false']) answered.inc({ kind, in_time: inTime }, m.responses.answered.get(`${kind}|${inTime}`) ?? 0);
  }
  return [
    new ObservedHistogram(
      'tgdesk_response_time_seconds',
      'Time from a client\'s first unanswered message to the team\'s answer, for waits answered since the daemon started, by kind: first (opens a conversation) or next.',
      m.responses,
    ),
    answered,
    gauge('tgdesk_team_waiting_chats', 'Support chats with a client waiting for an answer (overdue ones included).', counts.waitingChats),
    gauge('tgdesk_team_longest_wait_seconds', 'How long the longest current wait has lasted, in seconds (0 when nobody waits).', longest),
    gauge('tgdesk_team_support_chats', 'Support chats known.', counts.supportChats),
    gauge('tgdesk_team_open_tasks', 'Open tasks.', counts.openTasks),
    gauge('tgdesk_team_members_on_duty', 'Team members on duty now (all of them while no duty schedules exist).', duty.onDuty.size),
    ...(await queueGauges(daemon, now)),
  ];
}
