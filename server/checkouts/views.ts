/**
 * Pure functions from stored records to what the wire contract shows. No I/O: the store calls
 * `statusEventData` inside its transactions, the routes call the rest.
 */
import type {
  ActiveChargeView,
  ChargeView,
  CheckoutSession,
  CheckoutStatus,
  CheckoutView,
  StatusEventData,
} from 'connectpsp-checkout/contract';
import type { ChargeRecord, CheckoutRecord } from '../store/store.js';

/**
 * The charge the payer should be shown: the newest one still awaiting payment, while the checkout
 * itself is awaiting payment. Paid or superseded charges are history, not something to pay.
 *
 * An expired checkout shows the charge that ended last, with its status, so the widget can say why
 * the code stopped working: `expired` (its time ran out) or `cancelled` (the intent was refused, or
 * ConnectPSP no longer knows the code). Its status says it cannot be paid.
 */
export function activeCharge(checkout: CheckoutRecord, charges: readonly ChargeRecord[]): ActiveChargeView | null {
  if (checkout.status === 'expired') {
    const ended = newest(charges.filter((c) => c.status === 'expired' || c.status === 'cancelled'));
    return ended ? toActiveChargeView(ended) : null;
  }
  if (checkout.status !== 'awaiting_payment') return null;
  const charge = newest(charges.filter((c) => c.status === 'awaiting_payment'));
  return charge ? toActiveChargeView(charge) : null;
}

export function toActiveChargeView(charge: ChargeRecord): ActiveChargeView {
  const common = {
    transactionId: charge.transactionId,
    status: charge.status,
    amount: charge.amount,
    expiresAt: charge.expiresAt,
    createdAt: charge.createdAt,
  };
  return charge.method === 'open_finance'
    ? { ...common, method: 'open_finance', paymentUrl: charge.paymentUrl ?? '' }
    : { ...common, method: 'pix', copyAndPaste: charge.copyAndPaste ?? '' };
}

export function statusEventData(
  checkout: CheckoutRecord,
  charges: readonly ChargeRecord[],
  previous: CheckoutStatus | null,
  at: string,
): StatusEventData {
  return {
    checkoutId: checkout.id,
    status: checkout.status,
    previous,
    activeCharge: activeCharge(checkout, charges),
    endToEndId: checkout.endToEndId,
    paidAt: checkout.paidAt,
    refundEndToEndId: checkout.refundEndToEndId,
    refundedAt: checkout.refundedAt,
    at,
  };
}

/** The event a checkout is created with: its `open` status, no history before it. */
export function firstStatusEvent(checkout: CheckoutRecord): Omit<StatusEventData, 'checkoutId'> {
  const { checkoutId: _, ...event } = statusEventData(checkout, [], null, checkout.createdAt);
  return event;
}

export function toChargeView(charge: ChargeRecord): ChargeView {
  return {
    transactionId: charge.transactionId,
    method: charge.method,
    status: charge.status,
    amount: charge.amount,
    expiresAt: charge.expiresAt,
    createdAt: charge.createdAt,
    endToEndId: charge.endToEndId,
    paidAt: charge.paidAt,
    refundEndToEndId: charge.refundEndToEndId,
    refundStatus: charge.refundStatus ?? null,
    refundFailure: charge.refundFailure ?? null,
  };
}

export function toCheckoutView(checkout: CheckoutRecord, charges: readonly ChargeRecord[]): CheckoutView {
  return {
    id: checkout.id,
    status: checkout.status,
    amount: checkout.amount,
    currency: 'BRL',
    externalReference: checkout.externalReference,
    description: checkout.description,
    methods: checkout.methods,
    // The full document stays on the server; the merchant already has it, the API need not echo it.
    payer: checkout.payer ? { name: checkout.payer.name, documentLast4: checkout.payer.document.slice(-4) } : null,
    expiresInMinutes: checkout.expiresInMinutes,
    returnUrl: checkout.returnUrl,
    metadata: checkout.metadata,
    endToEndId: checkout.endToEndId,
    paidAt: checkout.paidAt,
    refundEndToEndId: checkout.refundEndToEndId,
    refundedAt: checkout.refundedAt,
    duplicatePayments: duplicatePayments(charges),
    createdAt: checkout.createdAt,
    updatedAt: checkout.updatedAt,
    charges: [...charges].sort(byCreatedAt).map(toChargeView),
  };
}

export function toSession(checkout: CheckoutRecord, charges: readonly ChargeRecord[], merchantName: string, now: Date): CheckoutSession {
  return {
    id: checkout.id,
    status: checkout.status,
    amount: checkout.amount,
    currency: 'BRL',
    description: checkout.description,
    merchantName,
    methods: checkout.methods,
    payerRequired: checkout.payer === null,
    payerName: checkout.payer?.name ?? null,
    activeCharge: activeCharge(checkout, charges),
    endToEndId: checkout.endToEndId,
    paidAt: checkout.paidAt,
    refundEndToEndId: checkout.refundEndToEndId,
    refundedAt: checkout.refundedAt,
    serverTime: now.toISOString(),
  };
}

/** Charges that received money beyond the first one: a payer who paid twice. */
export function duplicatePayments(charges: readonly ChargeRecord[]): number {
  return Math.max(0, charges.filter((c) => c.paidAt !== null).length - 1);
}

function byCreatedAt(a: ChargeRecord, b: ChargeRecord): number {
  return a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0;
}

function newest(charges: readonly ChargeRecord[]): ChargeRecord | undefined {
  return [...charges].sort(byCreatedAt).at(-1);
}
