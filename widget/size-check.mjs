#!/usr/bin/env node
// Fails when the script-tag bundle (Lit and qrcode included) is over its gzip budget: 20 KB, i.e.
// 20,000 bytes (issue 3). Usage: node widget/size-check.mjs [file] [budget-bytes]   (after `npm run build`)
// gzip level 9 with node:zlib, the figure CDNs serve; brotli is shown for reference.
import { readFileSync } from 'node:fs';
import { brotliCompressSync, gzipSync } from 'node:zlib';

const file = process.argv[2] ?? 'dist/connectpsp-checkout.iife.js';
const budget = Number(process.argv[3] ?? 20_000);

let bytes;
try {
  bytes = readFileSync(file);
} catch {
  console.error(`size-check: ${file} not found; run \`npm run build\` first`);
  process.exit(2);
}
const gzip = gzipSync(bytes, { level: 9 }).length;
const brotli = brotliCompressSync(bytes).length;
const size = (n) => `${n.toLocaleString('en')} bytes (${(n / 1024).toFixed(2)} KiB)`;
const verdict = gzip <= budget ? 'within the budget' : `OVER the budget by ${(gzip - budget).toLocaleString('en')} bytes`;
console.log(`${file}: ${size(bytes.length)} raw, ${size(gzip)} gzip, ${size(brotli)} brotli`);
console.log(`gzip ${gzip.toLocaleString('en')} / ${budget.toLocaleString('en')} bytes: ${verdict}`);
process.exit(gzip <= budget ? 0 : 1);
