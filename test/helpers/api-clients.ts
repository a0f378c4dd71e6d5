/**
 * Standard clients for the API tests: graphql-ws (as Apollo Client and urql use it) and a plain
 * Server-Sent Events reader over fetch (as `curl -N` would read it).
 */
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

export interface ExecutionResultLike<T = Record<string, unknown>> {
  readonly data?: T | null;
  readonly errors?: readonly { message: string; extensions?: Record<string, unknown> }[];
}

/** Collects what a stream delivers, and lets a test wait for a matching item. */
export class Inbox<T> {
  readonly items: T[] = [];
  ended = false;
  error: unknown = null;
  private waiters: (() => void)[] = [];

  push(item: T): void {
    this.items.push(item);
    this.wake();
  }
  end(error: unknown = null): void {
    this.ended = true;
    this.error = error;
    this.wake();
  }
  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const fn of w) fn();
  }

  /** The first item (from index `from`) that passes `match`, waiting up to `timeoutMs`. */
  async waitFor(match: (item: T) => boolean, timeoutMs = 5_000, from = 0): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.items.slice(from).find(match);
      if (found !== undefined) return found;
      if (this.ended) throw new Error(`stream ended without a matching item (error: ${String(this.error)}); got ${JSON.stringify(this.items).slice(0, 2000)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching item within ${timeoutMs} ms; got ${JSON.stringify(this.items).slice(-2000)}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  async waitForCount(n: number, timeoutMs = 5_000): Promise<T[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.items.length < n) {
      if (this.ended) throw new Error(`stream ended after ${this.items.length} of ${n} items (error: ${String(this.error)})`);
      if (Date.now() >= deadline) throw new Error(`only ${this.items.length} of ${n} items within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.max(1, deadline - Date.now()));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.items.slice(0, n);
  }
}

export interface WsClient {
  readonly client: Client;
  /** Starts an operation; results land in the inbox. */
  subscribe<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>): { inbox: Inbox<ExecutionResultLike<T>>; stop(): void };
  /** The close event of a connection the server refused, if it did. */
  readonly closed: Promise<{ code: number; reason: string }>;
  dispose(): Promise<void>;
}

export function wsClient(url: string, token: string | null, options: { lazy?: boolean } = {}): WsClient {
  let onClosed!: (e: { code: number; reason: string }) => void;
  const closed = new Promise<{ code: number; reason: string }>((r) => (onClosed = r));
  const client = createClient({
    url,
    webSocketImpl: WebSocket,
    lazy: options.lazy ?? true,
    retryAttempts: 0,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    on: { closed: (e) => onClosed({ code: (e as { code: number }).code, reason: String((e as { reason: string }).reason) }) },
  });
  return {
    client,
    closed,
    subscribe<T>(query: string, variables?: Record<string, unknown>) {
      const inbox = new Inbox<ExecutionResultLike<T>>();
      const stop = client.subscribe<T>(
        { query, ...(variables ? { variables } : {}) },
        {
          next: (r) => inbox.push(r as ExecutionResultLike<T>),
          error: (e) => inbox.end(e),
          complete: () => inbox.end(),
        },
      );
      return { inbox, stop };
    },
    async dispose() {
      await client.dispose();
    },
  };
}

export interface SseStream<T> {
  readonly inbox: Inbox<ExecutionResultLike<T>>;
  readonly status: Promise<number>;
  stop(): void;
}

/** Subscribes over SSE (GraphQL over SSE "distinct connections" mode, as yoga serves it). */
export function sseSubscribe<T = Record<string, unknown>>(graphqlUrl: string, token: string | null, query: string, variables?: Record<string, unknown>): SseStream<T> {
  const inbox = new Inbox<ExecutionResultLike<T>>();
  const controller = new AbortController();
  let setStatus!: (s: number) => void;
  const status = new Promise<number>((r) => (setStatus = r));
  void (async () => {
    try {
      const res = await fetch(graphqlUrl, {
        method: 'POST',
        signal: controller.signal,
        headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ query, ...(variables ? { variables } : {}) }),
      });
      setStatus(res.status);
      if (!res.body) return inbox.end(new Error('no body'));
      const decoder = new TextDecoder();
      let buffer = '';
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        for (let cut = buffer.indexOf('\n\n'); cut !== -1; cut = buffer.indexOf('\n\n')) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          let event = 'message';
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith('event:')) event = line.slice(6).trim();
            else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
          }
          if (event === 'complete') return inbox.end();
          if (data.length) inbox.push(JSON.parse(data.join('\n')) as ExecutionResultLike<T>);
        }
      }
      inbox.end();
    } catch (error) {
      if ((error as Error).name !== 'AbortError') inbox.end(error);
      else inbox.end();
    }
  })();
  return { inbox, status, stop: () => controller.abort() };
}
