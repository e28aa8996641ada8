/**
 * Benchmark 6: how long after a payment the payer's screen shows it — this product's SSE stream
 * against polling at the anchors' cadence (docs/anchors.md §1.2, Adyen's status polling: a call at
 * mount, then one call 2 s after the previous answer, 10 s once a minute has passed).
 *
 * One run: `--payments` payments at seeded random times over the first `--window` seconds after
 * the code is shown. SSE delays are drawn from real webhook → stream measurements on a live
 * server; polling delays follow the schedule, each poll costing a real measured round trip of
 * GET /v1/checkouts/:id/session. Both exclude what they share: the PSP settling the payment and
 * the network between the PSP or the browser and us.
 *
 *   npx tsx bench/detection-delay.ts [--payments 10000] [--window 300] [--samples 200] [--seed 42]
 */
import { parseArgs } from 'node:util';
import { ROUTES } from '../widget/contract/wire-contract.js';
import { sqliteDatabase } from './lib/databases.js';
import { webhookToStreamLatencies } from './lib/latency.js';
import { report } from './lib/report.js';
import { seedCheckouts } from './lib/seed.js';
import { startServerProcess } from './lib/server-process.js';
import { openStreams } from './lib/sse-client.js';
import { mean, ms, percentile, seededRandom, summarize } from './lib/stats.js';

const POLL = { delayMs: 2000, throttleAfterMs: 60_000, throttledDelayMs: 10_000 };
const { values } = parseArgs({
  options: {
    payments: { type: 'string', default: '10000' },
    window: { type: 'string', default: '300' },
    samples: { type: 'string', default: '200' },
    seed: { type: 'string', default: '42' },
  },
});
const payments = Math.min(Math.max(Number(values.payments) || 10_000, 100), 1_000_000);
const windowMs = Math.min(Math.max(Number(values.window) || 300, 10), 3600) * 1000;
const samples = Math.min(Math.max(Number(values.samples) || 200, 10), 2000);
const seed = Number(values.seed) || 42;

/** Real measurements: webhook → SSE latencies, and poll round trips, from one live server. */
async function measure(): Promise<{ sse: number[]; pollRoundTrips: number[] }> {
  const db = sqliteDatabase();
  const server = await startServerProcess({ DATABASE_URL: db.url });
  try {
    const checkouts = await seedCheckouts(db.url, samples, { withCharge: true, tag: 'detect' });
    const pollRoundTrips: number[] = [];
    for (const { checkoutId, clientSecret } of checkouts) {
      const started = performance.now();
      const res = await fetch(server.url + ROUTES.session(checkoutId), { headers: { authorization: `Bearer ${clientSecret}` } });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`session answered ${res.status}`);
      pollRoundTrips.push(performance.now() - started);
    }
    const streams = await openStreams(server.url, checkouts);
    const sse = await webhookToStreamLatencies(
      server.url,
      checkouts.map((checkout, i) => ({ checkout, stream: streams[i]! })),
    );
    return { sse, pollRoundTrips };
  } finally {
    await server.stop();
    await db.drop();
  }
}

/**
 * When a poller started at 0 sees a payment made at `paidAt`: the first poll that reaches the
 * server (half its round trip after it starts) after the payment, plus the way back.
 */
function pollingDetection(paidAt: number, roundTrip: () => number): { delay: number; polls: number } {
  let start = 0;
  for (let polls = 1; ; polls++) {
    const rtt = roundTrip();
    if (start + rtt / 2 >= paidAt) return { delay: start + rtt - paidAt, polls };
    start += rtt + (start + rtt < POLL.throttleAfterMs ? POLL.delayMs : POLL.throttledDelayMs);
  }
}

const { sse, pollRoundTrips } = await measure();
const random = seededRandom(seed);
const pick = (values: number[]) => values[Math.floor(random() * values.length)]!;
const sseDelays: number[] = [];
const pollDelays: number[] = [];
const pollsPerPayer: number[] = [];
for (let i = 0; i < payments; i++) {
  const paidAt = random() * windowMs;
  sseDelays.push(pick(sse));
  const polled = pollingDetection(paidAt, () => pick(pollRoundTrips));
  pollDelays.push(polled.delay);
  pollsPerPayer.push(polled.polls);
}

const s = summarize(sseDelays);
const p = summarize(pollDelays);
report([
  {
    bench: '6. payment → payer sees it',
    setup: `${payments.toLocaleString('en')} payments at random in the first ${windowMs / 1000} s (seed ${seed})`,
    result:
      `SSE mean ${ms(s.mean)} (p50 ${ms(s.p50)}, p99 ${ms(s.p99)}); polling 2 s/10 s mean ${ms(p.mean)} (p50 ${ms(p.p50)}, p99 ${ms(p.p99)}); ` +
      `polling takes ${(p.mean / s.mean).toFixed(0)}× longer on average (${(p.p50 / s.p50).toFixed(0)}× at p50) and ${mean(pollsPerPayer).toFixed(0)} requests per payer ` +
      `(p99 ${percentile(pollsPerPayer, 99)}) against 1 stream`,
  },
]);
