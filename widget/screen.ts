/**
 * What `<connectpsp-checkout>` shows, as one value, and the one function that moves it.
 *
 * The element holds a {@link State}; every answer, stream frame, click and countdown end becomes an
 * {@link Action}; {@link reduce} returns the next state, or the same object when nothing changes (a
 * duplicate frame, a stale poll, an event that arrives out of order). The element only wires: it
 * renders the screen, and turns a change of state into DOM events, announcements and requests.
 * Pure: no DOM, no timers, no I/O, so the whole flow is tested as a table (test/widget/screen.test.ts).
 */
import {
  canTransition,
  type ActiveChargeView,
  type CheckoutStatus,
  type OpenFinanceChargeView,
  type PaymentMethod,
  type PixChargeView,
} from './contract/wire-contract.js';
import type { ConnectpspError, WidgetStatus } from './events.js';

/**
 * Open Finance, in the payer's words: `intro` before leaving for the bank; `confirming` just back
 * from it, while the server asks ConnectPSP; `waiting` the intent is open but not approved (the
 * payer came back without approving, or the bank is in another tab); `declined` the bank did not
 * approve it (refused, or its time to approve ran out), so nothing was debited.
 */
export type OpenFinancePhase = 'intro' | 'confirming' | 'waiting' | 'declined';

export type Screen =
  | { kind: 'loading' }
  | { kind: 'payer_form' }
  | { kind: 'method_choice' }
  /**
   * `charge` is null while the code is being made; `declined`: made after the bank did not approve
   * an Open Finance payment, so the status stays `declined` (nothing expired) until the code shows.
   */
  | { kind: 'pix'; charge: PixChargeView | null; declined?: true }
  | { kind: 'open_finance'; phase: OpenFinancePhase; charge: OpenFinanceChargeView | null }
  /** `openFinance`: paid through the bank app, so the receipt says so. */
  | { kind: 'result'; status: 'paid' | 'expired' | 'refunded' | 'cancelled'; openFinance: boolean }
  | { kind: 'error'; error: ConnectpspError };

export interface State {
  screen: Screen;
  /** The checkout's status as last applied; null until the first answer. The guard compares it. */
  checkout: CheckoutStatus | null;
}

/** What the server said: a session answer, a stream frame or a poll. */
export interface Observation {
  status: CheckoutStatus;
  activeCharge: ActiveChargeView | null;
  methods?: PaymentMethod[];
  payerRequired?: boolean;
}

export type Action =
  /** A (re)load starts; `returning`: the payer is back from the bank with a payment under way. */
  | { type: 'load'; returning: boolean }
  /** The session answer of a load: the truth, whatever was shown before. */
  | { type: 'session'; session: Required<Observation>; method: string; payerKnown: boolean; now: number }
  /** A stream frame or a poll: applied only if the checkout can move there from where it is. */
  | { type: 'frame'; frame: Observation; now: number }
  /** The payer gave their details (or the form is not needed). */
  | { type: 'payer'; methods: PaymentMethod[]; method: string }
  /** The payer picked a method, or asked for a (new) QR code. */
  | { type: 'choose'; method: PaymentMethod }
  /** The server answered `POST …/pix` or `…/open-finance`. */
  | { type: 'charge'; charge: ActiveChargeView; now: number }
  /** The countdown reached zero (on the server's clock): that code can no longer be paid. */
  | { type: 'tick'; now: number }
  /** The server refused the payer's details: back to the form. */
  | { type: 'payer_refused' }
  | { type: 'fail'; error: ConnectpspError };

/**
 * Open Finance Brasil gives a payment consent 5 minutes to be approved (the sandbox bank does the
 * same); ConnectPSP's intent carries the checkout's longer expiry. The payer is told the shorter
 * one, counted from the intent's creation, so never later than the bank's own deadline.
 */
export const APPROVAL_WINDOW_MS = 5 * 60_000;

/** When the payer can no longer pay what `charge` shows, as epoch ms on the server's clock. */
export function deadline(charge: ActiveChargeView): number {
  const expires = Date.parse(charge.expiresAt);
  return charge.method === 'pix' ? expires : Math.min(expires, Date.parse(charge.createdAt) + APPROVAL_WINDOW_MS);
}

/** The element's `status`: the checkout's, except while loading, after an error, and for a declined Open Finance payment. */
export function widgetStatus({ screen, checkout }: State): WidgetStatus {
  const phase = screen.kind === 'open_finance' ? screen.phase : screen.kind === 'pix' && screen.declined && 'declined';
  return phase === 'declined'
    ? phase
    : phase === 'confirming'
      ? 'loading'
      : screen.kind === 'loading' || screen.kind === 'error'
        ? screen.kind
        : checkout!;
}

/** A string that changes exactly when a different screen shows (focus and announcements follow it). */
export function screenKey({ screen }: State): string {
  // Read as properties, never with `in` or by string: the script-tag build shortens these names.
  const s = screen as { kind: string; phase?: string; status?: string; charge?: unknown };
  return s.kind + (s.phase ?? s.status ?? !!s.charge);
}

const FINAL = ['paid', 'refunded', 'cancelled'];

export function reduce(state: State, action: Action): State {
  const { screen, checkout } = state;
  switch (action.type) {
    case 'load':
      return {
        screen: action.returning ? { kind: 'open_finance', phase: 'confirming', charge: null } : { kind: 'loading' },
        checkout: null,
      };

    case 'session': {
      const { session, method, payerKnown } = action;
      if (session.status !== 'open') return observe(state, session, action.now, true);
      if (method ? !session.methods.includes(method as PaymentMethod) : !session.methods.length) {
        return fail({ reason: 'unsupported_method', message: `this checkout does not offer ${method || 'any method'}` });
      }
      return session.payerRequired && !payerKnown
        ? { screen: { kind: 'payer_form' }, checkout: 'open' }
        : afterPayer('open', session.methods, method);
    }

    case 'frame':
      // A load is under way (its session decides) or the widget has given up: frames change nothing.
      return screen.kind === 'loading' || screen.kind === 'error' || checkout === null
        ? state
        : observe(state, action.frame, action.now, false);

    case 'payer':
      return screen.kind === 'payer_form' ? afterPayer(checkout!, action.methods, action.method) : state;

    case 'choose':
      if (checkout === null || FINAL.includes(checkout) || (screen.kind === 'pix' && !screen.charge)) return state;
      return {
        screen:
          action.method !== 'pix'
            ? { kind: 'open_finance', phase: 'intro', charge: null }
            : widgetStatus(state) === 'declined'
              ? { kind: 'pix', charge: null, declined: true }
              : { kind: 'pix', charge: null },
        checkout,
      };

    case 'charge': {
      // A late answer for a checkout that was settled (or failed) meanwhile changes nothing.
      if (checkout === null || FINAL.includes(checkout) || screen.kind === 'error' || screen.kind === 'loading') return state;
      return show(action.charge, action.now);
    }

    case 'tick':
      if (
        (screen.kind === 'pix' || (screen.kind === 'open_finance' && screen.phase === 'waiting')) &&
        screen.charge &&
        deadline(screen.charge) <= action.now
      ) {
        return ended(screen);
      }
      return state;

    case 'payer_refused':
      return screen.kind === 'pix' && checkout === 'open' ? { screen: { kind: 'payer_form' }, checkout } : state;

    case 'fail':
      return fail(action.error);
  }
}

function fail(error: ConnectpspError): State {
  return { screen: { kind: 'error', error }, checkout: null };
}

/** The payer is known (or not needed): the method chosen by the page, the only one, or a choice. */
function afterPayer(checkout: CheckoutStatus, methods: PaymentMethod[], method: string): State {
  const chosen = method || (methods.length > 1 ? '' : methods[0]);
  return {
    screen:
      chosen === 'pix'
        ? { kind: 'pix', charge: null }
        : chosen
          ? { kind: 'open_finance', phase: 'intro', charge: null }
          : { kind: 'method_choice' },
    checkout,
  };
}

/** The screen after the payer's code or approval window ran out unpaid. */
function ended(screen: Screen): State {
  return {
    screen: screen.kind === 'open_finance' ? { ...screen, phase: 'declined' } : { kind: 'result', status: 'expired', openFinance: false },
    checkout: 'expired',
  };
}

/** A charge to show: the PIX code, or the Open Finance payment awaiting approval; ended if past its deadline. */
function show(charge: ActiveChargeView, now: number): State {
  const screen: Screen = charge.method === 'pix' ? { kind: 'pix', charge } : { kind: 'open_finance', phase: 'waiting', charge };
  return deadline(charge) > now ? { screen, checkout: 'awaiting_payment' } : ended(screen);
}

/**
 * Applies what the server says. `truth` (a session answer) replaces whatever shows; a frame must be a
 * move the status machine allows from the status last applied — the stale-frame guard — and one that
 * repeats it changes nothing unless it brings a new charge (a new code made in another tab).
 */
function observe(state: State, seen: Observation, now: number, truth: boolean): State {
  const { screen, checkout } = state;
  const active = seen.status === 'awaiting_payment' ? seen.activeCharge : null;
  // A code past its deadline can no longer be paid, whatever the server has not said yet.
  const status = active && deadline(active) <= now ? 'expired' : seen.status;
  if (!truth && checkout !== null) {
    if (status !== checkout && !canTransition(checkout, status)) return state; // stale or out of order
    // The same status again (a duplicate, a poll after a frame) is news only with a new charge.
    if (
      status === checkout &&
      (status !== 'awaiting_payment' || !active || ('charge' in screen && screen.charge?.transactionId === active.transactionId))
    ) {
      return state;
    }
  }
  const openFinance =
    screen.kind === 'open_finance' || (screen.kind === 'result' && screen.openFinance) || active?.method === 'open_finance';
  switch (status) {
    case 'open':
      // Only a frame can say `open` here (a session answer went through the open path).
      return state;
    case 'awaiting_payment':
      // Awaiting with no charge to show (it is being made): make or keep the PIX code.
      return active ? show(active, now) : { screen: screen.kind === 'pix' ? screen : { kind: 'pix', charge: null }, checkout: status };
    case 'expired':
      // An Open Finance payment that ends unpaid was not approved by the bank: that is not an expiry.
      if (openFinance)
        return {
          screen: { kind: 'open_finance', phase: 'declined', charge: screen.kind === 'open_finance' ? screen.charge : null },
          checkout: status,
        };
      return { screen: { kind: 'result', status, openFinance: false }, checkout: status };
    default:
      return { screen: { kind: 'result', status, openFinance }, checkout: status };
  }
}
