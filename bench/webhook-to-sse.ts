/**
 * Benchmark 3: webhook → SSE client latency, p50 and p99, while the instance holds 1,000 and then
 * 10,000 open streams. Each sample is one checkout paid by a signed webhook while its payer's
 * stream is open; the other streams stay open and idle around it.
 *
 *   npx tsx bench/webhook-to-sse.ts [--streams 1000,10000] [--samples 200]
 */
import { parseArgs } from 'node:util';
import { sqliteDatabase } from './lib/databases.js';
import { webhookToStreamLatencies } from './lib/latency.js';
import { report, type BenchRow } from './lib/report.js';
import { seedCheckouts } from './lib/seed.js';
import { startServerProcess } from './lib/server-process.js';
import { openStreams, type Stream } from './lib/sse-client.js';
import { ms, summarize } from './lib/stats.js';

const { values } = parseArgs({
  options: { streams: { type: 'string', default: '1000,10000' }, samples: { type: 'string', default: '200' } },
});
const levels = values.streams
  .split(',')
  .map((s) => Math.min(Math.max(Number(s) || 1000, 10), 20_000))
  .sort((a, b) => a - b);
const samples = Math.min(Math.max(Number(values.samples) || 200, 10), 2000);
const most = levels.at(-1)!;

const db = sqliteDatabase();
const idle = await seedCheckouts(db.url, most, { withCharge: false, tag: 'idle' });
const payable = await seedCheckouts(db.url, samples * levels.length, { withCharge: true, tag: 'payable' });
const server = await startServerProcess({ DATABASE_URL: db.url });
const held: Stream[] = [];
const rows: BenchRow[] = [];
try {
  for (const [phase, level] of levels.entries()) {
    // Top the idle streams up so that, with this phase's payers, `level` streams are open.
    held.push(...(await openStreams(server.url, idle.slice(held.length, level - samples))));
    const batch = payable.slice(phase * samples, (phase + 1) * samples);
    const streams = await openStreams(server.url, batch);
    const open = (await server.stats()).streams;
    const latency = summarize(
      await webhookToStreamLatencies(
        server.url,
        batch.map((checkout, i) => ({ checkout, stream: streams[i]! })),
      ),
    );
    rows.push({
      bench: '3. webhook → SSE latency',
      setup: `${open.toLocaleString('en')} open streams, ${samples} payments one at a time, SQLite`,
      result: `p50 ${ms(latency.p50)}, p99 ${ms(latency.p99)} (max ${ms(latency.max)})`,
    });
  }
} finally {
  held.forEach((s) => s.close());
  await server.stop();
  await db.drop();
}
report(rows);
