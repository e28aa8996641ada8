/**
 * `npm run bench`: every benchmark, one after the other, each in a process of its own (its own
 * memory, sockets and raised fd limit), then one markdown table to paste into BENCHMARKS.md.
 *
 *   npm run bench                # the full suite (about 4 minutes on 2 cores)
 *   npm run bench -- --quick     # small counts: checks the suite runs, figures mean little
 *
 * PostgreSQL benchmarks use BENCH_DATABASE_URL or TEST_DATABASE_URL and say so when neither is set.
 * Loopback only; every benchmark is bounded in count and time.
 */
import { once } from 'node:events';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { POSTGRES_URL } from './lib/databases.js';
import { machineLine } from './lib/machine.js';
import type { BenchRow } from './lib/report.js';
import { spawnNode } from './lib/server-process.js';

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false } } });

const SUITE: { script: string; args: string[]; quick: string[] }[] = [
  { script: 'bench/pay-to-sse.ts', args: [], quick: ['--count', '20'] },
  { script: 'bench/sse-streams.ts', args: [], quick: ['--streams', '500'] },
  { script: 'bench/webhook-ingest.ts', args: [], quick: ['--count', '300', '--seconds', '5', '--streams', '100'] },
  { script: 'bench/webhook-to-sse.ts', args: [], quick: ['--streams', '100,300', '--samples', '20'] },
  { script: 'bench/cross-instance.ts', args: [], quick: ['--samples', '20'] },
  { script: 'bench/bundle-size.ts', args: [], quick: [] },
  { script: 'bench/bundle-floor.ts', args: [], quick: [] },
  { script: 'bench/consumer-build.ts', args: [], quick: [] },
  { script: 'bench/detection-delay.ts', args: [], quick: ['--samples', '20', '--payments', '1000'] },
  { script: 'bench/time-to-qr.ts', args: [], quick: ['--samples', '3'] },
];

async function runOne(script: string, args: string[]): Promise<BenchRow[]> {
  const child = spawnNode(script, args, {}, { ipc: true });
  const rows: BenchRow[] = [];
  child.on('message', (message: { rows?: BenchRow[] }) => rows.push(...(message.rows ?? [])));
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) rows.push({ bench: script, setup: '-', result: `failed (exit code ${code}); see its output above` });
  return rows;
}

const startedAt = new Date();
const load = loadavg()[0]!.toFixed(2);
const rows: BenchRow[] = [];
for (const { script, args, quick } of SUITE) {
  console.log(`\n▶ ${script}`);
  rows.push(...(await runOne(script, values.quick ? quick : args)));
}

const cell = (text: string) => text.replaceAll('|', '\\|');
const table = [
  `- Command: \`npm run bench${values.quick ? ' -- --quick' : ''}\` — ${startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC, ` +
    `${Math.round((Date.now() - startedAt.getTime()) / 1000)} s; load average ${load} at the start`,
  `- Machine: ${machineLine()}`,
  `- PostgreSQL: ${POSTGRES_URL ? `${new URL(POSTGRES_URL).host}${new URL(POSTGRES_URL).pathname} (BENCH_DATABASE_URL or TEST_DATABASE_URL)` : 'not set, its rows are skipped'}`,
  '',
  '| benchmark | setup | result | target |',
  '|---|---|---|---|',
  ...rows.map(
    (r) =>
      `| ${cell(r.bench)} | ${cell(r.setup)} | ${cell(r.result)} | ${r.target ? `${cell(r.target)}: ${r.met ? '**met**' : '**not met**'}` : ''} |`,
  ),
];
console.log(`\n${table.join('\n')}`);
