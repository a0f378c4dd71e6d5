/**
 * GraphiQL for the demo, served whole by the daemon. yoga's own page loads GraphiQL's scripts,
 * styles and editor workers from unpkg.com, so it stays blank offline (company networks that
 * reach no CDN, air-gapped hosts). The same GraphiQL build ships in the pinned
 * `@graphql-yoga/render-graphiql` package; its pieces are served here as files of their own
 * under `/graphiql/`, so the page can keep a Content-Security-Policy that allows scripts, styles,
 * workers and requests from this origin only (its package's own renderer inlines them all into the
 * page, which only `'unsafe-inline'` would let run).
 *
 * The bundle is about 9 MB, so it is loaded only by a server that serves GraphiQL (`tgdesk demo`),
 * and only once.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { GraphiQLOptions } from 'graphql-yoga';

export const GRAPHIQL_ASSETS = '/graphiql/';

/**
 * Nothing from another host, and no inline or evaluated script. Styles are the one exception to
 * "nothing inline": Monaco (GraphiQL's editor) adds hundreds of `<style>` elements as it runs and
 * this build of it takes no nonce, so only `'unsafe-inline'` styles let it render; styles cannot
 * run code. connect-src 'self' covers the same-origin WebSocket (CSP 3).
 */
export const GRAPHIQL_CSP =
  "default-src 'none'; script-src 'self'; worker-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export const GRAPHIQL_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': GRAPHIQL_CSP,
  'x-content-type-options': 'nosniff',
  // The demo's link carries a token in its query string: never send it on.
  'referrer-policy': 'no-referrer',
};

/** Monaco's worker labels and the file each is served as. */
const WORKERS = { editorWorkerService: 'editor.worker.js', json: 'json.worker.js', graphql: 'graphql.worker.js' } as const;

/**
 * Runs before the bundle: tells Monaco where its workers are. Renders once the bundle has run
 * (DOMContentLoaded comes after every classic script), with the options the page carries as
 * JSON data, never as code.
 */
const BOOT_JS = `'use strict';
(function () {
  var workers = ${JSON.stringify(Object.fromEntries(Object.entries(WORKERS).map(([label, file]) => [label, GRAPHIQL_ASSETS + file])))};
  self.MonacoEnvironment = {
    globalAPI: false,
    getWorkerUrl: function (moduleId, label) {
      return workers[label] || workers.editorWorkerService;
    },
  };
  document.addEventListener('DOMContentLoaded', function () {
    var options = JSON.parse(document.getElementById('graphiql-options').textContent || '{}');
    YogaGraphiQL.renderYogaGraphiQL(document.getElementById('root'), options);
  });
})();
`;

interface Asset {
  readonly body: Buffer;
  readonly type: string;
}

const JS = 'text/javascript; charset=utf-8';

/** HTML-escapes text for an element's content or an attribute. */
function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export class GraphiQLAssets {
  private constructor(private readonly assets: ReadonlyMap<string, Asset>) {}

  static async load(): Promise<GraphiQLAssets> {
    const bundle = await import('@graphql-yoga/render-graphiql/graphiql');
    const favicon = /^data:([^;,]+);base64,(.*)$/s.exec(bundle.favicon);
    const assets = new Map<string, Asset>([
      ['boot.js', { body: Buffer.from(BOOT_JS), type: JS }],
      ['graphiql.js', { body: Buffer.from(bundle.js), type: JS }],
      ['graphiql.css', { body: Buffer.from(bundle.css), type: 'text/css; charset=utf-8' }],
      [WORKERS.editorWorkerService, { body: Buffer.from(bundle.editorWorkerService), type: JS }],
      [WORKERS.json, { body: Buffer.from(bundle.jsonWorker), type: JS }],
      [WORKERS.graphql, { body: Buffer.from(bundle.graphqlWorker), type: JS }],
    ]);
    if (favicon) assets.set('favicon.ico', { body: Buffer.from(favicon[2]!, 'base64'), type: favicon[1]! });
    return new GraphiQLAssets(assets);
  }

  /** The GraphiQL page: this origin's files, and the options as inert JSON data. */
  page(options: GraphiQLOptions = {}): string {
    // `<` escaped, so that no value (a default query, a header) can close the data block.
    const data = JSON.stringify(options).replace(/</g, '\\u003c');
    const title = escapeHtml(options.title ?? 'GraphiQL');
    const at = GRAPHIQL_ASSETS;
    return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${title}</title>
<link rel="icon" href="${at}favicon.ico">
<link rel="stylesheet" href="${at}graphiql.css">
</head>
<body id="body" class="no-focus-outline">
<noscript>GraphiQL needs JavaScript.</noscript>
<div id="root"></div>
<script type="application/json" id="graphiql-options">${data}</script>
<script src="${at}boot.js"></script>
<script src="${at}graphiql.js"></script>
</body>
</html>
`;
  }

  /** True when the request was for one of GraphiQL's files and has been answered. */
  handle(req: IncomingMessage, res: ServerResponse, path: string): boolean {
    if (!path.startsWith(GRAPHIQL_ASSETS) || (req.method !== 'GET' && req.method !== 'HEAD')) return false;
    const asset = this.assets.get(path.slice(GRAPHIQL_ASSETS.length));
    if (!asset) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
      return true;
    }
    res.writeHead(200, {
      'content-type': asset.type,
      'content-length': asset.body.length,
      // The files change only with the pinned package, i.e. with a new daemon; a day's caching
      // spares the demo's 9 MB on every reload without pinning a stale copy for long.
      'cache-control': 'public, max-age=86400',
      ...GRAPHIQL_HEADERS,
    });
    res.end(req.method === 'HEAD' ? undefined : asset.body);
    return true;
  }
}
