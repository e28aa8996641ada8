/**
 * Cash-outs (PIX sent to a key or an account): accepted as PROCESSING with the money reserved,
 * then settled after a short delay as COMPLETED (with an `E…` id) or FAILED (money back, `failure`
 * set), each with its webhook (docs/connectpsp.md §3.4, §3.5, §4.3).
 */
import { centavosToReais } from '../money.js';

import { creditBank, debit } from './accounts.js';
import { FAILING_PIX_KEY } from './defaults.js';
import { newCashOutInternalCode, newCashOutTransactionId, newEndToEndId } from './ids.js';
import { SandboxProblem } from './problem.js';
import type { CashOutRecord, SandboxStore } from './state.js';
import type { CashOutRequest } from './validation.js';
import type { WebhookDispatcher } from './webhook-dispatcher.js';

export interface CashOutFailure {
  code: string;
  message: string;
}

/** The one failure code the docs show (docs/connectpsp.md §3.5), with their own message. */
export const PIX_KEY_NOT_FOUND: CashOutFailure = {
  code: 'PIX_KEY_NOT_FOUND',
  message: 'The provided PIX key did not resolve to a valid account.',
};

export interface CashOutsOptions {
  store: SandboxStore;
  webhooks: WebhookDispatcher;
  now: () => number;
  defaultWebhookUrl: string | null;
  /** How long a cash-out stays PROCESSING. */
  settleDelayMs: number;
}

/**
 * `GET /cash-out/{id}` (docs/connectpsp.md §3.5), also the 202 body and the webhook `data`. `failure`
 * appears only when FAILED, as documented. No timestamps: the docs show none for cash-outs, and a
 * client should not come to rely on fields the real gateway may not send.
 */
export function cashOutView(record: CashOutRecord) {
  return {
    transactionId: record.transactionId,
    internalCode: record.internalCode,
    externalReference: record.externalReference,
    endToEndId: record.endToEndId,
    originalEndToEndId: record.originalEndToEndId,
    status: record.status,
    amount: centavosToReais(record.amount),
    payee: record.payee,
    ...(record.status === 'FAILED' && record.failure ? { failure: record.failure } : {}),
  };
}

export class CashOuts {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(private readonly options: CashOutsOptions) {}

  /**
   * `POST /cash-out`: 409 on a reused externalReference (checked first, so the retry of an accepted
   * cash-out is told it exists rather than that money is short), 422 INSUFFICIENT_FUNDS against the
   * transactional balance, else PROCESSING with the amount reserved until it settles.
   */
  create(request: CashOutRequest): CashOutRecord {
    const { store, now } = this.options;
    if (store.hasCashOutReference(request.externalReference)) {
      throw new SandboxProblem(
        'DUPLICATE_EXTERNAL_REFERENCE',
        `A cash-out with externalReference "${request.externalReference}" already exists.`,
      );
    }
    const sourceBankIspb = debit(store.banks, request.amount);
    let internalCode: string;
    do internalCode = newCashOutInternalCode();
    while (store.findCashOut(internalCode));
    const requestedAt = now();
    const record: CashOutRecord = {
      transactionId: newCashOutTransactionId(),
      internalCode,
      externalReference: request.externalReference,
      status: 'PROCESSING',
      amount: request.amount,
      description: request.description ?? null,
      payee: request.payee,
      endToEndId: null,
      originalEndToEndId: null,
      failure: null,
      webhookUrl: request.webhookUrl ?? null,
      requestedAt,
      settleAt: requestedAt + this.options.settleDelayMs,
      sourceBankIspb,
    };
    store.addCashOut(record);
    this.schedule(record);
    return record;
  }

  get(id: string): CashOutRecord {
    const record = this.options.store.findCashOut(id);
    if (!record) throw new SandboxProblem('CASH_OUT_NOT_FOUND', `No cash-out with id "${id}".`);
    return record;
  }

  /** Settles now (sandbox control, or the timer). A payee key of `00000000000` fails instead. */
  settle(id: string): CashOutRecord {
    const record = this.processing(id);
    const destination = record.payee.destination;
    if (destination.type === 'PIX' && destination.pixKey === FAILING_PIX_KEY) return this.fail(id, PIX_KEY_NOT_FOUND);
    this.unschedule(record);
    record.status = 'COMPLETED';
    record.endToEndId = newEndToEndId('E', record.sourceBankIspb, this.options.now());
    this.commit(record, 'CASHOUT_COMPLETED');
    return record;
  }

  /** Fails now (sandbox control, or a failing key): the reservation goes back to the balance. */
  fail(id: string, failure: CashOutFailure): CashOutRecord {
    const record = this.processing(id);
    this.unschedule(record);
    record.status = 'FAILED';
    record.failure = failure;
    creditBank(this.options.store.banks, record.sourceBankIspb, record.amount);
    this.commit(record, 'CASHOUT_FAILED');
    return record;
  }

  /**
   * The payee's bank returns a settled transfer (sandbox control): REFUNDED with a `D…` id, the
   * original `E…` in `originalEndToEndId`, the money back, and `CASHOUT_REFUNDED` (docs/connectpsp.md §3.8).
   */
  returnToPayer(id: string): CashOutRecord {
    const record = this.get(id);
    if (record.status !== 'COMPLETED') {
      throw new SandboxProblem(
        'CASH_OUT_NOT_COMPLETED',
        `Cash-out ${record.transactionId} is ${record.status}; only a COMPLETED one can be returned.`,
      );
    }
    record.status = 'REFUNDED';
    record.originalEndToEndId = record.endToEndId;
    record.endToEndId = newEndToEndId('D', record.sourceBankIspb, this.options.now());
    creditBank(this.options.store.banks, record.sourceBankIspb, record.amount);
    this.commit(record, 'CASHOUT_REFUNDED');
    return record;
  }

  /**
   * Cancels a transfer before it settles (sandbox control): CANCELLED, the reservation back, and
   * `CASHOUT_CANCELLED` — a name of the sandbox's own; the docs have the status but no event.
   */
  cancel(id: string): CashOutRecord {
    const record = this.processing(id);
    this.unschedule(record);
    record.status = 'CANCELLED';
    creditBank(this.options.store.banks, record.sourceBankIspb, record.amount);
    this.commit(record, 'CASHOUT_CANCELLED');
    return record;
  }

  /** At start: settle what a restart interrupted, at its original time or right away if overdue. */
  resume(): void {
    for (const record of this.options.store.allCashOuts()) if (record.status === 'PROCESSING') this.schedule(record);
  }

  close(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  private processing(id: string): CashOutRecord {
    const record = this.get(id);
    if (record.status !== 'PROCESSING') {
      throw new SandboxProblem('CASH_OUT_NOT_PROCESSING', `Cash-out ${record.transactionId} is already ${record.status}.`);
    }
    return record;
  }

  private schedule(record: CashOutRecord): void {
    const delay = Math.max(0, record.settleAt - this.options.now());
    const timer = setTimeout(() => {
      this.timers.delete(record.transactionId);
      if (record.status === 'PROCESSING') this.settle(record.transactionId);
    }, delay);
    timer.unref();
    this.timers.set(record.transactionId, timer);
  }

  private unschedule(record: CashOutRecord): void {
    clearTimeout(this.timers.get(record.transactionId));
    this.timers.delete(record.transactionId);
  }

  private commit(
    record: CashOutRecord,
    eventType: 'CASHOUT_COMPLETED' | 'CASHOUT_FAILED' | 'CASHOUT_REFUNDED' | 'CASHOUT_CANCELLED',
  ): void {
    this.options.store.reindexCashOut(record);
    this.options.store.save();
    this.options.webhooks.publish(eventType, cashOutView(record), record.webhookUrl ?? this.options.defaultWebhookUrl);
  }
}
