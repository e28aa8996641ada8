/**
 * Builds the operator console's browser code (console/) into dist/console/, beside the widget:
 * `console.js` (Lit included) and `console.css`, served by the companion server at
 * /console/assets. A separate small build: the widget's builds keep their own externals and budget.
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));
const outDir = `${root}dist/console`;

function copyStylesheet(): Plugin {
  return {
    name: 'connectpsp:console-stylesheet',
    apply: 'build',
    closeBundle() {
      mkdirSync(outDir, { recursive: true });
      copyFileSync(`${root}console/console.css`, `${outDir}/console.css`);
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
