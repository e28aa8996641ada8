/**
 * Pay → SSE latency: how long after the sandbox's "payer pays" call a live stream receives `paid`.
 * The path measured is the real one: sandbox settles → signs and POSTs the CASHIN_PAID webhook →
 * the server verifies, writes and applies it → the bus → the SSE stream → the client.
 *
 *   npm run bench                 # 50 checkouts
 *   npm run bench -- --count 200
 *
 * Loopback only, bounded by --count, stops by itself.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ROUTES, type CreatedCheckout, type PixChargeView } from '../server/contract.js';
import { loadConfig } from '../server/config.js';
import { createLogger } from '../server/logger.js';
import { startServer } from '../server/server.js';

const { values } = parseArgs({ options: { count: { type: 'string', default: '50' } } });
const count = Math.min(Math.max(Number(values.count) || 50, 20), 2000);

const dir = mkdtempSync(join(os.tmpdir(), 'cpc-bench-'));
const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', DATABASE_URL: `sqlite:${join(dir, 'bench.db')}`, LOG_LEVEL: 'silent' });
const server = await startServer(config, { logger: createLogger('silent') });
const auth = { authorization: `Bearer ${config.checkoutApiKey}`, 'content-type': 'application/json' };

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** Resolves with the time `paid` arrived on the stream. */
async function openStream(checkout: CreatedCheckout): Promise<{ ready: Promise<void>; paidAt: Promise<number>; close: () => void }> {
  const controller = new AbortController();
  const res = await fetch(`${server.url}${ROUTES.events(checkout.id)}?client_secret=${encodeURIComponent(checkout.clientSecret)}`, { signal: controller.signal });
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
    const created = (await (await fetch(server.url + '/v1/checkouts', { method: 'POST', headers: auth, body: JSON.stringify({ amount: 1000 + i, externalReference: `bench-${i}`, payer: { name: 'Bench Payer', document: '12345678909' } }) })).json()) as CreatedCheckout;
    const charge = (await (await fetch(server.url + ROUTES.pix(created.id), { method: 'POST', headers: { authorization: `Bearer ${created.clientSecret}`, 'content-type': 'application/json' }, body: '{}' })).json()) as PixChargeView;
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

const sorted = [...latencies].sort((a, b) => a - b);
const fmt = (ms: number) => `${ms.toFixed(1)} ms`;
console.log(`pay → SSE latency over ${count} checkouts (sandbox webhook hop included, SQLite WAL synchronous=FULL)`);
console.log(`machine: ${os.cpus().length} × ${os.cpus()[0]?.model.trim()}, Node ${process.version}`);
console.log(`p50 ${fmt(percentile(sorted, 50))}  p90 ${fmt(percentile(sorted, 90))}  p99 ${fmt(percentile(sorted, 99))}  max ${fmt(sorted.at(-1)!)}`);
