/**
 * Fakes at the widget's I/O edges — `fetch` and `EventSource` — and builders for the wire shapes,
 * so each test reads as Given (a server that answers X) / When (the payer does Y) / Then.
 */
import { fixture, html, waitUntil } from '@open-wc/testing';
import sinon from 'sinon';

import type { CheckoutSession, OpenFinanceChargeView, PixChargeView, StatusEventData } from '../../widget/contract/wire-contract.js';
import { encodeBrCode, formatBrCodeAmount } from '../../server/pix/brcode.js';
import type { ConnectpspCheckout } from '../../widget/connectpsp-checkout.js';
import '../../widget/define.js';

export const SERVER = 'https://pay.example.test';
export const SECRET = 'cs_test_secret';

let checkoutCounter = 0;
/** A fresh id per test: `connectpsp-paid` is deduplicated per checkout in localStorage. */
export function newCheckoutId(): string {
  return `chk_${Date.now().toString(36)}_${++checkoutCounter}`;
}

/** A valid dynamic BR Code for `amount` centavos, as ConnectPSP would issue. */
export function brCodeFor(amount: number, location = 'sandbox.connectpsp.test/qr/v2/abc123'): string {
  return encodeBrCode({
    kind: 'dynamic',
    merchantName: 'Loja Exemplo',
    merchantCity: 'Sao Paulo',
    locationUrl: location,
    amount: formatBrCodeAmount(amount),
  });
}

export function makeCharge(overrides: Partial<PixChargeView> = {}): PixChargeView {
  const now = Date.now();
  const amount = overrides.amount ?? 4990;
  return {
    transactionId: 'txn_1',
    method: 'pix',
    status: 'awaiting_payment',
    amount,
    copyAndPaste: brCodeFor(amount),
    expiresAt: new Date(now + 15 * 60_000).toISOString(),
    createdAt: new Date(now).toISOString(),
    ...overrides,
  };
}

export function makeOpenFinanceCharge(overrides: Partial<OpenFinanceChargeView> = {}): OpenFinanceChargeView {
  const now = Date.now();
  return {
    transactionId: 'txn_of_1',
    method: 'open_finance',
    status: 'awaiting_payment',
    amount: 4990,
    paymentUrl: 'https://bank.example.test/consent/txn_of_1',
    expiresAt: new Date(now + 5 * 60_000).toISOString(),
    createdAt: new Date(now).toISOString(),
    ...overrides,
  };
}

export function makeSession(overrides: Partial<CheckoutSession> = {}): CheckoutSession {
  return {
    id: 'chk_1',
    status: 'open',
    amount: 4990,
    currency: 'BRL',
    description: 'Pedido #1042',
    merchantName: 'Loja Exemplo',
    methods: ['pix'],
    payerRequired: false,
    payerName: null,
    activeCharge: null,
    endToEndId: null,
    paidAt: null,
    refundEndToEndId: null,
    refundedAt: null,
    serverTime: new Date().toISOString(),
    ...overrides,
  };
}

export function statusEvent(overrides: Partial<StatusEventData> = {}): StatusEventData {
  return {
    checkoutId: 'chk_1',
    status: 'awaiting_payment',
    previous: null,
    activeCharge: null,
    endToEndId: null,
    paidAt: null,
    refundEndToEndId: null,
    refundedAt: null,
    at: new Date().toISOString(),
    ...overrides,
  };
}

type Reply = { status: number; body?: unknown } | 'network_error' | 'hang';
type Handler = (request: { method: string; url: URL; body: unknown; headers: Headers }) => Reply | Promise<Reply>;

/** A stubbed `fetch` that routes the widget's two REST calls to handlers, and records every call. */
export class FakeServer {
  readonly calls: { method: string; path: string; search: string; body: unknown; authorization: string | null }[] = [];
  session: Handler = () => ({ status: 200, body: makeSession() });
  pix: Handler = () => ({ status: 200, body: makeCharge() });
  openFinance: Handler = () => ({ status: 200, body: makeOpenFinanceCharge() });
  private stub: sinon.SinonStub;

  constructor() {
    this.stub = sinon.stub(window, 'fetch').callsFake(async (input: RequestInfo | URL, init?: RequestInit) => {
      const url = new URL(String(input));
      const method = init?.method ?? 'GET';
      const headers = new Headers(init?.headers);
      const body = typeof init?.body === 'string' ? JSON.parse(init.body) : undefined;
      this.calls.push({ method, path: url.pathname, search: url.search, body, authorization: headers.get('authorization') });
      const path = url.pathname;
      const handler = path.endsWith('/session')
        ? this.session
        : path.endsWith('/pix')
          ? this.pix
          : path.endsWith('/open-finance')
            ? this.openFinance
            : null;
      const reply: Reply = handler
        ? await handler({ method, url, body, headers })
        : { status: 404, body: { error: { type: 'not_found', message: 'no route' } } };
      if (reply === 'network_error') throw new TypeError('Failed to fetch');
      if (reply === 'hang') {
        return new Promise<Response>((_, reject) => {
          init?.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')));
        });
      }
      const text = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body ?? null);
      return new Response(reply.status === 204 ? null : text, { status: reply.status, headers: { 'content-type': 'application/json' } });
    });
  }

  callsTo(suffix: string): number {
    return this.calls.filter((c) => c.path.endsWith(suffix)).length;
  }

  restore(): void {
    this.stub.restore();
  }
}

/** A controllable stand-in for `EventSource`, installed on `window` for one test. */
export class FakeEventSource extends EventTarget {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSED = 2;
  static instances: FakeEventSource[] = [];
  readonly CONNECTING = 0;
  readonly OPEN = 1;
  readonly CLOSED = 2;
  readyState = 0;
  readonly withCredentials = false;
  onopen: ((e: Event) => void) | null = null;
  onmessage: ((e: MessageEvent) => void) | null = null;
  onerror: ((e: Event) => void) | null = null;

  constructor(readonly url: string) {
    super();
    FakeEventSource.instances.push(this);
  }

  static get latest(): FakeEventSource | undefined {
    return FakeEventSource.instances[FakeEventSource.instances.length - 1];
  }

  static install(): () => void {
    FakeEventSource.instances = [];
    const stub = sinon.stub(window, 'EventSource').value(FakeEventSource);
    return () => stub.restore();
  }

  open(): void {
    this.readyState = 1;
    this.dispatchEvent(new Event('open'));
  }

  emitStatus(id: number, data: Partial<StatusEventData> | string): void {
    const payload = typeof data === 'string' ? data : JSON.stringify(statusEvent(data));
    this.dispatchEvent(new MessageEvent('status', { data: payload, lastEventId: String(id) }));
  }

  /** A dropped connection; `closed` is the browser giving up (a 204, a non-SSE answer). */
  fail(closed = false): void {
    this.readyState = closed ? 2 : 0;
    this.dispatchEvent(new Event('error'));
  }

  close(): void {
    this.readyState = 2;
  }

  get closed(): boolean {
    return this.readyState === 2;
  }
}

export interface CheckoutAttributes {
  checkoutId?: string | undefined;
  clientSecret?: string | undefined;
  server?: string | undefined;
  method?: string | undefined;
  locale?: string | undefined;
}

/** Renders the element with the given attributes (defaults: a fresh id, the fake server's URL and secret). */
export async function renderCheckout(attributes: CheckoutAttributes = {}): Promise<ConnectpspCheckout> {
  const a = { checkoutId: newCheckoutId(), clientSecret: SECRET, server: SERVER, ...attributes };
  return fixture<ConnectpspCheckout>(html`<connectpsp-checkout
    checkout-id=${a.checkoutId ?? ''}
    client-secret=${a.clientSecret ?? ''}
    server=${a.server ?? ''}
    method=${a.method ?? ''}
    locale=${a.locale ?? ''}
  ></connectpsp-checkout>`);
}

/** Waits until the element's `status` is `status` (and it has rendered it). */
export async function untilStatus(el: ConnectpspCheckout, status: string, message?: string): Promise<void> {
  await waitUntil(() => el.status === status, message ?? `status never became ${status} (is ${el.status})`, { timeout: 3000 });
  await el.updateComplete;
}

export function shadow(el: ConnectpspCheckout): ShadowRoot {
  return el.shadowRoot!;
}

export function query<T extends Element = HTMLElement>(el: ConnectpspCheckout, selector: string): T {
  const found = el.shadowRoot!.querySelector<T>(selector);
  if (!found) throw new Error(`nothing matches ${selector}`);
  return found;
}

export function text(el: ConnectpspCheckout): string {
  return (el.shadowRoot!.textContent ?? '').replace(/\s+/g, ' ').trim();
}

/** Records every event of `type` the element fires. */
export function record<T extends Event>(el: EventTarget, type: string): T[] {
  const seen: T[] = [];
  el.addEventListener(type, (e) => seen.push(e as T));
  return seen;
}

/** Lets pending promises and Lit updates settle. */
export async function settle(el?: ConnectpspCheckout): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setTimeout(resolve, 0));
  await el?.updateComplete;
}
