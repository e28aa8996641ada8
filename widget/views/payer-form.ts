/** The payer form: name and CPF/CNPJ, which ConnectPSP requires on every charge. */
import { html, nothing, type TemplateResult } from 'lit';

import type { Messages } from '../translations/index.js';

/** One field: its name, label, value, error, and input and blur handlers. */
export type PayerField = [
  name: 'name' | 'document',
  label: string,
  value: string,
  error: string | null,
  onInput: (event: Event) => void,
  onBlur: () => void,
];

export function payerFormView(msg: Messages, busy: boolean, onSubmit: (event: SubmitEvent) => void, fields: PayerField[]): TemplateResult {
  return html`<form part="form" class="stack" novalidate aria-labelledby="form-title" @submit=${onSubmit}>
    <h2 id="form-title">${msg.payerFormTitle}</h2>
    <p class="muted">${msg.payerFormHint}</p>
    ${fields.map(field)}
    <button type="submit" part="button submit-button" aria-disabled=${String(busy)}>${busy ? msg.creatingCharge : msg.continue}</button>
  </form>`;
}

/** One field; the name field takes the focus, the document one is numeric. */
function field([name, label, value, error, onInput, onBlur]: PayerField): TemplateResult {
  const id = `payer-${name}`;
  const isName = name === 'name';
  return html`<div class="stack field">
    <label for=${id}>${label}</label>
    <input
      id=${id}
      part="input"
      name=${name}
      autocomplete=${isName ? 'name' : 'off'}
      inputmode=${isName ? nothing : 'numeric'}
      maxlength=${isName ? nothing : 18}
      required
      ?data-autofocus=${isName}
      aria-invalid=${String(!!error)}
      aria-describedby=${error ? `${id}-error` : nothing}
      .value=${value}
      @input=${onInput}
      @blur=${onBlur}
    />
    ${error ? html`<p id="${id}-error" part="field-error" class="field-error">${error}</p>` : nothing}
  </div>`;
}
