/**
 * Dialog rows: one compact row per chat, per account, holding everything a dialog list shows
 * (DESIGN.md §1 rows 2, 3, 9–13). Built from the store's per-account chat state and the
 * team-wide facts (kind, waiting, alarm, acknowledgement) in one pass.
 *
 * Ordering is in dialog-order.ts and counts in counts.ts; this module builds, filters and
 * assembles the view. Times are unix milliseconds.
 */
import type { ChatKind } from './classification.ts';
import type { ChatKey, ChatType, SenderRef } from './ids.ts';
import type { ChatPosition, ContentKind, NotificationScope } from './telegram.ts';
import type { UnixMs } from './time.ts';

export interface Alarm {
  /** Team member's Telegram user id. */
  readonly raisedBy: number;
  readonly raisedAt: UnixMs;
  readonly reason: string;
}

export interface Acknowledged {
  readonly by: number;
  readonly at: UnixMs;
}

export interface LastMessageInput {
  readonly messageId: string;
  readonly sender: SenderRef;
  readonly senderName: string;
  readonly isTeam: boolean;
  readonly at: UnixMs;
  readonly text: string;
  readonly contentKind: ContentKind;
  readonly mediaSummary: string | null;
}

/** One account's chat as the store holds it, joined with the chat's team-wide facts. */
export interface DialogInput {
  readonly chatKey: ChatKey;
  readonly tdChatId: number;
  readonly chatType: ChatType;
  readonly kind: ChatKind;
  readonly title: string;
  readonly clientName: string | null;
  readonly unreadCount: number;
  readonly unreadMentionCount: number;
  readonly isMarkedAsUnread: boolean;
  readonly notification: { readonly useDefaultMuteFor: boolean; readonly muteFor: number };
  /** The chat's position in the main chat list (see `mainListPosition`), null if not in it. */
  readonly position: { readonly order: string; readonly isPinned: boolean } | null;
  /** When tgdesk first saw the chat: the "creation order" of the STABLE order. */
  readonly createdAt: UnixMs | null;
  /** A team-chosen position for the STABLE order's manual mode; null sorts after all set ones. */
  readonly manualPosition: number | null;
  readonly lastMessage: LastMessageInput | null;
  /** From the overdue clock; `deadline` may be +Infinity (never overdue). */
  readonly waiting: { readonly since: UnixMs; readonly deadline: UnixMs } | null;
  readonly alarm: Alarm | null;
  readonly acknowledged: Acknowledged | null;
  readonly openTaskCount: number;
}

export interface LastMessageView {
  readonly messageId: string;
  readonly sender: SenderRef;
  readonly senderName: string;
  readonly isTeam: boolean;
  readonly at: UnixMs;
  /** One line of at most SHORT_TEXT_LENGTH characters; a media label when there is no text. */
  readonly text: string;
}

/**
 * A dialog row as every team member sees it through one account. It holds only absolute
 * values, so an event can carry it whole (events.ts).
 */
export interface DialogSnapshot {
  readonly chatKey: ChatKey;
  readonly tdChatId: number;
  readonly title: string;
  readonly kind: ChatKind;
  readonly clientName: string | null;
  readonly unreadCount: number;
  readonly unreadMentionCount: number;
  readonly hasUnreadMention: boolean;
  readonly isMarkedAsUnread: boolean;
  /** unreadCount > 0 or marked as unread: what "unread chat" means in every count. */
  readonly isUnread: boolean;
  readonly isMuted: boolean;
  readonly isPinned: boolean;
  /** Telegram's int64 order in the main list, a decimal string; "0" when not in the list. */
  readonly listOrder: string;
  readonly createdAt: UnixMs | null;
  readonly manualPosition: number | null;
  readonly lastMessage: LastMessageView | null;
  readonly waitingSince: UnixMs | null;
  /** Null when not waiting, or when the wait can never become overdue. */
  readonly deadline: UnixMs | null;
  readonly isOverdue: boolean;
  readonly overdueSince: UnixMs | null;
  readonly alarm: Alarm | null;
  readonly acknowledged: Acknowledged | null;
  readonly openTaskCount: number;
}

/** A snapshot as seen by the member asking: adds their own star. */
export interface DialogRow extends DialogSnapshot {
  readonly isStarred: boolean;
}

/** The account's default mute_for per notification scope, in seconds (0 is unmuted). */
export type ScopeMuteFor = Readonly<Record<NotificationScope, number>>;

export interface DialogRowContext {
  readonly now: UnixMs;
  readonly scopeMuteFor: ScopeMuteFor;
  /** Chats the asking member starred. */
  readonly starred: ReadonlySet<ChatKey>;
}

export function notificationScopeOf(type: ChatType): NotificationScope {
  if (type === 'channel') return 'channel';
  if (type === 'basic' || type === 'supergroup') return 'group';
  return 'private';
}

/**
 * Effective mute, as TDLib defines it: a chat that uses the default follows its scope's
 * mute_for, otherwise its own.
 */
export function isEffectivelyMuted(
  notification: { readonly useDefaultMuteFor: boolean; readonly muteFor: number },
  type: ChatType,
  scopeMuteFor: ScopeMuteFor,
): boolean {
  return notification.useDefaultMuteFor ? scopeMuteFor[notificationScopeOf(type)] > 0 : notification.muteFor > 0;
}

/** The position in the main chat list, where pins and Telegram's activity order live. */
export function mainListPosition(positions: readonly ChatPosition[]): { readonly order: string; readonly isPinned: boolean } | null {
  for (const p of positions) if (p.list === 'main' && p.order !== '0') return { order: p.order, isPinned: p.isPinned };
  return null;
}

export const SHORT_TEXT_LENGTH = 100;

const MEDIA_LABELS: Readonly<Record<ContentKind, string>> = {
  text: '',
  photo: 'Photo',
  video: 'Video',
  document: 'File',
  audio: 'Audio',
  voice: 'Voice message',
  videoNote: 'Video message',
  sticker: 'Sticker',
  animation: 'GIF',
  location: 'Location',
  contact: 'Contact',
  poll: 'Poll',
  service: 'Service message',
  other: 'Message',
};

/** What a message of this kind is called where it has no text ("Photo", "Voice message"…); "Message" for text. */
export function mediaLabelOf(kind: ContentKind): string {
  return MEDIA_LABELS[kind] || 'Message';
}

/**
 * One line of at most `max` UTF-16 units: whitespace runs (newlines too) become one space, and
 * a cut never splits a surrogate pair. Falls back to the media summary, then a label by kind.
 */
export function shortText(text: string, contentKind: ContentKind, mediaSummary: string | null, max = SHORT_TEXT_LENGTH): string {
  // Only the head can show; folding a 4,096-character message whole would be waste.
  const headLength = max * 4;
  const cutShort = text.length > headLength;
  let line = (cutShort ? text.slice(0, headLength) : text).replace(FOLD, ' ').trim();
  if (line === '') line = (mediaSummary ?? '').replace(FOLD, ' ').trim() || MEDIA_LABELS[contentKind] || 'Message';
  if (line.length <= max && !cutShort) return line;
  let cut = Math.min(line.length, max - 1);
  const code = line.charCodeAt(cut - 1);
  if (code >= 0xd800 && code <= 0xdbff) cut--;
  return line.slice(0, cut).trimEnd() + '…';
}

// Matches only what needs changing (runs of whitespace, or a newline/tab alone), not every
// single space: per-match cost is what made a plain /\s+/g the view's most expensive step.
const FOLD = /\s{2,}|[^\S ]/g;

export function buildDialogRow(input: DialogInput, ctx: DialogRowContext): DialogRow {
  const w = input.waiting;
  const overdue = w !== null && ctx.now >= w.deadline;
  const m = input.lastMessage;
  return {
    chatKey: input.chatKey,
    tdChatId: input.tdChatId,
    title: input.title,
    kind: input.kind,
    clientName: input.kind === 'support' ? input.clientName : null,
    unreadCount: input.unreadCount,
    unreadMentionCount: input.unreadMentionCount,
    hasUnreadMention: input.unreadMentionCount > 0,
    isMarkedAsUnread: input.isMarkedAsUnread,
    isUnread: input.unreadCount > 0 || input.isMarkedAsUnread,
    isMuted: isEffectivelyMuted(input.notification, input.chatType, ctx.scopeMuteFor),
    isPinned: input.position?.isPinned ?? false,
    listOrder: input.position?.order ?? '0',
    createdAt: input.createdAt,
    manualPosition: input.manualPosition,
    lastMessage: m === null ? null : lastMessageView(m),
    waitingSince: w === null ? null : w.since,
    // JSON has no Infinity: a wait that can never become overdue has no deadline.
    deadline: w === null || !Number.isFinite(w.deadline) ? null : w.deadline,
    isOverdue: overdue,
    overdueSince: overdue ? w.deadline : null,
    alarm: input.alarm,
    acknowledged: input.acknowledged,
    openTaskCount: input.openTaskCount,
    isStarred: ctx.starred.has(input.chatKey),
  };
}

// Every account's row of a chat shows the same last message, and rows are built again and again
// while it stays the last one: its view is made once per input (the inputs are never changed).
const lastMessageViews = new WeakMap<LastMessageInput, LastMessageView>();

function lastMessageView(m: LastMessageInput): LastMessageView {
  let view = lastMessageViews.get(m);
  if (view === undefined) {
    view = { messageId: m.messageId, sender: m.sender, senderName: m.senderName, isTeam: m.isTeam, at: m.at, text: shortText(m.text, m.contentKind, m.mediaSummary) };
    lastMessageViews.set(m, view);
  }
  return view;
}

/** A snapshot as the given member sees it. */
export function withStar(snapshot: DialogSnapshot, starred: ReadonlySet<ChatKey>): DialogRow {
  return { ...snapshot, isStarred: starred.has(snapshot.chatKey) };
}

/** The member-independent part of a row, as events carry it. */
export function snapshotOf(row: DialogRow): DialogSnapshot {
  const { isStarred: _isStarred, ...snapshot } = row;
  return snapshot;
}

/**
 * What a dialog list can be narrowed to. Every field is optional; null or absent means "any",
 * so a GraphQL input object maps onto it as is. `kind` accepts one kind or a list of kinds.
 */
export interface DialogFilter {
  readonly kind?: ChatKind | readonly ChatKind[] | null;
  readonly unread?: boolean | null;
  readonly mentioned?: boolean | null;
  readonly overdue?: boolean | null;
  readonly alarm?: boolean | null;
  readonly starred?: boolean | null;
  readonly muted?: boolean | null;
}

export type DialogPredicate = (row: DialogRow) => boolean;

/**
 * Compiles a filter once into one predicate that checks only the fields set: the view runs it
 * on thousands of rows.
 */
export function compileDialogFilter(filter: DialogFilter | null | undefined): DialogPredicate {
  if (filter === null || filter === undefined) return () => true;
  const checks: DialogPredicate[] = [];
  const kinds = filter.kind;
  if (kinds !== null && kinds !== undefined) {
    if (typeof kinds === 'string') checks.push((r) => r.kind === kinds);
    else {
      const set = new Set<ChatKind>(kinds);
      checks.push((r) => set.has(r.kind));
    }
  }
  const flag = (value: boolean | null | undefined, get: (r: DialogRow) => boolean): void => {
    if (value === true) checks.push(get);
    else if (value === false) checks.push((r) => !get(r));
  };
  flag(filter.unread, (r) => r.isUnread);
  flag(filter.mentioned, (r) => r.hasUnreadMention);
  flag(filter.overdue, (r) => r.isOverdue);
  flag(filter.alarm, (r) => r.alarm !== null);
  flag(filter.starred, (r) => r.isStarred);
  flag(filter.muted, (r) => r.isMuted);
  if (checks.length === 0) return () => true;
  if (checks.length === 1) return checks[0]!;
  return (r) => {
    for (const check of checks) if (!check(r)) return false;
    return true;
  };
}
