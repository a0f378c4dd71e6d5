/**
 * Applies accounts' Telegram events to the store: each account's batch is planned on its own,
 * then the batches that queued meanwhile are written together in one transaction
 * (src/app/ingest-batcher.ts). Every write is an idempotent upsert, so a replayed or duplicated
 * update changes nothing.
 *
 * It also decides when history may be incomplete. The sync cursor of a chat moves only while the
 * chat is synced and messages arrive in order; a `null` last message (TDLib's gap signal), a
 * last message that never came as an update, or a chat seen for the first time marks the chat
 * unsynced and asks for a reconcile pass (src/app/reconcile.ts).
 */
import { chatKeyOf, hasSharedMessageIds, isServerMessageId, type ChatKey, type ChatType } from '../domain/ids.ts';
import type { ChatMemberStatus, ChatPosition, TgChat, TgEvent, TgMessage, TgUser } from '../domain/telegram.ts';
import type { AccountChatState } from '../store/chats.repository.ts';
import { listAccountChatsByKeys, putAccountChatRows, setChatTitle, upsertChatMembers, upsertChats, type AccountChatRecord } from '../store/chats.repository.ts';
import { markDeleted, refKey, resolveMessageIds, setContents, setEditDates, upsertAccountMessages, type AccountMessageToStore, type KnownMessages, type MessageRef, type StoredRef } from '../store/messages.repository.ts';
import type { Transaction } from 'kysely';
import type { Database } from '../store/schema.ts';
import { putCursorsOfAccounts, type SyncCursor } from '../store/sync-cursors.repository.ts';
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
  /** The account's chat rows as stored (ingest is their only writer): updates merge onto these without a read. */
  readonly chatStates: Map<ChatKey, AccountChatRow>;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** One chat as one account has it, whole. */
export type AccountChatRow = AccountChatState & { readonly chatKey: ChatKey; readonly tdChatId: number };

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
  /** Stored ids of every message the transaction edited or deleted after storing (shared by its results). */
  readonly changedIds: ReadonlySet<number>;
  readonly newChats: ReadonlySet<ChatKey>;
  readonly titleChanged: ReadonlySet<ChatKey>;
  readonly membersChanged: ReadonlySet<ChatKey>;
  readonly users: readonly TgUser[];
  readonly events: readonly TgEvent[];
  /** The account's chat rows this batch wrote, whole. */
  readonly accountChats: readonly AccountChatRecord[];
}

export interface Plan {
  users: TgUser[];
  chats: { key: ChatKey; tdChatId: number; type: ChatType; typeId: number; title: string }[];
  fullStates: Map<ChatKey, AccountChatRow>;
  patches: Map<ChatKey, Partial<AccountChatState>>;
  titles: Map<ChatKey, string>;
  /** Tagged with the planning account, so the transaction that stores many plans copies nothing. */
  messages: AccountMessageToStore[];
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

function emptyPlan(): Plan {
  return {
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
  const plan = emptyPlan();
  const { accountId } = state;
  const seenInBatch = new Map<number, Set<number>>();
  // Index in plan.messages by chat, then message id: numeric keys, no key string per message.
  const planned = new Map<number, Map<number, number>>();
  const cursorOf = (tdChatId: number): SyncCursor =>
    plan.cursorChanges.get(tdChatId) ?? state.cursors.get(tdChatId) ?? { tdChatId, completeTo: 0, isSynced: false };
  // Rows and patches in the plan are its own copies: later events of the batch set their fields
  // in place (a busy batch carries many read-count and mention updates per chat).
  const patchOf = (chatKey: ChatKey): Mutable<Partial<AccountChatState>> => {
    plan.chatsTouched.add(chatKey);
    let own: Mutable<Partial<AccountChatState>> | undefined = plan.fullStates.get(chatKey) ?? plan.patches.get(chatKey);
    if (!own) plan.patches.set(chatKey, (own = {}));
    return own;
  };
  const moveCursor = (c: SyncCursor, change: Partial<SyncCursor>): void => {
    if (plan.cursorChanges.get(c.tdChatId) === c) Object.assign(c, change);
    else plan.cursorChanges.set(c.tdChatId, { ...c, ...change });
  };

  const markGap = (tdChatId: number): void => {
    const c = cursorOf(tdChatId);
    if (c.isSynced) moveCursor(c, { isSynced: false });
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
    // A new message comes as an update and again as the chat's last message: store one copy, the newest edit.
    let inChat = planned.get(m.tdChatId);
    if (!inChat) planned.set(m.tdChatId, (inChat = new Map()));
    const at = inChat.get(m.tdMessageId);
    if (at === undefined) {
      inChat.set(m.tdMessageId, plan.messages.length);
      plan.messages.push({ chatKey: known.chatKey, chatType: known.type, message: m, accountId });
    } else if (m.editDate > plan.messages[at]!.message.editDate) {
      plan.messages[at] = { chatKey: known.chatKey, chatType: known.type, message: m, accountId };
    }
    plan.chatsTouched.add(known.chatKey);
    if (!live) return;
    let seen = seenInBatch.get(m.tdChatId);
    if (!seen) seenInBatch.set(m.tdChatId, (seen = new Set()));
    seen.add(m.tdMessageId);
    if (c.isSynced && m.tdMessageId > c.completeTo) moveCursor(c, { completeTo: m.tdMessageId });
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
          patchOf(known.chatKey).lastTdMessageId = e.lastMessage.tdMessageId;
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
        if (known) {
          const own = patchOf(known.chatKey);
          own.lastReadInboxId = e.lastReadInboxId;
          own.unreadCount = e.unreadCount;
        }
        break;
      }
      case 'readOutbox': {
        const known = state.chats.get(e.tdChatId);
        if (known) patchOf(known.chatKey).lastReadOutboxId = e.lastReadOutboxId;
        break;
      }
      case 'unreadMentionCount':
      case 'mentionRead': {
        const known = state.chats.get(e.tdChatId);
        if (known) patchOf(known.chatKey).unreadMentionCount = e.unreadMentionCount;
        break;
      }
      case 'markedAsUnread': {
        const known = state.chats.get(e.tdChatId);
        if (known) patchOf(known.chatKey).isMarkedAsUnread = e.isMarkedAsUnread;
        break;
      }
      case 'notificationSettings': {
        const known = state.chats.get(e.tdChatId);
        if (known) patchOf(known.chatKey).notificationSettings = e.settings;
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

/** One account's planned batch (live updates, or a page of history), waiting to be stored. */
export interface IngestJob {
  readonly state: AccountSyncState;
  readonly plan: Plan;
  readonly events: readonly TgEvent[];
}

/**
 * Writes the plans of several accounts inside the caller's transaction, each kind of row in one
 * statement for all of them: the cost of a transaction is then paid per turn, not per account.
 * Jobs of one account apply in the order given. Returns one result per job, in order; call
 * `keepJob` for each only after the commit, so in-memory cursors and chat states never run
 * ahead of the store.
 */
export async function applyPlans(trx: Transaction<Database>, jobs: readonly IngestJob[], now: number, known?: KnownMessages): Promise<IngestResult[]> {
  await upsertUsers(trx, jobs.flatMap((j) => j.plan.users), now);
  await upsertChats(trx, [...new Map(jobs.flatMap((j) => j.plan.chats.map((c) => [c.key, c] as const))).values()], now);

  const rowsByJob = await mergeAccountChats(trx, jobs);
  await putAccountChatRows(trx, [...new Map(rowsByJob.flat().map((r) => [`${r.accountId}\u0000${r.chatKey}`, r] as const)).values()], now);
  for (const j of jobs) for (const [chatKey, title] of j.plan.titles) await setChatTitle(trx, chatKey, title, now);

  const refs = await upsertAccountMessages(trx, jobs.length === 1 ? jobs[0]!.plan.messages : jobs.flatMap((j) => j.plan.messages), now, known);
  const changes = await applyMessageChanges(trx, jobs, now, storedIdLookup(jobs, refs, known));

  await upsertChatMembers(trx, jobs.flatMap((j) => j.plan.members), now);
  await putCursorsOfAccounts(trx, jobs.flatMap((j) => [...j.plan.cursorChanges.values()].map((c) => ({ ...c, accountId: j.state.accountId }))), now);

  let next = 0;
  return jobs.map((j, i) => {
    const mine = refs.slice(next, (next += j.plan.messages.length));
    return {
      accountId: j.state.accountId,
      needsReconcile: j.plan.needsReconcile,
      chatsTouched: j.plan.chatsTouched,
      stored: j.plan.messages.map((m, k) => ({ chatKey: m.chatKey, ref: mine[k]!, message: m.message })),
      deleted: changes.perJob[i]!.deleted,
      edited: changes.perJob[i]!.edited,
      changedIds: changes.changedIds,
      newChats: new Set(j.plan.chats.map((c) => c.key)),
      titleChanged: new Set(j.plan.titles.keys()),
      membersChanged: new Set(j.plan.members.map((m) => m.chatKey)),
      users: j.plan.users,
      events: j.events,
      accountChats: rowsByJob[i]!,
    };
  });
}

/**
 * The whole chat rows each job leaves: partial updates (read counts, mutes, positions) merged
 * onto the row as the account last had it. Ingest is the only writer of these rows, so the
 * account's committed copy in memory is the stored one; the store is read only for a row memory
 * lacks.
 */
async function mergeAccountChats(trx: Transaction<Database>, jobs: readonly IngestJob[]): Promise<AccountChatRecord[][]> {
  const current = new Map<string, AccountChatRow>();
  const keyOf = (accountId: string, chatKey: ChatKey) => `${accountId}\u0000${chatKey}`;
  const missing = new Map<string, Set<ChatKey>>();
  for (const j of jobs) {
    for (const chatKey of new Set([...j.plan.patches.keys(), ...j.plan.positions.keys()])) {
      if (!j.plan.fullStates.has(chatKey) && !j.state.chatStates.has(chatKey)) {
        const set = missing.get(j.state.accountId) ?? new Set<ChatKey>();
        missing.set(j.state.accountId, set.add(chatKey));
      }
    }
  }
  for (const [accountId, keys] of missing) {
    for (const { accountId: _a, ...row } of await listAccountChatsByKeys(trx, accountId, [...keys])) current.set(keyOf(accountId, row.chatKey), row);
  }
  return jobs.map((j) => {
    const { accountId } = j.state;
    const out: AccountChatRecord[] = [];
    for (const chatKey of new Set([...j.plan.fullStates.keys(), ...j.plan.patches.keys(), ...j.plan.positions.keys()])) {
      const k = keyOf(accountId, chatKey);
      const full = j.plan.fullStates.get(chatKey);
      const base = full ?? current.get(k) ?? j.state.chatStates.get(chatKey);
      if (!base) continue; // a chat the store does not have for this account: nothing to patch
      const positions = j.plan.positions.get(chatKey);
      // One new row per chat and batch: it is what is written, kept in memory and followed.
      const row: AccountChatRecord = {
        ...base,
        ...(full ? undefined : j.plan.patches.get(chatKey)),
        ...(positions ? { positions: mergePositions(base.positions, positions) } : undefined),
        accountId,
      };
      current.set(k, row);
      out.push(row);
    }
    return out;
  });
}

/**
 * Edits, content changes and deletions of stored messages. Each account reports the same change
 * of a shared message; it is written once (the newest edit date, the last content).
 */
/**
 * Ids of messages this transaction just stored, or that the recent-message cache knows, by an
 * account's view of them: most edits and deletions concern such messages, and need no lookup.
 */
function storedIdLookup(jobs: readonly IngestJob[], refs: readonly StoredRef[], known?: KnownMessages): (accountId: string, ref: MessageRef) => number | undefined {
  // Shared ids by chat; per-account ids by account, then chat.
  const shared = new Map<ChatKey, Map<number, number>>();
  const perAccount = new Map<string, Map<ChatKey, Map<number, number>>>();
  let at = 0;
  for (const j of jobs) {
    for (const m of j.plan.messages) {
      const id = refs[at++]!.id;
      if (id <= 0) continue;
      let byChat: Map<ChatKey, Map<number, number>> | undefined = shared;
      if (!hasSharedMessageIds(m.chatType)) {
        byChat = perAccount.get(j.state.accountId);
        if (!byChat) perAccount.set(j.state.accountId, (byChat = new Map()));
      }
      let ids = byChat.get(m.chatKey);
      if (!ids) byChat.set(m.chatKey, (ids = new Map()));
      ids.set(m.message.tdMessageId, id);
    }
  }
  return (accountId, ref) => {
    if (hasSharedMessageIds(ref.chatType)) return shared.get(ref.chatKey)?.get(ref.tdMessageId) ?? known?.get(ref.chatKey, ref.tdMessageId)?.id;
    return perAccount.get(accountId)?.get(ref.chatKey)?.get(ref.tdMessageId);
  };
}

async function applyMessageChanges(
  trx: Transaction<Database>,
  jobs: readonly IngestJob[],
  now: number,
  storedId: (accountId: string, ref: MessageRef) => number | undefined,
): Promise<{ perJob: { deleted: Map<ChatKey, number[]>; edited: Map<ChatKey, number[]> }[]; changedIds: Set<number> }> {
  const editDates = new Map<number, number>();
  const contents = new Map<number, Plan['contents'][number]['content']>();
  const deletedIds = new Set<number>();
  const out: { deleted: Map<ChatKey, number[]>; edited: Map<ChatKey, number[]> }[] = [];
  for (const j of jobs) {
    const deleted = new Map<ChatKey, number[]>();
    const edited = new Map<ChatKey, number[]>();
    const { plan } = j;
    const changedRefs = [...plan.edits.map((e) => e.ref), ...plan.contents.map((c) => c.ref), ...plan.deletes];
    out.push({ deleted, edited });
    if (changedRefs.length === 0) continue;
    const ids = new Map<string, number>();
    const unknown: MessageRef[] = [];
    for (const ref of changedRefs) {
      const id = storedId(j.state.accountId, ref);
      if (id === undefined) unknown.push(ref);
      else ids.set(refKey(ref.chatKey, ref.tdMessageId), id);
    }
    if (unknown.length > 0) for (const [k, id] of await resolveMessageIds(trx, j.state.accountId, unknown)) ids.set(k, id);
    for (const e of plan.edits) {
      const id = ids.get(refKey(e.ref.chatKey, e.ref.tdMessageId));
      if (id !== undefined) editDates.set(id, Math.max(editDates.get(id) ?? 0, e.editDate));
    }
    for (const c of plan.contents) {
      const id = ids.get(refKey(c.ref.chatKey, c.ref.tdMessageId));
      if (id === undefined) continue;
      contents.set(id, c.content);
      pushTo(edited, c.ref.chatKey, id);
    }
    for (const d of plan.deletes) {
      const id = ids.get(refKey(d.chatKey, d.tdMessageId));
      if (id === undefined) continue;
      pushTo(deleted, d.chatKey, id);
      deletedIds.add(id);
    }
  }
  await setEditDates(trx, [...editDates].map(([id, editDate]) => ({ id, editDate })));
  await setContents(trx, [...contents].map(([id, content]) => ({ id, content })));
  await markDeleted(trx, [...deletedIds], now);
  return { perJob: out, changedIds: new Set([...editDates.keys(), ...contents.keys(), ...deletedIds]) };
}

/** Keeps a stored job's cursors and chat rows in memory; call after the transaction that stored them committed. */
export function keepJob(job: IngestJob, result: IngestResult): void {
  for (const [tdChatId, cursor] of job.plan.cursorChanges) job.state.cursors.set(tdChatId, cursor);
  // The records carry their account too; as rows of this account they are the same.
  for (const row of result.accountChats) job.state.chatStates.set(row.chatKey, row);
}

function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/**
 * A page of history fetched by a reconcile pass, as a plan: messages only, cursors untouched.
 * Where ids differ per account the caller must pass them oldest first (see planBatch's storeMessage).
 */
export function planHistory(state: AccountSyncState, messages: readonly TgMessage[]): Plan {
  const plan = emptyPlan();
  for (const m of messages) {
    const known = state.chats.get(m.tdChatId);
    if (!known || !isServerMessageId(m.tdMessageId)) continue;
    plan.messages.push({ chatKey: known.chatKey, chatType: known.type, message: m, accountId: state.accountId });
    plan.chatsTouched.add(known.chatKey);
  }
  return plan;
}
