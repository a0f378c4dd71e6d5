/**
 * The shared fan-out (src/graphql/fanout.ts) without a network: which operations may share,
 * the bytes each member's socket gets, a late joiner of a `latest` group, the end of a group,
 * and a member whose socket cannot keep up.
 */
import { parse, type ExecutionResult } from 'graphql';
import type { WebSocket } from 'ws';
import { describe, expect, it } from 'vitest';
import { sharePlanOf, SubscriptionFanout } from '../src/graphql/fanout.ts';

function fakeSocket() {
  const sent: unknown[] = [];
  const socket = { readyState: 1, bufferedAmount: 0, send: (b: Buffer) => sent.push(JSON.parse(b.toString())) };
  return { socket: socket as unknown as WebSocket & { bufferedAmount: number }, sent, raw: socket };
}

/** A source the test pushes results into. */
function source() {
  const queue: ExecutionResult[] = [];
  let wake: (() => void) | null = null;
  let done = false;
  let returned = 0;
  const iterable: AsyncIterable<ExecutionResult> = {
    [Symbol.asyncIterator]: () => ({
      async next() {
        for (;;) {
          if (queue.length) return { done: false, value: queue.shift()! };
          if (done) return { done: true, value: undefined };
          await new Promise<void>((r) => (wake = r));
        }
      },
      async return() {
        returned++;
        done = true;
        wake?.();
        return { done: true, value: undefined };
      },
    }),
  };
  return {
    iterable,
    push: (r: ExecutionResult) => (queue.push(r), wake?.()),
    end: () => ((done = true), wake?.()),
    returned: () => returned,
  };
}

const tick = () => new Promise((r) => setTimeout(r, 5));

describe('sharePlanOf', () => {
  it('shares live dialogChanged, teamSummaryChanged and events without `after`, nothing else', () => {
    const plan = (q: string, v?: Record<string, unknown>) => sharePlanOf(parse(q), null, v)?.kind ?? null;
    expect(plan('subscription { dialogChanged(accountId: "a") { seq } }')).toBe('live');
    expect(plan('subscription { teamSummaryChanged { alarms } }')).toBe('latest');
    expect(plan('subscription { events { seq } }')).toBe('live');
    expect(plan('subscription ($x: Int) { events(after: $x) { seq } }', {})).toBe('live');
    expect(plan('subscription ($x: Int) { events(after: $x) { seq } }', { x: 5 })).toBeNull();
    expect(plan('subscription { events(after: 5) { seq } }')).toBeNull();
    expect(plan('subscription { taskChanged { seq } }')).toBeNull();
    expect(plan('query { teamSummary { alarms } }')).toBeNull();
    expect(plan('subscription ($s: Boolean!) { teamSummaryChanged @include(if: $s) { alarms } }', { s: true })).toBeNull();
  });
});

describe('SubscriptionFanout', () => {
  const plan = { kind: 'latest' as const, responseName: 'teamSummaryChanged' };

  it('serialises each result once and sends it to every member behind its own id', async () => {
    const fan = new SubscriptionFanout();
    const src = source();
    let starts = 0;
    const start = () => (starts++, src.iterable);
    const a = fakeSocket();
    const b = fakeSocket();
    const ia = fan.join('k', plan, null, a.socket, 'A', start);
    const ib = fan.join('k', plan, null, b.socket, 'B', start);
    void ia.next();
    void ib.next();
    src.push({ data: { teamSummaryChanged: { alarms: 1 } } });
    await tick();
    expect(starts).toBe(1);
    expect(a.sent).toEqual([{ id: 'A', type: 'next', payload: { data: { teamSummaryChanged: { alarms: 1 } } } }]);
    expect(b.sent).toEqual([{ id: 'B', type: 'next', payload: { data: { teamSummaryChanged: { alarms: 1 } } } }]);

    // A late joiner of a `latest` group gets the latest result at once.
    const c = fakeSocket();
    const ic = fan.join('k', plan, null, c.socket, 'C', start);
    expect(c.sent).toEqual([{ id: 'C', type: 'next', payload: { data: { teamSummaryChanged: { alarms: 1 } } } }]);

    // Leaving: the group runs until its last member leaves, then its source is returned.
    await ia.return!();
    await ib.return!();
    expect(fan.groupCount).toBe(1);
    await ic.return!();
    expect(fan.groupCount).toBe(0);
    await tick();
    expect(src.returned()).toBe(1);
  });

  it('ends every member when the source ends, and gives a start-up error to each', async () => {
    const fan = new SubscriptionFanout();
    const src = source();
    const it1 = fan.join('k', plan, null, fakeSocket().socket, '1', () => src.iterable);
    const done = it1.next();
    src.end();
    expect(await done).toEqual({ done: true, value: undefined });

    const failed = { errors: [{ message: 'nope' }] } as unknown as ExecutionResult;
    const x = fan.join('e', plan, null, fakeSocket().socket, 'x', async () => failed);
    const y = fan.join('e', plan, null, fakeSocket().socket, 'y', async () => failed);
    for (const m of [x, y]) {
      expect(await m.next()).toEqual({ done: false, value: failed });
      expect(await m.next()).toEqual({ done: true, value: undefined });
    }
  });

  it('cuts off a member whose socket holds too much unsent data with RESYNC_REQUIRED, and keeps the others', async () => {
    const fan = new SubscriptionFanout({ maxBufferedBytes: 100 });
    const src = source();
    const slow = fakeSocket();
    const fast = fakeSocket();
    const is = fan.join('k', plan, null, slow.socket, 's', () => src.iterable);
    const iF = fan.join('k', plan, null, fast.socket, 'f', () => src.iterable);
    void iF.next();
    slow.raw.bufferedAmount = 1_000;
    src.push({ data: { teamSummaryChanged: { alarms: 2 } } });
    const last = await is.next();
    expect((last.value as ExecutionResult).errors?.[0]?.extensions?.['code']).toBe('RESYNC_REQUIRED');
    expect(await is.next()).toEqual({ done: true, value: undefined });
    expect(slow.sent).toEqual([]);
    expect(fast.sent).toHaveLength(1);
    expect(fan.groupCount).toBe(1);
  });
});
