/**
 * Time to QR: from the moment `<connectpsp-checkout>` connects on a merchant page to the moment its
 * QR code is drawn, in headless Chromium with the network emulated at a phone-like 150 ms round
 * trip (Chrome DevTools Protocol `Network.emulateNetworkConditions`), counted in round trips (the
 * widget's REST calls that answered before the QR) and in milliseconds.
 *
 * Two ways a merchant whose backend knows the payer can set up the page:
 * - `createCharge: "pix"` on `POST /v1/checkouts`: the charge exists before the page loads and the
 *   session answer carries it — one round trip;
 * - without it: the widget asks for the session, then `POST …/pix` — two round trips.
 *
 *   npm run build && npx tsx bench/time-to-qr.ts            # 10 page loads per case
 *   npx tsx bench/time-to-qr.ts --samples 20 --rtt 150
 *
 * Loopback only (the emulated latency stands for the phone network), bounded by --samples.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { chromium, type Browser } from '@playwright/test';

import { createDemoRouter } from '../server/demo/demo-router.js';
import type { CreatedCheckout } from '../widget/contract/wire-contract.js';
import { loadConfig } from '../server/config.js';
import { createLogger } from '../server/logger.js';
import { startServer } from '../server/server.js';
import { BUNDLE_FILE } from './lib/bundle.js';
import { report } from './lib/report.js';
import { ROOT } from './lib/server-process.js';
import { ms, summarize } from './lib/stats.js';

const { values } = parseArgs({ options: { samples: { type: 'string', default: '10' }, rtt: { type: 'string', default: '150' } } });
const samples = Math.min(Math.max(Number(values.samples) || 10, 3), 100);
const rttMs = Math.min(Math.max(Number(values.rtt) || 150, 0), 2000);

if (!existsSync(join(ROOT, BUNDLE_FILE))) {
  report([{ bench: '10. time to QR (Chromium)', setup: BUNDLE_FILE, result: `${BUNDLE_FILE} not found: run npm run build first` }]);
  process.exit(0);
}

const dir = mkdtempSync(join(os.tmpdir(), 'cpc-bench-qr-'));
const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', DATABASE_URL: `sqlite:${join(dir, 'bench.db')}`, LOG_LEVEL: 'silent' });
const server = await startServer(config, {
  logger: createLogger('silent'),
  mount: (app) =>
    app.use(createDemoRouter({ apiKey: config.checkoutApiKey, distDir: fileURLToPath(new URL('../widget/dist', import.meta.url)) })),
});
const executablePath = process.env.CHROMIUM_PATH || (existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : undefined);
const PAGE = '/bench-time-to-qr.html';

interface Sample {
  ms: number;
  roundTrips: number;
}

/** One page load: a fresh checkout, a fresh page, the network at `rttMs`. */
async function measure(browser: Browser, createCharge: boolean, i: number): Promise<Sample> {
  const body = {
    amount: 4990,
    externalReference: `bench-qr-${createCharge ? 'a' : 'b'}-${i}-${Date.now()}`,
    payer: { name: 'Bench Payer', document: '12345678909' },
    ...(createCharge ? { createCharge: 'pix' } : {}),
  };
  const answer = await fetch(`${server.url}/v1/checkouts`, {
    method: 'POST',
    headers: { authorization: `Bearer ${config.checkoutApiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (answer.status !== 201) throw new Error(`POST /v1/checkouts answered ${answer.status}: ${await answer.text()}`);
  const checkout = (await answer.json()) as CreatedCheckout;

  const context = await browser.newContext();
  const page = await context.newPage();
  try {
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: rttMs, downloadThroughput: -1, uploadThroughput: -1 });
    await page.route(`**${PAGE}`, (route) =>
      route.fulfill({
        contentType: 'text/html; charset=utf-8',
        body: `<!doctype html><html lang="pt-BR"><head><meta charset="utf-8"><title>bench</title>
<script src="/dist/connectpsp-checkout.iife.js" defer></script></head><body><h1>Checkout</h1>
<connectpsp-checkout checkout-id="${checkout.id}" client-secret="${checkout.clientSecret}" server="/" method="pix"></connectpsp-checkout></body></html>`,
      }),
    );
    // t0: the element is defined, so it has connected; t1: its status says the code is on screen
    // (set in the same update that draws the QR).
    await page.addInitScript(() => {
      const w = window as unknown as { __t0: number; __t1: number };
      void customElements.whenDefined('connectpsp-checkout').then(() => (w.__t0 = performance.now()));
      new MutationObserver(() => {
        if (!w.__t1 && document.querySelector('connectpsp-checkout[status="awaiting_payment"]')) w.__t1 = performance.now();
      }).observe(document, { subtree: true, attributes: true, attributeFilter: ['status'] });
    });
    await page.goto(`${server.url}${PAGE}`);
    await page.waitForFunction(() => (window as unknown as { __t1?: number }).__t1 !== undefined, undefined, { timeout: 30_000 });
    const drawn = await page.evaluate(() => !!document.querySelector('connectpsp-checkout')!.shadowRoot!.querySelector('svg.qr'));
    if (!drawn) throw new Error('status awaiting_payment without a QR on screen');
    return await page.evaluate(() => {
      const { __t0: t0, __t1: t1 } = window as unknown as { __t0: number; __t1: number };
      // The widget's REST calls that had answered when the QR was drawn (the live stream is opened
      // as it is drawn, so it is not on the way).
      const calls = performance
        .getEntriesByType('resource')
        .filter(
          (e) => e.name.includes('/v1/checkouts/') && !e.name.includes('/events') && (e as PerformanceResourceTiming).responseEnd <= t1,
        );
      return { ms: t1 - t0, roundTrips: calls.length };
    });
  } finally {
    await context.close();
  }
}

const browser = await chromium.launch({ headless: true, ...(executablePath ? { executablePath } : {}) });
const results: { label: string; createCharge: boolean; samples: Sample[] }[] = [
  { label: 'payer known, charge made with the checkout (createCharge "pix"): the session carries it', createCharge: true, samples: [] },
  { label: 'payer known, charge made by the widget (session, then POST …/pix)', createCharge: false, samples: [] },
];
try {
  for (let i = 0; i < samples; i++) {
    for (const result of results) result.samples.push(await measure(browser, result.createCharge, i));
  }
} finally {
  await browser.close();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
}

report(
  results.map(({ label, createCharge, samples: s }) => {
    const time = summarize(s.map((x) => x.ms));
    const trips = [...new Set(s.map((x) => x.roundTrips))].sort().join(' or ');
    return {
      bench: `10. time to QR (Chromium, ${rttMs} ms RTT)`,
      setup: `${label}; ${s.length} page loads`,
      result: `${trips} round trip${trips === '1' ? '' : 's'}; element connected → QR drawn p50 ${ms(time.p50)}, p90 ${ms(time.p90)}, max ${ms(time.max)}`,
      ...(createCharge ? { target: 'one round trip when the payer is known', met: s.every((x) => x.roundTrips === 1) } : {}),
    };
  }),
);
