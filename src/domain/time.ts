/**
 * Time in src/domain: every instant is unix **milliseconds** (`UnixMs`), every span is
 * milliseconds (`DurationMs`). That matches the store (times are unix ms) and JavaScript's own
 * clock and timers, so the app can pass `Date.now()` and `setTimeout(deadline - now)` as is.
 *
 * The one exception is `telegram.ts`, which mirrors Telegram and keeps its unix **seconds**
 * (`TgMessage.date`, `editDate`, `TgUser.lastSeenAt`). Convert with `fromUnixSeconds` at the
 * edge, once; a second-valued date fed into the overdue clock would put every wait in 1970.
 *
 * The domain never reads a clock: functions that need "now" take it as a parameter.
 */

/** An instant, unix milliseconds. */
export type UnixMs = number;

/** A length of time in milliseconds. */
export type DurationMs = number;

export const SECOND: DurationMs = 1_000;
export const MINUTE: DurationMs = 60 * SECOND;
export const HOUR: DurationMs = 60 * MINUTE;
export const DAY: DurationMs = 24 * HOUR;

/** Telegram's unix seconds to the domain's unix milliseconds. */
export function fromUnixSeconds(seconds: number): UnixMs {
  return seconds * SECOND;
}
