/**
 * Adding and removing team members through the API and the CLI (DESIGN.md §2 "Team member").
 * A member may be anyone with a Telegram user id, not only a contact of some account.
 *
 * Who is team decides a lot: which chats are support chats, which messages are client messages,
 * when a wait ends. So a roster change reclassifies every chat, recomputes the waits of the
 * chats the person wrote in, and emits whatever subscribers see differently, in the same
 * transaction as the change (the test of record holds across it).
 */
import { DomainError, badInput } from '../domain/errors.ts';
import { isTeamSender, type TeamMember, type TeamRole } from '../domain/roster.ts';
import { appendAudit, deleteTeamMember, listTeamMembers, putTeamMember } from '../store/team.repository.ts';
import type { Actor } from './actions.ts';
import type { OverdueClock } from './overdue-clock.ts';
import type { TeamModel } from './team-model.ts';
import type { Trx, Writer, Emit } from './writer.ts';

export class RosterService {
  constructor(
    private readonly writer: Writer,
    private readonly model: TeamModel,
    private readonly clock: OverdueClock,
    private readonly now: () => number,
  ) {}

  /**
   * Adds a member, or changes the role or name of one added before. Without a name a member keeps
   * the one they have (a promotion must not lose it); an empty name goes back to their Telegram name.
   */
  async add(actor: Actor, input: { userId: number; role: TeamRole; name?: string | null }): Promise<TeamMember> {
    if (!Number.isSafeInteger(input.userId) || input.userId <= 0) throw badInput('userId must be a Telegram user id', { argument: 'userId' });
    if (input.role !== 'admin' && input.role !== 'manager') throw badInput('role must be admin or manager', { argument: 'role' });
    const keepName = input.name === undefined || input.name === null;
    const name = input.name?.trim() || null;
    if (name && name.length > 200) throw badInput('the name is longer than 200 characters', { argument: 'name' });
    await this.change(actor, 'addTeamMember', { userId: input.userId, role: input.role, name }, (trx, now) =>
      putTeamMember(trx, { userId: input.userId, role: input.role, source: 'api', name }, now, { keepName }),
    );
    return this.model.roster.byId.get(input.userId)!;
  }

  /**
   * Removes a member added through the API; false if they were not on the roster. Someone who is
   * team because of the configuration or the team chat stays team: the answer says what to change
   * instead.
   */
  async remove(actor: Actor, userId: number): Promise<boolean> {
    const member = this.model.roster.byId.get(userId);
    if (!member) return false;
    if (member.source !== 'api') {
      const where = member.source === 'config' ? 'the configuration (team.members)' : 'the team chat: take them out of it (removeMemberFromChats)';
      throw new DomainError('CONFLICT', `user ${userId} is on the team through ${where}`, { source: member.source });
    }
    await this.change(actor, 'removeTeamMember', { userId }, (trx) => deleteTeamMember(trx, userId).then(() => undefined));
    return true;
  }

  private async change(actor: Actor, action: string, details: Record<string, unknown>, write: (trx: Trx, now: number) => Promise<void>): Promise<void> {
    await this.writer.run(async (trx, emit, hooks) => {
      const now = this.now();
      const before = this.model.roster;
      await write(trx, now);
      await appendAudit(trx, { at: now, actor: actor.label, action, accountId: null, chatKey: null, details: { ...details, ...(actor.memberUserId !== null ? { by: actor.memberUserId } : {}) }, outcome: 'ok', errorCode: null });
      const stored = (await listTeamMembers(trx)).map((m) => ({ userId: m.userId, role: m.role, source: m.source, name: m.name ?? '' }));
      const previousStored = [...before.byId.values()].filter((m) => m.source === 'api');
      hooks.onRollback(() => {
        this.model.setStoredMembers(previousStored);
        this.model.rebuildRoster();
      });
      this.model.setStoredMembers(stored);
      this.model.rebuildRoster();
      await this.follow(trx, emit, details.userId as number, now);
    });
    this.clock.schedule();
  }

  /** Everything a roster change moves: kinds, client names, last-message sides, waits. */
  private async follow(trx: Trx, emit: Emit, userId: number, now: number): Promise<void> {
    const model = this.model;
    for (const entry of model.chats.values()) {
      const key = entry.record.key;
      const before = { kind: entry.kind, clientName: entry.clientName };
      model.classify(entry);
      const kindChanged = before.kind !== entry.kind || before.clientName !== entry.clientName;
      if (kindChanged) model.emitTo(emit, { type: 'chatKindChanged', at: now, chatKey: key, kind: entry.kind, clientName: entry.clientName });
      if (entry.lastMessage) {
        const isTeam = isTeamSender(model.roster, entry.lastMessage.sender);
        if (isTeam !== entry.lastMessage.isTeam) entry.lastMessage = { ...entry.lastMessage, isTeam };
      }
      // Their messages now count (or no longer count) as answers in the chats they wrote in.
      if (kindChanged || entry.activity.has(userId) || entry.members.has(userId)) {
        await this.clock.recompute(trx, emit, key, now);
      }
    }
    model.emitDialogDiffs(emit, model.chats.keys(), now);
  }
}
