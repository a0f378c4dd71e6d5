/**
 * Serves the built operator console (src/console/web/dist, built by `bin/build-console.mjs` at
 * `npm install`) at `/console/`. Static files only, read from disk by name from the build's own
 * listing, never from user-built paths; the page may talk to nothing but this origin.
 *
 * A checkout whose console was never built (the install step skipped, a fresh clone started
 * straight away) gets it built once in the background, in a child process, on the first visit;
 * the page says so and reloads itself.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CONSOLE_DIST = fileURLToPath(new URL('../console/web/dist/', import.meta.url));
const BUILD_SCRIPT = fileURLToPath(new URL('../../bin/build-console.mjs', import.meta.url));
export const CONSOLE_PATH = '/console';

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

const SECURITY_HEADERS = {
  // connect-src 'self' covers the same-origin WebSocket (CSP 3). Links open in new tabs; nothing is embedded.
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

const page = (title: string, body: string, refresh: boolean) => `<!doctype html><meta charset="utf-8">${refresh ? '<meta http-equiv="refresh" content="3">' : ''}<title>tgdesk · console</title>
<body><h1>${title}</h1>${body}<p>The GraphQL API is at <a href="../graphql">/graphql</a>.</p>`;

interface Asset {
  readonly body: Buffer;
  readonly type: string;
  readonly immutable: boolean;
}

export class ConsoleStatic {
  private assets = new Map<string, Asset>();
  private indexMtime = 0;
  private build: 'idle' | 'running' | 'failed' = 'idle';

  constructor(
    private readonly dir = CONSOLE_DIST,
    /** Build the console in the background when it is missing (default true). */
    private readonly buildWhenMissing = true,
  ) {
    this.load();
  }

  private load(): void {
    const assets = new Map<string, Asset>();
    const index = join(this.dir, 'index.html');
    this.indexMtime = mtimeOf(index);
    if (existsSync(index)) assets.set('/', { body: readFileSync(index), type: TYPES['.html']!, immutable: false });
    const assetDir = join(this.dir, 'assets');
    if (existsSync(assetDir)) {
      for (const name of readdirSync(assetDir)) {
        const type = TYPES[extname(name)];
        // Vite names every asset by its content hash: safe to cache for good.
        if (type) assets.set(`/assets/${name}`, { body: readFileSync(join(assetDir, name)), type, immutable: true });
      }
    }
    this.assets = assets;
  }

  private startBuild(): void {
    if (!this.buildWhenMissing || this.build !== 'idle' || !existsSync(BUILD_SCRIPT)) return;
    this.build = 'running';
    const child = spawn(process.execPath, [BUILD_SCRIPT, '--if-possible'], { stdio: 'ignore' });
    child.once('error', () => (this.build = 'failed'));
    child.once('exit', (code) => {
      this.build = code === 0 && existsSync(join(this.dir, 'index.html')) ? 'idle' : 'failed';
      this.load();
    });
  }

  /** True when the request was for the console and has been answered. */
  handle(req: IncomingMessage, res: ServerResponse, path: string): boolean {
    if (path !== CONSOLE_PATH && !path.startsWith(`${CONSOLE_PATH}/`)) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    if (path === CONSOLE_PATH) {
      // Relative asset URLs need the trailing slash; the browser keeps the #token fragment across the redirect.
      res.writeHead(308, { location: 'console/', 'cache-control': 'no-store' }).end();
      return true;
    }
    const sub = path.slice(CONSOLE_PATH.length);
    const key = sub === '/index.html' ? '/' : sub;
    if (key === '/' && mtimeOf(join(this.dir, 'index.html')) !== this.indexMtime) this.load();
    let asset = this.assets.get(key);
    if (!asset && key !== '/') {
      this.load();
      asset = this.assets.get(key);
    }
    if (!asset) {
      if (key !== '/') {
        res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
        return true;
      }
      this.startBuild();
      const body =
        this.build === 'running'
          ? page('The console is being built', '<p>This takes a few seconds; the page reloads by itself.</p>', true)
          : page('The console is not built', '<p>Build it with <code>node bin/build-console.mjs</code> (it runs by itself at <code>npm install</code> with dev dependencies), then reload.</p>', false);
      res.writeHead(503, { 'content-type': TYPES['.html']!, 'cache-control': 'no-store', ...SECURITY_HEADERS }).end(req.method === 'HEAD' ? undefined : body);
      return true;
    }
    res.writeHead(200, {
      'content-type': asset.type,
      'content-length': asset.body.length,
      'cache-control': asset.immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
      ...SECURITY_HEADERS,
    });
    res.end(req.method === 'HEAD' ? undefined : asset.body);
    return true;
  }
}

function mtimeOf(file: string): number {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}
