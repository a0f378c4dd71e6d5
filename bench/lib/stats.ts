/**
 * Small helpers every bench shares: percentiles, rounding, bounded loops, and the result shape
 * the runner prints and writes to docs/benchmarks.md.
 */
import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';

/** One figure of a bench: an absolute value, optionally its same-run baseline, ratio and target. */
export interface BenchRow {
  readonly metric: string;
  readonly value: number | string;
  readonly unit: string;
  /** The same quantity for the baseline, measured in the same run. */
  readonly baseline?: number | string;
  readonly baselineLabel?: string;
  /** value / baseline, or whatever the note says it is. */
  readonly ratio?: number;
  /** Human text of the target, e.g. "≥ 20,000/s". */
  readonly target?: string;
  readonly pass?: boolean;
}

export interface BenchResult {
  readonly name: string;
  readonly title: string;
  readonly issue: number;
  readonly quick: boolean;
  readonly startedAt: string;
  readonly seconds: number;
  readonly rows: readonly BenchRow[];
  /** What was measured and how, in a few lines: goes under the table. */
  readonly notes: readonly string[];
  /** Raw figures for the JSON block (distributions, sizes, settings). */
  readonly details?: unknown;
  readonly error?: string;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export function summarize(samples: readonly number[]): { n: number; p50: number; p95: number; p99: number; max: number; mean: number } {
  const s = [...samples].sort((a, b) => a - b);
  const mean = s.reduce((a, b) => a + b, 0) / Math.max(1, s.length);
  return { n: s.length, p50: percentile(s, 50), p95: percentile(s, 95), p99: percentile(s, 99), max: s[s.length - 1] ?? Number.NaN, mean };
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function round(x: number, digits = 2): number {
  if (!Number.isFinite(x)) return x;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Rounds to 3 significant digits: enough for noisy timings. */
export function sig(x: number, digits = 3): number {
  if (!Number.isFinite(x) || x === 0) return x;
  const mag = Math.floor(Math.log10(Math.abs(x)));
  const f = 10 ** (digits - 1 - mag);
  return Math.round(x * f) / f;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
export const nextTurn = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Waits until `check` passes or `timeoutMs` runs out; returns whether it passed. */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number, everyMs = 20): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() >= end) return false;
    await sleep(everyMs);
  }
}

/** Forces a collection when node runs with --expose-gc (the runner passes it), so runs start level. */
export function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

export function machine(): { cpu: string; cores: number; memoryGb: number; node: string; platform: string } {
  const c = cpus();
  return {
    cpu: c[0]?.model.trim() ?? 'unknown',
    cores: c.length,
    memoryGb: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
  };
}

/** Reads the process's peak RSS (VmHWM) and current RSS from /proc, in MB; null off Linux. */
export function procMemory(pid: number | 'self' = 'self'): { rssMb: number; peakRssMb: number } | null {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? Number.NaN);
    return { rssMb: kb('VmRSS') / 1024, peakRssMb: kb('VmHWM') / 1024 };
  } catch {
    return null;
  }
}

export function fmtNumber(x: number | string): string {
  if (typeof x === 'string') return x;
  if (!Number.isFinite(x)) return String(x);
  const abs = Math.abs(x);
  if (abs >= 1000) return Math.round(x).toLocaleString('en-US');
  if (abs >= 100) return String(Math.round(x));
  if (abs >= 10) return String(round(x, 1));
  return String(round(x, 2));
}
