// Component tests in real headless Chromium (docs/stack.md §4A). Run: `npm run test:widget`.
import { existsSync } from 'node:fs';

import rollupCommonjs from '@rollup/plugin-commonjs'; // pinned 26.0.3: 29 breaks under WTR (docs/stack.md G3)
import { esbuildPlugin } from '@web/dev-server-esbuild';
import { fromRollup } from '@web/dev-server-rollup';
import { playwrightLauncher } from '@web/test-runner-playwright';

const commonjs = fromRollup(rollupCommonjs);

/** CHROMIUM_PATH, else the system Chromium, else Playwright's own (never downloaded here). */
const executablePath = process.env.CHROMIUM_PATH || (existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : undefined);

export default {
  // csp.test.ts runs only in its own group, on a page with a policy (below).
  files: ['test/widget/**/*.test.ts', '!test/widget/csp.test.ts'],
  // browser: true picks qrcode's lib/browser.js (no `fs`); production: Lit without dev-mode warnings.
  nodeResolve: { browser: true, exportConditions: ['production'] },
  plugins: [
    esbuildPlugin({ ts: true, target: 'es2022', tsconfig: 'tsconfig.json' }),
    // qrcode and jsqr are CommonJS/UMD; WTR transforms each module alone, hence 'preferred' (G3).
    commonjs({
      requireReturnsDefault: 'preferred',
      include: ['**/node_modules/qrcode/**', '**/node_modules/dijkstrajs/**', '**/node_modules/encode-utf8/**', '**/node_modules/jsqr/**'],
    }),
  ],
  browsers: [
    playwrightLauncher({
      product: 'chromium',
      launchOptions: { headless: true, ...(executablePath ? { executablePath } : {}) },
    }),
  ],
  testFramework: { config: { timeout: 5000 } },
  groups: [
    {
      // The widget under a strict style-src: a style attribute or an inline <style> is a violation.
      name: 'csp',
      files: 'test/widget/csp.test.ts',
      testRunnerHtml: (testFramework) => `<!doctype html>
<html>
  <head>
    <meta http-equiv="Content-Security-Policy" content="style-src 'self'; img-src 'none'; object-src 'none'">
  </head>
  <body>
    <script type="module" src="${testFramework}"></script>
  </body>
</html>`,
    },
  ],
};
