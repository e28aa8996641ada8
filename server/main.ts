/**
 * `connectpsp-checkout-server start` (and `npm start`): reads the configuration, starts the
 * companion server (with the embedded ConnectPSP sandbox and the demo store in sandbox mode) and
 * stops gracefully on SIGTERM/SIGINT: `/readyz` says 503 at once, streams are told to reconnect,
 * in-flight requests finish within SHUTDOWN_DRAIN_SECONDS, then exit 0. A second signal exits at once.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { existsSync } from 'node:fs';
import { ConfigError, loadConfig, type Config } from './config.js';
import { createLogger } from './logger.js';
import { startServer } from './server.js';
import { createDemoRouter } from './demo/demo-router.js';

/** The built widget, from the widget package (in the repository, a workspace link to widget/). */
const DIST_DIR = join(dirname(createRequire(import.meta.url).resolve('connectpsp-checkout/package.json')), 'dist');

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
  const logger = createLogger(config.logLevel);
  const running = await startServer(config, {
    logger,
    // The demo store creates real checkouts with the merchant key: only where no money moves.
    mount: config.mode === 'sandbox' ? (app) => app.use(createDemoRouter({ apiKey: config.checkoutApiKey, distDir: DIST_DIR })) : undefined,
  });

  if (config.mode === 'sandbox') {
    const lines = [
      `connectpsp-checkout is running in SANDBOX mode on ${running.publicUrl}`,
      config.embeddedSandbox
        ? `  ConnectPSP sandbox (no real money): ${running.publicUrl}/sandbox/connectpsp`
        : `  ConnectPSP sandbox at ${config.connectpspBaseUrl}`,
      `  demo store:            ${running.publicUrl}/`,
      // `npm start` builds it first (scripts/ensure-widget-build.mjs); running server/cli.ts directly does not.
      ...(existsSync(`${DIST_DIR}/connectpsp-checkout.iife.js`)
        ? []
        : ['  WARNING: the widget is not built (no dist/), so the demo store has no checkout: run `npm run build`.']),
      ...(config.defaultedCredentials.includes('CHECKOUT_API_KEY')
        ? [`  merchant API key:      ${config.checkoutApiKey}  (sandbox default; set CHECKOUT_API_KEY to change)`]
        : []),
      `  database:              ${config.database.kind === 'sqlite' ? config.database.filename : 'postgres'}`,
      ...(config.embeddedSandbox
        ? [`  sandbox state:         ${config.sandboxStateFile ?? 'in memory (forgotten at exit; set SANDBOX_STATE_FILE to keep it)'}`]
        : []),
      config.merchantWebhookUrl
        ? `  merchant webhooks:     ${config.merchantWebhookUrl}${config.defaultedCredentials.includes('MERCHANT_WEBHOOK_SECRET') ? `  (secret ${config.merchantWebhookSecret}, sandbox default)` : ''}`
        : '  merchant webhooks:     off (set MERCHANT_WEBHOOK_URL; events wait in the outbox)',
      '  Set CONNECTPSP_ENV=staging or production with real credentials to take real payments.',
    ];
    process.stdout.write(lines.join('\n') + '\n');
  } else {
    logger.info('connectpsp-checkout started', { mode: config.mode, url: running.publicUrl, connectpsp: config.connectpspBaseUrl });
  }

  let stopping = false;
  const stop = async (signal: NodeJS.Signals) => {
    if (stopping) {
      // The operator insists: no more draining.
      logger.warn('second signal: exiting now', { signal });
      process.exit(signal === 'SIGINT' ? 130 : 143);
    }
    stopping = true;
    logger.info('shutting down: draining', { signal, drainSeconds: config.shutdownDrainMs / 1000 });
    try {
      await running.close();
      logger.info('stopped');
      process.exit(0);
    } catch (err) {
      logger.error('shutdown failed', { error: err instanceof Error ? err.message : String(err) });
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  watchNpmParent(() => void stop('SIGTERM'));
}

/**
 * `npx connectpsp-checkout-server start` runs the bin through `sh -c`, and a signal sent to npm
 * reaches that shell, which dies without passing it on: the server would go on alone, re-parented
 * to init. Started by npm (it sets `npm_command`), the server treats the loss of its parent as the
 * stop it was meant to get. Elsewhere (node directly, a container, a supervisor) nothing changes.
 */
function watchNpmParent(onOrphaned: () => void): void {
  if (!process.env.npm_command) return;
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    onOrphaned();
  }, 250);
  timer.unref();
}

main().catch((err) => {
  process.stderr.write(`connectpsp-checkout failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
