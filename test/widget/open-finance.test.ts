/**
 * Pix via Open Finance in the widget: the method choice, the screen before leaving for the bank, the
 * cancelable `connectpsp-redirect`, and the return from the bank (a fresh page load that finds the
 * pending payment, confirms it with the server and reaches paid, or offers retry and the QR code).
 */
import { expect } from '@open-wc/testing';
import sinon from 'sinon';

import type { ConnectpspCheckout } from '../../widget/connectpsp-checkout.js';
import type { ConnectpspRedirectEvent, ConnectpspStatusEvent } from '../../widget/events.js';
import {
  FakeEventSource,
  FakeServer,
  makeOpenFinanceCharge,
  makeSession,
  newCheckoutId,
  query,
  record,
  renderCheckout,
  settle,
  text,
  untilStatus,
} from './helpers.js';

const E2E = 'E12345678202611301200abcdefghijk';
const REFUND = 'D12345678202611301300abcdefghijk';
const BOTH = { methods: ['pix', 'open_finance'] as ('pix' | 'open_finance')[] };
const pendingKey = (id: string) => `connectpsp-checkout:of:${id}`;

/** Replaces the element's navigation (location.assign) with a spy. */
function stubNavigate(el: ConnectpspCheckout): sinon.SinonSpy {
  const spy = sinon.spy();
  (el as unknown as { navigate: (url: string) => void }).navigate = spy;
  return spy;
}

function buttons(el: ConnectpspCheckout): HTMLButtonElement[] {
  return [...el.shadowRoot!.querySelectorAll<HTMLButtonElement>('button')];
}

function button(el: ConnectpspCheckout, label: string): HTMLButtonElement {
  const found = buttons(el).find((b) => b.textContent!.trim() === label);
  if (!found) throw new Error(`no button "${label}" in: ${text(el)}`);
  return found;
}

describe('<connectpsp-checkout> Open Finance', () => {
  let server: FakeServer;
  let restoreEventSource: () => void;
  const ids: string[] = [];

  function id(): string {
    const checkoutId = newCheckoutId();
    ids.push(checkoutId);
    return checkoutId;
  }

  beforeEach(() => {
    server = new FakeServer();
    restoreEventSource = FakeEventSource.install();
  });

  afterEach(() => {
    server.restore();
    restoreEventSource();
    for (const checkoutId of ids.splice(0)) localStorage.removeItem(pendingKey(checkoutId));
  });

  describe('choice and the screen before leaving', () => {
    it('offers PIX or the bank app; choosing the bank app explains what happens next (accessible)', async () => {
      server.session = () => ({ status: 200, body: makeSession(BOTH) });
      const el = await renderCheckout({ checkoutId: id(), locale: 'en' });
      await untilStatus(el, 'open');
      expect(buttons(el).map((b) => b.textContent!.trim())).to.deep.equal([
        'Pix with QR code or Copy and Paste',
        'Pix in your bank app (Open Finance)',
      ]);
      await expect(el).to.be.accessible();

      button(el, 'Pix in your bank app (Open Finance)').click();
      await el.updateComplete;
      expect(query(el, '[part~="open-finance"]')).to.exist;
      expect(text(el)).to.contain('Choose your bank, approve there within 5 minutes and come back to this page');
      expect(text(el)).to.contain('5 minutes');
      expect(buttons(el).map((b) => b.textContent!.trim())).to.deep.equal(['Continue', 'Pay with the QR code instead']);
      expect(server.callsTo('/open-finance'), 'nothing starts before Continue').to.equal(0);
      await expect(el).to.be.accessible();
    });

    it('goes straight to the Open Finance screen with method="open_finance", and can switch to the QR code', async () => {
      server.session = () => ({ status: 200, body: makeSession(BOTH) });
      const el = await renderCheckout({ checkoutId: id(), method: 'open_finance', locale: 'en' });
      await untilStatus(el, 'open');
      expect(el.shadowRoot!.querySelector('.methods[role=group]'), 'no method choice').to.equal(null);
      expect(query(el, '[part~="open-finance"]')).to.exist;

      button(el, 'Pay with the QR code instead').click();
      await untilStatus(el, 'awaiting_payment');
      expect(query(el, 'svg.qr')).to.exist;
      expect(server.callsTo('/open-finance')).to.equal(0);
    });
  });

  describe('connectpsp-redirect', () => {
    it('not prevented: starts the payment, remembers it, and navigates to the bank', async () => {
      server.session = () => ({ status: 200, body: makeSession(BOTH) });
      const checkoutId = id();
      const el = await renderCheckout({ checkoutId, method: 'open_finance', locale: 'en' });
      await untilStatus(el, 'open');
      const navigate = stubNavigate(el);
      const redirects = record<ConnectpspRedirectEvent>(el, 'connectpsp-redirect');

      button(el, 'Continue').click();
      await untilStatus(el, 'awaiting_payment');
      await settle(el);

      const call = server.calls.find((c) => c.path.endsWith('/open-finance'))!;
      const returnUrl = new URL((call.body as { returnUrl: string }).returnUrl);
      expect(returnUrl.href).to.equal(location.href);
      expect(returnUrl.searchParams.has('connectpsp_checkout')).to.equal(false);
      expect(redirects).to.have.length(1);
      expect(redirects[0]!.cancelable).to.equal(true);
      expect(redirects[0]!.detail).to.deep.equal({ checkoutId, method: 'open_finance', url: makeOpenFinanceCharge().paymentUrl });
      expect(navigate.calledOnceWith(makeOpenFinanceCharge().paymentUrl)).to.equal(true);
      expect(localStorage.getItem(pendingKey(checkoutId))).to.equal('txn_of_1');
      expect(text(el)).not.to.contain('Pix code ready');
      // Nothing is being confirmed yet: the payer is told the payment awaits their approval at the bank.
      expect(text(el)).not.to.contain('Confirming with your bank');
      expect(text(el)).to.contain('Payment not approved yet');
      expect(text(el)).to.match(/Time left to approve: 0[45]:\d\d/);
      await expect(el).to.be.accessible();
    });

    it('prevented: the page takes over, the widget does not navigate', async () => {
      server.session = () => ({ status: 200, body: makeSession(BOTH) });
      const el = await renderCheckout({ checkoutId: id(), method: 'open_finance', locale: 'en' });
      await untilStatus(el, 'open');
      const navigate = stubNavigate(el);
      el.addEventListener('connectpsp-redirect', (e) => e.preventDefault());

      button(el, 'Continue').click();
      await untilStatus(el, 'awaiting_payment');
      await settle(el);
      expect(server.callsTo('/open-finance')).to.equal(1);
      expect(navigate.called).to.equal(false);
    });
  });

  describe('back from the bank', () => {
    it('pending payment in storage: confirming → paid, with the receipt Open Finance asks for', async () => {
      const checkoutId = id();
      localStorage.setItem(
        pendingKey(checkoutId),
        JSON.stringify({ checkoutId, transactionId: 'txn_of_1', startedAt: new Date().toISOString() }),
      );
      let answer!: () => void;
      server.session = () =>
        new Promise((resolve) => {
          answer = () =>
            resolve({
              status: 200,
              body: makeSession({ ...BOTH, payerName: 'Maria Souza', status: 'awaiting_payment', activeCharge: makeOpenFinanceCharge() }),
            });
        });
      const el = await renderCheckout({ checkoutId, locale: 'en' });
      await settle(el);
      expect(el.status).to.equal('loading');
      expect(text(el)).to.contain('Confirming with your bank');
      expect(server.calls[0]!.search, 'asks the server to re-check with ConnectPSP').to.equal('?refresh=true');
      await expect(el).to.be.accessible();

      answer();
      await untilStatus(el, 'awaiting_payment');
      // Back without approving: where the payer is and what to do, with the bank's 5 minutes.
      expect(text(el)).not.to.contain('Confirming with your bank');
      expect(text(el)).to.contain('You have not approved it at your bank yet');
      expect(text(el)).to.match(/Time left to approve: 0[45]:\d\d/);
      expect(buttons(el).map((b) => b.textContent!.trim())).to.deep.equal(['Back to my bank', 'Pay with the QR code instead']);
      await expect(el).to.be.accessible();

      const paidAt = new Date().toISOString();
      FakeEventSource.latest!.open();
      FakeEventSource.latest!.emitStatus(1, { status: 'paid', endToEndId: E2E, paidAt });
      await untilStatus(el, 'paid');
      const shown = text(el);
      for (const part of [
        'Amount',
        'R$',
        'Payment method',
        'Pix in your bank app (Open Finance)',
        'Recipient',
        'Loja Exemplo',
        'Payer',
        'Maria Souza',
        'Date and time',
        E2E,
      ]) {
        expect(shown).to.contain(part);
      }
      expect(shown.split('Amount').length - 1, '"Amount" once: in the summary, not again in the receipt').to.equal(1);
      expect(localStorage.getItem(pendingKey(checkoutId)), 'forgotten once paid').to.equal(null);
      await expect(el).to.be.accessible();
    });

    it('the return parameter alone is enough to confirm with the bank', async () => {
      const checkoutId = id();
      const original = location.href;
      history.replaceState(null, '', `?connectpsp_checkout=${checkoutId}`);
      try {
        server.session = () => ({
          status: 200,
          body: makeSession({ ...BOTH, status: 'paid', endToEndId: E2E, paidAt: new Date().toISOString() }),
        });
        const el = await renderCheckout({ checkoutId, locale: 'en' });
        await untilStatus(el, 'paid');
        expect(server.calls[0]!.search).to.equal('?refresh=true');
        expect(text(el)).to.contain('Recipient');
      } finally {
        history.replaceState(null, '', original);
      }
    });

    it('refused or timed out (expired): a plain message, retry Open Finance, or pay with the QR code', async () => {
      const checkoutId = id();
      localStorage.setItem(
        pendingKey(checkoutId),
        JSON.stringify({ checkoutId, transactionId: 'txn_of_1', startedAt: new Date().toISOString() }),
      );
      server.session = () => ({ status: 200, body: makeSession({ ...BOTH, status: 'expired' }) });
      const el = await renderCheckout({ checkoutId, locale: 'en' });
      const statuses = record<ConnectpspStatusEvent>(el, 'connectpsp-status');
      const expired = record(el, 'connectpsp-expired');
      await untilStatus(el, 'declined');
      expect(text(el)).to.contain('Your bank did not approve the payment. Nothing was charged.');
      expect(query(el, '[role=status]').textContent, 'announced as a refusal, not an expiry').to.contain('Payment not approved');
      expect(query(el, '[role=status]').textContent).not.to.contain('expired');
      expect(statuses.map((e) => e.detail.status)).to.deep.equal(['declined']);
      expect(expired, 'no connectpsp-expired: nothing expired').to.have.length(0);
      expect(buttons(el).map((b) => b.textContent!.trim())).to.deep.equal(['Try again', 'Pay with the QR code instead']);
      await expect(el).to.be.accessible();

      const navigate = stubNavigate(el);
      button(el, 'Try again').click();
      await untilStatus(el, 'awaiting_payment');
      await settle(el);
      expect(server.callsTo('/open-finance')).to.equal(1);
      expect(navigate.calledOnce).to.equal(true);
    });

    it('after a refusal, the QR code replaces the Open Finance payment', async () => {
      const checkoutId = id();
      localStorage.setItem(
        pendingKey(checkoutId),
        JSON.stringify({ checkoutId, transactionId: 'txn_of_1', startedAt: new Date().toISOString() }),
      );
      server.session = () => ({ status: 200, body: makeSession({ ...BOTH, status: 'expired' }) });
      const el = await renderCheckout({ checkoutId, locale: 'en' });
      await untilStatus(el, 'declined');
      const statuses = record<ConnectpspStatusEvent>(el, 'connectpsp-status');
      const expired = record(el, 'connectpsp-expired');
      button(el, 'Pay with the QR code instead').click();
      await untilStatus(el, 'awaiting_payment');
      await settle(el);
      expect(query(el, 'svg.qr')).to.exist;
      expect(
        statuses.map((e) => e.detail.status),
        'declined, then the code: never "expired"',
      ).to.deep.equal(['awaiting_payment']);
      expect(expired).to.have.length(0);
      expect(localStorage.getItem(pendingKey(checkoutId)), 'no longer an Open Finance payment').to.equal(null);
    });
  });

  it('refunded: shows the refund id and time', async () => {
    const refundedAt = new Date().toISOString();
    server.session = () => ({ status: 200, body: makeSession({ status: 'refunded', refundEndToEndId: REFUND, refundedAt }) });
    const el = await renderCheckout({ checkoutId: id(), locale: 'en' });
    await untilStatus(el, 'refunded');
    expect(text(el)).to.contain('Refund ID');
    expect(text(el)).to.contain(REFUND);
    expect(text(el)).to.contain('Date and time');
    await expect(el).to.be.accessible();
  });
});

describe('<connectpsp-checkout> Open Finance redirect-mode="popup"', () => {
  it('opens the bank in a popup on desktop instead of leaving the page', async () => {
    const el = document.createElement('connectpsp-checkout') as ConnectpspCheckout;
    el.redirectMode = 'popup';
    const open = sinon.stub(window, 'open').returns(null);
    try {
      (el as unknown as { navigate: (url: string) => void }).navigate('https://bank.example.test/x');
      expect(open.calledOnceWith('https://bank.example.test/x', '_blank', 'popup,noopener')).to.equal(true);
    } finally {
      open.restore();
    }
  });
});
