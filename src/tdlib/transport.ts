/**
 * The TDLib-shaped client underneath an account: real TDLib through tdl, or the simulator.
 * Only src/tdlib sees this interface and the TDLib types it carries.
 */
import type * as Td from 'tdlib-types';

export interface TdTransport {
  /** Sends one TDLib request; rejects with `{ code, message }` as TDLib does. */
  invoke<T extends Td.$FunctionName>(
    request: { readonly _: T } & Td.$FunctionInputByName[T],
  ): Promise<Td.$FunctionResultByName[T]>;
  /** Every update, in the order TDLib produced it. */
  onUpdate(listener: (update: Td.Update) => void): void;
  /** Errors TDLib or the transport reports outside a request. Always attached. */
  onError(listener: (error: unknown) => void): void;
  /** Sends `close` and resolves when TDLib reports `authorizationStateClosed`. */
  close(): Promise<void>;
}

/** Creates the transport of one account: its own database and files directory. */
export type TdTransportFactory = (accountId: string) => TdTransport;
