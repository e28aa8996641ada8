import { randomBytes } from 'node:crypto';
import { firstStatusEvent } from '../../server/checkouts/views.js';
import type { ChargeRecord, CheckoutRecord, Store } from '../../server/store/store.js';

/** Records as the checkout service writes them, for tests that talk to a store directly. */

const unique = () => randomBytes(6).toString('hex');

export function checkoutRecord(overrides: Partial<CheckoutRecord> = {}): CheckoutRecord {
  const now = new Date().toISOString();
  return {
    id: `chk_${unique()}`,
    clientSecretHash: 'a'.repeat(64),
    amount: 1050,
    externalReference: `order-${unique()}`,
    description: 'Pedido de teste',
    payer: { name: 'Maria Silva', document: '12345678909' },
    methods: ['pix'],
    expiresInMinutes: 30,
    returnUrl: null,
    metadata: { cart: '42' },
    status: 'open',
    endToEndId: null,
    paidAt: null,
    refundEndToEndId: null,
    refundedAt: null,
    createdAt: now,
    updatedAt: now,
    ...overrides,
  };
}

/** The event the service creates a checkout with. */
export const firstEvent = firstStatusEvent;

export function chargeRecord(checkoutId: string, overrides: Partial<ChargeRecord> = {}): ChargeRecord {
  const now = new Date().toISOString();
  const id = unique();
  return {
    transactionId: `tx_${id}`,
    checkoutId,
    method: 'pix',
    status: 'awaiting_payment',
    amount: 1050,
    internalCode: `IC${id}`,
    gatewayReference: `${checkoutId}-${id}`,
    copyAndPaste: `00020101021226${id}`,
    paymentUrl: null,
    expiresAt: new Date(Date.now() + 30 * 60_000).toISOString(),
    endToEndId: null,
    paidAt: null,
    refundEndToEndId: null,
    createdAt: now,
    updatedAt: now,
    refundStatus: null,
    refundIdempotencyKey: null,
    refundReason: null,
    refundFailure: null,
    refundRequestedAt: null,
    reconcileAttempts: 0,
    nextReconcileAt: null,
    parkedAt: null,
    ...overrides,
  };
}

/** A checkout with one charge, awaiting payment: what a webhook for that charge finds. */
export async function checkoutAwaitingPayment(
  store: Store,
  overrides: Partial<CheckoutRecord> = {},
): Promise<{ checkout: CheckoutRecord; charge: ChargeRecord }> {
  const checkout = checkoutRecord(overrides);
  await store.createCheckout(checkout, firstEvent(checkout));
  const attempt = await store.openChargeAttempt(checkout.id, 'pix', () => ({
    idempotencyKey: `key-${unique()}`,
    gatewayReference: `${checkout.id}-${unique()}`,
  }));
  const charge = chargeRecord(checkout.id, { gatewayReference: attempt.gatewayReference });
  const result = await store.saveCharge(charge, attempt.idempotencyKey);
  return { checkout: result.checkout, charge };
}
