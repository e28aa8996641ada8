/**
 * JSX typing of the bare `<connectpsp-checkout>` tag for React 19 (types only; this module has no
 * code). React 19 sets a prop as a property when the element has one (`checkoutId`, `messages`),
 * else as an attribute (`checkout-id`), and binds `on<event-name>` props as listeners of that DOM
 * event (https://react.dev/reference/react-dom/components#custom-html-elements).
 *
 * Brought in by `connectpsp-checkout/react`; a project that uses only the tag adds
 * `import type {} from 'connectpsp-checkout/jsx'` once (or lists it in tsconfig `types`).
 */
import type { ConnectpspCheckout } from './connectpsp-checkout.js';
import type {
  ConnectpspErrorEvent,
  ConnectpspExpiredEvent,
  ConnectpspPaidEvent,
  ConnectpspRedirectEvent,
  ConnectpspStatusEvent,
} from './events.js';

type Settable = 'checkoutId' | 'clientSecret' | 'server' | 'method' | 'redirectMode' | 'locale' | 'messages';

/** What the tag accepts in JSX: its properties, their attribute spellings, and its events. */
export interface ConnectpspCheckoutJsxProps extends Partial<Pick<ConnectpspCheckout, Settable>> {
  'checkout-id'?: string;
  'client-secret'?: string;
  'redirect-mode'?: ConnectpspCheckout['redirectMode'];
  /** `light` (default), `dark`, or `auto` to follow the payer's `prefers-color-scheme`. */
  theme?: 'light' | 'dark' | 'auto';
  'onconnectpsp-paid'?: (event: ConnectpspPaidEvent) => void;
  'onconnectpsp-status'?: (event: ConnectpspStatusEvent) => void;
  'onconnectpsp-error'?: (event: ConnectpspErrorEvent) => void;
  'onconnectpsp-expired'?: (event: ConnectpspExpiredEvent) => void;
  'onconnectpsp-redirect'?: (event: ConnectpspRedirectEvent) => void;
}

declare module 'react' {
  // eslint-disable-next-line @typescript-eslint/no-namespace -- React's JSX types are a namespace
  namespace JSX {
    interface IntrinsicElements {
      'connectpsp-checkout': React.DetailedHTMLProps<React.HTMLAttributes<ConnectpspCheckout>, ConnectpspCheckout> &
        ConnectpspCheckoutJsxProps;
    }
  }
}
