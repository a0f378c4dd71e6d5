/**
 * Reading the audit log that every action writes (actions.ts, preferences.ts).
 */
import type { Kysely } from 'kysely';
import type { ChatKey } from '../domain/ids.ts';
import type { Database } from '../store/schema.ts';
import { listAudit } from '../store/team.repository.ts';

export interface AuditEntryView {
  readonly id: number;
  readonly at: number;
  readonly actor: string;
  readonly action: string;
  readonly accountId: string | null;
  readonly chatKey: ChatKey | null;
  readonly details: Record<string, unknown>;
  readonly outcome: 'ok' | 'error';
  readonly errorCode: string | null;
}

export class AuditLog {
  constructor(private readonly db: Kysely<Database>) {}

  /** Newest first; `beforeId` pages back. */
  async list(q: { limit: number; beforeId?: number; chatKey?: ChatKey; action?: string }): Promise<AuditEntryView[]> {
    const rows = await listAudit(this.db, q);
    return rows.map((r) => ({ ...r, id: r.id ?? 0 }));
  }
}
