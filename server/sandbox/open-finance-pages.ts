/**
 * The HTML of the sandbox bank journey (open-finance-routes.ts), plus its stylesheet and countdown
 * script, served by the sandbox itself so the pages can run under a CSP with no inline code and no
 * third-party origin. Server-rendered, usable without JavaScript, in Brazilian Portuguese, and
 * marked as a sandbox on every page.
 *
 * Every value that comes from a request or a cash-in (names, documents, URLs, ids) goes through
 * `escapeHtml`; attributes are always double-quoted.
 */
import { centavosToReais } from '../money.js';

import type { SandboxInstitution } from './bank-logos.js';
import { brasiliaIso } from './clock.js';
import type { JourneyState } from './open-finance-journey.js';

/** Escapes text for HTML element content and double- or single-quoted attribute values. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}
const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Public paths the pages link to; `base` is where the journey is served (`/sandbox/open-finance`). */
export function journeyPaths(base: string, transactionId: string) {
  const at = `${base}/${encodeURIComponent(transactionId)}`;
  return {
    picker: at,
    consent: `${at}/consent`,
    approve: `${at}/approve`,
    reject: `${at}/reject`,
  };
}

export function assetPaths(base: string) {
  return {
    stylesheet: `${base}/assets/bank.css`,
    countdown: `${base}/assets/countdown.js`,
    logo: (id: string) => `${base}/logos/${encodeURIComponent(id)}.svg`,
  };
}

/** `R$ 10,50` (with the no-break space pt-BR uses). */
export function formatBrl(centavos: number): string {
  return new Intl.NumberFormat('pt-BR', { style: 'currency', currency: 'BRL' }).format(centavosToReais(centavos));
}

/**
 * A CPF as `***.456.789-**`, a CNPJ as `**.345.678/0001-**`: enough for the payer to recognise
 * their own document, not enough to copy it. Anything else keeps only its last two characters.
 */
export function maskDocument(document: string): string {
  if (/^\d{11}$/.test(document)) return `***.${document.slice(3, 6)}.${document.slice(6, 9)}-**`;
  if (/^\d{14}$/.test(document)) return `**.${document.slice(2, 5)}.${document.slice(5, 8)}/${document.slice(8, 12)}-**`;
  return `${'*'.repeat(Math.max(0, document.length - 2))}${document.slice(-2)}`;
}

/** `10/03/2026` and `11:20:00`, in Brasília (where the sandbox's transaction times live). */
function brasiliaDateTime(ms: number): { date: string; time: string } {
  const iso = brasiliaIso(ms);
  return { date: `${iso.slice(8, 10)}/${iso.slice(5, 7)}/${iso.slice(0, 4)}`, time: iso.slice(11, 19) };
}

/** `04:59`: whole seconds left, rounded up, so `00:00` means the time is really over. */
export function formatRemaining(ms: number): string {
  const seconds = Math.ceil(Math.max(0, ms) / 1000);
  return `${String(Math.floor(seconds / 60)).padStart(2, '0')}:${String(seconds % 60).padStart(2, '0')}`;
}

/** Only http(s) URLs become links: the stored redirect URL was validated, but a page never trusts it. */
function safeHref(url: string): string | null {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.href : null;
  } catch {
    return null;
  }
}

interface LayoutOptions {
  base: string;
  title: string;
  /** The institution whose screen this is; the picker and errors are the sandbox's own. */
  institution?: SandboxInstitution | undefined;
  main: string;
  countdown?: boolean;
}

/** Every part of a page sits in a landmark (the banner is an aside), so screen-reader users can skip around it. */
function layout(options: LayoutOptions): string {
  const assets = assetPaths(options.base);
  const brand = options.institution
    ? `<img src="${escapeHtml(assets.logo(options.institution.id))}" alt="" width="40" height="40"> <span>${escapeHtml(options.institution.name)}</span>`
    : '<span>Banco sandbox</span>';
  return `<!doctype html>
<html lang="pt-BR">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<title>${escapeHtml(options.title)} · SANDBOX</title>
<link rel="stylesheet" href="${escapeHtml(assets.stylesheet)}">
${options.countdown ? `<script src="${escapeHtml(assets.countdown)}" defer></script>\n` : ''}</head>
<body>
<a class="skip-link" href="#conteudo">Pular para o conteúdo</a>
<aside class="sandbox-banner" aria-label="Aviso"><strong>SANDBOX</strong> — ambiente de testes, sem dinheiro real. Nenhum valor é debitado ou transferido.</aside>
<header class="bank-header"><p class="brand">${brand}</p></header>
<main id="conteudo" tabindex="-1">
${options.main}
</main>
<footer class="bank-footer"><p>Banco simulado pelo sandbox da ConnectPSP · Pix via Open Finance</p></footer>
</body>
</html>
`;
}

/** The payment, in the words of the consent rules (docs/protocols.md §2.5): amount, recipient, payer… */
interface PaymentSummary {
  transactionId: string;
  /** Centavos. */
  amount: number;
  merchantName: string;
  payer: { name: string; document: string };
}

function remainingBlock(remainingMs: number, deadlineMs: number): string {
  const { date, time } = brasiliaDateTime(deadlineMs);
  return `<section class="timer-box" aria-labelledby="prazo-titulo">
<h2 id="prazo-titulo">Prazo para autorizar</h2>
<p class="timer-line">Tempo restante: <span id="consent-timer" class="timer" role="timer" aria-label="Tempo restante para autorizar" data-remaining-ms="${Math.max(0, Math.round(remainingMs))}">${formatRemaining(remainingMs)}</span></p>
<p>Autorize até <strong>${time}</strong> de ${date} (horário de Brasília). Depois disso o consentimento expira e nada é debitado.</p>
<p id="timer-status" class="timer-status" role="status"></p>
</section>`;
}

export interface PickerPageInput extends PaymentSummary {
  base: string;
  institutions: readonly SandboxInstitution[];
  redirectUrl: string;
  /** Preselected institution (the one chosen last). */
  selected?: string | null | undefined;
  /** Shown above the list, e.g. when no institution was chosen. */
  error?: string | undefined;
  /** Once the consent window has started, how long is left and until when. */
  window?: { remainingMs: number; deadlineMs: number } | undefined;
}

/**
 * Step 1 (ITP): choose the institution. The docs do not say whether ConnectPSP hosts a bank picker
 * behind `paymentUrl` or takes the bank in the request (docs/connectpsp.md §3.1); the sandbox takes the
 * first reading, so the merchant page needs no bank list of its own.
 */
export function pickerPage(input: PickerPageInput): string {
  const paths = journeyPaths(input.base, input.transactionId);
  const assets = assetPaths(input.base);
  const back = safeHref(input.redirectUrl);
  const options = input.institutions
    .map(
      (institution) => `<li><label class="bank-option">
<input type="radio" name="bank" value="${escapeHtml(institution.id)}" required${institution.id === input.selected ? ' checked' : ''}>
<img src="${escapeHtml(assets.logo(institution.id))}" alt="" width="40" height="40">
<span>${escapeHtml(institution.name)}</span>
</label></li>`,
    )
    .join('\n');
  const main = `<h1>Escolha sua instituição</h1>
<p class="lead">Pagamento de <strong>${escapeHtml(formatBrl(input.amount))}</strong> para <strong>${escapeHtml(input.merchantName)}</strong> via Pix, autorizado na sua instituição pelo Open Finance.</p>
${input.error ? `<p class="error" role="alert">${escapeHtml(input.error)}</p>\n` : ''}${input.window ? remainingBlock(input.window.remainingMs, input.window.deadlineMs) + '\n' : ''}<form method="get" action="${escapeHtml(paths.consent)}" class="picker">
<fieldset>
<legend>Instituições disponíveis</legend>
<ul class="bank-list">
${options}
</ul>
</fieldset>
<p>Você será levado à instituição escolhida para revisar e autorizar o pagamento.</p>
<button type="submit" class="primary">Continuar para a instituição</button>
</form>
${back ? `<p class="back"><a href="${escapeHtml(back)}">Voltar para a loja sem pagar agora</a></p>` : ''}`;
  return layout({ base: input.base, title: 'Escolha sua instituição', main, countdown: Boolean(input.window) });
}

export interface ConsentPageInput extends PaymentSummary {
  base: string;
  institution: SandboxInstitution;
  /** When the payment would be made (today: Pix via Open Finance is immediate here). */
  paymentDateMs: number;
  remainingMs: number;
  deadlineMs: number;
}

/**
 * Steps 3–4 (the institution): review and authorise. Shows what Open Finance Brasil asks a consent
 * to show — amount, recipient, payer with a masked document, the institution, the date — and the
 * 5-minute window, then three plain forms: authorise, refuse, choose another institution.
 */
export function consentPage(input: ConsentPageInput): string {
  const paths = journeyPaths(input.base, input.transactionId);
  const { date } = brasiliaDateTime(input.paymentDateMs);
  const bankField = `<input type="hidden" name="bank" value="${escapeHtml(input.institution.id)}">`;
  const main = `<h1>Autorize o pagamento via Pix</h1>
<p class="lead"><strong>${escapeHtml(input.merchantName)}</strong> pede, pela ConnectPSP, um pagamento a partir da sua conta em ${escapeHtml(input.institution.name)}. Confira os dados antes de autorizar.</p>
${remainingBlock(input.remainingMs, input.deadlineMs)}
<section aria-labelledby="detalhes-titulo">
<h2 id="detalhes-titulo">Detalhes do pagamento</h2>
<dl class="details">
<div><dt>Valor</dt><dd class="amount">${escapeHtml(formatBrl(input.amount))}</dd></div>
<div><dt>Forma de pagamento</dt><dd>Pix via Open Finance</dd></div>
<div><dt>Recebedor</dt><dd>${escapeHtml(input.merchantName)}</dd></div>
<div><dt>Pagador</dt><dd>${escapeHtml(input.payer.name)}</dd></div>
<div><dt>${input.payer.document.length === 14 ? 'CNPJ' : 'CPF'} do pagador</dt><dd>${escapeHtml(maskDocument(input.payer.document))}</dd></div>
<div><dt>Instituição</dt><dd>${escapeHtml(input.institution.name)} <span class="muted">(${escapeHtml(input.institution.legalName)})</span></dd></div>
<div><dt>Data do pagamento</dt><dd>${date} (hoje)</dd></div>
<div><dt>Identificação</dt><dd class="mono">${escapeHtml(input.transactionId)}</dd></div>
</dl>
</section>
<section aria-labelledby="acoes-titulo" class="actions">
<h2 id="acoes-titulo" class="visually-hidden">O que você quer fazer?</h2>
<form method="post" action="${escapeHtml(paths.approve)}">
${bankField}
<button type="submit" class="primary">Autorizar pagamento de ${escapeHtml(formatBrl(input.amount))}</button>
</form>
<form method="post" action="${escapeHtml(paths.reject)}">
${bankField}
<button type="submit" class="secondary">Recusar</button>
</form>
<form method="get" action="${escapeHtml(paths.picker)}">
<button type="submit" class="link-button">Escolher outra instituição</button>
</form>
</section>`;
  return layout({ base: input.base, title: 'Autorize o pagamento', institution: input.institution, main, countdown: true });
}

export interface OutcomePageInput {
  base: string;
  state: Exclude<JourneyState, { kind: 'open' }>;
  redirectUrl: string;
  amount: number;
  merchantName: string;
  endToEndId?: string | null | undefined;
  institution?: SandboxInstitution | undefined;
}

const OUTCOMES: Record<OutcomePageInput['state']['kind'], { title: string; text: string }> = {
  paid: { title: 'Este pagamento já foi feito', text: 'O pagamento já foi autorizado e concluído. Nada mais será debitado.' },
  rejected: {
    title: 'Pagamento recusado',
    text: 'Você recusou este pagamento. Nenhum valor foi debitado. Na loja, você pode tentar de novo ou escolher outra forma de pagamento.',
  },
  timed_out: {
    title: 'O tempo para autorizar acabou',
    text: 'O prazo de 5 minutos para autorizar este pagamento terminou e o consentimento expirou. Nenhum valor foi debitado. Na loja, você pode tentar de novo ou pagar com o QR Code Pix.',
  },
  expired: {
    title: 'Cobrança expirada',
    text: 'Esta cobrança expirou antes de ser paga. Nenhum valor foi debitado. Volte para a loja para gerar uma nova.',
  },
};

/** A journey that has ended (or cannot go on): what happened, the code, and the way back. */
export function outcomePage(input: OutcomePageInput): string {
  const outcome = OUTCOMES[input.state.kind];
  const back = safeHref(input.redirectUrl);
  const code = 'code' in input.state ? `<p class="code">Código: <span class="mono">${escapeHtml(input.state.code)}</span></p>\n` : '';
  const e2e =
    input.state.kind === 'paid' && input.endToEndId
      ? `<p>Identificador do pagamento (E2E): <span class="mono">${escapeHtml(input.endToEndId)}</span></p>\n`
      : '';
  const main = `<h1>${outcome.title}</h1>
<p class="lead">${escapeHtml(formatBrl(input.amount))} para ${escapeHtml(input.merchantName)}.</p>
<p>${outcome.text}</p>
${code}${e2e}${back ? `<p><a class="button" href="${escapeHtml(back)}">Voltar para a loja</a></p>` : ''}`;
  return layout({ base: input.base, title: outcome.title, institution: input.institution, main });
}

/** A plain error page: unknown payment, bad request, unexpected failure. */
export function errorPage(input: {
  base: string;
  title: string;
  text: string;
  link?: { href: string; label: string } | undefined;
}): string {
  const main = `<h1>${escapeHtml(input.title)}</h1>
<p>${escapeHtml(input.text)}</p>
${input.link ? `<p><a class="button" href="${escapeHtml(input.link.href)}">${escapeHtml(input.link.label)}</a></p>` : ''}`;
  return layout({ base: input.base, title: input.title, main });
}

/** Ticks the countdown once a second. Without it the page still shows the time left and the deadline. */
export const COUNTDOWN_SCRIPT = `'use strict';
(function () {
  var timer = document.getElementById('consent-timer');
  if (!timer) return;
  var remaining = Number(timer.getAttribute('data-remaining-ms'));
  if (!isFinite(remaining)) return;
  var status = document.getElementById('timer-status');
  // Counted from page load with a monotonic clock: the payer's wall clock may be off.
  var started = performance.now();
  function pad(n) { return (n < 10 ? '0' : '') + n; }
  function tick() {
    var left = Math.max(0, remaining - (performance.now() - started));
    var seconds = Math.ceil(left / 1000);
    timer.textContent = pad(Math.floor(seconds / 60)) + ':' + pad(seconds % 60);
    if (left <= 0) {
      clearInterval(handle);
      if (status) status.textContent = 'O tempo para autorizar acabou. Nada foi debitado; volte para a loja para tentar de novo.';
    }
  }
  var handle = setInterval(tick, 250);
  tick();
})();
`;

export const STYLESHEET = `:root {
  color-scheme: light;
  --ink: #1b1f24;
  --muted: #57606a;
  --line: #d0d7de;
  --accent: #0b5cad;
  --accent-ink: #ffffff;
  --danger: #a40e26;
  --bg: #f6f8fa;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif;
  line-height: 1.5;
  color: var(--ink);
  background: var(--bg);
}
* { box-sizing: border-box; }
body { margin: 0; }
.skip-link { position: absolute; left: -9999px; }
.skip-link:focus { left: 1rem; top: 1rem; background: #fff; padding: .5rem 1rem; z-index: 1; }
.sandbox-banner {
  background: repeating-linear-gradient(135deg, #ffd33d 0 16px, #ffdf5d 16px 32px);
  color: #24292f; text-align: center; padding: .5rem 1rem; font-size: .95rem; border-bottom: 2px solid #24292f;
}
.bank-header { background: #fff; border-bottom: 1px solid var(--line); }
.brand { display: flex; align-items: center; gap: .75rem; max-width: 40rem; margin: 0 auto; padding: .75rem 1rem; font-weight: 700; font-size: 1.1rem; }
main { max-width: 40rem; margin: 1.5rem auto; padding: 1.5rem; background: #fff; border: 1px solid var(--line); border-radius: 12px; }
main:focus { outline: none; }
h1 { font-size: 1.5rem; margin: 0 0 .75rem; }
h2 { font-size: 1.1rem; margin: 1.25rem 0 .5rem; }
.lead { font-size: 1.05rem; }
.muted { color: var(--muted); }
.mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; word-break: break-all; }
.error { color: var(--danger); font-weight: 600; }
fieldset { border: 0; padding: 0; margin: 0; }
legend { font-weight: 600; margin-bottom: .5rem; }
.bank-list { list-style: none; padding: 0; margin: 0; display: grid; gap: .5rem; grid-template-columns: repeat(auto-fill, minmax(14rem, 1fr)); }
.bank-option { display: flex; align-items: center; gap: .75rem; padding: .6rem .75rem; border: 1px solid var(--line); border-radius: 10px; cursor: pointer; }
.bank-option:hover { border-color: var(--accent); }
.bank-option:focus-within { outline: 3px solid var(--accent); outline-offset: 2px; }
.bank-option input { width: 1.1rem; height: 1.1rem; }
.timer-box { border: 1px solid var(--line); border-radius: 10px; padding: .25rem 1rem; background: #fffbea; }
.timer { font-size: 1.6rem; font-weight: 700; font-variant-numeric: tabular-nums; }
.timer-status:empty { display: none; }
.timer-status { color: var(--danger); font-weight: 600; }
.details { margin: 0; }
.details div { display: flex; justify-content: space-between; gap: 1rem; padding: .4rem 0; border-bottom: 1px solid var(--line); }
.details dt { color: var(--muted); }
.details dd { margin: 0; text-align: right; font-weight: 600; }
.details .amount { font-size: 1.2rem; }
.actions { display: flex; flex-direction: column; gap: .75rem; margin-top: 1.5rem; }
.actions form { margin: 0; }
button, .button {
  display: inline-block; font: inherit; font-weight: 600; padding: .7rem 1.2rem; border-radius: 8px; border: 2px solid var(--accent);
  background: #fff; color: var(--accent); cursor: pointer; text-decoration: none; width: 100%; text-align: center;
}
button.primary, .button { background: var(--accent); color: var(--accent-ink); }
button.secondary { border-color: var(--danger); color: var(--danger); }
button.link-button { border-color: transparent; text-decoration: underline; }
button:focus-visible, a:focus-visible { outline: 3px solid #1f6feb; outline-offset: 2px; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
.back { margin-top: 1rem; text-align: center; }
.bank-footer { text-align: center; color: var(--muted); font-size: .85rem; padding: 0 1rem 2rem; }
`;
