/**
 * Cancelling a checkout that was not paid. ConnectPSP has no endpoint to cancel a cash-in
 * (the endpoint list at https://docs.connectpsp.com/apis/index has none), so its charges cannot be retired at the gateway: they stay
 * `awaiting_payment` in our records and the reconciler keeps asking about them until they expire.
 * That is the safe side: a payer who pays an old code anyway has moved real money, and it is
 * recorded (the charge becomes paid, the checkout stays cancelled), surfaced to the merchant as
 * `checkout.payment_after_cancel` and an operator alert, and refundable by its transactionId.
 */
import { canTransition } from 'connectpsp-checkout/contract';
import type { EventBus } from '../bus/event-bus.js';
import type { Store } from '../store/store.js';
import { conflict, notFound } from './errors.js';
import { toCheckoutView } from './views.js';
import type { CheckoutRecord } from '../store/store.js';

export interface CancelDeps {
  store: Store;
  bus: EventBus;
  onMerchantEvent?: () => void;
  now?: () => Date;
}

/**
 * Moves the checkout to `cancelled` with its status event (open widgets show it live) and
 * `checkout.cancelled`, in one transaction. Cancelling a cancelled checkout answers it as it is; a
 * paid, refunded or expired-then-paid one is a 409.
 */
export async function cancelCheckout(deps: CancelDeps, checkoutId: string): Promise<CheckoutRecord> {
  const now = deps.now ?? (() => new Date());
  const checkout = await deps.store.getCheckout(checkoutId);
  if (!checkout) throw notFound(`No checkout with id "${checkoutId}".`, 'id');
  if (checkout.status === 'cancelled') return checkout;
  if (!canTransition(checkout.status, 'cancelled'))
    throw conflict(`A ${checkout.status} checkout cannot be cancelled; only one not yet paid can.`, 'id');
  const result = await deps.store.transition(checkout.id, 'cancelled', {
    merchantEvent: ({ changed, checkout: c, charges }) =>
      changed
        ? {
            dedupeKey: `${c.id}:checkout.cancelled`,
            type: 'checkout.cancelled',
            data: { type: 'checkout.cancelled', timestamp: now().toISOString(), data: { checkout: toCheckoutView(c, charges) } },
          }
        : null,
  });
  if (!result.changed) {
    // Paid (or cancelled) in the meantime: say what it is now.
    const current = (await deps.store.getCheckout(checkout.id))!;
    if (current.status === 'cancelled') return current;
    throw conflict(`A ${current.status} checkout cannot be cancelled; only one not yet paid can.`, 'id');
  }
  if (result.event) deps.bus.publish(checkout.id);
  deps.onMerchantEvent?.();
  return result.checkout;
}
