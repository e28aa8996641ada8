import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/** A throwaway database for one benchmark: a SQLite file, or a schema of its own in PostgreSQL. */
export interface BenchDatabase {
  kind: 'sqlite' | 'postgres';
  /** The DATABASE_URL to give the server. */
  url: string;
  drop(): Promise<void>;
}

export function sqliteDatabase(): BenchDatabase {
  const dir = mkdtempSync(join(tmpdir(), 'cpc-bench-'));
  return { kind: 'sqlite', url: `sqlite:${join(dir, 'bench.db')}`, drop: async () => rmSync(dir, { recursive: true, force: true }) };
}

/** Which PostgreSQL the benchmarks use: BENCH_DATABASE_URL, else TEST_DATABASE_URL. */
export const POSTGRES_URL = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL;
export const POSTGRES_MISSING = 'skipped: set BENCH_DATABASE_URL or TEST_DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/test)';

export async function postgresDatabase(): Promise<BenchDatabase> {
  if (!POSTGRES_URL) throw new Error(POSTGRES_MISSING);
  const schema = `cpc_bench_${process.pid}_${Date.now().toString(36)}`;
  await admin(`CREATE SCHEMA ${schema}`);
  const url = new URL(POSTGRES_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return { kind: 'postgres', url: url.href, drop: () => admin(`DROP SCHEMA IF EXISTS ${schema} CASCADE`) };
}

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
