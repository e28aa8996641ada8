/**
 * The PIX screen: the QR code, the Copia e Cola code and its copy button, and whether the payment
 * is being watched. The time left is drawn beside the amount (the summary), not here.
 */
import { html, nothing, type TemplateResult } from 'lit';

import type { PixChargeView } from '../contract/wire-contract.js';
import type { BrCodeInfo } from '../brcode-check.js';
import { renderQr } from '../qr.js';
import type { Messages } from '../translations/index.js';

export type CopyState = 'idle' | 'copied' | 'failed';

/**
 * `receiver`: who the BR Code says gets the money. `handheld`: a phone-like device, where the code to
 * copy comes first and the QR second (nobody scans their own screen).
 */
export function pixView(
  msg: Messages,
  charge: PixChargeView,
  receiver: BrCodeInfo,
  handheld: boolean,
  reconnecting: boolean,
  copyState: CopyState,
  onCopy: () => void,
): TemplateResult {
  const code = charge.copyAndPaste;
  const codeBlock = html`<div class="stack">
    <p part="instructions" id="copy-instructions">${msg.copyInstructions}</p>
    <textarea
      part="code"
      class="code"
      readonly
      rows=${Math.ceil(code.length / 26)}
      aria-label=${msg.codeLabel}
      aria-describedby="copy-instructions"
      .value=${code}
      @focus=${(event: FocusEvent) => (event.target as HTMLTextAreaElement).select()}
    ></textarea>
    <button type="button" part="button copy-button" @click=${onCopy}>${copyState === 'copied' ? msg.copied : msg.copy}</button>
    ${copyState === 'failed' ? html`<p class="field-error">${msg.copyFailed}</p>` : nothing}
  </div>`;

  const qrBlock = html`<div class="stack qr-block">
    ${renderQr(code, msg.qrLabel)}
    <p part="instructions">${msg.scanInstructions}</p>
  </div>`;

  return html`<section class="stack pix" part="pix" aria-labelledby="pix-title">
    <h2 id="pix-title" tabindex="-1" data-autofocus>${msg.pixTitle}</h2>
    ${
      reconnecting
        ? html`<p part="status" class="status-line reconnecting">${msg.reconnecting}</p>`
        : html`<p part="status" class="status-line"><span class="spinner" aria-hidden="true"></span>${msg.waiting}</p>`
    }
    ${handheld ? [codeBlock, qrBlock] : [qrBlock, codeBlock]}
    <p class="muted">${msg.recipientLabel}: ${receiver.merchantName} (${receiver.merchantCity})</p>
  </section>`;
}
