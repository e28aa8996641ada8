/**
 * Payouts: PIX sent from the merchant's ConnectPSP account to a key or a bank account. ConnectPSP
 * answers `202` (accepted, not settled) and settles by webhook (`CASHOUT_*`); the reconciler asks
 * `GET /cash-out/{id}` about payouts still processing
 * (https://docs.connectpsp.com/apis/cash-out.md, https://docs.connectpsp.com/apis/cash-out/createcashout.md).
 *
 * Money rules: one merchant `Idempotency-Key` is one payout, and the payout is written, with our
 * own key towards ConnectPSP, before the first attempt, so every retry (the merchant's, ours, after
 * a crash) sends the same `X-Idempotency-Key` and ConnectPSP transfers at most once. A definitive
 * refusal (422 INSUFFICIENT_FUNDS, 400) while the merchant is still waiting leaves nothing behind.
 */
import { alertIfNeeded } from '../alerts.js';
import type { ConnectPspClient } from '../connectpsp/client.js';
import { ConnectPspAuthenticationError, ConnectPspError, ConnectPspInvalidRequestError } from '../connectpsp/errors.js';
import type { CashOut, CashOutDestination } from '../connectpsp/types.js';
import { DomainError, conflict, notFound } from '../checkouts/errors.js';
import { newIdempotencyKey, randomBase62, sha256Hex } from '../ids.js';
import type { Logger } from '../logger.js';
import { DuplicatePayoutReferenceError, type Store } from '../store/store.js';
import { planPayoutFromCashOut, planPayoutRefused, toPayoutView, type PayoutRecord, type PayoutStatus, type PayoutView } from './payout.js';

export type PayoutGateway = Pick<ConnectPspClient, 'createCashOut' | 'getCashOut'>;

export interface NewPayout {
  amount: number;
  externalReference: string;
  description?: string | undefined;
  payee: { name: string; document: string; destination: CashOutDestination };
}

export interface PayoutServiceOptions {
  store: Store;
  gateway: PayoutGateway;
  logger: Logger;
  /** Where ConnectPSP sends `CASHOUT_*` webhooks. */
  webhookUrl: string;
  /** Confirm every cash-out webhook with GET /cash-out/{id} and apply what the GET says. */
  confirmPayments?: boolean;
  /** Called after a change that may have written a merchant notification. */
  onMerchantEvent?: () => void;
  now?: () => Date;
}

export const newPayoutId = () => `po_${randomBase62(24)}`;

export class PayoutService {
  readonly #store: Store;
  readonly #gateway: PayoutGateway;
  readonly #logger: Logger;
  readonly #webhookUrl: string;
  readonly #confirm: boolean;
  readonly #onMerchantEvent: () => void;
  readonly #now: () => Date;
  /** Concurrent requests with one key share one gateway call. */
  readonly #inFlight = new Map<string, Promise<PayoutRecord>>();

  constructor(options: PayoutServiceOptions) {
    this.#store = options.store;
    this.#gateway = options.gateway;
    this.#logger = options.logger;
    this.#webhookUrl = options.webhookUrl;
    this.#confirm = options.confirmPayments ?? false;
    this.#onMerchantEvent = options.onMerchantEvent ?? (() => {});
    this.#now = options.now ?? (() => new Date());
  }

  /**
   * Creates (or, for a key already used, continues) a payout and answers it as ConnectPSP accepted
   * it. The same key with another body is a 409; a refusal is a 422 and nothing is kept; no answer
   * from ConnectPSP is a 502 and the payout stays processing under its key, sent again by the
   * reconciler or by the merchant's retry — never twice.
   */
  async create(input: NewPayout, idempotencyKey: string): Promise<PayoutView> {
    const requestHash = sha256Hex(JSON.stringify(input));
    let payout = await this.#store.findPayout({ idempotencyKey });
    if (!payout) {
      const now = this.#now().toISOString();
      const id = newPayoutId();
      try {
        ({ payout } = await this.#store.insertPayout({
          id,
          amount: input.amount,
          externalReference: input.externalReference,
          description: input.description ?? null,
          payee: input.payee,
          status: 'processing',
          idempotencyKey,
          requestHash,
          gatewayIdempotencyKey: newIdempotencyKey(),
          gatewayReference: id,
          transactionId: null,
          endToEndId: null,
          originalEndToEndId: null,
          failureCode: null,
          failureMessage: null,
          reconcileAttempts: 0,
          nextReconcileAt: null,
          createdAt: now,
          updatedAt: now,
        }));
      } catch (err) {
        if (!(err instanceof DuplicatePayoutReferenceError)) throw err;
        // The same request racing itself (same key, same reference) lands here too: the winner's payout is the answer.
        payout = await this.#store.findPayout({ idempotencyKey });
        if (!payout) throw conflict(`A payout with externalReference "${input.externalReference}" already exists.`, 'externalReference');
      }
    }
    if (payout.requestHash !== requestHash)
      throw conflict('This Idempotency-Key was already used with a different request body.', 'Idempotency-Key');
    if (payout.transactionId !== null || payout.status !== 'processing') return toPayoutView(payout);
    return toPayoutView(await this.#singleFlight(payout, () => this.#send(payout, 'merchant')));
  }

  async get(id: string): Promise<PayoutView> {
    const payout = await this.#store.getPayout(id);
    if (!payout) throw notFound(`No payout with id "${id}".`, 'id');
    return toPayoutView(payout);
  }

  async list(query: { limit: number; beforeSeq?: number | undefined; status?: PayoutStatus | undefined }): Promise<PayoutRecord[]> {
    return this.#store.listPayouts(query);
  }

  #singleFlight(payout: PayoutRecord, work: () => Promise<PayoutRecord>): Promise<PayoutRecord> {
    const pending = this.#inFlight.get(payout.id);
    if (pending) return pending;
    const promise = work().finally(() => this.#inFlight.delete(payout.id));
    this.#inFlight.set(payout.id, promise);
    return promise;
  }

  /**
   * One attempt at ConnectPSP with the payout's stored key. `who` says whether the merchant is still
   * waiting for the answer (a refusal then leaves nothing) or was answered already (the reconciler:
   * a refusal makes the payout failed, with `payout.failed`).
   */
  async #send(payout: PayoutRecord, who: 'merchant' | 'reconciler'): Promise<PayoutRecord> {
    let cashOut: CashOut;
    try {
      cashOut = await this.#gateway.createCashOut(
        {
          amount: payout.amount,
          externalReference: payout.gatewayReference,
          ...(payout.description ? { description: payout.description } : {}),
          webhookUrl: this.#webhookUrl,
          payee: payout.payee,
        },
        { idempotencyKey: payout.gatewayIdempotencyKey },
      );
    } catch (err) {
      throw await this.#sendFailure(err, payout, who);
    }
    if (cashOut.amount !== payout.amount) {
      this.#logger.error('ALERT ConnectPSP accepted a payout for a different amount', {
        alert: true,
        code: 'PAYOUT_AMOUNT_MISMATCH',
        payoutId: payout.id,
        transactionId: cashOut.transactionId,
        expected: payout.amount,
        got: cashOut.amount,
        action: 'Compare the cash-out in the ConnectPSP panel with the payout.',
      });
    }
    this.#logger.info('payout accepted', { payoutId: payout.id, transactionId: cashOut.transactionId });
    return this.#apply(payout.id, cashOut);
  }

  async #sendFailure(err: unknown, payout: PayoutRecord, who: 'merchant' | 'reconciler'): Promise<Error> {
    if (!(err instanceof ConnectPspError)) return err as Error;
    alertIfNeeded(this.#logger, err);
    if (err instanceof ConnectPspInvalidRequestError && err.code !== 'DUPLICATE_EXTERNAL_REFERENCE') {
      // A definitive refusal of this operation: nothing was transferred.
      const message = `ConnectPSP refused the payout: ${err.code}${err.detail ? ` — ${err.detail}` : ''}`;
      if (who === 'merchant') {
        await this.#store.discardPayout(payout.id);
      } else {
        await this.#store.changePayout(payout.id, (current) =>
          planPayoutRefused(current, err.code, err.detail ?? null, this.#now().toISOString()),
        );
        this.#onMerchantEvent();
      }
      this.#logger.warn('payout refused', { payoutId: payout.id, code: err.code });
      return new DomainError(err.status === 422 ? 'unprocessable' : 'invalid_input', message, {
        field: err.code === 'INSUFFICIENT_FUNDS' ? 'amount' : 'body',
        cause: err,
      });
    }
    if (err instanceof ConnectPspInvalidRequestError) {
      // Our own reference already has a cash-out, yet our stored key did not find it: it may have been
      // sent. Kept processing (never re-sent under a new key), and a person looks.
      this.#logger.error('ALERT ConnectPSP says a payout reference exists that its key does not find', {
        alert: true,
        code: 'PAYOUT_REFERENCE_EXISTS',
        payoutId: payout.id,
        action: `Look up the cash-out with externalReference ${payout.gatewayReference} in the ConnectPSP panel.`,
      });
      return new DomainError('gateway_unavailable', 'The payment provider could not confirm this payout yet. It will not be sent twice.', {
        cause: err,
      });
    }
    this.#logger.warn('payout call failed', { payoutId: payout.id, status: err.status, code: err.code });
    if (err instanceof ConnectPspAuthenticationError) {
      return new DomainError(
        'gateway_auth',
        'The payment provider refused our credentials. The operator has been alerted; retry with the same Idempotency-Key later.',
        { cause: err },
      );
    }
    return new DomainError(
      'gateway_unavailable',
      'The payment provider is not answering right now. The payout was not confirmed; retry with the same Idempotency-Key — it will not be sent twice.',
      { cause: err },
    );
  }

  async #apply(payoutId: string, cashOut: CashOut): Promise<PayoutRecord> {
    const written = await this.#store.changePayout(payoutId, (current) =>
      planPayoutFromCashOut(current, cashOut, this.#now().toISOString()),
    );
    if (written && written.status !== 'processing') {
      this.#onMerchantEvent();
      if (written.status === 'failed') this.#logger.warn('payout failed', { payoutId, code: written.failureCode });
    }
    return written ?? (await this.#store.getPayout(payoutId))!;
  }

  /**
   * Applies a cash-out as ConnectPSP reports it (webhook). A cash-out we did not make is ignored;
   * with `confirmPayments` the GET's answer is applied, never the envelope's. Throws when the truth
   * could not be fetched (the webhook stays unprocessed and is replayed).
   */
  async applyCashOut(claimed: CashOut): Promise<'applied' | 'unchanged' | 'unknown_transaction'> {
    const payout =
      (await this.#store.findPayout({ transactionId: claimed.transactionId })) ??
      (await this.#store.findPayout({ gatewayReference: claimed.externalReference }));
    if (!payout) {
      this.#logger.warn('ConnectPSP reported a cash-out we did not make', { transactionId: claimed.transactionId, status: claimed.status });
      return 'unknown_transaction';
    }
    const truth = this.#confirm ? await this.#gateway.getCashOut(claimed.transactionId) : claimed;
    const before = payout.status;
    const after = await this.#apply(payout.id, truth);
    return after.status !== before ? 'applied' : 'unchanged';
  }

  /** The reconciler's step for one processing payout: send it again if never accepted, else ask GET. */
  async reconcile(payout: PayoutRecord): Promise<PayoutRecord> {
    if (payout.transactionId === null) return this.#singleFlight(payout, () => this.#send(payout, 'reconciler'));
    return this.#apply(payout.id, await this.#gateway.getCashOut(payout.transactionId));
  }

  /** Records when to ask about a processing payout again. */
  async schedule(payout: PayoutRecord, attempts: number, nextAt: string): Promise<void> {
    await this.#store.changePayout(payout.id, (current) =>
      current.status === 'processing'
        ? { payout: { ...current, reconcileAttempts: attempts, nextReconcileAt: nextAt }, outbox: null }
        : null,
    );
  }
}
