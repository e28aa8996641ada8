import { existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Server as NetServer, type AddressInfo, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';

import { ROUTES } from 'connectpsp-checkout/contract';
import type { Express } from 'express';

import { SignatureFailureMonitor } from './alerts.js';
import { createApp } from './app.js';
import type { EventBus } from './bus/event-bus.js';
import { CheckoutService } from './checkouts/checkout-service.js';
import { Reconciler } from './checkouts/reconciler.js';
import type { Config } from './config.js';
import { ConnectPspClient } from './connectpsp/client.js';
import { Lifecycle } from './lifecycle.js';
import { createLogger, type Logger } from './logger.js';
import { MerchantWebhookWorker } from './merchant-webhooks/outbox-worker.js';
import { Metrics } from './metrics.js';
import { PayoutService } from './payouts/payout-service.js';
import { PayoutReconciler } from './payouts/payout-reconciler.js';
import { BalanceService } from './balance/balance-service.js';
import { recordingAlerts } from './console/alert-log.js';
import { consoleRouter } from './console/console-router.js';
import { createSandbox, type Sandbox } from './sandbox/sandbox.js';
import { createBus, createStore } from './store/create-store.js';
import type { Store } from './store/store.js';

/**
 * The operator console's browser code (vite.console.config.ts): `console-assets/` beside the
 * compiled server in the package, `server/dist/console-assets/` when running from source.
 */
const CONSOLE_ASSETS_DIR =
  [new URL('./console-assets', import.meta.url), new URL('./dist/console-assets', import.meta.url)]
    .map((url) => fileURLToPath(url))
    .find((dir) => existsSync(dir)) ?? fileURLToPath(new URL('./dist/console-assets', import.meta.url));

export interface CheckoutServerOptions {
  logger?: Logger;
  /**
   * Where this server reaches its own handler over loopback, prefix included, e.g.
   * `http://127.0.0.1:8080/pay`. The embedded sandbox needs it (the ConnectPSP client calls it, and
   * it calls the webhook back). Default: `PUBLIC_URL`, else `http://127.0.0.1:<PORT>`.
   */
  selfUrl?: string;
  /** Extra routers (the demo store), mounted after the API and before the 404 handler. */
  mount?: (app: Express) => void;
  /**
   * A listening server to take over (`startServer()` binds first, to learn a `PORT=0` port): its
   * requests go to `handler`, and `stop()` closes it as if `listen()` had opened it.
   */
  server?: Server;
}

/** A node:http request listener; also what Express's `app.use(path, handler)` accepts. */
export type RequestListener = (req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void) => void;

export interface CheckoutServer {
  /**
   * The companion server's routes as one handler. Mount it where it should answer, e.g.
   * `app.use('/pay', checkout.handler)`, or pass it to `http.createServer`.
   */
  readonly handler: RequestListener;
  readonly store: Store;
  readonly bus: EventBus;
  readonly service: CheckoutService;
  readonly logger: Logger;
  /** Where payers and the widget reach this server (`PUBLIC_URL`, or the self URL). */
  readonly publicUrl: string;
  /** Starts the background work: webhook replay, the reconciler, merchant webhook delivery. */
  start(): Promise<void>;
  /**
   * Stops gracefully: `/readyz` answers 503 at once, open streams get a last `retry:` frame and end,
   * in-flight requests finish (at most `drainMs`, default `SHUTDOWN_DRAIN_SECONDS`), the workers
   * finish their current item, the store closes. Idempotent.
   */
  stop(options?: { drainMs?: number }): Promise<void>;
  /**
   * Standalone: listens on `port`/`host` (default `PORT`/`HOST`); `stop()` then also closes the
   * listener (new connections are refused as soon as the drain starts).
   */
  listen(port?: number, host?: string): Promise<{ url: string; server: Server }>;
}

/**
 * Builds the companion server from a config (`loadConfig()`), without listening and without
 * starting anything in the background: a merchant's app mounts `handler` under any path, calls
 * `start()`, and `stop()` on shutdown. `startServer()` and the CLI do the same around a listener of
 * their own.
 */
export async function createCheckoutServer(config: Config, options: CheckoutServerOptions = {}): Promise<CheckoutServer> {
  const baseLogger = options.logger ?? createLogger(config.logLevel);
  const selfUrl = (options.selfUrl ?? config.publicUrl ?? (config.port !== 0 ? `http://127.0.0.1:${config.port}` : undefined))?.replace(
    /\/$/,
    '',
  );
  if (selfUrl === undefined && config.embeddedSandbox) {
    throw new TypeError('createCheckoutServer: with the embedded sandbox, give options.selfUrl (or PUBLIC_URL, or a PORT other than 0)');
  }
  const publicUrl = config.publicUrl ?? (selfUrl ?? '').replace('//127.0.0.1', '//localhost');

  const store = await createStore(config.database, baseLogger);
  // From here on every `alert: true` error line is also kept in the store (console/alert-log.ts).
  const logger = recordingAlerts(baseLogger, (alert) => store.recordAlert(alert));
  const bus = await createBus(config.database, logger);
  const lifecycle = new Lifecycle();

  // Set once the service exists; the sandbox is built first because the client needs its URL.
  let reconcileTransaction: ((transactionId: string) => Promise<void>) | undefined;
  let sandbox: Sandbox | undefined;
  if (config.embeddedSandbox) {
    sandbox = createSandbox({
      credentials: config.credentials,
      publicUrl: `${publicUrl}/sandbox`,
      defaultWebhookUrl: `${selfUrl}${ROUTES.connectpspWebhook}`,
      merchantName: config.merchantName,
      // The newcomer's gateway keeps its charges as long as the database keeps the checkouts.
      ...(config.sandboxStateFile ? { stateFile: config.sandboxStateFile } : {}),
      // ConnectPSP sends no webhook on expiry, so the expire control tells us directly (sandbox.ts).
      onUnannouncedChange: (transactionId) => reconcileTransaction?.(transactionId),
      ...(config.sandboxCashOutSettleMs !== undefined ? { cashOutSettleDelayMs: config.sandboxCashOutSettleMs } : {}),
    });
  }
  const metrics = new Metrics(store);
  const gateway = new ConnectPspClient({
    baseUrl: config.connectpspBaseUrl ?? `${selfUrl}/sandbox/connectpsp`,
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
  // The embedded sandbox calls back over loopback; a real gateway calls PUBLIC_URL.
  const webhookUrl = `${config.embeddedSandbox ? selfUrl : publicUrl}${ROUTES.connectpspWebhook}`;
  const payouts = new PayoutService({
    store,
    gateway,
    logger,
    webhookUrl,
    confirmPayments: config.confirmPayments,
    onMerchantEvent: () => outbox?.nudge(),
  });
  const payoutReconciler = new PayoutReconciler({ service: payouts, store, logger, intervalMs: config.reconcileIntervalMs });
  const balances = new BalanceService(gateway, logger);
  const service = new CheckoutService({
    store,
    bus,
    gateway,
    logger,
    webhookUrl,
    defaultExpiresInMinutes: config.defaultExpiresInMinutes,
    confirmPayments: config.confirmPayments,
    autoRefundDuplicates: config.autoRefundDuplicates,
    onMerchantEvent: () => outbox?.nudge(),
    cashOuts: payouts,
  });
  reconcileTransaction = (transactionId) => service.reconcileTransaction(transactionId);
  // The reconciler (checkouts/reconciler.ts): charges at expiry, webhooks not yet applied, refunds in flight.
  const reconciler = new Reconciler({ service, store, logger, intervalMs: config.reconcileIntervalMs });

  const app = createApp({
    store,
    bus,
    service,
    logger,
    lifecycle,
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
          consoleRouter({
            password: config.consolePassword,
            store,
            bus,
            service,
            payouts,
            balances,
            logger,
            assetsDir: CONSOLE_ASSETS_DIR,
            secureCookie: publicUrl.startsWith('https:'),
            onMerchantEvent: () => outbox?.nudge(),
          }),
        );
      }
      options.mount?.(a);
    },
  });

  let startupReconcile: Promise<unknown> | undefined;

  let listener: { server: Server; sockets: Set<Socket> } | undefined;
  if (options.server) {
    options.server.on('request', app);
    listener = { server: options.server, sockets: trackSockets(options.server) };
  }
  let started = false;
  let stopping: Promise<void> | undefined;

  const checkoutServer: CheckoutServer = {
    handler: app as unknown as RequestListener,
    store,
    bus,
    service,
    logger,
    publicUrl,

    async start() {
      if (started) return;
      started = true;
      await reconciler.start();
      payoutReconciler.start();
      // The embedded sandbox may have come back without the charges the database still shows open
      // (its state file removed, or none kept with PostgreSQL): ask about each once, so a code it no
      // longer knows ends and the widget offers a new one instead of waiting. Loopback calls only; in
      // the background, so start-up does not wait for them (stop() does).
      if (sandbox) {
        startupReconcile = service
          .reconcileOpen()
          .catch((err) => logger.warn('start-up reconcile failed', { error: err instanceof Error ? err.message : String(err) }));
      }
      outbox?.start();
    },

    stop({ drainMs = config.shutdownDrainMs } = {}) {
      stopping ??= (async () => {
        // No new connections (the listener is ours only when standalone). Open keep-alive
        // connections may still ask /readyz (503 now) and get `Connection: close` on every answer;
        // whatever is left of them is cut after the drain.
        // (net.Server's close, not http.Server's: since Node 19 the latter also drops idle
        // keep-alive connections at once, and with them the chance to hear 503 from /readyz.)
        const closed = listener
          ? new Promise<void>((resolve) => NetServer.prototype.close.call(listener!.server, () => resolve()))
          : Promise.resolve();
        const drained = await lifecycle.drain(drainMs);
        if (!drained)
          logger.warn('shutdown: requests still in flight after the drain; cutting them', { inFlight: lifecycle.inFlight, drainMs });
        // The workers finish their current item.
        await reconciler.stop();
        await payoutReconciler.stop();
        await startupReconcile;
        await outbox?.stop();
        // The sandbox before the sockets: its webhook deliveries still have a server to finish talking to.
        await sandbox?.close();
        if (listener) {
          for (const socket of listener.sockets) socket.destroy();
          await closed;
        }
        await bus.close();
        await store.close();
      })();
      return stopping;
    },

    async listen(port = config.port, host = config.host) {
      if (listener) throw new Error('listen(): already listening');
      const server = createHttpServer(app as unknown as RequestListener);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => resolve());
      });
      listener = { server, sockets: trackSockets(server) };
      return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
    },
  };
  return checkoutServer;
}

/** An HTTP server for the companion server's handler, with the socket-level answers it needs. */
export function createHttpServer(handler?: RequestListener): Server {
  const server = createServer();
  if (handler) server.on('request', handler);
  server.keepAliveTimeout = 65_000; // longer than common load-balancer idle timeouts
  // Requests Node's parser refuses before the app sees them (headers too large, malformed lines)
  // still get the JSON error shape every other 4xx has.
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (!socket.writable) {
      socket.destroy();
      return;
    }
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
    const body = JSON.stringify({
      error: { type: 'invalid_request', message: status === 431 ? 'Request headers are too large.' : 'Malformed HTTP request.' },
    });
    // A HEAD answer has no body, or the client reads it as the start of the next response.
    const head = (err as { rawPacket?: Buffer }).rawPacket?.subarray(0, 5).toString('latin1') === 'HEAD ';
    socket.end(
      `HTTP/1.1 ${status} ${status === 431 ? 'Request Header Fields Too Large' : 'Bad Request'}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${head ? '' : body}`,
    );
  });
  return server;
}

/** The sockets of `server`, kept so a stop can cut what the drain left. */
export function trackSockets(server: Server): Set<Socket> {
  const sockets = new Set<Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return sockets;
}
