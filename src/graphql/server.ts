/**
 * The API server: one port serves GraphQL over HTTP (GET, POST, and SSE for subscriptions),
 * graphql-ws over WebSocket on the same path, and the operational endpoints.
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { GraphQLError } from 'graphql';
import { createSchema, createYoga, type YogaServerInstance } from 'graphql-yoga';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { Daemon } from '../app/daemon.ts';
import { DomainError } from '../domain/errors.ts';
import type { Logger } from '../shared/log.ts';
import { resolvers, type ApiContext } from './resolvers.ts';

export const SCHEMA_PATH = fileURLToPath(new URL('../../schema.graphql', import.meta.url));

export interface ApiServerOptions {
  readonly daemon: Daemon;
  readonly logger: Logger;
  readonly host: string;
  readonly port: number;
  readonly graphiql?: boolean;
}

export interface ApiServer {
  readonly url: string;
  readonly httpServer: Server;
  close(): Promise<void>;
}

/** Copies a DomainError's stable code into `extensions.code`; anything else stays masked by yoga. */
function maskError(error: unknown, message: string): Error {
  const original = error instanceof GraphQLError ? error.originalError : error;
  if (original instanceof DomainError) {
    return new GraphQLError(original.message, {
      extensions: { code: original.code, ...original.details },
    });
  }
  if (error instanceof GraphQLError && !error.originalError) return error;
  return new GraphQLError(message, { extensions: { code: 'INTERNAL_SERVER_ERROR' } });
}

export function createApi(options: Pick<ApiServerOptions, 'daemon' | 'logger' | 'graphiql'>): YogaServerInstance<object, ApiContext> {
  const schema = createSchema<ApiContext>({ typeDefs: readFileSync(SCHEMA_PATH, 'utf8'), resolvers });
  return createYoga<object, ApiContext>({
    schema,
    graphqlEndpoint: '/graphql',
    graphiql: options.graphiql ? { subscriptionsProtocol: 'WS', title: 'tgdesk' } : false,
    landingPage: false,
    context: () => ({ daemon: options.daemon }),
    maskedErrors: {
      maskError: (error, message) => {
        const masked = maskError(error, message);
        if ((masked as GraphQLError).extensions?.code === 'INTERNAL_SERVER_ERROR') options.logger.error('unexpected API error', { error });
        return masked;
      },
    },
    logging: false,
  });
}

export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const yoga = createApi(options);
  const httpServer = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
      return;
    }
    if (path === '/readyz') {
      void readiness(options.daemon).then(
        (body) => res.writeHead(body.ready ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(body)),
        () => res.writeHead(503, { 'content-type': 'application/json' }).end(JSON.stringify({ ready: false, store: 'unreachable' })),
      );
      return;
    }
    void yoga.requestListener(req, res);
  });

  const wsServer = new WebSocketServer({ server: httpServer, path: yoga.graphqlEndpoint });
  const wsCleanup = useServer(
    {
      execute: (args: { rootValue: { execute: (a: unknown) => unknown } }) => args.rootValue.execute(args),
      subscribe: (args: { rootValue: { subscribe: (a: unknown) => unknown } }) => args.rootValue.subscribe(args),
      onSubscribe: async (ctx: { extra: { request: IncomingMessage; socket: unknown } }, _id: string, params: { query: string; operationName?: string; variables?: Record<string, unknown> }) => {
        const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
          req: ctx.extra.request,
          socket: ctx.extra.socket,
          params,
        });
        const args = {
          schema,
          operationName: params.operationName,
          document: parse(params.query),
          variableValues: params.variables,
          contextValue: await contextFactory(),
          rootValue: { execute, subscribe },
        };
        const errors = validate(args.schema, args.document);
        if (errors.length) return errors;
        return args;
      },
    } as Parameters<typeof useServer>[0],
    wsServer,
  );

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(options.port, options.host, () => resolve());
  });
  const address = httpServer.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    httpServer,
    async close() {
      await wsCleanup.dispose();
      wsServer.close();
      httpServer.closeAllConnections();
      await new Promise<void>((resolve) => httpServer.close(() => resolve()));
    },
  };
}

async function readiness(daemon: Daemon): Promise<{ ready: boolean; store: string; accounts: { id: string; syncState: string; syncComplete: boolean }[] }> {
  const accounts = await daemon.queries.accounts();
  return {
    ready: true,
    store: 'ok',
    accounts: accounts.map((a) => ({ id: a.id, syncState: a.syncState, syncComplete: a.syncComplete })),
  };
}
