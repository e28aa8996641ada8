/**
 * `npm run size`: the script-tag bundle (Lit and qrcode included) against its budget, 25,600 bytes
 * gzip -9 (`npm test` runs it and fails above it).
 *
 *   npm run size [-- file] [-- --budget N] [-- --ceiling N]     (after `npm run build`)
 *
 * With --ceiling it fails only over the ceiling instead (a ratchet for experiments).
 */
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { BUNDLE_BUDGET_BYTES, BUNDLE_FILE, measureBundle } from './lib/bundle.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { budget: { type: 'string', default: String(BUNDLE_BUDGET_BYTES) }, ceiling: { type: 'string' } },
});
const file = positionals[0] ?? BUNDLE_FILE;
const budget = Number(values.budget);
const ceiling = values.ceiling === undefined ? undefined : Number(values.ceiling);

if (!existsSync(file)) {
  console.error(`size-check: ${file} not found; run \`npm run build\` first`);
  process.exit(2);
}
const { raw, gzip, brotli } = measureBundle(file);
const n = (x: number) => x.toLocaleString('en');
const size = (x: number) => `${n(x)} bytes (${(x / 1024).toFixed(2)} KiB)`;
const against = (limit: number, name: string) => (gzip <= limit ? `within the ${name}` : `OVER the ${name} by ${n(gzip - limit)} bytes`);

console.log(`${file}: ${size(raw)} raw, ${size(gzip)} gzip, ${size(brotli)} brotli`);
console.log(`gzip ${n(gzip)} / ${n(budget)} bytes: ${against(budget, 'budget')}`);
if (ceiling !== undefined) console.log(`gzip ${n(gzip)} / ${n(ceiling)} bytes: ${against(ceiling, 'ceiling')}`);
process.exit(gzip <= (ceiling ?? budget) ? 0 : 1);
