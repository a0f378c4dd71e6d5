/**
 * The API server: one port serves GraphQL over HTTP (GET and POST per GraphQL-over-HTTP, and
 * Server-Sent Events for subscriptions), graphql-ws over WebSocket on the same path, the
 * operational endpoints `/healthz`, `/readyz` and `/metrics`, and in the demo GraphiQL's own
 * files under `/graphiql/` (graphiql.ts).
 *
 * Order of checks on a GraphQL request, cheapest first: body size (before reading it), token
 * (before parsing), variables size, token count (while parsing), depth, cost, aliases and
 * directives (before executing), role (before acting), page sizes (before reading).
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { execute as graphqlExecute, getOperationAST, GraphQLSchema, type DocumentNode, type ExecutionArgs, type GraphQLError } from 'graphql';
import { createGraphQLError, createSchema, createYoga, isAsyncIterable, shouldRenderGraphiQL, type Plugin, type YogaServerInstance } from 'graphql-yoga';
import { CloseCode } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocket, WebSocketServer } from 'ws';
import type { Daemon } from '../app/daemon.ts';
import type { Principal } from '../app/tokens.ts';
import { DomainError } from '../domain/errors.ts';
import type { Logger } from '../shared/log.ts';
import { bearerToken, connectionToken } from './auth.ts';
import { DEFAULT_LIMITS, LIMIT_EXCEEDED, armorPlugins, type ApiLimits } from './limits.ts';
import type { ApiContext } from './mappers.ts';
import { ApiMetrics, Gauge, PROMETHEUS_CONTENT_TYPE } from './metrics.ts';
import { NocStatic } from './noc-static.ts';
import { ConsoleStatic } from './console-static.ts';
import { monitoringMetrics } from './stats.metrics.ts';
import { createResolvers, type ResolverHooks } from './resolvers.ts';
import { cacheProbePlugin, ResponseCache, type CachedResponse, type CacheProbe } from './response-cache.ts';
import { sharePlanOf, SubscriptionFanout } from './fanout.ts';
import { endWhenRevoked } from './subscriptions.ts';
import { GRAPHIQL_HEADERS, GraphiQLAssets } from './graphiql.ts';

export const SCHEMA_PATH = fileURLToPath(new URL('../../schema.graphql', import.meta.url));
export const GRAPHQL_PATH = '/graphql';

export interface ApiServerOptions {
  readonly daemon: Daemon;
  readonly logger: Logger;
  readonly host: string;
  readonly port: number;
  /** Serve GraphiQL to browsers at /graphql, its files at /graphiql/ (the demo; see graphiql.ts). */
  readonly graphiql?: boolean;
  readonly limits?: Partial<ApiLimits>;
  /** Plain HTTP handlers by exact path, mounted beside GraphQL by the composition root (the portal's webhook). */
  readonly routes?: Readonly<Record<string, (req: IncomingMessage, res: ServerResponse) => void>>;
  /** Answer repeated hot reads from memory between events (default true; see response-cache.ts). */
  readonly responseCache?: boolean;
}

export interface ApiServer {
  readonly url: string;
  readonly httpServer: Server;
  readonly metrics: ApiMetrics;
  close(): Promise<void>;
}

/** The executable schema: schema.graphql with its resolvers. Resolvers for fields the schema lacks fail here. */
export function buildApiSchema(hooks: ResolverHooks = {}): GraphQLSchema {
  return createSchema<ApiContext>({
    typeDefs: readFileSync(SCHEMA_PATH, 'utf8'),
    resolvers: createResolvers(hooks) as never,
    resolverValidationOptions: { requireResolversToMatchSchema: 'error', requireResolversForResolveType: 'error' },
  });
}

/**
 * Whether a value is a GraphQLError. Checked by its tag, not `instanceof`: a test runner may
 * load graphql's ESM build for this file and its CommonJS build for yoga, two classes of one name.
 */
export function isGraphQLError(value: unknown): value is GraphQLError {
  return Object.prototype.toString.call(value) === '[object GraphQLError]';
}

/**
 * A DomainError's stable code goes into `extensions.code` with its details (e.g. retryAfter);
 * GraphQL's own errors (syntax, validation, limits, coercion) keep theirs; anything else is
 * unexpected: masked, and logged by the caller. New errors are made by yoga's own factory, so
 * yoga recognises them whichever build of graphql it loaded.
 */
export function maskError(error: unknown, message: string): GraphQLError {
  const gql = isGraphQLError(error) ? error : null;
  const original = gql ? gql.originalError : error;
  if (original instanceof DomainError) {
    return createGraphQLError(gql?.message ?? original.message, {
      nodes: gql?.nodes ?? null,
      source: gql?.source ?? null,
      positions: gql?.positions ?? null,
      path: gql?.path ?? null,
      extensions: { ...(gql?.extensions ?? {}), ...original.details, code: original.code },
    });
  }
  if (gql && (original === undefined || original === null || isGraphQLError(original))) {
    if (gql.extensions?.['code'] === LIMIT_EXCEEDED && gql.message.startsWith('Syntax Error: ')) {
      // graphql-armor words every limit as a syntax error; it is not one.
      return createGraphQLError(gql.message.slice('Syntax Error: '.length), { nodes: gql.nodes ?? null, extensions: gql.extensions });
    }
    if (gql.extensions?.['code'] === undefined && gql.message.startsWith('Variable "$')) {
      // graphql-js refuses a variable of the wrong type, or a required one missing, without a
      // code; a client that branches on codes would see none.
      return createGraphQLError(gql.message, { nodes: gql.nodes ?? null, source: gql.source ?? null, positions: gql.positions ?? null, extensions: { ...gql.extensions, code: 'BAD_USER_INPUT' } });
    }
    return gql;
  }
  return createGraphQLError(message, { nodes: gql?.nodes ?? null, path: gql?.path ?? null, extensions: { code: 'INTERNAL_SERVER_ERROR' } });
}

/**
 * What the log needs to find an unexpected error's cause, which the client never sees: the error
 * the resolver hit (not GraphQL's wrapper, which keeps only its message) with its stack, and the
 * field it broke.
 */
function unexpectedErrorFields(error: unknown): Record<string, unknown> {
  const gql = isGraphQLError(error) ? error : null;
  const cause: unknown = gql?.originalError ?? error;
  return {
    error: cause,
    ...(cause instanceof Error && cause.stack ? { stack: cause.stack } : {}),
    ...(gql?.path ? { path: gql.path.join('.') } : {}),
  };
}

/**
 * Queries and mutations run on graphql-js's own `execute` rather than yoga's default executor
 * (@graphql-tools/executor, which adds @defer/@stream and abort signals this schema does not
 * use): the same results for a 100-row dialogs page in about half the time (1.0 against 1.9 ms
 * in-process). Subscriptions keep yoga's executor. Only where the schema comes from this module's
 * graphql (a test runner may load two builds of it, see isGraphQLError).
 */
export const graphqlJsExecutePlugin: Plugin = {
  onExecute({ args, setExecuteFn }) {
    if (!(args.schema instanceof GraphQLSchema)) return;
    const op = getOperationAST(args.document, args.operationName);
    if (op && op.operation !== 'subscription') setExecuteFn(graphqlExecute as never);
  },
};

/** How long an idle keep-alive connection stays open. */
const KEEP_ALIVE_MS = 65_000;

/** What a subscriber whose token was revoked while it listened is told. */
export const TOKEN_REVOKED = 'the API token was revoked; subscribe again with a live token';

function errorBody(message: string, code: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ errors: [{ message, extensions: { code, ...extra } }] });
}

interface ApiParts {
  readonly yoga: YogaServerInstance<{ principal?: Principal; transport?: 'http' | 'ws' }, ApiContext>;
  readonly metrics: ApiMetrics;
  readonly limits: ApiLimits;
}

/** The GraphQL handler (yoga) with auth, limits, error masking and metrics; GraphiQL when given its files. */
export function createApi(options: Pick<ApiServerOptions, 'daemon' | 'logger' | 'limits'> & { readonly graphiql?: GraphiQLAssets | null }, metrics = new ApiMetrics()): ApiParts {
  const limits: ApiLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const { daemon, logger } = options;
  const principals = new WeakMap<Request, Principal>();
  const schema = buildApiSchema({
    subscription: (ctx) => {
      // A shared group's stream is one for many subscribers; the fan-out counts the subscribers.
      if ((ctx as { fanout?: boolean }).fanout) return {};
      const transport = ctx.transport === 'ws' ? 'ws' : 'sse';
      return { onOpen: () => metrics.subscriptions.inc({ transport }), onClose: () => metrics.subscriptions.dec({ transport }) };
    },
  });

  const authPlugin: Plugin = {
    async onRequest({ request, endResponse, fetchAPI }) {
      // The GraphiQL page is static and public; the requests it makes carry the token.
      if (options.graphiql && shouldRenderGraphiQL(request)) return;
      const token = bearerToken(request.headers.get('authorization'));
      const principal = token ? await daemon.tokens.authenticate(token) : null;
      if (principal) {
        principals.set(request, principal);
        return;
      }
      metrics.authFailures.inc({ transport: 'http' });
      const message = token ? 'the API token is invalid or revoked' : 'an API token is required: send Authorization: Bearer <token> (tgdesk token create)';
      endResponse(
        new fetchAPI.Response(errorBody(message, 'UNAUTHENTICATED'), {
          status: 401,
          headers: {
            'content-type': 'application/json; charset=utf-8',
            'www-authenticate': token ? 'Bearer realm="tgdesk", error="invalid_token"' : 'Bearer realm="tgdesk"',
          },
        }),
      );
    },
  };

  const variablesPlugin: Plugin = {
    onParams({ params }) {
      const size = params.variables ? Buffer.byteLength(JSON.stringify(params.variables)) : 0;
      if (size > limits.maxVariablesBytes) {
        throw createGraphQLError(`the variables are ${size} bytes; at most ${limits.maxVariablesBytes} are accepted`, {
          extensions: { code: LIMIT_EXCEEDED, http: { status: 413 } },
        });
      }
    },
  };

  /**
   * A token is checked when a request arrives; an SSE subscription then lasts as long as the
   * client stays. Its stream ends with UNAUTHENTICATED when the token is revoked (app/tokens.ts
   * says how soon). graphql-ws connections are closed whole instead, in startApiServer.
   */
  const revocationPlugin: Plugin = {
    onSubscribe({ args }) {
      const ctx = args.contextValue as Partial<ApiContext>;
      if (ctx.transport === 'ws' || !ctx.principal) return;
      const tokenId = ctx.principal.tokenId;
      return {
        onSubscribeResult({ result, setResult }) {
          if (!isAsyncIterable(result)) return;
          setResult(endWhenRevoked(result, daemon.tokens, tokenId, () => createGraphQLError(TOKEN_REVOKED, { extensions: { code: 'UNAUTHENTICATED' } })));
        },
      };
    },
  };

  const graphiqlHeadersPlugin: Plugin = {
    onResponse({ request, response }) {
      if (options.graphiql && shouldRenderGraphiQL(request) && response.headers.get('content-type')?.startsWith('text/html')) {
        for (const [name, value] of Object.entries(GRAPHIQL_HEADERS)) response.headers.set(name, value);
      }
    },
  };

  const metricsPlugin: Plugin = {
    onExecute({ args }) {
      const op = getOperationAST(args.document, args.operationName)?.operation ?? 'unknown';
      metrics.operations.inc({ type: op, transport: (args.contextValue as Partial<ApiContext>).transport ?? 'http' });
    },
    onSubscribe({ args }) {
      if ((args.contextValue as { fanout?: boolean }).fanout) return; // counted per subscriber by the fan-out
      metrics.operations.inc({ type: 'subscription', transport: (args.contextValue as Partial<ApiContext>).transport ?? 'http' });
    },
    onResultProcess({ result }) {
      if (isAsyncIterable(result)) return;
      for (const r of Array.isArray(result) ? result : [result]) {
        for (const e of r.errors ?? []) metrics.errors.inc({ code: String((e as GraphQLError).extensions?.['code'] ?? 'UNKNOWN') });
      }
    },
  };

  const yoga = createYoga<{ principal?: Principal; transport?: 'http' | 'ws' }, ApiContext>({
    schema,
    graphqlEndpoint: GRAPHQL_PATH,
    ...(options.graphiql ? { renderGraphiQL: options.graphiql.page.bind(options.graphiql) } : {}),
    graphiql: options.graphiql
      ? (request) => {
          // The demo prints a GraphiQL link with its token; GraphiQL then sends it as a header.
          const token = new URL(request.url).searchParams.get('token');
          return {
            title: 'tgdesk',
            subscriptionsProtocol: 'SSE',
            defaultQuery: '{\n  teamSummary { overdueChats alarms unreadSupportChats mentionedOnDuty }\n  accounts { id syncState syncComplete }\n}\n',
            ...(token ? { headers: JSON.stringify({ Authorization: `Bearer ${token}` }) } : {}),
          };
        }
      : false,
    landingPage: false,
    batching: false,
    logging: false,
    plugins: [authPlugin, graphiqlHeadersPlugin, variablesPlugin, ...armorPlugins(limits), revocationPlugin, metricsPlugin, cacheProbePlugin(daemon), graphqlJsExecutePlugin],
    context: (initial) => {
      const principal = initial.principal ?? principals.get((initial as unknown as { request: Request }).request);
      if (!principal) throw createGraphQLError('not authenticated', { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });
      return { daemon, principal, transport: initial.transport ?? 'http' };
    },
    maskedErrors: {
      maskError: (error, message) => {
        const masked = maskError(error, message);
        if (masked.extensions?.['code'] === 'INTERNAL_SERVER_ERROR') logger.error('unexpected API error', unexpectedErrorFields(error));
        return masked;
      },
    },
  });
  return { yoga, metrics, limits };
}

/** Metrics that describe the daemon rather than the API: read fresh at each scrape. */
async function daemonMetrics(daemon: Daemon): Promise<(Gauge | Awaited<ReturnType<typeof monitoringMetrics>>[number])[]> {
  const syncState = new Gauge('tgdesk_account_sync_state', 'The sync state of each account: 1 for the current state, 0 for the others.');
  const syncComplete = new Gauge('tgdesk_account_sync_complete', 'Whether every chat of the account is synced (1) or not (0).');
  for (const a of await daemon.queries.accounts()) {
    for (const state of ['starting', 'loading', 'reconciling', 'ready', 'loggedOut']) syncState.set({ account: a.id, state }, a.syncState === state ? 1 : 0);
    syncComplete.set({ account: a.id }, a.syncComplete ? 1 : 0);
  }
  const s = daemon.queries.teamSummary();
  const team = (name: string, help: string, v: number) => {
    const g = new Gauge(name, help);
    g.set({}, v);
    return g;
  };
  const lastSeq = new Gauge('tgdesk_events_last_seq', 'Sequence number of the newest event published.');
  lastSeq.set({}, daemon.bus.lastSeq);
  return [
    syncState,
    syncComplete,
    team('tgdesk_team_overdue_chats', 'Support chats waiting longer than their policy allows.', s.overdueChats),
    team('tgdesk_team_alarms', 'Chats with an alarm raised.', s.alarms),
    team('tgdesk_team_unread_support_chats', 'Support chats with unread messages in at least one account.', s.unreadSupportChats),
    team('tgdesk_team_mentioned_on_duty_chats', 'Support chats with an unread mention of a team member on duty.', s.mentionedOnDuty),
    lastSeq,
    ...(await monitoringMetrics(daemon)),
  ];
}

async function readiness(daemon: Daemon): Promise<{ ready: boolean; store: string; accounts: { id: string; syncState: string; syncComplete: boolean }[] }> {
  const accounts = await withinProbe(daemon.queries.accounts());
  return { ready: true, store: 'ok', accounts: accounts.map((a) => ({ id: a.id, syncState: a.syncState, syncComplete: a.syncComplete })) };
}

/**
 * How long `/readyz` and `/metrics` wait for the store. A store that stopped answering without
 * closing its connections (a network partition) would otherwise hang the probe with it, and an
 * orchestrator or Prometheus would learn nothing until its own timeout.
 */
export const STORE_PROBE_MS = 3_000;

function withinProbe<T>(work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the store did not answer within ${STORE_PROBE_MS} ms`)), STORE_PROBE_MS);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

/** The body of a request whose Content-Length was checked against the limit. */
function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
  });
}

const ROUTES = new Set(['/graphql', '/healthz', '/readyz', '/metrics']);
const WS_PING_MS = 30_000;

type WsExtra = {
  readonly socket: WebSocket;
  readonly request: IncomingMessage;
  principal?: Principal;
  subscriptions?: number;
};

export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const { daemon, logger } = options;
  const graphiql = options.graphiql ? await GraphiQLAssets.load() : null;
  const { yoga, metrics, limits } = createApi({ ...options, graphiql });
  const stopCounting = daemon.bus.subscribe((events) => {
    for (const e of events) metrics.eventsPublished.inc({ type: e.type });
  });

  const noc = new NocStatic();
  const consoleApp = new ConsoleStatic();
  const httpServer = createServer((req: IncomingMessage, res: ServerResponse) => {
    const started = performance.now();
    const path = (req.url ?? '/').split('?')[0]!;
    const extra = options.routes?.[path];
    const route = ROUTES.has(path) || extra ? path : 'other';
    res.once('close', () => {
      metrics.httpRequests.inc({ route, method: req.method ?? 'OTHER', status: String(res.statusCode) });
      // A stream lasts as long as the subscriber stays: its length is not a latency.
      if (!String(req.headers.accept ?? '').includes('text/event-stream')) {
        metrics.httpDuration.observe({ route }, (performance.now() - started) / 1000);
      }
    });
    if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
      return;
    }
    if (path === '/readyz') {
      void readiness(daemon).then(
        (body) => res.writeHead(body.ready ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(body)),
        (error) => {
          logger.warn('not ready: the store is unreachable', { error });
          res.writeHead(503, { 'content-type': 'application/json' }).end(JSON.stringify({ ready: false, store: 'unreachable' }));
        },
      );
      return;
    }
    if (path === '/metrics') {
      void withinProbe(daemonMetrics(daemon)).then(
        (extra) => res.writeHead(200, { 'content-type': PROMETHEUS_CONTENT_TYPE }).end(metrics.render(extra)),
        (error) => {
          // A scrape with some series missing reads as those figures dropping to nothing; a
          // failed scrape (Prometheus' `up` = 0) says what happened.
          logger.warn('metrics could not read the daemon state', { error });
          res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' }).end('the daemon could not read its state: the store is unreachable\n');
        },
      );
      return;
    }
    // The operator console (src/console) at `/console/`.
    if (consoleApp.handle(req, res, path)) return;
    // GraphiQL's own files, in the demo (graphiql.ts).
    if (graphiql?.handle(req, res, path)) return;
    // The NOC wall (src/noc) at `/`.
    if (noc.handle(req, res, path)) return;
    if (extra) {
      extra(req, res);
      return;
    }
    if (path !== GRAPHQL_PATH) {
      res.writeHead(404, { 'content-type': 'application/json' }).end(errorBody(`nothing at ${path}; GraphQL is at ${GRAPHQL_PATH}`, 'NOT_FOUND'));
      return;
    }
    if (req.method === 'POST') {
      // Refused before a byte of the body is read: the length is known from the header, and
      // node's parser never reads past it.
      const length = req.headers['content-length'];
      if (length === undefined) {
        res.writeHead(411, { 'content-type': 'application/json', connection: 'close' }).end(errorBody('send the body with a Content-Length', 'BAD_REQUEST'));
        return;
      }
      if (Number(length) > limits.maxBodyBytes) {
        res
          .writeHead(413, { 'content-type': 'application/json', connection: 'close' })
          .end(errorBody(`the request body is ${length} bytes; at most ${limits.maxBodyBytes} are accepted`, LIMIT_EXCEEDED));
        return;
      }
    }
    void serveGraphQL(req, res).catch((error) => {
      logger.error('GraphQL request failed', { error });
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(errorBody('Unexpected error.', 'INTERNAL_SERVER_ERROR'));
    });
  });
  // Node closes an idle keep-alive connection after 5 s. A script or portal that pauses about
  // that long between two requests (a CLI call in between, a poll every 5 s) then races the
  // close and gets "socket hang up" instead of an answer. Idle connections are cheap at our
  // scale; a minute, as load balancers keep them, leaves clients a wide margin.
  httpServer.keepAliveTimeout = KEEP_ALIVE_MS;

  const cache = options.responseCache === false ? null : new ResponseCache(daemon);
  if (cache) cache.onLookup = () => metrics.responseCache.inc({ result: 'hit' });
  const inFlight = new Map<string, { seq: number; done: Promise<CachedResponse | null> }>();
  /**
   * GraphQL over HTTP. Streams (SSE) go to yoga as they are. Other requests are read whole
   * (their size is capped above), answered from the response cache when they can be, and
   * otherwise run through yoga, which says whether the answer may be kept.
   */
  async function serveGraphQL(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!cache || String(req.headers.accept ?? '').includes('text/event-stream') || (req.method !== 'GET' && req.method !== 'POST')) {
      await yoga.requestListener(req, res);
      return;
    }
    const body = req.method === 'POST' ? await readBody(req) : null;
    const token = bearerToken(req.headers.authorization);
    const principal = token ? await daemon.tokens.authenticate(token) : null;
    const key = principal ? `${principal.memberUserId ?? ''}\u0000${req.method}\u0000${req.headers.accept ?? ''}\u0000${req.url}\u0000${body?.toString('latin1') ?? ''}` : null;
    let hit = key === null ? null : cache.get(key);
    // Right after a change every poller misses at once; one computes, the others wait for it.
    // Only a computation that started at the current event number is joined, so nobody gets an
    // answer from before a change they may have caused.
    const flight = key === null ? undefined : inFlight.get(key);
    if (!hit && flight && flight.seq === daemon.bus.lastSeq) hit = await flight.done;
    if (hit) {
      res.writeHead(hit.status, { 'content-type': hit.contentType, 'content-length': hit.body.length }).end(hit.body);
      return;
    }
    let land: (r: CachedResponse | null) => void = () => undefined;
    if (key !== null && !inFlight.has(key)) {
      const entry = { seq: daemon.bus.lastSeq, done: new Promise<CachedResponse | null>((r) => (land = r)) };
      inFlight.set(key, entry);
      const settle = land;
      land = (r) => {
        if (inFlight.get(key) === entry) inFlight.delete(key);
        settle(r);
      };
    }
    try {
      await computeGraphQL(req, res, body, key, land);
    } finally {
      land(null);
    }
  }

  async function computeGraphQL(req: IncomingMessage, res: ServerResponse, body: Buffer | null, key: string | null, land: (r: CachedResponse | null) => void): Promise<void> {
    const probe: CacheProbe = { seq: -1, cacheable: false, scope: null };
    const at = Date.now();
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
    const fetchWith = yoga.fetch as (url: string, init: RequestInit, context: object) => Promise<Response>;
    const response = await fetchWith(`http://${req.headers.host ?? 'localhost'}${req.url ?? '/'}`, { method: req.method!, headers, ...(body ? { body: new Uint8Array(body) } : {}) }, { req, res, cacheProbe: probe });
    const bytes = Buffer.from(await response.arrayBuffer());
    const out: Record<string, string | string[]> = {};
    response.headers.forEach((value, name) => {
      out[name] = value;
    });
    out['content-length'] = String(bytes.length);
    res.writeHead(response.status, out).end(bytes);
    if (key !== null && cache && probe.cacheable && response.status === 200) {
      metrics.responseCache.inc({ result: 'miss' });
      const kept: CachedResponse = { status: 200, contentType: response.headers.get('content-type') ?? 'application/json', body: bytes };
      cache.set(key, probe.seq, at, kept, probe.scope ?? null);
      land(kept);
    }
  }

  const wsServer = new WebSocketServer({ server: httpServer, path: GRAPHQL_PATH, maxPayload: limits.maxBodyBytes });
  const stripHttp = (errors: readonly GraphQLError[]) =>
    errors.map((e) => {
      const m = maskError(e, 'Unexpected error.');
      const { http: _http, ...extensions } = m.extensions ?? {};
      return createGraphQLError(m.message, { nodes: m.nodes ?? null, extensions });
    });
  // Subscribers of one operation as one role and member share its execution (fanout.ts).
  const fanout = new SubscriptionFanout<{ readonly schema: GraphQLSchema; readonly document: DocumentNode }>({
    onJoin: () => {
      metrics.subscriptions.inc({ transport: 'ws' });
      metrics.operations.inc({ type: 'subscription', transport: 'ws' });
    },
    onLeave: () => metrics.subscriptions.dec({ transport: 'ws' }),
    onGroups: (n) => metrics.subscriptionGroups.set({}, n),
    onError: (error) => logger.error('a shared subscription failed', { error }),
  });
  const wsCleanup = useServer<Record<string, unknown> | undefined, WsExtra>(
    {
      connectionInitWaitTimeout: 10_000,
      onConnect: async (ctx) => {
        const token = connectionToken(ctx.connectionParams, ctx.extra.request.headers.authorization);
        const principal = token ? await daemon.tokens.authenticate(token) : null;
        if (!principal) {
          metrics.authFailures.inc({ transport: 'ws' });
          // graphql-ws closes with 4403 "Forbidden" on false; say why first, the reason is what clients log.
          ctx.extra.socket.close(CloseCode.Forbidden, token ? 'Forbidden: the API token is invalid or revoked' : 'Forbidden: send connectionParams.authorization = "Bearer <token>"');
          return false;
        }
        ctx.extra.principal = principal;
        ctx.extra.subscriptions = 0;
        // Checked once here, but a connection lasts for days: it is closed when the token is
        // revoked (app/tokens.ts says how soon), which ends its subscriptions, shared ones
        // included, while other sockets of the same shared group keep theirs.
        const socket = ctx.extra.socket;
        if (socket.readyState === WebSocket.OPEN) {
          const unwatch = daemon.tokens.watch(principal.tokenId, () => socket.close(CloseCode.Forbidden, 'Forbidden: the API token was revoked'));
          socket.once('close', unwatch);
        }
        return true;
      },
      onSubscribe: async (ctx, id, payload) => {
        const extra = ctx.extra;
        if ((extra.subscriptions ?? 0) >= limits.maxSubscriptionsPerConnection) {
          return [createGraphQLError(`at most ${limits.maxSubscriptionsPerConnection} operations at once per connection`, { extensions: { code: LIMIT_EXCEEDED } })];
        }
        const variablesJson = payload.variables ? JSON.stringify(payload.variables) : '';
        const size = Buffer.byteLength(variablesJson);
        if (size > limits.maxVariablesBytes) {
          return [createGraphQLError(`the variables are ${size} bytes; at most ${limits.maxVariablesBytes} are accepted`, { extensions: { code: LIMIT_EXCEEDED } })];
        }
        const principal = extra.principal!;
        const key = `${principal.role}\u0000${principal.memberUserId ?? ''}\u0000${payload.operationName ?? ''}\u0000${variablesJson}\u0000${payload.query}`;
        const known = fanout.info(key);
        if (known) {
          // The same text, variables and role as a running group: validated when the group began.
          extra.subscriptions = (extra.subscriptions ?? 0) + 1;
          const plan = sharePlanOf(known.document, payload.operationName, payload.variables)!;
          // If the group ended meanwhile, this subscriber starts a new one with the same operation.
          const restart = () => {
            const enveloped = yoga.getEnveloped({ req: extra.request, socket: extra.socket, params: payload, principal, transport: 'ws', fanout: true } as never);
            return (async () =>
              enveloped.subscribe({ schema: enveloped.schema, document: known.document, operationName: payload.operationName ?? null, variableValues: payload.variables ?? null, contextValue: await enveloped.contextFactory() }))() as never;
          };
          const join = () => fanout.join(key, plan, known, extra.socket, id, restart);
          return { schema: known.schema, document: known.document, operationName: payload.operationName ?? null, variableValues: payload.variables ?? null, contextValue: {}, rootValue: { subscribe: join } };
        }
        const enveloped = yoga.getEnveloped({ req: extra.request, socket: extra.socket, params: payload, principal, transport: 'ws' } as never);
        let document: DocumentNode;
        try {
          document = enveloped.parse(payload.query);
        } catch (error) {
          const e = isGraphQLError(error) ? error : createGraphQLError(String((error as Error)?.message ?? error));
          (e.extensions as Record<string, unknown>)['code'] ??= 'GRAPHQL_PARSE_FAILED';
          return stripHttp([e]);
        }
        const errors = enveloped.validate(enveloped.schema, document);
        if (errors.length) return stripHttp(errors);
        extra.subscriptions = (extra.subscriptions ?? 0) + 1;
        const plan = sharePlanOf(document, payload.operationName, payload.variables);
        if (plan) {
          // The group's own context, marked so that its stream is not counted as a subscriber.
          const shared = yoga.getEnveloped({ req: extra.request, socket: extra.socket, params: payload, principal, transport: 'ws', fanout: true } as never);
          const groupArgs = {
            schema: shared.schema,
            document,
            operationName: payload.operationName ?? null,
            variableValues: payload.variables ?? null,
            contextValue: await shared.contextFactory(),
          };
          const join = () => fanout.join(key, plan, { schema: shared.schema, document }, extra.socket, id, async () => (await shared.subscribe(groupArgs)) as never);
          return { ...groupArgs, rootValue: { subscribe: join } };
        }
        const args: ExecutionArgs & { rootValue: unknown } = {
          schema: enveloped.schema,
          document,
          operationName: payload.operationName ?? null,
          variableValues: payload.variables ?? null,
          contextValue: await enveloped.contextFactory(),
          rootValue: { execute: enveloped.execute, subscribe: enveloped.subscribe },
        };
        return args;
      },
      execute: (args) => (args.rootValue as { execute: (a: unknown) => never }).execute(args),
      subscribe: (args) => (args.rootValue as { subscribe: (a: unknown) => never }).subscribe(args),
      onComplete: (ctx) => {
        ctx.extra.subscriptions = Math.max(0, (ctx.extra.subscriptions ?? 1) - 1);
      },
    },
    wsServer,
  );

  // A peer that vanished without a close frame would hold its subscriptions forever.
  const alive = new WeakSet<WebSocket>();
  wsServer.on('connection', (socket) => {
    metrics.wsConnections.inc();
    alive.add(socket);
    socket.on('pong', () => alive.add(socket));
    socket.once('close', () => metrics.wsConnections.dec());
  });
  const pinger = setInterval(() => {
    for (const socket of wsServer.clients) {
      if (!alive.has(socket)) {
        socket.terminate();
        continue;
      }
      alive.delete(socket);
      socket.ping();
    }
  }, WS_PING_MS);
  pinger.unref();

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(options.port, options.host, () => resolve());
  });
  const address = httpServer.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    httpServer,
    metrics,
    async close() {
      clearInterval(pinger);
      stopCounting();
      cache?.close();
      await wsCleanup.dispose();
      wsServer.close();
      httpServer.closeAllConnections();
      await new Promise<void>((resolve) => httpServer.close(() => resolve()));
      metrics.close();
    },
  };
}
