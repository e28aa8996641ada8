import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { RequestHandler } from 'express';
import { HttpError } from './http-error.js';
import { safeEqual } from './ids.js';
import type { Store } from './store/store.js';

/**
 * The operator's numbers, in Prometheus format at GET /metrics. One registry per server, so tests
 * and several servers in one process do not mix their counts.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly webhookIngestSeconds = new Histogram({
    name: 'connectpsp_webhook_ingest_seconds',
    help: 'Time from receiving a ConnectPSP webhook to answering it (verify, write, apply).',
    labelNames: ['outcome'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  readonly openStreams = new Gauge({
    name: 'connectpsp_sse_open_streams',
    help: 'Server-Sent Events streams open now.',
    registers: [this.registry],
  });
  readonly gatewayCalls = new Counter({
    name: 'connectpsp_gateway_calls_total',
    help: 'Calls to ConnectPSP by endpoint, outcome and error code.',
    labelNames: ['path', 'outcome', 'code'] as const,
    registers: [this.registry],
  });
  readonly merchantDeliveries = new Counter({
    name: 'connectpsp_merchant_webhook_attempts_total',
    help: 'Merchant webhook delivery attempts by outcome.',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  constructor(store: Store) {
    new Gauge({
      name: 'connectpsp_merchant_outbox_backlog',
      help: 'Merchant notifications written but not yet delivered.',
      registers: [this.registry],
      async collect() {
        this.set(await store.merchantEventBacklog());
      },
    });
    collectDefaultMetrics({ register: this.registry });
  }

  /** GET /metrics; with a token configured, only for `Authorization: Bearer <token>`. */
  handler(token: string | undefined): RequestHandler {
    return async (req, res) => {
      if (token !== undefined) {
        const presented = /^Bearer (.+)$/.exec(req.get('authorization') ?? '')?.[1] ?? '';
        if (!safeEqual(presented, token))
          throw new HttpError(401, 'Send the metrics token as "Authorization: Bearer <METRICS_TOKEN>".', { field: 'Authorization' });
      }
      res.set('Content-Type', this.registry.contentType);
      res.send(await this.registry.metrics());
    };
  }
}
