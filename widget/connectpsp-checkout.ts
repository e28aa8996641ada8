/**
 * `<connectpsp-checkout>`: the element class. Importing this module registers nothing; `define.ts`
 * does (and the script-tag bundle imports that), so apps and tests can subclass or rename it.
 *
 * The element holds the state and decides which screen shows; each screen is drawn by one
 * `_render…` method below. Conventions: the element to focus when a screen appears carries
 * `data-autofocus`; headings that receive focus have `tabindex="-1"`; nothing sets a `style`
 * attribute (strict CSP). Private members are `_camelCase`: the script-tag build shortens them.
 */
import { html, isServer, LitElement, nothing, type PropertyValues, type TemplateResult } from 'lit';

import {
  canTransition,
  isFinalForPayer,
  type CheckoutStatus,
  type OpenFinanceChargeView,
  type PaymentMethod,
  type Payer,
  type PixChargeView,
} from './contract/wire-contract.js';
import { ApiClient, resolveServerUrl, type SessionResult } from './api-client.js';
import { checkBrCode, type BrCodeCheck, type BrCodeInfo } from './brcode-check.js';
import { CountdownController, remainingMs } from './countdown.js';
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
import { MediaQueryController } from './media-query-controller.js';
import { claimOnce, paidEventKey } from './once.js';
import { renderQr } from './qr.js';
import { StatusController, type ConnectionState, type StatusSnapshot } from './status-controller.js';
import { styles } from './styles.js';
import { LOCALES, resolveLocale, type Messages } from './translations/index.js';
import type { SessionView } from './wire.js';

/** Where the payer is while the checkout is still `open`. */
type OpenStep = 'payer_form' | 'method_choice' | 'creating_charge' | 'open_finance';

type CopyState = 'idle' | 'copied' | 'failed';

/** Touch or narrow screens: the phone layout, with the code to copy first (ANCHORS.md (b)5). */
const HANDHELD_QUERY = '(pointer: coarse), (max-width: 30rem)';

/** Session loads that fail for a transient reason are retried after these delays, then reported. */
const LOAD_RETRY_DELAYS_MS = [1_000, 3_000];

const TRANSIENT: ConnectpspErrorReason[] = ['network_error', 'server_error', 'gateway_error', 'rate_limited'];

/** Failures a second attempt can fix; the others need the merchant (a new link, a fixed page). */
const RETRYABLE: ConnectpspErrorReason[] = [...TRANSIENT, 'invalid_response', 'invalid_brcode', 'conflict'];

/** The payer-facing message of each failure. */
const ERROR_MESSAGE: Record<ConnectpspErrorReason, keyof Messages> = {
  missing_attributes: 'errorMissingAttributes',
  unauthorized: 'errorUnauthorized',
  not_found: 'errorNotFound',
  network_error: 'errorNetwork',
  invalid_response: 'errorInvalidResponse',
  invalid_request: 'errorInvalidRequest',
  conflict: 'errorConflict',
  gateway_error: 'errorGateway',
  rate_limited: 'errorRateLimited',
  server_error: 'errorServer',
  invalid_brcode: 'errorInvalidBrCode',
  unsupported_method: 'errorUnsupportedMethod',
};

/** Icons of the result headings (24×24 paths). */
const CHECK = 'M9 16.2 4.8 12l-1.4 1.4L9 19 21 7l-1.4-1.4z';
const CLOCK = 'M12 2a10 10 0 1 0 0 20 10 10 0 0 0 0-20zm0 18a8 8 0 1 1 0-16 8 8 0 0 1 0 16zm.5-13H11v6l5.2 3.2.8-1.3-4.5-2.7z';
const ALERT = 'M1 21h22L12 2 1 21zm12-3h-2v-2h2v2zm0-4h-2v-4h2v4z';

const icon = (path: string): TemplateResult =>
  html`<svg class="icon" viewBox="0 0 24 24" fill="currentColor" aria-hidden="true"><path d=${path}></path></svg>`;

const ariaBool = (value: boolean): string => String(value);

/** The bank sends the payer back with this query parameter (the checkout id). */
const RETURN_PARAM = 'connectpsp_checkout';

/** Where a started Open Finance payment is remembered, so it survives the trip to the bank. */
const pendingKey = (checkoutId: string): string => `connectpsp-checkout:of:${checkoutId}`;

/** `{ checkoutId, transactionId, startedAt }` of this checkout's Open Finance payment, or null. */
function readPending(checkoutId: string): { transactionId: string } | null {
  try {
    return JSON.parse(localStorage.getItem(pendingKey(checkoutId))!);
  } catch {
    return null;
  }
}

/** Remembers (`transactionId`) or forgets (null) the pending Open Finance payment. Storage may be refused. */
function writePending(checkoutId: string, transactionId: string | null): void {
  try {
    const key = pendingKey(checkoutId);
    if (transactionId) localStorage.setItem(key, JSON.stringify({ checkoutId, transactionId, startedAt: new Date().toISOString() }));
    else localStorage.removeItem(key);
  } catch {
    // the URL's return parameter still says the payer is back
  }
}

/**
 * Embeddable PIX checkout for ConnectPSP: shows the QR code and the "Pix Copia e Cola" code, follows
 * the payment live, and tells the page when it is paid.
 *
 * @summary PIX checkout: QR code, Copia e Cola, live payment status.
 *
 * @attr status - Reflected, read-only: `loading`, `open`, `awaiting_payment`, `paid`, `expired`,
 *   `refunded`, `cancelled` or `error`. Style with `connectpsp-checkout[status="paid"]`.
 *
 * @fires {ConnectpspStatusEvent} connectpsp-status - The status changed. `detail: { checkoutId, status, previous }`.
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
 * @csspart countdown - Time left and its bar.
 * @csspart status - "Waiting for the payment" / "reconnecting" line.
 * @csspart result - The paid, expired, refunded, cancelled and error panels.
 * @csspart error - The error panel (also a `result`).
 * @csspart e2e - The PIX end-to-end id of a paid checkout.
 * @csspart open-finance - The Open Finance screens (before leaving for the bank, confirming).
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
 * @cssprop [--connectpsp-color-scheme=light dark] - `light` or `dark` forces a theme; the default follows `prefers-color-scheme`.
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
    _status: { state: true },
    _step: { state: true },
    _session: { state: true },
    _charge: { state: true },
    _of: { state: true },
    _error: { state: true },
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

  private _status: WidgetStatus = 'loading';
  private _step: OpenStep = 'creating_charge';
  private _session: SessionView | null = null;
  /** The charge on screen, and the receiver its BR Code names. */
  private _charge: { view: PixChargeView; receiver: BrCodeInfo } | null = null;
  /** The Open Finance payment in progress (its transaction id; '' when only the return URL says so). */
  private _of: string | null = null;
  /** Back from the bank: the first load asks the server to re-check with ConnectPSP. */
  private _returning = false;
  private _error: ConnectpspError | null = null;
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
  private _endToEndId: string | null = null;
  private _paidAt: string | null = null;
  private _refundId: string | null = null;
  private _refundedAt: string | null = null;
  /** Each load gets a number; answers that arrive for an older one are dropped. */
  private _run = 0;
  private _loadAbort: AbortController | undefined;
  private _expiredCharges = new Set<string>();
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
    (ms) => (this._announcement = this._msg.expiresSoon(formatCountdown(ms))),
  );

  private readonly _handheld = new MediaQueryController(this, HANDHELD_QUERY);

  // ---------------------------------------------------------------------------------------------
  // Public, read-only state
  // ---------------------------------------------------------------------------------------------

  /** Where the checkout is, as the widget shows it. Reflected to the `status` attribute. */
  get status(): WidgetStatus {
    return this._status;
  }

  /** How the widget hears about the payment: `live` (SSE), `polling`, `reconnecting`, `closed`, `idle`. */
  get connection(): ConnectionState {
    return this._follower._connection;
  }

  /** The PIX charge on screen (its Copia e Cola text, expiry, transaction id), or `null`. */
  get charge(): PixChargeView | null {
    return this._charge?.view ?? null;
  }

  /** The last failure, while `status` is `error`. */
  get error(): ConnectpspError | null {
    return this._error;
  }

  // ---------------------------------------------------------------------------------------------
  // Lifecycle
  // ---------------------------------------------------------------------------------------------

  override connectedCallback(): void {
    super.connectedCallback();
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
    if (this.getAttribute('status') !== this._status) this.setAttribute('status', this._status);
    // Identifies the screen on show (the step only changes while `open`).
    const screen = this._status + this._step + (this._of != null);
    if (screen !== this._renderedScreen) {
      this._renderedScreen = screen;
      // Never steal focus from the page: only move it when the payer was working in the widget.
      if (this._focusWasWithin) this.renderRoot.querySelector<HTMLElement>('[data-autofocus]')?.focus();
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
    if (this._status === 'error') void this._load();
    else this._follower._checkNow();
  }

  // ---------------------------------------------------------------------------------------------
  // Flow: load → (payer form) → (method choice) → charge → follow
  // ---------------------------------------------------------------------------------------------

  private get _msg(): Messages {
    return { ...LOCALES[resolveLocale(this.locale)], ...this.messages };
  }

  private readonly _load = async (): Promise<void> => {
    const run = ++this._run;
    this._loadAbort?.abort();
    this._follower._stop();
    this._countdown._set(null);
    this._error = this._session = this._charge = null;
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
    this._of = readPending(checkoutId)?.transactionId ?? (new URLSearchParams(location.search).get(RETURN_PARAM) === checkoutId ? '' : null);
    this._returning = this._of != null;
    this._setStatus('loading');
    const api = (this._api = new ApiClient(server!, checkoutId, this.clientSecret!));
    const { signal } = (this._loadAbort = new AbortController());
    let result = await api._getSession(signal, this._returning);
    for (const delay of LOAD_RETRY_DELAYS_MS) {
      if (result.ok || !TRANSIENT.includes(result.error.reason) || signal.aborted) break;
      await new Promise((resolve) => setTimeout(resolve, delay));
      if (signal.aborted) break;
      result = await api._getSession(signal, this._returning);
    }
    this._returning = false;
    if (run !== this._run) return;
    if (result.ok) this._showSession(result.value);
    else this._fail(result.error);
  };

  private _showSession({ session, clockOffsetMs }: SessionResult): void {
    const { status, activeCharge } = session;
    this._session = session;
    if (clockOffsetMs !== null) this._clockOffsetMs = clockOffsetMs;
    this._endToEndId = session.endToEndId;
    this._paidAt = session.paidAt;
    this._refundId = session.refundEndToEndId;
    this._refundedAt = session.refundedAt;

    if (status === 'open') {
      this._begin(session);
    } else if (status === 'awaiting_payment') {
      if (activeCharge?.method === 'pix') this._showCharge(activeCharge);
      else if (activeCharge) this._showOpenFinance(activeCharge);
      else void this._createCharge();
    } else if (status === 'expired') {
      if (activeCharge?.method === 'pix') this._setCharge(activeCharge); // for connectpsp-expired
      this._setStatus('expired');
      this._follow(); // not final: a late payment can still land on the expired code
    } else {
      this._moveTo(status);
    }
  }

  /** The checkout is open: ask for what is missing, then create the charge. */
  private _begin(session: SessionView): void {
    const { methods } = session;
    if (this.method ? !methods.includes(this.method as PaymentMethod) : !methods.length) {
      return this._fail({ reason: 'unsupported_method', message: `this checkout does not offer ${this.method || 'any method'}` });
    }
    this._setStatus('open');
    if (session.payerRequired && !this._payer) this._step = 'payer_form';
    else this._afterPayer();
  }

  /** The payer is known (or not needed): let them choose the method, or go straight to PIX. */
  private _afterPayer(): void {
    const methods = this._session!.methods;
    const method = this.method || (methods.length > 1 ? '' : methods[0]);
    if (method === 'pix') void this._createCharge();
    else this._step = method ? 'open_finance' : 'method_choice';
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
    const result = await api._createOpenFinance(this._payer, back.href);
    if (run !== this._run) return;
    this._busy = false;
    if (!result.ok) return result.error.reason === 'conflict' ? void this._load() : this._fail(result.error);
    const { transactionId, paymentUrl: url } = result.value;
    const checkoutId = this.checkoutId!;
    writePending(checkoutId, transactionId);
    this._showOpenFinance(result.value);
    if (this.dispatchEvent(new ConnectpspRedirectEvent({ checkoutId, method: 'open_finance', url }))) this.navigate(url);
  };

  /**
   * Leaves for the bank: a popup with `redirect-mode="popup"` on desktop, else `location.assign(url)`
   * in this tab. Subclasses (and tests) may override it.
   */
  protected navigate(url: string): void {
    if (this.redirectMode === 'popup' && !this._handheld._matches) window.open(url, '_blank', 'popup,noopener');
    else location.assign(url);
  }

  /** An Open Finance payment awaits the bank's approval: say so, count down its window, follow it. */
  private _showOpenFinance(charge: OpenFinanceChargeView): void {
    this._of = charge.transactionId;
    this._charge = null;
    this._countdown._set(charge.expiresAt, this._clockOffsetMs);
    this._moveTo('awaiting_payment');
    this._announcement = this._msg.ofConfirming;
    this._follow();
  }

  private readonly _createCharge = async (): Promise<void> => {
    const api = this._api;
    const run = this._run;
    if (!api || this._busy) return;
    this._busy = true;
    if (this._status === 'open') this._step = 'creating_charge';
    // A poll that left before this request must not undo the new code when it answers.
    this._follower._discardPending();

    const result = await api._createPixCharge(this._payer);
    if (run !== this._run) return;
    this._busy = false;
    if (result.ok) return this._showCharge(result.value);
    const { error } = result;
    const msg = this._msg;
    if (error.reason === 'invalid_request' && error.field?.startsWith('payer') && this._status === 'open') {
      // The server disagrees with the form: back to it, with the field it named.
      this._payer = null;
      if (error.field === 'payer.name') this._nameError = msg.nameRequired;
      if (error.field === 'payer.document') this._documentError = msg.documentInvalid;
      this._step = 'payer_form';
      this._announcement = msg.formHasErrors;
      this._dispatchError(error);
    } else if (error.reason === 'conflict') {
      // Paid or cancelled meanwhile (another tab?): show what the server says now.
      void this._load();
    } else {
      this._fail(error);
    }
  };

  /** Keeps the charge if its BR Code passes the check (TLV, CRC, amount). */
  private _setCharge(charge: PixChargeView): BrCodeCheck {
    const check = checkBrCode(charge.copyAndPaste, this._session?.amount ?? charge.amount);
    if (check.ok) {
      if (this._charge?.view.transactionId !== charge.transactionId) this._copyState = 'idle';
      this._charge = { view: charge, receiver: check.value };
    }
    return check;
  }

  /** Checks the code, shows it, and follows the payment. */
  private _showCharge(charge: PixChargeView): void {
    const check = this._setCharge(charge);
    if (!check.ok) return this._fail({ reason: 'invalid_brcode', message: `refusing to show the Pix code: ${check.reason}` });
    if (this._of != null) writePending(this.checkoutId!, (this._of = null));
    this._countdown._set(charge.expiresAt, this._clockOffsetMs);
    this._moveTo(remainingMs(charge.expiresAt, this._clockOffsetMs) > 0 ? 'awaiting_payment' : 'expired');
    this._follow();
  }

  private _follow(): void {
    if (this._api && !this._follower._following) this._follower._follow(this._api);
  }

  // ---------------------------------------------------------------------------------------------
  // Following: snapshots from the status controller, local expiry
  // ---------------------------------------------------------------------------------------------

  private _onSnapshot(snapshot: StatusSnapshot): void {
    if (this._status === 'loading' || this._status === 'error') return;
    if (snapshot.clockOffsetMs != null) {
      this._clockOffsetMs = snapshot.clockOffsetMs;
      if (this._charge) this._countdown._set(this._charge.view.expiresAt, this._clockOffsetMs);
    }
    this._endToEndId = snapshot.endToEndId || this._endToEndId;
    this._paidAt = snapshot.paidAt || this._paidAt;
    this._refundId = snapshot.refundEndToEndId || this._refundId;
    this._refundedAt = snapshot.refundedAt || this._refundedAt;

    const active = snapshot.activeCharge;
    const charge = active?.method === 'pix' ? active : null;
    const next = effectiveStatus(snapshot.status, charge, Date.now() + this._clockOffsetMs);
    const current = this._status;
    if (next !== current && !canTransition(current, next)) return; // stale or out of order

    if (next === 'awaiting_payment' && charge && charge.transactionId !== this._charge?.view.transactionId) {
      this._showCharge(charge); // a new code, generated here or in another tab
    } else if (next === 'awaiting_payment' && active?.method === 'open_finance' && active.transactionId !== this._of) {
      this._showOpenFinance(active); // started in another tab
    } else {
      // An expired checkout names the charge that ended, with why (see the expired screen).
      if (next === 'expired' && charge) this._setCharge(charge);
      this._moveTo(next);
    }
  }

  /** The countdown reached zero: the code cannot be paid any more, whatever the server says yet. */
  private _onLocalExpiry(): void {
    if (this._status !== 'awaiting_payment') return;
    this._moveTo('expired');
    this._follower._checkNow();
  }

  private _onConnectionChange(state: ConnectionState): void {
    if (state === 'reconnecting' && this._status === 'awaiting_payment') this._announcement = this._msg.reconnecting;
    this.requestUpdate();
  }

  /** Applies a checkout status and fires what it implies. */
  private _moveTo(status: CheckoutStatus): void {
    const previous = this._status;
    this._setStatus(status);
    if (status === 'expired' && previous !== 'expired') this._fireExpiredOnce();
    if (status === 'paid') this._firePaidOnce();
    if (isFinalForPayer(status)) {
      this._countdown._set(null);
      writePending(this.checkoutId!, null);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Status, events, announcements
  // ---------------------------------------------------------------------------------------------

  private _setStatus(status: WidgetStatus): void {
    const previous = this._status;
    if (status === previous && this.hasUpdated) return;
    this._status = status;
    this._announcement = this._msg.statusAnnouncement[status];
    if (status !== previous) this.dispatchEvent(new ConnectpspStatusEvent({ checkoutId: this.checkoutId ?? '', status, previous }));
  }

  private _firePaidOnce(): void {
    const checkoutId = this.checkoutId;
    if (!checkoutId || !claimOnce(paidEventKey(checkoutId))) return;
    const amount = this._session?.amount ?? this._charge?.view.amount ?? 0;
    this.dispatchEvent(new ConnectpspPaidEvent({ checkoutId, amount, endToEndId: this._endToEndId, paidAt: this._paidAt }));
  }

  private _fireExpiredOnce(): void {
    const charge = this._charge?.view;
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
    this._countdown._set(null);
    this._busy = false;
    this._error = error;
    this._setStatus('error');
    const msg = this._msg;
    this._announcement = `${msg.statusAnnouncement.error}. ${msg[ERROR_MESSAGE[error.reason]]}`;
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
    this._afterPayer();
  };

  // ---------------------------------------------------------------------------------------------
  // The PIX view
  // ---------------------------------------------------------------------------------------------

  private readonly _onCopy = async (): Promise<void> => {
    const text = this._charge!.view.copyAndPaste;
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
  // Rendering
  // ---------------------------------------------------------------------------------------------

  protected override render(): TemplateResult {
    const msg = this._msg;
    const locale = resolveLocale(this.locale);
    const session = this._session;
    return html`<div part="base" class="base" lang=${locale}>
      <div class="visually-hidden" role="status" aria-live="polite" aria-atomic="true">${this._announcement}</div>
      ${session && this._status !== 'error'
        ? html`<header part="summary" class="summary">
            <p class="muted">${msg.payTo(session.merchantName)}</p>
            ${session.description ? html`<p class="muted">${session.description}</p>` : nothing}
            <p part="amount" class="amount">
              <span class="visually-hidden">${msg.amountLabel}: </span>${formatBRL(session.amount, locale)}
            </p>
          </header>`
        : nothing}
      ${this._renderScreen(msg, locale)}
    </div>`;
  }

  private _renderScreen(msg: Messages, locale: string): TemplateResult {
    const { _status: status, _busy: busy } = this;
    switch (status) {
      case 'loading':
        return this._renderLoading(this._returning ? msg.ofConfirming : msg.loading);
      case 'open':
        return this._step === 'payer_form'
          ? this._renderPayerForm(msg)
          : this._step === 'method_choice'
            ? html`<div part="methods" class="methods" role="group" aria-labelledby="methods-title">
                <h2 id="methods-title" tabindex="-1" data-autofocus>${msg.methodChoiceTitle}</h2>
                ${this._renderButton('method-button', busy ? msg.creatingCharge : msg.methodPix, this._createCharge)}
                ${this._renderButton('method-button', msg.methodOpenFinance, () => (this._step = 'open_finance'))}
              </div>`
            : this._step === 'open_finance'
              ? this._renderOpenFinance(msg.methodOpenFinance, html`<p>${msg.ofNext}</p>`, msg.continue)
              : this._renderLoading(msg.creatingCharge);
      case 'awaiting_payment':
        return this._of != null
          ? this._renderOpenFinance(
              msg.ofConfirming,
              html`<p part="countdown" role="timer">${msg.ofTimeLeft(formatCountdown(this._countdown._remainingMs ?? 0))}</p>`,
              msg.continue,
            )
          : this._charge
            ? this._renderPix(msg, this._charge.view, this._charge.receiver)
            : this._renderLoading(msg.creatingCharge);
      case 'paid': {
        const when = this._paidAt && formatDateTime(this._paidAt, locale);
        const session = this._session;
        return this._renderResult(
          'paid',
          html`${icon(CHECK)}${msg.paidTitle}`,
          html`<p>${msg.paidMessage}</p>
            ${this._of != null && session
              ? this._renderDetails([
                  [msg.amountLabel, formatBRL(session.amount, locale)],
                  [msg.methodLabel, msg.methodOpenFinance],
                  [msg.recipientLabel, session.merchantName],
                  [msg.payerLabel, this._payer?.name],
                  [msg.dateLabel, when],
                ])
              : when
                ? html`<p class="muted">${msg.paidAt(when)}</p>`
                : nothing}
            ${this._endToEndId
              ? html`<dl>
                  <dt class="muted">${msg.endToEndLabel}</dt>
                  <dd part="e2e" class="e2e">${this._endToEndId}</dd>
                </dl>`
              : nothing}`,
        );
      }
      case 'expired':
        // The bank refused, the consent window closed, or the payer gave up: retry, or switch to the QR.
        if (this._of != null) {
          return this._renderResult(
            'expired',
            html`${icon(ALERT)}${msg.ofFailedTitle}`,
            html`<p>${msg.ofFailed}</p>
              ${this._renderButton('retry-button', msg.retry, this._startOpenFinance)}
              ${this._renderButton('new-code-button', msg.useQr, this._createCharge)}`,
          );
        }
        return this._renderResult(
          'expired',
          html`${icon(CLOCK)}${msg.expiredTitle}`,
          // A code that ended `cancelled` without an Open Finance journey is one ConnectPSP no longer
          // knows (e.g. a sandbox that restarted without its state): say so, not "it timed out".
          html`<p>${this._charge?.view.status === 'cancelled' ? msg.unknownCodeMessage : msg.expiredMessage}</p>
            ${this._renderButton('new-code-button', busy ? msg.creatingCharge : msg.newCode, this._createCharge)}`,
        );
      case 'refunded':
        return this._renderResult(
          'refunded',
          msg.refundedTitle,
          html`<p>${msg.refundedMessage}</p>
            ${this._renderDetails([
              [msg.refundIdLabel, this._refundId],
              [msg.dateLabel, this._refundedAt && formatDateTime(this._refundedAt, locale)],
            ])}`,
        );
      case 'cancelled':
        return this._renderResult('cancelled', msg.cancelledTitle, html`<p>${msg.cancelledMessage}</p>`);
      case 'error': {
        const reason = this._error!.reason;
        return this._renderResult(
          'error',
          html`${icon(ALERT)}${msg.errorTitle}`,
          html`<p>${msg[ERROR_MESSAGE[reason]]}</p>
            ${RETRYABLE.includes(reason)
              ? html`<button type="button" part="button retry-button" @click=${this._load}>${msg.retry}</button>`
              : html`<p class="muted">${msg.contactStore}</p>`}`,
          reason,
        );
      }
    }
  }

  /** Open Finance, before leaving for the bank and while it confirms: what happens, go on, or use the QR. */
  private _renderOpenFinance(title: string, body: TemplateResult, go: string): TemplateResult {
    return html`<section part="open-finance" class="methods" aria-labelledby="of-title">
      <h2 id="of-title" tabindex="-1" data-autofocus>${title}</h2>
      ${body} ${this._renderButton('continue-button', go, this._startOpenFinance)}
      ${this._renderButton('new-code-button', this._msg.useQr, this._createCharge)}
    </section>`;
  }

  /** A receipt: label / value rows, the rows without a value left out. */
  private _renderDetails(rows: [string, string | null | undefined][]): TemplateResult {
    return html`<dl part="details">
      ${rows.map(([label, value]) => (value ? html`<dt class="muted">${label}</dt><dd>${value}</dd>` : nothing))}
    </dl>`;
  }

  private _renderLoading(text: string): TemplateResult {
    return html`<div part="loading" class="loading">
      <span class="spinner" aria-hidden="true"></span>
      <p tabindex="-1" data-autofocus>${text}</p>
    </div>`;
  }

  /** A button that stays focusable while busy (`aria-disabled`, not `disabled`) and ignores clicks then. */
  private _renderButton(part: string, label: string, onClick: () => void): TemplateResult {
    return html`<button type="button" part="button ${part}" aria-disabled=${ariaBool(this._busy)} @click=${() => this._busy || onClick()}>
      ${label}
    </button>`;
  }

  /** The paid, expired, refunded, cancelled and error panels; `reason` makes it the error panel. */
  private _renderResult(kind: string, title: unknown, body: unknown, reason?: string): TemplateResult {
    return html`<section
      part=${reason ? 'result error' : 'result'}
      class="result ${kind}"
      role=${reason ? 'alert' : nothing}
      aria-labelledby="result-title"
      data-reason=${reason ?? nothing}
    >
      <h2 id="result-title" tabindex="-1" data-autofocus>${title}</h2>
      ${body}
    </section>`;
  }

  private _renderPayerForm(msg: Messages): TemplateResult {
    return html`<form part="form" novalidate aria-labelledby="form-title" @submit=${this._onSubmit}>
      <h2 id="form-title">${msg.payerFormTitle}</h2>
      <p class="muted">${msg.payerFormHint}</p>
      ${this._renderField('name', msg.nameLabel, this._payerName, this._nameError, this._onNameInput, this._onNameBlur)}
      ${this._renderField('document', msg.documentLabel, this._payerDocument, this._documentError, this._onDocumentInput, this._onDocumentBlur)}
      <button type="submit" part="button submit-button" aria-disabled=${ariaBool(this._busy)}>
        ${this._busy ? msg.creatingCharge : msg.continue}
      </button>
    </form>`;
  }

  /** One field of the payer form; the name field takes the focus, the document one is numeric. */
  private _renderField(
    field: 'name' | 'document',
    label: string,
    value: string,
    error: string | null,
    onInput: (event: Event) => void,
    onBlur: () => void,
  ): TemplateResult {
    const id = `payer-${field}`;
    const isName = field === 'name';
    return html`<div class="field">
      <label for=${id}>${label}</label>
      <input
        id=${id}
        part="input"
        name=${field}
        autocomplete=${isName ? 'name' : 'off'}
        inputmode=${isName ? nothing : 'numeric'}
        maxlength=${isName ? nothing : 18}
        required
        ?data-autofocus=${isName}
        aria-invalid=${ariaBool(!!error)}
        aria-describedby=${error ? `${id}-error` : nothing}
        .value=${value}
        @input=${onInput}
        @blur=${onBlur}
      />
      ${error ? html`<p id="${id}-error" part="field-error" class="field-error">${error}</p>` : nothing}
    </div>`;
  }

  private _renderPix(msg: Messages, charge: PixChargeView, receiver: BrCodeInfo): TemplateResult {
    const remaining = this._countdown._remainingMs ?? 0;
    const total = Math.max(1, Date.parse(charge.expiresAt) - Date.parse(charge.createdAt));

    const codeBlock = html`<div class="code-block">
      <p part="instructions" id="copy-instructions">${msg.copyInstructions}</p>
      <textarea
        part="code"
        class="code"
        readonly
        rows="4"
        aria-label=${msg.codeLabel}
        aria-describedby="copy-instructions"
        .value=${charge.copyAndPaste}
        @focus=${(event: FocusEvent) => (event.target as HTMLTextAreaElement).select()}
      ></textarea>
      <button type="button" part="button copy-button" @click=${this._onCopy}>${this._copyState === 'copied' ? msg.copied : msg.copy}</button>
      ${this._copyState === 'failed' ? html`<p class="field-error">${msg.copyFailed}</p>` : nothing}
    </div>`;

    const qrBlock = html`<div class="qr-block">
      ${renderQr(charge.copyAndPaste, msg.qrLabel)}
      <p part="instructions">${msg.scanInstructions}</p>
    </div>`;

    // Phone-like device: the code to copy comes first, the QR second (nobody scans their own screen).
    return html`<section class="pix" part="pix" aria-labelledby="pix-title">
      <h2 id="pix-title" tabindex="-1" data-autofocus>${msg.pixTitle}</h2>
      ${this._handheld._matches ? [codeBlock, qrBlock] : [qrBlock, codeBlock]}
      <div part="countdown" class="countdown">
        <p role="timer" aria-atomic="true">${msg.expiresIn(formatCountdown(remaining))}</p>
        <progress max=${total} .value=${Math.max(0, remaining)} aria-hidden="true"></progress>
      </div>
      ${this.connection === 'reconnecting'
        ? html`<p part="status" class="status-line reconnecting">${msg.reconnecting}</p>`
        : html`<p part="status" class="status-line"><span class="spinner" aria-hidden="true"></span>${msg.waiting}</p>`}
      <p class="muted">${msg.receiver(receiver.merchantName, receiver.merchantCity)}</p>
    </section>`;
  }
}

/**
 * `awaiting_payment` whose code is past its expiry (on the server's clock, as corrected here) is
 * `expired`, even if the server has not said so yet: the code can no longer be paid, and showing it
 * would invite a payment the bank refuses. Everything else is taken as the server says.
 */
export function effectiveStatus(status: CheckoutStatus, charge: PixChargeView | null, serverNowMs: number): CheckoutStatus {
  return status === 'awaiting_payment' && charge && Date.parse(charge.expiresAt) <= serverNowMs ? 'expired' : status;
}
