/**
 * Builds the widget package into widget/dist/ (`npm run build`):
 *
 * - `connectpsp-checkout.js`, `define.js`, `contract.js`, `react.js`: ES modules for npm users. Not
 *   minified, and `lit` (and `react`) stay imports, so an app that already has Lit ships one copy
 *   (https://lit.dev/docs/tools/publishing/). qrcode's matrix builder is bundled in, trimmed as in the
 *   script-tag bundle (no Kanji tables, no graph-search segmenter), so the package has no qrcode
 *   dependency and an app pays for the QR code only what the widget uses; `@lit/react` (a 1 KB
 *   helper) is bundled into `react.js` for the same reason.
 * - `connectpsp-checkout.iife.js`: one minified file for a plain `<script>` tag, Lit and qrcode
 *   inside, that registers `<connectpsp-checkout>`. Budget: 25,600 bytes gzip -9 (`npm run size`).
 * - `connectpsp-checkout.d.ts`, `define.d.ts` (+ `types/`): declarations, emitted by tsc.
 *
 * One Vite build cannot give the two outputs different externals, so the script-tag bundle is a
 * second, config-less build started when the first one closes.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

import { transform as transformCss } from 'lightningcss';
import { build, defineConfig, parseSync, type InlineConfig, type Plugin } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));
const outDir = `${root}widget/dist`;

/** Options both builds share: modern syntax, no sourcemaps shipped inline, output in widget/dist/. */
/** The package's ES module entries (`exports` in widget/package.json) and their sources in widget/. */
const ENTRIES = {
  'connectpsp-checkout': 'index.ts',
  define: 'define.ts',
  contract: 'contract/index.ts',
  react: 'react.ts',
  jsx: 'jsx.ts',
} as const;

const shared = { target: 'es2022', outDir, sourcemap: true } as const;

/**
 * In the script-tag bundle, qrcode's segment module (an optimal text splitter with a graph search
 * and Kanji tables, ~1.4 KB gzip) is replaced by `widget/qrcode-segments.ts`: the widget splits the
 * text itself (`widget/qr-segments.ts`), and qrcode still builds the whole matrix.
 */
function qrcodeSegments(): Plugin {
  return {
    name: 'connectpsp:qrcode-segments',
    enforce: 'pre',
    resolveId(source, importer) {
      if (/^\.\/segments(\.js)?$/.test(source) && importer?.replaceAll('\\', '/').endsWith('/node_modules/qrcode/lib/core/qrcode.js')) {
        return `${root}widget/qrcode-segments.ts`;
      }
      return null;
    },
  };
}

/**
 * In the script-tag bundle, qrcode's core modules are loaded as ES modules: the same code, with
 * `require` and `exports.x =` written as `import` and `export`, so the bundler can hoist, tree-shake
 * and shorten them like our own code (~1.3 KB gzip less: no CommonJS wrappers and property lookups,
 * and no Kanji tables, which only qrcode's own segmenter used). qrcode 1.5.4's core modules only
 * use the shapes handled here; the build fails on anything else rather than ship a half-converted
 * module. The matrix is built by qrcode's own code, unchanged.
 */
function qrcodeAsEsModules(): Plugin {
  const coreModule = /[\\/]node_modules[\\/]qrcode[\\/]lib[\\/]core[\\/][\w-]+\.js$/;
  return {
    name: 'connectpsp:qrcode-as-es-modules',
    enforce: 'pre',
    load(id) {
      if (!coreModule.test(id)) return null;
      const exportsDefault = (file: string) => /^module\.exports = /m.test(readFileSync(`${dirname(id)}/${file}.js`, 'utf8'));
      const code = readFileSync(id, 'utf8')
        .replace(/^const (\w+) = require\('\.\/([\w-]+)'\)\.(\w+)$/gm, "import { $3 as $1 } from './$2.js'")
        .replace(/^const (\w+) = require\('\.\/([\w-]+)'\)$/gm, (_, local: string, file: string) =>
          exportsDefault(file) ? `import ${local} from './${file}.js'` : `import * as ${local} from './${file}.js'`,
        )
        .replace(/^module\.exports = (\w+)$/m, 'export default $1')
        .replace(/^exports\.(\w+) = /gm, 'export const $1 = ')
        .replace(/\bexports\.(\w+)/g, '$1');
      if (/\brequire\(|\bmodule\.exports\b|\bexports\./.test(code)) throw new Error(`${id}: not converted to an ES module`);
      // They only define constants and functions, so what nothing uses can go (the Kanji regex).
      return { code, moduleSideEffects: false };
    },
  };
}

/**
 * package.json's `sideEffects` lists only dist/ files, so the bundler would drop the
 * `import './define.js'` of `widget/script-tag.ts` and ship a bundle that registers nothing.
 */
function moduleSideEffects(): Plugin {
  return {
    name: 'connectpsp:module-side-effects',
    transform(_code, id) {
      return /[\\/]widget[\\/]define\.ts$/.test(id) ? { moduleSideEffects: true } : null;
    },
  };
}

/**
 * Compacts the widget's Lit templates in the script-tag bundle: `css` is minified (lightningcss, no
 * target lowering), and in `html`/`svg` a run of whitespace holding a line break — source
 * indentation — is dropped between a tag and a tag or a binding, and becomes one space elsewhere
 * (between attributes, inside text). No template of the widget is whitespace-sensitive (no `<pre>`,
 * no `white-space: pre`, no text content in `<textarea>`).
 */
function compactLitTemplates(): Plugin {
  type Node = { type?: string; start: number; end: number; [key: string]: unknown };
  type Quasi = Node & { value: { raw: string }; tail: boolean };
  const walk = (node: unknown, visit: (node: Node) => void): void => {
    if (Array.isArray(node)) node.forEach((child) => walk(child, visit));
    else if (node && typeof node === 'object') {
      if (typeof (node as Node).type === 'string') visit(node as Node);
      for (const child of Object.values(node)) if (child && typeof child === 'object') walk(child, visit);
    }
  };
  return {
    name: 'connectpsp:compact-lit-templates',
    enforce: 'pre',
    // At load time, so the source map of the bundle simply shows the compacted source.
    load(id) {
      if (!/[\\/]widget[\\/][^?]+\.ts$/.test(id)) return null;
      const code = readFileSync(id, 'utf8');
      const edits: [start: number, end: number, text: string][] = [];
      walk(parseSync(id, code).program, (node) => {
        const tag = node.type === 'TaggedTemplateExpression' && (node.tag as Node & { name?: string }).name;
        if (tag !== 'html' && tag !== 'svg' && tag !== 'css') return;
        const quasis = (node.quasi as { quasis: Quasi[] }).quasis;
        for (const quasi of quasis) {
          const { raw } = quasi.value;
          const start = quasi.start + 1; // after the backtick or `}`
          let compact: string;
          if (tag === 'css') {
            if (quasis.length > 1) throw new Error(`${id}: css with bindings is not minified here`);
            compact = transformCss({ filename: 'widget.css', code: Buffer.from(raw), minify: true })
              .code.toString()
              .replace(/[\\`]|\$\{/g, (special) => `\\${special}`);
          } else {
            // The ends of a quasi touch the template's ends or a binding: both count as a tag edge.
            compact = raw.replace(/\s*\n\s*/g, (space, at: number) => {
              const end = at + space.length;
              return (at === 0 || raw[at - 1] === '>') && (end === raw.length || raw[end] === '<') ? '' : ' ';
            });
          }
          if (compact !== raw) edits.push([start, start + raw.length, compact]);
        }
      });
      let out = code;
      for (const [start, end, text] of edits.sort((a, b) => b[0] - a[0])) out = out.slice(0, start) + text + out.slice(end);
      return out;
    },
  };
}

/**
 * The build of the single-file script-tag bundle: `entry` (normally `widget/script-tag.ts`) into
 * `dir`/connectpsp-checkout.iife.js. Exported for `bench/bundle-floor.ts`, which builds a stand-in
 * element exactly the same way to measure what Lit, qrcode, the messages and the CSS weigh alone.
 */
export function scriptTagBuild(entry: string, dir: string): InlineConfig {
  return {
    configFile: false,
    root,
    logLevel: 'warn',
    plugins: [qrcodeSegments(), qrcodeAsEsModules(), moduleSideEffects(), compactLitTemplates()],
    build: {
      ...shared,
      outDir: dir,
      emptyOutDir: false,
      minify: true,
      rolldownOptions: {
        // server/contract.ts lists its statuses with Object.values; the widget does not need that list.
        treeshake: { manualPureFunctions: ['Object.values'] },
        output: {
          minify: {
            compress: { target: 'es2022' },
            mangle: true,
            // Private members are named `_camelCase` (widget/**): one bundle owns every use,
            // so they can be shortened like local variables. `_$…` is Lit's own protocol. The
            // screen state's own fields (widget/screen.ts) never leave the bundle either, and no
            // wire shape, event detail or Lit API uses these names (so code must never read them
            // by string, e.g. `'phase' in screen`). Likewise the methods and fields qrcode's core
            // modules use among themselves (getBitsLength … putBit): the bundle holds every use, and
            // the e2e tests decode the bundle's QR with an independent decoder.
            mangleProps: {
              include:
                /^_[a-z]|^(kind|phase|screen|checkout|openFinance|payerKnown|returning|getBitsLength|getLength|degree|genPoly|ccBits|reservedBit|isReserved|getLengthInBits|putBit)$/,
              reserved: ['id'],
            },
          },
        },
      },
      lib: {
        entry,
        name: 'ConnectpspCheckout',
        formats: ['iife'],
        fileName: () => 'connectpsp-checkout.iife.js',
      },
    },
  };
}

function scriptTagBundleAndTypes(): Plugin {
  return {
    name: 'connectpsp:script-tag-bundle-and-types',
    apply: 'build',
    async closeBundle() {
      await build(scriptTagBuild(`${root}widget/script-tag.ts`, outDir));

      const tsc = spawnSync(process.execPath, [`${root}node_modules/typescript/bin/tsc`, '-p', `${root}widget/tsconfig.build.json`], {
        stdio: 'inherit',
      });
      if (tsc.status !== 0) throw new Error('tsc could not emit the widget declarations');
      // One declaration file per entry beside its module, re-exporting what tsc emitted under types/.
      for (const [entry, source] of Object.entries(ENTRIES)) {
        writeFileSync(`${outDir}/${entry}.d.ts`, `export * from './types/${source.replace(/\.ts$/, '.js')}';\n`);
      }
    },
  };
}

export default defineConfig({
  build: {
    ...shared,
    emptyOutDir: true,
    minify: false,
    lib: {
      entry: Object.fromEntries(Object.entries(ENTRIES).map(([name, source]) => [name, `${root}widget/${source}`])),
      formats: ['es'],
      fileName: (_format, entryName) => `${entryName}.js`,
    },
    rolldownOptions: {
      // Lit's own packages stay imports; @lit/react and qrcode's core are bundled (see the top).
      external: [/^lit(\/|$)/, /^lit-(html|element)(\/|$)/, /^@lit\/reactive-element(\/|$)/, /^react(\/|$)/],
      output: { chunkFileNames: 'chunks/[name]-[hash].js' },
    },
  },
  plugins: [qrcodeSegments(), qrcodeAsEsModules(), moduleSideEffects(), scriptTagBundleAndTypes()],
});
