/**
 * A team member's preferences (DESIGN.md §1 row 15): no typing status, no link previews. They
 * are read whenever the daemon sends on the member's behalf, and changed by the member only.
 */
import type { Kysely } from 'kysely';
import { DomainError } from '../domain/errors.ts';
import type { Database } from '../store/schema.ts';
import { appendAudit, getPreferences, putPreferences } from '../store/team.repository.ts';
import type { Actor } from './actions.ts';
import type { Writer } from './writer.ts';

export interface MemberPreferences {
  readonly memberUserId: number;
  /** Send "typing…" while sending for this member. */
  readonly sendTyping: boolean;
  /** Send links with a preview. */
  readonly linkPreviews: boolean;
}

export interface PreferencesPatch {
  readonly sendTyping?: boolean | null;
  readonly linkPreviews?: boolean | null;
}

export class Preferences {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly writer: Writer,
    private readonly now: () => number,
  ) {}

  /** A member who never set anything gets Telegram's behaviour: typing shown, previews on. */
  async get(memberUserId: number): Promise<MemberPreferences> {
    const p = await getPreferences(this.db, memberUserId);
    return { memberUserId, sendTyping: p.sendTyping, linkPreviews: p.linkPreviews };
  }

  /** Changes the actor's own preferences; fields left out (or null) keep their value. */
  async set(actor: Actor, patch: PreferencesPatch): Promise<MemberPreferences> {
    const member = actor.memberUserId;
    if (member === null) throw new DomainError('FORBIDDEN', 'preferences belong to team members; this token is not tied to one');
    return this.writer.run(async (trx) => {
      const now = this.now();
      const current = await getPreferences(trx, member);
      const next = {
        ...current,
        sendTyping: patch.sendTyping ?? current.sendTyping,
        linkPreviews: patch.linkPreviews ?? current.linkPreviews,
      };
      await putPreferences(trx, next, now);
      await appendAudit(trx, {
        at: now,
        actor: actor.label,
        action: 'setPreferences',
        accountId: null,
        chatKey: null,
        details: { sendTyping: next.sendTyping, linkPreviews: next.linkPreviews, memberUserId: member },
        outcome: 'ok',
        errorCode: null,
      });
      return { memberUserId: member, sendTyping: next.sendTyping, linkPreviews: next.linkPreviews };
    });
  }
}
