/**
 * A TCP hop between a daemon and PostgreSQL that a test can cut, as a failed database server or
 * a network partition would: what the tests of a daemon without its store run through.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * `up`: bytes flow. `refused`: every connection is cut and new ones are closed at once, as when
 * the server is down. `silent`: nothing flows and nothing closes, as in a partition.
 */
export type HopMode = 'up' | 'refused' | 'silent';

export interface StoreHop {
  readonly port: number;
  /** `databaseUrl` with its host and port replaced by the hop's. */
  url(databaseUrl: string): string;
  set(mode: HopMode): void;
  close(): Promise<void>;
}

export async function startStoreHop(target: URL): Promise<StoreHop> {
  let mode: HopMode = 'up';
  const pairs = new Set<[Socket, Socket]>();
  const server: Server = createServer((client) => {
    client.on('error', () => undefined);
    if (mode === 'refused') {
      client.destroy();
      return;
    }
    if (mode === 'silent') {
      client.pause();
      pairs.add([client, client]);
      return;
    }
    const upstream = connect(Number(target.port || 5432), target.hostname);
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    upstream.on('error', () => client.destroy());
    client.on('close', () => {
      upstream.destroy();
      pairs.delete(pair);
    });
    upstream.on('close', () => client.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const cutAll = () => {
    for (const [a, b] of pairs) {
      a.destroy();
      b.destroy();
    }
    pairs.clear();
  };
  return {
    port,
    url(databaseUrl) {
      const u = new URL(databaseUrl);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      return u.toString();
    },
    set(next) {
      mode = next;
      if (next === 'refused') cutAll();
      if (next === 'silent') {
        for (const [a, b] of pairs) {
          a.unpipe();
          b.unpipe();
          a.pause();
          b.pause();
        }
      }
      // What hung while silent is gone for good; the pool's next connections get through.
      if (next === 'up') cutAll();
    },
    async close() {
      cutAll();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
