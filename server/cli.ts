#!/usr/bin/env node
/**
 * `connectpsp-checkout-server <command>`, the server package's bin:
 *
 * - `start`: the companion server (in sandbox mode with the embedded ConnectPSP sandbox and the
 *   demo store), configured by the environment (see the README's configuration table);
 * - `sandbox`: the ConnectPSP sandbox alone, for a companion server run as its own process;
 * - `migrate`: creates or migrates the database `DATABASE_URL` names, then exits.
 */
export {};

const USAGE = `Usage: connectpsp-checkout-server <start|sandbox|migrate>

  start     the companion server (CONNECTPSP_ENV=sandbox, the default, adds the ConnectPSP sandbox
            and the demo store at http://localhost:3000/)
  sandbox   the ConnectPSP sandbox alone (SANDBOX_PORT, default 4010)
  migrate   create or migrate the database DATABASE_URL names, then exit

Configuration is read from the environment; see the README.`;

const command = process.argv[2];
switch (command) {
  case 'start':
    await import('./main.js');
    break;
  case 'sandbox':
    await import('./sandbox/main.js');
    break;
  case 'migrate':
    await import('./migrate.js');
    break;
  case '-h':
  case '--help':
  case 'help':
    process.stdout.write(`${USAGE}\n`);
    break;
  default:
    process.stderr.write(`${command === undefined ? 'No command given.' : `Unknown command "${command}".`}\n\n${USAGE}\n`);
    process.exit(64); // EX_USAGE
}
