/**
 * `<cpc-console>`: the operator console's page. It renders into the light DOM so the one
 * stylesheet from 'self' (console.css) styles it under the strict CSP. Routes are hash routes
 * (`#/checkouts`, `#/checkouts/:id`, `#/alerts`, `#/outbox`, `#/payouts`, `#/balances`); every
 * action sends the session's CSRF token; the server never sends a secret or a whole CPF/CNPJ.
 */
import { html, LitElement, nothing, type TemplateResult } from 'lit';
import { formatMoney, formatTime, MESSAGES, parseReais, type Locale, type Messages } from './messages.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const STATUSES = ['open', 'awaiting_payment', 'paid', 'expired', 'refunded', 'cancelled'];
const GOOD = new Set(['paid', 'completed', 'applied']);
const BAD = new Set(['failed', 'cancelled', 'expired', 'refunded']);

class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export class CpcConsole extends LitElement {
  static override properties = {
    locale: { state: true },
    csrf: { state: true },
    route: { state: true },
    data: { state: true },
    notice: { state: true },
    confirming: { state: true },
    draft: { state: true },
    busy: { state: true },
  };

  locale: Locale = (localStorage.getItem('cpc-console-locale') as Locale | null) ?? (navigator.language.startsWith('pt') ? 'pt-BR' : 'en');
  csrf: string | null | undefined = undefined;
  route = location.hash || '#/checkouts';
  data: Json = {};
  notice: { kind: 'ok' | 'error'; text: string } | null = null;
  confirming: string | null = null;
  draft: Json | null = null;
  busy = false;
  #timer: number | undefined;
  #payoutKey = crypto.randomUUID();

  get t(): Messages {
    return MESSAGES[this.locale];
  }

  protected override createRenderRoot(): HTMLElement {
    return this;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    document.documentElement.lang = this.locale;
    window.addEventListener('hashchange', this.#onHash);
    void this.#api('GET', '/session')
      .then((s: Json) => {
        this.csrf = s.csrfToken as string;
        void this.load();
      })
      .catch(() => (this.csrf = null));
    // Keeps what is on screen current (a payout completing, a refund settling) without a reload.
    this.#timer = window.setInterval(() => {
      if (this.csrf && !this.busy && document.visibilityState === 'visible') void this.load(true);
    }, 2000);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    window.removeEventListener('hashchange', this.#onHash);
    window.clearInterval(this.#timer);
  }

  #onHash = () => {
    this.route = location.hash || '#/checkouts';
    this.notice = null;
    this.confirming = null;
    this.data = {};
    void this.load();
  };

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the API's JSON, read per page
  async #api(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<any> {
    const res = await fetch(`/console/api${path}`, {
      method,
      credentials: 'same-origin',
      headers: {
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(this.csrf && method !== 'GET' ? { 'x-csrf-token': this.csrf } : {}),
        ...headers,
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    if (res.status === 204) return {};
    const json = (await res.json().catch(() => ({}))) as Json;
    if (!res.ok) {
      if (res.status === 401 && path !== '/session') this.csrf = null;
      throw new ApiError(res.status, (json.error?.message as string | undefined) ?? `HTTP ${res.status}`);
    }
    return json;
  }

  /** Loads what the current route shows. */
  async load(quiet = false): Promise<void> {
    const [, page, id] = this.route.split('/');
    try {
      if (page === 'checkouts' && id) {
        this.data = { ...this.data, timeline: await this.#api('GET', `/checkouts/${encodeURIComponent(id)}`) };
      } else if (page === 'checkouts') {
        const query = new URLSearchParams();
        if (this.data.q) query.set('q', this.data.q as string);
        if (this.data.status) query.set('status', this.data.status as string);
        this.data = { ...this.data, checkouts: (await this.#api('GET', `/checkouts?${query}`)).data };
      } else if (page === 'alerts') {
        this.data = { ...this.data, alerts: (await this.#api('GET', `/alerts${this.data.all ? '?all=1' : ''}`)).data };
      } else if (page === 'outbox') {
        this.data = { ...this.data, outbox: await this.#api('GET', '/outbox') };
      } else if (page === 'payouts') {
        this.data = { ...this.data, payouts: (await this.#api('GET', '/payouts')).data };
      } else if (page === 'balances') {
        this.data = { ...this.data, balance: await this.#api('GET', '/balance') };
      }
    } catch (err) {
      if (!quiet) this.notice = { kind: 'error', text: err instanceof Error ? err.message : String(err) };
    }
  }

  async #act(work: () => Promise<unknown>): Promise<void> {
    this.busy = true;
    this.notice = null;
    try {
      await work();
      this.notice = { kind: 'ok', text: this.t.done };
      this.confirming = null;
      await this.load(true);
    } catch (err) {
      this.notice = { kind: 'error', text: err instanceof Error ? err.message : String(err) };
    } finally {
      this.busy = false;
    }
  }

  #setLocale(): void {
    this.locale = this.locale === 'pt-BR' ? 'en' : 'pt-BR';
    localStorage.setItem('cpc-console-locale', this.locale);
    document.documentElement.lang = this.locale;
  }

  override render(): TemplateResult {
    if (this.csrf === undefined) return html`<main><p role="status">${this.t.loading}</p></main>`;
    if (this.csrf === null) return this.#signIn();
    const page = this.route.split('/')[1] ?? 'checkouts';
    const link = (name: string, label: string) =>
      html`<li><a href="#/${name}" aria-current=${page === name ? 'page' : nothing}>${label}</a></li>`;
    return html`
      <header class="top">
        <h1>${this.t.title}</h1>
        <nav aria-label=${this.t.nav}>
          <ul>${link('checkouts', this.t.checkouts)}${link('alerts', this.t.alerts)}${link('outbox', this.t.outbox)}${link('payouts', this.t.payouts)}${link('balances', this.t.balances)}</ul>
        </nav>
        <span class="spacer"></span>
        <button class="secondary" lang=${this.locale === 'pt-BR' ? 'en' : 'pt-BR'} @click=${() => this.#setLocale()}>${this.t.language}</button>
        <button class="secondary" @click=${() => this.#signOut()}>${this.t.signOut}</button>
      </header>
      <main>
        <div role="status" aria-live="polite">${this.notice ? html`<p class="notice ${this.notice.kind}">${this.notice.text}</p>` : nothing}</div>
        ${this.#page(page)}
      </main>
    `;
  }

  #page(page: string): TemplateResult {
    switch (page) {
      case 'alerts':
        return this.#alerts();
      case 'outbox':
        return this.#outbox();
      case 'payouts':
        return this.#payouts();
      case 'balances':
        return this.#balances();
      default:
        return this.route.split('/')[2] ? this.#timeline() : this.#checkouts();
    }
  }

  #signIn(): TemplateResult {
    const submit = async (e: Event) => {
      e.preventDefault();
      const form = e.target as HTMLFormElement;
      const password = (form.elements.namedItem('password') as HTMLInputElement).value;
      try {
        const s = (await this.#api('POST', '/session', { password })) as Json;
        this.csrf = s.csrfToken as string;
        this.notice = null;
        await this.load();
      } catch (err) {
        this.notice = { kind: 'error', text: err instanceof Error ? err.message : String(err) };
      }
    };
    return html`
      <main>
        <section class="card signin">
          <h1>${this.t.signInTitle}</h1>
          <div role="status" aria-live="polite">${this.notice ? html`<p class="notice ${this.notice.kind}">${this.notice.text}</p>` : nothing}</div>
          <form @submit=${submit}>
            <label>${this.t.password}<input name="password" type="password" autocomplete="current-password" required /></label>
            <div class="actions"><button type="submit">${this.t.signIn}</button>
            <button type="button" class="secondary" lang=${this.locale === 'pt-BR' ? 'en' : 'pt-BR'} @click=${() => this.#setLocale()}>${this.t.language}</button></div>
          </form>
        </section>
      </main>
    `;
  }

  async #signOut(): Promise<void> {
    await this.#api('DELETE', '/session').catch(() => undefined);
    this.csrf = null;
    this.notice = { kind: 'ok', text: this.t.sessionEnded };
  }

  #status(s: string): TemplateResult {
    return html`<span class="status ${GOOD.has(s) ? 'ok' : BAD.has(s) ? 'bad' : ''}">${s}</span>`;
  }

  #money(c: number | null | undefined): string {
    return typeof c === 'number' ? formatMoney(c, this.locale) : '—';
  }

  #time(iso: string | null | undefined): string {
    return formatTime(iso, this.locale);
  }

  #checkouts(): TemplateResult {
    const submit = (e: Event) => {
      e.preventDefault();
      const form = e.target as HTMLFormElement;
      this.data = {
        ...this.data,
        q: (form.elements.namedItem('q') as HTMLInputElement).value,
        status: (form.elements.namedItem('status') as HTMLSelectElement).value,
      };
      void this.load();
    };
    const rows = (this.data.checkouts ?? []) as Json[];
    return html`
      <h2>${this.t.checkouts}</h2>
      <section class="card">
        <form class="inline" role="search" @submit=${submit}>
          <label>${this.t.searchLabel}<input name="q" type="search" .value=${(this.data.q as string) ?? ''} /></label>
          <label>${this.t.statusFilter}
            <select name="status">
              <option value="">${this.t.any}</option>
              ${STATUSES.map((s) => html`<option value=${s} ?selected=${this.data.status === s}>${s}</option>`)}
            </select>
          </label>
          <button type="submit">${this.t.search}</button>
        </form>
      </section>
      <section class="card">
        ${
          rows.length === 0
            ? html`<p>${this.t.noResults}</p>`
            : html`<table>
              <thead><tr><th scope="col">${this.t.reference}</th><th scope="col">${this.t.status}</th><th scope="col" class="num">${this.t.amount}</th><th scope="col">${this.t.created}</th><th scope="col">${this.t.id}</th></tr></thead>
              <tbody>
                ${rows.map(
                  (c) => html`<tr>
                    <td><a href="#/checkouts/${c.id}">${c.externalReference}</a></td>
                    <td>${this.#status(c.status)}</td>
                    <td class="num">${this.#money(c.amount)}</td>
                    <td>${this.#time(c.createdAt)}</td>
                    <td><code>${c.id}</code></td>
                  </tr>`,
                )}
              </tbody>
            </table>`
        }
      </section>
    `;
  }

  #timeline(): TemplateResult {
    const t = this.data.timeline as Json | undefined;
    if (!t) return html`<p role="status">${this.t.loading}</p>`;
    const c = t.checkout as Json;
    const refundable = c.status === 'paid' || (c.charges as Json[]).some((ch) => ch.status === 'paid');
    const cancellable = ['open', 'awaiting_payment', 'expired'].includes(c.status as string);
    const refund = () => this.#act(() => this.#api('POST', `/checkouts/${c.id}/refund`, {}));
    const cancel = () => this.#act(() => this.#api('POST', `/checkouts/${c.id}/cancel`, {}));
    return html`
      <p><a href="#/checkouts">← ${this.t.back}</a></p>
      <h2>${c.externalReference}</h2>
      <section class="card">
        <dl class="facts">
          <dt>${this.t.id}</dt><dd><code>${c.id}</code></dd>
          <dt>${this.t.status}</dt><dd data-testid="checkout-status">${this.#status(c.status)}</dd>
          <dt>${this.t.amount}</dt><dd>${this.#money(c.amount)}</dd>
          <dt>${this.t.payer}</dt><dd>${c.payer ? `${c.payer.name} (…${c.payer.documentLast4})` : '—'}</dd>
          <dt>${this.t.e2e}</dt><dd><code>${c.endToEndId ?? '—'}</code></dd>
        </dl>
        <div class="actions">
          ${
            this.confirming === 'refund'
              ? html`<button class="danger" ?disabled=${this.busy} @click=${refund}>${this.t.confirmRefund}</button><button class="secondary" @click=${() => (this.confirming = null)}>${this.t.abort}</button>`
              : refundable
                ? html`<button @click=${() => (this.confirming = 'refund')}>${this.t.refund}</button>`
                : nothing
          }
          ${
            this.confirming === 'cancel'
              ? html`<button class="danger" ?disabled=${this.busy} @click=${cancel}>${this.t.confirmCancel}</button><button class="secondary" @click=${() => (this.confirming = null)}>${this.t.abort}</button>`
              : cancellable
                ? html`<button @click=${() => (this.confirming = 'cancel')}>${this.t.cancel}</button>`
                : nothing
          }
        </div>
      </section>
      <section class="card">
        <h3>${this.t.statusEvents}</h3>
        <ol class="events" data-testid="status-events">
          ${(t.statusEvents as Json[]).map((e) => html`<li>${this.#status(e.status)} <span class="muted">${this.#time(e.at)}</span></li>`)}
        </ol>
        <h3>${this.t.charges}</h3>
        ${this.#table(
          [this.t.id, this.t.method, this.t.status, this.t.amount, this.t.e2e, this.t.refund],
          (c.charges as Json[]).map((ch) => [
            html`<code>${ch.transactionId}</code>`,
            ch.method,
            this.#status(ch.status),
            this.#money(ch.amount),
            html`<code>${ch.endToEndId ?? '—'}</code>`,
            ch.refundStatus ? `${ch.refundStatus}${ch.refundFailure ? `: ${ch.refundFailure}` : ''}` : '—',
          ]),
        )}
        <h3>${this.t.webhooks}</h3>
        ${this.#table(
          [this.t.eventType, this.t.received, this.t.verdict, this.t.attempts, this.t.error],
          (t.webhooks as Json[]).map((w) => [
            w.eventType,
            this.#time(w.receivedAt),
            this.#status(w.verdict),
            String(w.attempts),
            w.lastError ?? '—',
          ]),
        )}
        <h3>${this.t.deliveries}</h3>
        ${this.#deliveries(t.deliveries as Json[], false)}
      </section>
    `;
  }

  #table(headers: string[], rows: (string | TemplateResult)[][]): TemplateResult {
    if (rows.length === 0) return html`<p class="muted">${this.t.none}</p>`;
    return html`<table>
      <thead><tr>${headers.map((h) => html`<th scope="col">${h}</th>`)}</tr></thead>
      <tbody>${rows.map((r) => html`<tr>${r.map((cell) => html`<td>${cell}</td>`)}</tr>`)}</tbody>
    </table>`;
  }

  #deliveries(messages: Json[], withRedeliver: boolean): TemplateResult {
    if (messages.length === 0) return html`<p class="muted">${this.t.none}</p>`;
    const redeliver = (id: string) => this.#act(() => this.#api('POST', `/outbox/${id}/redeliver`, {}));
    return html`<table>
      <thead><tr><th scope="col">${this.t.type}</th><th scope="col">${this.t.subject}</th><th scope="col">${this.t.created}</th><th scope="col">${this.t.status}</th><th scope="col">${this.t.attempts}</th>${withRedeliver ? html`<th scope="col">${this.t.nextAttempt}</th><th scope="col"><span class="muted">${this.t.redeliver}</span></th>` : nothing}</tr></thead>
      <tbody>
        ${messages.map(
          (m) => html`<tr>
            <td>${m.type}</td>
            <td>${m.subject ? html`<code>${m.subject}</code>` : '—'}</td>
            <td>${this.#time(m.createdAt)}</td>
            <td>${m.deliveredAt ? this.#status('delivered') : this.#status('pending')}</td>
            <td>${(m.attempts as Json[]).length === 0 ? '—' : html`<ol class="events">${(m.attempts as Json[]).map((a) => html`<li>${this.#time(a.at)}: ${a.answer}</li>`)}</ol>`}</td>
            ${withRedeliver ? html`<td>${this.#time(m.nextAttemptAt)}</td><td><button class="secondary" ?disabled=${this.busy} @click=${() => redeliver(m.id as string)}>${this.t.redeliver}</button></td>` : nothing}
          </tr>`,
        )}
      </tbody>
    </table>`;
  }

  #alerts(): TemplateResult {
    const alerts = (this.data.alerts ?? []) as Json[];
    const resolve = (id: number) => this.#act(() => this.#api('POST', `/alerts/${id}/resolve`, {}));
    const toggle = (e: Event) => {
      this.data = { ...this.data, all: (e.target as HTMLInputElement).checked };
      void this.load();
    };
    return html`
      <h2>${this.t.alerts}</h2>
      <section class="card">
        <label class="inline-check"><span>${this.t.showResolved}</span><input type="checkbox" .checked=${Boolean(this.data.all)} @change=${toggle} /></label>
        ${
          alerts.length === 0
            ? html`<p>${this.t.none}</p>`
            : html`<table>
              <thead><tr><th scope="col">${this.t.code}</th><th scope="col">${this.t.message}</th><th scope="col">${this.t.action}</th><th scope="col">${this.t.subject}</th><th scope="col" class="num">${this.t.count}</th><th scope="col">${this.t.last}</th><th scope="col">${this.t.resolved}</th></tr></thead>
              <tbody>
                ${alerts.map(
                  (a) => html`<tr data-code=${a.code}>
                    <td><code>${a.code}</code></td>
                    <td>${a.message}</td>
                    <td>${a.action || '—'}</td>
                    <td>${a.subject ? html`<code>${a.subject}</code>` : '—'}</td>
                    <td class="num">${a.count}</td>
                    <td>${this.#time(a.lastAt)}</td>
                    <td>${a.resolvedAt ? this.#time(a.resolvedAt) : html`<button ?disabled=${this.busy} @click=${() => resolve(a.id as number)}>${this.t.resolve}</button>`}</td>
                  </tr>`,
                )}
              </tbody>
            </table>`
        }
      </section>
    `;
  }

  #outbox(): TemplateResult {
    const outbox = this.data.outbox as Json | undefined;
    return html`
      <h2>${this.t.outbox}</h2>
      <section class="card">
        <p>${this.t.backlog}: <strong data-testid="backlog">${outbox?.backlog ?? '…'}</strong></p>
        ${this.#deliveries((outbox?.data ?? []) as Json[], true)}
      </section>
    `;
  }

  #payouts(): TemplateResult {
    const payouts = (this.data.payouts ?? []) as Json[];
    const review = (e: Event) => {
      e.preventDefault();
      const f = (e.target as HTMLFormElement).elements;
      const v = (name: string) => ((f.namedItem(name) as HTMLInputElement | HTMLSelectElement | null)?.value ?? '').trim();
      const amount = parseReais(v('amount'));
      if (amount === undefined || amount === 0) {
        this.notice = { kind: 'error', text: this.t.badAmount };
        return;
      }
      const destination =
        v('destinationType') === 'BANK_ACCOUNT'
          ? { type: 'BANK_ACCOUNT', bankAccount: { ispb: v('ispb'), branch: v('branch'), account: v('account') } }
          : { type: 'PIX', pixKeyType: v('pixKeyType'), pixKey: v('pixKey') };
      this.notice = null;
      this.draft = {
        amount,
        externalReference: v('externalReference'),
        ...(v('description') ? { description: v('description') } : {}),
        payee: { name: v('payeeName'), document: v('payeeDocument'), destination },
      };
    };
    const send = () =>
      this.#act(async () => {
        await this.#api('POST', '/payouts', this.draft, { 'idempotency-key': this.#payoutKey });
        this.draft = null;
        this.#payoutKey = crypto.randomUUID();
        (this.querySelector('form.payout') as HTMLFormElement | null)?.reset();
      });
    const bank = this.data.destinationType === 'BANK_ACCOUNT';
    const d = this.draft;
    return html`
      <h2>${this.t.payouts}</h2>
      <section class="card">
        <h3>${this.t.newPayout}</h3>
        <form class="grid payout" @submit=${review} ?hidden=${d !== null}>
          <label>${this.t.amountReais}<input name="amount" inputmode="decimal" required /></label>
          <label>${this.t.reference}<input name="externalReference" required /></label>
          <label>${this.t.description}<input name="description" /></label>
          <label>${this.t.payeeName}<input name="payeeName" required autocomplete="off" /></label>
          <label>${this.t.payeeDocument}<input name="payeeDocument" required inputmode="numeric" autocomplete="off" /></label>
          <label>${this.t.destination}
            <select name="destinationType" @change=${(e: Event) => (this.data = { ...this.data, destinationType: (e.target as HTMLSelectElement).value })}>
              <option value="PIX" ?selected=${!bank}>${this.t.pixKey}</option>
              <option value="BANK_ACCOUNT" ?selected=${bank}>${this.t.bankAccount}</option>
            </select>
          </label>
          ${
            bank
              ? html`<label>${this.t.ispb}<input name="ispb" inputmode="numeric" required /></label>
                <label>${this.t.branch}<input name="branch" inputmode="numeric" required /></label>
                <label>${this.t.account}<input name="account" inputmode="numeric" required /></label>`
              : html`<label>${this.t.pixKeyType}
                  <select name="pixKeyType">${['EMAIL', 'PHONE', 'CPF', 'CNPJ', 'EVP'].map((k) => html`<option value=${k}>${k}</option>`)}</select>
                </label>
                <label>${this.t.pixKey}<input name="pixKey" required autocomplete="off" /></label>`
          }
          <div><button type="submit">${this.t.review}</button></div>
        </form>
        ${
          d
            ? html`<div class="card confirm" role="group" aria-labelledby="review-title">
              <h3 id="review-title">${this.t.reviewTitle}</h3>
              <dl class="facts">
                <dt>${this.t.amount}</dt><dd>${this.#money(d.amount as number)}</dd>
                <dt>${this.t.reference}</dt><dd>${d.externalReference}</dd>
                <dt>${this.t.payeeName}</dt><dd>${d.payee.name}</dd>
                <dt>${this.t.payeeDocument}</dt><dd>…${String(d.payee.document).slice(-4)}</dd>
                <dt>${this.t.destination}</dt><dd>${d.payee.destination.type === 'PIX' ? `${d.payee.destination.pixKeyType}` : `${d.payee.destination.bankAccount.ispb} / ${d.payee.destination.bankAccount.branch}`}</dd>
              </dl>
              <div class="actions">
                <button ?disabled=${this.busy} @click=${send}>${this.t.confirmPayout}</button>
                <button class="secondary" @click=${() => (this.draft = null)}>${this.t.abort}</button>
              </div>
            </div>`
            : nothing
        }
      </section>
      <section class="card">
        ${this.#table(
          [this.t.reference, this.t.status, this.t.amount, this.t.payeeName, this.t.created, this.t.failure],
          payouts.map((p) => [
            p.externalReference,
            this.#status(p.status),
            this.#money(p.amount),
            p.payee.name,
            this.#time(p.createdAt),
            p.failure ? `${p.failure.code}${p.failure.message ? `: ${p.failure.message}` : ''}` : '—',
          ]),
        )}
      </section>
    `;
  }

  #balances(): TemplateResult {
    const b = this.data.balance as Json | undefined;
    const submit = (e: Event) => {
      e.preventDefault();
      const target = parseReais(((e.target as HTMLFormElement).elements.namedItem('target') as HTMLInputElement).value);
      if (target === undefined) {
        this.notice = { kind: 'error', text: this.t.badAmount };
        return;
      }
      if (this.confirming !== `rebalance:${target}`) {
        this.confirming = `rebalance:${target}`;
        return;
      }
      void this.#act(() => this.#api('POST', '/balance/rebalance', { targetAmount: target }));
    };
    const pending = this.confirming?.startsWith('rebalance:') ? Number(this.confirming.slice('rebalance:'.length)) : null;
    return html`
      <h2>${this.t.balances}</h2>
      <section class="card">
        <h3>${this.t.consolidated}</h3>
        ${
          b
            ? html`<dl class="facts">
              <dt>${this.t.total}</dt><dd>${this.#money(b.consolidated.totalBalance)}</dd>
              <dt>${this.t.transactional}</dt><dd data-testid="transactional">${this.#money(b.consolidated.transactionalBalance)}</dd>
              <dt>${this.t.proprietary}</dt><dd>${this.#money(b.consolidated.proprietaryBalance)}</dd>
            </dl>`
            : html`<p role="status">${this.t.loading}</p>`
        }
        <h3>${this.t.bank}</h3>
        ${this.#table(
          [this.t.bank, this.t.ispb, this.t.transactional, this.t.proprietary],
          ((b?.banks ?? []) as Json[]).map((bank) => [
            bank.bank ?? '—',
            bank.ispb,
            this.#money(bank.accounts.transactional?.balance),
            this.#money(bank.accounts.proprietary?.balance),
          ]),
        )}
      </section>
      <section class="card">
        <h3>${this.t.rebalance}</h3>
        <form class="inline" @submit=${submit}>
          <label>${this.t.rebalanceTarget}<input name="target" inputmode="decimal" required /></label>
          ${
            pending !== null
              ? html`<button type="submit" class="danger" ?disabled=${this.busy}>${this.t.rebalance} → ${this.#money(pending)}</button><button type="button" class="secondary" @click=${() => (this.confirming = null)}>${this.t.abort}</button>`
              : html`<button type="submit">${this.t.rebalance}</button>`
          }
        </form>
      </section>
    `;
  }
}

customElements.define('cpc-console', CpcConsole);
