/**
 * Keeps one account's copy of Telegram complete: starts its client, ingests its ordered event
 * stream, loads the chat lists, and runs reconcile passes (DESIGN.md §6, tdlib-notes §9):
 *
 * 1. At start every chat is unsynced: nothing proves TDLib redelivered what happened while the
 *    daemon was down.
 * 2. After `authorizationStateReady`: getMe, then loadChats until 404. Every chat whose last
 *    message is beyond its cursor is queued for reconcile.
 * 3. A reconcile pass pages getChatHistory from the newest message down to the cursor (on a
 *    first sync, to the backfill limit), stores each page, and only then marks the chat synced
 *    at the top it saw.
 * 4. A gap signal during a pass makes that pass prove nothing; the chat is queued again.
 */
import type { Kysely } from 'kysely';
import { hasSharedMessageIds } from '../domain/ids.ts';
import type { AuthState, TgEvent, TgMessage } from '../domain/telegram.ts';
import type { Logger } from '../shared/log.ts';
import { listAccounts, updateAccount, type SyncState } from '../store/accounts.repository.ts';
import { listAccountChats, listChats } from '../store/chats.repository.ts';
import type { Database } from '../store/schema.ts';
import { listCursors, markAllUnsynced, putCursors } from '../store/sync-cursors.repository.ts';
import type { TelegramAccount } from '../tdlib/port.ts';
import { planBatch, planHistory, type AccountSyncState } from './ingest.ts';
import type { IngestBatcher, IngestFollower } from './ingest-batcher.ts';
import type { Writer } from './writer.ts';

export type { IngestFollower } from './ingest-batcher.ts';

export interface AccountSyncOptions {
  readonly db: Kysely<Database>;
  readonly writer: Writer;
  /** Stores batches, together with other accounts' (shared by all accounts of the daemon). */
  readonly batcher: IngestBatcher;
  readonly follower?: IngestFollower;
  readonly account: TelegramAccount;
  readonly logger: Logger;
  readonly now: () => number;
  /** How many messages the first sync of a chat fetches at most. */
  readonly backfillMessages: number;
  readonly onSyncStateChanged?: (accountId: string, state: SyncState) => void;
}

const HISTORY_PAGE = 100;
/**
 * Waits before storing a failed batch again. A store that refuses one transaction (a lock, a
 * dropped connection) usually takes the next; retrying the same batch keeps what reconcile cannot
 * fetch again (new chats, edits of older messages, read counts, titles, members). The account's
 * updates wait meanwhile, so their order holds.
 */
const INGEST_RETRY_MS = [250, 1_000, 4_000];

export class AccountSync {
  readonly accountId: string;
  private readonly state: AccountSyncState;
  private readonly queue: number[] = [];
  private readonly queued = new Set<number>();
  private reconciling = false;
  private chatsLoaded = false;
  private readyStarted = false;
  private closed = false;
  private syncState: SyncState = 'starting';
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly options: AccountSyncOptions) {
    this.accountId = options.account.accountId;
    this.state = { accountId: this.accountId, userId: null, chats: new Map(), cursors: new Map(), gapEpochs: new Map(), chatStates: new Map() };
  }

  get currentSyncState(): SyncState {
    return this.syncState;
  }

  get authState(): AuthState {
    return this.options.account.authState();
  }

  /** Loads what the store knows of this account, then starts its client. */
  async start(): Promise<void> {
    const { db, now } = this.options;
    const me = (await listAccounts(db)).find((a) => a.id === this.accountId);
    this.state.userId = me?.userId ?? null;
    const chatsByKey = new Map((await listChats(db)).map((c) => [c.key, c]));
    for (const ac of await listAccountChats(db, this.accountId)) {
      const chat = chatsByKey.get(ac.chatKey);
      if (!chat) continue;
      this.state.chats.set(ac.tdChatId, { chatKey: chat.key, type: chat.type });
      const { accountId: _accountId, ...row } = ac;
      this.state.chatStates.set(ac.chatKey, row);
    }
    await markAllUnsynced(db, this.accountId, now());
    for (const [id, c] of await listCursors(db, this.accountId)) this.state.cursors.set(id, c);
    await this.setSyncState('starting');
    await this.options.account.start((_, events) => this.handleBatch(events));
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.options.account.close();
  }

  /** Resolves when the account is ready and no reconcile is queued or running. For tests and the demo. */
  whenIdle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private isIdle(): boolean {
    return this.chatsLoaded && !this.reconciling && this.queue.length === 0;
  }

  private async handleBatch(events: readonly TgEvent[]): Promise<void> {
    const { db, logger, now } = this.options;
    let becameReady = false;
    for (const e of events) {
      if (e.kind === 'auth') {
        if (e.state.kind === 'ready') becameReady = true;
        // A failed write of the auth state must not cost the batch's messages: log it and go on.
        await updateAccount(db, this.accountId, { authState: e.state.kind }, now()).catch((error: unknown) =>
          logger.warn('could not store the auth state', { accountId: this.accountId, error }),
        );
        if (e.state.kind === 'closed' || e.state.kind === 'loggingOut') await this.setSyncState('loggedOut');
      }
    }
    // Private chats are keyed by the account's own user id, so learn it before ingesting them.
    if (this.state.userId === null && (becameReady || events.some((e) => e.kind === 'chat'))) await this.learnUserId();
    try {
      const result = await this.storeBatch(events);
      for (const id of result.needsReconcile) this.enqueue(id);
    } catch (error) {
      // The batch is lost from the live stream. Its chats are unsynced until a reconcile pass has
      // paged them again: otherwise the next live message would move a chat's cursor past the
      // lost one, and no later pass (nor a restart) would look below it.
      logger.error('ingest failed; chats will be reconciled', { accountId: this.accountId, error });
      for (const tdChatId of chatsOf(events)) {
        const cursor = this.state.cursors.get(tdChatId);
        if (cursor?.isSynced) this.state.cursors.set(tdChatId, { ...cursor, isSynced: false });
        this.state.gapEpochs.set(tdChatId, (this.state.gapEpochs.get(tdChatId) ?? 0) + 1);
        this.enqueue(tdChatId);
      }
    }
    if (becameReady && !this.readyStarted) {
      this.readyStarted = true;
      void this.afterReady();
    }
  }

  /** Stores a live batch, planned again for each try: a failed plan's state changes are all idempotent. */
  private async storeBatch(events: readonly TgEvent[]): ReturnType<IngestBatcher['submit']> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.options.batcher.submit(this.state, planBatch(this.state, events), events);
      } catch (error) {
        const wait = INGEST_RETRY_MS[attempt];
        if (wait === undefined || this.closed) throw error;
        this.options.logger.warn('ingest failed; retrying the batch', { accountId: this.accountId, attempt: attempt + 1, error });
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
    }
  }

  private async learnUserId(): Promise<void> {
    try {
      const me = await this.options.account.getMe();
      this.state.userId = me.id;
      await updateAccount(this.options.db, this.accountId, { userId: me.id }, this.options.now());
    } catch (error) {
      this.options.logger.warn('getMe failed', { accountId: this.accountId, error });
    }
  }

  private async afterReady(): Promise<void> {
    const { logger } = this.options;
    try {
      await this.setSyncState('loading');
      await this.options.account.loadAllChats();
      this.chatsLoaded = true;
      await this.setSyncState(this.queue.length > 0 || this.reconciling ? 'reconciling' : 'ready');
      this.pump();
      this.notifyIdle();
    } catch (error) {
      if (this.closed) return;
      logger.error('loading chats failed; retrying in 5 s', { accountId: this.accountId, error });
      this.readyStarted = false;
      setTimeout(() => {
        if (!this.closed && !this.readyStarted) {
          this.readyStarted = true;
          void this.afterReady();
        }
      }, 5000).unref();
    }
  }

  private enqueue(tdChatId: number): void {
    if (this.queued.has(tdChatId)) return;
    this.queued.add(tdChatId);
    this.queue.push(tdChatId);
    if (this.chatsLoaded && this.syncState === 'ready') void this.setSyncState('reconciling');
    this.pump();
  }

  private pump(): void {
    if (this.reconciling || this.closed || !this.chatsLoaded) return;
    const next = this.queue.shift();
    if (next === undefined) {
      if (this.syncState !== 'ready' && this.syncState !== 'loggedOut') void this.setSyncState('ready');
      this.notifyIdle();
      return;
    }
    this.queued.delete(next);
    this.reconciling = true;
    this.reconcile(next)
      .catch((error) => {
        if (this.closed) return;
        this.options.logger.warn('reconcile failed; will retry', { accountId: this.accountId, tdChatId: next, error });
        setTimeout(() => this.enqueue(next), 2000).unref();
      })
      .finally(() => {
        this.reconciling = false;
        this.pump();
      });
  }

  /**
   * Pages history down to the cursor; see the file comment for why the cursor moves only at the
   * end. Where message ids differ per account, pages are kept and stored oldest first, since a
   * message's identity there depends on what was stored before it.
   */
  private async reconcile(tdChatId: number): Promise<void> {
    const { account, now, backfillMessages } = this.options;
    const known = this.state.chats.get(tdChatId);
    if (!known) return;
    const ascending = !hasSharedMessageIds(known.type);
    const epoch = this.state.gapEpochs.get(tdChatId) ?? 0;
    const cursor = this.state.cursors.get(tdChatId) ?? { tdChatId, completeTo: 0, isSynced: false };
    const held: TgMessage[][] = [];
    // The backfill limit bounds a chat's first sync only. Below a cursor every message must be
    // fetched: a pass that stopped short and still moved the cursor to the top would lose the
    // rest for good, as later passes only page down to the cursor.
    const firstSync = cursor.completeTo === 0;
    let stalled = false;
    let from = 0;
    let top = 0;
    let fetched = 0;
    for (;;) {
      if (this.closed) return;
      const page = await account.getChatHistory(tdChatId, from, HISTORY_PAGE);
      if (page.messages.length === 0) break;
      for (const m of page.messages) top = Math.max(top, m.tdMessageId);
      const fresh = page.messages.filter((m) => m.tdMessageId > cursor.completeTo);
      if (ascending) held.push(fresh);
      else await this.storeHistory(fresh);
      fetched += page.messages.length;
      const oldest = page.messages.reduce((min, m) => Math.min(min, m.tdMessageId), Number.POSITIVE_INFINITY);
      if (oldest <= cursor.completeTo || (firstSync && fetched >= backfillMessages)) break;
      if (oldest >= from && from !== 0) {
        stalled = true;
        break;
      }
      from = oldest;
    }
    if (ascending) {
      const all = held.flat().sort((a, b) => a.tdMessageId - b.tdMessageId);
      for (let i = 0; i < all.length; i += HISTORY_PAGE * 5) await this.storeHistory(all.slice(i, i + HISTORY_PAGE * 5));
    }
    // Everything up to `top` is stored now, whatever happened meanwhile. If a gap or out-of-order
    // traffic arrived during the pass, only what came after `top` is in doubt: page again for it.
    const stillProven = (this.state.gapEpochs.get(tdChatId) ?? 0) === epoch;
    const latest = this.state.cursors.get(tdChatId) ?? cursor;
    if (stalled && !firstSync) {
      // History stopped moving before it reached the cursor: what lies between is unproven. The
      // cursor stays, and the next start or gap pages again.
      this.options.logger.warn('chat history stopped before the last stored message; the chat stays unsynced', { accountId: this.accountId, tdChatId });
      const kept = { ...latest, isSynced: false };
      await this.options.writer.run((trx) => putCursors(trx, this.accountId, [kept], now()));
      this.state.cursors.set(tdChatId, kept);
      return;
    }
    const next = { tdChatId, completeTo: Math.max(latest.completeTo, top), isSynced: stillProven };
    await this.options.writer.run((trx) => putCursors(trx, this.accountId, [next], now()));
    this.state.cursors.set(tdChatId, next);
    if (!stillProven) this.enqueue(tdChatId);
  }

  private async storeHistory(messages: readonly TgMessage[]): Promise<void> {
    if (messages.length === 0) return;
    await this.options.batcher.submit(this.state, planHistory(this.state, messages), []);
  }

  private async setSyncState(state: SyncState): Promise<void> {
    if (this.syncState === state) return;
    this.syncState = state;
    await this.options.writer
      .run(async (trx, emit) => {
        const at = this.options.now();
        await updateAccount(trx, this.accountId, { syncState: state, syncComplete: state === 'ready' }, at);
        this.options.follower?.onSyncState?.(emit, this.accountId, this.options.account.authState().kind, state, at);
      })
      .catch((error) => this.options.logger.warn('could not store the sync state', { accountId: this.accountId, error }));
    this.options.onSyncStateChanged?.(this.accountId, state);
  }

  private notifyIdle(): void {
    if (!this.isIdle()) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}

/** The chats a batch of events concerns. */
function chatsOf(events: readonly TgEvent[]): Set<number> {
  const out = new Set<number>();
  for (const e of events) {
    if (e.kind === 'message' || e.kind === 'messageSendSucceeded') out.add(e.message.tdChatId);
    else if (e.kind === 'chat') out.add(e.chat.tdChatId);
    else if ('tdChatId' in e && typeof e.tdChatId === 'number') out.add(e.tdChatId);
  }
  return out;
}
