/**
 * The script-tag bundle's size, as `npm run size`, `bench/bundle-size.ts` and `bench/bundle-floor.ts`
 * measure it: gzip level 9 with node:zlib (what CDNs serve), brotli for reference.
 */
import { readFileSync } from 'node:fs';
import { brotliCompressSync, gzipSync } from 'node:zlib';

export const BUNDLE_FILE = 'widget/dist/connectpsp-checkout.iife.js';
/** Issue 3's budget for the script-tag bundle, Lit and qrcode included: 20 KB gzip. */
export const BUNDLE_BUDGET_BYTES = 20_000;

export interface BundleSize {
  raw: number;
  gzip: number;
  brotli: number;
}

/** Sizes of the file at `path`; throws if it is not there. */
export function measureBundle(path: string): BundleSize {
  const bytes = readFileSync(path);
  return { raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length, brotli: brotliCompressSync(bytes).length };
}
