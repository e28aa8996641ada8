/**
 * Benchmark 5: what the merchant's page downloads for the widget: the script-tag (IIFE) build,
 * raw, gzip -9 and brotli, against its 25,600-byte budget. Reads the build output; it does not build.
 *
 *   npm run build && npx tsx bench/bundle-size.ts
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { BUNDLE_BUDGET_BYTES, BUNDLE_FILE, measureBundle } from './lib/bundle.js';
import { report } from './lib/report.js';
import { ROOT } from './lib/server-process.js';
import { kb } from './lib/stats.js';

const path = join(ROOT, BUNDLE_FILE);

if (!existsSync(path)) {
  report([{ bench: '5. widget script-tag bundle', setup: BUNDLE_FILE, result: `${BUNDLE_FILE} not found: run npm run build first` }]);
} else {
  const { raw, gzip, brotli } = measureBundle(path);
  report([
    {
      bench: '5. widget script-tag bundle',
      setup: BUNDLE_FILE,
      result: `${gzip.toLocaleString('en')} bytes = ${kb(gzip)} gzip -9 (${kb(raw)} raw, ${kb(brotli)} brotli)`,
      target: `≤ ${BUNDLE_BUDGET_BYTES.toLocaleString('en')} bytes gzip`,
      met: gzip <= BUNDLE_BUDGET_BYTES,
    },
  ]);
}
