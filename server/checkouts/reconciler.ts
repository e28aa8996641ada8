/**
 * The reconciler: what the server does on its own, outside any request. ConnectPSP does not say
 * whether expired charges send webhooks, so every charge that reaches its expiry is asked about;
 * webhooks recorded but not yet applied (ConnectPSP unreachable, or its GET lagging the webhook)
 * are re-checked; refund operations in flight are finished; duplicate payments are refunded when
 * automatic refunds are on.
 *
 * Fair by construction: every charge and webhook carries its own next-attempt time with
 * exponential backoff, and each pass takes the longest-waiting first, so however many fail, the
 * others are still asked within a bounded time. A charge the gateway does not know (404 after a
 * gateway reset, purged ids, another environment) is parked and an operator alerted.
 */
import { alertIfNeeded } from '../alerts.js';
import { ConnectPspError } from '../connectpsp/errors.js';
import { parseConnectPspEvent } from '../connectpsp/webhooks.js';
import type { Logger } from '../logger.js';
import type { ChargeRecord, Store, WebhookReceipt, WebhookRecord } from '../store/store.js';
import type { CheckoutService } from './checkout-service.js';
import { DomainError } from './errors.js';

export interface ReconcilerOptions {
  service: CheckoutService;
  store: Store;
  logger: Logger;
  /** Time between passes. */
  intervalMs: number;
  /** Charges (and refunds, duplicates) taken per pass. Default 100. */
  batchSize?: number;
  /** First backoff after a failed or inconclusive attempt; doubles per attempt. Default `intervalMs`. */
  backoffBaseMs?: number;
  /** Longest backoff. Default 1 h. */
  backoffMaxMs?: number;
  /** First re-check of a webhook that could not be applied. Default 1 s. */
  webhookRetryBaseMs?: number;
  /** A webhook ConnectPSP never confirms is given up (alerted) after this many attempts. Default 20. */
  webhookMaxAttempts?: number;
  /** A charge ConnectPSP answers 404 for this many times is parked. Default 3. */
  parkAfterNotFound?: number;
  now?: () => Date;
}

export class Reconciler {
  readonly #service: CheckoutService;
  readonly #store: Store;
  readonly #logger: Logger;
  readonly #intervalMs: number;
  readonly #batchSize: number;
  readonly #backoffBaseMs: number;
  readonly #backoffMaxMs: number;
  readonly #webhookRetryBaseMs: number;
  readonly #webhookMaxAttempts: number;
  readonly #parkAfterNotFound: number;
  readonly #now: () => Date;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  /** Webhooks being applied right now by this process, so a pass does not take them twice. */
  readonly #inHand = new Set<string>();

  constructor(options: ReconcilerOptions) {
    this.#service = options.service;
    this.#store = options.store;
    this.#logger = options.logger;
    this.#intervalMs = options.intervalMs;
    this.#batchSize = options.batchSize ?? 100;
    this.#backoffBaseMs = options.backoffBaseMs ?? options.intervalMs;
    this.#backoffMaxMs = options.backoffMaxMs ?? 60 * 60_000;
    this.#webhookRetryBaseMs = options.webhookRetryBaseMs ?? 1000;
    this.#webhookMaxAttempts = options.webhookMaxAttempts ?? 20;
    this.#parkAfterNotFound = options.parkAfterNotFound ?? 3;
    this.#now = options.now ?? (() => new Date());
  }

  /** Replays what the last run left unapplied, then runs a pass every `intervalMs`. */
  async start(): Promise<void> {
    const replayed = await this.replayWebhooks().catch((err) => {
      this.#logger.warn('could not replay stored webhooks at start', { error: errorText(err) });
      return 0;
    });
    if (replayed > 0) this.#logger.warn('replayed webhooks left unprocessed by the last run', { count: replayed });
    this.#timer = setInterval(() => void this.pass(), this.#intervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#running;
  }

  /** One pass; a pass still running makes this a no-op. Never throws. */
  pass(): Promise<void> {
    this.#running ??= this.#pass().finally(() => (this.#running = undefined));
    return this.#running;
  }

  async #pass(): Promise<void> {
    for (const step of [
      () => this.reconcileDue(),
      () => this.#advanceRefunds(),
      () => this.#refundDuplicates(),
      () => this.replayWebhooks(10_000),
    ]) {
      try {
        await step();
      } catch (err) {
        // The store down: the next pass tries again.
        this.#logger.warn('reconciler pass failed', { error: errorText(err) });
      }
    }
  }

  /** Asks ConnectPSP about the charges due (at or past expiry, their next attempt due); answers how many. */
  async reconcileDue(): Promise<number> {
    const due = await this.#store.chargesAwaitingPaymentExpiringBefore(this.#now().toISOString(), this.#batchSize);
    for (const charge of due) await this.#reconcileOne(charge);
    return due.length;
  }

  async #reconcileOne(charge: ChargeRecord): Promise<void> {
    const attempts = (charge.reconcileAttempts ?? 0) + 1;
    let notFound = false;
    try {
      await this.#service.reconcileCharge(charge);
    } catch (err) {
      if (err instanceof ConnectPspError) alertIfNeeded(this.#logger, err);
      notFound = err instanceof ConnectPspError && err.status === 404;
      this.#logger.warn('could not reconcile charge', { transactionId: charge.transactionId, attempts, error: errorText(err) });
    }
    const after = await this.#store.getCharge(charge.transactionId);
    if (!after || after.status !== 'awaiting_payment') return;
    // Still awaiting payment: asked again later, further back each time, so it cannot hold the front of the queue.
    const now = this.#now();
    if (notFound && attempts >= this.#parkAfterNotFound) {
      await this.#store.scheduleReconcile(charge.transactionId, { attempts, nextAt: null, parkedAt: now.toISOString() });
      this.#logger.error('ALERT ConnectPSP does not know a charge we made; no longer asking about it', {
        alert: true,
        code: 'CHARGE_UNKNOWN_AT_GATEWAY',
        checkoutId: charge.checkoutId,
        transactionId: charge.transactionId,
        attempts,
        action:
          'Look the charge up in the ConnectPSP panel (was the environment or the account switched?). Until then its checkout stays awaiting payment.',
      });
      return;
    }
    await this.#store.scheduleReconcile(charge.transactionId, {
      attempts,
      nextAt: new Date(now.getTime() + this.#backoff(this.#backoffBaseMs, attempts)).toISOString(),
      parkedAt: null,
    });
  }

  async #advanceRefunds(): Promise<void> {
    for (const charge of await this.#store.refundsInFlight(this.#batchSize)) {
      await this.#service.advanceRefund(charge).catch((err) =>
        this.#logger.warn('refund not settled yet', {
          transactionId: charge.transactionId,
          refundStatus: charge.refundStatus,
          error: errorText(err),
        }),
      );
    }
  }

  async #refundDuplicates(): Promise<void> {
    if (!this.#service.autoRefundDuplicates) return;
    for (const charge of await this.#store.unrefundedDuplicatePayments(this.#batchSize)) {
      if (charge.refundStatus === 'failed' || charge.refundStatus === 'processing') continue; // a person decides after a failure
      await this.#service.refund(charge.checkoutId, { transactionId: charge.transactionId, reason: 'DUPLICATED_PAYMENT' }).catch((err) =>
        this.#logger.warn('automatic refund of a duplicate payment failed; will retry', {
          transactionId: charge.transactionId,
          error: errorText(err),
        }),
      );
    }
  }

  /**
   * Applies the webhooks recorded but not applied whose next attempt is due. Those received in the
   * last `graceMs` may still be in the hands of their request: left to it.
   */
  async replayWebhooks(graceMs = 0): Promise<number> {
    const now = this.#now();
    const cutoff = new Date(now.getTime() - graceMs).toISOString();
    const pending = (await this.#store.unprocessedWebhooks(now.toISOString())).filter((w) => w.receivedAt <= cutoff);
    for (const record of pending) await this.processWebhook(record);
    return pending.length;
  }

  /**
   * Applies one verified, recorded webhook: the change and the note that it was applied commit
   * together. One that cannot be applied yet is re-checked later with backoff; one ConnectPSP never
   * confirms is given up after `webhookMaxAttempts`, with an alert. Never throws.
   */
  async processWebhook(record: WebhookRecord): Promise<void> {
    if (this.#inHand.has(record.dedupeKey)) return;
    this.#inHand.add(record.dedupeKey);
    try {
      // Verified on arrival, before it was written down.
      const event = parseConnectPspEvent(record.rawBody);
      const receipt: WebhookReceipt = { record, written: false };
      await this.#service.applyEvent(event, receipt);
      if (!receipt.written) await this.#store.markWebhookProcessed(record.dedupeKey);
    } catch (err) {
      await this.#defer(record, err).catch((deferError) =>
        this.#logger.warn('could not reschedule a stored webhook', { dedupeKey: record.dedupeKey, error: errorText(deferError) }),
      );
    } finally {
      this.#inHand.delete(record.dedupeKey);
    }
  }

  async #defer(record: WebhookRecord, err: unknown): Promise<void> {
    const at = (attempts: number) => new Date(this.#now().getTime() + this.#backoff(this.#webhookRetryBaseMs, attempts)).toISOString();
    const attempts = await this.#store.deferWebhook(record.dedupeKey, at, errorText(err));
    const notConfirmed = err instanceof DomainError && err.kind === 'not_confirmed';
    if (notConfirmed && attempts >= this.#webhookMaxAttempts) {
      await this.#store.markWebhookProcessed(record.dedupeKey);
      this.#logger.error('ALERT ConnectPSP never confirmed a webhook; given up', {
        alert: true,
        code: 'WEBHOOK_NOT_CONFIRMED',
        dedupeKey: record.dedupeKey,
        attempts,
        error: errorText(err),
        action: 'Compare the transaction in the ConnectPSP panel with the checkout; a forged or mislabelled webhook changes nothing.',
      });
      return;
    }
    const log = notConfirmed ? this.#logger.info.bind(this.#logger) : this.#logger.warn.bind(this.#logger);
    log('webhook not applied yet; will check again', { dedupeKey: record.dedupeKey, attempts, error: errorText(err) });
  }

  #backoff(baseMs: number, attempts: number): number {
    return Math.min(this.#backoffMaxMs, baseMs * 2 ** Math.min(30, Math.max(0, attempts - 1)));
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
