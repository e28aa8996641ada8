/**
 * The wire contract between the companion server and the widget.
 *
 * Dependency-free on purpose: the widget imports this module (types and the transition table only),
 * so nothing here may pull in zod, Node built-ins or server code. The server validates the same
 * shapes with zod at its edges.
 */

/** Where a checkout is in its life. One machine for server and widget; see `TRANSITIONS`. */
export const CheckoutStatus = {
  /** Created by the merchant; no charge exists yet. */
  Open: 'open',
  /** A PIX charge or an Open Finance intent exists and can be paid. */
  AwaitingPayment: 'awaiting_payment',
  /** The money arrived. */
  Paid: 'paid',
  /** Every charge expired unpaid; the payer may ask for a new code. */
  Expired: 'expired',
  /**
   * The payment was returned to the payer (PIX devolution), once ConnectPSP's devolution settled —
   * not when the refund was requested. While it is processing the checkout stays `paid` and the
   * charge says `refundStatus: 'processing'`; one that fails leaves it `paid` with
   * `refundStatus: 'failed'` (merchant event `checkout.refund_failed`).
   */
  Refunded: 'refunded',
  /** Closed by the merchant before payment. */
  Cancelled: 'cancelled',
} as const;
export type CheckoutStatus = (typeof CheckoutStatus)[keyof typeof CheckoutStatus];

export const CHECKOUT_STATUSES: readonly CheckoutStatus[] = Object.values(CheckoutStatus);

/**
 * The only moves a checkout can make. Anything else — a duplicate, late or out-of-order event —
 * changes nothing. `expired → paid` is allowed because a PIX can settle after our clock said the
 * code expired; `expired → awaiting_payment` is the payer asking for a new code.
 */
export const TRANSITIONS: Readonly<Record<CheckoutStatus, readonly CheckoutStatus[]>> = {
  open: ['awaiting_payment', 'cancelled'],
  awaiting_payment: ['paid', 'expired', 'cancelled'],
  expired: ['awaiting_payment', 'paid', 'cancelled'],
  paid: ['refunded'],
  refunded: [],
  cancelled: [],
};

export function canTransition(from: CheckoutStatus, to: CheckoutStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/** No further move is possible. */
export function isTerminal(status: CheckoutStatus): boolean {
  return TRANSITIONS[status].length === 0;
}

/**
 * The payer has nothing left to do: the live stream closes and the widget stops following.
 * `paid` is final for the payer even though a merchant may still refund it.
 */
export function isFinalForPayer(status: CheckoutStatus): boolean {
  return status === 'paid' || isTerminal(status);
}

export type PaymentMethod = 'pix' | 'open_finance';
export const PAYMENT_METHODS: readonly PaymentMethod[] = ['pix', 'open_finance'];

/**
 * Status of one gateway charge (a ConnectPSP cash-in), in our lower-case wire form. One-way, like
 * the checkout's: `awaiting_payment` → `expired` | `cancelled` → `paid` → `refunded`; a late or
 * out-of-order report never moves it back.
 */
export type ChargeStatus = 'awaiting_payment' | 'paid' | 'expired' | 'refunded' | 'cancelled';

export interface Payer {
  name: string;
  /** CPF (11 digits) or CNPJ (14 digits), digits only. */
  document: string;
}

/** A charge as the merchant API shows it. */
export interface ChargeView {
  transactionId: string;
  method: PaymentMethod;
  status: ChargeStatus;
  /** Integer centavos. */
  amount: number;
  expiresAt: string;
  createdAt: string;
  endToEndId: string | null;
  paidAt: string | null;
  /** The `D…` end-to-end id of the devolution when this charge was refunded. */
  refundEndToEndId: string | null;
  /**
   * A refund of this charge on its way: `requested` (sent, no answer yet), `processing` (ConnectPSP
   * accepted it; `status` becomes `refunded` when it settles) or `failed` (see `refundFailure`; a
   * new refund request is a new operation). Null when none.
   */
  refundStatus: 'requested' | 'processing' | 'failed' | null;
  /** Why the last refund failed: ConnectPSP's code and detail. */
  refundFailure: string | null;
}

/** `GET /v1/checkouts/:id`, and the body of `POST /v1/checkouts` (plus `clientSecret`). */
export interface CheckoutView {
  id: string;
  status: CheckoutStatus;
  /** Integer centavos. */
  amount: number;
  currency: 'BRL';
  externalReference: string;
  description: string | null;
  methods: PaymentMethod[];
  payer: { name: string; documentLast4: string } | null;
  expiresInMinutes: number;
  returnUrl: string | null;
  metadata: Record<string, string>;
  endToEndId: string | null;
  paidAt: string | null;
  /** The `D…` end-to-end id of the refund, once the checkout is refunded. */
  refundEndToEndId: string | null;
  refundedAt: string | null;
  /** Payments beyond the first (a payer who paid twice): recorded, never lost, refundable. */
  duplicatePayments: number;
  createdAt: string;
  updatedAt: string;
  charges: ChargeView[];
}

export interface CreatedCheckout extends CheckoutView {
  clientSecret: string;
}

/** The active PIX charge, as the browser sees it. */
export interface PixChargeView {
  transactionId: string;
  method: 'pix';
  status: ChargeStatus;
  amount: number;
  /** The "Pix Copia e Cola" BR Code. The widget draws the QR from this text. */
  copyAndPaste: string;
  expiresAt: string;
  createdAt: string;
}

export interface OpenFinanceChargeView {
  transactionId: string;
  method: 'open_finance';
  status: ChargeStatus;
  amount: number;
  paymentUrl: string;
  expiresAt: string;
  createdAt: string;
}

export type ActiveChargeView = PixChargeView | OpenFinanceChargeView;

/** `GET /v1/checkouts/:id/session`: what the payer's browser may know. */
export interface CheckoutSession {
  id: string;
  status: CheckoutStatus;
  amount: number;
  currency: 'BRL';
  description: string | null;
  merchantName: string;
  methods: PaymentMethod[];
  /** True when the merchant gave no payer and the widget must ask for name and CPF/CNPJ. */
  payerRequired: boolean;
  /** The payer's name, for the receipt (never the CPF/CNPJ); null until the payer is known. */
  payerName: string | null;
  /** The charge to pay while `awaiting_payment`; when `expired`, the one that ended (its status says why). */
  activeCharge: ActiveChargeView | null;
  endToEndId: string | null;
  paidAt: string | null;
  refundEndToEndId: string | null;
  refundedAt: string | null;
  /** Server clock when this answer was made, so the widget can correct its countdown for skew. */
  serverTime: string;
}

/** Data of every SSE `status` event (`GET /v1/checkouts/:id/events`). */
export interface StatusEventData {
  checkoutId: string;
  status: CheckoutStatus;
  /** Status before this change; null on the first frame of a stream that is the current state. */
  previous: CheckoutStatus | null;
  activeCharge: ActiveChargeView | null;
  endToEndId: string | null;
  paidAt: string | null;
  refundEndToEndId: string | null;
  refundedAt: string | null;
  at: string;
}

/** The body of every 4xx/5xx answer of the companion server. */
export interface ErrorBody {
  error: {
    type: ErrorType;
    message: string;
    /** The request field at fault, as a dotted path, when one is. */
    field?: string;
    requestId?: string;
  };
}

export type ErrorType =
  | 'invalid_request'
  | 'unauthorized'
  | 'not_found'
  | 'conflict'
  | 'payload_too_large'
  | 'rate_limited'
  | 'gateway_error'
  /** The server cannot reach its database right now: try again after `Retry-After` seconds. */
  | 'unavailable'
  | 'internal_error';

/** Route paths, in one place for server, widget, demo and tests. */
export const ROUTES = {
  checkouts: '/v1/checkouts',
  checkout: (id: string) => `/v1/checkouts/${encodeURIComponent(id)}`,
  session: (id: string) => `/v1/checkouts/${encodeURIComponent(id)}/session`,
  pix: (id: string) => `/v1/checkouts/${encodeURIComponent(id)}/pix`,
  openFinance: (id: string) => `/v1/checkouts/${encodeURIComponent(id)}/open-finance`,
  events: (id: string) => `/v1/checkouts/${encodeURIComponent(id)}/events`,
  refund: (id: string) => `/v1/checkouts/${encodeURIComponent(id)}/refund`,
  connectpspWebhook: '/v1/webhooks/connectpsp',
} as const;
