/**
 * The example portal as a process of its own (the demo starts it):
 *   node bin/run-ts.mjs src/portal/example/main.ts
 * Environment: TGDESK_PORTAL_SECRET (required), TGDESK_COMMANDS_URL (tgdesk's
 * …/portal/v1/commands; without it the portal never closes tasks), PORTAL_PORT (default: any
 * free port), PORTAL_CLOSE_AFTER_S (default 45). Prints one JSON line with its URLs on stdout.
 * With PORTAL_STDIN_CONTROL=1 (the demo), a line {"commandsUrl": "…"} on stdin sets tgdesk's
 * address later (the demo knows it only once its API listens), and the end of stdin stops it.
 */
import { createInterface } from 'node:readline';
import { startExamplePortal } from './portal.ts';

const env = process.env;
if (!env.TGDESK_PORTAL_SECRET) {
  process.stderr.write('example portal: set TGDESK_PORTAL_SECRET\n');
  process.exit(2);
}
const portal = await startExamplePortal({
  secret: env.TGDESK_PORTAL_SECRET,
  commandsUrl: env.TGDESK_COMMANDS_URL ?? null,
  port: Number(env.PORTAL_PORT ?? 0),
  closeAfterMs: Number(env.PORTAL_CLOSE_AFTER_S ?? 45) * 1000,
});
process.stdout.write(`${JSON.stringify({ url: portal.url, webhookUrl: portal.webhookUrl })}\n`);
if (env.PORTAL_STDIN_CONTROL === '1') {
  createInterface({ input: process.stdin })
    .on('line', (line) => {
      try {
        const msg = JSON.parse(line) as { commandsUrl?: unknown };
        if (typeof msg.commandsUrl === 'string') portal.setCommandsUrl(msg.commandsUrl);
      } catch {
        // Not for us.
      }
    })
    // The parent went away: so does the portal.
    .on('close', () => void portal.close().then(() => process.exit(0)));
}
const stop = () => void portal.close().then(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
