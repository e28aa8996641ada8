/**
 * Benchmark 5b: the floor under the script-tag bundle. Builds `bench/lib/bundle-floor-element.ts`
 * (Lit + the QR drawing + the styles + every message of pt-BR, en and es, no behaviour) with the
 * very build the bundle uses (`scriptTagBuild` in vite.config.ts), into a temporary directory, and
 * sets its size against the budget and the real bundle: what is left for everything the widget does.
 *
 *   npm run build && npx tsx bench/bundle-floor.ts
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'vite';
import { scriptTagBuild } from '../vite.config.js';
import { BUNDLE_BUDGET_BYTES, BUNDLE_FILE, measureBundle } from './lib/bundle.js';
import { report } from './lib/report.js';
import { ROOT } from './lib/server-process.js';

const dir = mkdtempSync(join(tmpdir(), 'cpc-bundle-floor-'));
try {
  await build(scriptTagBuild(join(ROOT, 'bench/lib/bundle-floor-element.ts'), dir));
  const floor = measureBundle(join(dir, 'connectpsp-checkout.iife.js')).gzip;
  const real = existsSync(join(ROOT, BUNDLE_FILE)) ? measureBundle(join(ROOT, BUNDLE_FILE)).gzip : undefined;
  const n = (x: number) => x.toLocaleString('en');
  report([
    {
      bench: '5b. bundle floor',
      setup: 'Lit + qrcode and the QR drawing + styles + all messages of 3 locales, no behaviour',
      result:
        `${n(floor)} bytes gzip -9: ${n(BUNDLE_BUDGET_BYTES - floor)} bytes of the budget left for all behaviour` +
        (real === undefined
          ? ' (run npm run build to compare with the bundle)'
          : `, which takes ${n(real - floor)} bytes in the bundle today`),
    },
  ]);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
