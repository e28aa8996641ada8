/**
 * Whatever the page or the network does wrong, the element shows a clear error with a next step,
 * fires `connectpsp-error` with a typed reason, never throws into the page, never spins forever.
 */
import { expect, fixture, html } from '@open-wc/testing';
import sinon from 'sinon';

import type { ConnectpspCheckout } from '../../widget/connectpsp-checkout.js';
import type { ConnectpspErrorEvent } from '../../widget/events.js';
import { FakeEventSource, FakeServer, SECRET, SERVER, makeSession, newCheckoutId, query, text } from './helpers.js';

/** Mounts with listeners attached first; records errors and anything thrown at the page. */
async function mount(attributes: Record<string, string>) {
  const pageErrors: unknown[] = [];
  const onError = (e: ErrorEvent) => pageErrors.push(e.error ?? e.message);
  const onRejection = (e: PromiseRejectionEvent) => pageErrors.push(e.reason);
  window.addEventListener('error', onError);
  window.addEventListener('unhandledrejection', onRejection);
  const el = document.createElement('connectpsp-checkout') as ConnectpspCheckout;
  for (const [name, value] of Object.entries(attributes)) el.setAttribute(name, value);
  const errors: ConnectpspErrorEvent[] = [];
  el.addEventListener('connectpsp-error', (e) => errors.push(e));
  await fixture(html`<div>${el}</div>`);
  const cleanup = () => {
    window.removeEventListener('error', onError);
    window.removeEventListener('unhandledrejection', onRejection);
  };
  return { el, errors, pageErrors, cleanup };
}

const VALID = () => ({ 'checkout-id': newCheckoutId(), 'client-secret': SECRET, server: SERVER });
const realSetTimeout = window.setTimeout.bind(window);

describe('<connectpsp-checkout> bad input', () => {
  let server: FakeServer;
  let restoreEventSource: () => void;
  let clock: sinon.SinonFakeTimers | undefined;

  beforeEach(() => {
    server = new FakeServer();
    restoreEventSource = FakeEventSource.install();
  });

  afterEach(() => {
    clock?.restore();
    clock = undefined;
    server.restore();
    restoreEventSource();
    sinon.restore();
  });

  async function untilError(el: ConnectpspCheckout): Promise<void> {
    for (let i = 0; i < 200 && el.status !== 'error'; i++) {
      if (clock) await clock.tickAsync(500);
      await new Promise((resolve) => realSetTimeout(resolve, 5));
    }
    await el.updateComplete;
    expect(el.status, 'ends in the error state').to.equal('error');
    expect(el.getAttribute('status')).to.equal('error');
  }

  const cases: [string, Record<string, string>, string][] = [
    ['no attributes at all', {}, 'missing_attributes'],
    ['no client-secret', { 'checkout-id': 'chk_1', server: SERVER }, 'missing_attributes'],
    ['no checkout-id', { 'client-secret': SECRET, server: SERVER }, 'missing_attributes'],
    [
      'a server that is not http(s)',
      { 'checkout-id': 'chk_1', 'client-secret': SECRET, server: 'javascript:alert(1)' },
      'missing_attributes',
    ],
    ['an unknown method', { ...VALID(), method: 'boleto' }, 'unsupported_method'],
  ];
  for (const [what, attributes, reason] of cases) {
    it(`reports ${what} as ${reason}, without calling the server`, async () => {
      const { el, errors, pageErrors, cleanup } = await mount(attributes);
      await untilError(el);
      cleanup();
      expect(errors.map((e) => e.detail.reason)).to.deep.equal([reason]);
      expect(errors[0]!.bubbles && errors[0]!.composed).to.equal(true);
      expect(server.calls).to.have.length(0);
      expect(pageErrors).to.deep.equal([]);
      expect(el.shadowRoot!.querySelector('[part~=retry-button]'), 'retrying cannot fix the markup').to.equal(null);
      expect(text(el)).to.contain('fale com a loja');
      await expect(el).to.be.accessible();
    });
  }

  it('reports a wrong secret or unknown checkout (401) as unauthorized', async () => {
    server.session = () => ({ status: 401, body: { error: { type: 'unauthorized', message: 'Invalid client secret.' } } });
    const { el, errors, pageErrors, cleanup } = await mount(VALID());
    await untilError(el);
    cleanup();
    expect(errors.map((e) => [e.detail.reason, e.detail.httpStatus])).to.deep.equal([['unauthorized', 401]]);
    // Fits both causes, and says neither: which checkouts exist is not for a browser to learn.
    expect(text(el)).to.contain('Não conseguimos abrir este pagamento');
    expect(server.callsTo('/session'), 'not retried').to.equal(1);
    expect(pageErrors).to.deep.equal([]);
    await expect(el).to.be.accessible();
  });

  it('retries a server that is down, then says so, with a retry button that works', async () => {
    clock = sinon.useFakeTimers({ now: Date.now(), toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    server.session = () => 'network_error';
    const { el, errors, pageErrors, cleanup } = await mount(VALID());
    await untilError(el);
    cleanup();
    expect(server.callsTo('/session'), 'three attempts').to.equal(3);
    expect(errors.map((e) => e.detail.reason)).to.deep.equal(['network_error']);
    expect(pageErrors).to.deep.equal([]);

    server.session = () => ({ status: 200, body: makeSession({ status: 'cancelled' }) });
    query<HTMLButtonElement>(el, '[part~=retry-button]').click();
    for (let i = 0; i < 20 && el.status !== 'cancelled'; i++) await new Promise((resolve) => realSetTimeout(resolve, 5));
    expect(el.status).to.equal('cancelled');
  });

  it('gives up on a server that never answers, instead of spinning', async () => {
    clock = sinon.useFakeTimers({ now: Date.now(), toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    server.session = () => 'hang';
    const { el, errors, cleanup } = await mount(VALID());
    expect(el.status).to.equal('loading');
    await untilError(el);
    cleanup();
    expect(errors[0]!.detail.reason).to.equal('network_error');
    expect(errors[0]!.detail.message).to.contain('within 15000 ms');
  });

  const malformed: [string, unknown][] = [
    ['not JSON', '<html>Bad gateway</html>'],
    ['an empty object', {}],
    ['an unknown status', makeSession({ status: 'teleported' as never })],
    ['a fractional amount', makeSession({ amount: 49.9 })],
    ['a bad serverTime', makeSession({ serverTime: 'yesterday' })],
    ['a charge without a code', makeSession({ status: 'awaiting_payment', activeCharge: { method: 'pix' } as never })],
  ];
  for (const [what, body] of malformed) {
    it(`reports a session that is ${what} as invalid_response`, async () => {
      server.session = () => ({ status: 200, body });
      const { el, errors, pageErrors, cleanup } = await mount(VALID());
      await untilError(el);
      cleanup();
      expect(errors.map((e) => e.detail.reason)).to.deep.equal(['invalid_response']);
      expect(pageErrors).to.deep.equal([]);
      expect(query(el, '[part~=retry-button]')).to.exist;
    });
  }

  it('reports a failing payment provider (502) as gateway_error, with a retry', async () => {
    server.pix = () => ({ status: 502, body: { error: { type: 'gateway_error', message: 'ConnectPSP is down' } } });
    const { el, errors, cleanup } = await mount(VALID());
    await untilError(el);
    cleanup();
    expect(errors.map((e) => e.detail.reason)).to.deep.equal(['gateway_error']);
    expect(text(el)).to.contain('provedor de pagamento');
    expect(query(el, '[part~=retry-button]')).to.exist;
    await expect(el).to.be.accessible();
  });

  it('maps a proxy error page without our error body by its status', async () => {
    server.session = () => ({ status: 503, body: '<html>Service Unavailable</html>' });
    clock = sinon.useFakeTimers({ now: Date.now(), toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const { el, errors, cleanup } = await mount(VALID());
    await untilError(el);
    cleanup();
    expect(errors.map((e) => [e.detail.reason, e.detail.httpStatus])).to.deep.equal([['server_error', 503]]);
  });

  it('recovers when the attributes arrive later (a framework setting them one by one)', async () => {
    const { el, cleanup } = await mount({});
    await untilError(el);
    cleanup();
    el.setAttribute('checkout-id', newCheckoutId());
    el.setAttribute('client-secret', SECRET);
    el.setAttribute('server', SERVER);
    for (let i = 0; i < 50 && el.status !== 'awaiting_payment'; i++) await new Promise((resolve) => realSetTimeout(resolve, 5));
    expect(el.status).to.equal('awaiting_payment');
    expect(server.callsTo('/session'), 'one load for three attributes').to.equal(1);
  });
});
