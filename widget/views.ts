/**
 * The templates of each screen, as plain functions of their inputs. The element decides *which*
 * screen and holds the state; these only draw, so each can be read (and changed) on its own.
 *
 * Conventions: the element to focus when a screen appears carries `data-autofocus`; headings that
 * receive focus have `tabindex="-1"`. Nothing here sets a `style` attribute (strict CSP).
 */
import { html, nothing, svg, type TemplateResult } from 'lit';

import type { CheckoutSession, PixChargeView } from '../server/contract.js';
import type { ParsedBrCode } from '../server/pix/brcode.js';
import type { ConnectpspError, ConnectpspErrorReason } from './events.js';
import { formatBRL, formatCountdown, formatDateTime } from './format.js';
import { renderQr } from './qr.js';
import type { ConnectionState } from './status-controller.js';
import type { Messages } from './translations/index.js';

const icons = {
  check: svg`<path d="M9 16.2 4.8 12l-1.4 1.4L9 19 21 7l-1.4-1.4z"/>`,
  clock: svg`<path d="M12 2a10 10 0 1 0 0 20 10 10 0 0 0 0-20zm0 18a8 8 0 1 1 0-16 8 8 0 0 1 0 16zm.5-13H11v6l5.2 3.2.8-1.3-4.5-2.7z"/>`,
  alert: svg`<path d="M1 21h22L12 2 1 21zm12-3h-2v-2h2v2zm0-4h-2v-4h2v4z"/>`,
};

function icon(name: keyof typeof icons): TemplateResult {
  return html`<svg class="icon" viewBox="0 0 24 24" fill="currentColor" aria-hidden="true">${icons[name]}</svg>`;
}

export function renderLoading(text: string): TemplateResult {
  return html`<div part="loading" class="loading">
    <span class="spinner" aria-hidden="true"></span>
    <p tabindex="-1" data-autofocus>${text}</p>
  </div>`;
}

export function renderSummary(session: CheckoutSession, msg: Messages, locale: string): TemplateResult {
  return html`<header part="summary" class="summary">
    <p class="merchant">${msg.payTo(session.merchantName)}</p>
    ${session.description ? html`<p class="description">${session.description}</p>` : nothing}
    <p part="amount" class="amount">
      <span class="visually-hidden">${msg.amountLabel}: </span>${formatBRL(session.amount, locale)}
    </p>
  </header>`;
}

export interface PayerFormProps {
  msg: Messages;
  name: string;
  document: string;
  nameError: string | null;
  documentError: string | null;
  busy: boolean;
  onNameInput: (value: string) => void;
  onDocumentInput: (value: string) => void;
  onBlur: (field: 'name' | 'document') => void;
  onSubmit: () => void;
}

export function renderPayerForm(p: PayerFormProps): TemplateResult {
  const { msg } = p;
  const submit = (event: SubmitEvent) => {
    event.preventDefault();
    if (!p.busy) p.onSubmit();
  };
  return html`<form part="form" novalidate aria-labelledby="form-title" @submit=${submit}>
    <h2 id="form-title">${msg.payerFormTitle}</h2>
    <p class="hint">${msg.payerFormHint}</p>
    <div class="field">
      <label for="payer-name">${msg.nameLabel}</label>
      <input
        id="payer-name"
        part="input"
        name="name"
        autocomplete="name"
        required
        data-autofocus
        aria-invalid=${p.nameError ? 'true' : 'false'}
        aria-describedby=${p.nameError ? 'payer-name-error' : nothing}
        .value=${p.name}
        @input=${(e: InputEvent) => p.onNameInput((e.target as HTMLInputElement).value)}
        @blur=${() => p.onBlur('name')}
      />
      ${p.nameError ? html`<p id="payer-name-error" part="field-error" class="field-error">${p.nameError}</p>` : nothing}
    </div>
    <div class="field">
      <label for="payer-document">${msg.documentLabel}</label>
      <input
        id="payer-document"
        part="input"
        name="document"
        inputmode="numeric"
        autocomplete="off"
        maxlength="18"
        required
        aria-invalid=${p.documentError ? 'true' : 'false'}
        aria-describedby=${p.documentError ? 'payer-document-error' : nothing}
        .value=${p.document}
        @input=${(e: InputEvent) => p.onDocumentInput((e.target as HTMLInputElement).value)}
        @blur=${() => p.onBlur('document')}
      />
      ${p.documentError
        ? html`<p id="payer-document-error" part="field-error" class="field-error">${p.documentError}</p>`
        : nothing}
    </div>
    <button type="submit" part="button submit-button" aria-disabled=${p.busy ? 'true' : 'false'}>
      ${p.busy ? msg.creatingCharge : msg.continue}
    </button>
  </form>`;
}

export interface MethodChoiceProps {
  msg: Messages;
  busy: boolean;
  onPix: () => void;
}

/**
 * Pix QR or Pix via Open Finance. Open Finance is declared in the contract but not built yet, so
 * its option is shown disabled; the `connectpsp-redirect` event is ready for when it is.
 */
export function renderMethodChoice({ msg, busy, onPix }: MethodChoiceProps): TemplateResult {
  return html`<div part="methods" class="methods" role="group" aria-labelledby="methods-title">
    <h2 id="methods-title" tabindex="-1" data-autofocus>${msg.methodChoiceTitle}</h2>
    <button type="button" part="button method-button" aria-disabled=${busy ? 'true' : 'false'} @click=${() => !busy && onPix()}>
      ${busy ? msg.creatingCharge : msg.methodPix}
    </button>
    <button type="button" part="button method-button" class="secondary" disabled>
      ${msg.methodOpenFinance} <span class="method-note">(${msg.methodUnavailable})</span>
    </button>
  </div>`;
}

export type CopyState = 'idle' | 'copied' | 'failed';

export interface PixViewProps {
  msg: Messages;
  charge: PixChargeView;
  brCode: ParsedBrCode;
  /** Phone-like device: the code to copy comes first, the QR second (nobody scans their own screen). */
  handheld: boolean;
  remainingMs: number;
  connection: ConnectionState;
  copyState: CopyState;
  onCopy: () => void;
}

export function renderPixView(p: PixViewProps): TemplateResult {
  const { msg, charge } = p;
  const total = Math.max(1, Date.parse(charge.expiresAt) - Date.parse(charge.createdAt));
  const selectAll = (e: FocusEvent) => (e.target as HTMLTextAreaElement).select();

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
      @focus=${selectAll}
    ></textarea>
    <button type="button" part="button copy-button" @click=${p.onCopy}>${p.copyState === 'copied' ? msg.copied : msg.copy}</button>
    ${p.copyState === 'failed' ? html`<p class="error-text">${msg.copyFailed}</p>` : nothing}
  </div>`;

  const qrBlock = html`<div class="qr-block">
    ${renderQr(charge.copyAndPaste, msg.qrLabel)}
    <p part="instructions">${msg.scanInstructions}</p>
  </div>`;

  return html`<section class="pix" part="pix" aria-labelledby="pix-title">
    <h2 id="pix-title" tabindex="-1" data-autofocus>${msg.pixTitle}</h2>
    ${p.handheld ? [codeBlock, qrBlock] : [qrBlock, codeBlock]}
    <div part="countdown" class="countdown">
      <p role="timer" aria-atomic="true">${msg.expiresIn(formatCountdown(p.remainingMs))}</p>
      <progress max=${total} .value=${Math.max(0, p.remainingMs)} aria-hidden="true"></progress>
    </div>
    ${p.connection === 'reconnecting'
      ? html`<p part="status" class="status-line reconnecting">${msg.reconnecting}</p>`
      : html`<p part="status" class="status-line"><span class="spinner" aria-hidden="true"></span>${msg.waiting}</p>`}
    <p class="receiver">${msg.receiver(p.brCode.merchantName, p.brCode.merchantCity)}</p>
  </section>`;
}

function renderResult(kind: string, title: TemplateResult, body: unknown): TemplateResult {
  return html`<section part="result" class="result ${kind}" aria-labelledby="result-title">
    <h2 id="result-title" tabindex="-1" data-autofocus>${title}</h2>
    ${body}
  </section>`;
}

export function renderPaid(msg: Messages, locale: string, endToEndId: string | null, paidAt: string | null): TemplateResult {
  const when = paidAt ? formatDateTime(paidAt, locale) : '';
  return renderResult(
    'paid',
    html`${icon('check')}${msg.paidTitle}`,
    html`<p>${msg.paidMessage}</p>
      ${when ? html`<p class="muted">${msg.paidAt(when)}</p>` : nothing}
      ${endToEndId
        ? html`<dl>
            <dt class="muted">${msg.endToEndLabel}</dt>
            <dd part="e2e" class="e2e">${endToEndId}</dd>
          </dl>`
        : nothing}`,
  );
}

export function renderExpired(msg: Messages, busy: boolean, onNewCode: () => void): TemplateResult {
  return renderResult(
    'expired',
    html`${icon('clock')}${msg.expiredTitle}`,
    html`<p>${msg.expiredMessage}</p>
      <button type="button" part="button new-code-button" aria-disabled=${busy ? 'true' : 'false'} @click=${() => !busy && onNewCode()}>
        ${busy ? msg.creatingCharge : msg.newCode}
      </button>`,
  );
}

export function renderRefunded(msg: Messages): TemplateResult {
  return renderResult('refunded', html`${msg.refundedTitle}`, html`<p>${msg.refundedMessage}</p>`);
}

export function renderCancelled(msg: Messages): TemplateResult {
  return renderResult('cancelled', html`${msg.cancelledTitle}`, html`<p>${msg.cancelledMessage}</p>`);
}

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

/** Failures a second attempt can fix; the others need the merchant (a new link, a fixed page). */
export const RETRYABLE: ReadonlySet<ConnectpspErrorReason> = new Set([
  'network_error',
  'invalid_response',
  'gateway_error',
  'rate_limited',
  'server_error',
  'invalid_brcode',
  'conflict',
]);

export function errorMessage(msg: Messages, reason: ConnectpspErrorReason): string {
  return msg[ERROR_MESSAGE[reason]] as string;
}

export function renderError(msg: Messages, error: ConnectpspError, onRetry: () => void): TemplateResult {
  const retryable = RETRYABLE.has(error.reason);
  return html`<section part="result error" class="result error" role="alert" aria-labelledby="result-title" data-reason=${error.reason}>
    <h2 id="result-title" tabindex="-1" data-autofocus>${icon('alert')}${msg.errorTitle}</h2>
    <p>${errorMessage(msg, error.reason)}</p>
    ${retryable
      ? html`<button type="button" part="button retry-button" @click=${onRetry}>${msg.retry}</button>`
      : html`<p class="muted">${msg.contactStore}</p>`}
  </section>`;
}
