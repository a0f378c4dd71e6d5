/**
 * The wall's one connection to the daemon: graphql-ws on the same origin's /graphql, signed in
 * with the viewer token in `connectionParams`. It never gives up: a daemon restart or a dropped
 * network closes the socket, the client reconnects with a short capped backoff, and every
 * subscription is sent again, so the board starts over with a fresh snapshot. A socket that
 * stops answering pings (a silent network drop) is torn down rather than trusted.
 */
import { createClient, type Client } from 'graphql-ws';

export type ConnectionStatus = 'connecting' | 'live' | 'down' | 'rejected';

export interface ConnectionEvents {
  status(status: ConnectionStatus): void;
}

const PING_EVERY_MS = 5_000;
const PONG_WITHIN_MS = 4_000;
/** graphql-ws's Forbidden close: the token was refused, retrying cannot help. */
const FORBIDDEN = 4403;

export function graphqlUrl(location: Location): string {
  const url = new URL('graphql', location.href);
  url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
  url.hash = '';
  url.search = '';
  return url.toString();
}

function closeCode(e: unknown): number | null {
  return typeof e === 'object' && e !== null && 'code' in e && typeof (e as { code: unknown }).code === 'number' ? (e as { code: number }).code : null;
}

export class Connection {
  readonly client: Client;
  private pongTimer: ReturnType<typeof setTimeout> | null = null;
  private socket: WebSocket | null = null;

  constructor(url: string, token: string, events: ConnectionEvents) {
    this.client = createClient({
      url,
      lazy: false,
      connectionParams: { authorization: `Bearer ${token}` },
      keepAlive: PING_EVERY_MS,
      connectionAckWaitTimeout: 10_000,
      retryAttempts: Number.POSITIVE_INFINITY,
      // Quick first retries so a restarted daemon is back on the wall within seconds; capped so a long outage is still polled often.
      retryWait: (retries) => new Promise((resolve) => setTimeout(resolve, Math.min(250 * 2 ** retries, 3_000) + Math.random() * 300)),
      shouldRetry: (e) => closeCode(e) !== FORBIDDEN,
      onNonLazyError: () => {
        // Reported through the `closed` listener below.
      },
      on: {
        connecting: () => events.status('connecting'),
        connected: (socket) => {
          this.socket = socket as WebSocket;
          events.status('live');
        },
        closed: (e) => {
          this.socket = null;
          this.clearPong();
          events.status(closeCode(e) === FORBIDDEN ? 'rejected' : 'down');
        },
        ping: (received) => {
          if (received) return;
          this.clearPong();
          this.pongTimer = setTimeout(() => {
            // No pong: the path to the daemon is gone even if the socket looks open.
            if (this.socket) this.client.terminate();
          }, PONG_WITHIN_MS);
        },
        pong: (received) => {
          if (received) this.clearPong();
        },
      },
    });
  }

  private clearPong(): void {
    if (this.pongTimer !== null) clearTimeout(this.pongTimer);
    this.pongTimer = null;
  }

  /** Subscribes for as long as the wall runs; results keep coming across reconnects. */
  subscribe<T>(query: string, variables: Record<string, unknown>, onData: (data: T) => void, onError: (errors: unknown) => void): () => void {
    return this.client.subscribe<T>(
      { query, variables },
      {
        next: (result) => {
          if (result.errors?.length) onError(result.errors);
          if (result.data) onData(result.data as T);
        },
        error: onError,
        complete: () => undefined,
      },
    );
  }

  /** One query over the same socket; waits for the connection if it is down. */
  query<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let data: T | null = null;
      this.client.subscribe<T>(
        { query, variables },
        {
          next: (result) => {
            if (result.errors?.length) reject(new Error(result.errors.map((e) => e.message).join('; ')));
            else data = result.data as T;
          },
          error: (e) => reject(e instanceof Error ? e : new Error(closeCode(e) !== null ? `connection closed (${closeCode(e)})` : String(e))),
          complete: () => (data === null ? reject(new Error('no data')) : resolve(data)),
        },
      );
    });
  }

  dispose(): void {
    this.clearPong();
    void this.client.dispose();
  }
}
