import type { Migration } from 'kysely';

export type Dialect = 'sqlite' | 'postgres';

/** A migration that may differ per dialect (auto-increment ids, extensions, full-text search). */
export type MigrationFactory = (dialect: Dialect) => Migration;

/** The auto-increment primary key column of each dialect. */
export const serialId = (dialect: Dialect) => (dialect === 'postgres' ? ('bigserial' as const) : ('integer' as const));
