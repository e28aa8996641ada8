import { Router, type Request, type Response } from 'express';
import { isTerminal } from 'connectpsp-checkout/contract';
import type { EventBus } from '../bus/event-bus.js';
import type { CheckoutService } from '../checkouts/checkout-service.js';
import { HttpError } from '../http-error.js';
import { DRAIN_RETRY_MS, type Lifecycle } from '../lifecycle.js';
import { DomainError } from '../checkouts/errors.js';
import { formatSse, openSseStream } from '../sse.js';
import type { CheckoutEvent, CheckoutRecord, Store } from '../store/store.js';
import { clientSecretOf } from './browser-routes.js';
import { ROUTE_TABLE } from './route-table.js';

export interface EventsRouteDeps {
  service: CheckoutService;
  store: Store;
  bus: EventBus;
  heartbeatMs: number;
  /** Sent as `retry:` so browsers reconnect quickly after a network blip. */
  retryMs?: number;
  /** Counts open streams for /metrics; called with +1 and -1. */
  onStreamCount?: (delta: number) => void;
  /** Checks the client secret, then counts the request against the checkout's limit. */
  authorize?: (req: Request, res: Response) => Promise<CheckoutRecord>;
  /** Streams one checkout may hold open on this instance (each costs memory and a socket). Default 5. */
  maxStreamsPerCheckout?: number;
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
  const authorize = deps.authorize ?? ((req: Request) => deps.service.authorizeClient(String(req.params.id), clientSecretOf(req)));
  const maxStreams = deps.maxStreamsPerCheckout ?? 5;
  /** Open streams per checkout id; entries leave when their count drops to 0. */
  const open = new Map<string, number>();

  router.get(ROUTE_TABLE.events.path, async (req, res) => {
    const checkout = await authorize(req, res);
    // One payer needs one stream (two or three with tabs); thousands are an attack on memory.
    if ((open.get(checkout.id) ?? 0) >= maxStreams) {
      res.set('Retry-After', '10');
      throw new HttpError(429, `This checkout already has ${maxStreams} open event streams; close one (another tab?) and try again.`);
    }
    // Counted from here, before any await, so concurrent requests cannot all slip under the cap;
    // uncounted when the answer ends, however it ends (a stream, a 204, an error).
    open.set(checkout.id, (open.get(checkout.id) ?? 0) + 1);
    res.once('close', () => {
      const left = (open.get(checkout.id) ?? 1) - 1;
      if (left > 0) open.set(checkout.id, left);
      else open.delete(checkout.id);
    });
    const lastEventId = parseLastEventId(req.get('last-event-id') ?? (req.query.lastEventId as string | undefined));

    let lastSent = lastEventId ?? 0;
    let closed = false;
    let pulling: Promise<void> = Promise.resolve();
    let pullAgain = false;

    /** Set once the stream is open: what else ending it takes. */
    let endStream: (() => void) | undefined;
    /**
     * Ends the stream once, whenever it is called — also before the stream is open (a notice whose
     * read failed while the backlog was still being read); later notices, pulls and heartbeats find
     * it closed and write nothing.
     */
    const finish = () => {
      if (closed) return;
      closed = true;
      unsubscribe();
      endStream?.();
    };
    const unsubscribe = deps.bus.subscribe(checkout.id, () => schedulePull());

    let backlog: CheckoutEvent[];
    try {
      if (lastEventId === undefined) {
        const latest = await deps.store.latestEvent(checkout.id);
        backlog = latest ? [latest] : [];
      } else {
        backlog = await deps.store.eventsAfter(checkout.id, lastEventId);
      }
    } catch (err) {
      finish(); // the store failed: no stream, the error middleware answers (503)
      throw err;
    }
    if (closed) throw new DomainError('store_unavailable', 'The event history could not be read right now.');
    // A reconnect that already saw the terminal status: 204 stops EventSource for good (WHATWG).
    if (lastEventId !== undefined && backlog.length === 0 && isTerminal(checkout.status)) {
      finish();
      res.status(204).end();
      return;
    }

    openSseStream(res, deps.retryMs ?? 2000);
    deps.onStreamCount?.(1);
    const heartbeat = setInterval(() => {
      if (!closed) res.write(': heartbeat\n\n');
    }, deps.heartbeatMs);
    heartbeat.unref();

    endStream = () => {
      clearInterval(heartbeat);
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

    // A declaration, not a const: a notice may be pulled before this line runs. Nothing is written
    // before the stream is open; what such an early pull read is read again by the pull below.
    function send(events: CheckoutEvent[]): void {
      if (endStream === undefined) return;
      for (const event of events) {
        if (closed || event.id <= lastSent) continue;
        res.write(formatSse({ event: 'status', id: event.id, data: event.data }));
        lastSent = Math.max(lastSent, event.id);
        if (isTerminal(event.data.status)) return finish();
      }
    }

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
  if (!/^\d{1,15}$/.test(value))
    throw new HttpError(400, 'Last-Event-ID must be a number from an earlier event.', { field: 'Last-Event-ID' });
  return Number(value);
}
