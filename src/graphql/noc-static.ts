/**
 * Serves the built NOC wall (src/noc/web/dist, built by `bin/build-noc.mjs` at `npm ci`) at `/`.
 * The wall is static: files are read from disk, never from user-built paths, and the page may
 * talk to nothing but this origin (its GraphQL endpoint).
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const NOC_DIST = fileURLToPath(new URL('../noc/web/dist/', import.meta.url));

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
  // connect-src 'self' covers the same-origin WebSocket (CSP 3).
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>tgdesk · NOC</title>
<body style="background:#0b0f14;color:#e8eef5;font:20px sans-serif;padding:40px">
<h1>The NOC wall is not built</h1>
<p>Build it with <code>node bin/build-noc.mjs</code> (it runs by itself at <code>npm ci</code> with dev dependencies), then reload.</p>
<p>The GraphQL API is at <a style="color:#5aa9ff" href="graphql">/graphql</a>.</p>`;

interface Asset {
  readonly body: Buffer;
  readonly type: string;
  readonly immutable: boolean;
}

/**
 * Routes for the wall, kept in memory: `/` and `/index.html`, and `/assets/<file>`. The dist folder
 * is re-read when the index changes or a request misses, so a rebuild while the daemon runs
 * (tests, development) is picked up without a restart.
 */
export class NocStatic {
  private assets = new Map<string, Asset>();
  private indexMtime = 0;

  constructor(private readonly dir = NOC_DIST) {
    this.load();
  }

  private load(): void {
    const assets = new Map<string, Asset>();
    const index = join(this.dir, 'index.html');
    this.indexMtime = this.mtimeOf(index);
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

  private mtimeOf(file: string): number {
    try {
      return statSync(file).mtimeMs;
    } catch {
      return 0;
    }
  }

  /** True when the request was for the wall and has been answered. */
  handle(req: IncomingMessage, res: ServerResponse, path: string): boolean {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    const key = path === '/index.html' ? '/' : path;
    if (key !== '/' && !key.startsWith('/assets/')) return false;
    // A rebuilt wall has a new index naming new assets: reload so the page never asks for files that are gone.
    if (key === '/' && this.mtimeOf(join(this.dir, 'index.html')) !== this.indexMtime) this.load();
    let asset = this.assets.get(key);
    if (!asset) {
      this.load();
      asset = this.assets.get(key);
    }
    if (!asset) {
      if (key !== '/') return false;
      res.writeHead(503, { 'content-type': TYPES['.html']!, 'cache-control': 'no-store', ...SECURITY_HEADERS }).end(req.method === 'HEAD' ? undefined : NOT_BUILT);
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
