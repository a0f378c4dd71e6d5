/**
 * Monitoring of admins (DESIGN.md §1 row 20), the data part: who is on duty, each member's last
 * activity in support chats, and per shift their replies and response times. The statistics and
 * their display belong to the NOC (src/app/stats.ts, src/noc); this is what they build on.
 *
 * A shift is a period the member was on duty (src/domain/duty.ts `dutyPeriods`, overrides
 * applied). A reply counts in the shift it was sent in; a response time (from the client's first
 * waiting message to the member's answer, DESIGN.md §3 episodes) counts in the shift the answer
 * fell in. While the team has no duty data, the whole window is one shift.
 */
import type { Kysely } from 'kysely';
import { dutyPeriods, dutyUnused, type Period } from '../domain/duty.ts';
import { badInput } from '../domain/errors.ts';
import type { ChatKey } from '../domain/ids.ts';
import type { TeamRole } from '../domain/roster.ts';
import type { Database } from '../store/schema.ts';
import { listEpisodes } from '../store/team.repository.ts';
import type { DutyService } from './duty.ts';
import type { TeamModel } from './team-model.ts';

export interface ShiftActivity {
  readonly from: number;
  readonly to: number;
  /** Messages the member sent in support chats during the shift. */
  readonly replies: number;
  /** Support chats they wrote in during the shift. */
  readonly chats: number;
  /** Waits the member ended with an answer during the shift. */
  readonly answered: number;
  readonly avgResponseMs: number | null;
  readonly maxResponseMs: number | null;
  /** Of those, waits that had become overdue first. */
  readonly answeredOverdue: number;
}

export interface AdminActivityRow {
  readonly memberUserId: number;
  readonly name: string;
  readonly role: TeamRole;
  readonly onDuty: boolean;
  /** When the current stretch of duty ends, or when the next begins (null: not within two weeks). */
  readonly onDutyUntil: number | null;
  readonly nextOnDutyAt: number | null;
  /** The member's newest message in any support chat, and where. */
  readonly lastActivityAt: number | null;
  readonly lastActivityChatKey: ChatKey | null;
  readonly shifts: readonly ShiftActivity[];
}

const MAX_WINDOW_MS = 31 * 86_400_000;

export class AdminActivity {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly model: TeamModel,
    private readonly duty: DutyService,
    private readonly now: () => number,
  ) {}

  /** Every team member's activity in [from, to) (at most 31 days). */
  async report(window: { from: number; to: number }): Promise<AdminActivityRow[]> {
    const { from, to } = window;
    if (!(to > from)) throw badInput('the window must end after it starts', { argument: 'to' });
    if (to - from > MAX_WINDOW_MS) throw badInput('the window is at most 31 days', { argument: 'from' });
    const now = this.now();
    const members = [...this.model.roster.byId.values()];
    const ids = members.map((m) => m.userId);
    const support = new Set([...this.model.chats.values()].filter((c) => c.kind === 'support').map((c) => c.record.key));
    const view = this.duty.view(now);
    const duty = this.duty.roster();

    const last = new Map<number, { at: number; chatKey: ChatKey }>();
    const sent = new Map<number, { at: number; chatKey: ChatKey }[]>();
    if (ids.length > 0) {
      const lastRows = await this.db
        .selectFrom('messages')
        .select(['sender_user_id', 'chat_key', (eb) => eb.fn.max('date').as('last')])
        .where('sender_user_id', 'in', ids)
        .where('is_service', '=', 0)
        .where('deleted_at', 'is', null)
        .groupBy(['sender_user_id', 'chat_key'])
        .execute();
      for (const r of lastRows) {
        if (r.sender_user_id === null || !support.has(r.chat_key)) continue;
        const at = Number(r.last) * 1000;
        if ((last.get(r.sender_user_id)?.at ?? -1) < at) last.set(r.sender_user_id, { at, chatKey: r.chat_key });
      }
      const rows = await this.db
        .selectFrom('messages')
        .select(['sender_user_id', 'chat_key', 'date'])
        .where('sender_user_id', 'in', ids)
        .where('is_service', '=', 0)
        .where('date', '>=', Math.floor(from / 1000))
        .where('date', '<', Math.ceil(to / 1000))
        .execute();
      for (const r of rows) {
        if (r.sender_user_id === null || !support.has(r.chat_key)) continue;
        let list = sent.get(r.sender_user_id);
        if (!list) sent.set(r.sender_user_id, (list = []));
        list.push({ at: r.date * 1000, chatKey: r.chat_key });
      }
    }
    // Episodes that started up to a day before the window can still be answered inside it.
    const episodes = (await listEpisodes(this.db, { from: from - 86_400_000, to })).filter((e) => e.endedBy === 'reply' && e.answeredBy !== null && e.endedAt !== null && e.endedAt >= from && e.endedAt < to);

    return members.map((m) => {
      const periods: Period[] = dutyUnused(duty) ? [{ from, to }] : dutyPeriods(duty.schedules.get(m.userId) ?? null, duty.overrides, m.userId, from, to);
      const mine = sent.get(m.userId) ?? [];
      const answers = episodes.filter((e) => e.answeredBy === m.userId);
      const shifts = periods.map((p) => {
        const inShift = mine.filter((x) => x.at >= p.from && x.at < p.to);
        const answered = answers.filter((e) => e.endedAt! >= p.from && e.endedAt! < p.to);
        const times = answered.map((e) => e.endedAt! - e.startedAt);
        return {
          from: p.from,
          to: p.to,
          replies: inShift.length,
          chats: new Set(inShift.map((x) => x.chatKey)).size,
          answered: answered.length,
          avgResponseMs: times.length ? Math.round(times.reduce((a, b) => a + b, 0) / times.length) : null,
          maxResponseMs: times.length ? Math.max(...times) : null,
          answeredOverdue: answered.filter((e) => e.overdueAt !== null && e.overdueAt <= e.endedAt!).length,
        };
      });
      const on = view.onDuty.find((x) => x.memberUserId === m.userId);
      const next = view.next.find((x) => x.memberUserId === m.userId);
      return {
        memberUserId: m.userId,
        name: m.name,
        role: m.role,
        onDuty: on !== undefined,
        onDutyUntil: on?.until ?? null,
        nextOnDutyAt: next?.from ?? null,
        lastActivityAt: last.get(m.userId)?.at ?? null,
        lastActivityChatKey: last.get(m.userId)?.chatKey ?? null,
        shifts,
      };
    });
  }
}
