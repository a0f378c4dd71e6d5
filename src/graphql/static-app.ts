/**
 * Serves one of tgdesk's built browser apps (the NOC wall at `/`, the operator console at
 * `/console/`; each built by Vite into its `dist` by bin/lib/build-web-app.mjs). Static files
 * only, kept in memory and looked up by name in the build's own listing, never read from a path
 * the request makes up; the page may talk to nothing but this origin (its GraphQL endpoint).
 *
 * The folder is re-read when the build changes (its index or its assets folder has a new
 * modification time), so a rebuild while the daemon runs (tests, development) is picked up
 * without a restart; a request for a file that is not there costs two `stat` calls, never a
 * re-read, however many such requests come. A checkout whose app was never built
 * (the install step skipped, a fresh clone started straight away) gets it built once in the
 * background, in a child process, on the first visit; the page says so and reloads itself.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { basename, extname, join } from 'node:path';

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
  // connect-src 'self' covers the same-origin WebSocket (CSP 3). Nothing is embedded, nothing embeds the apps.
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

export interface StaticAppOptions {
  /** What the pages call the app: "NOC wall", "console". */
  readonly name: string;
  /** The build's output folder. */
  readonly dir: string;
  /** Where the app is served: `/`, or a prefix without the trailing slash such as `/console`. */
  readonly mount: string;
  /** The script that builds it (`bin/build-….mjs`), named on the "not built" page and run when the build is missing. */
  readonly buildScript: string;
  /** Build in the background on the first visit when the build is missing (default true). */
  readonly buildWhenMissing?: boolean;
}

interface Asset {
  readonly body: Buffer;
  readonly type: string;
  readonly immutable: boolean;
}

export class StaticApp {
  private assets = new Map<string, Asset>();
  /** The build the assets were read from: the modification times of the index and assets/. */
  private stamp = '';
  private reads = 0;
  private build: 'idle' | 'running' | 'failed' = 'idle';
  /** The mount without a trailing slash: '' for the root. */
  private readonly prefix: string;

  constructor(private readonly options: StaticAppOptions) {
    this.prefix = options.mount.replace(/\/+$/, '');
    this.load();
  }

  /** How many times the build folder has been read (it should be once per build). */
  get scans(): number {
    return this.reads;
  }

  private buildStamp(): string {
    return `${mtimeOf(join(this.options.dir, 'index.html'))}:${mtimeOf(join(this.options.dir, 'assets'))}`;
  }

  /** Reads the folder again only if the build changed since it was read. */
  private refresh(): void {
    if (this.buildStamp() !== this.stamp) this.load();
  }

  private load(): void {
    this.reads++;
    const assets = new Map<string, Asset>();
    const index = join(this.options.dir, 'index.html');
    this.stamp = this.buildStamp();
    if (existsSync(index)) assets.set('/', { body: readFileSync(index), type: TYPES['.html']!, immutable: false });
    const assetDir = join(this.options.dir, 'assets');
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
    const script = this.options.buildScript;
    if (this.options.buildWhenMissing === false || this.build !== 'idle' || !existsSync(script)) return;
    this.build = 'running';
    const child = spawn(process.execPath, [script, '--if-possible'], { stdio: 'ignore' });
    child.once('error', () => (this.build = 'failed'));
    child.once('exit', (code) => {
      this.build = code === 0 && existsSync(join(this.options.dir, 'index.html')) ? 'idle' : 'failed';
      this.load();
    });
  }

  /**
   * The path inside the app (`/`, `/assets/…`), or null when the request is not the app's. At the
   * root the app owns only its page and `/assets/`; under a prefix it owns everything below it.
   */
  private keyOf(path: string): string | null {
    if (this.prefix === '') return path === '/' || path === '/index.html' ? '/' : path.startsWith('/assets/') ? path : null;
    if (!path.startsWith(`${this.prefix}/`)) return null;
    const sub = path.slice(this.prefix.length);
    return sub === '/index.html' ? '/' : sub;
  }

  /** True when the request was for the app and has been answered. */
  handle(req: IncomingMessage, res: ServerResponse, path: string): boolean {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    if (this.prefix !== '' && path === this.prefix) {
      // Relative asset URLs need the trailing slash; the browser keeps the #token fragment across the redirect.
      res.writeHead(308, { location: `${basename(this.prefix)}/`, 'cache-control': 'no-store' }).end();
      return true;
    }
    const key = this.keyOf(path);
    if (key === null) return false;
    // A rebuilt app has a new index naming new assets: reload so the page never asks for files
    // that are gone. A missing asset may be one a rebuild is writing: look again if it changed.
    if (key === '/') this.refresh();
    let asset = this.assets.get(key);
    if (!asset && key !== '/') {
      this.refresh();
      asset = this.assets.get(key);
    }
    if (!asset) {
      if (key !== '/') {
        res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
        return true;
      }
      this.startBuild();
      res.writeHead(503, { 'content-type': TYPES['.html']!, 'cache-control': 'no-store', ...SECURITY_HEADERS }).end(req.method === 'HEAD' ? undefined : this.notBuiltPage());
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

  private notBuiltPage(): string {
    const { name } = this.options;
    const running = this.build === 'running';
    const script = `bin/${basename(this.options.buildScript)}`;
    const body = running
      ? `<h1>The ${name} is being built</h1><p>This takes a few seconds; the page reloads by itself.</p>`
      : `<h1>The ${name} is not built</h1><p>Build it with <code>node ${script}</code> (it runs by itself at <code>npm ci</code> or <code>npm install</code> with dev dependencies), then reload.</p>`;
    const api = this.prefix === '' ? 'graphql' : '../graphql';
    return `<!doctype html><meta charset="utf-8">${running ? '<meta http-equiv="refresh" content="3">' : ''}<title>tgdesk · ${name}</title>
<body>${body}<p>The GraphQL API is at <a href="${api}">/graphql</a>.</p>`;
  }
}

function mtimeOf(file: string): number {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}
