import type { Logger } from '../logger.js';
import type { OutboxMessage, Store } from '../store/store.js';
import { signWebhook } from './standard-webhooks.js';

/**
 * Delay after the n-th failed attempt. Roughly the Standard Webhooks recommendation, stretched so
 * that delivery keeps being tried for three days: a merchant whose endpoint was down over a
 * weekend still gets every event.
 */
const BACKOFF_MS = [
  5_000,
  30_000,
  2 * 60_000,
  5 * 60_000,
  15 * 60_000,
  30 * 60_000,
  60 * 60_000,
  2 * 3600_000,
  4 * 3600_000,
  8 * 3600_000,
  12 * 3600_000,
];
const GIVE_UP_AFTER_MS = 3 * 24 * 3600_000;
/** Far enough to mean "never", still a valid ISO date that sorts after every real one. */
const NEVER = '9999-12-31T00:00:00.000Z';

export function backoffAfter(attempts: number, random = Math.random): number {
  const base = BACKOFF_MS[Math.min(attempts, BACKOFF_MS.length) - 1] ?? BACKOFF_MS[0]!;
  return Math.round(base * (0.8 + 0.4 * random())); // ±20 % jitter spreads a burst of retries
}

export interface MerchantWebhookWorkerOptions {
  store: Store;
  url: string;
  secret: string;
  logger: Logger;
  fetch?: typeof fetch;
  now?: () => Date;
  pollMs?: number;
  batchSize?: number;
  timeoutMs?: number;
  /** How long a claimed message is reserved for this worker before another may take it. */
  leaseMs?: number;
  /** Counts deliveries by outcome for /metrics. */
  onAttempt?: (outcome: 'delivered' | 'failed' | 'gave_up') => void;
  /** Each attempt with the endpoint's answer, for the operator console's delivery history. */
  onDelivery?: (attempt: { messageId: string; at: string; delivered: boolean; answer: string }) => void;
}

/**
 * Delivers the merchant outbox. Messages are written in the same transaction as the change they
 * announce; this worker only reads them, so a crash at any point loses nothing: an undelivered
 * message is taken again when its lease runs out, under the same `webhook-id`.
 */
export class MerchantWebhookWorker {
  readonly #o: Required<Omit<MerchantWebhookWorkerOptions, 'onAttempt' | 'onDelivery'>> &
    Pick<MerchantWebhookWorkerOptions, 'onAttempt' | 'onDelivery'>;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #stopped = false;

  constructor(options: MerchantWebhookWorkerOptions) {
    this.#o = {
      fetch: globalThis.fetch,
      now: () => new Date(),
      pollMs: 1000,
      batchSize: 20,
      timeoutMs: 10_000,
      leaseMs: 60_000,
      ...options,
    };
  }

  start(): void {
    this.#timer = setInterval(() => this.nudge(), this.#o.pollMs);
    this.#timer.unref();
    this.nudge();
  }

  /** Runs a delivery pass now (after a status change) instead of at the next poll. */
  nudge(): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = this.runOnce()
      .catch((err) => this.#o.logger.error('merchant webhook pass failed', { error: err instanceof Error ? err.message : String(err) }))
      .then(() => {
        this.#running = undefined;
        if (this.#again) {
          this.#again = false;
          this.nudge();
        }
      });
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    await this.#running;
  }

  /** One pass: claims what is due and delivers it. Returns how many messages it attempted. */
  async runOnce(): Promise<number> {
    const now = this.#o.now();
    const due = await this.#o.store.claimDueMerchantEvents(
      now.toISOString(),
      new Date(now.getTime() + this.#o.leaseMs).toISOString(),
      this.#o.batchSize,
    );
    await Promise.all(due.map((message) => this.#deliver(message)));
    if (due.length === this.#o.batchSize) this.#again = true;
    return due.length;
  }

  async #deliver(message: OutboxMessage): Promise<void> {
    const body = JSON.stringify(message.data);
    const timestamp = Math.floor(this.#o.now().getTime() / 1000);
    let error: string;
    try {
      const res = await this.#o.fetch(this.#o.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'connectpsp-checkout-webhooks/1',
          'webhook-id': message.id,
          'webhook-timestamp': String(timestamp),
          'webhook-signature': signWebhook(this.#o.secret, message.id, timestamp, body),
        },
        body,
        redirect: 'manual', // a redirect is not a delivery
        signal: AbortSignal.timeout(this.#o.timeoutMs),
      });
      void res.body?.cancel().catch(() => undefined);
      if (res.status >= 200 && res.status < 300) {
        await this.#o.store.markMerchantEventDelivered(message.id, this.#o.now().toISOString());
        this.#o.onAttempt?.('delivered');
        this.#o.onDelivery?.({ messageId: message.id, at: this.#o.now().toISOString(), delivered: true, answer: `HTTP ${res.status}` });
        return;
      }
      error = `HTTP ${res.status}`;
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
    }
    this.#o.onDelivery?.({ messageId: message.id, at: this.#o.now().toISOString(), delivered: false, answer: error });
    const age = this.#o.now().getTime() - Date.parse(message.createdAt);
    if (age > GIVE_UP_AFTER_MS) {
      await this.#o.store.rescheduleMerchantEvent(message.id, NEVER, `gave up after ${message.attempts} attempts: ${error}`);
      this.#o.onAttempt?.('gave_up');
      this.#o.logger.error('ALERT merchant webhook abandoned after 3 days of failures', {
        alert: true,
        webhookId: message.id,
        type: (message.data as { type?: string }).type,
        action: 'Check MERCHANT_WEBHOOK_URL is reachable; read the checkout with GET /v1/checkouts/:id to reconcile.',
      });
      return;
    }
    const next = new Date(this.#o.now().getTime() + backoffAfter(message.attempts)).toISOString();
    await this.#o.store.rescheduleMerchantEvent(message.id, next, error);
    this.#o.onAttempt?.('failed');
    this.#o.logger.warn('merchant webhook delivery failed; will retry', {
      webhookId: message.id,
      attempts: message.attempts,
      error,
      nextAttemptAt: next,
    });
  }
}
