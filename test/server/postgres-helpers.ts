import pg from 'pg';
import { randomBytes } from 'node:crypto';

/**
 * The PostgreSQL the tests run against, e.g. postgres://postgres@127.0.0.1:5432/test (`.ci/run`
 * sets it). Without it the PostgreSQL tests are skipped, so `npm test` passes without a database.
 */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL;

/** `{ skip }` for node:test: false when a database is configured, else the reason. */
export const pgSkip: string | false = TEST_DATABASE_URL
  ? false
  : 'TEST_DATABASE_URL not set: PostgreSQL tests need a server, e.g. TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test';

export interface TestSchema {
  name: string;
  /** TEST_DATABASE_URL with `search_path` set to this schema (plus any extra `-c` settings). */
  url(settings?: Record<string, string>): string;
  /** Drops the schema and everything in it. */
  drop(): Promise<void>;
}

/** A fresh, empty schema of its own, so runs and tests never see each other's rows. */
export async function createTestSchema(): Promise<TestSchema> {
  if (!TEST_DATABASE_URL) throw new Error(pgSkip || 'TEST_DATABASE_URL not set');
  const base = TEST_DATABASE_URL;
  const name = `cpc_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  await adminQuery(`CREATE SCHEMA ${name}`);
  return {
    name,
    url(settings = {}) {
      const url = new URL(base);
      url.searchParams.set(
        'options',
        Object.entries({ search_path: name, ...settings })
          .map(([k, v]) => `-c ${k}=${v}`)
          .join(' '),
      );
      return url.href;
    },
    drop: () => adminQuery(`DROP SCHEMA IF EXISTS ${name} CASCADE`).then(() => undefined),
  };
}

/** One statement on a short-lived connection of its own. */
export async function adminQuery<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    return (await client.query<R>(sql, params)).rows;
  } finally {
    await client.end();
  }
}
