import express, { type ErrorRequestHandler, type Express, type Request, type RequestHandler, type Response } from 'express';
import { randomUUID } from 'node:crypto';
import type { EventBus } from './bus/event-bus.js';
import type { CheckoutService } from './checkouts/checkout-service.js';
import { browserCors } from './cors.js';
import { HttpError } from './http-error.js';
import { DomainError, type DomainErrorKind } from './checkouts/errors.js';
import type { Reconciler } from './checkouts/reconciler.js';
import { ConnectPspError } from './connectpsp/errors.js';
import { isStoreUnavailable } from './store/store-errors.js';
import { audienceOf } from './routes/route-table.js';
import { clientSecretOf } from './routes/browser-routes.js';
import type { CheckoutRecord, WebhookRecord } from './store/store.js';
import type { Lifecycle } from './lifecycle.js';
import type { Logger } from './logger.js';
import { browserRoutes } from './routes/browser-routes.js';
import { eventsRoute } from './routes/events-route.js';
import { healthRoutes } from './routes/health-routes.js';
import { merchantRoutes, requireApiKey } from './routes/merchant-routes.js';
import { cancelRoute } from './routes/cancel-route.js';
import { payoutRoutes } from './payouts/payout-routes.js';
import type { PayoutService } from './payouts/payout-service.js';
import { balanceRoutes } from './balance/balance-routes.js';
import type { BalanceService } from './balance/balance-service.js';
import { webhookRoute } from './routes/webhook-route.js';
import type { Store } from './store/store.js';
import type { ErrorBody } from 'connectpsp-checkout/contract';
import type { Metrics } from './metrics.js';
import { browserRateLimit, checkoutRateLimit, FixedWindowLimiter } from './rate-limit.js';
import type { SignatureFailureMonitor } from './alerts.js';

export interface AppDeps {
  store: Store;
  bus: EventBus;
  service: CheckoutService;
  logger: Logger;
  checkoutApiKey: string;
  cryptoToken: string;
  merchantName: string;
  allowedOrigins: '*' | readonly string[];
  sseHeartbeatMs: number;
  metrics?: Metrics;
  metricsToken?: string | undefined;
  rateLimits?: { perClientPerMinute: number; perCheckoutPerMinute: number };
  signatureFailures?: SignatureFailureMonitor;
  /** Applies webhooks after they were acknowledged (with `acknowledgeWebhooksFirst`). */
  reconciler?: Reconciler;
  /** Answer a verified webhook once recorded, and confirm and apply it after (CONFIRM_PAYMENTS). */
  acknowledgeWebhooksFirst?: boolean;
  /** Open event streams per checkout on this instance; default 5. */
  sseMaxStreamsPerCheckout?: number;
  /** Payouts (POST/GET /v1/payouts); the routes exist only with it. */
  payouts?: PayoutService;
  /** Balance and rebalance (/v1/balance); the routes exist only with it. */
  balances?: BalanceService;
  /** Wakes the merchant outbox worker after a change that wrote a notification (cancel). */
  onMerchantEvent?: () => void;
  now?: () => Date;
  /** Readiness, open streams and in-flight requests, for a graceful stop. */
  lifecycle?: Lifecycle;
  /** Extra routers mounted before the 404 handler (the embedded sandbox, the demo). */
  mount?: (app: Express) => void;
}

/** Builds the companion server's Express app. It never listens: `checkout-server.ts` does, tests use port 0. */
export function createApp(deps: AppDeps): Express {
  const now = deps.now ?? (() => new Date());
  const app = express();
  app.disable('x-powered-by');
  // Every answer is the state of one request (the browser's are no-store): an ETag would hash each
  // body for a conditional GET nobody makes. express.static keeps its own for the demo's files.
  app.set('etag', false);
  app.set('trust proxy', 'loopback');

  if (deps.lifecycle) app.use(deps.lifecycle.trackRequests);
  app.use(requestContext(deps.logger));
  app.use(securityHeaders);
  const cors = browserCors(deps.allowedOrigins);
  const limit = deps.rateLimits ? browserRateLimit({ perClient: new FixedWindowLimiter(deps.rateLimits.perClientPerMinute) }) : undefined;
  const limitCheckout = deps.rateLimits ? checkoutRateLimit(new FixedWindowLimiter(deps.rateLimits.perCheckoutPerMinute)) : undefined;
  // The route table says who calls each path; CORS and the per-client limit apply to the browser's.
  app.use((req, res, next) => {
    if (audienceOf(req.path) !== 'browser') return next();
    cors(req, res, (err?: unknown) => (err || !limit ? next(err) : limit(req, res, next)));
  });
  /** The browser's checkout once its client secret is checked, counted against its per-checkout limit. */
  const authorize = async (req: Request, res: Response): Promise<CheckoutRecord> => {
    const checkout = await deps.service.authorizeClient(String(req.params.id), clientSecretOf(req));
    limitCheckout?.(res, checkout.id);
    return checkout;
  };

  // The webhook route reads the raw body itself (the signature covers the exact bytes), so it goes
  // before the JSON parser.
  app.use(
    webhookRoute({
      service: deps.service,
      store: deps.store,
      cryptoToken: deps.cryptoToken,
      logger: deps.logger,
      now,
      ...(deps.signatureFailures ? { signatureFailures: deps.signatureFailures } : {}),
      ...(deps.reconciler && deps.acknowledgeWebhooksFirst
        ? { applyLater: (record: WebhookRecord) => void deps.reconciler!.processWebhook(record) }
        : {}),
      observe: (outcome, seconds) => deps.metrics?.webhookIngestSeconds.observe({ outcome }, seconds),
    }),
  );
  // inflate: false — compressed request bodies are refused (415), not decompressed: nothing we
  // accept is large enough to need it, and a decompression bomb is one less thing to think about.
  app.use('/v1', express.json({ limit: '32kb', strict: true, inflate: false, type: () => true }));

  app.use(healthRoutes({ store: deps.store, ...(deps.lifecycle ? { lifecycle: deps.lifecycle } : {}) }));
  if (deps.metrics) app.get('/metrics', deps.metrics.handler(deps.metricsToken));
  app.use(merchantRoutes({ service: deps.service, store: deps.store, apiKey: deps.checkoutApiKey }));
  const merchantAuth = requireApiKey(deps.checkoutApiKey);
  app.use(
    cancelRoute({
      store: deps.store,
      bus: deps.bus,
      auth: merchantAuth,
      now,
      ...(deps.onMerchantEvent ? { onMerchantEvent: deps.onMerchantEvent } : {}),
    }),
  );
  if (deps.payouts) app.use(payoutRoutes({ payouts: deps.payouts, auth: merchantAuth }));
  if (deps.balances) app.use(balanceRoutes({ balances: deps.balances, auth: merchantAuth }));
  app.use(
    browserRoutes({
      service: deps.service,
      store: deps.store,
      merchantName: deps.merchantName,
      allowedOrigins: deps.allowedOrigins,
      now,
      authorize,
    }),
  );
  app.use(
    eventsRoute({
      service: deps.service,
      store: deps.store,
      bus: deps.bus,
      heartbeatMs: deps.sseHeartbeatMs,
      authorize,
      maxStreamsPerCheckout: deps.sseMaxStreamsPerCheckout ?? 5,
      onStreamCount: (delta) => deps.metrics?.openStreams.inc(delta),
      ...(deps.lifecycle ? { lifecycle: deps.lifecycle } : {}),
    }),
  );

  deps.mount?.(app);

  app.use((req, _res, next) => next(new HttpError(404, `No route for ${req.method} ${req.path}.`)));
  app.use(errorHandler(deps.logger));
  return app;
}

const securityHeaders: RequestHandler = (req, res, next) => {
  res.set({
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'SAMEORIGIN',
    'Cross-Origin-Resource-Policy': 'cross-origin',
    'Strict-Transport-Security': 'max-age=31536000',
  });
  // API answers are data, never documents: nothing in them may run or be framed.
  if (req.path.startsWith('/v1/') || req.path === '/metrics')
    res.set('Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'");
  next();
};

/** A request id on every answer and log line; the path is logged without its query (client secrets). */
function requestContext(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const incoming = req.get('x-request-id');
    const id = incoming && /^[\w-]{1,64}$/.test(incoming) ? incoming : randomUUID();
    res.locals.requestId = id;
    res.set('X-Request-Id', id);
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      logger.debug('request', { requestId: id, method: req.method, path: req.path, status: res.statusCode, ms: Math.round(ms * 10) / 10 });
    });
    next();
  };
}

/** Domain errors (checkouts/errors.ts) as HTTP: the only place this mapping lives. */
const DOMAIN_STATUS: Record<DomainErrorKind, { status: number; type?: ErrorBody['error']['type']; retryAfterSeconds?: number }> = {
  not_found: { status: 404 },
  conflict: { status: 409 },
  invalid_input: { status: 400 },
  unprocessable: { status: 422 },
  unauthorized: { status: 401 },
  gateway_unavailable: { status: 502, type: 'gateway_error' },
  gateway_auth: { status: 502, type: 'gateway_error' },
  store_unavailable: { status: 503, type: 'unavailable', retryAfterSeconds: 2 },
  not_confirmed: { status: 503, type: 'gateway_error', retryAfterSeconds: 5 },
};

/** What an error becomes on the wire, or undefined for one that is a bug (a 500). */
export function toHttpError(err: unknown): HttpError | undefined {
  if (err instanceof HttpError) return err;
  if (err instanceof DomainError) {
    const { status, type, retryAfterSeconds } = DOMAIN_STATUS[err.kind];
    return new HttpError(status, err.message, {
      ...(err.field ? { field: err.field } : {}),
      ...(type ? { type } : {}),
      ...(retryAfterSeconds ? { retryAfterSeconds } : {}),
      cause: err,
    });
  }
  if (err instanceof ConnectPspError) {
    return new HttpError(502, 'The payment provider is not answering right now. Please try again in a moment.', {
      type: 'gateway_error',
      cause: err,
    });
  }
  // The database went away or is too slow right now: a condition that passes, not a bug.
  if (isStoreUnavailable(err)) {
    return new HttpError(503, 'The service is briefly unavailable. Please try again in a moment.', {
      type: 'unavailable',
      retryAfterSeconds: 2,
      cause: err,
    });
  }
  return undefined;
}

/**
 * The one place errors become answers: `HttpError` as itself, domain, gateway and database errors
 * by `toHttpError`, body-parser failures as 4xx naming the problem, anything else as a 500 without
 * internals (and a log line with them).
 */
function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const requestId = res.locals.requestId as string | undefined;
    let httpError: HttpError;
    const mapped = toHttpError(err);
    if (mapped) {
      httpError = mapped;
      if (httpError.status === 503)
        logger.warn('answered 503', {
          requestId,
          method: req.method,
          path: req.path,
          error: err instanceof Error ? err.message : String(err),
        });
    } else if (err instanceof URIError) {
      // The router could not decode a %-escape in the path: the client sent a malformed URL.
      httpError = new HttpError(400, 'The URL path has a malformed %-escape.', { field: 'path' });
    } else if (isBodyParserError(err)) {
      httpError =
        err.type === 'entity.too.large'
          ? new HttpError(413, `Request body is larger than ${err.limit} bytes.`, { field: 'body' })
          : err.type === 'entity.parse.failed'
            ? new HttpError(400, 'Request body is not valid JSON.', { field: 'body' })
            : new HttpError(err.status ?? 400, err.message, { field: 'body' });
    } else {
      logger.error('unhandled error', {
        requestId,
        method: req.method,
        path: req.path,
        error: err instanceof Error ? { name: err.name, message: err.message, stack: err.stack } : String(err),
      });
      httpError = new HttpError(500, 'Something went wrong on our side. It has been logged.');
    }
    if (res.headersSent) {
      res.end();
      return;
    }
    if (httpError.retryAfterSeconds !== undefined) res.set('Retry-After', String(httpError.retryAfterSeconds));
    const body: ErrorBody = {
      error: {
        type: httpError.type,
        message: httpError.message,
        ...(httpError.field ? { field: httpError.field } : {}),
        ...(requestId ? { requestId } : {}),
      },
    };
    res.status(httpError.status).json(body);
  };
}

function isBodyParserError(err: unknown): err is { type: string; status?: number; limit?: number; message: string } {
  return typeof err === 'object' && err !== null && typeof (err as { type?: unknown }).type === 'string' && 'expose' in err;
}
