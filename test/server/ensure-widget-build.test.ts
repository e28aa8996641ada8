/**
 * scripts/ensure-widget-build.mjs, the `prestart` step that gives a fresh clone's `npm start` a
 * widget to serve. Run on a copy of the script in a throwaway project whose `npm run build` writes
 * the widget/dist/ files and counts its runs, so the real widget/dist/ is never touched.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

const SCRIPT = new URL('../../scripts/ensure-widget-build.mjs', import.meta.url);
const OUTPUTS = ['connectpsp-checkout.iife.js', 'connectpsp-checkout.js', 'define.js', 'custom-elements.json'];
const dirs: string[] = [];

/** A project with widget/ (importing ../shared.ts), and a build that succeeds unless BUILD_FAILS is set. */
function project(): string {
  const root = mkdtempSync(join(tmpdir(), 'cpc-ensure-build-'));
  dirs.push(root);
  mkdirSync(join(root, 'scripts'));
  copyFileSync(SCRIPT, join(root, 'scripts/ensure-widget-build.mjs'));
  mkdirSync(join(root, 'widget'));
  writeFileSync(join(root, 'widget/element.ts'), "import { x } from '../shared.js';\nexport const y = x;\n");
  writeFileSync(join(root, 'shared.ts'), 'export const x = 1;\n');
  const build = `if (process.env.BUILD_FAILS) process.exit(3); const fs = require('fs'); fs.mkdirSync('widget/dist', { recursive: true }); for (const f of ${JSON.stringify(OUTPUTS)}) fs.writeFileSync('widget/dist/' + f, ''); fs.appendFileSync('builds.log', 'x');`;
  writeFileSync(
    join(root, 'package.json'),
    JSON.stringify({ name: 'p', private: true, scripts: { 'build:widget': `node -e "${build.replaceAll('"', '\\"')}"` } }),
  );
  return root;
}

function run(root: string, env: Record<string, string> = {}) {
  const { npm_execpath: _, ...inherited } = process.env;
  const result = spawnSync(process.execPath, [join(root, 'scripts/ensure-widget-build.mjs')], {
    cwd: root,
    encoding: 'utf8',
    env: { ...inherited, CONNECTPSP_ENV: 'sandbox', ...env },
  });
  let builds = 0;
  try {
    builds = readFileSync(join(root, 'builds.log'), 'utf8').length;
  } catch {
    // never built
  }
  return { status: result.status, out: result.stdout + result.stderr, builds };
}

/** Dates the sources two minutes ago and the last build one minute ago, then touches `file`. */
function editedAfterBuild(root: string, file: string): void {
  const sources = new Date(Date.now() - 120_000);
  for (const f of ['widget/element.ts', 'shared.ts', 'package.json']) utimesSync(join(root, f), sources, sources);
  const built = new Date(Date.now() - 60_000);
  for (const f of OUTPUTS) utimesSync(join(root, 'widget', 'dist', f), built, built);
  const now = new Date();
  utimesSync(join(root, file), now, now);
}

after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('scripts/ensure-widget-build.mjs', () => {
  it('builds when dist/ is missing, and says so; then leaves a fresh build alone', () => {
    const root = project();
    const first = run(root);
    assert.equal(first.status, 0, first.out);
    assert.equal(first.builds, 1);
    assert.match(first.out, /widget\/dist\/connectpsp-checkout\.iife\.js is missing/);
    const second = run(root);
    assert.equal(second.status, 0);
    assert.equal(second.builds, 1, 'nothing changed: no second build');
    assert.equal(second.out, '');
  });

  it('rebuilds when a widget source, or a file outside widget/ that it imports, is newer than dist/', () => {
    const root = project();
    run(root);
    editedAfterBuild(root, 'widget/element.ts');
    const widgetChanged = run(root);
    assert.equal(widgetChanged.builds, 2);
    assert.match(widgetChanged.out, /widget\/element\.ts changed after the last build/);
    assert.match(widgetChanged.out, /built widget\/dist\/; the demo store loads it\.\n/);

    editedAfterBuild(root, 'shared.ts');
    const sharedChanged = run(root);
    assert.equal(sharedChanged.builds, 3);
    assert.match(sharedChanged.out, /shared\.ts changed after the last build/);
  });

  it('stops npm start with the reason when the build fails and there is no dist/', () => {
    const root = project();
    const failed = run(root, { BUILD_FAILS: '1' });
    assert.equal(failed.status, 1);
    assert.match(failed.out, /ERROR: npm run build:widget exited with 3, and there is no dist\//);
  });

  it('serves the older dist/ with a warning when a rebuild fails', () => {
    const root = project();
    run(root);
    editedAfterBuild(root, 'widget/element.ts');
    const failed = run(root, { BUILD_FAILS: '1' });
    assert.equal(failed.status, 0);
    assert.match(failed.out, /WARNING: npm run build:widget exited with 3\. Serving the older dist\//);
  });

  it('builds nothing outside sandbox mode, where no demo is served', () => {
    const root = project();
    const live = run(root, { CONNECTPSP_ENV: 'production' });
    assert.equal(live.status, 0);
    assert.equal(live.builds, 0);
  });
});
