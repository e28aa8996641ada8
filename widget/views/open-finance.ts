/**
 * The Open Finance screens: before leaving for the bank (`intro`), back from it while the server
 * asks ConnectPSP (`confirming`), an intent still open but not approved (`waiting`), and the bank
 * not approving it (`declined`). Each says where the payer is and what they can do next.
 */
import { html, type TemplateResult } from 'lit';

import type { OpenFinancePhase } from '../screen.js';
import type { Messages } from '../translations/index.js';
import { ALERT, button, loading, result } from './parts.js';

/** `go` starts, resumes or retries the payment at the bank; `useQr` switches to the QR code. */
export function openFinanceView(msg: Messages, phase: OpenFinancePhase, busy: boolean, go: () => void, useQr: () => void): TemplateResult {
  if (phase === 'confirming') return loading(msg.ofConfirming);
  const actions = html`${button('continue-button', phase === 'intro' ? msg.continue : phase === 'waiting' ? msg.ofBackToBank : msg.retry, busy, go)}
  ${button('new-code-button', msg.useQr, busy, useQr, true)}`;
  if (phase === 'declined') {
    return result('declined', ALERT, msg.ofDeclinedTitle, html`<p>${msg.ofDeclined}</p><div class="actions">${actions}</div>`);
  }
  return html`<section part="open-finance" class="stack" aria-labelledby="of-title">
    <h2 id="of-title" tabindex="-1" data-autofocus>${phase === 'intro' ? msg.methodOpenFinance : msg.ofWaitingTitle}</h2>
    <p>${phase === 'intro' ? msg.ofNext : msg.ofWaiting}</p>
    <div class="actions">${actions}</div>
  </section>`;
}
