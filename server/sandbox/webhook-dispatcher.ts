/**
 * Webhook delivery as docs/connectpsp.md §4 describes it: `POST` of `{ eventType, eventAt, data }` with
 * `data` in the GET shape, `X-Connect-Signature` = lowercase hex HMAC-SHA256 of the raw body keyed
 * with the CryptoToken, and `X-Event-Id` a new UUID for every attempt. Anything but a 2xx within
 * the timeout is retried with exponential backoff and jitter, up to `maxAttempts`.
 *
 * Ordering: the docs promise none (§4.5). The sandbox delivers the events of one transaction one
 * after another (so PAID arrives before REFUNDED unless a fault reorders them), while different
 * transactions never wait for each other. Use the `hold` fault and `release('reverse')` to test
 * out-of-order delivery.
 */
import { utcIso } from './clock.js';
import type { Faults } from './faults.js';
import { newEventId } from './ids.js';
import { hmacSha256Hex } from './signing.js';

/** `CASHOUT_CANCELLED` is the sandbox's own name: the docs have the CANCELLED status but name no event for it. */
export type WebhookEventType =
  'CASHIN_PAID' | 'CASHIN_REFUNDED' | 'CASHOUT_COMPLETED' | 'CASHOUT_FAILED' | 'CASHOUT_REFUNDED' | 'CASHOUT_CANCELLED';

/** One delivery attempt, as `GET /sandbox/webhooks` lists it. */
export interface WebhookAttempt {
  eventType: WebhookEventType;
  transactionId: string;
  eventId: string;
  url: string;
  /** The receiver's HTTP status; null when there was none (connection error, timeout). */
  status: number | null;
  /** 1 for the first try of a delivery, then 2, 3… for its retries. */
  attempt: number;
  at: string;
  /** Why there was no status. */
  error?: string;
}

export interface WebhookRetryPolicy {
  baseDelayMs: number;
  maxDelayMs: number;
  maxAttempts: number;
  /** An answer slower than this counts as a failure (the docs ask receivers for < 5 s). */
  timeoutMs: number;
}

export interface WebhookDispatcherOptions {
  cryptoToken: string;
  fetch: typeof fetch;
  now: () => number;
  faults: Faults;
  retry: WebhookRetryPolicy;
  /** How many attempts `attempts()` keeps (the newest). */
  logSize: number;
}

interface Delivery {
  eventType: WebhookEventType;
  transactionId: string;
  url: string;
  /** The exact bytes that are signed and sent, identical on every attempt. */
  body: string;
  /** Settles once the first attempt is over (or will never happen), for `release()`. */
  firstAttempt: Promise<void>;
  firstAttemptOver: () => void;
}

export class WebhookDispatcher {
  private readonly held: Delivery[] = [];
  /** The last delivery queued per transaction, so the next one starts after it. */
  private readonly tails = new Map<string, Promise<void>>();
  private readonly sleeping = new Set<{ timer: NodeJS.Timeout; wake: () => void }>();
  private readonly inFlight = new Set<AbortController>();
  private readonly log: WebhookAttempt[] = [];
  private closed = false;

  constructor(private readonly options: WebhookDispatcherOptions) {}

  /**
   * Sends `eventType` about `data` to `url` (the transaction's webhookUrl or the default one).
   * Returns at once; delivery and retries happen in the background. Without a URL there is nobody
   * to tell, and nothing is sent.
   */
  publish(eventType: WebhookEventType, data: { transactionId: string }, url: string | null): void {
    if (this.closed || !url) return;
    // `eventAt` is when the event was dispatched (§4.1); the body stays the same across retries.
    const body = JSON.stringify({ eventType, eventAt: utcIso(this.options.now()), data });
    const copies = this.options.faults.duplicateWebhooks ? 2 : 1;
    for (let copy = 0; copy < copies; copy++) {
      let firstAttemptOver!: () => void;
      const firstAttempt = new Promise<void>((resolve) => (firstAttemptOver = resolve));
      const delivery: Delivery = { eventType, transactionId: data.transactionId, url, body, firstAttempt, firstAttemptOver };
      if (this.options.faults.holdWebhooks) this.held.push(delivery);
      else this.enqueue(delivery);
    }
  }

  /**
   * Delivers the held webhooks, oldest first (`fifo`) or newest first (`reverse`), one at a time:
   * each one's first attempt is over before the next starts, so the receiver sees them in exactly
   * that order. Resolves with how many were released.
   */
  async release(order: 'fifo' | 'reverse' = 'fifo'): Promise<number> {
    const batch = this.held.splice(0);
    if (order === 'reverse') batch.reverse();
    for (const delivery of batch) {
      this.enqueue(delivery);
      // Bounded, in case an earlier delivery of the same transaction is still retrying.
      await waitAtMost(delivery.firstAttempt, this.options.retry.timeoutMs + 1000);
    }
    return batch.length;
  }

  get heldCount(): number {
    return this.held.length;
  }

  /** Delivery attempts, oldest first, at most the last `logSize`. */
  attempts(): WebhookAttempt[] {
    return [...this.log];
  }

  /** Stops everything: pending retries are dropped, in-flight requests aborted, held events discarded. */
  async close(): Promise<void> {
    this.closed = true;
    for (const { timer, wake } of this.sleeping) {
      clearTimeout(timer);
      wake();
    }
    this.sleeping.clear();
    for (const controller of this.inFlight) controller.abort();
    for (const delivery of this.held.splice(0)) delivery.firstAttemptOver();
    await Promise.allSettled([...this.tails.values()]);
  }

  private enqueue(delivery: Delivery): void {
    const previous = this.tails.get(delivery.transactionId) ?? Promise.resolve();
    const current = previous.then(() => this.deliver(delivery));
    this.tails.set(delivery.transactionId, current);
    void current.then(() => {
      if (this.tails.get(delivery.transactionId) === current) this.tails.delete(delivery.transactionId);
    });
  }

  /** Attempts until a 2xx, `maxAttempts`, or close(). Never rejects. */
  private async deliver(delivery: Delivery): Promise<void> {
    const { maxAttempts } = this.options.retry;
    try {
      for (let attempt = 1; attempt <= maxAttempts && !this.closed; attempt++) {
        const delivered = await this.attempt(delivery, attempt);
        if (attempt === 1) delivery.firstAttemptOver();
        if (delivered) return;
        if (attempt < maxAttempts) await this.sleep(this.backoff(attempt));
      }
    } catch (error) {
      console.error('[sandbox] webhook delivery crashed', error);
    } finally {
      delivery.firstAttemptOver();
    }
  }

  private async attempt(delivery: Delivery, attempt: number): Promise<boolean> {
    const eventId = newEventId();
    const controller = new AbortController();
    this.inFlight.add(controller);
    const timeout = setTimeout(() => controller.abort(), this.options.retry.timeoutMs);
    timeout.unref();
    let status: number | null = null;
    let error: string | undefined;
    try {
      const response = await this.options.fetch(delivery.url, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          'X-Connect-Signature': hmacSha256Hex(this.options.cryptoToken, delivery.body),
          'X-Event-Id': eventId,
          'User-Agent': 'ConnectPSP-Sandbox-Webhooks/2.0',
        },
        body: delivery.body,
        signal: controller.signal,
        // A redirect is not a delivery: follow none and count it as a failure.
        redirect: 'manual',
      });
      status = response.status;
      // Not awaited: a receiver that dies mid-body must not leave this attempt hanging forever.
      void response.body?.cancel().catch(() => undefined);
    } catch (caught) {
      error = controller.signal.aborted
        ? this.closed
          ? 'sandbox closed'
          : `no answer within ${this.options.retry.timeoutMs} ms`
        : caught instanceof Error
          ? ((caught.cause as Error | undefined)?.message ?? caught.message)
          : String(caught);
    } finally {
      clearTimeout(timeout);
      this.inFlight.delete(controller);
    }
    this.record({
      eventType: delivery.eventType,
      transactionId: delivery.transactionId,
      eventId,
      url: delivery.url,
      status,
      attempt,
      at: new Date(this.options.now()).toISOString(),
      ...(error !== undefined ? { error } : {}),
    });
    return status !== null && status >= 200 && status < 300;
  }

  /** Exponential (base · 2^(n-1), capped) with "equal jitter": a random point in its upper half. */
  private backoff(attempt: number): number {
    const { baseDelayMs, maxDelayMs } = this.options.retry;
    const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
    return ceiling / 2 + Math.random() * (ceiling / 2);
  }

  private record(entry: WebhookAttempt): void {
    this.log.push(entry);
    if (this.log.length > this.options.logSize) this.log.splice(0, this.log.length - this.options.logSize);
  }

  /** A timer that close() can cut short; unref'd so it never keeps the process alive. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const entry: { timer: NodeJS.Timeout; wake: () => void } = {
        timer: setTimeout(() => {
          this.sleeping.delete(entry);
          resolve();
        }, ms),
        wake: resolve,
      };
      entry.timer.unref();
      this.sleeping.add(entry);
    });
  }
}

/** Resolves when `promise` does or after `ms`, whichever is first. */
function waitAtMost(promise: Promise<void>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    timer.unref();
    void promise.then(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
