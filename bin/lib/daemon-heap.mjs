// The V8 heap limit the daemon runs with. Node sizes its default from the machine's memory (4 GiB
// on a 24 GiB machine), and V8 then lets garbage pile up to hundreds of megabytes before it
// collects: the daemon's resident memory follows that limit, not what it needs (about 100 MB of
// live heap with 10 accounts, 500 chats and a million stored messages). 1 GiB keeps several times
// that need in hand and the resident memory near what is live.
export const DEFAULT_HEAP_MB = 1024;

/**
 * The `--max-old-space-size` flag for the daemon: TGDESK_HEAP_MB, else the default. Returns null
 * when the node running now already has a limit set by the operator (command line or
 * NODE_OPTIONS): theirs stands.
 */
export function daemonHeapFlag(env = process.env, execArgv = process.execArgv) {
  const given = [...execArgv, ...(env.NODE_OPTIONS ?? '').split(/\s+/)].some((a) => /^--max[-_]old[-_]space[-_]size(=|$)/.test(a));
  if (given) return null;
  const raw = env.TGDESK_HEAP_MB;
  if (raw === undefined || raw === '') return `--max-old-space-size=${DEFAULT_HEAP_MB}`;
  const mb = Number(raw);
  if (!Number.isInteger(mb) || mb < 128) throw new Error(`TGDESK_HEAP_MB must be a whole number of megabytes, at least 128 (got ${JSON.stringify(raw)})`);
  return `--max-old-space-size=${mb}`;
}
