/**
 * The DOM events `<connectpsp-checkout>` fires. Every one bubbles and is composed, so a listener on
 * `document` hears it from inside any shadow tree; all are typed in the global event map, so
 * `el.addEventListener('connectpsp-paid', e => e.detail.endToEndId)` type-checks with no cast.
 *
 * The events are for the page's UI (show a thank-you, log an error). Fulfilment is decided on the
 * merchant's server from the signed webhook or `GET /v1/checkouts/:id`, never from a browser event.
 */
import type { CheckoutStatus } from './contract/wire-contract.js';

/**
 * The element's `status`: the checkout's own status, plus the states only the widget has:
 * `loading`, `error`, and `declined` — an Open Finance payment the payer's bank did not approve
 * (refused there, or its time to approve ran out). The checkout itself is then `expired` on the
 * server, but nothing expired for the payer: they were refused, and nothing was debited.
 */
export type WidgetStatus = CheckoutStatus | 'loading' | 'error' | 'declined';

/**
 * Why the widget could not go on. One plain message per reason in every locale.
 *
 * - `missing_attributes`: `checkout-id`, `client-secret` or `server` is missing or not usable.
 * - `unauthorized`: the server refused the client secret — a wrong secret or an unknown checkout id
 *   (indistinguishable on purpose, so nobody can probe which checkouts exist).
 * - `not_found`: the server answered 404: the `server` attribute points at something that is not
 *   the companion server (or a proxy in front of it), since the server itself answers an unknown
 *   checkout with `unauthorized`.
 * - `network_error`: the server could not be reached, or did not answer in time.
 * - `invalid_response`: the server answered something that is not the contract.
 * - `invalid_request`: the server refused what the payer typed (the form shows which field).
 * - `conflict`: the checkout can no longer change (already paid or cancelled elsewhere).
 * - `gateway_error`: the payment provider (ConnectPSP) failed.
 * - `rate_limited`: too many requests; wait and retry.
 * - `server_error`: any other 5xx.
 * - `invalid_brcode`: the Pix code failed its self-check (TLV, CRC16, amount), so no QR was drawn.
 * - `unsupported_method`: `method` asks for a payment method this checkout or widget cannot offer.
 */
export type ConnectpspErrorReason =
  | 'missing_attributes'
  | 'unauthorized'
  | 'not_found'
  | 'network_error'
  | 'invalid_response'
  | 'invalid_request'
  | 'conflict'
  | 'gateway_error'
  | 'rate_limited'
  | 'server_error'
  | 'invalid_brcode'
  | 'unsupported_method';

/** A failure as the widget reports it: the typed reason, a developer-facing message, HTTP details. */
export interface ConnectpspError {
  reason: ConnectpspErrorReason;
  /** For developers (console, logs); the payer sees a translated message instead. */
  message: string;
  /** HTTP status, when the failure was an HTTP answer. */
  httpStatus?: number;
  /** The request field at fault (`payer.document`), for `invalid_request`. */
  field?: string;
}

/** Every event bubbles and is composed; `eventName` is its type, for `addEventListener`. */
function widgetEvent<Detail>(type: string, cancelable?: boolean) {
  return class extends CustomEvent<Detail> {
    static readonly eventName = type;
    constructor(detail: Detail) {
      super(type, { bubbles: true, composed: true, cancelable, detail });
    }
  };
}

/** The status changed (including the first status after loading). */
export class ConnectpspStatusEvent extends widgetEvent<{
  checkoutId: string;
  status: WidgetStatus;
  previous: WidgetStatus | null;
}>('connectpsp-status') {}

/** The checkout was paid. Fires once per checkout in this browser, whatever reconnects or reloads. */
export class ConnectpspPaidEvent extends widgetEvent<{
  checkoutId: string;
  /** Integer centavos. */
  amount: number;
  /** The PIX end-to-end id (`E` + ISPB + UTC time + 11 characters), when known. */
  endToEndId: string | null;
  paidAt: string | null;
}>('connectpsp-paid') {}

/** The shown PIX code expired unpaid. Fires once per charge; the payer can generate a new code. */
export class ConnectpspExpiredEvent extends widgetEvent<{
  checkoutId: string;
  transactionId: string | null;
  expiresAt: string | null;
}>('connectpsp-expired') {}

/** Something failed; `detail.reason` says what. The widget shows it and never throws into the page. */
export class ConnectpspErrorEvent extends widgetEvent<ConnectpspError & { checkoutId: string | null }>('connectpsp-error') {}

/**
 * The widget is about to send the payer to their bank (Pix via Open Finance). Cancelable: call
 * `preventDefault()` to navigate yourself (an SPA router, a popup); the widget then does nothing.
 */
export class ConnectpspRedirectEvent extends widgetEvent<{
  checkoutId: string;
  method: 'open_finance';
  url: string;
}>('connectpsp-redirect', true) {}

declare global {
  // GlobalEventHandlersEventMap is the base of HTMLElementEventMap, DocumentEventMap and
  // WindowEventMap, so the events are typed on the element, on document and on window.
  interface GlobalEventHandlersEventMap {
    'connectpsp-status': ConnectpspStatusEvent;
    'connectpsp-paid': ConnectpspPaidEvent;
    'connectpsp-expired': ConnectpspExpiredEvent;
    'connectpsp-error': ConnectpspErrorEvent;
    'connectpsp-redirect': ConnectpspRedirectEvent;
  }
}
