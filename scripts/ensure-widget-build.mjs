#!/usr/bin/env node
/**
 * Run by `npm install` (as `prepare`) and `npm start` (as `prestart`): makes sure the demo store has
 * a widget to load, built at install time so the first `npm start` answers at once. The demo page
 * loads the built script-tag bundle from widget/dist/, which git does not keep, so on a fresh clone — or
 * after a pull that changed the widget — `npm start` alone would serve a store with an empty space
 * where the checkout should be, and only the browser console would say why.
 *
 * - widget/dist/ missing, or older than any widget source: runs `npm run build:widget` and says so.
 * - A build that fails with no dist/ at all stops `npm start` with the reason; a build that fails
 *   over an older dist/ is said plainly and the old bundle is served.
 * - Outside sandbox mode (`CONNECTPSP_ENV=staging|production`) the server mounts no demo, so
 *   nothing is built here: production hosts its own copy of dist/ (see the README).
 *
 * The sources are widget/ plus whatever files outside it the widget imports (read from its import
 * lines, so the list follows the code), the build configs and package-lock.json (a new Lit or
 * qrcode changes the bundle). Self-contained on purpose: no project imports, Node built-ins only.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const widgetDir = join(root, 'widget');
const distDir = join(widgetDir, 'dist');
/** What the demo and npm users load; any one missing means "not built". */
const OUTPUTS = ['connectpsp-checkout.iife.js', 'connectpsp-checkout.js', 'define.js', 'custom-elements.json'].map((f) => join(distDir, f));
const CONFIGS = ['vite.config.ts', 'custom-elements-manifest.config.mjs', 'scripts/editor-data.mjs', 'package-lock.json'].map((f) =>
  join(root, f),
);

const say = (line) => process.stdout.write(`[widget build] ${line}\n`);

if ((process.env.CONNECTPSP_ENV ?? 'sandbox') !== 'sandbox') process.exit(0);

const stale = staleReason();
if (stale === null) process.exit(0);

say(`${stale}: running \`npm run build:widget\` …`);
const npm = process.env.npm_execpath;
const result = npm
  ? spawnSync(process.execPath, [npm, 'run', 'build:widget', '--silent'], { cwd: root, stdio: 'inherit' })
  : spawnSync('npm', ['run', 'build:widget', '--silent'], { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
if (result.status === 0) {
  // Still "stale" after a good build means a source dated in the future (clock skew): not an error.
  const still = staleReason();
  say(
    `built widget/dist/; the demo store loads it.${still ? ` (${still.replace('changed after', 'is dated after')}: is its clock ahead?)` : ''}`,
  );
  process.exit(0);
}
const why = result.error ? result.error.message : `npm run build:widget exited with ${result.status ?? result.signal}`;
if (OUTPUTS.every((f) => existsSync(f))) {
  say(`WARNING: ${why}. Serving the older dist/, which does not match the widget's sources.`);
  process.exit(0);
}
say(`ERROR: ${why}, and there is no dist/ to fall back on: the demo store would have no widget.`);
say('Fix the build (are the devDependencies installed? `npm install`), or run `npm run build` to see why.');
process.exit(1);

/** Why dist/ must be (re)built, or null when every output is newer than every source. */
function staleReason() {
  const missing = OUTPUTS.find((f) => !existsSync(f));
  if (missing) return `${relative(root, missing)} is missing`;
  const builtAt = Math.min(...OUTPUTS.map((f) => statSync(f).mtimeMs));
  const newer = sources().find((f) => statSync(f).mtimeMs > builtAt);
  return newer ? `${relative(root, newer)} changed after the last build` : null;
}

function sources() {
  const files = [...walk(widgetDir), ...CONFIGS.filter((f) => existsSync(f))];
  // Modules outside widget/ that the widget imports (e.g. the shared wire contract).
  const outside = new Set();
  for (const file of files.filter((f) => f.endsWith('.ts'))) {
    for (const [, spec] of readFileSync(file, 'utf8').matchAll(/\bfrom\s+['"](\.{1,2}\/[^'"]+)['"]/g)) {
      const target = resolve(dirname(file), spec).replace(/\.js$/, '.ts');
      if (!target.startsWith(widgetDir) && existsSync(target)) outside.add(target);
    }
  }
  return [...files, ...outside];
}

function* walk(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'dist' && entry.name !== 'node_modules') yield* walk(path);
    } else yield path;
  }
}
