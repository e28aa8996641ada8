/**
 * `<connectpsp-checkout>`: the element class. Importing this module registers nothing; `define.ts`
 * does (and the script-tag bundle imports that), so apps and tests can subclass or rename it.
 */
import { html, LitElement, type PropertyValues, type TemplateResult } from 'lit';

import {
  canTransition,
  isFinalForPayer,
  type ActiveChargeView,
  type CheckoutSession,
  type CheckoutStatus,
  type Payer,
  type PixChargeView,
} from '../server/contract.js';
import type { ParsedBrCode } from '../server/pix/brcode.js';
import { ApiClient, resolveServerUrl, type ApiResult, type SessionResult } from './api-client.js';
import { checkBrCode } from './brcode-check.js';
import { CountdownController, remainingMs } from './countdown.js';
import {
  ConnectpspErrorEvent,
  ConnectpspExpiredEvent,
  ConnectpspPaidEvent,
  ConnectpspStatusEvent,
  type ConnectpspError,
  type WidgetStatus,
} from './events.js';
import { checkDocument, checkName, formatCountdown, maskDocument, onlyDigits } from './format.js';
import { MediaQueryController } from './media-query-controller.js';
import { claimOnce, paidEventKey } from './once.js';
import { StatusController, type ConnectionState, type StatusSnapshot } from './status-controller.js';
import { styles } from './styles.js';
import { LOCALES, resolveLocale, type Locale, type Messages } from './translations/index.js';
import {
  errorMessage,
  renderCancelled,
  renderError,
  renderExpired,
  renderLoading,
  renderMethodChoice,
  renderPaid,
  renderPayerForm,
  renderPixView,
  renderRefunded,
  renderSummary,
  type CopyState,
} from './views.js';

/** Where the payer is while the checkout is still `open`. */
type OpenStep = 'payer_form' | 'method_choice' | 'creating_charge';

/** Touch or narrow screens: the phone layout, with the code to copy first (ANCHORS.md (b)5). */
const HANDHELD_QUERY = '(pointer: coarse), (max-width: 30rem)';

/** Session loads that fail for a transient reason are retried after these delays, then reported. */
const LOAD_RETRY_DELAYS_MS = [1_000, 3_000] as const;

const TRANSIENT: ReadonlySet<ConnectpspError['reason']> = new Set(['network_error', 'server_error', 'gateway_error', 'rate_limited']);

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
 * @fires {ConnectpspRedirectEvent} connectpsp-redirect - Cancelable; before leaving for the bank (Open Finance, upcoming).
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
 * @csspart new-code-button - "Generate a new code" after expiry.
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
    locale: {},
    messages: { attribute: false },
    _status: { state: true },
    _step: { state: true },
    _session: { state: true },
    _charge: { state: true },
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
  method?: string;
  /** `pt-BR` (default), `en` or `es`; other tags fall back to their language, then to pt-BR. */
  locale?: string;
  /** Overrides for any string of the current locale, e.g. `{ copy: 'Copy the code' }`. */
  messages?: Partial<Messages>;

  private _status: WidgetStatus = 'loading';
  private _step: OpenStep = 'creating_charge';
  private _session: CheckoutSession | null = null;
  private _charge: { view: PixChargeView; brCode: ParsedBrCode } | null = null;
  private _error: ConnectpspError | null = null;
  private _busy = false;
  private _copyState: CopyState = 'idle';
  private _announcement = '';
  private _payerName = '';
  private _payerDocument = '';
  private _nameError: string | null = null;
  private _documentError: string | null = null;

  private api: ApiClient | null = null;
  private payer: Payer | null = null;
  private clockOffsetMs = 0;
  private endToEndId: string | null = null;
  private paidAt: string | null = null;
  /** Each load gets a number; answers that arrive for an older one are dropped. */
  private run = 0;
  private loadAbort: AbortController | null = null;
  private expiredCharges = new Set<string>();
  private copyTimer: ReturnType<typeof setTimeout> | undefined;
  /** The screen last rendered, to move focus only when it changes. */
  private renderedScreen = '';
  /** Focus was inside the element just before this render. */
  private focusWasWithin = false;

  private readonly statusController = new StatusController(this, {
    onSnapshot: (snapshot) => this.handleSnapshot(snapshot),
    onConnectionChange: (state) => this.handleConnectionChange(state),
    onFatal: (error) => this.fail(error),
  });

  private readonly countdown = new CountdownController(this, {
    onExpire: () => this.handleLocalExpiry(),
    onThreshold: (ms) => this.announce(this.msg.expiresSoon(formatCountdown(ms))),
  });

  private readonly handheld = new MediaQueryController(this, HANDHELD_QUERY);

  // ---------------------------------------------------------------------------------------------
  // Public, read-only state
  // ---------------------------------------------------------------------------------------------

  /** Where the checkout is, as the widget shows it. Reflected to the `status` attribute. */
  get status(): WidgetStatus {
    return this._status;
  }

  /** How the widget hears about the payment: `live` (SSE), `polling`, `reconnecting`, `closed`, `idle`. */
  get connection(): ConnectionState {
    return this.statusController.connection;
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
    if (this.hasUpdated) void this.load();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.run++;
    this.loadAbort?.abort();
    this.statusController.stop();
    clearTimeout(this.copyTimer);
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    // Frameworks set attributes one by one; Lit batches them into this one update, so a change of
    // any of them starts exactly one load.
    if (!this.hasUpdated || changed.has('checkoutId') || changed.has('clientSecret') || changed.has('server') || changed.has('method')) {
      void this.load();
    }
  }

  protected override update(changed: PropertyValues<this>): void {
    // Read before rendering: the focused button may be about to disappear with its screen.
    this.focusWasWithin = this.matches(':focus-within');
    super.update(changed);
  }

  protected override updated(): void {
    if (this.getAttribute('status') !== this._status) this.setAttribute('status', this._status);
    const screen = this.screenKey();
    if (screen !== this.renderedScreen) {
      this.renderedScreen = screen;
      // Never steal focus from the page: only move it when the payer was working in the widget.
      if (this.focusWasWithin) this.renderRoot.querySelector<HTMLElement>('[data-autofocus]')?.focus();
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
    if (this._status === 'error') void this.load();
    else this.statusController.checkNow();
  }

  // ---------------------------------------------------------------------------------------------
  // Flow: load → (payer form) → (method choice) → charge → follow
  // ---------------------------------------------------------------------------------------------

  private get msg(): Messages {
    const base = LOCALES[this.resolvedLocale()];
    return this.messages ? { ...base, ...this.messages } : base;
  }

  private resolvedLocale(): Locale {
    return resolveLocale(this.locale);
  }

  private async load(): Promise<void> {
    const run = ++this.run;
    this.loadAbort?.abort();
    this.statusController.stop();
    this.countdown.set(null, 0);
    this._error = null;
    this._session = null;
    this._charge = null;
    this._busy = false;

    const server = resolveServerUrl(this.server);
    const missing = [
      !this.checkoutId && 'checkout-id',
      !this.clientSecret && 'client-secret',
      !server && 'server',
    ].filter(Boolean);
    if (missing.length > 0) {
      this.fail({ reason: 'missing_attributes', message: `<connectpsp-checkout> needs a usable ${missing.join(', ')} attribute` });
      return;
    }
    if (this.method && this.method !== 'pix' && this.method !== 'open_finance') {
      this.fail({ reason: 'unsupported_method', message: `method="${this.method}" is not one of pix, open_finance` });
      return;
    }

    this.setStatus('loading');
    this.api = new ApiClient({ server: server!, checkoutId: this.checkoutId!, clientSecret: this.clientSecret! });
    this.loadAbort = new AbortController();
    const result = await this.getSessionWithRetry(this.api, this.loadAbort.signal);
    if (run !== this.run) return;
    if (!result.ok) {
      this.fail(result.error);
      return;
    }
    this.showSession(result.value);
  }

  private async getSessionWithRetry(api: ApiClient, signal: AbortSignal): Promise<ApiResult<SessionResult>> {
    let result = await api.getSession(signal);
    for (const delay of LOAD_RETRY_DELAYS_MS) {
      if (result.ok || !TRANSIENT.has(result.error.reason) || signal.aborted) break;
      await new Promise((resolve) => setTimeout(resolve, delay));
      if (signal.aborted) break;
      result = await api.getSession(signal);
    }
    return result;
  }

  private showSession({ session, clockOffsetMs }: SessionResult): void {
    this._session = session;
    if (clockOffsetMs !== null) this.clockOffsetMs = clockOffsetMs;
    this.endToEndId = session.endToEndId;
    this.paidAt = session.paidAt;

    switch (session.status) {
      case 'open':
        this.begin(session);
        return;
      case 'awaiting_payment':
        if (session.activeCharge?.method === 'pix') this.showCharge(session.activeCharge);
        else if (session.activeCharge) this.failUnsupported('the active charge is an Open Finance payment');
        else void this.createCharge();
        return;
      case 'expired':
        this.rememberCharge(session.activeCharge);
        this.setStatus('expired');
        this.follow(); // not final: a late payment can still land on the expired code
        return;
      case 'paid':
      case 'refunded':
      case 'cancelled':
        this.setStatus(session.status);
        if (session.status === 'paid') this.firePaidOnce();
        return;
      default:
        return assertNever(session.status);
    }
  }

  /** The checkout is open: ask for what is missing, then create the charge. */
  private begin(session: CheckoutSession): void {
    const offersPix = session.methods.includes('pix');
    if (this.method === 'open_finance' || !offersPix) {
      this.failUnsupported(this.method === 'open_finance' ? 'Open Finance is not available in this widget yet' : 'this checkout does not offer pix');
      return;
    }
    this.setStatus('open');
    if (session.payerRequired && !this.payer) this._step = 'payer_form';
    else if (this.needsMethodChoice()) this._step = 'method_choice';
    else void this.createCharge();
  }

  private needsMethodChoice(): boolean {
    return !this.method && (this._session?.methods.includes('open_finance') ?? false);
  }

  private async createCharge(): Promise<void> {
    const api = this.api;
    const run = this.run;
    if (!api || this._busy) return;
    this._busy = true;
    if (this._status === 'open') this._step = 'creating_charge';
    // A poll that left before this request must not undo the new code when it answers.
    this.statusController.discardPending();

    const result = await api.createPixCharge(this.payer);
    if (run !== this.run) return;
    this._busy = false;
    if (result.ok) {
      this.showCharge(result.value);
      return;
    }
    const { error } = result;
    if (error.reason === 'invalid_request' && error.field?.startsWith('payer') && this._status === 'open') {
      // The server disagrees with the form: back to it, with the field it named.
      this.payer = null;
      if (error.field === 'payer.name') this._nameError = this.msg.nameRequired;
      if (error.field === 'payer.document') this._documentError = this.msg.documentInvalid;
      this._step = 'payer_form';
      this.announce(this.msg.formHasErrors);
      this.dispatchEvent(new ConnectpspErrorEvent({ ...error, checkoutId: this.checkoutId ?? null }));
      return;
    }
    if (error.reason === 'conflict') {
      // Paid or cancelled meanwhile (another tab?): show what the server says now.
      void this.load();
      return;
    }
    this.fail(error);
  }

  /** Checks the code, shows it, and follows the payment. */
  private showCharge(charge: PixChargeView): void {
    const amount = this._session?.amount ?? charge.amount;
    const check = checkBrCode(charge.copyAndPaste, amount);
    if (!check.ok) {
      this.fail({ reason: 'invalid_brcode', message: `refusing to show the Pix code: ${check.reason}` });
      return;
    }
    if (this._charge?.view.transactionId !== charge.transactionId) this._copyState = 'idle';
    this._charge = { view: charge, brCode: check.value };
    this.countdown.set(charge.expiresAt, this.clockOffsetMs);
    if (remainingMs(charge.expiresAt, this.clockOffsetMs) <= 0) {
      this.moveTo('expired');
    } else {
      this.moveTo('awaiting_payment');
    }
    this.follow();
  }

  private follow(): void {
    if (this.api && !this.statusController.following) this.statusController.follow(this.api);
  }

  private rememberCharge(charge: ActiveChargeView | null): void {
    if (charge?.method !== 'pix') return;
    const check = checkBrCode(charge.copyAndPaste, this._session?.amount ?? charge.amount);
    if (check.ok) this._charge = { view: charge, brCode: check.value };
  }

  // ---------------------------------------------------------------------------------------------
  // Following: snapshots from the status controller, local expiry
  // ---------------------------------------------------------------------------------------------

  private handleSnapshot(snapshot: StatusSnapshot): void {
    if (this._status === 'loading' || this._status === 'error') return;
    if (snapshot.clockOffsetMs != null) {
      this.clockOffsetMs = snapshot.clockOffsetMs;
      if (this._charge) this.countdown.set(this._charge.view.expiresAt, this.clockOffsetMs);
    }
    if (snapshot.endToEndId) this.endToEndId = snapshot.endToEndId;
    if (snapshot.paidAt) this.paidAt = snapshot.paidAt;

    const charge = snapshot.activeCharge?.method === 'pix' ? snapshot.activeCharge : null;
    const next = effectiveStatus(snapshot.status, charge, Date.now() + this.clockOffsetMs);
    const current = this._status;
    if (next !== current && !canTransition(current, next)) return; // stale or out of order

    if (next === 'awaiting_payment' && charge && charge.transactionId !== this._charge?.view.transactionId) {
      this.showCharge(charge); // a new code, generated here or in another tab
      return;
    }
    this.moveTo(next);
  }

  /** The countdown reached zero: the code cannot be paid any more, whatever the server says yet. */
  private handleLocalExpiry(): void {
    if (this._status !== 'awaiting_payment') return;
    this.moveTo('expired');
    this.statusController.checkNow();
  }

  private handleConnectionChange(state: ConnectionState): void {
    if (state === 'reconnecting' && this._status === 'awaiting_payment') this.announce(this.msg.reconnecting);
    this.requestUpdate();
  }

  /** Applies a checkout status and fires what it implies. */
  private moveTo(status: CheckoutStatus): void {
    const previous = this._status;
    this.setStatus(status);
    if (status === 'expired' && previous !== 'expired') this.fireExpiredOnce();
    if (status === 'paid') this.firePaidOnce();
    if (isFinalForPayer(status)) this.countdown.set(null, 0);
  }

  // ---------------------------------------------------------------------------------------------
  // Status, events, announcements
  // ---------------------------------------------------------------------------------------------

  private setStatus(status: WidgetStatus): void {
    const previous = this._status;
    if (status === previous && this.hasUpdated) return;
    this._status = status;
    this.announce(this.msg.statusAnnouncement[status]);
    if (status !== previous) {
      this.dispatchEvent(new ConnectpspStatusEvent({ checkoutId: this.checkoutId ?? '', status, previous }));
    }
  }

  private firePaidOnce(): void {
    if (!this.checkoutId || !claimOnce(paidEventKey(this.checkoutId))) return;
    this.dispatchEvent(
      new ConnectpspPaidEvent({
        checkoutId: this.checkoutId,
        amount: this._session?.amount ?? this._charge?.view.amount ?? 0,
        endToEndId: this.endToEndId,
        paidAt: this.paidAt,
      }),
    );
  }

  private fireExpiredOnce(): void {
    const charge = this._charge?.view ?? null;
    const key = charge?.transactionId ?? '';
    if (this.expiredCharges.has(key)) return;
    this.expiredCharges.add(key);
    this.dispatchEvent(
      new ConnectpspExpiredEvent({
        checkoutId: this.checkoutId ?? '',
        transactionId: charge?.transactionId ?? null,
        expiresAt: charge?.expiresAt ?? null,
      }),
    );
  }

  /** Shows the error screen and reports it. Never throws: the page keeps working. */
  private fail(error: ConnectpspError): void {
    this.run++;
    this.loadAbort?.abort();
    this.statusController.stop();
    this.countdown.set(null, 0);
    this._busy = false;
    this._error = error;
    this.setStatus('error');
    this.announce(`${this.msg.statusAnnouncement.error}. ${errorMessage(this.msg, error.reason)}`);
    console.warn(`[connectpsp-checkout] ${error.reason}: ${error.message}`);
    this.dispatchEvent(new ConnectpspErrorEvent({ ...error, checkoutId: this.checkoutId ?? null }));
  }

  private failUnsupported(message: string): void {
    this.fail({ reason: 'unsupported_method', message });
  }

  private announce(text: string): void {
    this._announcement = text;
  }

  // ---------------------------------------------------------------------------------------------
  // Handlers
  // ---------------------------------------------------------------------------------------------

  private readonly handleNameInput = (value: string): void => {
    this._payerName = value;
    if (this._nameError) this._nameError = this.nameProblem();
  };

  private readonly handleDocumentInput = (value: string): void => {
    this._payerDocument = maskDocument(value);
    // Keep the masked value in the field even when the state did not change (a typed letter).
    const input = this.renderRoot.querySelector<HTMLInputElement>('#payer-document');
    if (input && input.value !== this._payerDocument) input.value = this._payerDocument;
    if (this._documentError) this._documentError = this.documentProblem();
  };

  private readonly handleBlur = (field: 'name' | 'document'): void => {
    if (field === 'name' && this._payerName) this._nameError = this.nameProblem();
    if (field === 'document' && this._payerDocument) this._documentError = this.documentProblem();
  };

  private readonly handleSubmit = (): void => {
    this._nameError = this.nameProblem();
    this._documentError = this.documentProblem();
    if (this._nameError || this._documentError) {
      this.announce(`${this.msg.formHasErrors} ${this._nameError ?? ''} ${this._documentError ?? ''}`.trim());
      void this.updateComplete.then(() => {
        this.renderRoot.querySelector<HTMLInputElement>('input[aria-invalid="true"]')?.focus();
      });
      return;
    }
    this.payer = { name: this._payerName.trim(), document: onlyDigits(this._payerDocument) };
    if (this.needsMethodChoice()) this._step = 'method_choice';
    else void this.createCharge();
  };

  private readonly handleCopy = async (): Promise<void> => {
    const text = this._charge?.view.copyAndPaste;
    if (!text) return;
    let copied = false;
    try {
      await navigator.clipboard.writeText(text);
      copied = true;
    } catch {
      // Refused (iOS without a gesture, an iframe without permission, http): select the text instead,
      // so one more tap on the system's own Copy does it (Adyen #3313).
      const field = this.renderRoot.querySelector<HTMLTextAreaElement>('textarea.code');
      if (field) {
        field.focus();
        field.setSelectionRange(0, field.value.length);
        try {
          copied = document.execCommand('copy');
        } catch {
          copied = false;
        }
      }
    }
    this._copyState = copied ? 'copied' : 'failed';
    this.announce(copied ? this.msg.copied : this.msg.copyFailed);
    clearTimeout(this.copyTimer);
    if (copied) this.copyTimer = setTimeout(() => (this._copyState = 'idle'), 3_000);
  };

  private readonly handleNewCode = (): void => {
    void this.createCharge();
  };

  private readonly handleRetry = (): void => {
    void this.load();
  };

  private nameProblem(): string | null {
    return checkName(this._payerName) ? this.msg.nameRequired : null;
  }

  private documentProblem(): string | null {
    const problem = checkDocument(this._payerDocument);
    return problem === 'incomplete' ? this.msg.documentIncomplete : problem === 'invalid' ? this.msg.documentInvalid : null;
  }

  // ---------------------------------------------------------------------------------------------
  // Rendering
  // ---------------------------------------------------------------------------------------------

  /** Identifies the screen on show, to move focus only when it changes. */
  private screenKey(): string {
    return this._status === 'open' ? `open:${this._step}` : this._status;
  }

  protected override render(): TemplateResult {
    const msg = this.msg;
    const locale = this.resolvedLocale();
    const showSummary = this._session !== null && this._status !== 'error';
    return html`<div part="base" class="base" lang=${locale}>
      <div class="visually-hidden" role="status" aria-live="polite" aria-atomic="true">${this._announcement}</div>
      ${showSummary ? renderSummary(this._session!, msg, locale) : null} ${this.renderScreen(msg, locale)}
    </div>`;
  }

  private renderScreen(msg: Messages, locale: Locale): TemplateResult {
    const status = this._status;
    switch (status) {
      case 'loading':
        return renderLoading(msg.loading);
      case 'open':
        return this.renderOpen(msg);
      case 'awaiting_payment':
        if (!this._charge) return renderLoading(msg.creatingCharge);
        return renderPixView({
          msg,
          charge: this._charge.view,
          brCode: this._charge.brCode,
          handheld: this.handheld.matches,
          remainingMs: this.countdown.remainingMs ?? 0,
          connection: this.statusController.connection,
          copyState: this._copyState,
          onCopy: this.handleCopy,
        });
      case 'paid':
        return renderPaid(msg, locale, this.endToEndId, this.paidAt);
      case 'expired':
        return renderExpired(msg, this._busy, this.handleNewCode);
      case 'refunded':
        return renderRefunded(msg);
      case 'cancelled':
        return renderCancelled(msg);
      case 'error':
        return renderError(msg, this._error ?? { reason: 'server_error', message: '' }, this.handleRetry);
      default:
        return assertNever(status);
    }
  }

  private renderOpen(msg: Messages): TemplateResult {
    switch (this._step) {
      case 'payer_form':
        return renderPayerForm({
          msg,
          name: this._payerName,
          document: this._payerDocument,
          nameError: this._nameError,
          documentError: this._documentError,
          busy: this._busy,
          onNameInput: this.handleNameInput,
          onDocumentInput: this.handleDocumentInput,
          onBlur: this.handleBlur,
          onSubmit: this.handleSubmit,
        });
      case 'method_choice':
        return renderMethodChoice({ msg, busy: this._busy, onPix: () => void this.createCharge() });
      case 'creating_charge':
        return renderLoading(msg.creatingCharge);
      default:
        return assertNever(this._step);
    }
  }
}

/**
 * `awaiting_payment` whose code is past its expiry (on the server's clock, as corrected here) is
 * `expired`, even if the server has not said so yet: the code can no longer be paid, and showing it
 * would invite a payment the bank refuses. Everything else is taken as the server says.
 */
export function effectiveStatus(status: CheckoutStatus, charge: PixChargeView | null, serverNowMs: number): CheckoutStatus {
  if (status === 'awaiting_payment' && charge && Date.parse(charge.expiresAt) <= serverNowMs) return 'expired';
  return status;
}

function assertNever(value: never): never {
  throw new Error(`Unexpected state: ${String(value)}`);
}
