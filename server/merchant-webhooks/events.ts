import type { CheckoutView } from 'connectpsp-checkout/contract';

/** What the merchant's backend is told, and when. */
export type MerchantEventType =
  /** The checkout was paid: fulfil the order. Sent once per checkout. */
  | 'checkout.paid'
  /** Every code expired unpaid. A later payment still sends checkout.paid. */
  | 'checkout.expired'
  /** The payment went back to the payer (the checkout's refund), once the devolution settled. */
  | 'checkout.refunded'
  /** A refund ConnectPSP refused or could not settle; the checkout stays paid. A retry is a new refund. */
  | 'checkout.refund_failed'
  /** Money arrived for a checkout that was already paid: refund it, or keep it deliberately. */
  | 'checkout.payment_duplicated'
  /** A duplicate payment was returned to the payer; the checkout stays paid. */
  | 'checkout.payment_refunded'
  /** The merchant cancelled the checkout before it was paid (POST /v1/checkouts/:id/cancel). */
  | 'checkout.cancelled'
  /** Money arrived for a cancelled checkout (an old code paid anyway): refund it by its transactionId. */
  | 'checkout.payment_after_cancel'
  /** A payout (POST /v1/payouts) settled: `data.payout`. `failed` carries `failure`; `refunded` came back from the payee's bank. */
  | 'payout.completed'
  | 'payout.failed'
  | 'payout.refunded'
  | 'payout.cancelled';

/** The JSON body of every merchant notification. */
export interface MerchantEvent<T = unknown> {
  type: MerchantEventType;
  /** When the event happened (not when this attempt was sent). */
  timestamp: string;
  data: T;
}

export interface CheckoutEventData {
  checkout: CheckoutView;
  /** The charge concerned, for payment_duplicated and payment_refunded. */
  transactionId?: string;
  endToEndId?: string | null;
  /** checkout.refund_failed: why (the gateway's code and detail). */
  failure?: string;
  /** checkout.refund_failed: when the refund that failed was requested (each request is its own operation). */
  refundRequestedAt?: string | null;
}
