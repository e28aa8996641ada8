/**
 * What the packaging tests share: the two tarballs `npm pack -w widget -w server` makes from the
 * built tree, and empty projects to install them into, as a user would.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface Tarballs {
  dir: string;
  widget: string;
  server: string;
}

let packed: Tarballs | undefined;

/**
 * Packs both packages once per process. `npm test` has just built them, so the packs skip their
 * `prepack` build (`--ignore-scripts`); `npm pack` by hand runs it.
 */
export function packTarballs(): Tarballs {
  if (packed) return packed;
  for (const file of ['widget/dist/connectpsp-checkout.iife.js', 'widget/dist/contract.d.ts', 'server/dist/cli.js']) {
    if (!existsSync(join(ROOT, file))) throw new Error(`${file} is missing: run \`npm run build\` first`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'cpc-pack-'));
  execFileSync('npm', ['pack', '-w', 'widget', '-w', 'server', '--ignore-scripts', '--pack-destination', dir, '--silent'], {
    cwd: ROOT,
    stdio: 'pipe',
  });
  const files = readdirSync(dir);
  const find = (re: RegExp) => {
    const name = files.find((f) => re.test(f));
    if (!name) throw new Error(`npm pack made no ${re}: ${files.join(', ')}`);
    return join(dir, name);
  };
  packed = { dir, widget: find(/^connectpsp-checkout-\d/), server: find(/^connectpsp-checkout-server-\d/) };
  return packed;
}

/** The files inside a tarball, without npm's `package/` prefix. */
export function tarballFiles(tarball: string): string[] {
  return execFileSync('tar', ['tzf', tarball], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((f) => f.replace(/^package\//, ''));
}

/** A new empty npm project in `parent` (default: the system temp dir). */
export function emptyProject(name: string, parent = tmpdir()): string {
  mkdirSync(parent, { recursive: true });
  const dir = mkdtempSync(join(parent, `${name}-`));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0', private: true, type: 'module' }, null, 2));
  return dir;
}

export interface InstallResult {
  seconds: number;
  /** Every installed package, by its path under node_modules (`lit`, `@lit/reactive-element`, …). */
  packages: string[];
  megabytes: number;
  output: string;
}

/** `npm install <args>` in `dir`, timed, with what it installed. */
export function npmInstall(dir: string, args: string[]): InstallResult {
  const started = process.hrtime.bigint();
  const result = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--foreground-scripts', ...args], { cwd: dir, encoding: 'utf8' });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const output = `${result.stdout}\n${result.stderr}`;
  if (result.status !== 0) throw new Error(`npm install ${args.join(' ')} failed:\n${output}`);
  const lock = JSON.parse(execFileSync('cat', [join(dir, 'package-lock.json')], { encoding: 'utf8' })) as {
    packages: Record<string, unknown>;
  };
  const packages = Object.keys(lock.packages)
    .filter((p) => p.startsWith('node_modules/'))
    .map((p) => p.replace(/^.*node_modules\//, ''));
  const kb = Number(execFileSync('du', ['-sk', join(dir, 'node_modules')], { encoding: 'utf8' }).split('\t')[0]);
  return { seconds, packages, megabytes: kb / 1024, output };
}
