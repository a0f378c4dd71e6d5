/**
 * How much work waits in the daemon's queues, for `/metrics`: counted by the database (a few
 * grouped counts over indexed states), never by reading the rows, so a scrape costs the same
 * with ten queued items or a million.
 */
import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';

type Db = Kysely<Database>;

export interface QueueCounts {
  /** Membership jobs not finished, by state. */
  readonly membershipJobs: { readonly running: number; readonly paused: number };
  /** Items of those jobs still to do, by state. */
  readonly membershipItems: { readonly pending: number; readonly running: number };
  /** Task events for the portal not delivered; `oldestPendingAt` is unix ms, null when none is pending. */
  readonly portalOutbox: { readonly pending: number; readonly dead: number; readonly oldestPendingAt: number | null };
  /** Alert messages to Telegram not sent yet; `oldestAt` is unix ms of the oldest of them. */
  readonly alertOutbox: { readonly pending: number; readonly sending: number; readonly oldestAt: number | null };
}

const UNFINISHED_JOBS = ['running', 'paused'] as const;

export async function countQueues(db: Db): Promise<QueueCounts> {
  const [jobs, items, portal, alerts] = await Promise.all([
    db.selectFrom('membership_jobs').select((eb) => ['state', eb.fn.countAll<number>().as('n')]).where('state', 'in', [...UNFINISHED_JOBS]).groupBy('state').execute(),
    db
      .selectFrom('membership_job_items as i')
      .innerJoin('membership_jobs as j', 'j.id', 'i.job_id')
      .select((eb) => ['i.state as state', eb.fn.countAll<number>().as('n')])
      .where('j.state', 'in', [...UNFINISHED_JOBS])
      .where('i.state', 'in', ['pending', 'running'])
      .groupBy('i.state')
      .execute(),
    db.selectFrom('outbox').select((eb) => ['state', eb.fn.countAll<number>().as('n'), eb.fn.min('created_at').as('oldest')]).where('state', 'in', ['pending', 'dead']).groupBy('state').execute(),
    db.selectFrom('alert_outbox').select((eb) => ['state', eb.fn.countAll<number>().as('n'), eb.fn.min('created_at').as('oldest')]).where('state', 'in', ['pending', 'sending']).groupBy('state').execute(),
  ]);
  const count = (rows: readonly { state: string; n: number | string | bigint }[], state: string) => Number(rows.find((r) => r.state === state)?.n ?? 0);
  const oldest = (rows: readonly { state: string; oldest: unknown }[], states: readonly string[]) => {
    const times = rows.filter((r) => states.includes(r.state) && r.oldest !== null && r.oldest !== undefined).map((r) => Number(r.oldest));
    return times.length === 0 ? null : Math.min(...times);
  };
  return {
    membershipJobs: { running: count(jobs, 'running'), paused: count(jobs, 'paused') },
    membershipItems: { pending: count(items, 'pending'), running: count(items, 'running') },
    portalOutbox: { pending: count(portal, 'pending'), dead: count(portal, 'dead'), oldestPendingAt: oldest(portal, ['pending']) },
    alertOutbox: { pending: count(alerts, 'pending'), sending: count(alerts, 'sending'), oldestAt: oldest(alerts, ['pending', 'sending']) },
  };
}
