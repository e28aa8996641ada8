/**
 * Benchmark 4: cross-instance latency on PostgreSQL. Two instances on one database; the webhook
 * lands on A and the payer's stream is held by B (NOTIFY → B reads the event → SSE), compared in
 * the same run with the stream held by A itself.
 *
 *   npx tsx bench/cross-instance.ts [--samples 200]
 */
import { parseArgs } from 'node:util';
import { POSTGRES_MISSING, POSTGRES_URL, postgresDatabase } from './lib/databases.js';
import { webhookToStreamLatencies } from './lib/latency.js';
import { report } from './lib/report.js';
import { seedCheckouts, type SeededCheckout } from './lib/seed.js';
import { startServerProcess } from './lib/server-process.js';
import { openStreams } from './lib/sse-client.js';
import { ms, summarize } from './lib/stats.js';

const BATCH = 20;
const { values } = parseArgs({ options: { samples: { type: 'string', default: '200' } } });
const samples = Math.min(Math.max(Number(values.samples) || 200, BATCH), 2000);

async function run(databaseUrl: string): Promise<void> {
  const checkouts = await seedCheckouts(databaseUrl, samples * 2, { withCharge: true, tag: 'cross' });
  const [a, b] = await Promise.all([startServerProcess({ DATABASE_URL: databaseUrl }), startServerProcess({ DATABASE_URL: databaseUrl })]);
  try {
    const measure = async (streamsOn: string, batch: SeededCheckout[]) => {
      const streams = await openStreams(streamsOn, batch);
      return webhookToStreamLatencies(
        a.url,
        batch.map((checkout, i) => ({ checkout, stream: streams[i]! })),
      );
    };
    const cross: number[] = [];
    const local: number[] = [];
    // Batches alternate between B and A, so a slow patch of the machine does not land on one side only.
    for (let i = 0; i < samples; i += BATCH) {
      cross.push(...(await measure(b.url, checkouts.slice(i, i + BATCH))));
      local.push(...(await measure(a.url, checkouts.slice(samples + i, samples + i + BATCH))));
    }
    const [c, l] = [summarize(cross), summarize(local)];
    report([
      {
        bench: '4. cross-instance latency, PostgreSQL',
        setup: `webhook on A, stream on B; ${cross.length} payments one at a time`,
        result: `p50 ${ms(c.p50)}, p99 ${ms(c.p99)} (stream on A itself: p50 ${ms(l.p50)}, p99 ${ms(l.p99)})`,
      },
    ]);
  } finally {
    await Promise.all([a.stop(), b.stop()]);
  }
}

if (!POSTGRES_URL) {
  report([{ bench: '4. cross-instance latency, PostgreSQL', setup: '-', result: POSTGRES_MISSING }]);
} else {
  const db = await postgresDatabase();
  try {
    await run(db.url);
  } finally {
    await db.drop();
  }
}
