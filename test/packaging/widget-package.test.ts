/**
 * The widget package as a front-end project meets it: `npm install connectpsp-checkout` (here, the
 * packed tarball) into an empty project brings Lit and nothing else, runs no install script, and
 * ships only what a consumer runs; a React 19 app type-checks the tag and the wrapper, builds with
 * Vite and runs in Chromium with events bound the React way; `@lit-labs/ssr` renders the element.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { chromium } from '@playwright/test';

import { emptyProject, npmInstall, packTarballs, ROOT, tarballFiles, type Tarballs } from './lib.js';

/** Lit and its own dependencies: all a front-end project may get from this package. */
const LIT_FAMILY = ['lit', 'lit-element', 'lit-html', '@lit/reactive-element', '@lit-labs/ssr-dom-shim', '@types/trusted-types'];

let tarballs: Tarballs;
before(() => {
  tarballs = packTarballs();
});

describe('the connectpsp-checkout tarball', () => {
  it('holds the built package and nothing a consumer cannot run: no sources, tests, server or demo', () => {
    const files = tarballFiles(tarballs.widget);
    for (const required of [
      'package.json',
      'README.md',
      'LICENSE',
      'CHANGELOG.md',
      'dist/connectpsp-checkout.js',
      'dist/connectpsp-checkout.d.ts',
      'dist/define.js',
      'dist/contract.js',
      'dist/contract.d.ts',
      'dist/react.js',
      'dist/react.d.ts',
      'dist/jsx.d.ts',
      'dist/connectpsp-checkout.iife.js',
      'dist/custom-elements.json',
      'dist/vscode.html-custom-data.json',
      'dist/web-types.json',
    ]) {
      assert.ok(files.includes(required), `${required} is in the tarball`);
    }
    const unexpected = files.filter((f) => !/^(package\.json|README\.md|LICENSE|CHANGELOG\.md|dist\/.+\.(js|d\.ts|js\.map|json))$/.test(f));
    assert.deepEqual(unexpected, [], 'only built files');
    assert.deepEqual(
      files.filter((f) => /(^|\/)(server|demo|test|sandbox)\//.test(f) || (/\.ts$/.test(f) && !f.endsWith('.d.ts'))),
      [],
      'no server, demo, test or TypeScript source',
    );
  });

  it('ships no server code: nothing in it imports express, pg, better-sqlite3, zod or a node: module', () => {
    const dir = emptyProject('cpc-widget-unpack');
    try {
      execFileSync('tar', ['xzf', tarballs.widget, '-C', dir]);
      for (const file of tarballFiles(tarballs.widget).filter((f) => f.endsWith('.js'))) {
        const code = readFileSync(join(dir, 'package', file), 'utf8');
        assert.doesNotMatch(code, /from\s*["'](express|pg|better-sqlite3|zod|prom-client|node:[\w/]+)["']/, file);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('declares no install script, and `dist/custom-elements.json` names files the package ships, with attributes typed as their unions', () => {
    const dir = emptyProject('cpc-widget-unpack');
    try {
      execFileSync('tar', ['xzf', tarballs.widget, '-C', dir]);
      const pkg = JSON.parse(readFileSync(join(dir, 'package/package.json'), 'utf8')) as {
        scripts?: Record<string, string>;
        dependencies?: Record<string, string>;
      };
      for (const hook of ['preinstall', 'install', 'postinstall', 'prepare'])
        assert.equal(pkg.scripts?.[hook], undefined, `no ${hook} script`);
      assert.deepEqual(Object.keys(pkg.dependencies ?? {}), ['lit']);

      const shipped = new Set(tarballFiles(tarballs.widget));
      const manifest = JSON.parse(readFileSync(join(dir, 'package/dist/custom-elements.json'), 'utf8')) as {
        modules: { path: string; declarations?: { tagName?: string; attributes?: { name: string; type?: { text: string } }[] }[] }[];
      };
      for (const module of manifest.modules) assert.ok(shipped.has(module.path), `manifest module ${module.path} is shipped`);
      const element = manifest.modules.flatMap((m) => m.declarations ?? []).find((d) => d.tagName === 'connectpsp-checkout');
      assert.ok(element, 'the manifest declares <connectpsp-checkout>');
      const typeOf = (name: string) => element.attributes?.find((a) => a.name === name)?.type?.text ?? '';
      assert.match(typeOf('method'), /'pix' \| 'open_finance'/);
      assert.match(typeOf('locale'), /'pt-BR' \| 'en' \| 'es'/);
      assert.match(typeOf('redirect-mode'), /'same-tab' \| 'popup'/);

      const vscode = JSON.parse(readFileSync(join(dir, 'package/dist/vscode.html-custom-data.json'), 'utf8')) as {
        tags: { name: string; attributes: { name: string; values?: { name: string }[] }[] }[];
      };
      const method = vscode.tags.find((t) => t.name === 'connectpsp-checkout')?.attributes.find((a) => a.name === 'method');
      assert.deepEqual(
        method?.values?.map((v) => v.name),
        ['pix', 'open_finance'],
      );
      const webTypes = JSON.parse(readFileSync(join(dir, 'package/dist/web-types.json'), 'utf8')) as {
        contributions: { html: { elements: { name: string; events: { name: string }[] }[] } };
      };
      const events = webTypes.contributions.html.elements.find((e) => e.name === 'connectpsp-checkout')?.events.map((e) => e.name);
      assert.ok(events?.includes('connectpsp-paid'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('installed into an empty project brings Lit and its dependencies only, and runs no install script', () => {
    const dir = emptyProject('cpc-widget-install');
    try {
      const installed = npmInstall(dir, [tarballs.widget]);
      const others = installed.packages.filter((p) => p !== 'connectpsp-checkout' && !LIT_FAMILY.includes(p));
      assert.deepEqual(others, [], `nothing but Lit: ${installed.packages.join(', ')}`);
      assert.doesNotMatch(installed.output, /> (preinstall|install|postinstall)\b/, 'no install script ran');
      console.log(
        `# widget package install: ${installed.packages.length} packages, ${installed.megabytes.toFixed(1)} MB, ${installed.seconds.toFixed(1)} s`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the widget package in a React 19 app and under @lit-labs/ssr', () => {
  // Inside the repository, so React, TypeScript and Vite resolve from its node_modules; the widget
  // itself (and Lit) come from the tarball installed into the app.
  let app: string;
  before(() => {
    app = emptyProject('react-app', join(ROOT, '.tmp'));
    npmInstall(app, [tarballs.widget, '@lit-labs/ssr@4.1.0', '--prefer-offline']);
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'ESNext',
          moduleResolution: 'Bundler',
          jsx: 'react-jsx',
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          lib: ['ES2022', 'DOM', 'DOM.Iterable'],
          types: [],
        },
        include: ['src'],
      }),
    );
    execFileSync('mkdir', ['-p', join(app, 'src')]);
    writeFileSync(
      join(app, 'src/main.tsx'),
      `import { StrictMode, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { ConnectpspCheckout } from 'connectpsp-checkout/react';
import type { ConnectpspErrorEvent } from 'connectpsp-checkout';

declare global {
  interface Window { __reactErrors: string[]; __bareErrors: string[] }
}
window.__reactErrors = [];
window.__bareErrors = [];

function App() {
  const [status, setStatus] = useState('none');
  return (
    <StrictMode>
      <p id="status">{status}</p>
      <ConnectpspCheckout
        id="wrapped"
        checkoutId="co_react_wrapper"
        clientSecret="co_react_wrapper_secret_x"
        server="http://127.0.0.1:9"
        locale="en"
        method="pix"
        messages={{ retry: 'Try once more' }}
        onStatus={(e) => setStatus(e.detail.status)}
        onError={(e: ConnectpspErrorEvent) => window.__reactErrors.push(e.detail.reason)}
        onPaid={(e) => console.log(e.detail.checkoutId, e.detail.endToEndId ?? 'no E2E id')}
      />
      <connectpsp-checkout
        id="bare"
        checkout-id="co_react_bare"
        client-secret="co_react_bare_secret_x"
        server="http://127.0.0.1:9"
        onconnectpsp-error={(e) => window.__bareErrors.push(e.detail.reason)}
      />
    </StrictMode>
  );
}

// The types are the element's own: a method it does not have is an error.
// @ts-expect-error 'card' is not a payment method
export const wrong = <ConnectpspCheckout method="card" />;

createRoot(document.getElementById('root')!).render(<App />);
`,
    );
    writeFileSync(
      join(app, 'index.html'),
      '<!doctype html><html><head><meta charset="utf-8"></head><body><div id="root"></div><script type="module" src="/src/main.tsx"></script></body></html>',
    );
  });
  after(() => rmSync(app, { recursive: true, force: true }));

  it('type-checks a TSX file that uses the bare tag and the wrapper', () => {
    const tsc = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', app], { encoding: 'utf8' });
    assert.equal(tsc.status, 0, tsc.stdout + tsc.stderr);
  });

  it('builds with Vite and runs in Chromium: props reach the element, events reach React handlers', async () => {
    const build = spawnSync(process.execPath, [join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn'], {
      cwd: app,
      encoding: 'utf8',
    });
    assert.equal(build.status, 0, build.stdout + build.stderr);

    const server = await serveStatic(join(app, 'dist'));
    const executablePath = process.env.CHROMIUM_PATH || (existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : undefined);
    const browser = await chromium.launch({ headless: true, ...(executablePath ? { executablePath } : {}) });
    try {
      const page = await browser.newPage();
      const pageErrors: string[] = [];
      page.on('pageerror', (e) => pageErrors.push(e.message));
      await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
      const wrapped = page.locator('connectpsp-checkout#wrapped');
      await wrapped.waitFor();
      assert.equal(await wrapped.evaluate((el) => (el as HTMLElement & { checkoutId: string }).checkoutId), 'co_react_wrapper');
      assert.equal(await wrapped.evaluate((el) => (el as HTMLElement & { messages: { retry: string } }).messages.retry), 'Try once more');
      // The companion server at :9 does not answer: both elements report it, to React handlers.
      await page.waitForFunction(
        () => {
          const w = window as unknown as { __reactErrors: string[]; __bareErrors: string[] };
          return w.__reactErrors.length > 0 && w.__bareErrors.length > 0;
        },
        undefined,
        { timeout: 20_000 },
      );
      assert.equal(await page.locator('#status').textContent(), 'error', 'onStatus reached React state');
      assert.deepEqual(pageErrors, []);
    } finally {
      await browser.close();
      server.close();
    }
  });

  it('@lit-labs/ssr renders the element to markup with no rejection, and importing it in Node does not touch the DOM', () => {
    writeFileSync(
      join(app, 'ssr.mjs'),
      `import { render } from '@lit-labs/ssr';
import { collectResult } from '@lit-labs/ssr/lib/render-result.js';
import { html } from 'lit';
const problems = [];
process.on('unhandledRejection', (e) => problems.push(String(e && e.stack || e)));
process.on('uncaughtException', (e) => problems.push(String(e && e.stack || e)));
await import('connectpsp-checkout');
await import('connectpsp-checkout/contract');
await import('connectpsp-checkout/define');
const markup = await collectResult(render(html\`<connectpsp-checkout checkout-id="co_1" client-secret="co_1_secret_x" server="https://pay.example.com" locale="en"></connectpsp-checkout>\`));
await new Promise((r) => setTimeout(r, 300));
console.log(JSON.stringify({ markup, problems }));
`,
    );
    const run = spawnSync(process.execPath, ['ssr.mjs'], { cwd: app, encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    const { markup, problems } = JSON.parse(run.stdout.trim().split('\n').pop()!) as { markup: string; problems: string[] };
    assert.deepEqual(problems, []);
    assert.match(markup, /<connectpsp-checkout[^>]*checkout-id="co_1"/);
    assert.match(markup, /<template shadowroot(mode)?="open"/, 'rendered with its shadow root');
  });
});

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' };

function serveStatic(dir: string): Promise<Server> {
  return new Promise((resolve) => {
    const server = createServer((req, res) => {
      const path = join(dir, req.url === '/' ? 'index.html' : decodeURIComponent(req.url!.split('?')[0]!));
      if (!path.startsWith(dir) || !existsSync(path)) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': TYPES[extname(path)] ?? 'application/octet-stream' }).end(readFileSync(path));
    });
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}
