/** The one-pass-at-a-time loop behind duty, alerts and membership jobs (src/app/serial-runner.ts). */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SerialRunner } from '../src/app/serial-runner.ts';

afterEach(() => {
  vi.useRealTimers();
});

function counting(onIdle?: () => void) {
  let passes = 0;
  let active = 0;
  let maxActive = 0;
  const errors: unknown[] = [];
  let release: (() => void) | null = null;
  const runner = new SerialRunner(
    async () => {
      passes++;
      active++;
      maxActive = Math.max(maxActive, active);
      await new Promise<void>((r) => (release = r));
      active--;
    },
    { onError: (e) => errors.push(e), ...(onIdle ? { onIdle } : {}) },
  );
  return { runner, errors, passes: () => passes, maxActive: () => maxActive, release: () => release?.() };
}

describe('SerialRunner', () => {
  it('runs one pass at a time, and any number of kicks during a pass as one more pass', async () => {
    let idle = 0;
    const c = counting(() => idle++);
    c.runner.kick();
    c.runner.kick();
    c.runner.kick();
    expect(c.runner.busy).toBe(true);
    expect(c.passes()).toBe(1);
    c.release();
    await new Promise((r) => setImmediate(r));
    expect(c.passes()).toBe(2);
    expect(idle).toBe(0);
    c.release();
    await c.runner.whenIdle();
    expect(c.passes()).toBe(2);
    expect(c.maxActive()).toBe(1);
    expect(idle).toBe(1);
  });

  it('runs a scheduled pass later, replaced by a later schedule or an earlier kick', async () => {
    vi.useFakeTimers();
    let passes = 0;
    const runner = new SerialRunner(async () => void passes++, { onError: () => undefined });
    runner.schedule(1000);
    runner.schedule(5000);
    await vi.advanceTimersByTimeAsync(1500);
    expect(passes).toBe(0);
    runner.kick();
    await runner.whenIdle();
    expect(passes).toBe(1);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(passes).toBe(1); // the kick replaced the scheduled pass
    runner.schedule(-5);
    await vi.advanceTimersByTimeAsync(0);
    expect(passes).toBe(2);
  });

  it('within(ms) keeps a pass due sooner, so steady requests cannot push it back', async () => {
    vi.useFakeTimers();
    let passes = 0;
    const runner = new SerialRunner(async () => void passes++, { onError: () => undefined });
    // A request every 20 ms for 200 ms, each asking for a pass within 50 ms.
    for (let i = 0; i < 10; i++) {
      runner.within(50);
      await vi.advanceTimersByTimeAsync(20);
    }
    expect(passes).toBeGreaterThanOrEqual(3);
    // A later timer is brought forward.
    runner.schedule(10_000);
    runner.within(50);
    const before = passes;
    await vi.advanceTimersByTimeAsync(60);
    expect(passes).toBe(before + 1);
  });

  it('reports a failing pass and goes on; after stop nothing starts until resumed', async () => {
    const errors: unknown[] = [];
    let passes = 0;
    const runner = new SerialRunner(
      async () => {
        passes++;
        if (passes === 1) throw new Error('boom');
      },
      { onError: (e) => errors.push(e) },
    );
    await runner.runNow();
    expect(errors).toHaveLength(1);
    await runner.runNow();
    expect(passes).toBe(2);
    await runner.stop();
    expect(runner.isStopped).toBe(true);
    runner.kick();
    runner.schedule(0);
    await new Promise((r) => setTimeout(r, 5));
    expect(passes).toBe(2);
    runner.resume();
    await runner.runNow();
    expect(passes).toBe(3);
  });

  it('tries a failed pass again by itself after retryAfterErrorMs, and not after stop', async () => {
    let passes = 0;
    let failing = true;
    const errors: unknown[] = [];
    const runner = new SerialRunner(
      async () => {
        passes++;
        if (failing) throw new Error('store busy');
      },
      { onError: (e) => errors.push(e), retryAfterErrorMs: 50 },
    );
    runner.kick();
    await runner.whenIdle();
    expect(passes).toBe(1);
    // Nobody kicks it: the retry comes on its own, and again while the failure lasts.
    await vi.waitFor(() => expect(passes).toBe(3), { timeout: 2_000, interval: 5 });
    failing = false;
    await vi.waitFor(() => expect(errors.length).toBeLessThan(passes), { timeout: 2_000, interval: 5 });
    // A pass that succeeded arms nothing here: no more passes.
    const settled = passes;
    await new Promise((r) => setTimeout(r, 200));
    expect(passes).toBe(settled);
    // Failing again, then stopped: the retry timer goes with the stop.
    failing = true;
    runner.kick();
    await runner.whenIdle();
    await runner.stop();
    const stoppedAt = passes;
    await new Promise((r) => setTimeout(r, 150));
    expect(passes).toBe(stoppedAt);
  });

  it('stop waits for the pass under way and drops the one asked for during it', async () => {
    const c = counting();
    c.runner.kick();
    c.runner.kick();
    const stopped = c.runner.stop();
    c.release();
    await stopped;
    expect(c.passes()).toBe(1);
    expect(c.runner.busy).toBe(false);
  });
});
