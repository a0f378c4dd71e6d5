/**
 * Tasks and the snapshot of their messages. Plain functions taking `db` or a transaction; rows
 * are mapped to the domain's task values here and nowhere else.
 */
import type { Kysely, Selectable } from 'kysely';
import { hasSharedMessageIds, type ChatKey, type ChatType } from '../domain/ids.ts';
import type { ContentKind } from '../domain/telegram.ts';
import { tgdeskMessageLink, type TaskActor, type TaskHeader, type TaskMessage, type TaskSource, type TaskStatus } from '../domain/tasks.ts';
import type { Database } from './schema.ts';
import type { TasksTable } from './tasks.tables.ts';

type Db = Kysely<Database>;

const CHUNK = 400;

function chunks<T>(items: readonly T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export interface NewTask {
  readonly chatKey: ChatKey;
  readonly title: string;
  readonly description: string;
  readonly assigneeId: number | null;
  readonly createdBy: TaskActor;
  readonly createdAt: number;
  readonly anchorMessageId: number;
  readonly telegramLink: string | null;
  readonly reaction: string | null;
}

/**
 * Stores a new task and its messages; returns it as stored. `withEvent` takes the task's first
 * portal event number (1) in the same statement, for a creation that writes one.
 */
export async function insertTask(db: Db, task: NewTask, messages: readonly TaskMessage[], withEvent: boolean): Promise<TaskHeader> {
  const values = {
    chat_key: task.chatKey,
    title: task.title,
    description: task.description,
    status: 'open',
    assignee_id: task.assigneeId,
    created_by_user_id: task.createdBy.userId,
    created_by_name: task.createdBy.name,
    created_by_source: task.createdBy.source,
    created_at: task.createdAt,
    updated_at: task.createdAt,
    closed_by_user_id: null,
    closed_by_name: null,
    closed_by_source: null,
    closed_at: null,
    anchor_message_id: task.anchorMessageId,
    telegram_link: task.telegramLink,
    portal_task_id: null,
    portal_url: null,
    version: 1,
    outbox_seq: withEvent ? 1 : 0,
    reaction: task.reaction,
  };
  const row = await db.insertInto('tasks').values(values).returning('id').executeTakeFirstOrThrow();
  const id = Number(row.id);
  for (const part of chunks(messages.map((m, position) => ({ m, position })), 200)) {
    await db
      .insertInto('task_messages')
      .values(
        part.map(({ m, position }) => ({
          task_id: id,
          message_id: m.messageId,
          position,
          chat_key: task.chatKey,
          sender_key: m.senderKey,
          sender_user_id: m.senderUserId,
          sender_name: m.senderName,
          sent_at: m.sentAt,
          text: m.text,
          content_kind: m.contentKind,
          media_summary: m.mediaSummary,
        })),
      )
      .execute();
  }
  return toHeader({ ...values, id }, messages.map((m) => m.messageId));
}

export interface TaskPatch {
  readonly title?: string;
  readonly description?: string;
  readonly status?: TaskStatus;
  readonly assigneeId?: number | null;
  readonly closedBy?: TaskActor | null;
  readonly closedAt?: number | null;
  readonly portalTaskId?: string | null;
  readonly portalUrl?: string | null;
  readonly reaction?: string | null;
  readonly updatedAt: number;
  readonly version: number;
}

export async function updateTask(db: Db, id: number, patch: TaskPatch): Promise<void> {
  const set: Partial<Record<keyof TasksTable, unknown>> = { updated_at: patch.updatedAt, version: patch.version };
  if (patch.title !== undefined) set.title = patch.title;
  if (patch.description !== undefined) set.description = patch.description;
  if (patch.status !== undefined) set.status = patch.status;
  if (patch.assigneeId !== undefined) set.assignee_id = patch.assigneeId;
  if (patch.closedBy !== undefined) {
    set.closed_by_user_id = patch.closedBy?.userId ?? null;
    set.closed_by_name = patch.closedBy?.name ?? null;
    set.closed_by_source = patch.closedBy?.source ?? null;
  }
  if (patch.closedAt !== undefined) set.closed_at = patch.closedAt;
  if (patch.portalTaskId !== undefined) set.portal_task_id = patch.portalTaskId;
  if (patch.portalUrl !== undefined) set.portal_url = patch.portalUrl;
  if (patch.reaction !== undefined) set.reaction = patch.reaction;
  await db.updateTable('tasks').set(set as never).where('id', '=', id).execute();
}

/** The emoji tgdesk put on the task's messages, if any. */
export async function taskReaction(db: Db, taskId: number): Promise<string | null> {
  const row = await db.selectFrom('tasks').select('reaction').where('id', '=', taskId).executeTakeFirst();
  return row?.reaction ?? null;
}

/** Takes the task's next portal event number. */
export async function nextOutboxSeq(db: Db, taskId: number): Promise<number> {
  const row = await db.updateTable('tasks').set((eb) => ({ outbox_seq: eb('outbox_seq', '+', 1) })).where('id', '=', taskId).returning('outbox_seq').executeTakeFirstOrThrow();
  return Number(row.outbox_seq);
}

function actor(userId: number | null, name: string | null, source: string | null): TaskActor | null {
  if (name === null) return null;
  return { userId: userId === null ? null : Number(userId), name, source: (source ?? 'tgdesk') as TaskSource };
}

function toHeader(r: Selectable<TasksTable>, messageIds: readonly number[]): TaskHeader {
  const id = Number(r.id);
  const tgdeskLink = tgdeskMessageLink(r.chat_key, Number(r.anchor_message_id));
  return {
    id: String(id),
    chatKey: r.chat_key,
    title: r.title,
    description: r.description,
    status: r.status as TaskStatus,
    assigneeId: r.assignee_id === null ? null : Number(r.assignee_id),
    createdBy: actor(r.created_by_user_id, r.created_by_name, r.created_by_source)!,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
    closedBy: actor(r.closed_by_user_id, r.closed_by_name, r.closed_by_source),
    closedAt: r.closed_at === null ? null : Number(r.closed_at),
    anchorMessageId: Number(r.anchor_message_id),
    messageIds,
    link: r.telegram_link ?? tgdeskLink,
    telegramLink: r.telegram_link,
    tgdeskLink,
    portalTaskId: r.portal_task_id,
    portalUrl: r.portal_url,
    version: r.version,
  };
}

async function messageIdsOf(db: Db, taskIds: readonly number[]): Promise<Map<number, number[]>> {
  const out = new Map<number, number[]>();
  for (const part of chunks(taskIds)) {
    const rows = await db.selectFrom('task_messages').select(['task_id', 'message_id']).where('task_id', 'in', part).orderBy('task_id').orderBy('position').execute();
    for (const r of rows) {
      const k = Number(r.task_id);
      const arr = out.get(k);
      if (arr) arr.push(Number(r.message_id));
      else out.set(k, [Number(r.message_id)]);
    }
  }
  return out;
}

/** The tasks of the given ids that exist, in the order asked. */
export async function getTasks(db: Db, ids: readonly number[]): Promise<TaskHeader[]> {
  const rows: Selectable<TasksTable>[] = [];
  for (const part of chunks([...new Set(ids)])) rows.push(...(await db.selectFrom('tasks').selectAll().where('id', 'in', part).execute()));
  const byId = new Map(rows.map((r) => [Number(r.id), r]));
  const messageIds = await messageIdsOf(db, [...byId.keys()]);
  return ids.filter((id) => byId.has(id)).map((id) => toHeader(byId.get(id)!, messageIds.get(id) ?? []));
}

export async function getTask(db: Db, id: number): Promise<TaskHeader | null> {
  return (await getTasks(db, [id]))[0] ?? null;
}

export async function findTaskByPortalId(db: Db, portalTaskId: string): Promise<TaskHeader | null> {
  const row = await db.selectFrom('tasks').select('id').where('portal_task_id', '=', portalTaskId).orderBy('id', 'desc').limit(1).executeTakeFirst();
  return row ? getTask(db, Number(row.id)) : null;
}

export async function getTaskMessages(db: Db, taskId: number): Promise<TaskMessage[]> {
  const rows = await db.selectFrom('task_messages').selectAll().where('task_id', '=', taskId).orderBy('position').execute();
  return rows.map((r) => ({
    messageId: Number(r.message_id),
    senderKey: r.sender_key,
    senderUserId: r.sender_user_id === null ? null : Number(r.sender_user_id),
    senderName: r.sender_name,
    sentAt: Number(r.sent_at),
    text: r.text,
    contentKind: r.content_kind as ContentKind,
    mediaSummary: r.media_summary,
  }));
}

export interface TaskFilter {
  readonly status?: TaskStatus | null;
  readonly chatKey?: ChatKey | null;
  readonly assigneeId?: number | null;
}

function filtered(db: Db, f: TaskFilter) {
  let q = db.selectFrom('tasks');
  if (f.status) q = q.where('status', '=', f.status);
  if (f.chatKey) q = q.where('chat_key', '=', f.chatKey);
  if (f.assigneeId !== undefined && f.assigneeId !== null) q = q.where('assignee_id', '=', f.assigneeId);
  return q;
}

/** Newest first; `beforeId` continues a page. */
export async function listTasks(db: Db, f: TaskFilter & { readonly beforeId?: number; readonly limit: number }): Promise<TaskHeader[]> {
  let q = filtered(db, f).select('id');
  if (f.beforeId !== undefined) q = q.where('id', '<', f.beforeId);
  const rows = await q.orderBy('id', 'desc').limit(f.limit).execute();
  return getTasks(db, rows.map((r) => Number(r.id)));
}

export async function countTasks(db: Db, f: TaskFilter): Promise<number> {
  const row = await filtered(db, f).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

/** For each message, the tasks it belongs to (oldest task first). */
export async function taskIdsOfMessages(db: Db, messageIds: readonly number[]): Promise<Map<number, number[]>> {
  const out = new Map<number, number[]>();
  for (const part of chunks([...new Set(messageIds)])) {
    const rows = await db.selectFrom('task_messages').select(['message_id', 'task_id']).where('message_id', 'in', part).orderBy('task_id').execute();
    for (const r of rows) {
      const k = Number(r.message_id);
      const arr = out.get(k);
      if (arr) arr.push(Number(r.task_id));
      else out.set(k, [Number(r.task_id)]);
    }
  }
  return out;
}

export async function countOpenTasksByChat(db: Db): Promise<Map<ChatKey, number>> {
  const rows = await db.selectFrom('tasks').select((eb) => ['chat_key', eb.fn.countAll<number>().as('n')]).where('status', '=', 'open').groupBy('chat_key').execute();
  return new Map(rows.map((r) => [r.chat_key, Number(r.n)]));
}

/** Records a portal request as applied; false when it was applied before (a replay). */
export async function recordInbound(db: Db, requestId: string, taskId: number, at: number): Promise<boolean> {
  const rows = await db
    .insertInto('portal_inbound')
    .values({ request_id: requestId, task_id: taskId, received_at: at })
    .onConflict((oc) => oc.column('request_id').doNothing())
    .returning('request_id')
    .execute();
  return rows.length === 1;
}

/**
 * An account's Telegram ids of stored messages, for links and reactions. Supergroup ids are the
 * identity itself; elsewhere each account has its own id, found in its aliases.
 */
export async function tdMessageIdsOf(db: Db, accountId: string, chatType: ChatType, messages: readonly { id: number; msgKey: string }[]): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  if (hasSharedMessageIds(chatType)) {
    for (const m of messages) if (/^m\d+$/.test(m.msgKey)) out.set(m.id, Number(m.msgKey.slice(1)));
    return out;
  }
  for (const part of chunks(messages.map((m) => m.id))) {
    const rows = await db.selectFrom('message_aliases').select(['message_id', 'td_message_id']).where('account_id', '=', accountId).where('message_id', 'in', part).execute();
    for (const r of rows) out.set(Number(r.message_id), Number(r.td_message_id));
  }
  return out;
}
