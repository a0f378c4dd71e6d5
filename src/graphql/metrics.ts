/**
 * `GET /metrics` in the Prometheus text format (version 0.0.4), without a client library: the
 * few metric kinds needed here are simple, and each render costs microseconds.
 *
 * Names follow Prometheus conventions: a `tgdesk_` prefix, base units (seconds, bytes), `_total`
 * on counters, and the standard `process_*` / `nodejs_*` names for the runtime.
 */
import { readdirSync } from 'node:fs';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

type Labels = Readonly<Record<string, string>>;

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function labelText(labels: Labels): string {
  const keys = Object.keys(labels);
  if (keys.length === 0) return '';
  return `{${keys.map((k) => `${k}="${escapeLabel(labels[k]!)}"`).join(',')}}`;
}

function num(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(v);
}

abstract class Metric {
  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: 'counter' | 'gauge' | 'histogram',
  ) {}
  protected header(): string {
    return `# HELP ${this.name} ${this.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}\n# TYPE ${this.name} ${this.type}\n`;
  }
  abstract render(): string;
}

class Series<V> {
  readonly map = new Map<string, { labels: Labels; value: V }>();
  get(labels: Labels, init: () => V): { labels: Labels; value: V } {
    const key = labelText(labels);
    let s = this.map.get(key);
    if (!s) this.map.set(key, (s = { labels, value: init() }));
    return s;
  }
}

export class Counter extends Metric {
  private readonly series = new Series<number>();
  constructor(name: string, help: string) {
    super(name, help, 'counter');
  }
  inc(labels: Labels = {}, by = 1): void {
    this.series.get(labels, () => 0).value += by;
  }
  value(labels: Labels = {}): number {
    return this.series.map.get(labelText(labels))?.value ?? 0;
  }
  render(): string {
    let out = this.header();
    for (const s of this.series.map.values()) out += `${this.name}${labelText(s.labels)} ${num(s.value)}\n`;
    return out;
  }
}

export class Gauge extends Metric {
  private readonly series = new Series<number>();
  constructor(name: string, help: string) {
    super(name, help, 'gauge');
  }
  set(labels: Labels, value: number): void {
    this.series.get(labels, () => 0).value = value;
  }
  inc(labels: Labels = {}, by = 1): void {
    this.series.get(labels, () => 0).value += by;
  }
  dec(labels: Labels = {}, by = 1): void {
    this.inc(labels, -by);
  }
  value(labels: Labels = {}): number {
    return this.series.map.get(labelText(labels))?.value ?? 0;
  }
  reset(): void {
    this.series.map.clear();
  }
  render(): string {
    let out = this.header();
    for (const s of this.series.map.values()) out += `${this.name}${labelText(s.labels)} ${num(s.value)}\n`;
    return out;
  }
}

export class Histogram extends Metric {
  private readonly series = new Series<{ counts: number[]; sum: number; count: number }>();
  constructor(
    name: string,
    help: string,
    private readonly buckets: readonly number[],
  ) {
    super(name, help, 'histogram');
  }
  observe(labels: Labels, value: number): void {
    const s = this.series.get(labels, () => ({ counts: this.buckets.map(() => 0), sum: 0, count: 0 })).value;
    for (let i = 0; i < this.buckets.length; i++) if (value <= this.buckets[i]!) s.counts[i]!++;
    s.sum += value;
    s.count++;
  }
  render(): string {
    let out = this.header();
    for (const s of this.series.map.values()) {
      this.buckets.forEach((le, i) => (out += `${this.name}_bucket${labelText({ ...s.labels, le: num(le) })} ${s.value.counts[i]}\n`));
      out += `${this.name}_bucket${labelText({ ...s.labels, le: '+Inf' })} ${s.value.count}\n`;
      out += `${this.name}_sum${labelText(s.labels)} ${num(s.value.sum)}\n`;
      out += `${this.name}_count${labelText(s.labels)} ${s.value.count}\n`;
    }
    return out;
  }
}

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const START_TIME_S = Math.floor(Date.now() / 1000 - process.uptime());

/** The API's metrics; the daemon's state is added at render time by `collect`. */
export class ApiMetrics {
  readonly httpRequests = new Counter('tgdesk_http_requests_total', 'HTTP requests answered, by route, method and status code.');
  readonly httpDuration = new Histogram(
    'tgdesk_http_request_duration_seconds',
    'Time to answer an HTTP request (streams excluded), by route.',
    LATENCY_BUCKETS,
  );
  readonly operations = new Counter('tgdesk_graphql_operations_total', 'GraphQL operations started, by operation type and transport.');
  readonly errors = new Counter('tgdesk_graphql_errors_total', 'GraphQL errors returned, by extensions.code.');
  readonly subscriptions = new Gauge('tgdesk_graphql_subscriptions_active', 'Subscriptions open now, by transport.');
  readonly wsConnections = new Gauge('tgdesk_websocket_connections', 'graphql-ws connections open now.');
  readonly subscriptionGroups = new Gauge(
    'tgdesk_graphql_subscription_groups',
    'graphql-ws subscriptions executed once for several subscribers (same operation, variables, role and member) now.',
  );
  readonly responseCache = new Counter('tgdesk_http_response_cache_total', 'GraphQL reads over HTTP that could be cached, by result: hit (answered from memory) or miss (computed).');
  readonly authFailures = new Counter('tgdesk_auth_failures_total', 'Requests and connections refused for a missing or invalid token, by transport.');
  readonly eventsPublished = new Counter('tgdesk_events_published_total', 'Events published to subscribers after their commit, by event type.');
  private readonly loopDelay: IntervalHistogram;

  constructor() {
    this.loopDelay = monitorEventLoopDelay({ resolution: 10 });
    this.loopDelay.enable();
    this.subscriptions.set({ transport: 'ws' }, 0);
    this.subscriptions.set({ transport: 'sse' }, 0);
    this.wsConnections.set({}, 0);
    this.subscriptionGroups.set({}, 0);
  }

  close(): void {
    this.loopDelay.disable();
  }

  /** The whole exposition: process and runtime, the API's own counters, then `extra` (daemon state). */
  render(extra: readonly Metric[] = []): string {
    const parts: string[] = [];
    const cpu = process.cpuUsage();
    const mem = process.memoryUsage();
    const g = (name: string, help: string, value: number, type: 'gauge' | 'counter' = 'gauge') =>
      parts.push(`# HELP ${name} ${help}\n# TYPE ${name} ${type}\n${name} ${num(value)}\n`);
    g('process_cpu_user_seconds_total', 'User CPU time spent, in seconds.', cpu.user / 1e6, 'counter');
    g('process_cpu_system_seconds_total', 'System CPU time spent, in seconds.', cpu.system / 1e6, 'counter');
    g('process_cpu_seconds_total', 'Total user and system CPU time spent, in seconds.', (cpu.user + cpu.system) / 1e6, 'counter');
    g('process_resident_memory_bytes', 'Resident memory size, in bytes.', mem.rss);
    g('process_start_time_seconds', 'Start time of the process since the unix epoch, in seconds.', START_TIME_S);
    const fds = openFds();
    if (fds !== null) g('process_open_fds', 'Open file descriptors.', fds);
    g('nodejs_heap_size_total_bytes', 'V8 heap size, in bytes.', mem.heapTotal);
    g('nodejs_heap_size_used_bytes', 'V8 heap used, in bytes.', mem.heapUsed);
    g('nodejs_external_memory_bytes', 'Memory of C++ objects bound to JavaScript objects, in bytes.', mem.external);
    g('nodejs_eventloop_lag_mean_seconds', 'Mean event loop delay since the last scrape, in seconds.', finite(this.loopDelay.mean) / 1e9);
    g('nodejs_eventloop_lag_p99_seconds', '99th percentile of the event loop delay since the last scrape, in seconds.', finite(this.loopDelay.percentile(99)) / 1e9);
    g('nodejs_eventloop_lag_max_seconds', 'Longest event loop delay since the last scrape, in seconds.', finite(this.loopDelay.max) / 1e9);
    this.loopDelay.reset();
    for (const m of [this.httpRequests, this.httpDuration, this.operations, this.errors, this.subscriptions, this.wsConnections, this.subscriptionGroups, this.responseCache, this.authFailures, this.eventsPublished, ...extra]) {
      parts.push(m.render());
    }
    return parts.join('');
  }
}

function finite(v: number): number {
  return Number.isFinite(v) ? v : 0;
}

function openFds(): number | null {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return null;
  }
}

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
