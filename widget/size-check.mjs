#!/usr/bin/env node
// The script-tag bundle's size (Lit and qrcode included) against issue 3's budget: 20 KB gzip, i.e.
// 20,000 bytes, gzip level 9 with node:zlib, the figure CDNs serve; brotli is shown for reference.
//
//   node widget/size-check.mjs [file] [--budget N] [--ceiling N]     (after `npm run build`)
//
// Without --ceiling it fails when the bundle is over the budget. With --ceiling (what `npm test`
// runs) it fails only over the ceiling: a ratchet, so the bundle cannot grow unnoticed while the
// budget, which the required features do not fit (see BENCHMARKS.md, row 5), waits for a decision.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { brotliCompressSync, gzipSync } from 'node:zlib';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { budget: { type: 'string', default: '20000' }, ceiling: { type: 'string' } },
});
const file = positionals[0] ?? 'dist/connectpsp-checkout.iife.js';
const budget = Number(values.budget);
const ceiling = values.ceiling === undefined ? undefined : Number(values.ceiling);

let bytes;
try {
  bytes = readFileSync(file);
} catch {
  console.error(`size-check: ${file} not found; run \`npm run build\` first`);
  process.exit(2);
}
const gzip = gzipSync(bytes, { level: 9 }).length;
const brotli = brotliCompressSync(bytes).length;
const n = (x) => x.toLocaleString('en');
const size = (x) => `${n(x)} bytes (${(x / 1024).toFixed(2)} KiB)`;
const against = (limit, name) => (gzip <= limit ? `within the ${name}` : `OVER the ${name} by ${n(gzip - limit)} bytes`);

console.log(`${file}: ${size(bytes.length)} raw, ${size(gzip)} gzip, ${size(brotli)} brotli`);
console.log(`gzip ${n(gzip)} / ${n(budget)} bytes: ${against(budget, 'budget')}`);
if (ceiling !== undefined) console.log(`gzip ${n(gzip)} / ${n(ceiling)} bytes: ${against(ceiling, 'ceiling (no growth while the budget is decided)')}`);
process.exit(gzip <= (ceiling ?? budget) ? 0 : 1);
