/**
 * The daemon's core: the store plus one AccountSync per account. The CLI builds it with real
 * TDLib or the simulator; the API reads through `queries` and acts through the app's actions.
 */
import type { Kysely } from 'kysely';
import type { Logger } from '../shared/log.ts';
import { ensureAccounts } from '../store/accounts.repository.ts';
import type { Database } from '../store/schema.ts';
import type { TelegramAccount } from '../tdlib/port.ts';
import { AccountSync } from './account-sync.ts';
import { Queries } from './queries.ts';

export interface DaemonOptions {
  readonly db: Kysely<Database>;
  readonly accounts: readonly TelegramAccount[];
  readonly logger: Logger;
  readonly now?: () => number;
  readonly backfillMessages?: number;
}

export class Daemon {
  readonly queries: Queries;
  readonly syncs: ReadonlyMap<string, AccountSync>;
  private readonly logger: Logger;
  private readonly db: Kysely<Database>;
  private readonly now: () => number;

  constructor(options: DaemonOptions) {
    this.db = options.db;
    this.logger = options.logger;
    this.now = options.now ?? Date.now;
    this.queries = new Queries(options.db);
    this.syncs = new Map(
      options.accounts.map((account) => [
        account.accountId,
        new AccountSync({
          db: options.db,
          account,
          logger: options.logger.child('sync', { accountId: account.accountId }),
          now: this.now,
          backfillMessages: options.backfillMessages ?? 1000,
          onSyncStateChanged: (accountId, state) => options.logger.info('sync state', { accountId, state }),
        }),
      ]),
    );
  }

  async start(): Promise<void> {
    await ensureAccounts(this.db, [...this.syncs.keys()], this.now());
    // Accounts start independently: one that cannot start (bad database key, lost session) must not stop the others.
    await Promise.all(
      [...this.syncs.values()].map((s) =>
        s.start().catch((error) => this.logger.error('account failed to start', { accountId: s.accountId, error })),
      ),
    );
  }

  /** Resolves when every account has loaded its chats and finished its reconcile passes. */
  async whenSynced(): Promise<void> {
    await Promise.all([...this.syncs.values()].map((s) => s.whenIdle()));
  }

  /** Closes every TDLib client cleanly and waits for all of them (DESIGN.md §6: never kill TDLib mid-write). */
  async close(): Promise<void> {
    await Promise.allSettled([...this.syncs.values()].map((s) => s.close()));
  }
}
