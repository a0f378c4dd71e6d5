/** Telegram users seen by any account: names for senders, mentions and members. */
import type { Kysely } from 'kysely';
import type { TgUser } from '../domain/telegram.ts';
import type { Database } from './schema.ts';

type Db = Kysely<Database>;

export async function upsertUsers(db: Db, users: readonly TgUser[], now: number): Promise<void> {
  const unique = [...new Map(users.map((u) => [u.id, u])).values()];
  for (let i = 0; i < unique.length; i += 400) {
    await db
      .insertInto('users')
      .values(
        unique.slice(i, i + 400).map((u) => ({
          id: u.id,
          first_name: u.firstName,
          last_name: u.lastName,
          username: u.username,
          is_bot: u.isBot ? 1 : 0,
          last_seen_at: u.lastSeenAt,
          updated_at: now,
        })),
      )
      .onConflict((oc) =>
        oc.column('id').doUpdateSet((eb) => ({
          first_name: eb.ref('excluded.first_name'),
          last_name: eb.ref('excluded.last_name'),
          username: eb.ref('excluded.username'),
          is_bot: eb.ref('excluded.is_bot'),
          last_seen_at: eb.fn.coalesce(eb.ref('excluded.last_seen_at'), eb.ref('users.last_seen_at')),
          updated_at: eb.ref('excluded.updated_at'),
        })),
      )
      .execute();
  }
}

export async function getUsers(db: Db, ids: readonly number[]): Promise<Map<number, TgUser>> {
  const out = new Map<number, TgUser>();
  const unique = [...new Set(ids)];
  for (let i = 0; i < unique.length; i += 400) {
    const rows = await db.selectFrom('users').selectAll().where('id', 'in', unique.slice(i, i + 400)).execute();
    for (const r of rows) {
      out.set(r.id, { id: r.id, firstName: r.first_name, lastName: r.last_name, username: r.username, isBot: r.is_bot === 1, lastSeenAt: r.last_seen_at });
    }
  }
  return out;
}

export function displayName(user: Pick<TgUser, 'firstName' | 'lastName' | 'username' | 'id'>): string {
  const name = `${user.firstName} ${user.lastName}`.trim();
  return name || (user.username ? `@${user.username}` : `user ${user.id}`);
}
