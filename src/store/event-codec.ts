/**
 * How an event's payload is stored in `events.payload`. Most events are stored as their JSON.
 * The two that ingest writes most, a dialog row per account and chat that changed
 * (`dialogChanged`) and a message view per new message (`messageAdded`), are stored as arrays of
 * their fields in a fixed order: their field names are about half of their JSON, and the event
 * log is most of what an ingest transaction writes. `type` and `at` are columns of their own and
 * are left out of those arrays.
 *
 * Decoding gives back exactly the object that was encoded. Rows written before this format are
 * JSON objects and decode as they are.
 */
import type { DialogSnapshot, LastMessageView } from '../domain/dialogs.ts';
import type { MessageView } from '../domain/events.ts';

type FieldList<T> = readonly (keyof T)[];

/** Every field of `T`, in a fixed order: `tsc` fails when `T` gains a field the list lacks. */
function fields<T>() {
  return <const L extends readonly (keyof T)[]>(list: L & ([Exclude<keyof T, L[number]>] extends [never] ? unknown : { missing: Exclude<keyof T, L[number]> })): FieldList<T> => list;
}

const DIALOG_FIELDS = fields<DialogSnapshot>()([
  'chatKey',
  'tdChatId',
  'title',
  'kind',
  'clientName',
  'unreadCount',
  'unreadMentionCount',
  'hasUnreadMention',
  'isMarkedAsUnread',
  'isUnread',
  'isMuted',
  'isPinned',
  'listOrder',
  'createdAt',
  'manualPosition',
  'lastMessage',
  'waitingSince',
  'deadline',
  'isOverdue',
  'overdueSince',
  'alarm',
  'acknowledged',
  'openTaskCount',
]);

const LAST_MESSAGE_FIELDS = fields<LastMessageView>()(['messageId', 'sender', 'senderName', 'isTeam', 'at', 'text']);

const MESSAGE_FIELDS = fields<MessageView>()(['messageId', 'sender', 'senderName', 'isTeam', 'at', 'editedAt', 'replyToMessageId', 'text', 'contentKind', 'mediaSummary', 'isService']);

/** Tags of the packed forms; a new layout gets a new tag, and old rows keep decoding. */
const DIALOG_CHANGED_V1 = 'd1';
const MESSAGE_ADDED_V1 = 'm1';

function pack<T>(value: T, list: FieldList<T>): unknown[] {
  const out = new Array<unknown>(list.length);
  for (let i = 0; i < list.length; i++) out[i] = value[list[i]!];
  return out;
}

function unpack<T>(values: readonly unknown[], list: FieldList<T>): T {
  const out: Record<string, unknown> = {};
  for (let i = 0; i < list.length; i++) out[list[i] as string] = values[i];
  return out as T;
}

interface StorableEvent {
  readonly type: string;
  readonly at: number;
}

/** The text stored for an event (`type` and `at` go to their own columns as well). */
export function encodeEventPayload(event: StorableEvent): string {
  if (event.type === 'dialogChanged') {
    const e = event as StorableEvent & { accountId: string; dialog: DialogSnapshot };
    const dialog = pack(e.dialog, DIALOG_FIELDS);
    const last = e.dialog.lastMessage;
    dialog[DIALOG_FIELDS.indexOf('lastMessage')] = last === null ? null : pack(last, LAST_MESSAGE_FIELDS);
    return JSON.stringify([DIALOG_CHANGED_V1, e.accountId, dialog]);
  }
  if (event.type === 'messageAdded') {
    const e = event as StorableEvent & { chatKey: string; message: MessageView };
    return JSON.stringify([MESSAGE_ADDED_V1, e.chatKey, pack(e.message, MESSAGE_FIELDS)]);
  }
  return JSON.stringify(event);
}

const LAST_MESSAGE_AT = DIALOG_FIELDS.indexOf('lastMessage');

/** The event a stored row holds, whole, from its payload text and its `type` and `at` columns. */
export function decodeEventPayload(text: string, type: string, at: number): unknown {
  const value = JSON.parse(text) as unknown;
  if (!Array.isArray(value)) return value;
  const [tag, scope, fieldValues] = value as [string, string, unknown[]];
  if (tag === DIALOG_CHANGED_V1) {
    const last = fieldValues[LAST_MESSAGE_AT] as unknown[] | null;
    const values = [...fieldValues];
    values[LAST_MESSAGE_AT] = last === null ? null : unpack(last, LAST_MESSAGE_FIELDS);
    return { type, at, accountId: scope, dialog: unpack(values, DIALOG_FIELDS) };
  }
  if (tag === MESSAGE_ADDED_V1) return { type, at, chatKey: scope, message: unpack(fieldValues, MESSAGE_FIELDS) };
  throw new Error(`event payload in an unknown packed form: ${String(tag)}`);
}
