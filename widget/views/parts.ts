/**
 * Pieces every screen of `<connectpsp-checkout>` is drawn with. Conventions: the element to focus
 * when a screen appears carries `data-autofocus`; headings that receive focus have `tabindex="-1"`;
 * nothing sets a `style` attribute (strict CSP).
 */
import { html, nothing, type TemplateResult } from 'lit';

/** Icons of the result headings (24×24 paths). */
export const CHECK = 'M9 16.2 4.8 12l-1.4 1.4L9 19 21 7l-1.4-1.4z';
export const CLOCK = 'M12 2a10 10 0 1 0 0 20 10 10 0 0 0 0-20zm0 18a8 8 0 1 1 0-16 8 8 0 0 1 0 16zm.5-13H11v6l5.2 3.2.8-1.3-4.5-2.7z';
export const ALERT = 'M1 21h22L12 2 1 21zm12-3h-2v-2h2v2zm0-4h-2v-4h2v4z';
/** An arrow back: the money went back to the payer. */
export const RETURN = 'M20 11H7.8l5.6-5.6L12 4l-8 8 8 8 1.4-1.4L7.8 13H20z';

export const icon = (path: string): TemplateResult =>
  html`<svg class="icon" viewBox="0 0 24 24" fill="currentColor" aria-hidden="true"><path d=${path}></path></svg>`;

/**
 * A button that stays focusable while busy (`aria-disabled`, not `disabled`) and ignores clicks then.
 * `secondary`: the alternative beside the main action (outlined, not filled).
 */
export function button(part: string, label: string, busy: boolean, onClick: () => void, secondary?: boolean): TemplateResult {
  return html`<button
    type="button"
    part="button ${part}"
    class=${secondary ? 'secondary' : nothing}
    aria-disabled=${String(busy)}
    @click=${() => busy || onClick()}
  >
    ${label}
  </button>`;
}

export function loading(text: string): TemplateResult {
  return html`<div part="loading" class="loading">
    <span class="spinner" aria-hidden="true"></span>
    <p tabindex="-1" data-autofocus>${text}</p>
  </div>`;
}

/** The paid, expired, declined, refunded, cancelled and error panels; `reason` makes it the error panel. */
export function result(kind: string, path: string, title: string, body: unknown, reason?: string): TemplateResult {
  return html`<section
    part=${reason ? 'result error' : 'result'}
    class="result ${kind}"
    role=${reason ? 'alert' : nothing}
    aria-labelledby="result-title"
    data-reason=${reason ?? nothing}
  >
    <h2 id="result-title" tabindex="-1" data-autofocus>${icon(path)}${title}</h2>
    ${body}
  </section>`;
}

/** A receipt: label / value rows (a third item names the value's part), the rows without a value left out. */
export function details(rows: [string, string | false | null | undefined, string?][]): TemplateResult {
  return html`<dl part="details">
    ${rows.map(([label, value, part]) =>
      value ? html`<dt>${label}</dt><dd part=${part ?? nothing} class=${part ?? nothing}>${value}</dd>` : nothing,
    )}
  </dl>`;
}
