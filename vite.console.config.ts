/**
 * Builds the operator console's browser code (console/) into server/dist/console-assets/, so it
 * ships in the server package: `console.js` (Lit included) and `console.css`, served by the
 * companion server at /console/assets. Run by the server's build (server/build.mjs), after tsc. A separate small build: the widget's builds keep their own externals and budget.
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));
const outDir = `${root}server/dist/console-assets`;

function copyStylesheet(): Plugin {
  return {
    name: 'connectpsp:console-stylesheet',
    apply: 'build',
    closeBundle() {
      mkdirSync(outDir, { recursive: true });
      copyFileSync(`${root}console/console.css`, `${outDir}/console.css`);
      copyFileSync(`${root}console/index.html`, `${outDir}/index.html`);
    },
  };
}

export default defineConfig({
  build: {
    target: 'es2022',
    outDir,
    emptyOutDir: true,
    sourcemap: true,
    minify: true,
    lib: { entry: `${root}console/console-app.ts`, formats: ['es'], fileName: () => 'console.js' },
  },
  plugins: [copyStylesheet()],
});
