/**
 * Styles of `<connectpsp-checkout>`. Adopted as a constructable stylesheet by Lit, which a strict
 * `style-src` CSP does not block; the element sets no `style` attribute anywhere (docs/protocols.md §5.2).
 *
 * Theming surface, public and semver-stable: the `--connectpsp-*` custom properties below and the
 * `part`s in the templates. Public tokens are copied once onto private `--_*` names, which is all the
 * internal rules read (the Material pattern), so a token can change its default without touching them.
 *
 * Light and dark: colours use `light-dark()`, which follows the element's `color-scheme`. That is
 * `light` by default — a card that turns black on a white merchant page because the payer's OS is
 * dark looks broken — and the merchant opts in with `theme="dark"` or `theme="auto"` (the payer's
 * `prefers-color-scheme`), or `--connectpsp-color-scheme`.
 */
import { css } from 'lit';

export const styles = css`
  :host {
    --_accent: var(--connectpsp-accent, light-dark(#00695c, #5fd3c3));
    --_accent-contrast: var(--connectpsp-accent-contrast, light-dark(#ffffff, #002b26));
    --_radius: var(--connectpsp-radius, 12px);
    --_qr-size: var(--connectpsp-qr-size, 14rem);
    --_background: var(--connectpsp-background, light-dark(#ffffff, #1c1c1e));
    --_foreground: var(--connectpsp-foreground, light-dark(#1b1b1f, #f2f2f4));
    --_muted: var(--connectpsp-muted, light-dark(#53535c, #b4b4bc));
    --_border: var(--connectpsp-border, light-dark(#d4d4da, #44444c));
    --_danger: var(--connectpsp-danger, light-dark(#b3261e, #ffb4ab));
    --_success: var(--connectpsp-success, light-dark(#1b6e3a, #7ddc9a));
    --_surface: light-dark(#f5f5f7, #26262a);

    color-scheme: var(--connectpsp-color-scheme, light);
    display: block;
    font-family: var(--connectpsp-font, system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif);
    font-size: 1rem;
    line-height: 1.45;
    color: var(--_foreground);
  }

  :host([hidden]) {
    display: none;
  }

  :host([theme='dark']) {
    color-scheme: dark;
  }

  :host([theme='auto']) {
    color-scheme: light dark;
  }

  * {
    box-sizing: border-box;
  }

  .base {
    background: var(--_background);
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    padding: 1.25rem;
    display: grid;
    gap: 1rem;
    max-width: 32rem;
  }

  h2,
  p {
    margin: 0;
  }

  h2 {
    font-size: 1.25rem;
    line-height: 1.3;
  }

  .summary {
    display: grid;
    gap: 0.125rem;
    padding-bottom: 0.75rem;
    border-bottom: 1px solid var(--_border);
  }

  .muted {
    color: var(--_muted);
    font-size: 0.9375rem;
  }

  /* The amount and, beside it, the time left: where the payer looks, above the fold. */
  .total {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    justify-content: space-between;
    gap: 0.25rem 0.75rem;
  }

  .amount {
    font-size: 1.75rem;
    font-weight: 700;
    font-variant-numeric: tabular-nums;
  }

  .countdown {
    font-variant-numeric: tabular-nums;
    font-weight: 600;
    padding: 0.25rem 0.625rem;
    border-radius: 1rem;
    background: var(--_surface);
  }

  /* The last minute: a colour and a border, not the colour alone. */
  .urgent {
    color: var(--_danger);
    outline: 2px solid;
  }

  /* Headings get focus on state changes, for screen readers; no ring for a non-interactive target. */
  [tabindex='-1']:focus {
    outline: none;
  }

  :focus-visible {
    outline: 3px solid var(--_accent);
    outline-offset: 2px;
  }

  button {
    font: inherit;
    font-weight: 600;
    min-height: 2.75rem; /* 44 px touch target */
    padding: 0.5rem 1rem;
    border-radius: calc(var(--_radius) * 0.75);
    border: 2px solid var(--_accent);
    background: var(--_accent);
    color: var(--_accent-contrast);
    cursor: pointer;
  }

  /* The alternative beside the main action. */
  .secondary {
    background: transparent;
    color: var(--_accent);
  }

  .stack,
  .result {
    display: grid;
    gap: 0.75rem;
  }

  .actions {
    display: flex;
    flex-wrap: wrap;
    gap: 0.5rem;
  }

  .actions button {
    flex: 1 1 12rem;
  }

  label {
    font-weight: 600;
  }

  input,
  textarea {
    font: inherit;
    color: var(--_foreground);
    background: var(--_background);
    border: 1px solid var(--_muted);
    border-radius: calc(var(--_radius) * 0.5);
    padding: 0.625rem 0.75rem;
    width: 100%;
  }

  input[aria-invalid='true'] {
    border: 2px solid var(--_danger);
  }

  .field-error {
    color: var(--_danger);
    font-size: 0.9375rem;
  }

  .qr-block {
    justify-items: center;
    text-align: center;
  }

  .qr {
    display: block;
    width: var(--_qr-size);
    height: var(--_qr-size);
    max-width: 100%;
    border-radius: calc(var(--_radius) * 0.5);
    /* Keeps a white frame around the code on dark backgrounds. */
    background: #fff;
  }

  /* All of the code shows, however narrow the phone: sized to its text (rows is the fallback). */
  textarea.code {
    font-family: ui-monospace, 'SFMono-Regular', Menlo, Consolas, monospace;
    font-size: 0.8125rem;
    word-break: break-all;
    resize: none;
    field-sizing: content;
    background: var(--_surface);
  }

  .status-line {
    display: flex;
    align-items: center;
    gap: 0.5rem;
    color: var(--_muted);
  }

  .reconnecting {
    border-inline-start: 4px solid var(--_danger);
    padding-inline-start: 0.75rem;
  }

  .result h2 {
    display: flex;
    align-items: center;
    gap: 0.5rem;
  }

  .result.paid h2 {
    color: var(--_success);
  }

  .result.error h2,
  .result.declined h2 {
    color: var(--_danger);
  }

  /* Receipts: label and value side by side, no list indent. */
  dl {
    display: grid;
    grid-template-columns: auto 1fr;
    gap: 0.5rem 1rem;
    margin: 0;
  }

  dt {
    color: var(--_muted);
  }

  dd {
    margin: 0;
    font-weight: 600;
    overflow-wrap: anywhere;
  }

  .e2e {
    font-family: ui-monospace, 'SFMono-Regular', Menlo, Consolas, monospace;
    font-size: 0.875rem;
    user-select: all;
  }

  .icon {
    width: 1.5rem;
    height: 1.5rem;
    flex: none;
  }

  .spinner {
    width: 1.25rem;
    height: 1.25rem;
    border-radius: 50%;
    border: 3px solid var(--_border);
    border-top-color: var(--_accent);
    animation: spin 0.9s linear infinite;
    flex: none;
  }

  .loading {
    display: flex;
    align-items: center;
    gap: 0.75rem;
    min-height: 4rem;
  }

  @keyframes spin {
    to {
      transform: rotate(360deg);
    }
  }

  .visually-hidden {
    position: absolute;
    width: 1px;
    height: 1px;
    overflow: hidden;
    clip-path: inset(50%);
    white-space: nowrap;
  }

  /* Nothing else moves: no transitions, no smooth scrolling. */
  @media (prefers-reduced-motion: reduce) {
    .spinner {
      animation: none;
      border-top-color: var(--_border);
      border-right-color: var(--_accent);
    }
  }
`;
