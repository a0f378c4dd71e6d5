/**
 * A running daemon on the simulated support company with its API on 127.0.0.1 and one token
 * per role: what the API tests call, over real HTTP and WebSocket, as the portal would.
 */
import type { ApiRole } from '../../src/app/tokens.ts';
import { startApiServer, type ApiServer } from '../../src/graphql/server.ts';
import type { ApiLimits } from '../../src/graphql/limits.ts';
import { createMemoryLogger } from '../../src/shared/log.ts';
import { startSimDaemon, type SimDaemon } from './sim-daemon.ts';
import type { StoreKind } from './stores.ts';

export interface GqlResponse<T = Record<string, unknown>> {
  readonly status: number;
  readonly headers: Headers;
  readonly body: { data?: T | null; errors?: { message: string; extensions?: Record<string, unknown>; path?: unknown[] }[] } & Record<string, unknown>;
}

export interface ApiHarness {
  readonly sim: SimDaemon;
  readonly api: ApiServer;
  readonly url: string;
  readonly graphqlUrl: string;
  readonly wsUrl: string;
  /** One token per role; admin and manager act for team members who have accounts. */
  readonly tokens: Readonly<Record<ApiRole, string>>;
  /** The team member the admin and manager tokens act for. */
  readonly members: { readonly admin: number; readonly manager: number };
  /** POST a GraphQL request; `token: null` sends none. */
  gql<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>, options?: { token?: string | null; headers?: Record<string, string> }): Promise<GqlResponse<T>>;
  /** A new daemon and API on the same store and simulated Telegram, as after a process restart. */
  restart(): Promise<ApiHarness>;
  /** Stops the API and the daemon, keeps the store. */
  stop(): Promise<void>;
  dispose(): Promise<void>;
}

export interface ApiHarnessOptions {
  readonly kind?: StoreKind;
  readonly seed?: number;
  readonly limits?: Partial<ApiLimits>;
  readonly graphiql?: boolean;
}

async function withApi(sim: SimDaemon, options: ApiHarnessOptions, tokens?: Record<ApiRole, string>): Promise<ApiHarness> {
  const api = await startApiServer({
    daemon: sim.daemon,
    logger: createMemoryLogger('warn'),
    host: '127.0.0.1',
    port: 0,
    graphiql: options.graphiql ?? false,
    ...(options.limits ? { limits: options.limits } : {}),
  });
  const accounts = sim.demo.company.accounts;
  const admin = accounts.find((m) => m.role === 'admin')!.userId;
  const manager = accounts.find((m) => m.role === 'manager')?.userId ?? sim.demo.company.team.find((m) => m.role === 'manager')!.userId;
  const made =
    tokens ??
    ({
      viewer: (await sim.daemon.tokens.create({ name: 'test-viewer', role: 'viewer' })).token,
      admin: (await sim.daemon.tokens.create({ name: 'test-admin', role: 'admin', memberUserId: admin })).token,
      manager: (await sim.daemon.tokens.create({ name: 'test-manager', role: 'manager', memberUserId: manager })).token,
      integration: (await sim.daemon.tokens.create({ name: 'test-integration', role: 'integration' })).token,
    } satisfies Record<ApiRole, string>);
  const url = api.url;
  let stopped = false;
  const self: ApiHarness = {
    sim,
    api,
    url,
    graphqlUrl: `${url}/graphql`,
    wsUrl: `${url.replace(/^http/, 'ws')}/graphql`,
    tokens: made,
    members: { admin, manager },
    async gql(query, variables, o = {}) {
      const token = o.token === undefined ? made.manager : o.token;
      const res = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/graphql-response+json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...o.headers,
        },
        body: JSON.stringify({ query, ...(variables ? { variables } : {}) }),
      });
      const text = await res.text();
      return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : {} } as never;
    },
    async restart() {
      await api.close();
      stopped = true;
      const next = await sim.restart();
      return withApi(next, options, made);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await api.close();
      await sim.stop();
    },
    async dispose() {
      await self.stop();
      await sim.dispose();
    },
  };
  return self;
}

export async function startApiHarness(options: ApiHarnessOptions = {}): Promise<ApiHarness> {
  const sim = await startSimDaemon({ kind: options.kind ?? 'sqlite', seed: options.seed ?? 7 });
  return withApi(sim, options);
}
