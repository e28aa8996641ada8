
import { isFinalForPayer, type PaymentMethod } from '../contract.js';
import type { EventBus } from '../bus/event-bus.js';
import type { ConnectPspClient } from '../connectpsp/client.js';
import { ConnectPspError, ConnectPspInvalidRequestError } from '../connectpsp/errors.js';
import type { CashIn, ConnectPspEvent } from '../connectpsp/types.js';
import { HttpError } from '../http-error.js';
import { newCheckoutId, newClientSecret, newIdempotencyKey, randomBase62, safeEqual, sha256Hex } from '../ids.js';
import type { Logger } from '../logger.js';
import { DuplicateExternalReferenceError, type ChargeRecord, type CheckoutRecord, type Store, type TransitionResult } from '../store/store.js';
import { toCheckoutView } from './views.js';
import type { CreatedCheckout } from '../contract.js';

/** The gateway calls the checkout flow needs; the real `ConnectPspClient` provides them. */
export type Gateway = Pick<ConnectPspClient, 'createCashIn' | 'getCashIn'>;

export interface CheckoutServiceOptions {
  store: Store;
  bus: EventBus;
  gateway: Gateway;
  logger: Logger;
  /** Where ConnectPSP sends webhooks for the charges we create. */
  webhookUrl: string;
  defaultExpiresInMinutes: number;
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
      createdAt: now,
      updatedAt: now,
    };
    const firstEvent = { status: checkout.status, previous: null, activeCharge: null, endToEndId: null, paidAt: null, at: now };
    const respond = (c: CheckoutRecord) => ({
      status: 201,
      body: { ...toCheckoutView(c, []), clientSecret } satisfies CreatedCheckout,
      requestHash,
    });
    try {
      const saved = await this.#store.createCheckout(
        checkout,
        firstEvent,
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
        throw new HttpError(409, `A checkout with externalReference "${input.externalReference}" already exists.`, { field: 'externalReference', type: 'conflict' });
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
      throw new HttpError(401, 'The client secret is not valid for this checkout.', { field: 'client_secret' });
    }
    return checkout;
  }

  /**
   * The checkout's PIX charge: the active one while it has time left, else a new one. Safe to call
   * any number of times, concurrently, across restarts: ConnectPSP is asked with the idempotency
   * key stored before the first attempt, so it creates each cash-in once.
   */
  async ensurePixCharge(checkout: CheckoutRecord, payer?: { name: string; document: string }): Promise<ChargeRecord> {
    const key = `${checkout.id}:pix`;
    const pending = this.#inFlight.get(key);
    if (pending) return pending;
    const work = this.#ensureCharge(checkout, 'pix', payer).finally(() => this.#inFlight.delete(key));
    this.#inFlight.set(key, work);
    return work;
  }

  async #ensureCharge(checkout: CheckoutRecord, method: PaymentMethod, payer?: { name: string; document: string }): Promise<ChargeRecord> {
    if (!checkout.methods.includes(method)) {
      throw new HttpError(409, `This checkout does not accept ${method}.`, { type: 'conflict', field: 'method' });
    }
    // A charge past its expiry may still have been paid: ask ConnectPSP before making another.
    for (const charge of await this.#store.listCharges(checkout.id)) {
      if (charge.status === 'awaiting_payment' && Date.parse(charge.expiresAt) <= this.#now().getTime()) {
        await this.reconcileCharge(charge);
      }
    }
    let current = (await this.#store.getCheckout(checkout.id)) ?? checkout;
    if (isFinalForPayer(current.status)) {
      throw new HttpError(409, `This checkout is already ${current.status}.`, { type: 'conflict' });
    }
    const active = (await this.#store.listCharges(current.id))
      .filter((c) => c.method === method && c.status === 'awaiting_payment')
      .filter((c) => Date.parse(c.expiresAt) - this.#now().getTime() > MIN_REMAINING_MS)
      .at(-1);
    if (active) return active;

    if (!current.payer) {
      if (!payer) throw new HttpError(400, 'A payer (name and CPF/CNPJ) is required for this checkout.', { field: 'payer' });
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
        },
        { idempotencyKey: attempt.idempotencyKey },
      );
    } catch (err) {
      throw await this.#chargeFailure(err, attempt.checkoutId, method, attempt.idempotencyKey);
    }
    if (cashIn.amount !== current.amount) {
      // Never show a payer a code for another amount than the merchant asked for.
      this.#logger.error('ConnectPSP created a charge for a different amount', { checkoutId: current.id, transactionId: cashIn.transactionId, expected: current.amount, got: cashIn.amount });
      throw new HttpError(502, 'The payment provider answered with a different amount.', { type: 'gateway_error' });
    }
    if (method === 'pix' && !cashIn.pixData?.copyAndPaste) {
      throw new HttpError(502, 'The payment provider answered without a PIX code.', { type: 'gateway_error' });
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
    if (err instanceof ConnectPspInvalidRequestError) {
      // A definitive refusal: nothing was created, so the next try may use a new key.
      await this.#store.discardChargeAttempt(checkoutId, method, idempotencyKey);
    }
    // Otherwise the attempt stays: the cash-in may exist, and only the same key can find out.
    this.#logger.warn('ConnectPSP did not create the charge', { checkoutId, status: err.status, code: err.code });
    return new HttpError(502, 'The payment provider is not answering right now. Please try again in a moment.', {
      type: 'gateway_error',
      cause: err,
    });
  }

  /**
   * Applies one verified ConnectPSP event. Returns what happened, for the log; never throws for an
   * event that is merely late, duplicated or about a transaction we do not know.
   */
  async applyEvent(event: ConnectPspEvent): Promise<'applied' | 'unchanged' | 'unknown_transaction' | 'ignored'> {
    switch (event.eventType) {
      case 'CASHIN_PAID':
      case 'CASHIN_REFUNDED':
        return this.applyCashIn(event.data);
      case 'CASHOUT_COMPLETED':
      case 'CASHOUT_FAILED':
      case 'CASHOUT_REFUNDED':
      case 'UNKNOWN':
        return 'ignored';
    }
  }

  /** Brings our records in line with a cash-in as ConnectPSP reports it (webhook or GET). */
  async applyCashIn(cashIn: CashIn): Promise<'applied' | 'unchanged' | 'unknown_transaction'> {
    const charge = await this.#store.getCharge(cashIn.transactionId);
    if (!charge) {
      this.#logger.warn('ConnectPSP reported a transaction we did not create', { transactionId: cashIn.transactionId, status: cashIn.status });
      return 'unknown_transaction';
    }
    let result: TransitionResult;
    switch (cashIn.status) {
      case 'PAID': {
        if (cashIn.amount !== charge.amount) {
          // A dynamic PIX fixes its amount; a different one is not this checkout's payment. A person must look.
          this.#logger.error('payment amount differs from the charge; checkout not marked paid', { checkoutId: charge.checkoutId, transactionId: charge.transactionId, expected: charge.amount, got: cashIn.amount });
          return 'unchanged';
        }
        const paidAt = cashIn.paidAt ? new Date(cashIn.paidAt).toISOString() : this.#now().toISOString();
        result = await this.#store.transition(
          charge.checkoutId,
          'paid',
          { endToEndId: cashIn.endToEndId, paidAt },
          { transactionId: charge.transactionId, status: 'paid', endToEndId: cashIn.endToEndId, paidAt },
        );
        if (!result.changed && result.checkout.status === 'paid' && charge.status !== 'paid' && result.checkout.endToEndId !== cashIn.endToEndId) {
          this.#logger.warn('second payment received for a paid checkout', { checkoutId: charge.checkoutId, transactionId: charge.transactionId, endToEndId: cashIn.endToEndId });
        }
        break;
      }
      case 'REFUNDED':
        if (charge.status !== 'paid' && charge.status !== 'refunded') {
          // The refund overtook the payment's webhook. A refunded cash-in was paid first, and its
          // data says when and with which E2E id: apply the payment, so no step goes missing.
          await this.applyCashIn({ ...cashIn, status: 'PAID', endToEndId: cashIn.originalEndToEndId ?? null });
        }
        result = await this.#store.transition(charge.checkoutId, 'refunded', {}, { transactionId: charge.transactionId, status: 'refunded' });
        break;
      case 'EXPIRED':
      case 'CANCELLED':
        return this.#expireCharge(charge, cashIn.status === 'EXPIRED' ? 'expired' : 'cancelled');
      case 'AWAITING_PAYMENT':
        return 'unchanged';
    }
    this.#announce(result);
    return result.changed ? 'applied' : 'unchanged';
  }

  async #expireCharge(charge: ChargeRecord, status: 'expired' | 'cancelled'): Promise<'applied' | 'unchanged'> {
    const others = (await this.#store.listCharges(charge.checkoutId)).filter(
      (c) => c.transactionId !== charge.transactionId && c.status === 'awaiting_payment' && Date.parse(c.expiresAt) > this.#now().getTime(),
    );
    // The checkout expires only when no other charge can still be paid.
    const result = await this.#store.transition(
      charge.checkoutId,
      others.length === 0 ? 'expired' : 'awaiting_payment',
      {},
      { transactionId: charge.transactionId, status },
    );
    this.#announce(result);
    return result.changed ? 'applied' : 'unchanged';
  }

  /**
   * Asks ConnectPSP for the truth about one charge and applies it. A charge becomes expired only
   * when ConnectPSP says so: our clock passing `expiresAt` is not proof that nobody paid.
   */
  async reconcileCharge(charge: ChargeRecord): Promise<void> {
    try {
      await this.applyCashIn(await this.#gateway.getCashIn(charge.transactionId));
    } catch (err) {
      this.#logger.warn('could not reconcile charge', { transactionId: charge.transactionId, error: err instanceof Error ? err.message : String(err) });
    }
  }

  /** One pass of the reconciler: charges at or past expiry, oldest first. */
  async reconcileDue(limit = 100): Promise<number> {
    const due = await this.#store.chargesAwaitingPaymentExpiringBefore(this.#now().toISOString(), limit);
    for (const charge of due) await this.reconcileCharge(charge);
    return due.length;
  }

  #announce(result: TransitionResult): void {
    if (result.event) this.#bus.publish(result.checkout.id);
  }
}

function replay(previous: { status: number; body: unknown; requestHash: string }, requestHash: string) {
  if (previous.requestHash !== requestHash) {
    throw new HttpError(409, 'This Idempotency-Key was already used with a different request body.', { field: 'Idempotency-Key', type: 'conflict' });
  }
  return { status: previous.status, body: previous.body };
}

/**
 * ConnectPSP's create answer has no expiry field (CONNECTPSP.md §3.1), so it is derived: from the
 * gateway's own `requestedAt` when given (a replayed answer keeps its original clock), else from
 * when we sent the request — never later than the gateway's real expiry.
 */
function chargeExpiry(cashIn: CashIn, sentAt: Date, minutes: number): string {
  const gatewayStart = cashIn.requestedAt ? Date.parse(cashIn.requestedAt) : NaN;
  const start = Number.isNaN(gatewayStart) ? sentAt.getTime() : Math.min(gatewayStart, sentAt.getTime() + 5_000);
  return new Date(start + minutes * 60_000).toISOString();
}

