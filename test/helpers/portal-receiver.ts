/**
 * A portal for tests: a real HTTP server on 127.0.0.1 that checks the webhook signature, keeps
 * every event once by its `Idempotency-Key` (as docs/portal.md asks a portal to), and can be
 * switched into the failures a real portal has: down (connection refused), 5xx, hanging, or
 * accepting an event and then never answering (the answer is lost, the event is not).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifySignature } from '../../src/portal/signature.ts';

export type ReceiverMode = 'ok' | 'down' | 'error500' | 'hang' | 'acceptThenHang' | { status: number; retryAfterS?: number };

export interface ReceivedEvent {
  readonly key: string;
  readonly type: string;
  readonly taskId: string;
  readonly sequence: number;
  readonly version: number;
  readonly status: string;
  readonly body: Record<string, unknown>;
}

export interface PortalReceiver {
  readonly url: string;
  readonly port: number;
  /** Events kept, in the order they first arrived: each key once. */
  readonly accepted: ReceivedEvent[];
  /** Every POST that reached the handler, repeats included. */
  readonly attempts: { key: string; mode: string; at: number }[];
  /** Repeats of keys already kept. */
  duplicates: number;
  badSignatures: number;
  mode: ReceiverMode;
  setMode(mode: ReceiverMode): Promise<void>;
  close(): Promise<void>;
}

export async function startPortalReceiver(secret: string, initial: ReceiverMode = 'ok'): Promise<PortalReceiver> {
  const seen = new Set<string>();
  const hanging = new Set<ServerResponse>();
  let server: Server | null = null;
  let port = 0;

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const key = String(req.headers['idempotency-key'] ?? '');
      const mode = self.mode;
      self.attempts.push({ key, mode: typeof mode === 'string' ? mode : `status${mode.status}`, at: Date.now() });
      const verdict = verifySignature(secret, { timestamp: req.headers['x-tgdesk-timestamp'] as string, signature: req.headers['x-tgdesk-signature'] as string }, body, Date.now());
      if (!verdict.ok) {
        self.badSignatures++;
        res.writeHead(401).end();
        return;
      }
      if (mode === 'error500') {
        res.writeHead(500, { 'content-type': 'text/plain' }).end('portal is having a bad day');
        return;
      }
      if (typeof mode === 'object') {
        res.writeHead(mode.status, { 'content-type': 'text/plain', ...(mode.retryAfterS !== undefined ? { 'retry-after': String(mode.retryAfterS) } : {}) }).end(`status ${mode.status}`);
        return;
      }
      if (mode === 'hang') {
        hanging.add(res);
        return;
      }
      const event = JSON.parse(body.toString('utf8')) as { id: string; type: string; sequence: number; task: { id: string; version: number; status: string } };
      if (event.id !== key) throw new Error(`body id ${event.id} differs from the Idempotency-Key ${key}`);
      if (seen.has(key)) self.duplicates++;
      else {
        seen.add(key);
        self.accepted.push({ key, type: event.type, taskId: event.task.id, sequence: event.sequence, version: event.task.version, status: event.task.status, body: event as never });
      }
      if (mode === 'acceptThenHang') {
        hanging.add(res);
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ portalTaskId: `P-${event.task.id}`, url: `http://portal.test/tasks/P-${event.task.id}` }));
    });
  };

  const listen = async () => {
    server = createServer(handle);
    await new Promise<void>((resolve, reject) => {
      server!.once('error', reject);
      server!.listen(port, '127.0.0.1', () => resolve());
    });
    port = (server!.address() as AddressInfo).port;
  };
  const shut = async () => {
    if (!server) return;
    const s = server;
    server = null;
    for (const res of hanging) res.destroy();
    hanging.clear();
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  };

  const self: PortalReceiver = {
    url: '',
    port: 0,
    accepted: [],
    attempts: [],
    duplicates: 0,
    badSignatures: 0,
    mode: initial,
    async setMode(mode) {
      if (mode !== 'hang' && mode !== 'acceptThenHang') {
        for (const res of hanging) res.destroy();
        hanging.clear();
      }
      if (mode === 'down') await shut();
      else if (!server) await listen();
      self.mode = mode;
    },
    close: shut,
  };
  // Take a port now, so the URL stays the same while the portal goes down and comes back.
  await listen();
  Object.assign(self, { url: `http://127.0.0.1:${port}/webhook`, port });
  if (initial === 'down') await shut();
  return self;
}

/** Problems with what a receiver kept: a task's events out of order, missing, or repeated. */
export function orderProblems(accepted: readonly ReceivedEvent[]): string[] {
  const problems: string[] = [];
  const last = new Map<string, number>();
  for (const e of accepted) {
    const prev = last.get(e.taskId) ?? 0;
    if (e.sequence !== prev + 1) problems.push(`task ${e.taskId}: event ${e.sequence} arrived after ${prev}`);
    last.set(e.taskId, e.sequence);
  }
  return problems;
}
