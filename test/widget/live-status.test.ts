/**
 * Following the payment: SSE, the polling fallback and its backoff, re-checks on return to the page,
 * and the countdown — with sinon's fake clock, installed once the element shows its code.
 */
import { expect } from '@open-wc/testing';
import sinon from 'sinon';

import type { ConnectpspCheckout } from '../../widget/connectpsp-checkout.js';
import type { ConnectpspExpiredEvent } from '../../widget/events.js';
import { FakeEventSource, FakeServer, makeCharge, makeSession, query, record, renderCheckout, text, untilStatus } from './helpers.js';

const E2E = 'E12345678202611301200abcdefghijk';

function fakeClock(): sinon.SinonFakeTimers {
  // Only timers and Date: Lit and fetch run on promises, which must stay real.
  return sinon.useFakeTimers({ now: Date.now(), toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
}

/** Captured before any fake clock: reading a Response body takes a real task, not a microtask. */
const realSetTimeout = window.setTimeout.bind(window);

async function flush(clock: sinon.SinonFakeTimers, el: ConnectpspCheckout, ms = 0): Promise<void> {
  await clock.tickAsync(ms);
  for (let i = 0; i < 3; i++) {
    await new Promise((resolve) => realSetTimeout(resolve, 0));
    await clock.tickAsync(0);
  }
  await el.updateComplete;
}

function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('<connectpsp-checkout> live status', () => {
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

  /** An element showing its code, following it over a stream that is open, on a fake clock. */
  async function showingCode(charge = makeCharge()): Promise<{ el: ConnectpspCheckout; stream: FakeEventSource }> {
    server.session = () => ({ status: 200, body: makeSession({ status: 'awaiting_payment', activeCharge: charge }) });
    clock = fakeClock();
    const el = await renderCheckout();
    for (let i = 0; i < 20 && el.status !== 'awaiting_payment'; i++) await flush(clock, el, 10);
    expect(el.status).to.equal('awaiting_payment');
    const stream = FakeEventSource.latest!;
    stream.open();
    await flush(clock, el);
    expect(el.connection).to.equal('live');
    return { el, stream };
  }

  it('says "reconnecting" when the stream drops, then polls its way to paid', async () => {
    const { el, stream } = await showingCode();
    const firstPoll = deferred<{ status: number; body: unknown }>();
    server.session = () => firstPoll.promise;
    const callsBefore = server.callsTo('/session');

    stream.fail();
    await flush(clock!, el);
    expect(el.connection).to.equal('reconnecting');
    expect(query(el, '.reconnecting').textContent).to.contain('Conexão instável');
    expect(query(el, '[role=status]').textContent).to.contain('Conexão instável');
    expect(server.callsTo('/session'), 'an immediate check, not a wait').to.equal(callsBefore + 1);

    firstPoll.resolve({ status: 200, body: makeSession({ status: 'awaiting_payment', activeCharge: el.charge }) });
    await flush(clock!, el);
    expect(el.connection).to.equal('polling');
    expect(el.shadowRoot!.querySelector('.reconnecting')).to.equal(null);

    server.session = () => ({ status: 200, body: makeSession({ status: 'paid', endToEndId: E2E, paidAt: new Date().toISOString() }) });
    await flush(clock!, el, 2_000);
    expect(el.status).to.equal('paid');
    expect(el.connection, 'still following after paid: a refund may follow').to.equal('polling');
    expect(text(el)).to.contain(E2E);

    server.session = () => ({
      status: 200,
      body: makeSession({ status: 'refunded', endToEndId: E2E, refundedAt: new Date().toISOString() }),
    });
    await flush(clock!, el, 2_000);
    expect(el.status).to.equal('refunded');
    expect(el.connection, 'nothing can change after refunded').to.equal('closed');
  });

  it('backs off while polls fail, keeps the code on screen, and retries the stream', async () => {
    sinon.stub(Math, 'random').returns(0.5); // no jitter
    const { el, stream } = await showingCode();
    server.session = () => 'network_error';
    const base = server.callsTo('/session');

    stream.fail(true); // the browser gave up on the stream
    await flush(clock!, el);
    expect(server.callsTo('/session') - base).to.equal(1);
    await flush(clock!, el, 3_999);
    expect(server.callsTo('/session') - base, 'waits 4 s after one failure').to.equal(1);
    await flush(clock!, el, 1);
    expect(server.callsTo('/session') - base).to.equal(2);
    await flush(clock!, el, 8_000);
    expect(server.callsTo('/session') - base, 'then 8 s').to.equal(3);
    expect(FakeEventSource.instances.length, 'the stream is retried after 10 s').to.equal(2);
    expect(el.status).to.equal('awaiting_payment');
    expect(el.connection).to.equal('reconnecting');
    expect(query(el, 'svg.qr')).to.exist;

    FakeEventSource.latest!.open();
    await flush(clock!, el);
    expect(el.connection).to.equal('live');
    const calls = server.callsTo('/session');
    await flush(clock!, el, 60_000);
    expect(server.callsTo('/session'), 'no polling while the stream is live').to.equal(calls);
  });

  it('checks at once when the payer comes back to the page', async () => {
    const { el } = await showingCode();
    const base = server.callsTo('/session');
    server.session = () => ({ status: 200, body: makeSession({ status: 'paid', endToEndId: E2E }) });
    document.dispatchEvent(new Event('visibilitychange'));
    await flush(clock!, el);
    expect(server.callsTo('/session')).to.equal(base + 1);
    expect(el.status).to.equal('paid');
  });

  it('checks at once when the page is restored from the back/forward cache', async () => {
    const { el } = await showingCode();
    const base = server.callsTo('/session');
    window.dispatchEvent(new PageTransitionEvent('pageshow', { persisted: true }));
    await flush(clock!, el);
    expect(server.callsTo('/session')).to.equal(base + 1);
  });

  it('asks the session when a stream frame cannot be read', async () => {
    const { el, stream } = await showingCode();
    const base = server.callsTo('/session');
    stream.emitStatus(4, '{not json');
    stream.emitStatus(5, JSON.stringify({ status: 'teleported' }));
    await flush(clock!, el);
    expect(server.callsTo('/session')).to.be.greaterThan(base);
    expect(el.status).to.equal('awaiting_payment');
  });

  it('stops with an error when the server stops accepting the secret', async () => {
    const { el, stream } = await showingCode();
    server.session = () => ({ status: 401, body: { error: { type: 'unauthorized', message: 'no' } } });
    stream.fail(true);
    await flush(clock!, el);
    expect(el.status).to.equal('error');
    expect(el.error?.reason).to.equal('unauthorized');
  });

  describe('countdown', () => {
    it('counts down from the server expiry and expires at zero, once', async () => {
      const charge = makeCharge({ expiresAt: new Date(Date.now() + 65_000).toISOString() });
      const { el } = await showingCode(charge);
      const expired = record<ConnectpspExpiredEvent>(el, 'connectpsp-expired');
      expect(query(el, '[role=timer]').textContent).to.contain('01:05');

      await flush(clock!, el, 5_000);
      expect(query(el, '[role=timer]').textContent).to.contain('01:00');
      expect(query(el, '[role=status]').textContent, 'announced at a threshold, not every tick').to.contain('expira em 01:00');

      await flush(clock!, el, 30_000);
      expect(query(el, '[role=timer]').textContent).to.contain('00:30');

      const checksBefore = server.callsTo('/session');
      await flush(clock!, el, 30_000);
      expect(el.status).to.equal('expired');
      expect(expired).to.have.length(1);
      expect(server.callsTo('/session'), 'asks the server at expiry').to.equal(checksBefore + 1);
      // The server has not noticed yet and still reports the same charge: it stays expired.
      await flush(clock!, el, 10_000);
      expect(el.status).to.equal('expired');
      expect(expired).to.have.length(1);
    });

    it('corrects for a device clock that is wrong by ten minutes', async () => {
      const serverNow = Date.now() + 10 * 60_000; // the device is 10 minutes behind
      const charge = makeCharge({
        createdAt: new Date(serverNow).toISOString(),
        expiresAt: new Date(serverNow + 15 * 60_000).toISOString(),
      });
      server.session = () => ({
        status: 200,
        body: makeSession({ status: 'awaiting_payment', activeCharge: charge, serverTime: new Date(serverNow).toISOString() }),
      });
      const el = await renderCheckout();
      await untilStatus(el, 'awaiting_payment');
      expect(query(el, '[role=timer]').textContent).to.match(/1[45]:[0-9]{2}/);
    });

    it('is right again at once when a throttled background tab comes back', async () => {
      const charge = makeCharge({ expiresAt: new Date(Date.now() + 10 * 60_000).toISOString() });
      const { el } = await showingCode(charge);
      // Timers did not run for 7 minutes (a throttled tab); the clock moved on.
      clock!.setSystemTime(Date.now() + 7 * 60_000);
      document.dispatchEvent(new Event('visibilitychange'));
      await flush(clock!, el);
      expect(query(el, '[role=timer]').textContent).to.match(/0[23]:[0-9]{2}/);
    });

    it('shows an already-expired code as expired', async () => {
      const charge = makeCharge({ expiresAt: new Date(Date.now() - 1_000).toISOString() });
      server.session = () => ({ status: 200, body: makeSession({ status: 'awaiting_payment', activeCharge: charge }) });
      const el = await renderCheckout();
      await untilStatus(el, 'expired');
    });
  });
});
