/**
 * Benchmark 5: what the merchant's page downloads for the widget: the script-tag (IIFE) build,
 * raw, gzip -9 and brotli. Reads the build output; it does not build.
 *
 *   npm run build && npx tsx bench/bundle-size.ts
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { report } from './lib/report.js';
import { kb } from './lib/stats.js';
import { ROOT } from './lib/server-process.js';

const FILE = 'dist/connectpsp-checkout.iife.js';
/** Issue 3's budget for the script-tag bundle, Lit and qrcode included (as widget/size-check.mjs). */
const BUDGET_BYTES = 20_000;
const path = join(ROOT, FILE);

if (!existsSync(path)) {
  report([{ bench: '5. widget script-tag bundle', setup: FILE, result: `${FILE} not found: run npm run build first` }]);
} else {
  const bytes = readFileSync(path);
  const gzip = gzipSync(bytes, { level: 9 }).length;
  const brotli = brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
  report([
    {
      bench: '5. widget script-tag bundle',
      setup: FILE,
      result: `${gzip.toLocaleString('en')} bytes = ${kb(gzip)} gzip -9 (${kb(bytes.length)} raw, ${kb(brotli)} brotli)`,
      target: `≤ ${BUDGET_BYTES.toLocaleString('en')} bytes gzip`,
      met: gzip <= BUDGET_BYTES,
    },
  ]);
}
