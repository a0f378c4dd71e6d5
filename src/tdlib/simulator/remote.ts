/**
 * The simulator over a WebSocket, so the ground truth can stay in a test process while the
 * daemon runs as a child process that is killed and restarted. One socket is one TDLib client:
 * a socket that goes away without `close` is a crashed client (the world's restart rules apply).
 *
 * Wire format, one JSON object per frame:
 *   client → server  { t: 'invoke', id, request }
 *   server → client  { t: 'update', update } | { t: 'result', id, result } | { t: 'error', id, error }
 * Frames are sent in the order the simulated client produced them, so updates and responses
 * keep TDLib's ordering across the socket.
 */
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type * as Td from 'tdlib-types';
import { WebSocket, WebSocketServer } from 'ws';
import type { TdTransport } from '../transport.ts';
import { OrderedDelivery } from './delivery.ts';
import { SimTdError, clientClosedError, isTdError } from './errors.ts';
import type { RestartPolicy } from './feed.ts';
import { fullName } from './model.ts';
import type { SimWorld } from './world.ts';

type WireError = { readonly _: 'error'; readonly code: number; readonly message: string } | { readonly closed: true; readonly message: string };

type ServerFrame =
  | { readonly t: 'update'; readonly update: Td.Update }
  | { readonly t: 'result'; readonly id: number; readonly result: unknown }
  | { readonly t: 'error'; readonly id: number; readonly error: WireError };

type ClientFrame = { readonly t: 'invoke'; readonly id: number; readonly request: { readonly _: string } };

/** A request as it arrives off the wire; the simulator validates it as TDLib would, by name. */
type AnyRequest = Parameters<TdTransport['invoke']>[0];

export interface SimServer {
  /** `ws://host:port`; clients connect to `<url>/account/<user id>`. */
  readonly url: string;
  close(): Promise<void>;
}

export interface ServeOptions {
  readonly host?: string;
  /** 0 picks a free port. */
  readonly port?: number;
}

const RESTART_POLICIES: readonly string[] = ['resume', 'redeliver', 'latest', 'random'];

/**
 * Serves the world. Besides the sockets, `GET /accounts` lists the accounts (user id, name,
 * username, phone) so a daemon process can be configured from the running world.
 */
export async function serveSimWorld(world: SimWorld, options: ServeOptions = {}): Promise<SimServer> {
  const http = createServer((req, res) => answerHttp(world, req, res));
  const wss = new WebSocketServer({ server: http });
  const sockets = new Set<WebSocket>();

  wss.on('connection', (ws, req) => {
    sockets.add(ws);
    ws.on('close', () => sockets.delete(ws));
    const url = new URL(req.url ?? '/', 'ws://sim');
    const match = /^\/account\/(\d+)$/.exec(url.pathname);
    const userId = match ? Number(match[1]) : Number.NaN;
    if (!world.user(userId)) {
      ws.close(4004, 'unknown account');
      return;
    }
    const restartParam = url.searchParams.get('restart');
    const restart = restartParam && RESTART_POLICIES.includes(restartParam) ? (restartParam as RestartPolicy) : undefined;
    const transport = world.connect(userId, restart ? { restart } : {});
    let closedCleanly = false;
    const send = (frame: ServerFrame): void => {
      if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(frame));
    };
    transport.onUpdate((update) => {
      if (update._ === 'updateAuthorizationState' && update.authorization_state._ === 'authorizationStateClosed') closedCleanly = true;
      send({ t: 'update', update });
    });
    transport.onError(() => {
      // The simulated client died in the world (world.drop): the remote side must see it die too.
      if (!world.isConnected(userId) || ws.readyState !== WebSocket.OPEN) ws.close(1011, 'simulated client lost');
    });
    ws.on('message', (data) => {
      let frame: ClientFrame;
      try {
        frame = JSON.parse(String(data)) as ClientFrame;
      } catch {
        return;
      }
      if (frame.t !== 'invoke') return;
      transport.invoke(frame.request as AnyRequest).then(
        (result) => send({ t: 'result', id: frame.id, result }),
        (error: unknown) => send({ t: 'error', id: frame.id, error: toWireError(error) }),
      );
    });
    ws.on('close', () => {
      if (!closedCleanly) transport.drop();
    });
  });

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = http.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `ws://${host}:${address.port}`,
    close: async () => {
      for (const ws of sockets) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

function answerHttp(world: SimWorld, req: IncomingMessage, res: ServerResponse): void {
  if (req.method === 'GET' && req.url === '/accounts') {
    const accounts = world
      .users()
      .filter((u) => u.isAccount)
      .map((u) => ({ userId: u.id, name: fullName(u), username: u.username, phone: u.phone }));
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(accounts));
    return;
  }
  res.writeHead(404).end();
}

function toWireError(error: unknown): WireError {
  if (isTdError(error)) return { _: 'error', code: error.code, message: error.message };
  return { closed: true, message: error instanceof Error ? error.message : String(error) };
}

// ── client ───────────────────────────────────────────────────────────────────────────────────

interface Pending {
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

class RemoteSimTransport implements TdTransport {
  private readonly ws: WebSocket;
  private readonly delivery: OrderedDelivery;
  private readonly pending = new Map<number, Pending>();
  private readonly outbox: string[] = [];
  private readonly updateListeners: ((update: Td.Update) => void)[] = [];
  private readonly errorListeners: ((error: unknown) => void)[] = [];
  private nextId = 1;
  private closing: Promise<void> | null = null;
  private socketClosed = false;
  private sawClosedState = false;

  constructor(url: string) {
    this.delivery = new OrderedDelivery((update) => this.deliver(update));
    this.ws = new WebSocket(url);
    this.ws.on('open', () => {
      for (const frame of this.outbox.splice(0)) this.ws.send(frame);
    });
    this.ws.on('message', (data) => this.receive(String(data)));
    this.ws.on('error', (error) => this.emitError(error));
    this.ws.on('close', () => this.socketGone());
  }

  invoke<T extends Td.$FunctionName>(request: { readonly _: T } & Td.$FunctionInputByName[T]): Promise<Td.$FunctionResultByName[T]> {
    if (this.socketClosed || (this.closing && request._ !== 'close')) return Promise.reject(clientClosedError());
    return new Promise<Td.$FunctionResultByName[T]>((resolve, reject) => {
      const id = this.nextId++;
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      const frame = JSON.stringify({ t: 'invoke', id, request } satisfies ClientFrame);
      if (this.ws.readyState === WebSocket.OPEN) this.ws.send(frame);
      else this.outbox.push(frame);
    });
  }

  onUpdate(listener: (update: Td.Update) => void): void {
    this.updateListeners.push(listener);
  }

  onError(listener: (error: unknown) => void): void {
    this.errorListeners.push(listener);
  }

  close(): Promise<void> {
    if (this.closing) return this.closing;
    if (this.socketClosed) return Promise.resolve();
    this.closing = this.invoke({ _: 'close' })
      .catch(() => undefined)
      .then(
        () =>
          new Promise<void>((resolve) => {
            if (this.socketClosed) return resolve();
            this.ws.once('close', () => resolve());
            this.ws.close(1000, 'closed');
          }),
      );
    return this.closing;
  }

  private receive(raw: string): void {
    let frame: ServerFrame;
    try {
      frame = JSON.parse(raw) as ServerFrame;
    } catch {
      return;
    }
    if (frame.t === 'update') {
      if (frame.update._ === 'updateAuthorizationState' && frame.update.authorization_state._ === 'authorizationStateClosed') this.sawClosedState = true;
      this.delivery.update(frame.update);
      return;
    }
    const call = this.pending.get(frame.id);
    if (!call) return;
    this.pending.delete(frame.id);
    this.delivery.settle(() => {
      if (frame.t === 'result') call.resolve(frame.result);
      else call.reject('_' in frame.error ? new SimTdError(frame.error.code, frame.error.message) : new Error(frame.error.message));
    });
  }

  private deliver(update: Td.Update): void {
    for (const listener of this.updateListeners) {
      try {
        listener(update);
      } catch (error) {
        this.emitError(error);
      }
    }
  }

  private socketGone(): void {
    if (this.socketClosed) return;
    this.socketClosed = true;
    const pending = [...this.pending.values()];
    this.pending.clear();
    // Whatever already arrived is still delivered in order; then the calls in flight fail.
    this.delivery.settle(() => {
      for (const call of pending) call.reject(clientClosedError());
      if (!this.closing && !this.sawClosedState) this.emitError(new Error('Connection to the simulator was lost'));
    });
  }

  private emitError(error: unknown): void {
    if (this.errorListeners.length === 0) void Promise.reject(error);
    for (const listener of this.errorListeners) listener(error);
  }
}

/**
 * A TdTransport for one account of a world served by `serveSimWorld`. `restart` overrides the
 * world's restart policy for this connection.
 */
export function connectRemoteSimulator(url: string, accountUserId: number, options: { restart?: RestartPolicy } = {}): TdTransport {
  const base = url.replace(/\/+$/, '');
  const query = options.restart ? `?restart=${options.restart}` : '';
  return new RemoteSimTransport(`${base}/account/${accountUserId}${query}`);
}
