/**
 * A daemon process with the portal connector, for the portal reliability test: the test kills it
 * with SIGKILL at random points and starts it again on the same store.
 *
 * Environment: TGDESK_DATA_DIR (the store; DATABASE_URL and PG_SCHEMA for PostgreSQL), SIM_TEAM
 * (JSON team config), PORTAL_URL, PORTAL_SECRET. It drives no Telegram account: the store already
 * holds the chats and messages tasks are made from. Reads one JSON command per line on stdin
 * ({ n, op: create | close | reopen | update, … }) and answers each with one JSON line
 * ({ n, ok, taskId?, code? }) once it is committed; prints {"ready":true} first.
 */
import { createInterface } from 'node:readline';
import { Daemon } from '../../src/app/daemon.ts';
import { DomainError } from '../../src/domain/errors.ts';
import { createPortalConnector } from '../../src/portal/connector.ts';
import { createLogger } from '../../src/shared/log.ts';
import { openStore } from '../../src/store/database.ts';

const env = process.env;
const logger = createLogger({ level: 'error' });
const store = await openStore({ dataDir: env.TGDESK_DATA_DIR!, ...(env.DATABASE_URL ? { databaseUrl: env.DATABASE_URL, pgSchema: env.PG_SCHEMA, pgPoolSize: 4 } : {}) });
await store.migrate();
const daemon = new Daemon({ store, accounts: [], logger, team: JSON.parse(env.SIM_TEAM!), searchIndexer: false, portalRetry: { baseMs: 50, maxMs: 400, maxAttempts: 1_000_000 } });
await daemon.start();
const connector = createPortalConnector({ daemon, url: env.PORTAL_URL!, secret: env.PORTAL_SECRET!, logger, delivery: { concurrency: 4, timeoutMs: 300, pollMs: 100 } });
connector.start();

const actor = { label: 'token:reliability', memberUserId: null };
const out = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`);

interface Command {
  n: number;
  op: 'create' | 'close' | 'reopen' | 'update';
  chatKey?: string;
  messageIds?: string[];
  taskId?: string;
  title?: string;
}

async function run(c: Command) {
  switch (c.op) {
    case 'create':
      return daemon.tasks.createTask(actor, { chatKey: c.chatKey!, messageIds: c.messageIds! });
    case 'close':
      return daemon.tasks.closeTask(actor, c.taskId!);
    case 'reopen':
      return daemon.tasks.reopenTask(actor, c.taskId!);
    case 'update':
      return daemon.tasks.updateTask(actor, c.taskId!, { title: c.title! });
  }
}

let queue = Promise.resolve();
createInterface({ input: process.stdin }).on('line', (line) => {
  const c = JSON.parse(line) as Command;
  queue = queue.then(async () => {
    try {
      const task = await run(c);
      out({ n: c.n, ok: true, taskId: task.id });
    } catch (error) {
      out({ n: c.n, ok: false, code: error instanceof DomainError ? error.code : String(error) });
    }
  });
});
out({ ready: true });
process.once('SIGTERM', () => {
  void connector
    .stop()
    .then(() => daemon.close())
    .then(() => store.close())
    .then(() => process.exit(0));
});
