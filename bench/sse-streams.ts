/**
 * Benchmark 1: how many concurrent SSE streams one server instance holds, and what each costs in
 * memory. The server runs in its own process (measured after a full GC, before and after the
 * streams); this process is the clients, one socket per stream as browsers do.
 *
 *   npx tsx bench/sse-streams.ts [--streams 10000]
 */
import { parseArgs } from 'node:util';
import { sqliteDatabase } from './lib/databases.js';
import { report } from './lib/report.js';
import { seedCheckouts } from './lib/seed.js';
import { startServerProcess } from './lib/server-process.js';
import { openStreams } from './lib/sse-client.js';
import { kb, mb } from './lib/stats.js';

const TARGET = 10_000;
const { values } = parseArgs({ options: { streams: { type: 'string', default: String(TARGET) } } });
const count = Math.min(Math.max(Number(values.streams) || TARGET, 100), 20_000);

const db = sqliteDatabase();
const checkouts = await seedCheckouts(db.url, count + 100, { withCharge: false, tag: 'streams' });
const server = await startServerProcess({ DATABASE_URL: db.url });
try {
  // Warm up (routes, JIT, lazily built objects), so the baseline holds what any running server holds.
  (await openStreams(server.url, checkouts.slice(count))).forEach((s) => s.close());
  await new Promise((r) => setTimeout(r, 500));
  const before = await server.stats();

  const started = performance.now();
  const streams = await openStreams(server.url, checkouts.slice(0, count));
  const openSeconds = (performance.now() - started) / 1000;
  // Held, not just opened: past a heartbeat-free pause, every stream is still counted by the server.
  await new Promise((r) => setTimeout(r, 2000));
  const held = await server.stats();
  streams.forEach((s) => s.close());

  const rssPer = (held.memory.rss - before.memory.rss) / count;
  const heapPer = (held.memory.heapUsed - before.memory.heapUsed) / count;
  report([
    {
      bench: '1. concurrent SSE streams, one instance',
      setup: `${count.toLocaleString('en')} streams, SQLite, loopback`,
      result:
        `${held.streams.toLocaleString('en')} held (opened in ${openSeconds.toFixed(1)} s); ` +
        `${kb(rssPer)} RSS and ${kb(heapPer)} JS heap per stream (RSS ${mb(before.memory.rss)} → ${mb(held.memory.rss)}, heap ${mb(before.memory.heapUsed)} → ${mb(held.memory.heapUsed)})`,
      target: `${TARGET.toLocaleString('en')} streams`,
      met: held.streams >= TARGET,
    },
  ]);
} finally {
  await server.stop();
  await db.drop();
}
