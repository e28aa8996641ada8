/**
 * Keeps payouts moving when webhooks do not: every pass takes the processing payouts whose next
 * check is due, sends again those ConnectPSP never answered (same key: never twice), and asks
 * `GET /cash-out/{id}` about the others. Each payout backs off on its own, so one that keeps
 * failing cannot hold the others up.
 */
import { alertIfNeeded } from '../alerts.js';
import { ConnectPspError } from '../connectpsp/errors.js';
import type { Logger } from '../logger.js';
import type { Store } from '../store/store.js';
import type { PayoutService } from './payout-service.js';

export interface PayoutReconcilerOptions {
  service: PayoutService;
  store: Store;
  logger: Logger;
  intervalMs: number;
  /** A payout is first asked about this long after it was created (its request may still be in hand). Default 15 s. */
  graceMs?: number;
  batchSize?: number;
  backoffMaxMs?: number;
  now?: () => Date;
}

export class PayoutReconciler {
  readonly #o: Required<Omit<PayoutReconcilerOptions, 'now'>> & { now: () => Date };
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;

  constructor(options: PayoutReconcilerOptions) {
    this.#o = { graceMs: 15_000, batchSize: 100, backoffMaxMs: 60 * 60_000, now: () => new Date(), ...options };
  }

  start(): void {
    this.#timer = setInterval(() => void this.pass(), this.#o.intervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#running;
  }

  /** One pass; never throws; a pass still running makes this a no-op. Answers how many were asked about. */
  pass(): Promise<void> {
    this.#running ??= this.#pass()
      .catch((err) => this.#o.logger.warn('payout reconciler pass failed', { error: err instanceof Error ? err.message : String(err) }))
      .finally(() => (this.#running = undefined));
    return this.#running;
  }

  async #pass(): Promise<void> {
    const now = this.#o.now();
    const cutoff = new Date(now.getTime() - this.#o.graceMs).toISOString();
    const due = (await this.#o.store.payoutsToReconcile(now.toISOString(), this.#o.batchSize)).filter((p) => p.createdAt <= cutoff);
    for (const payout of due) {
      const attempts = payout.reconcileAttempts + 1;
      try {
        const after = await this.#o.service.reconcile(payout);
        if (after.status !== 'processing') continue;
      } catch (err) {
        if (err instanceof ConnectPspError) alertIfNeeded(this.#o.logger, err);
        this.#o.logger.warn('could not reconcile payout', {
          payoutId: payout.id,
          attempts,
          error: err instanceof Error ? err.message : String(err),
        });
      }
      const delay = Math.min(this.#o.backoffMaxMs, this.#o.intervalMs * 2 ** Math.min(30, attempts - 1));
      await this.#o.service.schedule(payout, attempts, new Date(this.#o.now().getTime() + delay).toISOString()).catch(() => undefined);
    }
  }
}
