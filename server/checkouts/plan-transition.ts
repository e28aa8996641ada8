/**
 * The transition rules, in one pure module both stores persist: whether a checkout may move,
 * whether its charge may move, the status event that goes with it and the merchant message. A store
 * loads the checkout and its charges under its lock, asks `planTransition`, and writes what the plan
 * says — nothing else. No I/O here, and no clock but the `now` handed in.
 */
import { canTransition, type ChargeStatus, type CheckoutStatus, type StatusEventData } from 'connectpsp-checkout/contract';
import type { ChargeRecord, ChargeUpdate, CheckoutPatch, CheckoutRecord, OutboxInput, TransitionChange } from '../store/store.js';
import { statusEventData } from './views.js';

/**
 * A charge's own one-way machine, like the checkout's `TRANSITIONS`. A late `EXPIRED` never
 * un-pays a paid charge and a late `PAID` never un-refunds a refunded one. `expired|cancelled →
 * paid` is allowed because a PIX can settle after the gateway's clock said the code was over: the
 * money is real and must be recorded.
 */
export const CHARGE_TRANSITIONS: Readonly<Record<ChargeStatus, readonly ChargeStatus[]>> = {
  awaiting_payment: ['paid', 'expired', 'cancelled'],
  expired: ['paid'],
  cancelled: ['paid'],
  paid: ['refunded'],
  refunded: [],
};

export function canChargeTransition(from: ChargeStatus, to: ChargeStatus): boolean {
  return CHARGE_TRANSITIONS[from].includes(to);
}

/** What a store writes for one change, all in one transaction. Every null means "write nothing". */
export interface TransitionPlan {
  /** The checkout as it will be, when it moves. */
  checkout: CheckoutRecord | null;
  /** The charge update, when the charge's machine allows it. */
  charge: ChargeUpdate | null;
  /** The status event to append. */
  event: StatusEventData | null;
  /** The merchant notification to queue. */
  outbox: OutboxInput | null;
  /** The charges as they will be (the event and the merchant rule saw these). */
  charges: readonly ChargeRecord[];
}

/**
 * Plans the move of `checkout` to `to` with what `change` carries. The charge update is planned on
 * its own machine, also when the checkout does not move (a second payment still marks its own
 * charge paid), and dropped when its charge may not move that way.
 */
export function planTransition(
  checkout: CheckoutRecord,
  charges: readonly ChargeRecord[],
  to: CheckoutStatus,
  change: Pick<TransitionChange, 'patch' | 'charge' | 'merchantEvent'>,
  now: string,
): TransitionPlan {
  const chargeUpdate = change.charge ? allowedChargeUpdate(charges, change.charge) : null;
  const after = chargeUpdate
    ? charges.map((c) => (c.transactionId === chargeUpdate.transactionId ? applyChargeUpdate(c, chargeUpdate, now) : c))
    : charges;
  const moves = canTransition(checkout.status, to);
  const updated = moves ? { ...checkout, ...definedOnly(change.patch ?? {}), status: to, updatedAt: now } : null;
  const outbox =
    change.merchantEvent?.({ changed: moves, chargeChanged: chargeUpdate !== null, checkout: updated ?? checkout, charges: after }) ?? null;
  return {
    checkout: updated,
    charge: chargeUpdate,
    event: updated ? statusEventData(updated, after, checkout.status, now) : null,
    outbox,
    charges: after,
  };
}

/**
 * A new charge was saved: the checkout moves to `awaiting_payment`, or, already awaiting payment,
 * gets a same-status event anyway (a new `activeCharge`), so open streams learn of the new code.
 */
export function planChargeSaved(checkout: CheckoutRecord, charges: readonly ChargeRecord[], now: string): TransitionPlan {
  if (checkout.status === 'awaiting_payment') {
    return { checkout: null, charge: null, event: statusEventData(checkout, charges, checkout.status, now), outbox: null, charges };
  }
  return planTransition(checkout, charges, 'awaiting_payment', {}, now);
}

function allowedChargeUpdate(charges: readonly ChargeRecord[], update: ChargeUpdate): ChargeUpdate | null {
  const current = charges.find((c) => c.transactionId === update.transactionId);
  if (!current) return null;
  return canChargeTransition(current.status, update.status) ? update : null;
}

function applyChargeUpdate(charge: ChargeRecord, update: ChargeUpdate, now: string): ChargeRecord {
  return {
    ...charge,
    status: update.status,
    endToEndId: update.endToEndId ?? charge.endToEndId,
    paidAt: update.paidAt ?? charge.paidAt,
    refundEndToEndId: update.refundEndToEndId ?? charge.refundEndToEndId,
    // A settled refund ends the refund operation.
    ...(update.status === 'refunded' ? { refundStatus: null, refundFailure: null } : {}),
    updatedAt: now,
  };
}

/** Drops `undefined` so a patch only overwrites the fields it names. */
function definedOnly(patch: CheckoutPatch): Partial<CheckoutPatch> {
  return Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) as Partial<CheckoutPatch>;
}
