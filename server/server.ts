import { createServer, type Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import { createApp } from './app.js';
import type { EventBus } from './bus/event-bus.js';
import { CheckoutService } from './checkouts/checkout-service.js';
import type { Config } from './config.js';
import { ConnectPspClient } from './connectpsp/client.js';
import { createLogger, type Logger } from './logger.js';
import { Reconciler } from './checkouts/reconciler.js';
import { createSandbox, type Sandbox } from './sandbox/sandbox.js';
import { createBus, createStore } from './store/create-store.js';
import type { Store } from './store/store.js';
import { ROUTES } from './contract.js';
import { SignatureFailureMonitor } from './alerts.js';
import { MerchantWebhookWorker } from './merchant-webhooks/outbox-worker.js';
import { Metrics } from './metrics.js';
import { PayoutService } from './payouts/payout-service.js';
import { PayoutReconciler } from './payouts/payout-reconciler.js';
import { BalanceService } from './balance/balance-service.js';
import { recordingAlerts } from './console/alert-log.js';
import { consoleRouter } from './console/console-router.js';

/** Where `npm run build` writes the console's browser code (vite.console.config.ts). */
const CONSOLE_ASSETS_DIR = fileURLToPath(new URL('../dist/console', import.meta.url));

export interface RunningServer {
  /** Base URL the server answers on, e.g. http://127.0.0.1:3000. */
  url: string;
  publicUrl: string;
  server: Server;
  store: Store;
  bus: EventBus;
  service: CheckoutService;
  logger: Logger;
  /** Stops taking requests, ends streams and timers, closes the store. */
  close(): Promise<void>;
}

export interface StartOptions {
  logger?: Logger;
  /** Extra routers (the demo), mounted after the API and before the 404 handler. */
  mount?: (app: Express) => void;
}

/**
 * Wires the whole server from a config and starts listening. The socket is bound first so that a
 * `PORT=0` server knows its own URL before the embedded sandbox and the ConnectPSP client, which
 * need it, are built.
 */
export async function startServer(config: Config, options: StartOptions = {}): Promise<RunningServer> {
  const baseLogger = options.logger ?? createLogger(config.logLevel);
  const store = await createStore(config.database, baseLogger);
  // From here on every `alert: true` error line is also kept in the store (console/alert-log.ts).
  const logger = recordingAlerts(baseLogger, (alert) => store.recordAlert(alert));
  const bus = await createBus(config.database, logger);

  const server = createServer();
  server.keepAliveTimeout = 65_000; // longer than common load-balancer idle timeouts
  // Requests Node's parser refuses before the app sees them (headers too large, malformed lines)
  // still get the JSON error shape every other 4xx has.
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (!socket.writable) return socket.destroy();
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
    const body = JSON.stringify({ error: { type: 'invalid_request', message: status === 431 ? 'Request headers are too large.' : 'Malformed HTTP request.' } });
    // A HEAD answer has no body, or the client reads it as the start of the next response.
    const head = (err as { rawPacket?: Buffer }).rawPacket?.subarray(0, 5).toString('latin1') === 'HEAD ';
    socket.end(`HTTP/1.1 ${status} ${status === 431 ? 'Request Header Fields Too Large' : 'Bad Request'}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${head ? '' : body}`);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  const publicUrl = config.publicUrl ?? `http://localhost:${port}`;

  let sandbox: Sandbox | undefined;
  if (config.embeddedSandbox) {
    sandbox = createSandbox({
      credentials: config.credentials,
      publicUrl: `${publicUrl}/sandbox`,
      defaultWebhookUrl: `${url}${ROUTES.connectpspWebhook}`,
      merchantName: config.merchantName,
      ...(config.sandboxCashOutSettleMs !== undefined ? { cashOutSettleDelayMs: config.sandboxCashOutSettleMs } : {}),
    });
  }
  const metrics = new Metrics(store);
  const gateway = new ConnectPspClient({
    baseUrl: config.connectpspBaseUrl ?? `${url}/sandbox/connectpsp`,
    ...config.credentials,
    onCall: (call) => {
      const outcome = call.status === 0 ? 'network_error' : call.status < 400 ? 'ok' : call.status < 500 ? 'client_error' : 'server_error';
      metrics.gatewayCalls.inc({ path: call.path, outcome, code: call.code ?? '' });
      if (call.status === 0 || call.status >= 500) logger.warn('ConnectPSP call failed', { ...call });
      else logger.debug('ConnectPSP call', { ...call });
    },
  });
  const outbox = config.merchantWebhookUrl
    ? new MerchantWebhookWorker({
        store,
        url: config.merchantWebhookUrl,
        secret: config.merchantWebhookSecret,
        logger,
        onAttempt: (outcome) => metrics.merchantDeliveries.inc({ outcome }),
        onDelivery: (attempt) => void store.recordDeliveryAttempt(attempt).catch(() => undefined),
      })
    : undefined;
  const webhookUrl = `${config.embeddedSandbox ? url : publicUrl}${ROUTES.connectpspWebhook}`;
  const payouts = new PayoutService({ store, gateway, logger, webhookUrl, confirmPayments: config.confirmPayments, onMerchantEvent: () => outbox?.nudge() });
  const payoutReconciler = new PayoutReconciler({ service: payouts, store, logger, intervalMs: config.reconcileIntervalMs });
  const balances = new BalanceService(gateway, logger);
  const service = new CheckoutService({
    store,
    bus,
    gateway,
    logger,
    // The embedded sandbox calls back over loopback; a real gateway calls PUBLIC_URL.
    webhookUrl: `${config.embeddedSandbox ? url : publicUrl}${ROUTES.connectpspWebhook}`,
    defaultExpiresInMinutes: config.defaultExpiresInMinutes,
    confirmPayments: config.confirmPayments,
    autoRefundDuplicates: config.autoRefundDuplicates,
    onMerchantEvent: () => outbox?.nudge(),
    cashOuts: payouts,
  });

  const reconciler = new Reconciler({ service, store, logger, intervalMs: config.reconcileIntervalMs });

  const app = createApp({
    store,
    bus,
    service,
    logger,
    checkoutApiKey: config.checkoutApiKey,
    cryptoToken: config.credentials.cryptoToken,
    merchantName: config.merchantName,
    allowedOrigins: config.allowedOrigins,
    sseHeartbeatMs: config.sseHeartbeatMs,
    metrics,
    metricsToken: config.metricsToken,
    rateLimits: config.rateLimits,
    signatureFailures: new SignatureFailureMonitor(logger),
    reconciler,
    acknowledgeWebhooksFirst: config.confirmPayments,
    sseMaxStreamsPerCheckout: config.sseMaxStreamsPerCheckout,
    payouts,
    balances,
    onMerchantEvent: () => outbox?.nudge(),
    mount: (a) => {
      if (sandbox) a.use('/sandbox', sandbox.router);
      if (config.consolePassword) {
        a.use(
          '/console',
          consoleRouter({ password: config.consolePassword, store, bus, service, payouts, balances, logger, assetsDir: CONSOLE_ASSETS_DIR, secureCookie: (publicUrl ?? '').startsWith('https:'), onMerchantEvent: () => outbox?.nudge() }),
        );
      }
      options.mount?.(a);
    },
  });
  server.on('request', app);

  // The reconciler (checkouts/reconciler.ts): charges at expiry, webhooks not yet applied, refunds in flight.
  await reconciler.start();
  payoutReconciler.start();
  outbox?.start();

  const sockets = new Set<import('node:net').Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  return {
    url,
    publicUrl,
    server,
    store,
    bus,
    service,
    logger,
    async close() {
      await reconciler.stop();
      await payoutReconciler.stop();
      await outbox?.stop();
      // The sandbox first: its webhook deliveries still have a server to finish talking to.
      await sandbox?.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // SSE streams never end by themselves: cut them so close() finishes.
        for (const s of sockets) s.destroy();
      });
      await bus.close();
      await store.close();
    },
  };
}
