/**
 * `<connectpsp-checkout>`: the element class. Importing this module registers nothing; `define.ts`
 * does (and the script-tag bundle imports that), so apps and tests can subclass or rename it.
 *
 * The element keeps the wiring: what shows is one {@link State} moved only by `reduce` (screen.ts),
 * drawn by the views (views/); the element turns each change of state into DOM events,
 * announcements, the countdown, requests and the live follow. Private members are `_camelCase`:
 * the script-tag build shortens them.
 */
import { html, isServer, LitElement, nothing, type PropertyValues, type TemplateResult } from 'lit';

import {
  isTerminal,
  type ActiveChargeView,
  type OpenFinanceChargeView,
  type Payer,
  type PaymentMethod,
  type PixChargeView,
} from './contract/wire-contract.js';
import { ApiClient, resolveServerUrl } from './api-client.js';
import { checkBrCode, type BrCodeInfo } from './brcode-check.js';
import { CountdownController } from './countdown.js';
import {
  ConnectpspErrorEvent,
  ConnectpspExpiredEvent,
  ConnectpspPaidEvent,
  ConnectpspRedirectEvent,
  ConnectpspStatusEvent,
  type ConnectpspError,
  type ConnectpspErrorReason,
  type WidgetStatus,
} from './events.js';
import { checkDocument, checkName, formatBRL, formatCountdown, formatDateTime, maskDocument, onlyDigits } from './format.js';
import { claimOnce, paidEventKey } from './once.js';
import { isReturning, RETURN_PARAM, writePending } from './pending-payment.js';
import { deadline, reduce, screenKey, widgetStatus, type Action, type Screen, type State } from './screen.js';
import { StatusController, type ConnectionState, type StatusSnapshot } from './status-controller.js';
import { styles } from './styles.js';
import { LOCALES, resolveLocale, type Messages } from './translations/index.js';
import { openFinanceView } from './views/open-finance.js';
import { ALERT, button, CHECK, CLOCK, details, loading, result, RETURN } from './views/parts.js';
import { payerFormView } from './views/payer-form.js';
import { pixView, type CopyState } from './views/pix.js';
import type { SessionView } from './wire.js';

/** Touch or narrow screens: the phone layout, with the code to copy first. */
const HANDHELD_QUERY = '(pointer: coarse), (max-width: 30rem)';

/** Session loads that fail for a transient reason are retried after these delays, then reported. */
const LOAD_RETRY_DELAYS_MS = [1_000, 3_000];

const TRANSIENT: ConnectpspErrorReason[] = ['network_error', 'server_error', 'gateway_error', 'rate_limited'];

/** Failures a second attempt can fix; the others need the merchant (a new link, a fixed page). */
const RETRYABLE: ConnectpspErrorReason[] = [...TRANSIENT, 'invalid_response', 'invalid_brcode', 'conflict'];

/**
 * The payer-facing message of a failure: `network_error` → `errorNetwork`, `not_found` →
 * `errorNotFound`. A Pix code that fails its self-check reads like any other unusable answer of the
 * server (`errorInvalidResponse`); so would a conflict, which never reaches the error screen (the
 * widget reloads and shows what the server says instead).
 */
export function errorMessage(msg: Messages, reason: ConnectpspErrorReason): string {
  const key = `error${reason.replace(/_error$/, '').replace(/(?:^|_)(.)/g, (_, c: string) => c.toUpperCase())}`;
  return (msg as unknown as Record<string, string | undefined>)[key] ?? msg.errorInvalidResponse;
}

/**
 * Embeddable PIX checkout for ConnectPSP: shows the QR code and the "Pix Copia e Cola" code, follows
 * the payment live, and tells the page when it is paid.
 *
 * @summary PIX checkout: QR code, Copia e Cola, live payment status.
 *
 * @attr status - Reflected, read-only: `loading`, `open`, `awaiting_payment`, `paid`, `expired`,
 *   `declined` (Open Finance: the bank did not approve; nothing was debited), `refunded`,
 *   `cancelled` or `error`. Style with `connectpsp-checkout[status="paid"]`.
 * @attr theme - `light` (default), `dark`, or `auto` to follow the payer's `prefers-color-scheme`.
 *
 * @fires {ConnectpspStatusEvent} connectpsp-status - The status changed. `detail: { checkoutId, status, previous }`; `declined` is an Open Finance payment the bank did not approve.
 * @fires {ConnectpspPaidEvent} connectpsp-paid - Paid. Once per checkout in this browser. `detail: { checkoutId, amount, endToEndId, paidAt }`.
 * @fires {ConnectpspExpiredEvent} connectpsp-expired - The shown code expired unpaid. Once per charge. `detail: { checkoutId, transactionId, expiresAt }`.
 * @fires {ConnectpspErrorEvent} connectpsp-error - Something failed. `detail: { reason, message, httpStatus?, field?, checkoutId }`.
 * @fires {ConnectpspRedirectEvent} connectpsp-redirect - Cancelable; before leaving for the bank (Open Finance). `detail: { checkoutId, method, url }`; `preventDefault()` to navigate yourself.
 *
 * @csspart base - The card around everything.
 * @csspart summary - Merchant, description and amount.
 * @csspart amount - The amount in BRL.
 * @csspart loading - The loading indicator and its text.
 * @csspart form - The payer form.
 * @csspart input - Each text field of the payer form.
 * @csspart field-error - A field's error message.
 * @csspart button - Every button.
 * @csspart submit-button - The payer form's submit button.
 * @csspart methods - The payment method choice.
 * @csspart method-button - Each payment method button.
 * @csspart pix - The PIX view.
 * @csspart qr - The QR code (an `<svg>`).
 * @csspart instructions - Instructions for scanning and for Copia e Cola.
 * @csspart code - The Copia e Cola text field.
 * @csspart copy-button - The copy button.
 * @csspart countdown - Time left to pay (PIX) or to approve (Open Finance), beside the amount; `urgent` class in the last minute.
 * @csspart status - "Waiting for the payment" / "reconnecting" line.
 * @csspart result - The paid, expired, declined, refunded, cancelled and error panels.
 * @csspart error - The error panel (also a `result`).
 * @csspart e2e - The PIX end-to-end id of a paid checkout.
 * @csspart open-finance - The Open Finance screens (before leaving for the bank, waiting for the approval).
 * @csspart details - The receipt of a paid (Open Finance) or refunded checkout.
 * @csspart new-code-button - "Generate a new code" after expiry; "Pay with the QR code instead" on the Open Finance screens.
 * @csspart continue-button - Open Finance: go to the bank.
 * @csspart retry-button - "Try again" after an error.
 *
 * @cssprop [--connectpsp-accent=#00695c (light) / #5fd3c3 (dark)] - Buttons, focus rings, progress.
 * @cssprop [--connectpsp-accent-contrast=#ffffff (light) / #002b26 (dark)] - Text on the accent colour.
 * @cssprop [--connectpsp-radius=12px] - Corner radius of the card; inner radii derive from it.
 * @cssprop [--connectpsp-font=system-ui] - Font family.
 * @cssprop [--connectpsp-qr-size=14rem] - Width and height of the QR code.
 * @cssprop [--connectpsp-background] - Card background.
 * @cssprop [--connectpsp-foreground] - Text colour.
 * @cssprop [--connectpsp-muted] - Secondary text.
 * @cssprop [--connectpsp-border] - Borders.
 * @cssprop [--connectpsp-danger] - Errors.
 * @cssprop [--connectpsp-success] - The paid state.
 * @cssprop [--connectpsp-color-scheme=light] - `light`, `dark`, or `light dark` to follow `prefers-color-scheme` (the `theme` attribute does the same).
 */
export class ConnectpspCheckout extends LitElement {
  static override styles = styles;

  static override properties = {
    checkoutId: { attribute: 'checkout-id' },
    clientSecret: { attribute: 'client-secret' },
    server: {},
    method: {},
    redirectMode: { attribute: 'redirect-mode' },
    locale: {},
    messages: { attribute: false },
    _state: { state: true },
    _session: { state: true },
    _busy: { state: true },
    _copyState: { state: true },
    _announcement: { state: true },
    _payerName: { state: true },
    _payerDocument: { state: true },
    _nameError: { state: true },
    _documentError: { state: true },
  };

  /** The checkout's id, from the merchant backend's `POST /v1/checkouts`. */
  checkoutId?: string;
  /** The checkout's client secret: lets this browser read and pay this one checkout, nothing else. */
  clientSecret?: string;
  /** Base URL of the companion server, e.g. `https://pay.example.com`; relative URLs resolve against the page. */
  server?: string;
  /** `pix`, `open_finance`, or unset to let the payer choose when the checkout offers both. */
  method?: 'pix' | 'open_finance';
  /**
   * Open Finance: `same-tab` (default) leaves for the bank in this tab; `popup` opens the bank in a
   * popup on desktop (phones still use the same tab) while this page follows the payment.
   */
  redirectMode?: 'same-tab' | 'popup';
  /** `pt-BR` (default), `en` or `es`; other tags fall back to their language, then to pt-BR. */
  locale?: 'pt-BR' | 'en' | 'es';
  /** Overrides for any string of the current locale, e.g. `{ copy: 'Copy the code' }`. */
  messages?: Partial<Messages>;

  /** What shows. Changed only by {@link _dispatch}. */
  private _state: State = { screen: { kind: 'loading' }, checkout: null };
  private _session: SessionView | null = null;
  private _busy = false;
  private _copyState: CopyState = 'idle';
  private _announcement = '';
  private _payerName = '';
  private _payerDocument = '';
  private _nameError: string | null = null;
  private _documentError: string | null = null;

  private _api: ApiClient | null = null;
  private _payer: Payer | null = null;
  private _clockOffsetMs = 0;
  /** The last PIX charge shown, and the receiver its BR Code names (kept after expiry, for the event). */
  private _pix: { view: PixChargeView; receiver: BrCodeInfo } | null = null;
  private _endToEndId: string | null = null;
  private _paidAt: string | null = null;
  private _refundId: string | null = null;
  private _refundedAt: string | null = null;
  /** Each load gets a number; answers that arrive for an older one are dropped. */
  private _run = 0;
  private _loadAbort: AbortController | undefined;
  private _expiredCharges = new Set<string>();
  /** The charge that ended is one the gateway no longer knows: the expired screen says so. */
  private _unknownCode = false;
  private _copyTimer: ReturnType<typeof setTimeout> | undefined;
  /** The screen last rendered, to move focus only when it changes. */
  private _renderedScreen = '';
  /** Focus was inside the element just before this render. */
  private _focusWasWithin = false;

  private readonly _follower = new StatusController(
    this,
    (snapshot) => this._onSnapshot(snapshot),
    (state) => this._onConnectionChange(state),
    (error) => this._fail(error),
  );

  private readonly _countdown = new CountdownController(
    this,
    () => this._onLocalExpiry(),
    (ms) => (this._announcement = this._timeLeft(this._msg, ms)),
  );

  /**
   * Touch or narrow screen; repaints when that changes (a rotated phone, a resized window). Made on
   * connect, not in the constructor: a server render (@lit-labs/ssr) has no `matchMedia`.
   */
  private _handheld?: MediaQueryList;

  // ---------------------------------------------------------------------------------------------
  // Public, read-only state
  // ---------------------------------------------------------------------------------------------

  /** Where the checkout is, as the widget shows it. Reflected to the `status` attribute. */
  get status(): WidgetStatus {
    return widgetStatus(this._state);
  }

  /** How the widget hears about the payment: `live` (SSE), `polling`, `reconnecting`, `closed`, `idle`. */
  get connection(): ConnectionState {
    return this._follower._connection;
  }

  /** The PIX charge on screen (its Copia e Cola text, expiry, transaction id), or `null`. */
  get charge(): PixChargeView | null {
    const { screen } = this._state;
    return screen.kind === 'pix' || (screen.kind === 'result' && screen.status === 'expired') ? (this._pix?.view ?? null) : null;
  }

  /** The last failure, while `status` is `error`. */
  get error(): ConnectpspError | null {
    const { screen } = this._state;
    return screen.kind === 'error' ? screen.error : null;
  }

  // ---------------------------------------------------------------------------------------------
  // Lifecycle
  // ---------------------------------------------------------------------------------------------

  override connectedCallback(): void {
    super.connectedCallback();
    (this._handheld ??= matchMedia(HANDHELD_QUERY)).onchange = () => this.requestUpdate();
    // Moved in the DOM, or re-attached by a framework: pick up where the server is now.
    if (this.hasUpdated) void this._load();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this._run++;
    this._loadAbort?.abort();
    this._follower._stop();
    clearTimeout(this._copyTimer);
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    // Frameworks set attributes one by one; Lit batches them into this one update, so a change of
    // any of them starts exactly one load. Rendered on a server (@lit-labs/ssr), nothing loads: there
    // is no page to resolve the server URL against, no storage and no network; the browser's
    // hydration does it.
    if (isServer) return;
    if (!this.hasUpdated || changed.has('checkoutId') || changed.has('clientSecret') || changed.has('server') || changed.has('method')) {
      void this._load();
    }
  }

  protected override update(changed: PropertyValues<this>): void {
    // Read before rendering: the focused button may be about to disappear with its screen.
    this._focusWasWithin = this.matches(':focus-within');
    super.update(changed);
  }

  protected override updated(): void {
    const status = this.status;
    if (this.getAttribute('status') !== status) this.setAttribute('status', status);
    const screen = screenKey(this._state);
    if (screen !== this._renderedScreen) {
      this._renderedScreen = screen;
      const root = this.renderRoot;
      // A new screen is announced by what it says first: its title and the line under it
      // ("Pagamento não aprovado. Nada foi debitado."), never by a status name.
      const title = root.querySelector('h2, .loading p');
      const next = title?.nextElementSibling;
      this._announcement = [title, next?.localName === 'p' && next]
        .map((e) => e && e.textContent!.trim())
        .filter(Boolean)
        .join('. ');
      // Never steal focus from the page: only move it when the payer was working in the widget.
      if (this._focusWasWithin) root.querySelector<HTMLElement>('[data-autofocus]')?.focus();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Public methods
  // ---------------------------------------------------------------------------------------------

  /**
   * Checks the payment with the server now (while following it), or starts over after an error.
   * Does nothing in a final state.
   */
  refresh(): void {
    if (this._state.screen.kind === 'error') void this._load();
    else this._follower._checkNow();
  }

  // ---------------------------------------------------------------------------------------------
  // The one way the state changes, and what each change implies
  // ---------------------------------------------------------------------------------------------

  private get _msg(): Messages {
    return { ...LOCALES[resolveLocale(this.locale)], ...this.messages };
  }

  /** "The code expires in 04:59" (PIX) or "Time left to approve: 04:59" (Open Finance). */
  private _timeLeft(msg: Messages, ms: number): string {
    return (this._state.screen.kind === 'pix' ? msg.expiresIn : msg.ofTimeLeft)(formatCountdown(ms));
  }

  /** Server time now, as this device best knows it. */
  private _now(): number {
    return Date.now() + this._clockOffsetMs;
  }

  /**
   * The one way the state changes: `reduce` decides; a change then fires the status, paid and
   * expired events, sets the countdown, remembers or forgets the Open Finance payment, asks for a
   * PIX code when one is to be made, and follows the checkout until nothing can change any more.
   */
  private _dispatch(action: Action): void {
    const previous = this._state;
    const state = reduce(previous, action);
    if (state === previous) return;
    this._state = state;
    const { screen } = state;
    const status = widgetStatus(state);
    const before = widgetStatus(previous);
    const checkoutId = this.checkoutId ?? '';
    if (status !== before) this.dispatchEvent(new ConnectpspStatusEvent({ checkoutId, status, previous: before }));
    if (status === 'expired' && before !== 'expired') this._fireExpiredOnce();
    if (status === 'paid') this._firePaidOnce();

    const charge = screen.kind === 'pix' || (screen.kind === 'open_finance' && screen.phase === 'waiting') ? screen.charge : null;
    this._countdown._set(charge && new Date(deadline(charge)).toISOString(), this._clockOffsetMs);
    // The Open Finance payment is remembered while it is under way (or declined, so a reload still
    // says so), and forgotten once a PIX code shows or the checkout is settled.
    if (screen.kind === 'open_finance' && screen.charge) writePending(checkoutId, screen.charge.transactionId);
    else if (charge || screen.kind === 'result') writePending(checkoutId, null);

    if (screen.kind === 'pix' && !screen.charge && previous.screen !== screen) void this._createCharge();
    // Followed from the first charge until nothing can change any more (a refund can follow paid).
    const following = state.checkout && state.checkout !== 'open' && !isTerminal(state.checkout) && screen.kind !== 'error';
    if (following && this._api && !this._follower._following) this._follower._follow(this._api);
  }

  // ---------------------------------------------------------------------------------------------
  // Flow: load → (payer form) → (method choice) → charge → follow
  // ---------------------------------------------------------------------------------------------

  private readonly _load = async (): Promise<void> => {
    const run = ++this._run;
    this._loadAbort?.abort();
    this._follower._stop();
    this._session = null;
    this._busy = false;

    const server = resolveServerUrl(this.server);
    const missing = [!this.checkoutId && 'checkout-id', !this.clientSecret && 'client-secret', !server && 'server'].filter(Boolean);
    if (missing.length) {
      return this._fail({ reason: 'missing_attributes', message: `<connectpsp-checkout> needs a usable ${missing.join(', ')} attribute` });
    }
    if (this.method && this.method !== 'pix' && this.method !== 'open_finance') {
      return this._fail({ reason: 'unsupported_method', message: `method="${this.method}" is not one of pix, open_finance` });
    }

    const checkoutId = this.checkoutId!;
    // Back from the bank: the first load asks the server to re-check with ConnectPSP.
    const returning = isReturning(checkoutId);
    this._dispatch({ type: 'load', returning });
    const api = (this._api = new ApiClient(server!, checkoutId, this.clientSecret!));
    const { signal } = (this._loadAbort = new AbortController());
    let answer = await api._getSession(signal, returning);
    for (const delay of LOAD_RETRY_DELAYS_MS) {
      if (answer.ok || !TRANSIENT.includes(answer.error.reason) || signal.aborted) break;
      await new Promise((resolve) => setTimeout(resolve, delay));
      if (signal.aborted) break;
      answer = await api._getSession(signal, returning);
    }
    if (run !== this._run) return;
    if (!answer.ok) return this._fail(answer.error);
    const { session, clockOffsetMs } = answer.value;
    this._session = session;
    if (clockOffsetMs !== null) this._clockOffsetMs = clockOffsetMs;
    this._facts(session);
    if (this._checked(session.activeCharge)) {
      this._dispatch({ type: 'session', session, method: this.method ?? '', payerKnown: !!this._payer, now: this._now() });
    }
  };

  /** The receipt's facts only ever fill in: a frame without them does not erase what is known. */
  private _facts(seen: StatusSnapshot): void {
    this._endToEndId = seen.endToEndId || this._endToEndId;
    this._paidAt = seen.paidAt || this._paidAt;
    this._refundId = seen.refundEndToEndId || this._refundId;
    this._refundedAt = seen.refundedAt || this._refundedAt;
    // An expired checkout names the charge that ended: a PIX code ended `cancelled` is one ConnectPSP
    // no longer knows (e.g. a sandbox that restarted without its state). Only the PIX expired screen
    // reads this; a cancelled Open Finance payment shows as declined.
    this._unknownCode = seen.activeCharge?.status === 'cancelled';
  }

  /**
   * A PIX code is checked (TLV, CRC, amount) before it can show; one that fails is never drawn: the
   * error screen instead, and false. A code that passes is kept with the receiver it names.
   */
  private _checked(charge: ActiveChargeView | null): boolean {
    if (charge?.method !== 'pix' || this._pix?.view.transactionId === charge.transactionId) return true;
    const check = checkBrCode(charge.copyAndPaste, this._session?.amount ?? charge.amount);
    if (!check.ok) {
      this._fail({ reason: 'invalid_brcode', message: `refusing to show the Pix code: ${check.reason}` });
      return false;
    }
    this._pix = { view: charge, receiver: check.value };
    this._copyState = 'idle';
    return true;
  }

  /**
   * Starts (or resumes: the server is idempotent) the Open Finance payment, remembers it, and sends
   * the payer to their bank unless the page takes over (`connectpsp-redirect` prevented).
   */
  private readonly _startOpenFinance = async (): Promise<void> => {
    const api = this._api;
    const run = this._run;
    if (!api || this._busy) return;
    this._busy = true;
    this._follower._discardPending();
    const back = new URL(location.href);
    back.searchParams.delete(RETURN_PARAM);
    const answer = await api._createOpenFinance(this._payer, back.href);
    if (run !== this._run) return;
    this._busy = false;
    if (!answer.ok) return answer.error.reason === 'conflict' ? void this._load() : this._fail(answer.error);
    const charge: OpenFinanceChargeView = answer.value;
    this._dispatch({ type: 'charge', charge, now: this._now() });
    const checkoutId = this.checkoutId!;
    const url = charge.paymentUrl;
    if (this.dispatchEvent(new ConnectpspRedirectEvent({ checkoutId, method: 'open_finance', url }))) this.navigate(url);
  };

  /**
   * Leaves for the bank: a popup with `redirect-mode="popup"` on desktop, else `location.assign(url)`
   * in this tab. Subclasses (and tests) may override it.
   */
  protected navigate(url: string): void {
    if (this.redirectMode === 'popup' && !this._handheld?.matches) window.open(url, '_blank', 'popup,noopener');
    else location.assign(url);
  }

  private readonly _choose = (method: PaymentMethod): void => {
    // A poll that left before this choice must not undo the new code when it answers.
    this._follower._discardPending();
    this._dispatch({ type: 'choose', method });
  };

  private readonly _createCharge = async (): Promise<void> => {
    const api = this._api;
    const run = this._run;
    if (!api || this._busy) return;
    this._busy = true;
    this._follower._discardPending();

    const answer = await api._createPixCharge(this._payer);
    if (run !== this._run) return;
    this._busy = false;
    if (answer.ok) {
      if (this._checked(answer.value)) this._dispatch({ type: 'charge', charge: answer.value, now: this._now() });
      return;
    }
    const { error } = answer;
    const msg = this._msg;
    if (error.reason === 'invalid_request' && error.field?.startsWith('payer') && this._state.checkout === 'open') {
      // The server disagrees with the form: back to it, with the field it named.
      this._payer = null;
      if (error.field === 'payer.name') this._nameError = msg.nameRequired;
      if (error.field === 'payer.document') this._documentError = msg.documentInvalid;
      this._dispatch({ type: 'payer_refused' });
      // After the form's own announcement (its title), which the new screen brings.
      void this.updateComplete.then(() => (this._announcement = msg.formHasErrors));
      this._dispatchError(error);
    } else if (error.reason === 'conflict') {
      // Paid or cancelled meanwhile (another tab?): show what the server says now.
      void this._load();
    } else {
      this._fail(error);
    }
  };

  // ---------------------------------------------------------------------------------------------
  // Following: snapshots from the status controller, local expiry, connection
  // ---------------------------------------------------------------------------------------------

  private _onSnapshot(snapshot: StatusSnapshot): void {
    if (snapshot.clockOffsetMs != null) this._clockOffsetMs = snapshot.clockOffsetMs;
    this._facts(snapshot);
    if (this._checked(snapshot.activeCharge)) this._dispatch({ type: 'frame', frame: snapshot, now: this._now() });
    this.requestUpdate();
  }

  /** The countdown reached zero: the code cannot be paid any more, whatever the server says yet. */
  private _onLocalExpiry(): void {
    this._dispatch({ type: 'tick', now: this._now() });
    this._follower._checkNow();
  }

  private _onConnectionChange(state: ConnectionState): void {
    const msg = this._msg;
    const { screen } = this._state;
    if (state === 'reconnecting' && (screen.kind === 'pix' || screen.kind === 'open_finance')) this._announcement = msg.reconnecting;
    // Back online: the warning is no longer true, so it must not stay in the live region.
    else if (state === 'live' && this._announcement === msg.reconnecting) this._announcement = '';
    this.requestUpdate();
  }

  // ---------------------------------------------------------------------------------------------
  // Events
  // ---------------------------------------------------------------------------------------------

  private _firePaidOnce(): void {
    const checkoutId = this.checkoutId!;
    if (!claimOnce(paidEventKey(checkoutId))) return;
    const amount = this._session?.amount ?? this._pix?.view.amount ?? 0;
    this.dispatchEvent(new ConnectpspPaidEvent({ checkoutId, amount, endToEndId: this._endToEndId, paidAt: this._paidAt }));
  }

  private _fireExpiredOnce(): void {
    const charge = this._pix?.view;
    const key = charge?.transactionId ?? '';
    if (this._expiredCharges.has(key)) return;
    this._expiredCharges.add(key);
    this.dispatchEvent(
      new ConnectpspExpiredEvent({
        checkoutId: this.checkoutId ?? '',
        transactionId: charge?.transactionId ?? null,
        expiresAt: charge?.expiresAt ?? null,
      }),
    );
  }

  /** Shows the error screen and reports it. Never throws: the page keeps working. */
  private _fail(error: ConnectpspError): void {
    this._run++;
    this._loadAbort?.abort();
    this._follower._stop();
    this._busy = false;
    this._dispatch({ type: 'fail', error });
    console.warn(`[connectpsp-checkout] ${error.reason}: ${error.message}`);
    this._dispatchError(error);
  }

  private _dispatchError(error: ConnectpspError): void {
    this.dispatchEvent(new ConnectpspErrorEvent({ ...error, checkoutId: this.checkoutId ?? null }));
  }

  // ---------------------------------------------------------------------------------------------
  // The payer form
  // ---------------------------------------------------------------------------------------------

  private _nameProblem(): string | null {
    return checkName(this._payerName) && this._msg.nameRequired;
  }

  private _documentProblem(): string | null {
    const problem = checkDocument(this._payerDocument);
    return problem && this._msg[problem === 'incomplete' ? 'documentIncomplete' : 'documentInvalid'];
  }

  private readonly _onNameInput = (event: Event): void => {
    this._payerName = (event.target as HTMLInputElement).value;
    if (this._nameError) this._nameError = this._nameProblem();
  };

  private readonly _onDocumentInput = (event: Event): void => {
    const input = event.target as HTMLInputElement;
    // Keep the masked value in the field even when the state did not change (a typed letter).
    input.value = this._payerDocument = maskDocument(input.value);
    if (this._documentError) this._documentError = this._documentProblem();
  };

  private readonly _onNameBlur = (): void => {
    if (this._payerName) this._nameError = this._nameProblem();
  };

  private readonly _onDocumentBlur = (): void => {
    if (this._payerDocument) this._documentError = this._documentProblem();
  };

  private readonly _onSubmit = (event: SubmitEvent): void => {
    event.preventDefault();
    if (this._busy) return;
    const nameError = (this._nameError = this._nameProblem());
    const documentError = (this._documentError = this._documentProblem());
    if (nameError || documentError) {
      this._announcement = `${this._msg.formHasErrors} ${nameError ?? ''} ${documentError ?? ''}`.trim();
      void this.updateComplete.then(() => this.renderRoot.querySelector<HTMLInputElement>('[aria-invalid=true]')?.focus());
      return;
    }
    this._payer = { name: this._payerName.trim(), document: onlyDigits(this._payerDocument) };
    this._dispatch({ type: 'payer', methods: this._session!.methods, method: this.method ?? '' });
  };

  // ---------------------------------------------------------------------------------------------
  // The PIX view
  // ---------------------------------------------------------------------------------------------

  private readonly _onCopy = async (): Promise<void> => {
    const text = this._pix!.view.copyAndPaste;
    let copied = false;
    try {
      await navigator.clipboard.writeText(text);
      copied = true;
    } catch {
      // Refused (iOS without a gesture, an iframe without permission, http): select the text instead,
      // so one more tap on the system's own Copy does it (Adyen #3313).
      const field = this.renderRoot.querySelector<HTMLTextAreaElement>('textarea')!;
      field.focus();
      field.setSelectionRange(0, text.length);
      try {
        copied = document.execCommand('copy');
      } catch {
        // copied stays false
      }
    }
    this._copyState = copied ? 'copied' : 'failed';
    this._announcement = copied ? this._msg.copied : this._msg.copyFailed;
    clearTimeout(this._copyTimer);
    if (copied) this._copyTimer = setTimeout(() => (this._copyState = 'idle'), 3_000);
  };

  // ---------------------------------------------------------------------------------------------
  // Rendering: the summary (amount and time left), then one screen
  // ---------------------------------------------------------------------------------------------

  protected override render(): TemplateResult {
    const msg = this._msg;
    const locale = resolveLocale(this.locale);
    const session = this._session;
    const { screen } = this._state;
    const remaining = this._countdown._remainingMs;
    return html`<div part="base" class="base" lang=${locale}>
      <div class="visually-hidden" role="status" aria-live="polite" aria-atomic="true">${this._announcement}</div>
      ${
        session && screen.kind !== 'error'
          ? html`<header part="summary" class="summary">
            <p class="muted">${msg.payTo(session.merchantName)}</p>
            ${session.description ? html`<p class="muted">${session.description}</p>` : nothing}
            <div class="total">
              <p part="amount" class="amount"><span class="visually-hidden">${msg.amountLabel}: </span>${formatBRL(session.amount, locale)}</p>
              ${
                remaining === null
                  ? nothing
                  : html`<p part="countdown" class="countdown ${remaining > 60_000 ? '' : 'urgent'}" role="timer">
                    ${this._timeLeft(msg, remaining)}
                  </p>`
              }
            </div>
          </header>`
          : nothing
      }
      ${this._renderScreen(msg, locale, screen)}
    </div>`;
  }

  private _renderScreen(msg: Messages, locale: string, screen: Screen): TemplateResult {
    const busy = this._busy;
    const session = this._session;
    const useQr = () => this._choose('pix');
    switch (screen.kind) {
      case 'loading':
        return loading(msg.loading);
      case 'payer_form':
        return payerFormView(msg, busy, this._onSubmit, [
          ['name', msg.nameLabel, this._payerName, this._nameError, this._onNameInput, this._onNameBlur],
          ['document', msg.documentLabel, this._payerDocument, this._documentError, this._onDocumentInput, this._onDocumentBlur],
        ]);
      case 'method_choice':
        return html`<div part="methods" class="stack methods" role="group" aria-labelledby="methods-title">
          <h2 id="methods-title" tabindex="-1" data-autofocus>${msg.methodChoiceTitle}</h2>
          ${button('method-button', msg.methodPix, busy, useQr)}
          ${button('method-button', msg.methodOpenFinance, busy, () => this._choose('open_finance'), true)}
        </div>`;
      case 'pix':
        return screen.charge && this._pix
          ? pixView(
              msg,
              this._pix.view,
              this._pix.receiver,
              !!this._handheld?.matches,
              this.connection === 'reconnecting',
              this._copyState,
              this._onCopy,
            )
          : loading(msg.creatingCharge);
      case 'open_finance':
        return openFinanceView(msg, screen.phase, busy, this._startOpenFinance, useQr);
      case 'result': {
        const when = this._paidAt && formatDateTime(this._paidAt, locale);
        const of = screen.openFinance;
        switch (screen.status) {
          case 'paid':
            return result(
              'paid',
              CHECK,
              msg.paidTitle,
              html`<p>${msg.paidMessage}</p>
                ${details([
                  // The bank app's receipt names who paid whom, how (the amount is in the summary).
                  [msg.methodLabel, of && msg.methodOpenFinance],
                  [msg.recipientLabel, of && session?.merchantName],
                  [msg.payerLabel, of && (session?.payerName ?? this._payer?.name)],
                  [msg.dateLabel, when],
                  [msg.endToEndLabel, this._endToEndId, 'e2e'],
                ])}`,
            );
          case 'expired':
            return result(
              'expired',
              CLOCK,
              msg.expiredTitle,
              html`<p>${this._unknownCode ? `${msg.unknownCodeMessage} ` : ''}${msg.expiredMessage}</p>
                ${button('new-code-button', busy ? msg.creatingCharge : msg.newCode, busy, useQr)}`,
            );
          case 'refunded':
            return result(
              'refunded',
              RETURN,
              msg.refundedTitle,
              html`<p>${msg.refundedMessage}</p>
                ${details([
                  [msg.refundIdLabel, this._refundId],
                  [msg.dateLabel, this._refundedAt && formatDateTime(this._refundedAt, locale)],
                ])}`,
            );
          case 'cancelled':
            return result('cancelled', ALERT, msg.cancelledTitle, html`<p>${msg.cancelledMessage}</p>`);
        }
      }
      // falls through: every result status returned above
      case 'error': {
        const reason = (screen as Extract<Screen, { kind: 'error' }>).error.reason;
        return result(
          'error',
          ALERT,
          msg.errorTitle,
          html`<p>${errorMessage(msg, reason)}</p>
            ${RETRYABLE.includes(reason) ? button('retry-button', msg.retry, false, this._load) : html`<p class="muted">${msg.contactStore}</p>`}`,
          reason,
        );
      }
    }
  }
}
