/**
 * Renders bench results: a plain table for the terminal and docs/benchmarks.md, which keeps the
 * latest figures of every bench (a run of some benches keeps the others' last figures, marked
 * with their own date) in a machine-readable block at its end.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fmtNumber, sig, type BenchResult, type BenchRow } from './stats.ts';

export interface RunInfo {
  readonly date: string;
  readonly machine: Record<string, unknown>;
  readonly quick: boolean;
  readonly command: string;
}

export interface StoredResults {
  readonly run: RunInfo;
  readonly results: Record<string, BenchResult & { loadAverage?: readonly number[]; runInfo?: RunInfo }>;
}

const MARKER = '<!-- bench-results: the runner reads this block back; edit the text above it, not this -->';
const NOTES_START = '<!-- analysis:start (hand-written; the runner keeps this part as it is) -->';
const NOTES_END = '<!-- analysis:end -->';

/** The hand-written analysis between the markers, kept across runs. */
function readAnalysis(path: string): string | null {
  if (!existsSync(path)) return null;
  const text = readFileSync(path, 'utf8');
  const a = text.indexOf(NOTES_START);
  const b = text.indexOf(NOTES_END);
  return a >= 0 && b > a ? text.slice(a + NOTES_START.length, b).trim() : null;
}

function cell(x: unknown): string {
  if (x === undefined || x === null || x === '') return '';
  if (typeof x === 'number') return fmtNumber(x);
  return String(x);
}

function ratioCell(r: BenchRow): string {
  if (r.ratio === undefined || !Number.isFinite(r.ratio)) return '';
  const x = r.ratio;
  if (x === 0) return '0×';
  if (x < 0.1) return `${sig(x, 2)}×`;
  return `${x < 10 ? x.toFixed(2) : fmtNumber(x)}×`;
}

function passCell(r: BenchRow): string {
  if (r.pass === undefined) return '';
  return r.pass ? 'PASS' : 'MISS';
}

/** A fixed-width table for the terminal. */
export function terminalTable(results: readonly BenchResult[]): string {
  const head = ['bench', 'figure', 'value', 'baseline', 'ratio', 'target', ''];
  const body: string[][] = [];
  for (const res of results) {
    if (res.error) {
      body.push([res.name, `FAILED: ${res.error.split('\n')[0]!.slice(0, 100)}`, '', '', '', '', '']);
      continue;
    }
    for (const r of res.rows) body.push([res.name, r.metric, `${cell(r.value)} ${r.unit}`.trim(), r.baseline === undefined ? '' : `${cell(r.baseline)} ${r.unit}`.trim(), ratioCell(r), r.target ?? '', passCell(r)]);
  }
  const widths = head.map((h, i) => Math.min(i === 1 ? 78 : 40, Math.max(h.length, ...body.map((row) => row[i]!.length))));
  const line = (row: string[]) => row.map((c, i) => (c.length > widths[i]! ? `${c.slice(0, widths[i]! - 1)}…` : c.padEnd(widths[i]!))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

function mdEscape(s: string): string {
  return s.replace(/\|/g, '\\|');
}

function markdownTable(res: BenchResult): string {
  const lines = ['| Figure | Value | Baseline (same run) | Ratio | Target | |', '|---|---:|---:|---:|---|---|'];
  for (const r of res.rows) {
    const baseline = r.baseline === undefined ? '' : `${cell(r.baseline)} ${r.unit}${r.baselineLabel ? ` (${r.baselineLabel})` : ''}`;
    lines.push(`| ${mdEscape(r.metric)} | ${cell(r.value)} ${r.unit} | ${mdEscape(baseline)} | ${ratioCell(r)} | ${mdEscape(r.target ?? '')} | ${passCell(r)} |`);
  }
  return lines.join('\n');
}

export function readStored(path: string): StoredResults | null {
  if (!existsSync(path)) return null;
  const text = readFileSync(path, 'utf8');
  const i = text.indexOf(MARKER);
  if (i < 0) return null;
  const m = /```json\n([\s\S]*?)\n```/.exec(text.slice(i));
  if (!m) return null;
  try {
    return JSON.parse(m[1]!) as StoredResults;
  } catch {
    return null;
  }
}

export interface BenchDoc {
  readonly name: string;
  readonly heading: string;
  /** What is measured and why, in prose; the run's own notes follow it. */
  readonly about: string;
}

export function writeDoc(path: string, stored: StoredResults, docs: readonly BenchDoc[], intro: string): void {
  const analysis = readAnalysis(path);
  const out: string[] = [];
  const { run } = stored;
  out.push('# Benchmarks', '', intro, '');
  out.push('## Machine and run', '');
  out.push(`- Latest run: ${run.date}${run.quick ? ' (`--quick`: smaller sizes, not the issue sizes)' : ''}, \`${run.command}\``);
  for (const [k, v] of Object.entries(run.machine)) out.push(`- ${k}: ${String(v)}`);
  out.push('');
  out.push('## Summary', '');
  out.push('| Bench | Figure | Value | Baseline | Ratio | Target | |', '|---|---|---:|---:|---:|---|---|');
  for (const d of docs) {
    const res = stored.results[d.name];
    if (!res) continue;
    if (res.error) {
      out.push(`| ${d.name} | failed: ${mdEscape(res.error.split('\n')[0]!.slice(0, 120))} | | | | | |`);
      continue;
    }
    for (const r of res.rows.filter((row) => row.target !== undefined || row.ratio !== undefined).slice(0, 6)) {
      out.push(`| ${d.name} | ${mdEscape(r.metric)} | ${cell(r.value)} ${r.unit} | ${r.baseline === undefined ? '' : `${cell(r.baseline)} ${r.unit}`} | ${ratioCell(r)} | ${mdEscape(r.target ?? '')} | ${passCell(r)} |`);
    }
  }
  out.push('');
  out.push(NOTES_START, '', analysis ?? '## Analysis\n\n_Bottlenecks and proposed fixes go here; the runner leaves this section alone._', '', NOTES_END, '');
  for (const d of docs) {
    const res = stored.results[d.name];
    out.push(`## ${d.heading}`, '', d.about, '');
    if (!res) {
      out.push('_Not run yet._', '');
      continue;
    }
    const when = res.runInfo && res.runInfo.date !== run.date ? ` (from an earlier run: ${res.runInfo.date}${res.quick ? ', quick' : ''})` : res.quick ? ' (quick sizes)' : '';
    out.push(`Figures${when}, ${res.seconds} s${res.loadAverage ? `, load average at start ${res.loadAverage.map((x) => x.toFixed(1)).join(' / ')}` : ''}:`, '');
    if (res.error) {
      out.push('```', res.error.slice(0, 2000), '```', '');
      continue;
    }
    out.push(markdownTable(res), '');
    for (const n of res.notes) out.push(`- ${n}`);
    out.push('');
  }
  out.push('## Raw figures', '', MARKER, '', '```json', JSON.stringify(stored, null, 1), '```', '');
  writeFileSync(path, out.join('\n'));
}

/**
 * Turns another bench's free-form result (bench/api.bench.ts, bench/search.bench.ts) into rows:
 * every numeric leaf whose name reads as a figure, with its path as the label.
 */
export function rowsFromFreeForm(value: unknown, limit = 80): BenchRow[] {
  const rows: BenchRow[] = [];
  const figure = /(p50|p95|p99|max|mean|perSecond|reqPerSecond|rps|ratio|Ms|Mb|MB|seconds)$/i;
  const walk = (v: unknown, path: string[]): void => {
    if (rows.length >= limit) return;
    if (typeof v === 'number' && path.length > 0 && figure.test(path[path.length - 1]!)) {
      const key = path[path.length - 1]!;
      const unit = /ms$/i.test(key) ? 'ms' : /perSecond|rps/i.test(key) ? '/s' : /ratio/i.test(key) ? '×' : /seconds$/i.test(key) ? 's' : /mb$/i.test(key) ? 'MB' : '';
      rows.push({ metric: path.join(' › '), value: v, unit });
      return;
    }
    if (Array.isArray(v)) return;
    // Per-query breakdowns stay in the raw block; the table keeps the aggregates.
    if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) if (!/^perQuery$/i.test(k)) walk(x, [...path, k]);
  };
  walk(value, []);
  return rows;
}
