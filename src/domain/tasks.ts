/**
 * Tasks made from messages (DESIGN.md §1 rows 18–19), as pure values and rules: the limits a
 * task's text must respect, the title derived when none is given, the links that open the chat
 * at the message, the webhook bodies the portal receives, the commands it may send back, and
 * the retry schedule of deliveries. No I/O and no clock: times come in as unix ms.
 */
import { mediaLabelOf } from './dialogs.ts';
import { badInput, DomainError } from './errors.ts';
import { SERVER_MESSAGE_ID_SHIFT } from './ids.ts';
import type { ChatKey } from './ids.ts';
import type { ContentKind } from './telegram.ts';
import type { DurationMs, UnixMs } from './time.ts';

export type TaskStatus = 'open' | 'closed';

/** Which side made a change: a member through tgdesk's API, or the portal through its webhook. */
export type TaskSource = 'tgdesk' | 'portal';

export interface TaskActor {
  /** Telegram user id of the team member, when the change is tied to one. */
  readonly userId: number | null;
  /** Who, in words: a member's name, a token's name, or the portal's user. */
  readonly name: string;
  readonly source: TaskSource;
}

/** One message as it was when the task was made: the portal gets a record that needs nothing else. */
export interface TaskMessage {
  /** tgdesk's stored message id (messages.id), the id the API uses. */
  readonly messageId: number;
  /** `u<id>` or `c<id>`, as in src/domain/ids.ts. */
  readonly senderKey: string;
  readonly senderUserId: number | null;
  readonly senderName: string;
  readonly sentAt: UnixMs;
  readonly text: string;
  readonly contentKind: ContentKind;
  readonly mediaSummary: string | null;
}

/**
 * A task without its message snapshot: what events carry and lists show. The ids of its
 * messages are enough to highlight them; the snapshot is read when asked for.
 */
export interface TaskHeader {
  readonly id: string;
  readonly chatKey: ChatKey;
  readonly title: string;
  readonly description: string;
  readonly status: TaskStatus;
  readonly assigneeId: number | null;
  readonly createdBy: TaskActor;
  readonly createdAt: UnixMs;
  readonly updatedAt: UnixMs;
  readonly closedBy: TaskActor | null;
  readonly closedAt: UnixMs | null;
  /** The message the link opens: the oldest one selected. */
  readonly anchorMessageId: number;
  readonly messageIds: readonly number[];
  /** Telegram's own link where Telegram has one (supergroups), otherwise the tgdesk link. */
  readonly link: string;
  readonly telegramLink: string | null;
  readonly tgdeskLink: string;
  readonly portalTaskId: string | null;
  readonly portalUrl: string | null;
  /** Grows by one with every change: the portal can drop a state older than one it has. */
  readonly version: number;
}

export interface Task extends TaskHeader {
  readonly messages: readonly TaskMessage[];
}

export type TaskChangeKind = 'created' | 'updated' | 'closed' | 'reopened';

// ---- limits and validation -------------------------------------------------------------------

export const TASK_LIMITS = {
  titleMax: 200,
  descriptionMax: 10_000,
  /** A task is a discussion, not a chat export. */
  messagesMax: 100,
  /** All snapshot texts together; Telegram allows 4,096 characters per message. */
  snapshotCharsMax: 200_000,
  /** A derived title is kept short enough for a list row. */
  derivedTitleMax: 80,
} as const;

/** Title text on one line: runs of whitespace (newlines included) become one space. */
export function normalizeTitle(raw: string): string {
  return raw.replace(/\s+/gu, ' ').trim();
}

export function validateTitle(title: string): string {
  const t = normalizeTitle(title);
  if (t.length === 0) throw badInput('a task title cannot be empty', { argument: 'title' });
  if ([...t].length > TASK_LIMITS.titleMax) throw badInput(`the title is longer than ${TASK_LIMITS.titleMax} characters`, { argument: 'title', limit: TASK_LIMITS.titleMax });
  return t;
}

export function validateDescription(description: string): string {
  const d = description.trim();
  if ([...d].length > TASK_LIMITS.descriptionMax) {
    throw badInput(`the description is longer than ${TASK_LIMITS.descriptionMax} characters`, { argument: 'description', limit: TASK_LIMITS.descriptionMax });
  }
  return d;
}

/**
 * The API's message ids (decimal strings of stored ids), checked and deduplicated in the order
 * given. An empty selection, a malformed id or too many ids is bad input.
 */
export function parseMessageIds(ids: readonly (string | number)[], argument = 'messageIds'): number[] {
  if (ids.length === 0) throw badInput('select at least one message', { argument });
  const out: number[] = [];
  const seen = new Set<number>();
  for (const raw of ids) {
    const s = String(raw);
    if (!/^[1-9]\d{0,14}$/.test(s)) throw badInput(`"${s.slice(0, 20)}" is not a message id`, { argument });
    const id = Number(s);
    if (seen.has(id)) continue;
    seen.add(id);
    out.push(id);
  }
  if (out.length > TASK_LIMITS.messagesMax) throw badInput(`a task holds at most ${TASK_LIMITS.messagesMax} messages; ${out.length} were selected`, { argument, limit: TASK_LIMITS.messagesMax });
  return out;
}

export interface SelectedMessage {
  readonly id: number;
  readonly chatKey: ChatKey;
  readonly deleted: boolean;
}

/**
 * Checks that every selected message exists, belongs to the chat and is not deleted. Unknown
 * ids are NOT_FOUND; a message of another chat or a deleted one is bad input. Every offending
 * id is named, so a client can fix the whole selection at once.
 */
export function checkSelection(chatKey: ChatKey, wanted: readonly number[], found: ReadonlyMap<number, SelectedMessage>): void {
  const unknown = wanted.filter((id) => !found.has(id));
  if (unknown.length > 0) {
    throw new DomainError('NOT_FOUND', `message${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} not found`, { what: 'message', ids: unknown.map(String) });
  }
  const foreign = wanted.filter((id) => found.get(id)!.chatKey !== chatKey);
  if (foreign.length > 0) {
    throw badInput(`message${foreign.length > 1 ? 's' : ''} ${foreign.join(', ')} belong${foreign.length > 1 ? '' : 's'} to another chat than ${chatKey}`, { argument: 'messageIds', ids: foreign.map(String) });
  }
  const deleted = wanted.filter((id) => found.get(id)!.deleted);
  if (deleted.length > 0) throw badInput(`message${deleted.length > 1 ? 's' : ''} ${deleted.join(', ')} ${deleted.length > 1 ? 'were' : 'was'} deleted`, { argument: 'messageIds', ids: deleted.map(String) });
}

export function checkSnapshotSize(messages: readonly Pick<TaskMessage, 'text'>[]): void {
  const total = messages.reduce((n, m) => n + m.text.length, 0);
  if (total > TASK_LIMITS.snapshotCharsMax) {
    throw badInput(`the selected messages hold ${total} characters; a task keeps at most ${TASK_LIMITS.snapshotCharsMax}`, { argument: 'messageIds', limit: TASK_LIMITS.snapshotCharsMax });
  }
}

// ---- titles ----------------------------------------------------------------------------------

/**
 * A title from the first message: its first non-empty line, cut at a word near the limit.
 * A message without text is named by its content ("Photo from Ivan: invoice.pdf").
 */
export function deriveTitle(first: Pick<TaskMessage, 'text' | 'contentKind' | 'mediaSummary' | 'senderName'>): string {
  const line = first.text
    .split('\n')
    .map((l) => normalizeTitle(l))
    .find((l) => l.length > 0);
  const base = line ?? `${mediaLabelOf(first.contentKind)} from ${normalizeTitle(first.senderName) || 'someone'}${first.mediaSummary ? `: ${normalizeTitle(first.mediaSummary)}` : ''}`;
  return shorten(base, TASK_LIMITS.derivedTitleMax);
}

function shorten(text: string, max: number): string {
  const chars = [...text];
  if (chars.length <= max) return text;
  const cut = chars.slice(0, max - 1).join('');
  const space = cut.lastIndexOf(' ');
  // A word boundary in the last third keeps words whole; a long token is cut where it must be.
  const kept = space >= (max * 2) / 3 ? cut.slice(0, space) : cut;
  return `${kept.replace(/[\s.,;:!?-]+$/u, '')}…`;
}

// ---- links -----------------------------------------------------------------------------------

/**
 * tgdesk's own link to a message, for chats where Telegram has none (basic groups, private
 * chats). Any client resolves it without parsing Telegram: the chat id and the message id are
 * the API's own, so `messages(chatId:, around:)` opens the chat at the message. The API also
 * resolves it (and Telegram's links) with `resolveLink`.
 */
export function tgdeskMessageLink(chatKey: ChatKey, messageId: number): string {
  return `tgdesk://chat/${encodeURIComponent(chatKey)}/message/${messageId}`;
}

export type ParsedLink =
  | { readonly kind: 'tgdesk'; readonly chatKey: ChatKey; readonly messageId: number }
  /** A private supergroup link `https://t.me/c/<id>/<message>`: the chat key and the message key tgdesk stores it under. */
  | { readonly kind: 'telegram'; readonly chatKey: ChatKey; readonly msgKey: string };

export function parseMessageLink(link: string): ParsedLink | null {
  const own = /^tgdesk:\/\/chat\/([^/?#]+)\/message\/([1-9]\d{0,14})$/.exec(link.trim());
  if (own) {
    let chatKey: string;
    try {
      chatKey = decodeURIComponent(own[1]!);
    } catch {
      return null;
    }
    return { kind: 'tgdesk', chatKey, messageId: Number(own[2]) };
  }
  const tg = /^https:\/\/t\.me\/c\/(\d{1,15})\/(?:\d+\/)?(\d{1,12})(?:[?#].*)?$/.exec(link.trim());
  if (tg) {
    // Links name the supergroup, not the chat (chat id = -10^12 - supergroup id), and carry
    // server message ids (TDLib's id >> 20).
    return { kind: 'telegram', chatKey: String(-1_000_000_000_000 - Number(tg[1])), msgKey: `m${Number(tg[2]) * SERVER_MESSAGE_ID_SHIFT}` };
  }
  return null;
}

// ---- the portal webhook ------------------------------------------------------------------------

export type PortalEventType = 'task.created' | 'task.updated' | 'task.closed' | 'task.reopened';

export const PORTAL_EVENT_OF_CHANGE: Record<TaskChangeKind, PortalEventType> = {
  created: 'task.created',
  updated: 'task.updated',
  closed: 'task.closed',
  reopened: 'task.reopened',
};

/** The key a delivery is known by: one per event, its number growing with the task's events. */
export function idempotencyKey(taskId: string, sequence: number): string {
  return `tgdesk-task-${taskId}-${sequence}`;
}

export interface PortalPerson {
  readonly id: string | null;
  readonly name: string;
  readonly source?: TaskSource;
}

/** Names the webhook body shows beside the ids. */
export interface PortalNames {
  readonly chatTitle: string;
  readonly personName: (userId: number) => string;
}

export interface PortalEventBody {
  readonly id: string;
  readonly type: PortalEventType;
  readonly sequence: number;
  readonly occurredAt: string;
  readonly task: PortalTaskRecord;
}

export interface PortalTaskRecord {
  readonly id: string;
  readonly version: number;
  readonly status: TaskStatus;
  readonly title: string;
  readonly description: string;
  readonly chat: { readonly id: string; readonly title: string };
  readonly link: string;
  readonly tgdeskLink: string;
  readonly assignee: PortalPerson | null;
  readonly createdBy: PortalPerson;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly closedBy: PortalPerson | null;
  readonly closedAt: string | null;
  readonly portalTaskId: string | null;
  readonly messages: readonly {
    readonly id: string;
    readonly sender: { readonly id: string; readonly name: string };
    readonly sentAt: string;
    readonly text: string;
    readonly contentKind: ContentKind;
    readonly mediaSummary: string | null;
  }[];
}

const iso = (ms: UnixMs): string => new Date(ms).toISOString();

function person(actor: TaskActor): PortalPerson {
  return { id: actor.userId === null ? null : String(actor.userId), name: actor.name, source: actor.source };
}

/**
 * The body POSTed to the portal for one task event. It carries the whole task as it is after
 * the change (absolute values), so a portal that missed nothing in between needs nothing else,
 * and one that sees `version` go backwards can ignore the older state.
 */
export function portalEventBody(type: PortalEventType, sequence: number, occurredAt: UnixMs, task: Task, names: PortalNames): PortalEventBody {
  return {
    id: idempotencyKey(task.id, sequence),
    type,
    sequence,
    occurredAt: iso(occurredAt),
    task: {
      id: task.id,
      version: task.version,
      status: task.status,
      title: task.title,
      description: task.description,
      chat: { id: task.chatKey, title: names.chatTitle },
      link: task.link,
      tgdeskLink: task.tgdeskLink,
      assignee: task.assigneeId === null ? null : { id: String(task.assigneeId), name: names.personName(task.assigneeId) },
      createdBy: person(task.createdBy),
      createdAt: iso(task.createdAt),
      updatedAt: iso(task.updatedAt),
      closedBy: task.closedBy ? person(task.closedBy) : null,
      closedAt: task.closedAt === null ? null : iso(task.closedAt),
      portalTaskId: task.portalTaskId,
      messages: task.messages.map((m) => ({
        id: String(m.messageId),
        sender: { id: m.senderKey, name: m.senderName },
        sentAt: iso(m.sentAt),
        text: m.text,
        contentKind: m.contentKind,
        mediaSummary: m.mediaSummary,
      })),
    },
  };
}

/** What the portal may answer to a delivery: its own id and page for the task, both optional. */
export function parsePortalAnswer(body: unknown): { portalTaskId: string | null; portalUrl: string | null } {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return { portalTaskId: null, portalUrl: null };
  const b = body as Record<string, unknown>;
  const id = typeof b['portalTaskId'] === 'string' || typeof b['portalTaskId'] === 'number' ? String(b['portalTaskId']).slice(0, 200) : null;
  const url = typeof b['url'] === 'string' && /^https?:\/\/\S{1,2000}$/.test(b['url']) ? b['url'] : null;
  return { portalTaskId: id, portalUrl: url };
}

// ---- commands from the portal ----------------------------------------------------------------

export type PortalCommandType = 'task.close' | 'task.reopen' | 'task.update';

export interface PortalCommand {
  /** The portal's id of this request: a replay of one already applied changes nothing. */
  readonly id: string;
  readonly type: PortalCommandType;
  /** tgdesk's task id, or the portal's own id from an earlier answer. */
  readonly taskId: string | null;
  readonly portalTaskId: string | null;
  readonly by: { readonly name: string; readonly userId: number | null } | null;
  /** task.update only: fields absent are left as they are; `assigneeId: null` unassigns. */
  readonly title?: string;
  readonly description?: string;
  readonly assigneeId?: number | null;
}

const COMMAND_TYPES: readonly PortalCommandType[] = ['task.close', 'task.reopen', 'task.update'];

/** Checks a command's JSON; every problem is bad input naming the field. */
export function parsePortalCommand(json: unknown): PortalCommand {
  if (!json || typeof json !== 'object' || Array.isArray(json)) throw badInput('the body must be a JSON object');
  const b = json as Record<string, unknown>;
  const str = (field: string, max: number): string | null => {
    const v = b[field];
    if (v === undefined || v === null) return null;
    if (typeof v !== 'string' && typeof v !== 'number') throw badInput(`${field} must be a string`, { field });
    const s = String(v);
    if (s.length === 0 || s.length > max) throw badInput(`${field} must be 1 to ${max} characters`, { field });
    return s;
  };
  const id = str('id', 200);
  if (id === null) throw badInput('id is required: the portal\'s id of this request', { field: 'id' });
  const type = b['type'];
  if (typeof type !== 'string' || !COMMAND_TYPES.includes(type as PortalCommandType)) throw badInput(`type must be one of ${COMMAND_TYPES.join(', ')}`, { field: 'type' });
  const taskId = str('taskId', 20);
  if (taskId !== null && !/^[1-9]\d{0,14}$/.test(taskId)) throw badInput('taskId is not a tgdesk task id', { field: 'taskId' });
  const portalTaskId = str('portalTaskId', 200);
  if (taskId === null && portalTaskId === null) throw badInput('name the task by taskId or portalTaskId', { field: 'taskId' });
  let by: PortalCommand['by'] = null;
  if (b['by'] !== undefined && b['by'] !== null) {
    const o = b['by'] as Record<string, unknown>;
    if (typeof o !== 'object' || Array.isArray(o) || typeof o['name'] !== 'string' || o['name'].trim().length === 0 || o['name'].length > 200) {
      throw badInput('by must be { name, userId? } with a name of 1 to 200 characters', { field: 'by' });
    }
    const userId = o['userId'] === undefined || o['userId'] === null ? null : Number(o['userId']);
    if (userId !== null && (!Number.isSafeInteger(userId) || userId <= 0)) throw badInput('by.userId must be a Telegram user id', { field: 'by.userId' });
    by = { name: o['name'].trim(), userId };
  }
  const command: { -readonly [K in keyof PortalCommand]: PortalCommand[K] } = { id, type: type as PortalCommandType, taskId, portalTaskId, by };
  if (type === 'task.update') {
    if (b['title'] !== undefined) {
      if (typeof b['title'] !== 'string') throw badInput('title must be a string', { field: 'title' });
      command.title = b['title'];
    }
    if (b['description'] !== undefined) {
      if (typeof b['description'] !== 'string') throw badInput('description must be a string', { field: 'description' });
      command.description = b['description'];
    }
    if (b['assigneeId'] !== undefined) {
      const a = b['assigneeId'] === null ? null : Number(b['assigneeId']);
      if (a !== null && (!Number.isSafeInteger(a) || a <= 0)) throw badInput('assigneeId must be a Telegram user id or null', { field: 'assigneeId' });
      command.assigneeId = a;
    }
    if (command.title === undefined && command.description === undefined && command.assigneeId === undefined) {
      throw badInput('task.update needs at least one of title, description, assigneeId');
    }
  }
  return command;
}

// ---- delivery schedule -------------------------------------------------------------------------

export interface RetryPolicy {
  /** The first retry waits about this long; each further one twice as long. */
  readonly baseMs: DurationMs;
  readonly maxMs: DurationMs;
  /** After this many failed attempts an event is a dead letter (counted afresh when retried by hand). */
  readonly maxAttempts: number;
}

/** Retries for about a day (the cap is reached after 9 attempts, then every 5 minutes) before giving up. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = { baseMs: 1_000, maxMs: 5 * 60_000, maxAttempts: 300 };

/** The longest `Retry-After` honoured: a portal asking for more is retried after an hour. */
export const RETRY_AFTER_CAP_MS: DurationMs = 3_600_000;

/**
 * The wait before attempt `attempt + 1`, after `attempt` failures: exponential, capped, with
 * "equal jitter" (half fixed, half random) so retries of many events after an outage spread
 * out instead of arriving together, while the wait still grows. `random` is in [0, 1).
 * A `Retry-After` from the portal is honoured when it asks for longer (up to an hour).
 */
export function retryDelay(attempt: number, policy: RetryPolicy, random: number, retryAfterMs: DurationMs | null = null): DurationMs {
  const exp = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, Math.min(attempt - 1, 30)));
  const jittered = exp / 2 + (exp / 2) * random;
  return Math.round(retryAfterMs !== null ? Math.max(jittered, Math.min(retryAfterMs, RETRY_AFTER_CAP_MS)) : jittered);
}

export type DeliveryOutcome =
  | { readonly kind: 'delivered'; readonly status: number; readonly answer: unknown }
  /** Worth trying again: the network failed, it timed out, or the portal had a passing problem (5xx, 408, 429). */
  | { readonly kind: 'retry'; readonly status: number | null; readonly error: string; readonly retryAfterMs: DurationMs | null }
  /** The portal refused this event for good (another 4xx): retrying the same body cannot help. */
  | { readonly kind: 'refused'; readonly status: number; readonly error: string };

/** How an HTTP status counts, for statuses other than 2xx. */
export function classifyStatus(status: number): 'retry' | 'refused' {
  if (status === 408 || status === 425 || status === 429 || status >= 500) return 'retry';
  return 'refused';
}
