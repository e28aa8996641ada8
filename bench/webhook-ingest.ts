/**
 * Benchmark 2: signed CASHIN_PAID webhooks per second one instance takes, each verified, written
 * durably (SQLite WAL synchronous=FULL, or PostgreSQL with its default synchronous_commit=on),
 * applied and fanned out (the bus; PostgreSQL adds NOTIFY) to SSE streams held on the paid checkouts.
 *
 * Bounded by count and by time: it stops sending at `--count` webhooks or after `--seconds`.
 *
 * A last row gives the machine's ceiling: the same client against a server that only answers 200.
 *
 *   npx tsx bench/webhook-ingest.ts [--count 5000] [--seconds 15] [--connections 64] [--streams 1000] [--db both|sqlite|postgres]
 */
import { parseArgs } from 'node:util';
import { POSTGRES_MISSING, POSTGRES_URL, postgresDatabase, sqliteDatabase, type BenchDatabase } from './lib/databases.js';
import { report, type BenchRow } from './lib/report.js';
import { seedCheckouts } from './lib/seed.js';
import { startServerProcess } from './lib/server-process.js';
import { openStreams } from './lib/sse-client.js';
import { ms, pool, summarize } from './lib/stats.js';
import { cashInPaidBody, webhookSender } from './lib/webhooks.js';

const TARGET_PER_SECOND = 2000;
const WARMUP = 300;
const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '5000' },
    seconds: { type: 'string', default: '15' },
    connections: { type: 'string', default: '64' },
    streams: { type: 'string', default: '1000' },
    db: { type: 'string', default: 'both' },
  },
});
const count = Math.min(Math.max(Number(values.count) || 5000, 100), 50_000);
const seconds = Math.min(Math.max(Number(values.seconds) || 15, 1), 120);
const connections = Math.min(Math.max(Number(values.connections) || 64, 1), 512);
const streamCount = Math.min(Math.max(Number(values.streams) || 0, 0), count);

async function ingest(db: BenchDatabase): Promise<BenchRow> {
  const checkouts = await seedCheckouts(db.url, count + WARMUP, { withCharge: true, tag: `ingest-${db.kind}` });
  const warmup = checkouts.slice(count);
  const measured = checkouts.slice(0, count);
  const server = await startServerProcess({ DATABASE_URL: db.url });
  const sender = webhookSender(server.url, connections);
  try {
    const streams = await openStreams(server.url, measured.slice(0, streamCount));
    await pool(warmup.length, connections, (i) => sender.send(cashInPaidBody(warmup[i]!.transactionId!, warmup[i]!.amount)));
    const before = await server.stats();

    const bodies = measured.map((c) => cashInPaidBody(c.transactionId!, c.amount));
    const started = performance.now();
    const answers = await pool(bodies.length, connections, (i) => sender.send(bodies[i]!), started + seconds * 1000);
    const elapsed = (performance.now() - started) / 1000;
    const after = await server.stats();

    const failed = answers.filter((a) => a.status !== 200).length;
    if (failed > 0) throw new Error(`${failed} webhooks were not answered 200`);
    // The streams on checkouts that were paid (the first ones, when time ran out first) all hear it.
    const paidStreams = streams.slice(0, answers.length);
    const timeout = new Promise<'timeout'>((resolve) => setTimeout(resolve, 10_000, 'timeout').unref());
    const fannedOut = await Promise.race([Promise.all(paidStreams.map((s) => s.arrival('paid'))), timeout]);
    streams.forEach((s) => s.close());
    if (fannedOut === 'timeout') throw new Error('not every stream received paid within 10 s');

    const rate = answers.length / elapsed;
    const cpuMsPerWebhook = (after.cpu.user + after.cpu.system - before.cpu.user - before.cpu.system) / 1000 / answers.length;
    const answer = summarize(answers.map((a) => a.ms));
    return {
      bench: `2. webhook ingest, ${db.kind === 'sqlite' ? 'SQLite' : 'PostgreSQL'}`,
      setup: `${answers.length.toLocaleString('en')} webhooks in ${elapsed.toFixed(1)} s, ${connections} connections, ${paidStreams.length.toLocaleString('en')} streams fanned out to`,
      result: `${Math.round(rate).toLocaleString('en')} webhooks/s; answer p50 ${ms(answer.p50)}, p99 ${ms(answer.p99)}; server CPU ${cpuMsPerWebhook.toFixed(2)} ms/webhook`,
      target: `≥ ${TARGET_PER_SECOND.toLocaleString('en')}/s`,
      met: rate >= TARGET_PER_SECOND,
    };
  } finally {
    sender.close();
    await server.stop();
  }
}

/** The same client against a server that does no work: what this machine allows at all. */
async function ceiling(): Promise<BenchRow> {
  const server = await startServerProcess({}, 'bench/lib/noop-child.ts');
  const sender = webhookSender(server.url, connections);
  try {
    const body = cashInPaidBody('bench_noop', 1000);
    await pool(WARMUP, connections, () => sender.send(body));
    const started = performance.now();
    const answers = await pool(count, connections, () => sender.send(body), started + seconds * 1000);
    const rate = answers.length / ((performance.now() - started) / 1000);
    return {
      bench: '2. webhook ingest, ceiling',
      setup: `same client, a server that only answers 200`,
      result: `${Math.round(rate).toLocaleString('en')} requests/s`,
    };
  } finally {
    sender.close();
    await server.stop();
  }
}

const rows: BenchRow[] = [];
for (const kind of values.db === 'both' ? ['sqlite', 'postgres'] : [values.db]) {
  if (kind === 'postgres' && !POSTGRES_URL) {
    rows.push({ bench: '2. webhook ingest, PostgreSQL', setup: '-', result: POSTGRES_MISSING });
    continue;
  }
  const db = kind === 'sqlite' ? sqliteDatabase() : await postgresDatabase();
  try {
    rows.push(await ingest(db));
  } finally {
    await db.drop();
  }
}
rows.push(await ceiling());
report(rows);
