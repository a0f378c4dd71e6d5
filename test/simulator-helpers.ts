/**
 * Small helpers for the simulator tests: a controllable clock, an update recorder with waits,
 * and the loops a TDLib client runs (load all chats, page all history).
 */
import type * as Td from 'tdlib-types';
import type { TdTransport } from '../src/tdlib/transport.ts';

export function testClock(start = Date.UTC(2026, 2, 10, 9, 0, 0)) {
  let t = start;
  return {
    now: (): number => t,
    advance(ms: number): void {
      t += ms;
    },
  };
}

export interface Recorder {
  readonly updates: Td.Update[];
  of<K extends Td.Update['_']>(type: K): Extract<Td.Update, { _: K }>[];
  /** Resolves with the first recorded (or later) update matching; rejects after `timeoutMs`. */
  waitFor<K extends Td.Update['_']>(type: K, predicate?: (u: Extract<Td.Update, { _: K }>) => boolean, timeoutMs?: number): Promise<Extract<Td.Update, { _: K }>>;
  clear(): void;
}

export function record(transport: TdTransport): Recorder {
  const updates: Td.Update[] = [];
  const waiters: (() => void)[] = [];
  transport.onUpdate((u) => {
    updates.push(u);
    for (const w of waiters.splice(0)) w();
  });
  transport.onError(() => undefined);
  const of = <K extends Td.Update['_']>(type: K) => updates.filter((u): u is Extract<Td.Update, { _: K }> => u._ === type);
  return {
    updates,
    of,
    clear: () => {
      updates.length = 0;
    },
    waitFor: <K extends Td.Update['_']>(type: K, predicate: (u: Extract<Td.Update, { _: K }>) => boolean = () => true, timeoutMs = 2000) =>
      new Promise<Extract<Td.Update, { _: K }>>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out waiting for ${type}`)), timeoutMs);
        const check = () => {
          const found = of(type).find(predicate);
          if (found) {
            clearTimeout(timer);
            resolve(found);
          } else {
            waiters.push(check);
          }
        };
        check();
      }),
  };
}

/** Waits until the account is authorized (the client saw authorizationStateReady and connection ready). */
export async function ready(rec: Recorder): Promise<void> {
  await rec.waitFor('updateAuthorizationState', (u) => u.authorization_state._ === 'authorizationStateReady');
  await rec.waitFor('updateConnectionState', (u) => u.state._ === 'connectionStateReady');
}

/** Lets every queued delivery run (several event-loop turns). */
export async function drain(turns = 20): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise((r) => setImmediate(r));
}

/** loadChats until TDLib says 404; returns how many calls succeeded. */
export async function loadAllChats(t: TdTransport): Promise<number> {
  for (let calls = 0; ; calls++) {
    try {
      await t.invoke({ _: 'loadChats', chat_list: { _: 'chatListMain' }, limit: 20 });
    } catch (error) {
      if ((error as { code?: number }).code === 404) return calls;
      throw error;
    }
  }
}

/** Pages getChatHistory from the newest message down to an empty page. */
export async function fullHistory(t: TdTransport, chatId: number, limit = 100): Promise<{ messages: Td.message[]; pages: number[] }> {
  const messages: Td.message[] = [];
  const pages: number[] = [];
  let from = 0;
  for (;;) {
    const page = await t.invoke({ _: 'getChatHistory', chat_id: chatId, from_message_id: from, offset: 0, limit, only_local: false });
    const got = page.messages.filter((m): m is Td.message => m !== null);
    if (got.length === 0) return { messages, pages };
    pages.push(got.length);
    messages.push(...got);
    from = (got[got.length - 1] as Td.message).id;
  }
}

export async function rejection(promise: Promise<unknown>): Promise<{ code?: number; message: string }> {
  try {
    await promise;
  } catch (error) {
    return error as { code?: number; message: string };
  }
  throw new Error('expected the call to fail');
}

export function textOf(m: Td.message | undefined | null): string {
  if (!m) return '';
  const c = m.content;
  if (c._ === 'messageText') return c.text.text;
  if (c._ === 'messagePhoto' || c._ === 'messageDocument') return c.caption.text;
  return '';
}
