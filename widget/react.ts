/**
 * `connectpsp-checkout/react`: `<ConnectpspCheckout>` for React, made with `@lit/react`
 * (https://lit.dev/docs/frameworks/react/). Properties are set as properties (so `messages` can be
 * an object) and the widget's DOM events are bound as typed React props:
 *
 * ```tsx
 * import { ConnectpspCheckout } from 'connectpsp-checkout/react';
 * <ConnectpspCheckout checkoutId={id} clientSecret={secret} server="https://pay.example.com"
 *   onPaid={(e) => router.push(`/thanks/${e.detail.checkoutId}`)} />
 * ```
 *
 * Importing this module registers `<connectpsp-checkout>` (it imports the define module) and also
 * brings the JSX typing of the bare tag. React is a peer dependency; `@lit/react` is bundled.
 */
import { createComponent, type EventName } from '@lit/react';
import * as React from 'react';

import { ConnectpspCheckout as ConnectpspCheckoutElement } from './define.js';
import type {
  ConnectpspErrorEvent,
  ConnectpspExpiredEvent,
  ConnectpspPaidEvent,
  ConnectpspRedirectEvent,
  ConnectpspStatusEvent,
} from './events.js';
import './jsx.js';

export const ConnectpspCheckout = createComponent({
  react: React,
  tagName: 'connectpsp-checkout',
  elementClass: ConnectpspCheckoutElement,
  events: {
    onPaid: 'connectpsp-paid' as EventName<ConnectpspPaidEvent>,
    onStatus: 'connectpsp-status' as EventName<ConnectpspStatusEvent>,
    onError: 'connectpsp-error' as EventName<ConnectpspErrorEvent>,
    onExpired: 'connectpsp-expired' as EventName<ConnectpspExpiredEvent>,
    onRedirect: 'connectpsp-redirect' as EventName<ConnectpspRedirectEvent>,
  },
  displayName: 'ConnectpspCheckout',
});

export type ConnectpspCheckoutProps = React.ComponentProps<typeof ConnectpspCheckout>;
