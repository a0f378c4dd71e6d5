/**
 * An example corporate portal, for the demo: a small HTTP server of its own, apart from the
 * daemon (it imports nothing of tgdesk, as a real portal would not), that shows the whole round
 * trip of docs/portal.md:
 *
 * - `POST /webhook` receives task events: checks the signature and the timestamp, drops a
 *   repeated `Idempotency-Key`, keeps the task, and answers with its own id and page URL;
 * - `GET /` lists the tasks on a plain HTML page that refreshes itself; `GET /tasks/<id>` shows one;
 * - after a while it closes some open tasks itself, with a signed command to tgdesk, so the
 *   task closes there too.
 */
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ExamplePortalOptions {
  readonly secret: string;
  /** tgdesk's command endpoint (…/portal/v1/commands); null: the portal never closes tasks itself. */
  readonly commandsUrl: string | null;
  readonly host?: string;
  readonly port?: number;
  /** An open task this old may be closed by the portal. */
  readonly closeAfterMs?: number;
  /** Share of tasks the portal closes itself (the rest wait for tgdesk). */
  readonly closeShare?: number;
  readonly tickMs?: number;
  readonly log?: (line: string) => void;
}

interface PortalTask {
  readonly portalId: string;
  tgdeskId: string;
  title: string;
  status: string;
  chatTitle: string;
  link: string;
  assignee: string | null;
  messages: { sender: string; sentAt: string; text: string }[];
  receivedAt: number;
  /** Events as they came, by sequence: the order check a real portal would keep. */
  events: { key: string; type: string; sequence: number; at: number }[];
  lastSequence: number;
  closing: boolean;
}

export interface ExamplePortal {
  readonly url: string;
  readonly webhookUrl: string;
  readonly tasks: ReadonlyMap<string, PortalTask>;
  /** Where to send commands, when tgdesk's address is known only after the portal started. */
  setCommandsUrl(url: string): void;
  close(): Promise<void>;
}

const TOLERANCE_S = 300;

function sign(secret: string, ts: number, body: string | Buffer): string {
  return `v1=${createHmac('sha256', secret).update(`${ts}.`).update(body).digest('hex')}`;
}

function verified(secret: string, req: IncomingMessage, body: Buffer): boolean {
  const ts = String(req.headers['x-tgdesk-timestamp'] ?? '');
  const given = String(req.headers['x-tgdesk-signature'] ?? '');
  if (!/^\d+$/.test(ts) || Math.abs(Date.now() / 1000 - Number(ts)) > TOLERANCE_S) return false;
  const expected = Buffer.from(sign(secret, Number(ts), body));
  return given.split(',').some((g) => {
    const b = Buffer.from(g.trim());
    return b.length === expected.length && timingSafeEqual(b, expected);
  });
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export async function startExamplePortal(options: ExamplePortalOptions): Promise<ExamplePortal> {
  const log = options.log ?? ((line: string) => process.stderr.write(`[example portal] ${line}\n`));
  const tasks = new Map<string, PortalTask>();
  const byTgdeskId = new Map<string, PortalTask>();
  const answers = new Map<string, string>();
  let nextId = 1;
  let base = '';
  let commandsUrl = options.commandsUrl;

  const page = (res: ServerResponse, title: string, body: string, refresh = true) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(
      `<!doctype html><html><head><meta charset="utf-8"><title>${esc(title)}</title>${refresh ? '<meta http-equiv="refresh" content="5">' : ''}` +
        '<style>body{font:14px system-ui,sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}.closed{color:#888}</style>' +
        `</head><body>${body}</body></html>`,
    );
  };

  const onWebhook = (req: IncomingMessage, res: ServerResponse, body: Buffer) => {
    if (!verified(options.secret, req, body)) {
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"bad signature"}');
      return;
    }
    const key = String(req.headers['idempotency-key'] ?? '');
    const seen = answers.get(key);
    if (seen) {
      // A repeat after a lost answer: the same reply, nothing applied twice.
      res.writeHead(200, { 'content-type': 'application/json' }).end(seen);
      return;
    }
    let event: { type: string; sequence: number; task: { id: string; title: string; status: string; chat: { title: string }; link: string; assignee: { name: string } | null; messages: { sender: { name: string }; sentAt: string; text: string }[] } };
    try {
      event = JSON.parse(body.toString('utf8'));
    } catch {
      res.writeHead(400).end();
      return;
    }
    const t = event.task;
    let task = byTgdeskId.get(t.id);
    if (!task) {
      task = { portalId: `P-${nextId++}`, tgdeskId: t.id, title: t.title, status: t.status, chatTitle: t.chat.title, link: t.link, assignee: null, messages: [], receivedAt: Date.now(), events: [], lastSequence: 0, closing: false };
      tasks.set(task.portalId, task);
      byTgdeskId.set(t.id, task);
    }
    if (event.sequence > task.lastSequence) {
      Object.assign(task, { title: t.title, status: t.status, chatTitle: t.chat.title, link: t.link, assignee: t.assignee?.name ?? null });
      task.messages = t.messages.map((m) => ({ sender: m.sender.name, sentAt: m.sentAt, text: m.text }));
      task.lastSequence = event.sequence;
    }
    task.events.push({ key, type: event.type, sequence: event.sequence, at: Date.now() });
    log(`${event.type} #${event.sequence} for task ${t.id} (${task.portalId}): ${t.title}`);
    const answer = JSON.stringify({ portalTaskId: task.portalId, url: `${base}/tasks/${task.portalId}` });
    answers.set(key, answer);
    res.writeHead(200, { 'content-type': 'application/json' }).end(answer);
  };

  const onList = (res: ServerResponse) => {
    const rows = [...tasks.values()]
      .reverse()
      .map(
        (t) =>
          `<tr class="${t.status}"><td><a href="/tasks/${t.portalId}">${t.portalId}</a></td><td>${esc(t.title)}</td><td>${esc(t.chatTitle)}</td><td>${t.status}</td>` +
          `<td>${t.messages.length}</td><td><a href="${esc(t.link)}">open in chat</a></td><td>${t.events.map((e) => `${e.sequence}:${e.type.replace('task.', '')}`).join(' ')}</td></tr>`,
      )
      .join('');
    page(
      res,
      'Example portal: tasks',
      `<h1>Example portal</h1><p>Tasks created in tgdesk arrive here by signed webhook. This portal closes some open tasks itself after ${Math.round((options.closeAfterMs ?? 45_000) / 1000)} s; watch them close in tgdesk too.</p>` +
        `<table><tr><th>Portal id</th><th>Title</th><th>Chat</th><th>Status</th><th>Messages</th><th>Link</th><th>Events (sequence:type)</th></tr>${rows || '<tr><td colspan="7">No tasks yet: create one in tgdesk (createTask).</td></tr>'}</table>`,
    );
  };

  const onTask = (res: ServerResponse, id: string) => {
    const t = tasks.get(id);
    if (!t) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('no such task\n');
      return;
    }
    const messages = t.messages.map((m) => `<tr><td>${esc(m.sentAt)}</td><td>${esc(m.sender)}</td><td>${esc(m.text).replace(/\n/g, '<br>')}</td></tr>`).join('');
    page(
      res,
      `${t.portalId}: ${t.title}`,
      `<p><a href="/">← all tasks</a></p><h1>${t.portalId}: ${esc(t.title)}</h1><p>Status: <b>${t.status}</b> · tgdesk task ${esc(t.tgdeskId)} · chat ${esc(t.chatTitle)} · assignee ${esc(t.assignee ?? 'nobody')} · <a href="${esc(t.link)}">open in chat</a></p>` +
        `<table><tr><th>Sent</th><th>From</th><th>Text</th></tr>${messages}</table>`,
      false,
    );
  };

  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method === 'POST' && path === '/webhook') return onWebhook(req, res, Buffer.concat(chunks));
      if (req.method === 'GET' && path === '/') return onList(res);
      const m = /^\/tasks\/(P-\d+)$/.exec(path);
      if (req.method === 'GET' && m) return onTask(res, m[1]!);
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    });
  });

  /** Closes a share of the open tasks that have waited long enough, as a person on the portal would. */
  const closeSome = async () => {
    if (!commandsUrl) return;
    const now = Date.now();
    for (const t of tasks.values()) {
      if (t.status !== 'open' || t.closing || now - t.receivedAt < (options.closeAfterMs ?? 45_000)) continue;
      // Decided once per task from its id, so the same tasks are picked on every tick.
      const pick = ((Number(t.portalId.slice(2)) - 1) * 0.618_033_988_75) % 1 < (options.closeShare ?? 0.5);
      if (!pick) continue;
      t.closing = true;
      const body = JSON.stringify({ id: randomUUID(), type: 'task.close', portalTaskId: t.portalId, by: { name: 'Portal robot' } });
      const ts = Math.floor(Date.now() / 1000);
      try {
        const res = await fetch(commandsUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-tgdesk-timestamp': String(ts), 'x-tgdesk-signature': sign(options.secret, ts, body) },
          body,
          signal: AbortSignal.timeout(5_000),
        });
        if (res.ok) {
          t.status = 'closed';
          log(`closed ${t.portalId} (tgdesk task ${t.tgdeskId}) from the portal`);
        } else {
          log(`tgdesk refused closing ${t.portalId}: HTTP ${res.status} ${await res.text()}`);
        }
      } catch (error) {
        log(`could not reach tgdesk to close ${t.portalId}: ${(error as Error).message}`);
      }
      t.closing = false;
    }
  };
  const timer = setInterval(() => void closeSome(), options.tickMs ?? 5_000);
  timer.unref();

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  base = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  return {
    url: base,
    webhookUrl: `${base}/webhook`,
    tasks,
    setCommandsUrl(url) {
      commandsUrl = url;
    },
    async close() {
      clearInterval(timer);
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
