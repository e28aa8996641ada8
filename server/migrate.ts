/**
 * `connectpsp-checkout-server migrate`: opens the database `DATABASE_URL` names, which creates its
 * tables or migrates them (PostgreSQL migrations are safe when several instances run them at
 * once), then exits. A deploy step can run it before the new instances start.
 */
import { ConfigError, loadConfig } from './config.js';
import { createLogger } from './logger.js';
import { createStore } from './store/create-store.js';

try {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  const store = await createStore(config.database, logger);
  await store.close();
  process.stdout.write(`database ready: ${config.database.kind === 'sqlite' ? config.database.filename : 'postgres'}\n`);
} catch (err) {
  process.stderr.write(
    `${err instanceof ConfigError ? err.message : `migrate failed: ${err instanceof Error ? err.message : String(err)}`}\n`,
  );
  process.exit(err instanceof ConfigError ? 78 : 1);
}
