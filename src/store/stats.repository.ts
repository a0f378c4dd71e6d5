/**
 * Response episodes as the statistics read them (src/app/stats.ts): in pages by id, so that
 * reading months of episodes never holds the event loop (better-sqlite3 is synchronous) for
 * longer than one page, and by id, to follow what changed since the last read.
 */
import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';

type Db = Kysely<Database>;

export interface EpisodeRow {
  readonly id: number;
  readonly chatKey: string;
  readonly kind: 'first' | 'next';
  readonly startedAt: number;
  readonly endedAt: number | null;
  readonly endedBy: 'reply' | 'ack' | null;
  readonly answeredBy: number | null;
  readonly overdueAt: number | null;
  readonly thresholdSeconds: number;
}

const COLUMNS = ['id', 'chat_key', 'kind', 'started_at', 'ended_at', 'ended_by', 'answered_by', 'overdue_at', 'threshold_seconds'] as const;

function toRow(r: {
  id: number;
  chat_key: string;
  kind: string;
  started_at: number;
  ended_at: number | null;
  ended_by: string | null;
  answered_by: number | null;
  overdue_at: number | null;
  threshold_seconds: number;
}): EpisodeRow {
  return {
    id: Number(r.id),
    chatKey: r.chat_key,
    kind: r.kind === 'first' ? 'first' : 'next',
    startedAt: Number(r.started_at),
    endedAt: r.ended_at === null ? null : Number(r.ended_at),
    endedBy: r.ended_by === 'ack' ? 'ack' : r.ended_by === 'reply' ? 'reply' : null,
    answeredBy: r.answered_by === null ? null : Number(r.answered_by),
    overdueAt: r.overdue_at === null ? null : Number(r.overdue_at),
    thresholdSeconds: Number(r.threshold_seconds),
  };
}

/** Episodes with an id above `afterId`, in id order; optionally only those started at or after `startedFrom`. */
export async function episodesAfterId(db: Db, afterId: number, limit: number, startedFrom?: number): Promise<EpisodeRow[]> {
  let q = db.selectFrom('response_episodes').select(COLUMNS).where('id', '>', afterId);
  if (startedFrom !== undefined) q = q.where('started_at', '>=', startedFrom);
  return (await q.orderBy('id').limit(limit).execute()).map(toRow);
}

export async function episodesByIds(db: Db, ids: readonly number[]): Promise<EpisodeRow[]> {
  const out: EpisodeRow[] = [];
  for (let i = 0; i < ids.length; i += 500) {
    const part = ids.slice(i, i + 500);
    if (part.length > 0) out.push(...(await db.selectFrom('response_episodes').select(COLUMNS).where('id', 'in', part).execute()).map(toRow));
  }
  return out;
}

/** Episodes started in [from, to), a page at a time in start order; `after` continues from a page's last row. */
export async function episodesInRange(db: Db, q: { from: number; to: number; chatKeys?: readonly string[] | null; after?: { startedAt: number; id: number } | null; limit: number }): Promise<EpisodeRow[]> {
  let query = db.selectFrom('response_episodes').select(COLUMNS).where('started_at', '<', q.to);
  if (q.after) {
    const a = q.after;
    query = query.where((eb) => eb.or([eb('started_at', '>', a.startedAt), eb.and([eb('started_at', '=', a.startedAt), eb('id', '>', a.id)])]));
  } else query = query.where('started_at', '>=', q.from);
  if (q.chatKeys) query = query.where('chat_key', 'in', q.chatKeys.length ? [...q.chatKeys] : ['\u0000']);
  return (await query.orderBy('started_at').orderBy('id').limit(q.limit).execute()).map(toRow);
}

/** The highest episode id, or 0. */
export async function maxEpisodeId(db: Db): Promise<number> {
  const r = await db.selectFrom('response_episodes').select((eb) => eb.fn.max('id').as('m')).executeTakeFirst();
  return r?.m === null || r?.m === undefined ? 0 : Number(r.m);
}
