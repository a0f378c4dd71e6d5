import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventBus } from '../src/app/event-bus.ts';
import { Writer, type NewEvent } from '../src/app/writer.ts';
import { DomainError } from '../src/domain/errors.ts';
import { pruneEvents } from '../src/store/events.repository.ts';
import { createTestStore, STORE_KINDS, type TestStore } from './helpers/stores.ts';

const alarm = (i: number): NewEvent => ({ type: 'alarmRaised', at: 1_700_000_000_000 + i, chatKey: `-100${i % 7}`, alarm: { raisedBy: 1, raisedAt: i, reason: `r${i}` } });

describe.each(STORE_KINDS)('event log and bus on %s', (kind) => {
  let store: TestStore;
  let bus: EventBus;
  let writer: Writer;
  beforeAll(async () => {
    store = await createTestStore(kind);
    bus = new EventBus(store.db);
    writer = new Writer(store.db, store.dialect, bus);
  });
  afterAll(async () => store?.dispose());

  it('numbers events in commit order and publishes them only after the commit', async () => {
    const seen: number[] = [];
    const stop = bus.subscribe((events) => seen.push(...events.map((e) => e.seq)));
    let publishedInside = -1;
    await writer.run(async (_trx, emit) => {
      emit(alarm(1));
      emit(alarm(2));
      publishedInside = seen.length;
    });
    await expect(
      writer.run(async (_trx, emit) => {
        emit(alarm(3));
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    stop();
    expect(publishedInside).toBe(0);
    expect(seen).toHaveLength(2);
    expect(seen[1]).toBe(seen[0]! + 1);
    const stored = await store.db.selectFrom('events').select('seq').execute();
    expect(stored.map((r) => r.seq)).toEqual(seen);
  });

  it('a resumed stream replays the backlog and goes live with nothing missed or repeated', async () => {
    const last = bus.lastSeq;
    for (let i = 0; i < 30; i++) await writer.run(async (_t, emit) => emit(alarm(100 + i)));
    const abort = new AbortController();
    const got: number[] = [];
    const reading = (async () => {
      for await (const e of bus.stream(last, abort.signal)) {
        got.push(e.seq);
        if (got.length === 60) abort.abort();
      }
    })();
    // Live events written while the replay is still running.
    for (let i = 0; i < 30; i++) await writer.run(async (_t, emit) => emit(alarm(200 + i)));
    await reading;
    expect(got).toHaveLength(60);
    expect(new Set(got).size).toBe(60);
    expect(got).toEqual([...got].sort((a, b) => a - b));
    expect(got[0]).toBe(last + 1);
    expect(got[59]).toBe(last + 60);
  });

  it('a stream resumed from before the oldest kept event is told to resync', async () => {
    await pruneEvents(store.db, Number.MAX_SAFE_INTEGER, 5);
    const iterator = bus.stream(1);
    const error = await iterator.next().then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).code).toBe('RESYNC_REQUIRED');
    // From the newest kept events it works.
    const bounds = await store.db.selectFrom('events').select((eb) => eb.fn.min('seq').as('min')).executeTakeFirstOrThrow();
    const abort = new AbortController();
    const first = await bus.stream(Number(bounds.min) - 1, abort.signal).next();
    expect(first.value?.seq).toBe(Number(bounds.min));
  });
});
