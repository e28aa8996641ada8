/**
 * `connectpsp-checkout-server` as a library, for merchants who already run Node:
 *
 * ```ts
 * import express from 'express';
 * import { createCheckoutServer, loadConfig } from 'connectpsp-checkout-server';
 *
 * const app = express();
 * const checkout = await createCheckoutServer(loadConfig(), { selfUrl: 'http://127.0.0.1:8080/pay' });
 * app.use('/pay', checkout.handler);
 * await checkout.start();
 * const server = app.listen(8080);
 * process.on('SIGTERM', async () => { await checkout.stop(); server.close(); });
 * ```
 *
 * `startServer()` is the standalone server the `connectpsp-checkout-server start` command runs.
 */
export {
  createCheckoutServer,
  createHttpServer,
  type CheckoutServer,
  type CheckoutServerOptions,
  type RequestListener,
} from './checkout-server.js';
export {
  ConfigError,
  loadConfig,
  SANDBOX_CHECKOUT_API_KEY,
  SANDBOX_MERCHANT_WEBHOOK_SECRET,
  type Config,
  type Database,
} from './config.js';
export { createLogger, type Logger } from './logger.js';
export { startServer, type RunningServer, type StartOptions } from './server.js';
export { createSandbox, type Sandbox, type SandboxOptions } from './sandbox/sandbox.js';
export { SANDBOX_CREDENTIALS } from './sandbox/defaults.js';
export { createDemoRouter, type DemoRouterOptions } from './demo/demo-router.js';
