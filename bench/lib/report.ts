/** One line of the results table. */
export interface BenchRow {
  bench: string;
  setup: string;
  result: string;
  target?: string;
  /** Whether the target was met; undefined when there is no target. */
  met?: boolean;
}

/**
 * Prints the rows as plain lines and, when run by `bench/run-all.ts`, hands them to it over IPC,
 * so each benchmark runs alone in its own process (its own memory, sockets and fd limit).
 */
export function report(rows: BenchRow[]): void {
  for (const row of rows) {
    const target = row.target ? `  (target ${row.target}: ${row.met ? 'met' : 'NOT met'})` : '';
    console.log(`${row.bench} [${row.setup}]: ${row.result}${target}`);
  }
  process.send?.({ rows });
}
