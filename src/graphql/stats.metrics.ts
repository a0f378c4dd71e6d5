/**
 * Response-time monitoring on `/metrics`, for Grafana walls (docs/noc.md): a histogram of
 * response times observed since the daemon started, answered waits by outcome, and gauges of
 * the support board. Read fresh at each scrape.
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

/** Unfinished membership jobs and their items still to do: the job queue. */
async function jobQueue(daemon: Daemon): Promise<Gauge[]> {
  const jobs = new Gauge('tgdesk_membership_jobs', 'Membership jobs not finished, by state (running, paused).');
  const items = new Gauge('tgdesk_membership_job_items', 'Items of unfinished membership jobs still to do, by state (pending, running).');
  const counts = { running: 0, paused: 0, pendingItems: 0, runningItems: 0 };
  for (const j of await daemon.teamOps.jobs.list({ states: ['running', 'paused'], limit: 500 })) {
    if (j.state === 'running' || j.state === 'paused') counts[j.state]++;
    counts.pendingItems += j.counts.pending;
    counts.runningItems += j.counts.running;
  }
  jobs.set({ state: 'running' }, counts.running);
  jobs.set({ state: 'paused' }, counts.paused);
  items.set({ state: 'pending' }, counts.pendingItems);
  items.set({ state: 'running' }, counts.runningItems);
  return [jobs, items];
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
    ...(await jobQueue(daemon)),
  ];
}
