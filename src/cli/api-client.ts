/**
 * The GraphQL client of the CLI commands that act through a running daemon (jobs, roster,
 * duty): the daemon holds the Telegram sessions, so these commands are API clients like any
 * script. The address is TGDESK_URL (default: the configured host and port) and the token
 * TGDESK_TOKEN (`tgdesk token create --role manager …`); `--url` and `--token` override both.
 */
export interface CliIo {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdout: { write(text: string): unknown; isTTY?: boolean };
  readonly stderr: { write(text: string): unknown; isTTY?: boolean };
}

export const processIo = (): CliIo => ({ env: process.env, stdout: process.stdout, stderr: process.stderr });

/** An error the API returned, with its `extensions.code`. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly code: string | null,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface ApiClient {
  readonly url: string;
  request<T>(query: string, variables?: Record<string, unknown>): Promise<T>;
  /** A subscription over Server-Sent Events; each `data` result in turn, until the server completes it or `signal` aborts. */
  subscribe<T>(query: string, variables: Record<string, unknown>, signal?: AbortSignal): AsyncGenerator<T>;
}

export function apiClient(io: CliIo, flags: ReadonlyMap<string, string | true>): ApiClient {
  const flag = (name: string) => {
    const v = flags.get(name);
    return typeof v === 'string' ? v : undefined;
  };
  const base = (flag('url') ?? io.env.TGDESK_URL ?? `http://${io.env.TGDESK_HOST ?? '127.0.0.1'}:${io.env.TGDESK_PORT ?? '4000'}`).replace(/\/+$/, '');
  const url = base.endsWith('/graphql') ? base : `${base}/graphql`;
  const token = flag('token') ?? io.env.TGDESK_TOKEN;
  if (!token) throw new ApiError('set TGDESK_TOKEN (or --token) to an API token with the manager role: tgdesk token create --role manager --name cli', 'UNAUTHENTICATED');
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}` };

  const unwrap = <T>(body: { data?: T | null; errors?: { message: string; extensions?: { code?: string } }[] }): T => {
    const e = body.errors?.[0];
    if (e) throw new ApiError(e.message, e.extensions?.code ?? null);
    return body.data as T;
  };

  return {
    url,
    async request<T>(query: string, variables?: Record<string, unknown>): Promise<T> {
      let res: Response;
      try {
        res = await fetch(url, { method: 'POST', headers: { ...headers, accept: 'application/graphql-response+json, application/json' }, body: JSON.stringify({ query, variables }) });
      } catch (error) {
        throw new ApiError(`cannot reach the daemon at ${url} (${(error as Error).message}); is it running? Set TGDESK_URL`, null);
      }
      const text = await res.text();
      let body: { data?: T | null; errors?: { message: string; extensions?: { code?: string } }[] };
      try {
        body = JSON.parse(text) as typeof body;
      } catch {
        throw new ApiError(`the daemon answered HTTP ${res.status}: ${text.slice(0, 200)}`, null);
      }
      return unwrap(body);
    },
    async *subscribe<T>(query: string, variables: Record<string, unknown>, signal?: AbortSignal): AsyncGenerator<T> {
      const res = await fetch(url, { method: 'POST', signal: signal ?? null, headers: { ...headers, accept: 'text/event-stream' }, body: JSON.stringify({ query, variables }) });
      if (!res.body) throw new ApiError(`the daemon answered HTTP ${res.status} without a stream`, null);
      const decoder = new TextDecoder();
      let buffer = '';
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        for (let cut = buffer.indexOf('\n\n'); cut !== -1; cut = buffer.indexOf('\n\n')) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          let event = 'message';
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith('event:')) event = line.slice(6).trim();
            else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
          }
          if (event === 'complete') return;
          if (data.length) yield unwrap(JSON.parse(data.join('\n')) as { data?: T; errors?: { message: string; extensions?: { code?: string } }[] });
        }
      }
    },
  };
}

/** `--name value`, `--name=value` and bare `--flag`; everything else is positional. */
export function parseFlags(args: readonly string[], booleans: ReadonlySet<string>, repeatable: ReadonlySet<string> = new Set()): { flags: Map<string, string | true>; many: Map<string, string[]>; rest: string[] } {
  const flags = new Map<string, string | true>();
  const many = new Map<string, string[]>();
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const m = /^--([a-z][a-z-]*)(?:=(.*))?$/.exec(a);
    if (!m) {
      rest.push(a);
      continue;
    }
    const name = m[1]!;
    let value: string | true = true;
    if (m[2] !== undefined) value = m[2];
    else if (!booleans.has(name) && args[i + 1] !== undefined) value = args[++i]!;
    if (repeatable.has(name) && typeof value === 'string') many.set(name, [...(many.get(name) ?? []), value]);
    flags.set(name, value);
  }
  return { flags, many, rest };
}

/** Fixed-width columns, the last one free. */
export function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = head.map((h, i) => (i === head.length - 1 ? 0 : Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length))));
  return [head, ...rows].map((cells) => cells.map((c, i) => (i === head.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n') + '\n';
}

export function when(ms: string | number | null | undefined): string {
  if (ms === null || ms === undefined) return '-';
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
