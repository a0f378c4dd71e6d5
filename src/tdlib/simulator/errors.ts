/**
 * TDLib errors as the simulator raises them: the `{ _: 'error', code, message }` object TDLib
 * returns, carried by an Error so stack traces survive, and named like tdl's `TDLibError`.
 */
import type * as Td from 'tdlib-types';

export class SimTdError extends Error {
  readonly _ = 'error' as const;
  readonly code: number;

  constructor(code: number, message: string) {
    super(message);
    this.name = 'TDLibError';
    this.code = code;
  }

  /** The plain TDLib object, as it travels over the remote transport. */
  toTd(): Td.error {
    return { _: 'error', code: this.code, message: this.message };
  }

  toJSON(): Td.error {
    return this.toTd();
  }
}

export function tdError(code: number, message: string): SimTdError {
  return new SimTdError(code, message);
}

export function isTdError(value: unknown): value is { _: 'error'; code: number; message: string } {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { _?: unknown })._ === 'error' &&
    typeof (value as { code?: unknown }).code === 'number'
  );
}

/** What tdl rejects pending and later calls with once a client is closed. */
export function clientClosedError(): Error {
  return new Error('Client was closed');
}
