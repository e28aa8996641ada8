// `npm run build -w server` (and the package's prepack): compiles the server to server/dist with
// declarations, copies the demo store's page and assets beside it (server/dist/demo-site), so
// `connectpsp-checkout-server start` in sandbox mode serves them from a production install, and
// builds the operator console's browser code (server/dist/console-assets).
// The wire contract comes from the built widget package, so the widget is built first if needed.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const run = (command, args, cwd) => {
  const result = spawnSync(command, args, { cwd, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
};

if (!existsSync(`${here}../widget/dist/contract.d.ts`)) run('npm', ['run', 'build:widget'], `${here}..`);
rmSync(`${here}dist`, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
run(process.execPath, [tsc, '-p', `${here}tsconfig.build.json`], here);
cpSync(`${here}../demo`, `${here}dist/demo-site`, { recursive: true });
// The operator console's browser code, into dist/console-assets (vite.console.config.ts).
const vite = fileURLToPath(new URL('../node_modules/vite/bin/vite.js', import.meta.url));
run(process.execPath, [vite, 'build', '--logLevel', 'warn', '-c', 'vite.console.config.ts'], `${here}..`);
