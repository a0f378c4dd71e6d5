import { describe, expect, it } from 'vitest';
import {
  addBusinessTime,
  businessTimeBetween,
  compileBusinessHours,
  instantOfWallTime,
  isBusinessTime,
  type WeeklyInterval,
} from '../src/domain/business-hours.ts';
import { DomainError } from '../src/domain/errors.ts';
import { compileOverduePolicy, deadlineOf } from '../src/domain/overdue-policy.ts';
import { HOUR, MINUTE } from '../src/domain/time.ts';

const utc = (iso: string): number => Date.parse(iso);
const weekdays = (from: string, to: string): WeeklyInterval[] =>
  ([1, 2, 3, 4, 5] as const).map((day) => ({ day, from, to }));

describe('wall time to instant', () => {
  const berlin = compileBusinessHours({ timeZone: 'Europe/Berlin', intervals: weekdays('09:00', '18:00') });

  it('uses winter and summer offsets on either side of the change', () => {
    expect(instantOfWallTime(berlin, utc('2025-03-29T12:00:00Z'))).toBe(utc('2025-03-29T11:00:00Z'));
    expect(instantOfWallTime(berlin, utc('2025-03-31T12:00:00Z'))).toBe(utc('2025-03-31T10:00:00Z'));
  });

  it('maps a wall time skipped in spring to the instant after the gap', () => {
    // 02:30 does not exist on 30 March 2025 in Berlin; 03:30 CEST is 01:30Z.
    expect(instantOfWallTime(berlin, utc('2025-03-30T02:30:00Z'))).toBe(utc('2025-03-30T01:30:00Z'));
  });

  it('maps a wall time repeated in autumn to its earlier occurrence', () => {
    // 02:30 happens twice on 26 October 2025: first at 00:30Z (CEST), then at 01:30Z (CET).
    expect(instantOfWallTime(berlin, utc('2025-10-26T02:30:00Z'))).toBe(utc('2025-10-26T00:30:00Z'));
  });
});

describe('business time across the spring DST change in Europe/Berlin', () => {
  const berlin = compileBusinessHours({ timeZone: 'Europe/Berlin', intervals: weekdays('09:00', '18:00') });

  it('carries the rest of a wait from Friday evening to Monday morning in the new offset', () => {
    // Friday 28 March 17:55 CET; 5 minutes left on Friday, 10 more from Monday 09:00 CEST (07:00Z).
    const friday = utc('2025-03-28T16:55:00Z');
    expect(addBusinessTime(berlin, friday, 15 * MINUTE)).toBe(utc('2025-03-31T07:10:00Z'));
  });

  it('counts only the real hours of an interval that spans the skipped hour', () => {
    const sunday = compileBusinessHours({ timeZone: 'Europe/Berlin', intervals: [{ day: 7, from: '00:00', to: '09:00' }] });
    expect(businessTimeBetween(sunday, utc('2025-03-29T00:00:00Z'), utc('2025-03-31T00:00:00Z'))).toBe(8 * HOUR);
    expect(businessTimeBetween(sunday, utc('2025-10-25T00:00:00Z'), utc('2025-10-27T00:00:00Z'))).toBe(10 * HOUR);
  });

  it('reaches the threshold at the right instant inside an interval that spans the gap', () => {
    // Sunday 01:00–04:00 local on 30 March is 00:00Z–02:00Z: two real hours, not three.
    const night = compileBusinessHours({ timeZone: 'Europe/Berlin', intervals: [{ day: 7, from: '01:00', to: '04:00' }] });
    expect(addBusinessTime(night, utc('2025-03-30T00:30:00Z'), 90 * MINUTE)).toBe(utc('2025-03-30T02:00:00Z'));
  });

  it('tells business time from the rest', () => {
    expect(isBusinessTime(berlin, utc('2025-03-28T08:00:00Z'))).toBe(true); // Fri 09:00 CET
    expect(isBusinessTime(berlin, utc('2025-03-28T07:59:59Z'))).toBe(false);
    expect(isBusinessTime(berlin, utc('2025-03-29T12:00:00Z'))).toBe(false); // Saturday
    expect(isBusinessTime(berlin, utc('2025-03-31T07:00:00Z'))).toBe(true); // Mon 09:00 CEST
    expect(isBusinessTime(berlin, utc('2025-03-31T06:30:00Z'))).toBe(false); // Mon 08:30 CEST
  });
});

describe('business time without DST', () => {
  const moscow = compileBusinessHours({ timeZone: 'Europe/Moscow', intervals: weekdays('10:00', '19:00') });

  it('starts counting at opening time when the wait begins at night', () => {
    // Tuesday 4 March 2025 02:00 MSK (= Monday 23:00Z); opening at 10:00 MSK = 07:00Z.
    expect(addBusinessTime(moscow, utc('2025-03-03T23:00:00Z'), 15 * MINUTE)).toBe(utc('2025-03-04T07:15:00Z'));
  });

  it('ends exactly at closing time when the threshold runs out there', () => {
    expect(addBusinessTime(moscow, utc('2025-03-04T15:45:00Z'), 15 * MINUTE)).toBe(utc('2025-03-04T16:00:00Z'));
  });

  it('merges overlapping intervals instead of counting their overlap twice', () => {
    const overlapping = compileBusinessHours({
      timeZone: 'Europe/Moscow',
      intervals: [
        { day: 2, from: '10:00', to: '14:00' },
        { day: 2, from: '12:00', to: '16:00' },
      ],
    });
    expect(businessTimeBetween(overlapping, utc('2025-03-03T00:00:00Z'), utc('2025-03-05T00:00:00Z'))).toBe(6 * HOUR);
  });

  it('accepts 24:00 as the end of the day', () => {
    const late = compileBusinessHours({ timeZone: 'Europe/Moscow', intervals: [{ day: 2, from: '23:00', to: '24:00' }] });
    expect(businessTimeBetween(late, utc('2025-03-04T00:00:00Z'), utc('2025-03-06T00:00:00Z'))).toBe(HOUR);
  });
});

describe('invalid business hours', () => {
  const invalid = (config: Parameters<typeof compileBusinessHours>[0]): unknown => {
    try {
      compileBusinessHours(config);
      return null;
    } catch (e) {
      return e;
    }
  };

  it.each([
    ['an unknown zone', { timeZone: 'Mars/Olympus', intervals: weekdays('09:00', '18:00') }],
    ['a bad clock', { timeZone: 'UTC', intervals: [{ day: 1 as const, from: '9am', to: '18:00' }] }],
    ['an interval that ends before it starts', { timeZone: 'UTC', intervals: [{ day: 1 as const, from: '22:00', to: '06:00' }] }],
    ['no intervals', { timeZone: 'UTC', intervals: [] }],
    ['a weekday out of range', { timeZone: 'UTC', intervals: [{ day: 8 as unknown as 1, from: '09:00', to: '10:00' }] }],
  ])('rejects %s with BAD_USER_INPUT', (_name, config) => {
    const e = invalid(config);
    expect(e).toBeInstanceOf(DomainError);
    expect((e as DomainError).code).toBe('BAD_USER_INPUT');
  });
});

describe('deadlineOf', () => {
  it('is the threshold on the clock without business hours', () => {
    const at = utc('2025-03-29T23:58:00Z');
    expect(deadlineOf(at, compileOverduePolicy())).toBe(at + 15 * MINUTE);
    expect(deadlineOf(at, compileOverduePolicy({ thresholdMinutes: 5 }))).toBe(at + 5 * MINUTE);
  });

  it('counts only business time with business hours', () => {
    const policy = compileOverduePolicy({ businessHours: { timeZone: 'Europe/Berlin', intervals: weekdays('09:00', '18:00') } });
    expect(deadlineOf(utc('2025-03-28T16:55:00Z'), policy)).toBe(utc('2025-03-31T07:10:00Z'));
  });
});
