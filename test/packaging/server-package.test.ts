/**
 * The server package as an operator deploys it, and as the Dockerfile does: the two tarballs
 * installed with `--omit=dev` into an empty project, then `npx connectpsp-checkout-server start` in
 * sandbox mode serves the demo, the widget bundle and a checkout that pays; SIGTERM stops it with
 * exit 0. The tarball holds compiled JavaScript, declarations and the demo's files, nothing else.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { eventually, freePort, VALID_CPF } from '../server/helpers.js';
import { emptyProject, npmInstall, packTarballs, tarballFiles, type Tarballs } from './lib.js';

let tarballs: Tarballs;
before(() => {
  tarballs = packTarballs();
});

describe('the connectpsp-checkout-server tarball', () => {
  it('holds compiled JavaScript with declarations, the demo store and the docs; no TypeScript source or tests', () => {
    const files = tarballFiles(tarballs.server);
    for (const required of [
      'package.json',
      'README.md',
      'LICENSE',
      'CHANGELOG.md',
      'dist/cli.js',
      'dist/index.js',
      'dist/index.d.ts',
      'dist/demo-site/index.html',
      'dist/demo-site/assets/store.js',
    ]) {
      assert.ok(files.includes(required), `${required} is in the tarball`);
    }
    const unexpected = files.filter(
      (f) =>
        !/^(package\.json|README\.md|LICENSE|CHANGELOG\.md|dist\/.+\.(js|d\.ts|js\.map)|dist\/(demo-site|console-assets)\/.+\.(html|css|js|js\.map))$/.test(
          f,
        ),
    );
    assert.deepEqual(unexpected, [], 'only built files');
    assert.deepEqual(
      files.filter((f) => /(^|\/)test\//.test(f) || /\.test\./.test(f)),
      [],
      'no tests',
    );
  });

  it('declares its runtime dependencies, the widget package among them, and its bin', () => {
    const dir = emptyProject('cpc-server-unpack');
    try {
      execFileSync('tar', ['xzf', tarballs.server, '-C', dir]);
      const pkg = JSON.parse(readFileSync(join(dir, 'package/package.json'), 'utf8')) as {
        bin: Record<string, string>;
        dependencies: Record<string, string>;
        devDependencies?: unknown;
      };
      assert.deepEqual(pkg.bin, { 'connectpsp-checkout-server': 'dist/cli.js' });
      assert.match(readFileSync(join(dir, 'package/dist/cli.js'), 'utf8'), /^#!\/usr\/bin\/env node/);
      assert.deepEqual(Object.keys(pkg.dependencies).sort(), [
        'better-sqlite3',
        'connectpsp-checkout',
        'express',
        'pg',
        'prom-client',
        'qrcode',
        'zod',
      ]);
      assert.equal(pkg.devDependencies, undefined);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('installed with --omit=dev into an empty project', () => {
  let project: string;
  let child: ChildProcess | undefined;
  before(() => {
    project = emptyProject('cpc-server-install');
    const installed = npmInstall(project, ['--omit=dev', tarballs.widget, tarballs.server]);
    console.log(
      `# server package install (--omit=dev, with the widget tarball): ${installed.packages.length} packages, ${installed.megabytes.toFixed(1)} MB, ${installed.seconds.toFixed(1)} s`,
    );
    for (const devOnly of ['typescript', 'tsx', 'vite', '@playwright/test', 'playwright', 'esbuild']) {
      assert.ok(!installed.packages.includes(devOnly), `${devOnly} is not installed`);
    }
  });
  after(() => {
    child?.kill('SIGKILL');
    rmSync(project, { recursive: true, force: true });
  });

  it('`npx connectpsp-checkout-server start` serves the demo, the widget bundle and a checkout that pays; SIGTERM stops it gracefully', async () => {
    const port = await freePort();
    child = spawn('npx', ['connectpsp-checkout-server', 'start'], {
      cwd: project,
      env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', DATABASE_URL: 'sqlite:./data/checkout.db', LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
    const exited = new Promise<number | null>((resolve) => child!.on('exit', (code) => resolve(code)));
    const base = `http://127.0.0.1:${port}`;
    await eventually(
      () =>
        fetch(`${base}/healthz`)
          .then((r) => r.ok)
          .catch(() => false),
      30_000,
      `the server (output: ${output})`,
    );

    const page = await fetch(`${base}/`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /connectpsp-checkout\.iife\.js/);
    const bundle = await fetch(`${base}/dist/connectpsp-checkout.iife.js`);
    assert.equal(bundle.status, 200);
    assert.match(bundle.headers.get('content-type') ?? '', /javascript/);

    const apiKey = /sk_sandbox_\w+/.exec(output)?.[0];
    assert.ok(apiKey, `the sandbox key is printed: ${output}`);
    const created = await fetch(`${base}/v1/checkouts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        amount: 1990,
        externalReference: `package-${Date.now()}`,
        payer: { name: 'Maria Silva', document: VALID_CPF },
      }),
    });
    assert.equal(created.status, 201);
    const { id, clientSecret } = (await created.json()) as { id: string; clientSecret: string };
    const pix = await fetch(`${base}/v1/checkouts/${id}/pix`, {
      method: 'POST',
      headers: { authorization: `Bearer ${clientSecret}`, 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(pix.status, 200);
    const { transactionId } = (await pix.json()) as { transactionId: string };
    assert.equal(
      (
        await fetch(`${base}/sandbox/cash-in/${transactionId}/pay`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{}',
        })
      ).status,
      200,
    );
    await eventually(
      async () => {
        const view = (await (await fetch(`${base}/v1/checkouts/${id}`, { headers: { authorization: `Bearer ${apiKey}` } })).json()) as {
          status: string;
        };
        return view.status === 'paid';
      },
      10_000,
      'the checkout to be paid',
    );

    // SIGTERM to npx: npm hands it to the `sh -c` it runs the bin with, which dies without passing
    // it on; the server sees it lost its npm parent and stops gracefully all the same.
    child.kill('SIGTERM');
    await exited;
    await eventually(async () => /"msg":"stopped"/.test(output), 15_000, `the server to stop gracefully (output: ${output})`);
    await eventually(
      () =>
        fetch(`${base}/healthz`).then(
          () => false,
          () => true,
        ),
      5000,
      'the port to close',
    );
    child = undefined;
  });

  it('`node node_modules/connectpsp-checkout-server/dist/cli.js start` (the container CMD) exits 0 on SIGTERM', async () => {
    const port = await freePort();
    child = spawn(process.execPath, ['node_modules/connectpsp-checkout-server/dist/cli.js', 'start'], {
      cwd: project,
      env: {
        ...process.env,
        PORT: String(port),
        HOST: '127.0.0.1',
        DATABASE_URL: 'sqlite:./data/checkout.db',
        LOG_LEVEL: 'warn',
        npm_command: '',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
    const exited = new Promise<number | null>((resolve) => child!.on('exit', (code) => resolve(code)));
    await eventually(
      () =>
        fetch(`http://127.0.0.1:${port}/readyz`)
          .then((r) => r.ok)
          .catch(() => false),
      30_000,
      `the server (output: ${output})`,
    );
    child.kill('SIGTERM');
    assert.equal(await exited, 0, output);
    child = undefined;
  });
});
