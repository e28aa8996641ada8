/**
 * `npm start`: reads the configuration, starts the companion server (with the embedded ConnectPSP
 * sandbox and the demo store in sandbox mode) and stops cleanly on SIGTERM/SIGINT.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfig, type Config } from './config.js';
import { createLogger } from './logger.js';
import { startServer } from './server.js';
import { createDemoRouter } from '../demo/demo-router.js';

const DIST_DIR = fileURLToPath(new URL('../dist', import.meta.url));

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
      // `npm start` builds it first (scripts/ensure-widget-build.mjs); `tsx server/main.ts` does not.
      ...(existsSync(`${DIST_DIR}/connectpsp-checkout.iife.js`) ? [] : ['  WARNING: the widget is not built (no dist/), so the demo store has no checkout: run `npm run build`.']),
      ...(config.defaultedCredentials.includes('CHECKOUT_API_KEY') ? [`  merchant API key:      ${config.checkoutApiKey}  (sandbox default; set CHECKOUT_API_KEY to change)`] : []),
      `  database:              ${config.database.kind === 'sqlite' ? config.database.filename : 'postgres'}`,
      ...(config.embeddedSandbox ? [`  sandbox state:         ${config.sandboxStateFile ?? 'in memory (forgotten at exit; set SANDBOX_STATE_FILE to keep it)'}`] : []),
      config.merchantWebhookUrl
        ? `  merchant webhooks:     ${config.merchantWebhookUrl}${config.defaultedCredentials.includes('MERCHANT_WEBHOOK_SECRET') ? `  (secret ${config.merchantWebhookSecret}, sandbox default)` : ''}`
        : '  merchant webhooks:     off (set MERCHANT_WEBHOOK_URL; events wait in the outbox)',
      '  Set CONNECTPSP_ENV=staging or production with real credentials to take real payments.',
    ];
    process.stdout.write(lines.join('\n') + '\n');
  } else {
    logger.info('connectpsp-checkout started', { mode: config.mode, url: running.publicUrl, connectpsp: config.connectpspBaseUrl });
  }

  const stop = async (signal: string) => {
    logger.info('shutting down', { signal });
    await running.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

main().catch((err) => {
  process.stderr.write(`connectpsp-checkout failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
