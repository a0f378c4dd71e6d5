/**
 * The console's connection to the daemon. Queries and mutations go over HTTP (POST /graphql
 * with the token as a Bearer header); live data comes over one graphql-ws socket on the same
 * path. The socket reconnects by itself after a daemon restart or a network drop; after each
 * reconnect `onResync` runs, so the views refetch what they show (subscriptions here carry no
 * resume point of their own).
 */
import { createClient, type Client } from 'graphql-ws';

export type ConnectionStatus = 'connecting' | 'live' | 'down' | 'rejected';

/** A GraphQL error with the daemon's stable code (`extensions.code`). */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly code: string,
    /** For FLOOD_WAIT: seconds Telegram asked to wait. */
    readonly retryAfter: number | null = null,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

const FORBIDDEN_CLOSE = 4403;

function closeCode(e: unknown): number | null {
  return typeof e === 'object' && e !== null && 'code' in e && typeof (e as { code: unknown }).code === 'number' ? (e as { code: number }).code : null;
}

interface GqlError {
  readonly message: string;
  readonly extensions?: { readonly code?: string; readonly retryAfter?: number };
}

function toApiError(errors: readonly GqlError[]): ApiError {
  const first = errors[0]!;
  const retry = first.extensions?.retryAfter;
  return new ApiError(errors.map((e) => e.message).join('; '), first.extensions?.code ?? 'ERROR', typeof retry === 'number' ? retry : null);
}

export interface ApiEvents {
  status(status: ConnectionStatus): void;
  /** The socket came back after being down: refetch. */
  resync(): void;
}

export class Api {
  readonly httpUrl: string;
  private readonly client: Client;
  private everConnected = false;
  private wasDown = false;
  private pongTimer: ReturnType<typeof setTimeout> | null = null;
  private socket: WebSocket | null = null;

  constructor(
    private readonly token: string,
    private readonly events: ApiEvents,
  ) {
    const http = new URL('../graphql', location.href);
    http.hash = '';
    http.search = '';
    this.httpUrl = http.toString();
    const ws = new URL(this.httpUrl);
    ws.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
    this.client = createClient({
      url: ws.toString(),
      lazy: false,
      connectionParams: { authorization: `Bearer ${token}` },
      keepAlive: 10_000,
      retryAttempts: Number.POSITIVE_INFINITY,
      retryWait: (n) => new Promise((r) => setTimeout(r, Math.min(250 * 2 ** n, 3_000) + Math.random() * 300)),
      shouldRetry: (e) => closeCode(e) !== FORBIDDEN_CLOSE,
      onNonLazyError: () => undefined,
      on: {
        connecting: () => events.status('connecting'),
        connected: (socket) => {
          this.socket = socket as WebSocket;
          events.status('live');
          if (this.everConnected && this.wasDown) events.resync();
          this.everConnected = true;
          this.wasDown = false;
        },
        closed: (e) => {
          this.socket = null;
          this.clearPong();
          if (this.everConnected) this.wasDown = true;
          events.status(closeCode(e) === FORBIDDEN_CLOSE ? 'rejected' : 'down');
        },
        ping: (received) => {
          if (received) return;
          this.clearPong();
          // No pong within 5 s: the path is gone even if the socket looks open.
          this.pongTimer = setTimeout(() => this.socket && this.client.terminate(), 5_000);
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

  /** One query or mutation over HTTP. Rejects with an ApiError carrying the daemon's code. */
  async request<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    let res: Response;
    try {
      res = await fetch(this.httpUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json', authorization: `Bearer ${this.token}` },
        body: JSON.stringify({ query, variables }),
      });
    } catch {
      throw new ApiError('the daemon cannot be reached', 'NETWORK');
    }
    let body: { data?: T | null; errors?: GqlError[] };
    try {
      body = (await res.json()) as typeof body;
    } catch {
      throw new ApiError(`the daemon answered ${res.status}`, 'NETWORK');
    }
    if (body.errors?.length) throw toApiError(body.errors);
    if (!body.data) throw new ApiError('no data', 'ERROR');
    return body.data;
  }

  /** A subscription for as long as the returned function is not called; it survives reconnects. */
  subscribe<T>(query: string, variables: Record<string, unknown>, onData: (data: T) => void, onError: (error: ApiError) => void = () => undefined): () => void {
    return this.client.subscribe<T>(
      { query, variables },
      {
        next: (result) => {
          if (result.errors?.length) onError(toApiError(result.errors as GqlError[]));
          if (result.data) onData(result.data as T);
        },
        error: (e) => {
          if (Array.isArray(e)) onError(toApiError(e as GqlError[]));
          // Socket closes are reported through `status`.
        },
        complete: () => undefined,
      },
    );
  }

  dispose(): void {
    this.clearPong();
    void this.client.dispose();
  }
}
