/**
 * Pay → SSE latency: how long after the sandbox's "payer pays" call a live stream receives `paid`.
 * The path measured is the real one: sandbox settles → signs and POSTs the CASHIN_PAID webhook →
 * the server verifies, writes and applies it → the bus → the SSE stream → the client.
 *
 *   npx tsx bench/pay-to-sse.ts              # 50 checkouts
 *   npx tsx bench/pay-to-sse.ts --count 200
 *
 * Loopback only, bounded by --count, stops by itself.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ROUTES, type CreatedCheckout, type PixChargeView } from '../widget/contract/wire-contract.js';
import { loadConfig } from '../server/config.js';
import { createLogger } from '../server/logger.js';
import { startServer } from '../server/server.js';
import { report } from './lib/report.js';
import { ms, summarize } from './lib/stats.js';

const { values } = parseArgs({ options: { count: { type: 'string', default: '50' } } });
const count = Math.min(Math.max(Number(values.count) || 50, 20), 2000);

const dir = mkdtempSync(join(os.tmpdir(), 'cpc-bench-'));
const config = loadConfig({
  PORT: '0',
  HOST: '127.0.0.1',
  DATABASE_URL: `sqlite:${join(dir, 'bench.db')}`,
  SANDBOX_STATE_FILE: ':memory:',
  LOG_LEVEL: 'silent',
});
const server = await startServer(config, { logger: createLogger('silent') });
const auth = { authorization: `Bearer ${config.checkoutApiKey}`, 'content-type': 'application/json' };

/** Resolves with the time `paid` arrived on the stream. */
async function openStream(checkout: CreatedCheckout): Promise<{ ready: Promise<void>; paidAt: Promise<number>; close: () => void }> {
  const controller = new AbortController();
  const res = await fetch(`${server.url}${ROUTES.events(checkout.id)}?client_secret=${encodeURIComponent(checkout.clientSecret)}`, {
    signal: controller.signal,
  });
  let markReady!: () => void;
  const ready = new Promise<void>((r) => (markReady = r));
  const paidAt = (async () => {
    let buffer = '';
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    for (;;) {
      const { value: chunk, done } = await reader.read();
      if (done) break;
      buffer += chunk;
      if (buffer.includes('"status":"awaiting_payment"')) markReady();
      if (buffer.includes('"status":"paid"')) return performance.now();
    }
    throw new Error('stream ended before paid');
  })();
  return { ready, paidAt, close: () => controller.abort() };
}

const latencies: number[] = [];
try {
  for (let i = 0; i < count; i++) {
    const created = (await (
      await fetch(server.url + '/v1/checkouts', {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({
          amount: 1000 + i,
          externalReference: `bench-${i}`,
          payer: { name: 'Bench Payer', document: '12345678909' },
        }),
      })
    ).json()) as CreatedCheckout;
    const charge = (await (
      await fetch(server.url + ROUTES.pix(created.id), {
        method: 'POST',
        headers: { authorization: `Bearer ${created.clientSecret}`, 'content-type': 'application/json' },
        body: '{}',
      })
    ).json()) as PixChargeView;
    const stream = await openStream(created);
    await stream.ready;
    const start = performance.now();
    const pay = await fetch(`${server.url}/sandbox/cash-in/${charge.transactionId}/pay`, { method: 'POST' });
    if (pay.status !== 200) throw new Error(`pay answered ${pay.status}`);
    latencies.push((await stream.paidAt) - start);
    stream.close();
  }
} finally {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
}

const latency = summarize(latencies);
report([
  {
    bench: '0. sandbox pay → SSE',
    setup: `${count} checkouts one at a time, embedded sandbox, SQLite`,
    result: `p50 ${ms(latency.p50)}, p90 ${ms(latency.p90)}, p99 ${ms(latency.p99)}, max ${ms(latency.max)} (the sandbox's webhook hop included)`,
  },
]);
