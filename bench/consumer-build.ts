/**
 * Benchmark 5c: what the widget costs an app that installs it from npm and builds with Vite, beside
 * the script-tag bundle (benchmark 5). Two one-page apps are built the same way, one that renders a
 * Lit element of its own and one that also imports `connectpsp-checkout/define`: the difference is
 * the widget's cost to an app that already has Lit (gzip -9 of the emitted JavaScript). Reads the
 * built package (widget/dist) through its package name; it does not build the package.
 *
 *   npm run build && npx tsx bench/consumer-build.ts
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

import { build } from 'vite';

import { report } from './lib/report.js';
import { ROOT } from './lib/server-process.js';
import { kb } from './lib/stats.js';

const APP_WITH_LIT = `import { LitElement, html } from 'lit';
class ShopCart extends LitElement { render() { return html\`<p>cart</p>\`; } }
customElements.define('shop-cart', ShopCart);
`;

async function buildApp(name: string, main: string): Promise<number> {
  const dir = join(ROOT, '.tmp', `consumer-${name}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'index.html'),
    '<!doctype html><html><body><shop-cart></shop-cart><script type="module" src="./main.js"></script></body></html>',
  );
  writeFileSync(join(dir, 'main.js'), main);
  await build({
    root: dir,
    configFile: false,
    logLevel: 'silent',
    build: { outDir: join(dir, 'dist'), emptyOutDir: true, target: 'es2022' },
  });
  const assets = join(dir, 'dist', 'assets');
  const gzip = readdirSync(assets)
    .filter((f) => f.endsWith('.js'))
    .reduce((sum, f) => sum + gzipSync(readFileSync(join(assets, f)), { level: 9 }).length, 0);
  rmSync(dir, { recursive: true, force: true });
  return gzip;
}

const base = await buildApp('lit-only', APP_WITH_LIT);
const withWidget = await buildApp('with-widget', `${APP_WITH_LIT}import 'connectpsp-checkout/define';\n`);
report([
  {
    bench: "5c. widget in a consumer's Vite build",
    setup: 'vite build of a Lit app, with and without `import "connectpsp-checkout/define"` (npm ESM entry, Lit shared)',
    result: `+${(withWidget - base).toLocaleString('en')} bytes = ${kb(withWidget - base)} gzip -9 (app ${kb(base)} → ${kb(withWidget)})`,
  },
]);
