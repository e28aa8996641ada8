import { Router } from 'express';
import { isTerminal } from 'connectpsp-checkout/contract';
import type { EventBus } from '../bus/event-bus.js';
import type { CheckoutService } from '../checkouts/checkout-service.js';
import { HttpError } from '../http-error.js';
import { DRAIN_RETRY_MS, type Lifecycle } from '../lifecycle.js';
import { formatSse, openSseStream } from '../sse.js';
import type { CheckoutEvent, Store } from '../store/store.js';
import { clientSecretOf } from './browser-routes.js';

export interface EventsRouteDeps {
  service: CheckoutService;
  store: Store;
  bus: EventBus;
  heartbeatMs: number;
  /** Sent as `retry:` so browsers reconnect quickly after a network blip. */
  retryMs?: number;
  /** Counts open streams for /metrics; called with +1 and -1. */
  onStreamCount?: (delta: number) => void;
  /** Ends open streams with a last `retry:` frame when the server drains. */
  lifecycle?: Lifecycle;
}

/**
 * `GET /v1/checkouts/:id/events` — the live status as Server-Sent Events.
 *
 * Ids are the store's event ids, so `Last-Event-ID` is a cursor any instance can resume from. The
 * stream subscribes before it reads, so an event that lands between the read and the subscription
 * is not missed; every notice triggers a read of what came after the last id sent, so a duplicate
 * notice sends nothing twice.
 *
 * The stream ends after a terminal status (refunded, cancelled), not at paid: a paid checkout can
 * still be refunded, and a payer looking at the receipt must see that live, not after a reload.
 */
export function eventsRoute(deps: EventsRouteDeps): Router {
  const router = Router();

  router.get('/v1/checkouts/:id/events', async (req, res) => {
    const checkout = await deps.service.authorizeClient(req.params.id, clientSecretOf(req));
    const lastEventId = parseLastEventId(req.get('last-event-id') ?? (req.query.lastEventId as string | undefined));

    let lastSent = lastEventId ?? 0;
    let closed = false;
    let pulling: Promise<void> = Promise.resolve();
    let pullAgain = false;

    const unsubscribe = deps.bus.subscribe(checkout.id, () => schedulePull());

    let backlog: CheckoutEvent[];
    if (lastEventId === undefined) {
      const latest = await deps.store.latestEvent(checkout.id);
      backlog = latest ? [latest] : [];
    } else {
      backlog = await deps.store.eventsAfter(checkout.id, lastEventId);
      // A reconnect that already saw the terminal status: 204 stops EventSource for good (WHATWG).
      if (backlog.length === 0 && isTerminal(checkout.status)) {
        unsubscribe();
        res.status(204).end();
        return;
      }
    }

    openSseStream(res, deps.retryMs ?? 2000);
    deps.onStreamCount?.(1);
    const heartbeat = setInterval(() => {
      if (!closed) res.write(': heartbeat\n\n');
    }, deps.heartbeatMs);
    heartbeat.unref();

    /** Ends the stream once; later notices, pulls and heartbeats find it closed and write nothing. */
    const finish = () => {
      if (closed) return;
      closed = true;
      clearInterval(heartbeat);
      unsubscribe();
      res.end();
    };
    // A draining server asks the browser to come back in a second (to another instance, behind a
    // load balancer), then ends the stream cleanly; EventSource resumes with Last-Event-ID.
    const forget = deps.lifecycle?.addStream(() => {
      if (closed) return;
      res.write(`retry: ${DRAIN_RETRY_MS}\n\n`);
      finish();
    });
    // res 'close', not req 'close': the request side closes as soon as its (empty) body is read.
    res.on('close', () => {
      finish();
      forget?.();
      deps.onStreamCount?.(-1);
    });

    const send = (events: CheckoutEvent[]) => {
      for (const event of events) {
        if (closed || event.id <= lastSent) continue;
        res.write(formatSse({ event: 'status', id: event.id, data: event.data }));
        lastSent = Math.max(lastSent, event.id);
        if (isTerminal(event.data.status)) return finish();
      }
    };

    function schedulePull(): void {
      if (closed) return;
      if (pullAgain) return;
      pullAgain = true;
      pulling = pulling.then(async () => {
        pullAgain = false;
        if (closed) return;
        try {
          send(await deps.store.eventsAfter(checkout.id, lastSent));
        } catch {
          // The store failed mid-stream: end it; the browser reconnects with Last-Event-ID and resumes.
          finish();
        }
      });
    }

    send(backlog);
    // Anything that committed after our read but before the subscription fired is picked up here.
    schedulePull();
  });

  return router;
}

function parseLastEventId(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  if (!/^\d{1,15}$/.test(value)) throw new HttpError(400, 'Last-Event-ID must be a number from an earlier event.', { field: 'Last-Event-ID' });
  return Number(value);
}
