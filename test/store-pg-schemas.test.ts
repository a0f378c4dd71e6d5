/**
 * Several tgdesk stores share one PostgreSQL database, each in its own schema (installations,
 * parallel tests): one must migrate while others come and go.
 */
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { openStore } from '../src/store/database.ts';
import { dropSchema, TEST_DATABASE_URL } from './helpers/stores.ts';

describe('a PostgreSQL store beside other schemas', () => {
  it('migrates while other schemas with tables are dropped under it', async () => {
    const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await client.connect();
    const others = Array.from({ length: 30 }, (_, i) => `churn_${process.pid}_${i}`);
    const fill = async (name: string) => {
      await client.query(`CREATE SCHEMA ${name}`);
      await client.query(Array.from({ length: 20 }, (_, t) => `CREATE TABLE ${name}.t${t} (id bigserial PRIMARY KEY, a text, b bigint, c bigserial)`).join(';'));
    };
    for (const name of others) {
      await client.query(`DROP SCHEMA IF EXISTS ${name} CASCADE`);
      await fill(name);
    }
    let churning = true;
    // Other stores appear and disappear all the time, each with a few tables of serial columns.
    const churn = (async () => {
      for (let round = 0; churning && round < 400; round++) {
        const name = others[round % others.length]!;
        await client.query(`DROP SCHEMA IF EXISTS ${name} CASCADE`);
        await fill(name);
      }
    })();
    const failures: string[] = [];
    try {
      for (let i = 0; i < 6; i++) {
        const schema = `t_churn_${process.pid}_${i}`;
        const store = await openStore({ dataDir: '/nonexistent', databaseUrl: TEST_DATABASE_URL, pgSchema: schema, pgPoolSize: 2 });
        try {
          await store.migrate();
        } catch (error) {
          failures.push(String(error));
        } finally {
          await store.close();
          await dropSchema(schema);
        }
      }
    } finally {
      churning = false;
      await churn;
      for (const name of others) await client.query(`DROP SCHEMA IF EXISTS ${name} CASCADE`);
      await client.end();
    }
    expect(failures).toEqual([]);
  }, 120_000);
});
