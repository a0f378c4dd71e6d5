/**
 * Tasks from messages (DESIGN.md §1 rows 18–19): create one from selected messages, close,
 * reopen and change it, from tgdesk's API or from the portal.
 *
 * Every change is one writer transaction holding the task rows, its portal event in the outbox
 * (changes made by tgdesk only: the portal is not told what it did itself), the audit entry,
 * the open-task count of the chat in the team model, and the events subscribers see
 * (`taskChanged`, and `dialogChanged` where `openTaskCount` moved). A rolled-back change leaves
 * none of these behind.
 *
 * Telegram is touched only around the transaction, never inside it: the message link is asked
 * for before (a slow Telegram must not hold the writer), and the optional reaction on the
 * source messages is set after the commit; a failed reaction is logged and changes nothing.
 */
import type { Kysely } from 'kysely';
import { badInput, DomainError, notFound } from '../domain/errors.ts';
import { hasSharedMessageIds, parseSenderKey, type ChatKey } from '../domain/ids.ts';
import {
  checkSelection,
  checkSnapshotSize,
  deriveTitle,
  idempotencyKey,
  parseMessageIds,
  parseMessageLink,
  PORTAL_EVENT_OF_CHANGE,
  portalEventBody,
  validateDescription,
  validateTitle,
  type PortalCommand,
  type Task,
  type TaskActor,
  type TaskChangeKind,
  type TaskHeader,
  type TaskMessage,
  type TaskStatus,
} from '../domain/tasks.ts';
import { fromUnixSeconds } from '../domain/time.ts';
import type { Logger } from '../shared/log.ts';
import { getMessagesByIds, idsOfKeys, type StoredMessage } from '../store/messages.repository.ts';
import { insertOutbox } from '../store/outbox.repository.ts';
import type { Database } from '../store/schema.ts';
import {
  countTasks,
  findTaskByPortalId,
  getTask,
  getTaskMessages,
  getTasks,
  insertTask,
  listTasks,
  nextOutboxSeq,
  recordInbound,
  taskIdsOfMessages,
  taskReaction,
  tdMessageIdsOf,
  updateTask,
  type TaskFilter,
  type TaskPatch,
} from '../store/tasks.repository.ts';
import { appendAudit } from '../store/team.repository.ts';
import type { TelegramAccount } from '../tdlib/port.ts';
import type { Actor } from './actions.ts';
import type { TeamModel } from './team-model.ts';
import type { Emit, Trx, Writer } from './writer.ts';

export interface TasksConfig {
  /** Emoji put on a task's source messages while it is open; null (the default): none. */
  readonly reaction: string | null;
  /** Emoji that replaces it when the task closes; null: the reaction is just removed. */
  readonly closedReaction: string | null;
}

export const DEFAULT_TASKS_CONFIG: TasksConfig = { reaction: null, closedReaction: null };

export interface TasksDeps {
  readonly db: Kysely<Database>;
  readonly writer: Writer;
  readonly model: TeamModel;
  readonly accounts: ReadonlyMap<string, TelegramAccount>;
  readonly now: () => number;
  readonly logger: Logger;
  readonly config?: TasksConfig;
}

export interface CreateTaskInput {
  readonly chatKey: ChatKey;
  readonly messageIds: readonly (string | number)[];
  readonly title?: string | null;
  readonly description?: string | null;
  readonly assigneeId?: number | null;
}

export interface TaskChanges {
  readonly title?: string | null;
  readonly description?: string | null;
  /** null unassigns; absent leaves it. */
  readonly assigneeId?: number | null;
}

export interface TaskPage {
  readonly nodes: readonly TaskHeader[];
  readonly totalCount: number;
  readonly hasNextPage: boolean;
  /** Continue after this task (its id). */
  readonly endCursor: string | null;
}

/** How long the link lookup may take before the task falls back to tgdesk's own link. */
const LINK_TIMEOUT_MS = 2_000;

export class Tasks {
  private readonly config: TasksConfig;
  private readonly outboxListeners = new Set<() => void>();
  /** Reaction changes of one task run one after another, so a quick close and reopen end right. */
  private readonly reactionChains = new Map<string, Promise<void>>();

  constructor(private readonly d: TasksDeps) {
    this.config = d.config ?? DEFAULT_TASKS_CONFIG;
  }

  /** Called after every commit that wrote to the outbox: the delivery worker wakes up. */
  onOutboxWritten(listener: () => void): () => void {
    this.outboxListeners.add(listener);
    return () => this.outboxListeners.delete(listener);
  }

  // ---- actions ---------------------------------------------------------------------------------

  /** A task from selected messages of one chat; the title is derived from the first message when none is given. */
  async createTask(actor: Actor, input: CreateTaskInput): Promise<TaskHeader> {
    const entry = this.d.model.chats.get(input.chatKey);
    if (!entry) throw notFound('chat', input.chatKey);
    const ids = parseMessageIds(input.messageIds);
    const givenTitle = input.title === undefined || input.title === null || input.title.trim() === '' ? null : validateTitle(input.title);
    const description = input.description ? validateDescription(input.description) : '';
    const assigneeId = this.checkAssignee(input.assigneeId ?? null);

    const stored = await getMessagesByIds(this.d.db, ids);
    const found = new Map(stored.map((m) => [m.id, m]));
    checkSelection(input.chatKey, ids, new Map(stored.map((m) => [m.id, { id: m.id, chatKey: m.chatKey, deleted: m.deletedAt !== null }])));
    // Chronological, whatever order the client selected in: the portal reads a discussion top down.
    const selected = ids.map((id) => found.get(id)!).sort((a, b) => a.sortKey - b.sortKey);
    const messages = selected.map((m) => this.snapshotOf(m));
    checkSnapshotSize(messages);
    const anchor = selected[0]!;
    const title = givenTitle ?? deriveTitle(messages[0]!);
    const telegramLink = await this.telegramLink(actor, input.chatKey, anchor);
    const reaction = this.config.reaction;

    const task = await this.d.writer.run(async (trx, emit, hooks) => {
      const now = this.d.now();
      const by = this.taskActor(actor, 'tgdesk');
      const header = await insertTask(trx, { chatKey: input.chatKey, title, description, assigneeId, createdBy: by, createdAt: now, anchorMessageId: anchor.id, telegramLink, reaction }, messages, true);
      await this.outbox(trx, 'created', { ...header, messages }, now, 1);
      await this.audit(trx, actor, 'createTask', input.chatKey, { taskId: header.id, messageIds: header.messageIds.map(String) }, now);
      this.countOpen(input.chatKey, +1, hooks);
      this.emitChange(emit, 'created', header, now);
      hooks.afterCommit(() => {
        this.notifyOutbox();
        if (reaction) this.react(header, selected, null, reaction, actor);
      });
      return header;
    });
    return task;
  }

  /** "Create task" on one message: the task is that message, titled after it. */
  markMessageAsTask(actor: Actor, chatKey: ChatKey, messageId: string | number): Promise<TaskHeader> {
    return this.createTask(actor, { chatKey, messageIds: [messageId] });
  }

  /** Closes the task; closing a closed task changes nothing and is not an error. */
  closeTask(actor: Actor, taskId: string, source: 'tgdesk' | 'portal' = 'tgdesk'): Promise<TaskHeader> {
    return this.setStatus(actor, taskId, 'closed', source, null).then((r) => r.task);
  }

  /** Opens a closed task again; reopening an open task changes nothing. */
  reopenTask(actor: Actor, taskId: string, source: 'tgdesk' | 'portal' = 'tgdesk'): Promise<TaskHeader> {
    return this.setStatus(actor, taskId, 'open', source, null).then((r) => r.task);
  }

  /** Changes the title, description or assignee; fields left out stay. A change to nothing new is no change. */
  updateTask(actor: Actor, taskId: string, changes: TaskChanges, source: 'tgdesk' | 'portal' = 'tgdesk'): Promise<TaskHeader> {
    return this.update(actor, taskId, changes, source, null).then((r) => r.task);
  }

  /**
   * A command from the portal's signed webhook. A request id seen before is a replay: the task
   * is returned as it is and nothing changes. Changes from the portal are not sent back to it.
   */
  async applyPortalCommand(command: PortalCommand): Promise<{ task: TaskHeader; applied: boolean }> {
    const task = command.taskId !== null ? await getTask(this.d.db, Number(command.taskId)) : await findTaskByPortalId(this.d.db, command.portalTaskId!);
    if (!task) throw notFound('task', command.taskId ?? command.portalTaskId!);
    const who = command.by;
    const memberUserId = who?.userId !== undefined && who?.userId !== null && this.d.model.isTeamUser(who.userId) ? who.userId : null;
    const actor: Actor = { label: `portal${who ? `: ${who.name}` : ''}`, memberUserId };
    const inbound = { requestId: command.id };
    switch (command.type) {
      case 'task.close':
        return this.setStatus(actor, task.id, 'closed', 'portal', inbound, who?.name);
      case 'task.reopen':
        return this.setStatus(actor, task.id, 'open', 'portal', inbound, who?.name);
      case 'task.update':
        return this.update(
          actor,
          task.id,
          {
            ...(command.title !== undefined ? { title: command.title } : {}),
            ...(command.description !== undefined ? { description: command.description } : {}),
            ...(command.assigneeId !== undefined ? { assigneeId: command.assigneeId } : {}),
          },
          'portal',
          inbound,
        );
    }
  }

  /** The portal's own id and page for a task, from its answer to a delivery. */
  recordPortalAnswer(taskId: number, answer: { portalTaskId: string | null; portalUrl: string | null }): Promise<void> {
    return this.recordPortalAnswers([{ taskId, ...answer }]);
  }

  /**
   * The portal's ids and pages from several answers, in one transaction: the delivery worker
   * reports what a burst of deliveries brought back together. Only real changes are written.
   */
  async recordPortalAnswers(answers: readonly { taskId: number; portalTaskId: string | null; portalUrl: string | null }[]): Promise<void> {
    const useful = answers.filter((a) => a.portalTaskId !== null || a.portalUrl !== null);
    if (useful.length === 0) return;
    await this.d.writer.run(async (trx, emit) => {
      const current = new Map((await getTasks(trx, [...new Set(useful.map((a) => a.taskId))])).map((t) => [Number(t.id), t]));
      const now = this.d.now();
      for (const a of useful) {
        const task = current.get(a.taskId);
        if (!task) continue;
        const portalTaskId = a.portalTaskId ?? task.portalTaskId;
        const portalUrl = a.portalUrl ?? task.portalUrl;
        if (portalTaskId === task.portalTaskId && portalUrl === task.portalUrl) continue;
        const changed: TaskHeader = { ...task, portalTaskId, portalUrl, updatedAt: now, version: task.version + 1 };
        await updateTask(trx, a.taskId, { portalTaskId, portalUrl, updatedAt: now, version: changed.version });
        current.set(a.taskId, changed);
        // The portal's id shows on no dialog row: the task's own event is all there is to tell.
        this.d.model.emitTo(emit, { type: 'taskChanged', at: now, chatKey: changed.chatKey, change: 'updated', task: changed });
      }
    });
  }

  // ---- reads -----------------------------------------------------------------------------------

  async task(taskId: string): Promise<TaskHeader> {
    const task = await getTask(this.d.db, this.parseTaskId(taskId));
    if (!task) throw notFound('task', taskId);
    return task;
  }

  /** Tasks newest first; `after` is the `endCursor` of the previous page. */
  async tasks(filter: TaskFilter & { readonly first: number; readonly after?: string | null }): Promise<TaskPage> {
    const beforeId = filter.after ? this.parseTaskId(filter.after, 'after') : undefined;
    const rows = await listTasks(this.d.db, { ...filter, ...(beforeId !== undefined ? { beforeId } : {}), limit: filter.first + 1 });
    const nodes = rows.slice(0, filter.first);
    return { nodes, totalCount: await countTasks(this.d.db, filter), hasNextPage: rows.length > filter.first, endCursor: nodes.length ? nodes[nodes.length - 1]!.id : null };
  }

  async taskMessages(taskId: string): Promise<TaskMessage[]> {
    return getTaskMessages(this.d.db, this.parseTaskId(taskId));
  }

  /** The tasks each message belongs to: what clients highlight. Messages in no task are absent. */
  async tasksOfMessages(messageIds: readonly number[]): Promise<Map<number, TaskHeader[]>> {
    const ids = await taskIdsOfMessages(this.d.db, messageIds);
    const tasks = new Map((await getTasks(this.d.db, [...new Set([...ids.values()].flat())])).map((t) => [Number(t.id), t]));
    const out = new Map<number, TaskHeader[]>();
    for (const [messageId, taskIds] of ids) out.set(messageId, taskIds.map((id) => tasks.get(id)!).filter(Boolean));
    return out;
  }

  /** Where a task link (tgdesk's or Telegram's) points: a chat and a stored message, or null when unknown. */
  async resolveLink(link: string): Promise<{ chatKey: ChatKey; messageId: number } | null> {
    const parsed = parseMessageLink(link);
    if (!parsed) throw badInput('not a tgdesk or Telegram message link', { argument: 'link' });
    if (parsed.kind === 'tgdesk') {
      const [m] = await getMessagesByIds(this.d.db, [parsed.messageId]);
      return m && m.chatKey === parsed.chatKey ? { chatKey: m.chatKey, messageId: m.id } : null;
    }
    const id = (await idsOfKeys(this.d.db, [{ chatKey: parsed.chatKey, msgKey: parsed.msgKey }])).get(`${parsed.chatKey}\u0000${parsed.msgKey}`);
    return id === undefined ? null : { chatKey: parsed.chatKey, messageId: id };
  }

  // ---- internals -------------------------------------------------------------------------------

  private async setStatus(
    actor: Actor,
    taskId: string,
    status: TaskStatus,
    source: 'tgdesk' | 'portal',
    inbound: { requestId: string } | null,
    portalName?: string,
  ): Promise<{ task: TaskHeader; applied: boolean }> {
    const id = this.parseTaskId(taskId);
    const result = await this.d.writer.run(async (trx, emit, hooks) => {
      const current = await getTask(trx, id);
      if (!current) throw notFound('task', taskId);
      const now = this.d.now();
      const unchanged = { task: current, applied: false, reaction: null };
      if (inbound && !(await recordInbound(trx, inbound.requestId, id, now))) return unchanged;
      if (current.status === status) return { ...unchanged, applied: inbound !== null };
      const closing = status === 'closed';
      const by = this.taskActor(actor, source, portalName);
      // What the messages carry now (as stored, whatever the config says today) and what they should.
      const from = await taskReaction(trx, id);
      const to = closing ? this.config.closedReaction : this.config.reaction;
      await updateTask(trx, id, { status, closedBy: closing ? by : null, closedAt: closing ? now : null, updatedAt: now, version: current.version + 1, reaction: to });
      const task = (await getTask(trx, id))!;
      const change: TaskChangeKind = closing ? 'closed' : 'reopened';
      if (source === 'tgdesk') await this.outbox(trx, change, { ...task, messages: await getTaskMessages(trx, id) }, now);
      await this.audit(trx, actor, closing ? 'closeTask' : 'reopenTask', task.chatKey, { taskId: task.id, source }, now);
      this.countOpen(task.chatKey, closing ? -1 : +1, hooks);
      this.emitChange(emit, change, task, now);
      hooks.afterCommit(() => {
        if (source === 'tgdesk') this.notifyOutbox();
      });
      return { task, applied: true, reaction: from !== to ? { from, to } : null };
    });
    if (result.reaction) this.react(result.task, await getMessagesByIds(this.d.db, result.task.messageIds), result.reaction.from, result.reaction.to, actor);
    return { task: result.task, applied: result.applied };
  }

  private async update(actor: Actor, taskId: string, changes: TaskChanges, source: 'tgdesk' | 'portal', inbound: { requestId: string } | null): Promise<{ task: TaskHeader; applied: boolean }> {
    const id = this.parseTaskId(taskId);
    const title = changes.title === undefined || changes.title === null ? undefined : validateTitle(changes.title);
    const description = changes.description === undefined || changes.description === null ? undefined : validateDescription(changes.description);
    const assigneeId = changes.assigneeId === undefined ? undefined : this.checkAssignee(changes.assigneeId);
    return this.d.writer.run(async (trx, emit, hooks) => {
      const current = await getTask(trx, id);
      if (!current) throw notFound('task', taskId);
      const now = this.d.now();
      if (inbound && !(await recordInbound(trx, inbound.requestId, id, now))) return { task: current, applied: false };
      const patch: { -readonly [K in keyof TaskPatch]: TaskPatch[K] } = { updatedAt: now, version: current.version + 1 };
      if (title !== undefined && title !== current.title) patch.title = title;
      if (description !== undefined && description !== current.description) patch.description = description;
      if (assigneeId !== undefined && assigneeId !== current.assigneeId) patch.assigneeId = assigneeId;
      if (patch.title === undefined && patch.description === undefined && patch.assigneeId === undefined) return { task: current, applied: inbound !== null };
      await updateTask(trx, id, patch);
      const task = (await getTask(trx, id))!;
      if (source === 'tgdesk') await this.outbox(trx, 'updated', { ...task, messages: await getTaskMessages(trx, id) }, now);
      await this.audit(trx, actor, 'updateTask', task.chatKey, { taskId: task.id, source, fields: Object.keys(patch).filter((k) => k !== 'updatedAt' && k !== 'version') }, now);
      this.emitChange(emit, 'updated', task, now);
      hooks.afterCommit(() => {
        if (source === 'tgdesk') this.notifyOutbox();
      });
      return { task, applied: true };
    });
  }

  /**
   * Writes the task's next portal event (`seq` when already taken); its body is final, signed and
   * sent byte for byte.
   */
  private async outbox(trx: Trx, change: TaskChangeKind, task: Task, now: number, taken?: number): Promise<void> {
    const seq = taken ?? (await nextOutboxSeq(trx, Number(task.id)));
    const type = PORTAL_EVENT_OF_CHANGE[change];
    const chatTitle = this.d.model.chats.get(task.chatKey)?.record.title ?? task.chatKey;
    const body = portalEventBody(type, seq, now, task, { chatTitle, personName: (userId) => this.personName(userId) });
    await insertOutbox(trx, { taskId: Number(task.id), seq, idempotencyKey: idempotencyKey(task.id, seq), type, body: JSON.stringify(body), createdAt: now });
  }

  private emitChange(emit: Emit, change: TaskChangeKind, task: TaskHeader, now: number): void {
    this.d.model.emitTo(emit, { type: 'taskChanged', at: now, chatKey: task.chatKey, change, task });
    this.d.model.emitDialogDiffs(emit, [task.chatKey], now);
  }

  /** Keeps `Dialog.openTaskCount` in step, undone if the transaction rolls back. */
  private countOpen(chatKey: ChatKey, delta: number, hooks: { onRollback(fn: () => void): void }): void {
    const open = this.d.model.openTasks;
    const before = open.get(chatKey) ?? 0;
    const after = Math.max(0, before + delta);
    if (after === 0) open.delete(chatKey);
    else open.set(chatKey, after);
    hooks.onRollback(() => (before === 0 ? open.delete(chatKey) : open.set(chatKey, before)));
  }

  /** Wakes the delivery worker: something was written to the outbox. */
  notifyOutbox(): void {
    for (const l of this.outboxListeners) {
      try {
        l();
      } catch (error) {
        this.d.logger.warn('outbox listener failed', { error });
      }
    }
  }

  private async audit(trx: Trx, actor: Actor, action: string, chatKey: ChatKey, details: Record<string, unknown>, at: number): Promise<void> {
    await appendAudit(trx, {
      at,
      actor: actor.label,
      action,
      accountId: null,
      chatKey,
      details: { ...details, ...(actor.memberUserId !== null ? { memberUserId: actor.memberUserId } : {}) },
      outcome: 'ok',
      errorCode: null,
    });
  }

  private parseTaskId(taskId: string, argument = 'taskId'): number {
    if (!/^[1-9]\d{0,14}$/.test(taskId)) throw badInput(`"${taskId.slice(0, 20)}" is not a task id`, { argument });
    return Number(taskId);
  }

  private checkAssignee(assigneeId: number | null): number | null {
    if (assigneeId === null) return null;
    if (!Number.isSafeInteger(assigneeId) || assigneeId <= 0) throw badInput('assigneeId must be a Telegram user id', { argument: 'assigneeId' });
    if (!this.d.model.isTeamUser(assigneeId)) throw notFound('team member', assigneeId);
    return assigneeId;
  }

  private personName(userId: number): string {
    return this.d.model.roster.byId.get(userId)?.name || this.d.model.users.get(userId)?.name || `user ${userId}`;
  }

  private taskActor(actor: Actor, source: 'tgdesk' | 'portal', portalName?: string): TaskActor {
    const name = portalName ?? (actor.memberUserId !== null ? this.personName(actor.memberUserId) : actor.label);
    return { userId: actor.memberUserId, name, source };
  }

  private snapshotOf(m: StoredMessage): TaskMessage {
    const sender = parseSenderKey(m.senderKey);
    let senderName: string;
    if (sender?.kind === 'chat') {
      senderName = [...this.d.model.chats.values()].find((c) => c.record.tdChatId === sender.id)?.record.title ?? `chat ${sender.id}`;
    } else {
      const userId = sender?.id ?? m.senderUserId ?? 0;
      senderName = this.d.model.users.get(userId)?.name ?? `user ${userId}`;
    }
    return {
      messageId: m.id,
      senderKey: m.senderKey,
      senderUserId: m.senderUserId,
      senderName,
      sentAt: fromUnixSeconds(m.date),
      text: m.text,
      contentKind: m.contentKind as TaskMessage['contentKind'],
      mediaSummary: m.mediaSummary,
    };
  }

  /** Accounts that see the chat, the acting member's own first. */
  private accountsFor(chatKey: ChatKey, actor: Actor): { account: TelegramAccount; tdChatId: number }[] {
    const out: { account: TelegramAccount; tdChatId: number; own: boolean }[] = [];
    for (const [accountId, rows] of this.d.model.accountChats) {
      const ac = rows.get(chatKey);
      const account = this.d.accounts.get(accountId);
      if (!ac || !account) continue;
      out.push({ account, tdChatId: ac.tdChatId, own: actor.memberUserId !== null && this.d.model.accountUsers.get(accountId) === actor.memberUserId });
    }
    return out.sort((a, b) => Number(b.own) - Number(a.own));
  }

  /** Telegram's link to the message where it has one (supergroups); null elsewhere or when Telegram does not answer. */
  private async telegramLink(actor: Actor, chatKey: ChatKey, message: StoredMessage): Promise<string | null> {
    const entry = this.d.model.chats.get(chatKey);
    if (!entry || !hasSharedMessageIds(entry.record.type)) return null;
    for (const { account, tdChatId } of this.accountsFor(chatKey, actor)) {
      const tdIds = await tdMessageIdsOf(this.d.db, account.accountId, entry.record.type, [message]);
      const tdId = tdIds.get(message.id);
      if (tdId === undefined) continue;
      try {
        const link = await withTimeout(account.getMessageLink(tdChatId, tdId), LINK_TIMEOUT_MS);
        if (link) return link;
      } catch (error) {
        this.d.logger.warn('no message link from Telegram; trying another account', { accountId: account.accountId, chatKey, error });
      }
    }
    return null;
  }

  /**
   * Swaps the reaction on the task's messages from `from` to `to` (either may be null), through
   * one account that sees the chat. Runs after the commit, one change per task at a time.
   */
  private react(task: TaskHeader, messages: readonly StoredMessage[], from: string | null, to: string | null, actor: Actor): void {
    const previous = this.reactionChains.get(task.id) ?? Promise.resolve();
    const next = previous.then(async () => {
      const entry = this.d.model.chats.get(task.chatKey);
      const [target] = this.accountsFor(task.chatKey, actor);
      if (!entry || !target) return;
      const tdIds = await tdMessageIdsOf(this.d.db, target.account.accountId, entry.record.type, messages);
      for (const m of messages) {
        const tdId = tdIds.get(m.id);
        if (tdId === undefined) continue;
        try {
          if (from !== null) await target.account.setReaction(target.tdChatId, tdId, null);
          if (to !== null) await target.account.setReaction(target.tdChatId, tdId, to);
        } catch (error) {
          this.d.logger.warn('could not change the task reaction on a message', { taskId: task.id, messageId: m.id, error: error instanceof DomainError ? error.code : error });
        }
      }
    });
    const settled = next.catch((error) => this.d.logger.warn('task reaction failed', { taskId: task.id, error }));
    this.reactionChains.set(task.id, settled);
    void settled.then(() => {
      if (this.reactionChains.get(task.id) === settled) this.reactionChains.delete(task.id);
    });
  }

  /** Resolves once every reaction change started so far is done (tests, shutdown). */
  async whenReactionsSettled(): Promise<void> {
    while (this.reactionChains.size > 0) await Promise.all([...this.reactionChains.values()]);
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms);
    }),
  ]);
}
