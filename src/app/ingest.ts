/**
 * Applies one account's Telegram events to the store: one transaction per batch, every write an
 * idempotent upsert, so a replayed or duplicated update changes nothing.
 *
 * It also decides when history may be incomplete. The sync cursor of a chat moves only while the
 * chat is synced and messages arrive in order; a `null` last message (TDLib's gap signal), a
 * last message that never came as an update, or a chat seen for the first time marks the chat
 * unsynced and asks for a reconcile pass (src/app/reconcile.ts).
 */
import { chatKeyOf, hasSharedMessageIds, isServerMessageId, type ChatKey, type ChatType } from '../domain/ids.ts';
import type { ChatMemberStatus, ChatPosition, TgChat, TgEvent, TgMessage, TgUser } from '../domain/telegram.ts';
import type { AccountChatState } from '../store/chats.repository.ts';
import { listAccountChatsByKeys, putAccountChats, setChatTitle, upsertChatMembers, upsertChats, type AccountChatRecord } from '../store/chats.repository.ts';
import { markDeleted, refKey, resolveMessageIds, setContent, setEditDate, upsertMessages, type KnownMessages, type MessageRef, type MessageToStore, type StoredRef } from '../store/messages.repository.ts';
import type { Transaction } from 'kysely';
import type { Database } from '../store/schema.ts';
import { putCursors, type SyncCursor } from '../store/sync-cursors.repository.ts';
import { upsertUsers } from '../store/users.repository.ts';

export interface KnownChat {
  readonly chatKey: ChatKey;
  readonly type: ChatType;
}

/** What the app remembers of one account between batches; the store is the truth, this is its index. */
export interface AccountSyncState {
  readonly accountId: string;
  userId: number | null;
  readonly chats: Map<number, KnownChat>;
  readonly cursors: Map<number, SyncCursor>;
  /** Bumped on every gap signal, so a reconcile pass that overlapped a new gap knows it proved nothing. */
  readonly gapEpochs: Map<number, number>;
}

export interface StoredMessageInfo {
  readonly chatKey: ChatKey;
  readonly ref: StoredRef;
  readonly message: TgMessage;
}

/** What one batch changed, for the team layer to follow in the same transaction. */
export interface IngestResult {
  readonly accountId: string;
  /** Chats whose stored history may be incomplete and need a reconcile pass. */
  readonly needsReconcile: ReadonlySet<number>;
  readonly chatsTouched: ReadonlySet<ChatKey>;
  readonly stored: readonly StoredMessageInfo[];
  /** Stored ids of messages deleted in this batch, by chat. */
  readonly deleted: ReadonlyMap<ChatKey, readonly number[]>;
  /** Chats whose content edits were applied, by stored id. */
  readonly edited: ReadonlyMap<ChatKey, readonly number[]>;
  readonly newChats: ReadonlySet<ChatKey>;
  readonly titleChanged: ReadonlySet<ChatKey>;
  readonly membersChanged: ReadonlySet<ChatKey>;
  readonly users: readonly TgUser[];
  readonly events: readonly TgEvent[];
  /** The account's chat rows this batch wrote, whole. */
  readonly accountChats: readonly AccountChatRecord[];
}

interface Plan {
  users: TgUser[];
  chats: { key: ChatKey; tdChatId: number; type: ChatType; typeId: number; title: string }[];
  fullStates: Map<ChatKey, AccountChatState & { chatKey: ChatKey; tdChatId: number }>;
  patches: Map<ChatKey, Partial<AccountChatState>>;
  titles: Map<ChatKey, string>;
  messages: MessageToStore[];
  edits: { ref: MessageRef; editDate: number }[];
  contents: { ref: MessageRef; content: Pick<TgMessage, 'text' | 'entities' | 'contentKind' | 'mediaSummary'> }[];
  deletes: MessageRef[];
  members: { chatKey: ChatKey; userId: number; status: ChatMemberStatus }[];
  /** Position updates per chat, applied on top of the stored list (one entry per chat list). */
  positions: Map<ChatKey, ChatPosition[]>;
  cursorChanges: Map<number, SyncCursor>;
  needsReconcile: Set<number>;
  chatsTouched: Set<ChatKey>;
}

function chatStateOf(chat: TgChat): AccountChatState {
  return {
    unreadCount: chat.unreadCount,
    lastReadInboxId: chat.lastReadInboxId,
    lastReadOutboxId: chat.lastReadOutboxId,
    unreadMentionCount: chat.unreadMentionCount,
    isMarkedAsUnread: chat.isMarkedAsUnread,
    notificationSettings: chat.notificationSettings,
    positions: chat.positions,
    lastTdMessageId: chat.lastMessage?.tdMessageId ?? 0,
  };
}

/**
 * Folds a batch into one plan. Pure apart from reading and updating `state`'s in-memory index;
 * the caller writes the plan in one transaction and only then keeps the new cursors.
 */
export function planBatch(state: AccountSyncState, events: readonly TgEvent[]): Plan {
  // Note: gap epochs are bumped here, before the commit; a failed batch only causes an extra reconcile.
  const plan: Plan = {
    users: [],
    chats: [],
    fullStates: new Map(),
    patches: new Map(),
    titles: new Map(),
    messages: [],
    edits: [],
    contents: [],
    deletes: [],
    members: [],
    positions: new Map(),
    cursorChanges: new Map(),
    needsReconcile: new Set(),
    chatsTouched: new Set(),
  };
  const seenInBatch = new Map<number, Set<number>>();
  const cursorOf = (tdChatId: number): SyncCursor =>
    plan.cursorChanges.get(tdChatId) ?? state.cursors.get(tdChatId) ?? { tdChatId, completeTo: 0, isSynced: false };

  const patch = (chatKey: ChatKey, p: Partial<AccountChatState>): void => {
    plan.chatsTouched.add(chatKey);
    const full = plan.fullStates.get(chatKey);
    if (full) plan.fullStates.set(chatKey, { ...full, ...p });
    else plan.patches.set(chatKey, { ...plan.patches.get(chatKey), ...p });
  };

  const markGap = (tdChatId: number): void => {
    const c = cursorOf(tdChatId);
    if (c.isSynced) plan.cursorChanges.set(tdChatId, { ...c, isSynced: false });
    state.gapEpochs.set(tdChatId, (state.gapEpochs.get(tdChatId) ?? 0) + 1);
    plan.needsReconcile.add(tdChatId);
  };

  /** A message TDLib announced as the chat's last one: if it never arrived as an update, something was skipped. */
  const checkLastMessage = (tdChatId: number, last: TgMessage | null): void => {
    if (!last || !isServerMessageId(last.tdMessageId)) return;
    const c = cursorOf(tdChatId);
    if (last.tdMessageId <= c.completeTo) return;
    if (c.isSynced && seenInBatch.get(tdChatId)?.has(last.tdMessageId)) return;
    if (c.isSynced && !seenInBatch.get(tdChatId)?.has(last.tdMessageId)) {
      markGap(tdChatId);
      return;
    }
    plan.needsReconcile.add(tdChatId);
  };

  const storeMessage = (m: TgMessage, live: boolean): void => {
    const known = state.chats.get(m.tdChatId);
    // Pending and local messages carry temporary ids; the real one follows in messageSendSucceeded.
    if (!known || !isServerMessageId(m.tdMessageId)) return;
    const c = cursorOf(m.tdChatId);
    // Where ids differ per account, a message's identity counts the same-second messages stored
    // before it (src/domain/ids.ts), so messages must be stored oldest first. Out of order (a
    // chat's last message, or live traffic while history is still being paged) they are left to
    // the reconcile pass, which stores its pages in ascending order.
    if (!hasSharedMessageIds(known.type) && (!live || !c.isSynced)) {
      if (!c.isSynced || m.tdMessageId > c.completeTo) plan.needsReconcile.add(m.tdChatId);
      if (live && !c.isSynced) state.gapEpochs.set(m.tdChatId, (state.gapEpochs.get(m.tdChatId) ?? 0) + 1);
      return;
    }
    plan.messages.push({ chatKey: known.chatKey, chatType: known.type, message: m });
    plan.chatsTouched.add(known.chatKey);
    if (!live) return;
    let seen = seenInBatch.get(m.tdChatId);
    if (!seen) seenInBatch.set(m.tdChatId, (seen = new Set()));
    seen.add(m.tdMessageId);
    if (c.isSynced && m.tdMessageId > c.completeTo) plan.cursorChanges.set(m.tdChatId, { ...c, completeTo: m.tdMessageId });
    if (!c.isSynced) plan.needsReconcile.add(m.tdChatId);
  };

  const refOf = (tdChatId: number, tdMessageId: number): MessageRef | null => {
    const known = state.chats.get(tdChatId);
    return known ? { chatKey: known.chatKey, chatType: known.type, tdMessageId } : null;
  };

  for (const e of events) {
    switch (e.kind) {
      case 'user':
        plan.users.push(e.user);
        break;
      case 'chat': {
        const c = e.chat;
        if (state.userId === null && c.type === 'private') break; // keyed by the account's user: resolved by the caller first
        const chatKey = chatKeyOf(c.type, c.tdChatId, state.userId ?? 0);
        state.chats.set(c.tdChatId, { chatKey, type: c.type });
        plan.chats.push({ key: chatKey, tdChatId: c.tdChatId, type: c.type, typeId: c.typeId, title: c.title });
        plan.fullStates.set(chatKey, { ...chatStateOf(c), chatKey, tdChatId: c.tdChatId, ...plan.patches.get(chatKey) });
        plan.patches.delete(chatKey);
        plan.chatsTouched.add(chatKey);
        if (!state.cursors.has(c.tdChatId) && !plan.cursorChanges.has(c.tdChatId)) {
          plan.cursorChanges.set(c.tdChatId, { tdChatId: c.tdChatId, completeTo: 0, isSynced: false });
        }
        if (c.lastMessage) storeMessage(c.lastMessage, false);
        checkLastMessage(c.tdChatId, c.lastMessage);
        break;
      }
      case 'chatTitle': {
        const known = state.chats.get(e.tdChatId);
        if (known) {
          plan.titles.set(known.chatKey, e.title);
          plan.chatsTouched.add(known.chatKey);
        }
        break;
      }
      case 'chatPosition': {
        const known = state.chats.get(e.tdChatId);
        if (!known) break;
        addPositions(plan, known.chatKey, [e.position]);
        break;
      }
      case 'chatLastMessage': {
        const known = state.chats.get(e.tdChatId);
        if (!known) break;
        if (e.lastMessage === null) {
          markGap(e.tdChatId);
        } else {
          storeMessage(e.lastMessage, false);
          patch(known.chatKey, { lastTdMessageId: e.lastMessage.tdMessageId });
          checkLastMessage(e.tdChatId, e.lastMessage);
        }
        if (e.positions.length > 0) addPositions(plan, known.chatKey, e.positions);
        break;
      }
      case 'message':
        storeMessage(e.message, true);
        break;
      case 'messageSendSucceeded':
        storeMessage(e.message, true);
        break;
      case 'messageEdited': {
        const ref = refOf(e.tdChatId, e.tdMessageId);
        if (ref) plan.edits.push({ ref, editDate: e.editDate });
        break;
      }
      case 'messageContent': {
        const ref = refOf(e.tdChatId, e.tdMessageId);
        if (ref) plan.contents.push({ ref, content: { text: e.text, entities: e.entities, contentKind: e.contentKind, mediaSummary: e.mediaSummary } });
        break;
      }
      case 'messagesDeleted': {
        // TDLib also "deletes" messages it merely evicted from its cache; those still exist.
        if (!e.isPermanent) break;
        for (const id of e.tdMessageIds) {
          const ref = refOf(e.tdChatId, id);
          if (ref) plan.deletes.push(ref);
        }
        break;
      }
      case 'readInbox': {
        const known = state.chats.get(e.tdChatId);
        if (known) patch(known.chatKey, { lastReadInboxId: e.lastReadInboxId, unreadCount: e.unreadCount });
        break;
      }
      case 'readOutbox': {
        const known = state.chats.get(e.tdChatId);
        if (known) patch(known.chatKey, { lastReadOutboxId: e.lastReadOutboxId });
        break;
      }
      case 'unreadMentionCount':
      case 'mentionRead': {
        const known = state.chats.get(e.tdChatId);
        if (known) patch(known.chatKey, { unreadMentionCount: e.unreadMentionCount });
        break;
      }
      case 'markedAsUnread': {
        const known = state.chats.get(e.tdChatId);
        if (known) patch(known.chatKey, { isMarkedAsUnread: e.isMarkedAsUnread });
        break;
      }
      case 'notificationSettings': {
        const known = state.chats.get(e.tdChatId);
        if (known) patch(known.chatKey, { notificationSettings: e.settings });
        break;
      }
      case 'chatMember': {
        const known = state.chats.get(e.tdChatId);
        if (known) {
          plan.members.push({ chatKey: known.chatKey, userId: e.userId, status: e.status });
          plan.chatsTouched.add(known.chatKey);
        }
        break;
      }
      case 'auth':
      case 'connection':
      case 'scopeNotificationSettings':
        // Handled by the account runner (auth, connection) and the dialog view (scope mutes).
        break;
      default: {
        const never: never = e;
        void never;
      }
    }
  }
  return plan;
}

function addPositions(plan: Plan, chatKey: ChatKey, positions: readonly ChatPosition[]): void {
  const list = plan.positions.get(chatKey);
  if (list) list.push(...positions);
  else plan.positions.set(chatKey, [...positions]);
  plan.chatsTouched.add(chatKey);
}

/** Applies position updates on top of a list: one entry per chat list, order "0" removes it. */
export function mergePositions(base: readonly ChatPosition[], updates: readonly ChatPosition[]): ChatPosition[] {
  const byList = new Map(base.map((p) => [p.list, p]));
  for (const u of updates) {
    if (u.order === '0') byList.delete(u.list);
    else byList.set(u.list, u);
  }
  return [...byList.values()];
}

/**
 * Writes a plan inside the caller's transaction. Returns what changed; call `keepCursors` only
 * after the commit, so an in-memory cursor never runs ahead of the stored one.
 */
export async function applyPlan(trx: Transaction<Database>, state: AccountSyncState, plan: Plan, events: readonly TgEvent[], now: number, known?: KnownMessages): Promise<IngestResult> {
  const deleted = new Map<ChatKey, number[]>();
  const edited = new Map<ChatKey, number[]>();
  let refs: StoredRef[] = [];
  {
    await upsertUsers(trx, plan.users, now);
    await upsertChats(trx, plan.chats, now);
    // Partial changes (read counts, mutes, positions) are merged into the stored rows here and
    // written with the full ones in one statement, rather than one UPDATE per chat.
    const partial = [...new Set([...plan.patches.keys(), ...plan.positions.keys()])].filter((k) => !plan.fullStates.has(k));
    for (const row of partial.length ? await listAccountChatsByKeys(trx, state.accountId, partial) : []) {
      const { accountId: _accountId, ...stored } = row;
      plan.fullStates.set(row.chatKey, { ...stored, ...plan.patches.get(row.chatKey) });
    }
    for (const [chatKey, updates] of plan.positions) {
      const full = plan.fullStates.get(chatKey);
      if (full) plan.fullStates.set(chatKey, { ...full, positions: mergePositions(full.positions, updates) });
    }
    await putAccountChats(trx, state.accountId, [...plan.fullStates.values()], now);
    for (const [chatKey, title] of plan.titles) await setChatTitle(trx, chatKey, title, now);
    refs = await upsertMessages(trx, state.accountId, plan.messages, now, known);
    const changedRefs = [...plan.edits.map((e) => e.ref), ...plan.contents.map((c) => c.ref), ...plan.deletes];
    if (changedRefs.length > 0) {
      const ids = await resolveMessageIds(trx, state.accountId, changedRefs);
      for (const e of plan.edits) {
        const id = ids.get(refKey(e.ref.chatKey, e.ref.tdMessageId));
        if (id !== undefined) await setEditDate(trx, id, e.editDate);
      }
      for (const c of plan.contents) {
        const id = ids.get(refKey(c.ref.chatKey, c.ref.tdMessageId));
        if (id === undefined) continue;
        await setContent(trx, id, c.content);
        pushTo(edited, c.ref.chatKey, id);
      }
      for (const d of plan.deletes) {
        const id = ids.get(refKey(d.chatKey, d.tdMessageId));
        if (id !== undefined) pushTo(deleted, d.chatKey, id);
      }
      await markDeleted(trx, [...deleted.values()].flat(), now);
    }
    await upsertChatMembers(trx, plan.members, now);
    await putCursors(trx, state.accountId, [...plan.cursorChanges.values()], now);
  }
  return {
    accountId: state.accountId,
    needsReconcile: plan.needsReconcile,
    chatsTouched: plan.chatsTouched,
    stored: plan.messages.map((m, i) => ({ chatKey: m.chatKey, ref: refs[i]!, message: m.message })),
    deleted,
    edited,
    newChats: new Set(plan.chats.map((c) => c.key)),
    titleChanged: new Set(plan.titles.keys()),
    membersChanged: new Set(plan.members.map((m) => m.chatKey)),
    users: plan.users,
    events,
    accountChats: [...plan.fullStates.values()].map((r) => ({ ...r, accountId: state.accountId })),
  };
}

/** Keeps the plan's cursors in memory; call after the transaction that stored them committed. */
export function keepCursors(state: AccountSyncState, plan: Plan): void {
  for (const [tdChatId, cursor] of plan.cursorChanges) state.cursors.set(tdChatId, cursor);
}

function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/**
 * Stores messages fetched by a reconcile pass: messages only, cursors untouched. Where ids
 * differ per account the caller must pass them oldest first (see planBatch's storeMessage).
 */
export async function storeHistoryPage(trx: Transaction<Database>, state: AccountSyncState, messages: readonly TgMessage[], now: number, known?: KnownMessages): Promise<IngestResult> {
  const items: MessageToStore[] = [];
  for (const m of messages) {
    const known = state.chats.get(m.tdChatId);
    if (known && isServerMessageId(m.tdMessageId)) items.push({ chatKey: known.chatKey, chatType: known.type, message: m });
  }
  const refs = await upsertMessages(trx, state.accountId, items, now, known);
  return {
    accountId: state.accountId,
    needsReconcile: new Set(),
    chatsTouched: new Set(items.map((i) => i.chatKey)),
    stored: items.map((m, i) => ({ chatKey: m.chatKey, ref: refs[i]!, message: m.message })),
    deleted: new Map(),
    edited: new Map(),
    newChats: new Set(),
    titleChanged: new Set(),
    membersChanged: new Set(),
    users: [],
    events: [],
    accountChats: [],
  };
}
