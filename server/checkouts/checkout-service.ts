import { randomUUID } from 'node:crypto';
import { alertIfNeeded } from '../alerts.js';
import { isFinalForPayer, type PaymentMethod } from 'connectpsp-checkout/contract';
import type { EventBus } from '../bus/event-bus.js';
import type { ConnectPspClient } from '../connectpsp/client.js';
import { ConnectPspAuthenticationError, ConnectPspError, ConnectPspInvalidRequestError } from '../connectpsp/errors.js';
import type { CashIn, CashInStatus, CashOut, ConnectPspEvent, RefundReason } from '../connectpsp/types.js';
import type { MerchantEventType } from '../merchant-webhooks/events.js';
import { newCheckoutId, newClientSecret, newIdempotencyKey, randomBase62, safeEqual, sha256Hex } from '../ids.js';
import { conflict, DomainError, notFound } from './errors.js';
import type { Logger } from '../logger.js';
import {
  DuplicateExternalReferenceError,
  type ChargeRecord,
  type CheckoutRecord,
  type Store,
  type TransitionResult,
  type WebhookReceipt,
} from '../store/store.js';
import { firstStatusEvent, toCheckoutView } from './views.js';
import type { CreatedCheckout } from 'connectpsp-checkout/contract';

/** The gateway calls the checkout flow needs; the real `ConnectPspClient` provides them. */
export type Gateway = Pick<ConnectPspClient, 'createCashIn' | 'getCashIn' | 'refundCashIn'>;

export interface CheckoutServiceOptions {
  store: Store;
  bus: EventBus;
  gateway: Gateway;
  logger: Logger;
  /** Where ConnectPSP sends webhooks for the charges we create. */
  webhookUrl: string;
  defaultExpiresInMinutes: number;
  /** Confirm every cash-in webhook (paid, refunded, …) with GET /cash-in/{id} and apply what the GET says. */
  confirmPayments?: boolean;
  /** Refund a second payment of a paid checkout automatically (reason DUPLICATED_PAYMENT). */
  autoRefundDuplicates?: boolean;
  /** Called after a change that may have written a merchant notification (wakes the outbox worker). */
  onMerchantEvent?: () => void;
  /** Applies `CASHOUT_*` events to the payouts they belong to (payouts/payout-service.ts). */
  cashOuts?: { applyCashOut(cashOut: CashOut): Promise<ApplyOutcome> };
  now?: () => Date;
}

export interface NewCheckout {
  amount: number;
  externalReference: string;
  description?: string | undefined;
  payer?: { name: string; document: string } | undefined;
  methods?: PaymentMethod[] | undefined;
  expiresInMinutes?: number | undefined;
  returnUrl?: string | undefined;
  metadata?: Record<string, string> | undefined;
}

/**
 * A charge whose expiry is this close is not handed to a payer: by the time they open their bank
 * app it would be gone. A fresh one is made instead.
 */
const MIN_REMAINING_MS = 30_000;

/**
 * The checkout flow: creating checkouts, getting their charges from ConnectPSP exactly once, and
 * applying what ConnectPSP reports through the one-way status machine. Routes stay thin; this is
 * where the money rules live.
 */
export class CheckoutService {
  readonly #store: Store;
  readonly #bus: EventBus;
  readonly #gateway: Gateway;
  readonly #logger: Logger;
  readonly #webhookUrl: string;
  readonly #defaultExpiresInMinutes: number;
  readonly #now: () => Date;
  readonly #confirmPayments: boolean;
  readonly #autoRefundDuplicates: boolean;
  readonly #onMerchantEvent: () => void;
  readonly #cashOuts: CheckoutServiceOptions['cashOuts'];
  /** Concurrent requests for the same checkout's charge share one gateway call. */
  readonly #inFlight = new Map<string, Promise<ChargeRecord>>();

  constructor(options: CheckoutServiceOptions) {
    this.#store = options.store;
    this.#bus = options.bus;
    this.#gateway = options.gateway;
    this.#logger = options.logger;
    this.#webhookUrl = options.webhookUrl;
    this.#defaultExpiresInMinutes = options.defaultExpiresInMinutes;
    this.#now = options.now ?? (() => new Date());
    this.#confirmPayments = options.confirmPayments ?? false;
    this.#autoRefundDuplicates = options.autoRefundDuplicates ?? false;
    this.#onMerchantEvent = options.onMerchantEvent ?? (() => {});
    this.#cashOuts = options.cashOuts;
  }

  /**
   * Creates a checkout. With an idempotency key, a retry of the same request gets the first answer
   * back (clientSecret included); the same key with a different body is a 409.
   */
  async createCheckout(input: NewCheckout, idempotencyKey?: string): Promise<{ status: number; body: unknown }> {
    const requestHash = sha256Hex(JSON.stringify(input));
    if (idempotencyKey !== undefined) {
      const previous = await this.#store.getIdempotentResponse(idempotencyKey);
      if (previous) return replay(previous, requestHash);
    }
    const now = this.#now().toISOString();
    const id = newCheckoutId();
    const clientSecret = newClientSecret(id);
    const checkout: CheckoutRecord = {
      id,
      clientSecretHash: sha256Hex(clientSecret),
      amount: input.amount,
      externalReference: input.externalReference,
      description: input.description ?? null,
      payer: input.payer ?? null,
      methods: input.methods ?? ['pix'],
      expiresInMinutes: input.expiresInMinutes ?? this.#defaultExpiresInMinutes,
      returnUrl: input.returnUrl ?? null,
      metadata: input.metadata ?? {},
      status: 'open',
      endToEndId: null,
      paidAt: null,
      refundEndToEndId: null,
      refundedAt: null,
      createdAt: now,
      updatedAt: now,
    };
    const respond = (c: CheckoutRecord) => ({
      status: 201,
      body: { ...toCheckoutView(c, []), clientSecret } satisfies CreatedCheckout,
      requestHash,
    });
    try {
      const saved = await this.#store.createCheckout(
        checkout,
        firstStatusEvent(checkout),
        idempotencyKey === undefined ? undefined : { key: idempotencyKey, requestHash, response: respond },
      );
      this.#logger.info('checkout created', { checkoutId: id, amount: input.amount });
      const { status, body } = respond(saved);
      return { status, body };
    } catch (err) {
      // Two requests with one idempotency key raced: the loser answers with the winner's response.
      if (idempotencyKey !== undefined) {
        const previous = await this.#store.getIdempotentResponse(idempotencyKey);
        if (previous) return replay(previous, requestHash);
      }
      if (err instanceof DuplicateExternalReferenceError) {
        throw conflict(`A checkout with externalReference "${input.externalReference}" already exists.`, 'externalReference');
      }
      throw err;
    }
  }

  /**
   * The checkout if `clientSecret` is its secret. A wrong secret and an unknown checkout give the
   * same answer, so a browser cannot probe which checkout ids exist.
   */
  async authorizeClient(checkoutId: string, clientSecret: string | undefined): Promise<CheckoutRecord> {
    const checkout = await this.#store.getCheckout(checkoutId);
    // Hash even when the checkout is missing, so both paths take the same time.
    const presented = sha256Hex(clientSecret ?? '');
    const expected = checkout?.clientSecretHash ?? sha256Hex(`missing:${checkoutId}`);
    if (!checkout || clientSecret === undefined || !safeEqual(presented, expected)) {
      throw new DomainError('unauthorized', 'The client secret is not valid for this checkout.', { field: 'client_secret' });
    }
    return checkout;
  }

  /**
   * The checkout's PIX charge: the active one while it has time left, else a new one. Safe to call
   * any number of times, concurrently, across restarts: ConnectPSP is asked with the idempotency
   * key stored before the first attempt, so it creates each cash-in once.
   */
  async ensurePixCharge(checkout: CheckoutRecord, payer?: { name: string; document: string }): Promise<ChargeRecord> {
    return this.#singleFlight(`${checkout.id}:pix`, () => this.#ensureCharge(checkout, 'pix', payer));
  }

  /**
   * The checkout's Open Finance payment intent, made like a PIX charge (same idempotency), with a
   * return URL that brings the payer back to the merchant page and this checkout.
   */
  async ensureOpenFinanceCharge(
    checkout: CheckoutRecord,
    returnUrl: string,
    payer?: { name: string; document: string },
  ): Promise<ChargeRecord> {
    return this.#singleFlight(`${checkout.id}:open_finance`, () => this.#ensureCharge(checkout, 'open_finance', payer, returnUrl));
  }

  #singleFlight(key: string, work: () => Promise<ChargeRecord>): Promise<ChargeRecord> {
    const pending = this.#inFlight.get(key);
    if (pending) return pending;
    const promise = work().finally(() => this.#inFlight.delete(key));
    this.#inFlight.set(key, promise);
    return promise;
  }

  async #ensureCharge(
    checkout: CheckoutRecord,
    method: PaymentMethod,
    payer?: { name: string; document: string },
    returnUrl?: string,
  ): Promise<ChargeRecord> {
    if (!checkout.methods.includes(method)) {
      throw conflict(`This checkout does not accept ${method}.`, 'method');
    }
    // A charge past its expiry may still have been paid: ask ConnectPSP before making another.
    // An Open Finance intent can also end early (refused or timed out at the bank) without a
    // webhook, so it is checked before being handed out again.
    for (const charge of await this.#store.listCharges(checkout.id)) {
      const pastExpiry = Date.parse(charge.expiresAt) <= this.#now().getTime();
      if (charge.status === 'awaiting_payment' && (pastExpiry || charge.method === 'open_finance')) {
        await this.reconcileCharge(charge).catch((err) => this.#logReconcileFailure(charge, err));
      }
    }
    let current = (await this.#store.getCheckout(checkout.id)) ?? checkout;
    if (isFinalForPayer(current.status)) {
      throw conflict(`This checkout is already ${current.status}.`);
    }
    const active = (await this.#store.listCharges(current.id))
      .filter((c) => c.method === method && c.status === 'awaiting_payment')
      .filter((c) => Date.parse(c.expiresAt) - this.#now().getTime() > MIN_REMAINING_MS)
      .at(-1);
    if (active) return active;

    if (!current.payer) {
      if (!payer) throw new DomainError('invalid_input', 'A payer (name and CPF/CNPJ) is required for this checkout.', { field: 'payer' });
      current = await this.#store.setPayerIfMissing(current.id, payer);
    }
    const chargePayer = current.payer!;

    const attempt = await this.#store.openChargeAttempt(current.id, method, () => ({
      idempotencyKey: newIdempotencyKey(),
      // ConnectPSP wants externalReference unique per application; a checkout may need several charges.
      gatewayReference: `${current.id}-${randomBase62(6)}`,
    }));
    const requestedAt = this.#now();
    let cashIn: CashIn;
    try {
      cashIn = await this.#gateway.createCashIn(
        {
          amount: current.amount,
          externalReference: attempt.gatewayReference,
          expirationInMinutes: current.expiresInMinutes,
          webhookUrl: this.#webhookUrl,
          payer: chargePayer,
          ...(method === 'open_finance' ? { openFinance: { redirectUrl: withReturnMarker(returnUrl!, current.id) } } : {}),
        },
        { idempotencyKey: attempt.idempotencyKey },
      );
    } catch (err) {
      throw await this.#chargeFailure(err, attempt.checkoutId, method, attempt.idempotencyKey);
    }
    if (cashIn.amount !== current.amount) {
      // Never show a payer a code for another amount than the merchant asked for.
      this.#logger.error('ConnectPSP created a charge for a different amount', {
        checkoutId: current.id,
        transactionId: cashIn.transactionId,
        expected: current.amount,
        got: cashIn.amount,
      });
      throw new DomainError('gateway_unavailable', 'The payment provider answered with a different amount.');
    }
    if (method === 'pix' && !cashIn.pixData?.copyAndPaste) {
      throw new DomainError('gateway_unavailable', 'The payment provider answered without a PIX code.');
    }
    if (method === 'open_finance' && !cashIn.paymentUrl) {
      // The docs show only `paymentUrl` for this flow (docs/connectpsp.md §3.1); without it there is nowhere to send the payer.
      throw new DomainError('gateway_unavailable', 'The payment provider answered without a bank link.');
    }
    const now = this.#now().toISOString();
    const charge: ChargeRecord = {
      transactionId: cashIn.transactionId,
      checkoutId: current.id,
      method,
      status: 'awaiting_payment',
      amount: cashIn.amount,
      internalCode: cashIn.internalCode,
      gatewayReference: attempt.gatewayReference,
      copyAndPaste: cashIn.pixData?.copyAndPaste ?? null,
      paymentUrl: cashIn.paymentUrl,
      expiresAt: chargeExpiry(cashIn, requestedAt, current.expiresInMinutes),
      endToEndId: null,
      paidAt: null,
      refundEndToEndId: null,
      createdAt: now,
      updatedAt: now,
    };
    const result = await this.#store.saveCharge(charge, attempt.idempotencyKey);
    this.#announce(result);
    this.#logger.info('charge created', { checkoutId: current.id, transactionId: charge.transactionId, method });
    return (await this.#store.getCharge(charge.transactionId)) ?? charge;
  }

  async #chargeFailure(err: unknown, checkoutId: string, method: PaymentMethod, idempotencyKey: string): Promise<Error> {
    if (!(err instanceof ConnectPspError)) return err as Error;
    alertIfNeeded(this.#logger, err);
    if (err instanceof ConnectPspInvalidRequestError) {
      // A definitive refusal: nothing was created, so the next try may use a new key.
      await this.#store.discardChargeAttempt(checkoutId, method, idempotencyKey);
    }
    // Otherwise the attempt stays: the cash-in may exist, and only the same key can find out.
    this.#logger.warn('ConnectPSP did not create the charge', { checkoutId, status: err.status, code: err.code });
    if (err instanceof ConnectPspAuthenticationError) {
      return new DomainError(
        'gateway_auth',
        'The payment provider refused our credentials. The operator has been alerted; please try again later.',
        { cause: err },
      );
    }
    return new DomainError('gateway_unavailable', 'The payment provider is not answering right now. Please try again in a moment.', {
      cause: err,
    });
  }

  /**
   * Applies one verified ConnectPSP event. Never throws for an event that is merely late,
   * duplicated or about a transaction we do not know; throws when the truth could not be checked
   * (ConnectPSP unreachable, or its GET does not confirm the claim yet), so the webhook stays
   * recorded as unprocessed and is re-checked with backoff.
   */
  async applyEvent(event: ConnectPspEvent, receipt?: WebhookReceipt): Promise<ApplyOutcome> {
    switch (event.eventType) {
      case 'CASHIN_PAID':
      case 'CASHIN_REFUNDED': {
        const claimed = event.data;
        if (!this.#confirmPayments) return this.applyCashIn(claimed, receipt);
        if (claimed.status === 'AWAITING_PAYMENT') return 'unchanged';
        if (!(await this.#store.getCharge(claimed.transactionId))) return this.applyCashIn(claimed, receipt);
        // A webhook is a hint: ConnectPSP's own GET decides, whatever the envelope's type, so a
        // replayed, reordered or mislabelled delivery cannot move money that did not move. What is
        // applied is the GET's answer, never the envelope's.
        const truth = await this.#gateway.getCashIn(claimed.transactionId);
        if (!confirms(truth.status, claimed.status)) {
          // The gateway's read may lag its webhook: keep the webhook and ask again later.
          throw new DomainError('not_confirmed', `webhook says ${claimed.status}, ConnectPSP's GET says ${truth.status}`);
        }
        return this.applyCashIn(truth, receipt);
      }
      case 'CASHOUT_COMPLETED':
      case 'CASHOUT_FAILED':
      case 'CASHOUT_REFUNDED':
      case 'CASHOUT_CANCELLED':
        // Applied to the payout it settles (payout.* is sent from there); a cash-out this product
        // did not make is nobody's business here, so nothing is relayed blind.
        return this.#cashOuts ? this.#cashOuts.applyCashOut(event.data) : 'ignored';
      case 'UNKNOWN':
        return 'ignored';
    }
  }

  /**
   * Brings our records in line with a cash-in as ConnectPSP reports it (webhook or GET). A webhook's
   * `receipt` goes with the change that completes it (the last, when there are two), so the
   * webhook is never noted as applied while part of it is not.
   */
  async applyCashIn(cashIn: CashIn, receipt?: WebhookReceipt): Promise<ApplyOutcome> {
    const charge = await this.#store.getCharge(cashIn.transactionId);
    if (!charge) {
      this.#logger.warn('ConnectPSP reported a transaction we did not create', {
        transactionId: cashIn.transactionId,
        status: cashIn.status,
      });
      return 'unknown_transaction';
    }
    switch (cashIn.status) {
      case 'PAID':
        return this.#applyPayment(charge, cashIn, receipt);
      case 'REFUNDED':
        if (charge.status !== 'paid' && charge.status !== 'refunded') {
          // The refund overtook the payment's webhook. A refunded cash-in was paid first, and its
          // data says when and with which E2E id: apply the payment, so no step goes missing.
          await this.#applyPayment(charge, { ...cashIn, status: 'PAID', endToEndId: cashIn.originalEndToEndId ?? null });
        }
        return this.#applyRefund((await this.#store.getCharge(charge.transactionId))!, cashIn.endToEndId, cashIn.refundedAt, receipt);
      case 'EXPIRED':
      case 'CANCELLED':
        return this.#expireCharge(charge, cashIn.status === 'EXPIRED' ? 'expired' : 'cancelled', receipt);
      case 'AWAITING_PAYMENT':
        return 'unchanged';
    }
  }

  /**
   * What a GET says about a refund we asked for: REFUNDED is applied by `applyCashIn`; a devolution
   * the gateway reports as failed (the sandbox says so in `refund`; the docs name no such field)
   * ends the operation as failed, with an alert and `checkout.refund_failed`.
   */
  async #settleRefundFrom(charge: ChargeRecord, cashIn: CashIn): Promise<void> {
    if (cashIn.status === 'REFUNDED') {
      await this.applyCashIn(cashIn);
      return;
    }
    if (cashIn.refund?.status === 'FAILED') {
      const failure = cashIn.refund.failure ? `${cashIn.refund.failure.code}: ${cashIn.refund.failure.message}` : 'FAILED';
      await this.#failRefund(charge, failure, ['processing', 'requested']);
    }
  }

  async #failRefund(charge: ChargeRecord, failure: string, from: readonly ('requested' | 'processing' | null)[]): Promise<void> {
    const checkout = (await this.#store.getCheckout(charge.checkoutId))!;
    const charges = await this.#store.listCharges(charge.checkoutId);
    const wrote = await this.#store.setRefundState(
      { transactionId: charge.transactionId, status: 'failed', failure, idempotencyKey: null, onlyFrom: from },
      {
        dedupeKey: `${charge.transactionId}:checkout.refund_failed:${charge.refundIdempotencyKey ?? ''}`,
        type: 'checkout.refund_failed',
        data: merchantEvent('checkout.refund_failed', this.#now(), {
          checkout: toCheckoutView(checkout, charges),
          transactionId: charge.transactionId,
          failure,
          refundRequestedAt: charge.refundRequestedAt ?? null,
        }),
      },
    );
    if (!wrote) return;
    this.#onMerchantEvent();
    this.#logger.error('ALERT refund failed', {
      alert: true,
      code: 'REFUND_FAILED',
      checkoutId: charge.checkoutId,
      transactionId: charge.transactionId,
      failure,
      action:
        'The payer has not been refunded. Fix the cause (balance, settlement id) and request the refund again: it is a new operation.',
    });
  }

  async #applyPayment(charge: ChargeRecord, cashIn: CashIn, receipt?: WebhookReceipt): Promise<ApplyOutcome> {
    if (cashIn.amount !== charge.amount) {
      // A dynamic PIX fixes its amount; a different one is not this checkout's payment. A person must look.
      this.#logger.error('ALERT payment amount differs from the charge; checkout not marked paid', {
        alert: true,
        checkoutId: charge.checkoutId,
        transactionId: charge.transactionId,
        expected: charge.amount,
        got: cashIn.amount,
        action: "Compare the payment in the ConnectPSP panel with the order; refund it if it is not the order's.",
      });
      return 'unchanged';
    }
    const paidAt = cashIn.paidAt ? new Date(cashIn.paidAt).toISOString() : this.#now().toISOString();
    const endToEndId = cashIn.endToEndId;
    let duplicate = false;
    let afterCancel = false;
    const result = await this.#store.transition(charge.checkoutId, 'paid', {
      patch: { endToEndId, paidAt },
      charge: { transactionId: charge.transactionId, status: 'paid', endToEndId, paidAt },
      merchantEvent: ({ changed, chargeChanged, checkout, charges }) => {
        if (changed)
          return {
            dedupeKey: `${checkout.id}:checkout.paid`,
            type: 'checkout.paid',
            data: merchantEvent('checkout.paid', this.#now(), { checkout: toCheckoutView(checkout, charges) }),
          };
        // Money for a cancelled checkout (cancel-checkout.ts): recorded on its charge, the checkout stays cancelled.
        if (checkout.status === 'cancelled' && chargeChanged) {
          afterCancel = true;
          return {
            dedupeKey: `${charge.transactionId}:checkout.payment_after_cancel`,
            type: 'checkout.payment_after_cancel',
            data: merchantEvent('checkout.payment_after_cancel', this.#now(), {
              checkout: toCheckoutView(checkout, charges),
              transactionId: charge.transactionId,
              endToEndId,
            }),
          };
        }
        // Money for a checkout another payment already settled: record it, tell the merchant.
        if (
          (checkout.status === 'paid' || checkout.status === 'refunded') &&
          endToEndId !== null &&
          checkout.endToEndId !== endToEndId &&
          charge.status !== 'refunded'
        ) {
          duplicate = true;
          return {
            dedupeKey: `${charge.transactionId}:checkout.payment_duplicated`,
            type: 'checkout.payment_duplicated',
            data: merchantEvent('checkout.payment_duplicated', this.#now(), {
              checkout: toCheckoutView(checkout, charges),
              transactionId: charge.transactionId,
              endToEndId,
            }),
          };
        }
        return null;
      },
      receipt,
    });
    this.#announce(result, true);
    if (afterCancel) {
      this.#logger.error('ALERT payment received for a cancelled checkout', {
        alert: true,
        code: 'PAYMENT_AFTER_CANCEL',
        checkoutId: charge.checkoutId,
        transactionId: charge.transactionId,
        action:
          'The payer paid a cancelled checkout. Refund the payment (POST /v1/checkouts/:id/refund with its transactionId) or honour the order.',
      });
    }
    if (duplicate) {
      this.#logger.warn('second payment received for a paid checkout', {
        checkoutId: charge.checkoutId,
        transactionId: charge.transactionId,
      });
      if (this.#autoRefundDuplicates) {
        // Not awaited: the webhook is acknowledged now; the reconciler retries a refund that fails.
        void this.refund(charge.checkoutId, { transactionId: charge.transactionId, reason: 'DUPLICATED_PAYMENT' }).catch((err) =>
          this.#logger.warn('automatic refund of a duplicate payment failed; will retry', {
            transactionId: charge.transactionId,
            error: err instanceof Error ? err.message : String(err),
          }),
        );
      }
    }
    return result.changed ? 'applied' : 'unchanged';
  }

  /**
   * Records a devolution. The refund of the payment that settled the checkout refunds the
   * checkout; the refund of a duplicate payment only closes that charge.
   */
  async #applyRefund(
    charge: ChargeRecord,
    refundEndToEndId: string | null,
    refundedAt: string | null,
    receipt?: WebhookReceipt,
  ): Promise<ApplyOutcome> {
    const checkout = (await this.#store.getCheckout(charge.checkoutId))!;
    const at = refundedAt ? new Date(refundedAt).toISOString() : this.#now().toISOString();
    const isSettlingPayment = checkout.endToEndId !== null && checkout.endToEndId === charge.endToEndId;
    const chargeUpdate = { transactionId: charge.transactionId, status: 'refunded' as const, refundEndToEndId };
    const result = isSettlingPayment
      ? await this.#store.transition(checkout.id, 'refunded', {
          patch: { refundEndToEndId, refundedAt: at },
          charge: chargeUpdate,
          merchantEvent: ({ changed, checkout: c, charges }) =>
            changed
              ? {
                  dedupeKey: `${c.id}:checkout.refunded`,
                  type: 'checkout.refunded',
                  data: merchantEvent('checkout.refunded', this.#now(), { checkout: toCheckoutView(c, charges) }),
                }
              : null,
          receipt,
        })
      : await this.#store.transition(checkout.id, checkout.status, {
          charge: chargeUpdate,
          merchantEvent: ({ checkout: c, charges, chargeChanged }) =>
            !chargeChanged
              ? null
              : {
                  dedupeKey: `${charge.transactionId}:checkout.payment_refunded`,
                  type: 'checkout.payment_refunded',
                  data: merchantEvent('checkout.payment_refunded', this.#now(), {
                    checkout: toCheckoutView(c, charges),
                    transactionId: charge.transactionId,
                    endToEndId: refundEndToEndId,
                  }),
                },
          receipt,
        });
    this.#announce(result, true);
    return result.changed || result.chargeChanged ? 'applied' : 'unchanged';
  }

  async #expireCharge(charge: ChargeRecord, status: 'expired' | 'cancelled', receipt?: WebhookReceipt): Promise<ApplyOutcome> {
    const others = (await this.#store.listCharges(charge.checkoutId)).filter(
      (c) => c.transactionId !== charge.transactionId && c.status === 'awaiting_payment' && Date.parse(c.expiresAt) > this.#now().getTime(),
    );
    // The checkout expires only when no other charge can still be paid.
    const result = await this.#store.transition(charge.checkoutId, others.length === 0 ? 'expired' : 'awaiting_payment', {
      charge: { transactionId: charge.transactionId, status },
      merchantEvent: ({ changed, checkout, charges }) =>
        changed && checkout.status === 'expired'
          ? {
              dedupeKey: `${checkout.id}:checkout.expired:${checkout.updatedAt}`,
              type: 'checkout.expired',
              data: merchantEvent('checkout.expired', this.#now(), { checkout: toCheckoutView(checkout, charges) }),
            }
          : null,
      receipt,
    });
    this.#announce(result, true);
    return result.changed ? 'applied' : 'unchanged';
  }

  /**
   * Asks ConnectPSP to refund a paid charge: by default the payment that settled the checkout (the
   * checkout becomes refunded once the devolution settles), or a duplicate payment by its
   * transactionId (the checkout stays paid). A refund is an operation with a life of its own:
   * `requested` (its idempotency key written before the first attempt, so retries of THIS
   * operation never refund twice) → `processing` (ConnectPSP accepted it) → the charge `refunded`
   * (webhook or GET), or `failed` (refused, or not settled; alert and `checkout.refund_failed`). A
   * retry after a failure is a new operation with a new key: ConnectPSP answers a repeated key
   * with the stored original answer, a refusal included.
   *
   * Answers `settled` when the charge is refunded, `processing` while the devolution is underway.
   */
  async refund(
    checkoutId: string,
    input: { transactionId?: string | undefined; reason?: RefundReason | undefined; description?: string | undefined },
  ): Promise<'settled' | 'processing'> {
    const checkout = await this.#store.getCheckout(checkoutId);
    if (!checkout) throw notFound(`No checkout with id "${checkoutId}".`, 'id');
    const charges = await this.#store.listCharges(checkoutId);
    const target = input.transactionId
      ? charges.find((c) => c.transactionId === input.transactionId)
      : (charges.find((c) => c.endToEndId !== null && c.endToEndId === checkout.endToEndId) ??
        // A cancelled checkout has no settling payment; a payment that came after the cancel is the one to return.
        (checkout.status === 'cancelled' ? charges.find((c) => c.status === 'paid' || c.status === 'refunded') : undefined));
    if (!target) {
      throw input.transactionId
        ? notFound(`This checkout has no charge "${input.transactionId}".`, 'transactionId')
        : conflict(`Only a paid checkout can be refunded; this one is ${checkout.status}.`);
    }
    if (target.status === 'refunded') return 'settled';
    if (target.status !== 'paid') throw conflict(`Charge ${target.transactionId} is ${target.status}, not paid.`, 'transactionId');
    if (target.refundStatus === 'processing') return 'processing';

    const reason =
      input.reason ??
      (target.endToEndId === checkout.endToEndId || checkout.status === 'cancelled' ? 'CUSTOMER_REQUEST' : 'DUPLICATED_PAYMENT');
    if (target.refundStatus !== 'requested') {
      // A new operation (first try, or after a failure): a new key, stored before the first attempt.
      await this.#store.setRefundState({
        transactionId: target.transactionId,
        status: 'requested',
        idempotencyKey: randomUUID(),
        reason,
        failure: null,
        requestedAt: this.#now().toISOString(),
        onlyFrom: [null, 'failed'],
      });
    }
    const operation = (await this.#store.getCharge(target.transactionId))!;
    if (operation.status === 'refunded') return 'settled';
    if (operation.refundStatus === 'processing') return 'processing';
    return this.#sendRefund(operation, input.description);
  }

  /** One attempt at the stored refund operation of `charge` (status `requested`), with its own key. */
  async #sendRefund(charge: ChargeRecord, description?: string): Promise<'settled' | 'processing'> {
    const key = charge.refundIdempotencyKey!;
    const reason = charge.refundReason ?? 'CUSTOMER_REQUEST';
    try {
      await this.#gateway.refundCashIn(charge.transactionId, { reason, ...(description ? { description } : {}) }, { idempotencyKey: key });
    } catch (err) {
      if (err instanceof ConnectPspError && err.code === 'CASH_IN_ALREADY_REFUNDED') {
        await this.applyCashIn(await this.#gateway.getCashIn(charge.transactionId));
        return 'settled';
      }
      throw await this.#refundFailure(err, charge);
    }
    // Accepted, which is not settled: the 202 says the request was taken, whatever its status says.
    await this.#store.setRefundState({ transactionId: charge.transactionId, status: 'processing', onlyFrom: ['requested'] });
    // ConnectPSP's own GET says whether it settled already; a webhook or the reconciler tell us later otherwise.
    const truth = await this.#gateway.getCashIn(charge.transactionId).catch(() => undefined);
    if (truth) await this.#settleRefundFrom(charge, truth);
    return (await this.#store.getCharge(charge.transactionId))?.status === 'refunded' ? 'settled' : 'processing';
  }

  async #refundFailure(err: unknown, charge: ChargeRecord): Promise<Error> {
    if (!(err instanceof ConnectPspError)) return err as Error;
    alertIfNeeded(this.#logger, err);
    if (err instanceof ConnectPspInvalidRequestError || err instanceof ConnectPspAuthenticationError) {
      // A definitive answer about this operation: it failed. The key is spent (ConnectPSP replays its
      // answer to it), so a retry is a new operation with a new key.
      await this.#failRefund(charge, `${err.code}${err.detail ? `: ${err.detail}` : ''}`, ['requested']);
      if (err.code === 'MISSING_END_TO_END_ID') {
        return conflict(
          'ConnectPSP cannot refund this payment yet (its settlement id is not available). Try again in a few minutes.',
          undefined,
          err,
        );
      }
      return conflict(`ConnectPSP refused the refund: ${err.code}${err.detail ? ` — ${err.detail}` : ''}`, undefined, err);
    }
    // No answer: the operation stays `requested` under its key; a retry (or the reconciler) sends the same key.
    this.#logger.warn('refund call failed', { transactionId: charge.transactionId, status: err.status, code: err.code });
    return new DomainError(
      'gateway_unavailable',
      'The payment provider is not answering right now. The refund was not confirmed; try again — it will not be made twice.',
      { cause: err },
    );
  }

  /**
   * Moves a refund operation on: one still `requested` (no answer yet) is sent again with its own
   * key; one `processing` is looked up with GET and settled or failed from the answer.
   */
  async advanceRefund(charge: ChargeRecord): Promise<void> {
    if (charge.refundStatus === 'requested') {
      await this.#sendRefund(charge);
      return;
    }
    if (charge.refundStatus === 'processing') await this.#settleRefundFrom(charge, await this.#gateway.getCashIn(charge.transactionId));
  }

  /**
   * Asks ConnectPSP for the truth about one charge and applies it. A charge becomes expired only
   * when ConnectPSP says so: our clock passing `expiresAt` is not proof that nobody paid. Throws
   * when ConnectPSP could not be asked (the reconciler schedules the next try).
   */
  async reconcileCharge(charge: ChargeRecord): Promise<ApplyOutcome> {
    return this.applyCashIn(await this.#gateway.getCashIn(charge.transactionId));
  }

  #logReconcileFailure(charge: ChargeRecord, err: unknown): void {
    if (err instanceof ConnectPspError) alertIfNeeded(this.#logger, err);
    this.#logger.warn('could not reconcile charge', {
      transactionId: charge.transactionId,
      error: err instanceof Error ? err.message : String(err),
    });
  }

  /**
   * Asks ConnectPSP about one charge now, by its transaction id: what the embedded sandbox's expire
   * control calls, since no webhook announces an expiry. An id we did not create is ignored.
   */
  async reconcileTransaction(transactionId: string): Promise<void> {
    const charge = await this.#store.getCharge(transactionId);
    if (charge?.status === 'awaiting_payment') await this.#reconcileNow(charge);
  }

  /** Re-reads every charge still awaiting payment from ConnectPSP; returns the checkout as it is after. */
  async refreshFromGateway(checkout: CheckoutRecord): Promise<CheckoutRecord> {
    for (const charge of await this.#store.listCharges(checkout.id)) {
      if (charge.status === 'awaiting_payment') await this.reconcileCharge(charge).catch((err) => this.#logReconcileFailure(charge, err));
    }
    return (await this.#store.getCheckout(checkout.id)) ?? checkout;
  }

  /**
   * Asks ConnectPSP about every charge still awaiting payment (up to `limit`), expired or not: at
   * start-up with the embedded sandbox, which may have come back without charges we still show.
   */
  async reconcileOpen(limit = 1000): Promise<number> {
    const open = await this.#store.chargesAwaitingPaymentExpiringBefore(END_OF_TIME, limit);
    for (const charge of open) await this.#reconcileNow(charge);
    return open.length;
  }

  /**
   * Asks about one charge now and, when ConnectPSP answers that it does not know it, ends it. Only
   * for the embedded sandbox's paths (its expire control, its restart): the sandbox is the
   * newcomer's gateway, and a code it forgot can never be paid, so the payer is offered a new one
   * at once. Against a real gateway the reconciler parks such a charge and alerts an operator
   * instead (reconciler.ts), since a 404 there may be a switched environment, not a lost charge.
   */
  async #reconcileNow(charge: ChargeRecord): Promise<void> {
    try {
      await this.reconcileCharge(charge);
    } catch (err) {
      if (
        err instanceof ConnectPspError &&
        err.status === 404 &&
        err.code === 'CASH_IN_NOT_FOUND' &&
        charge.status === 'awaiting_payment'
      ) {
        this.#logger.warn('ConnectPSP does not know this charge any more; ending it so the payer can get a new code', {
          checkoutId: charge.checkoutId,
          transactionId: charge.transactionId,
        });
        await this.#expireCharge(charge, 'cancelled');
        return;
      }
      this.#logReconcileFailure(charge, err);
    }
  }

  /** Whether a second payment should be refunded without a person (AUTO_REFUND_DUPLICATES). */
  get autoRefundDuplicates(): boolean {
    return this.#autoRefundDuplicates;
  }

  #announce(result: TransitionResult, merchantEventPossible = false): void {
    if (result.event) this.#bus.publish(result.checkout.id);
    if (merchantEventPossible) this.#onMerchantEvent();
  }
}

/**
 * The merchant page URL with `connectpsp_checkout=<id>` added, so a page that is loaded from
 * scratch on the payer's return knows which checkout to resume.
 */
export function withReturnMarker(returnUrl: string, checkoutId: string): string {
  const url = new URL(returnUrl);
  url.searchParams.set('connectpsp_checkout', checkoutId);
  return url.toString();
}

/** Later than any expiry, in the ISO form the stores compare as text. */
const END_OF_TIME = '9999-12-31T23:59:59.999Z';

export type ApplyOutcome = 'applied' | 'unchanged' | 'unknown_transaction' | 'ignored' | 'forwarded';

function merchantEvent(type: MerchantEventType, at: Date, data: unknown) {
  return { type, timestamp: at.toISOString(), data };
}

/** Cash-in statuses in the order money moves; a GET confirms a claim when it is at least as far. */
const CASH_IN_PROGRESS: Record<CashInStatus, number> = { AWAITING_PAYMENT: 0, EXPIRED: 1, CANCELLED: 1, PAID: 2, REFUNDED: 3 };

/**
 * Whether ConnectPSP's GET confirms what a webhook claims: a payment is confirmed by PAID or
 * REFUNDED (it was paid first), a refund only by REFUNDED, an end only by the same end.
 */
export function confirms(truth: CashInStatus, claimed: CashInStatus): boolean {
  if (claimed === 'EXPIRED' || claimed === 'CANCELLED') return truth === claimed;
  return CASH_IN_PROGRESS[truth] >= CASH_IN_PROGRESS[claimed] && CASH_IN_PROGRESS[truth] >= 2;
}

function replay(previous: { status: number; body: unknown; requestHash: string }, requestHash: string) {
  if (previous.requestHash !== requestHash) {
    throw conflict('This Idempotency-Key was already used with a different request body.', 'Idempotency-Key');
  }
  return { status: previous.status, body: previous.body };
}

/**
 * ConnectPSP's create answer has no expiry field (docs/connectpsp.md §3.1), so it is derived: from the
 * gateway's own `requestedAt` when given (a replayed answer keeps its original clock), else from
 * when we sent the request — never later than the gateway's real expiry.
 */
function chargeExpiry(cashIn: CashIn, sentAt: Date, minutes: number): string {
  const gatewayStart = cashIn.requestedAt ? Date.parse(cashIn.requestedAt) : NaN;
  const start = Number.isNaN(gatewayStart) ? sentAt.getTime() : Math.min(gatewayStart, sentAt.getTime() + 5_000);
  return new Date(start + minutes * 60_000).toISOString();
}
