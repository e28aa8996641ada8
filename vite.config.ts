/**
 * Builds the widget into dist/ (`npm run build`):
 *
 * - `connectpsp-checkout.js` + `define.js`: ES modules for npm users. Not minified, and `lit` and
 *   `qrcode` stay imports, so an app that already has Lit ships one copy (lit.dev "Publishing").
 * - `connectpsp-checkout.iife.js`: one minified file for a plain `<script>` tag, Lit and qrcode
 *   inside, that registers `<connectpsp-checkout>`. Budget: 20 KB gzip (`node widget/size-check.mjs`).
 * - `connectpsp-checkout.d.ts`, `define.d.ts` (+ `types/`): declarations, emitted by tsc.
 *
 * One Vite build cannot give the two outputs different externals, so the script-tag bundle is a
 * second, config-less build started when the first one closes.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { build, defineConfig, type Plugin } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));
const outDir = `${root}dist`;

/** Options both builds share: modern syntax, no sourcemaps shipped inline, output in dist/. */
const shared = { target: 'es2022', outDir, sourcemap: true } as const;

function scriptTagBundleAndTypes(): Plugin {
  return {
    name: 'connectpsp:script-tag-bundle-and-types',
    apply: 'build',
    async closeBundle() {
      await build({
        configFile: false,
        root,
        logLevel: 'warn',
        build: {
          ...shared,
          emptyOutDir: false,
          minify: true,
          lib: {
            entry: `${root}widget/script-tag.ts`,
            name: 'ConnectpspCheckout',
            formats: ['iife'],
            fileName: () => 'connectpsp-checkout.iife.js',
          },
        },
      });

      const tsc = spawnSync(process.execPath, [`${root}node_modules/typescript/bin/tsc`, '-p', `${root}widget/tsconfig.build.json`], {
        stdio: 'inherit',
      });
      if (tsc.status !== 0) throw new Error('tsc could not emit the widget declarations');
      writeFileSync(`${outDir}/connectpsp-checkout.d.ts`, "export * from './types/widget/index.js';\n");
      writeFileSync(`${outDir}/define.d.ts`, "export * from './types/widget/define.js';\n");
    },
  };
}

export default defineConfig({
  build: {
    ...shared,
    emptyOutDir: true,
    minify: false,
    lib: {
      entry: {
        'connectpsp-checkout': `${root}widget/index.ts`,
        define: `${root}widget/define.ts`,
      },
      formats: ['es'],
      fileName: (_format, entryName) => `${entryName}.js`,
    },
    rolldownOptions: {
      external: [/^lit(\/|$)/, /^@lit\//, /^qrcode(\/|$)/],
    },
  },
  plugins: [scriptTagBundleAndTypes()],
});
