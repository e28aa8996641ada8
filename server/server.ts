import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import type { Express } from 'express';

import type { EventBus } from './bus/event-bus.js';
import type { CheckoutService } from './checkouts/checkout-service.js';
import { createCheckoutServer, createHttpServer, type CheckoutServer } from './checkout-server.js';
import type { Config } from './config.js';
import { createLogger, type Logger } from './logger.js';
import type { Store } from './store/store.js';

export interface RunningServer {
  /** Base URL the server answers on, e.g. http://127.0.0.1:3000. */
  url: string;
  publicUrl: string;
  server: Server;
  store: Store;
  bus: EventBus;
  service: CheckoutService;
  logger: Logger;
  checkoutServer: CheckoutServer;
  /** Stops gracefully (see `CheckoutServer.stop`), closing the listener too. */
  close(options?: { drainMs?: number }): Promise<void>;
}

export interface StartOptions {
  logger?: Logger;
  /** Extra routers (the demo), mounted after the API and before the 404 handler. */
  mount?: (app: Express) => void;
}

/**
 * The standalone server: binds `PORT`/`HOST`, builds the companion server behind it and starts its
 * background work. The socket is bound first so that a `PORT=0` server knows its own URL before the
 * embedded sandbox and the ConnectPSP client, which need it, are built.
 */
export async function startServer(config: Config, options: StartOptions = {}): Promise<RunningServer> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const server = createHttpServer();
  // Bound before the store is open (PostgreSQL migrations can take seconds when instances start
  // together): a request that arrives meanwhile gets a plain 503, not silence, and its client
  // (a load balancer's /readyz probe) asks again.
  const starting = (_req: IncomingMessage, res: ServerResponse) => {
    if (server.listeners('request').length > 1) return; // the app is attached: it answers
    const body = JSON.stringify({ error: { type: 'unavailable', message: 'The server is starting; try again in a moment.' } });
    res.writeHead(503, { 'Content-Type': 'application/json; charset=utf-8', 'Retry-After': '1', Connection: 'close' }).end(body);
  };
  server.on('request', starting);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  let checkoutServer: CheckoutServer;
  try {
    checkoutServer = await createCheckoutServer(
      { ...config, publicUrl: config.publicUrl ?? `http://localhost:${port}` },
      { logger, selfUrl: url, server, ...(options.mount ? { mount: options.mount } : {}) },
    );
    server.off('request', starting);
    await checkoutServer.start();
  } catch (err) {
    server.close();
    throw err;
  }
  return {
    url,
    publicUrl: checkoutServer.publicUrl,
    server,
    store: checkoutServer.store,
    bus: checkoutServer.bus,
    service: checkoutServer.service,
    logger,
    checkoutServer,
    close: (closeOptions) => checkoutServer.stop(closeOptions),
  };
}
