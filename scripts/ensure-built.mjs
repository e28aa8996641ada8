// Run before `npm start`: builds the widget when widget/dist is missing or older than its sources,
// so the demo store always serves the widget as the sources say (a fresh clone has no dist/).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const bundle = join(root, 'widget/dist/connectpsp-checkout.iife.js');

function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'dist' || entry.name === 'node_modules') continue;
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

const built = existsSync(bundle) ? statSync(bundle).mtimeMs : 0;
const sources = Math.max(newestSource(join(root, 'widget')), statSync(join(root, 'vite.config.ts')).mtimeMs);
if (built < sources) {
  console.log(built === 0 ? 'Building the widget (first start)…' : 'The widget sources changed since the last build: rebuilding…');
  const result = spawnSync('npm', ['run', 'build:widget', '--silent'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error('The widget did not build; the demo store cannot show it. See the errors above.');
    process.exit(result.status ?? 1);
  }
}
