/**
 * The npm entry. Side-effect free: importing it registers no element. Register the tag with
 * `import 'connectpsp-checkout/define'`, or subclass `ConnectpspCheckout` and define your own.
 */
export { ConnectpspCheckout } from './connectpsp-checkout.js';
export {
  ConnectpspErrorEvent,
  ConnectpspExpiredEvent,
  ConnectpspPaidEvent,
  ConnectpspRedirectEvent,
  ConnectpspStatusEvent,
  type ConnectpspError,
  type ConnectpspErrorReason,
  type WidgetStatus,
} from './events.js';
export type { ConnectionState } from './status-controller.js';
export { LOCALES, resolveLocale, type Locale, type Messages } from './translations/index.js';
export type { CheckoutSession, CheckoutStatus, PixChargeView, StatusEventData } from './contract/wire-contract.js';
