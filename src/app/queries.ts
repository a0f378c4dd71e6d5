/**
 * Read side of the app: what the API shows. Reads go straight to the store; every write goes
 * through actions and ingest.
 */
import type { Kysely } from 'kysely';
import { notFound } from '../domain/errors.ts';
import { parseSenderKey } from '../domain/ids.ts';
import { listAccounts, type AccountRecord } from '../store/accounts.repository.ts';
import { getChat, listAccountChatsOfChat, listChats, type AccountChatRecord, type ChatRecord } from '../store/chats.repository.ts';
import { getMessagesByIds, idsOfKeys, listMessages, type StoredMessage } from '../store/messages.repository.ts';
import type { Database } from '../store/schema.ts';
import type { ChatKind } from '../domain/classification.ts';
import type { TeamSummary } from '../domain/counts.ts';
import type { DialogOrder, StableKey } from '../domain/dialog-order.ts';
import { buildDialogView, type DialogView } from '../domain/dialog-view.ts';
import { buildDialogRow, type DialogFilter, type DialogRow } from '../domain/dialogs.ts';
import type { TeamMember } from '../domain/roster.ts';
import { DialogRows } from './dialog-rows.ts';
import type { EventBus } from './event-bus.ts';
import type { TeamModel } from './team-model.ts';
import { displayName, getUsers } from '../store/users.repository.ts';
import { alarmActorOf } from '../store/team.repository.ts';

export type { AccountRecord, ChatRecord, AccountChatRecord, StoredMessage };

export interface Sender {
  readonly key: string;
  readonly userId: number | null;
  readonly name: string;
  readonly username: string | null;
}

export interface MessageView extends StoredMessage {
  readonly sender: Sender;
  /** The stored id of the replied message, when tgdesk has it. */
  readonly replyToId: number | null;
}

export interface UserView {
  readonly id: number;
  readonly name: string;
  readonly username: string | null;
}

export interface HistoryArgs {
  readonly chatKey: string;
  readonly before?: number;
  readonly after?: number;
  readonly around?: number;
  readonly first: number;
}

export interface DialogQuery {
  readonly accountId: string;
  /** The team member asking: their stars. */
  readonly memberUserId: number | null;
  readonly filter?: DialogFilter | null;
  readonly order: DialogOrder;
  readonly stableKey?: StableKey;
}

export class Queries {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly model: TeamModel,
    private readonly bus: EventBus,
    /** The accounts this daemon drives, logged in or not. */
    private readonly accountIds: () => Iterable<string> = () => [],
    /** The daemon's clock: waits and overdue flags are judged by it, not by the wall clock. */
    private readonly clock: () => number = Date.now,
  ) {
    this.rows = new DialogRows(model, bus);
  }

  /** Each account's rows and orders, kept current by the published events (dialog-rows.ts). */
  private readonly rows: DialogRows;

  /**
   * One account's dialog list, from the rows kept per account (dialog-rows.ts): the published
   * state, judged at `now`; no query, and no rebuild unless many chats changed.
   */
  dialogs(q: DialogQuery, now: number = this.clock()): DialogView {
    if (!this.model.accountChats.has(q.accountId) && !this.knownAccount(q.accountId)) throw notFound('account', q.accountId);
    return this.rows.view(q, now);
  }

  /**
   * The same list built afresh from the model, bypassing the kept rows: for tests and the
   * benchmark, which check and measure the kept rows against it.
   */
  dialogsFromModel(q: DialogQuery, now: number = this.clock()): DialogView {
    if (!this.model.accountChats.has(q.accountId) && !this.knownAccount(q.accountId)) throw notFound('account', q.accountId);
    const starred = q.memberUserId === null ? new Set<string>() : (this.model.stars.get(q.memberUserId) ?? new Set<string>());
    return buildDialogView(this.model.dialogInputs(q.accountId), {
      now,
      scopeMuteFor: this.model.scopeMuteOf(q.accountId),
      starred,
      order: q.order,
      stableKey: q.stableKey,
      titleOrder: this.model.titleOrder,
      filter: q.filter ?? null,
    });
  }

  /** Forgets the kept dialog rows: after the model was loaded or reset without events (daemon start). */
  resetDialogRows(): void {
    this.rows.reset();
  }

  /** One chat's row as an account sees it, or null when the account does not see the chat. */
  dialog(accountId: string, chatKey: string, memberUserId: number | null, now: number = this.clock()): DialogRow | null {
    const ac = this.model.accountChats.get(accountId)?.get(chatKey);
    if (!ac) return null;
    const input = this.model.dialogInput(accountId, ac);
    if (!input) return null;
    const starred = memberUserId === null ? new Set<string>() : (this.model.stars.get(memberUserId) ?? new Set<string>());
    return buildDialogRow(input, { now, scopeMuteFor: this.model.scopeMuteOf(accountId), starred });
  }

  /** Who raised the chat's alarm of that instant, as the audit log names the caller. */
  alarmActor(chatKey: string, raisedAt: number): Promise<string | null> {
    return alarmActorOf(this.db, chatKey, raisedAt);
  }

  teamSummary(now: number = this.clock()): TeamSummary {
    return this.model.summary(now);
  }

  chatKind(chatKey: string): { kind: ChatKind; clientName: string | null } {
    const entry = this.model.chats.get(chatKey);
    return { kind: entry?.kind ?? 'other', clientName: entry?.clientName ?? null };
  }

  teamMembers(): TeamMember[] {
    return [...this.model.roster.byId.values()];
  }

  /** Events after `afterSeq` then live; see EventBus.stream. */
  events(afterSeq: number | undefined, signal?: AbortSignal) {
    return this.bus.stream(afterSeq, signal);
  }

  private knownAccount(accountId: string): boolean {
    return this.model.accountUsers.has(accountId) || [...this.accountIds()].includes(accountId);
  }

  accounts(): Promise<AccountRecord[]> {
    return listAccounts(this.db);
  }

  chats(): Promise<ChatRecord[]> {
    return listChats(this.db);
  }

  async chat(key: string): Promise<ChatRecord> {
    const chat = await getChat(this.db, key);
    if (!chat) throw notFound('chat', key);
    return chat;
  }

  async user(id: number): Promise<UserView | null> {
    const user = (await getUsers(this.db, [id])).get(id);
    return user ? { id, name: displayName(user), username: user.username } : null;
  }

  accountStates(chatKey: string): Promise<AccountChatRecord[]> {
    return listAccountChatsOfChat(this.db, chatKey);
  }

  /** A page of history in chronological order, around, before or after a message. */
  async history(args: HistoryArgs): Promise<MessageView[]> {
    await this.chat(args.chatKey);
    const anchorId = args.around ?? args.before ?? args.after;
    let anchor: StoredMessage | undefined;
    if (anchorId !== undefined) {
      [anchor] = await getMessagesByIds(this.db, [anchorId]);
      if (!anchor || anchor.chatKey !== args.chatKey) throw notFound('message', anchorId);
    }
    let rows: StoredMessage[];
    if (args.around !== undefined && anchor) {
      const half = Math.max(1, Math.floor(args.first / 2));
      const older = await listMessages(this.db, { chatKey: args.chatKey, beforeSortKey: anchor.sortKey, limit: half });
      const newer = await listMessages(this.db, { chatKey: args.chatKey, afterSortKey: anchor.sortKey, limit: args.first - half - 1 });
      rows = [...older, anchor, ...newer];
    } else if (args.before !== undefined && anchor) {
      rows = await listMessages(this.db, { chatKey: args.chatKey, beforeSortKey: anchor.sortKey, limit: args.first });
    } else if (args.after !== undefined && anchor) {
      rows = await listMessages(this.db, { chatKey: args.chatKey, afterSortKey: anchor.sortKey, limit: args.first });
    } else {
      rows = await listMessages(this.db, { chatKey: args.chatKey, limit: args.first });
    }
    return this.withSenders(rows);
  }

  async withSenders(rows: readonly StoredMessage[]): Promise<MessageView[]> {
    const users = await getUsers(this.db, rows.map((r) => r.senderUserId).filter((id): id is number => id !== null));
    // Channels and anonymous admins post as a chat; their name is the chat's title.
    const chatSenders = rows.some((r) => parseSenderKey(r.senderKey)?.kind === 'chat');
    const chats = new Map<number, ChatRecord>(chatSenders ? (await listChats(this.db)).map((c) => [c.tdChatId, c]) : []);
    const replyIds = await idsOfKeys(
      this.db,
      rows.filter((r) => r.replyToKey !== null).map((r) => ({ chatKey: r.chatKey, msgKey: r.replyToKey! })),
    );
    return rows.map((r) => {
      const user = r.senderUserId !== null ? users.get(r.senderUserId) : undefined;
      const ref = parseSenderKey(r.senderKey);
      const name = user ? displayName(user) : ref?.kind === 'chat' ? (chats.get(ref.id)?.title ?? `chat ${ref.id}`) : `user ${r.senderUserId ?? '?'}`;
      const replyToId = r.replyToKey === null ? null : (replyIds.get(`${r.chatKey}\u0000${r.replyToKey}`) ?? null);
      return { ...r, replyToId, sender: { key: r.senderKey, userId: r.senderUserId, name, username: user?.username ?? null } };
    });
  }
}
