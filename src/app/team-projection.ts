/**
 * Follows every ingest transaction (one or several accounts' batches), inside it: updates the
 * team model (names, kinds, members, last messages, per-account state), runs the overdue clock
 * on new messages, and emits the events subscribers need: message events for history views,
 * team-wide chat events, then the dialog rows and team summary that changed.
 */
import type { MessageView } from '../domain/events.ts';
import { parseSenderKey, type ChatKey } from '../domain/ids.ts';
import { isTeamSender } from '../domain/roster.ts';
import { fromUnixSeconds, type UnixMs } from '../domain/time.ts';
import type { AccountSyncPhase } from '../domain/events.ts';
import { putScopeMute } from '../store/accounts.repository.ts';
import { listChatMembers } from '../store/chats.repository.ts';
import { getMessagesByIds, type StoredMessage } from '../store/messages.repository.ts';
import { displayName } from '../store/users.repository.ts';
import type { IngestResult } from './ingest.ts';
import type { OverdueClock } from './overdue-clock.ts';
import type { TeamModel } from './team-model.ts';
import type { Emit, Trx } from './writer.ts';

export class TeamProjection {
  constructor(
    private readonly model: TeamModel,
    private readonly clock: OverdueClock,
  ) {}

  messageView(m: StoredMessage): MessageView {
    const sender = parseSenderKey(m.senderKey) ?? { kind: 'user' as const, id: m.senderUserId ?? 0 };
    const entry = this.model.chats.get(m.chatKey);
    return {
      messageId: String(m.id),
      sender,
      senderName: sender.kind === 'user' ? (this.model.users.get(sender.id)?.name ?? `user ${sender.id}`) : (entry?.record.title ?? `chat ${sender.id}`),
      isTeam: isTeamSender(this.model.roster, sender),
      at: fromUnixSeconds(m.date),
      editedAt: m.editDate ? fromUnixSeconds(m.editDate) : null,
      replyToMessageId: null,
      text: m.text,
      contentKind: m.contentKind as MessageView['contentKind'],
      mediaSummary: m.mediaSummary,
      isService: m.isService,
    };
  }

  /** Follows the batches one ingest transaction stored (several accounts' at once), in order. */
  async onIngested(trx: Trx, emit: Emit, results: readonly IngestResult[], now: UnixMs): Promise<void> {
    const model = this.model;
    let rosterMayChange = false;
    const scopeTouched = new Set<ChatKey>();
    const reclassify = new Set<ChatKey>();
    const membersChanged = new Set<ChatKey>();

    for (const r of results) {
      for (const u of r.users) {
        const prev = model.users.get(u.id);
        const name = displayName(u);
        if (prev?.name !== name) rosterMayChange ||= model.isTeamUser(u.id);
        model.users.set(u.id, { name, isBot: u.isBot, username: u.username });
      }
      for (const e of r.events) {
        if (e.kind === 'auth' && e.state.kind === 'ready') rosterMayChange = true;
        if (e.kind !== 'scopeNotificationSettings') continue;
        model.setScopeMute(r.accountId, e.scope, e.muteFor);
        await putScopeMute(trx, r.accountId, e.scope, e.muteFor);
        // Every chat of this account that follows the scope's default may have changed its mute.
        for (const ac of model.accountChats.get(r.accountId)?.values() ?? []) scopeTouched.add(ac.chatKey);
      }
      if (!model.accountUsers.has(r.accountId)) {
        // The account runner learns its user id (getMe) just before the first batch that needs it.
        const row = await trx.selectFrom('accounts').select('user_id').where('id', '=', r.accountId).executeTakeFirst();
        if (row?.user_id) model.accountUsers.set(r.accountId, row.user_id);
      }
      for (const k of r.newChats) reclassify.add(k);
      for (const k of r.titleChanged) reclassify.add(k);
      for (const k of r.membersChanged) membersChanged.add(k);
    }

    // Chats: records, titles, members.
    for (const k of membersChanged) reclassify.add(k);
    if (reclassify.size > 0) {
      const rows = await trx.selectFrom('chats').selectAll().where('key', 'in', [...reclassify]).execute();
      for (const row of rows) {
        const record = { key: row.key, tdChatId: row.td_chat_id, type: row.type as never, typeId: row.type_id, title: row.title, firstSeenAt: row.first_seen_at };
        const entry = model.chats.get(row.key);
        if (entry) {
          if (entry.record.title !== record.title) {
            entry.record = record;
            model.classify(entry);
            model.emitTo(emit, { type: 'chatTitleChanged', at: now, chatKey: row.key, title: record.title, clientName: entry.clientName });
          }
        } else {
          model.chats.set(row.key, { record, kind: 'other', clientName: null, kindOverride: null, policyId: null, manualPosition: null, members: new Set(), activity: new Map(), lastMessage: null });
        }
      }
      for (const chatKey of membersChanged) {
        const entry = model.chats.get(chatKey);
        if (!entry) continue;
        entry.members = new Set((await listChatMembers(trx, chatKey)).filter((m) => m.status !== 'left' && m.status !== 'banned').map((m) => m.userId));
        if (entry === model.teamChat()) rosterMayChange = true;
      }
      model.rebuildTitleOrder();
    }

    // Per-account state: the rows ingest wrote, whole (merged positions, absolute counts).
    for (const r of results) {
      const mine = model.accountChat(r.accountId);
      for (const row of r.accountChats) mine.set(row.chatKey, row);
    }

    // New messages: activity, last message, message events, the overdue clock. A message several
    // accounts delivered is new in one result only.
    const newMessages = await this.newMessagesOf(trx, results);
    const byChat = new Map<ChatKey, StoredMessage[]>();
    for (const m of newMessages) {
      const entry = model.chats.get(m.chatKey);
      if (!entry) continue;
      if (m.senderUserId !== null && !m.isService) {
        const had = entry.activity.has(m.senderUserId);
        entry.activity.set(m.senderUserId, (entry.activity.get(m.senderUserId) ?? 0) + 1);
        // A new writer can turn a group into a support chat, or name its client.
        if (!had || entry.kind === 'support') reclassify.add(m.chatKey);
      }
      model.setLastMessage(m.chatKey, m);
      const list = byChat.get(m.chatKey);
      if (list) list.push(m);
      else byChat.set(m.chatKey, [m]);
    }
    if (rosterMayChange) {
      model.rebuildRoster();
      for (const entry of model.chats.values()) reclassify.add(entry.record.key);
    }
    const kindChanged = new Set<ChatKey>();
    for (const chatKey of reclassify) {
      const entry = model.chats.get(chatKey);
      if (!entry) continue;
      const before = { kind: entry.kind, clientName: entry.clientName };
      model.classify(entry);
      if (before.kind !== entry.kind || before.clientName !== entry.clientName) {
        kindChanged.add(chatKey);
        model.emitTo(emit, { type: 'chatKindChanged', at: now, chatKey, kind: entry.kind, clientName: entry.clientName });
      }
    }
    for (const m of newMessages) model.emitTo(emit, { type: 'messageAdded', at: now, chatKey: m.chatKey, message: this.messageView(m) });

    const editedIds = new Set(results.flatMap((r) => [...r.edited.values()].flat()));
    // An edit of a chat's last message changes its rows (the preview text).
    const editedChats = new Set<ChatKey>();
    if (editedIds.size > 0) {
      for (const m of await getMessagesByIds(trx, [...editedIds])) {
        editedChats.add(m.chatKey);
        model.emitTo(emit, { type: 'messageEdited', at: now, chatKey: m.chatKey, message: this.messageView(m) });
        if (model.chats.get(m.chatKey)?.lastMessage?.messageId === String(m.id)) model.setLastMessage(m.chatKey, m, true);
      }
    }
    const deleted = new Map<ChatKey, Set<number>>();
    for (const r of results) {
      for (const [chatKey, ids] of r.deleted) {
        const set = deleted.get(chatKey) ?? new Set<number>();
        for (const id of ids) set.add(id);
        deleted.set(chatKey, set);
      }
    }
    for (const [chatKey, idSet] of deleted) {
      model.emitTo(emit, { type: 'messagesDeleted', at: now, chatKey, messageIds: [...idSet].map(String) });
      const entry = model.chats.get(chatKey);
      if (entry?.lastMessage && idSet.has(Number(entry.lastMessage.messageId))) {
        entry.lastMessage = null;
        const [latest] = await trx.selectFrom('messages').selectAll().where('chat_key', '=', chatKey).where('deleted_at', 'is', null).orderBy('sort_key', 'desc').limit(1).execute();
        if (latest) model.setLastMessage(chatKey, (await getMessagesByIds(trx, [latest.id]))[0]!, true);
      }
    }
    const deletedIds = new Map<ChatKey, number[]>([...deleted].map(([chatKey, ids]) => [chatKey, [...ids]]));
    await this.clock.onIngest(trx, emit, { messages: byChat, deleted: deletedIds, recompute: kindChanged }, now);

    const touched = new Set<ChatKey>([...scopeTouched, ...reclassify, ...byChat.keys(), ...deleted.keys(), ...editedChats]);
    for (const r of results) for (const k of r.chatsTouched) touched.add(k);
    model.emitDialogDiffs(emit, touched, now);
  }

  /**
   * The messages the transaction stored for the first time, oldest id first, as stored now: the
   * rows the insert returned, read back only where the same transaction edited or deleted them.
   */
  private async newMessagesOf(trx: Trx, results: readonly IngestResult[]): Promise<StoredMessage[]> {
    const out: StoredMessage[] = [];
    const reread: number[] = [];
    for (const r of results) {
      for (const { ref } of r.stored) {
        if (!ref.inserted) continue;
        if (ref.row && !r.changedIds.has(ref.id)) out.push(ref.row);
        else reread.push(ref.id);
      }
    }
    if (reread.length > 0) out.push(...(await getMessagesByIds(trx, reread)));
    return out.sort((a, b) => a.id - b.id);
  }

  emitSyncState(emit: Emit, accountId: string, authState: string, phase: AccountSyncPhase, now: UnixMs): void {
    this.model.emitTo(emit, {
      type: 'accountSyncChanged',
      at: now,
      accountId,
      sync: { authState: authState as never, phase, syncComplete: phase === 'ready' },
    });
  }
}
