/**
 * Inbound half of the portal connector: `POST /portal/v1/commands`, where the portal closes or
 * reopens a task, or changes its title, description or assignee (docs/portal.md).
 *
 * The signature is checked before the body is parsed, and a request that fails it (bad or
 * missing signature, timestamp outside the window) gets 401 having changed nothing. A request
 * id seen before is a replay: answered 200 with `applied: false`, nothing changed.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Tasks } from '../app/tasks.ts';
import { DomainError } from '../domain/errors.ts';
import { parsePortalCommand, type TaskHeader } from '../domain/tasks.ts';
import type { Logger } from '../shared/log.ts';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, TIMESTAMP_TOLERANCE_S, verifySignature } from './signature.ts';

export const PORTAL_COMMANDS_PATH = '/portal/v1/commands';

const MAX_BODY_BYTES = 64 * 1024;

export interface PortalInboundOptions {
  readonly tasks: Tasks;
  readonly secret: string;
  readonly logger: Logger;
  readonly clock?: () => number;
  readonly toleranceS?: number;
}

export type HttpHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** What the portal gets back about a task: its state after the command. */
export function taskReply(task: TaskHeader) {
  return {
    id: task.id,
    status: task.status,
    version: task.version,
    title: task.title,
    description: task.description,
    assigneeId: task.assigneeId === null ? null : String(task.assigneeId),
    closedAt: task.closedAt === null ? null : new Date(task.closedAt).toISOString(),
    portalTaskId: task.portalTaskId,
  };
}

export function createPortalInbound(options: PortalInboundOptions): HttpHandler {
  const clock = options.clock ?? Date.now;
  const reply = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    if (res.headersSent) return;
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers }).end(JSON.stringify(body));
  };
  const fail = (res: ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}) => reply(res, status, { ok: false, error: { code, message } }, headers);

  return (req, res) => {
    if (req.method !== 'POST') {
      fail(res, 405, 'METHOD_NOT_ALLOWED', `POST a signed command to ${PORTAL_COMMANDS_PATH}`, { allow: 'POST' });
      return;
    }
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (Number.isFinite(declared) && declared > MAX_BODY_BYTES) {
      fail(res, 413, 'PAYLOAD_TOO_LARGE', `at most ${MAX_BODY_BYTES} bytes`, { connection: 'close' });
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        tooLarge = true;
        return;
      }
      chunks.push(chunk);
    });
    req.on('error', () => res.destroy());
    req.on('end', () => {
      if (tooLarge) {
        fail(res, 413, 'PAYLOAD_TOO_LARGE', `at most ${MAX_BODY_BYTES} bytes`, { connection: 'close' });
        return;
      }
      const body = Buffer.concat(chunks);
      const verdict = verifySignature(
        options.secret,
        { timestamp: header(req, TIMESTAMP_HEADER), signature: header(req, SIGNATURE_HEADER) },
        body,
        clock(),
        options.toleranceS ?? TIMESTAMP_TOLERANCE_S,
      );
      if (!verdict.ok) {
        options.logger.warn('portal command refused: bad signature', { reason: verdict.reason, from: req.socket.remoteAddress });
        fail(res, 401, 'UNAUTHENTICATED', verdict.reason, { 'www-authenticate': 'HMAC-SHA256 realm="tgdesk-portal"' });
        return;
      }
      let json: unknown;
      try {
        json = JSON.parse(body.toString('utf8'));
      } catch {
        fail(res, 400, 'BAD_USER_INPUT', 'the body is not JSON');
        return;
      }
      void (async () => {
        try {
          const command = parsePortalCommand(json);
          const { task, applied } = await options.tasks.applyPortalCommand(command);
          reply(res, 200, { ok: true, applied, task: taskReply(task) });
        } catch (error) {
          if (error instanceof DomainError) {
            const status = error.code === 'NOT_FOUND' ? 404 : error.code === 'BAD_USER_INPUT' ? 400 : error.code === 'CONFLICT' ? 409 : 422;
            fail(res, status, error.code, error.message);
            return;
          }
          options.logger.error('portal command failed', { error });
          fail(res, 500, 'INTERNAL', 'the command could not be applied; try again');
        }
      })();
    });
  };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}
