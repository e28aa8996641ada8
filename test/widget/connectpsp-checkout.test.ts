import { expect, fixture, html } from '@open-wc/testing';
import sinon from 'sinon';

import type { ConnectpspCheckout } from '../../widget/connectpsp-checkout.js';
import type { ConnectpspErrorEvent, ConnectpspExpiredEvent, ConnectpspPaidEvent, ConnectpspStatusEvent } from '../../widget/events.js';
import * as entry from '../../widget/index.js';
import {
  FakeEventSource,
  FakeServer,
  SECRET,
  SERVER,
  brCodeFor,
  makeCharge,
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

function fillPayerForm(el: ConnectpspCheckout, name: string, document: string): void {
  const nameInput = query<HTMLInputElement>(el, '#payer-name');
  nameInput.value = name;
  nameInput.dispatchEvent(new InputEvent('input'));
  const documentInput = query<HTMLInputElement>(el, '#payer-document');
  documentInput.value = document;
  documentInput.dispatchEvent(new InputEvent('input'));
}

/** An element built before it is attached, so listeners see its very first events. */
async function mountWithListeners(attributes: Record<string, string>, types: string[]) {
  const el = document.createElement('connectpsp-checkout');
  for (const [name, value] of Object.entries(attributes)) el.setAttribute(name, value);
  const seen = Object.fromEntries(types.map((type) => [type, record(el, type)])) as Record<string, Event[]>;
  await fixture(html`<div>${el}</div>`);
  return { el, seen };
}

describe('<connectpsp-checkout>', () => {
  let server: FakeServer;
  let restoreEventSource: () => void;

  beforeEach(() => {
    server = new FakeServer();
    restoreEventSource = FakeEventSource.install();
  });

  afterEach(() => {
    server.restore();
    restoreEventSource();
    sinon.restore();
  });

  describe('entry points', () => {
    it('registers the tag once, and the npm entry exports the class without side effects of its own', () => {
      expect(customElements.get('connectpsp-checkout')).to.equal(entry.ConnectpspCheckout);
      expect(entry.ConnectpspPaidEvent).to.be.a('function');
      expect(Object.keys(entry.LOCALES)).to.deep.equal(['pt-BR', 'en', 'es']);
    });
  });

  describe('loading', () => {
    it('renders a loading state, reflects status="loading", and is accessible', async () => {
      server.session = () => 'hang';
      const el = await renderCheckout();
      expect(el.status).to.equal('loading');
      expect(el.getAttribute('status')).to.equal('loading');
      expect(text(el)).to.contain('Carregando pagamento');
      await expect(el).to.be.accessible();
    });

    it('authenticates with the client secret as a Bearer token', async () => {
      const el = await renderCheckout();
      await untilStatus(el, 'awaiting_payment');
      expect(server.calls[0]).to.include({ method: 'GET', authorization: `Bearer ${SECRET}` });
      expect(server.calls[0]!.path).to.match(/^\/v1\/checkouts\/[^/]+\/session$/);
    });
  });

  describe('payer form', () => {
    beforeEach(() => {
      server.session = () => ({ status: 200, body: makeSession({ payerRequired: true }) });
    });

    it('asks for name and CPF/CNPJ when the merchant gave no payer, and is accessible', async () => {
      const el = await renderCheckout();
      await untilStatus(el, 'open');
      expect(query(el, 'form')).to.exist;
      expect(query(el, 'label[for=payer-name]').textContent).to.contain('Nome completo');
      await expect(el).to.be.accessible();
    });

    it('masks the document while it is typed', async () => {
      const el = await renderCheckout();
      await untilStatus(el, 'open');
      fillPayerForm(el, 'Maria', '52998224725');
      await el.updateComplete;
      expect(query<HTMLInputElement>(el, '#payer-document').value).to.equal('529.982.247-25');
      fillPayerForm(el, 'Maria', '11222333000181');
      await el.updateComplete;
      expect(query<HTMLInputElement>(el, '#payer-document').value).to.equal('11.222.333/0001-81');
    });

    it('announces errors, marks the fields invalid and focuses the first one; stays accessible', async () => {
      const el = await renderCheckout();
      await untilStatus(el, 'open');
      query<HTMLButtonElement>(el, 'button[type=submit]').click();
      await el.updateComplete;
      await el.updateComplete;
      expect(query(el, '#payer-name').getAttribute('aria-invalid')).to.equal('true');
      expect(query(el, '#payer-name').getAttribute('aria-describedby')).to.equal('payer-name-error');
      expect(query(el, '#payer-document-error').textContent).to.contain('11 dígitos');
      expect(query(el, '[role=status]').textContent).to.contain('Corrija os campos destacados');
      expect(el.shadowRoot!.activeElement?.id).to.equal('payer-name');
      expect(server.callsTo('/pix')).to.equal(0);
      await expect(el).to.be.accessible();
    });

    it('refuses a CPF with wrong check digits', async () => {
      const el = await renderCheckout();
      await untilStatus(el, 'open');
      fillPayerForm(el, 'Maria Silva', '52998224724');
      query<HTMLButtonElement>(el, 'button[type=submit]').click();
      await el.updateComplete;
      expect(query(el, '#payer-document-error').textContent).to.contain('CPF ou CNPJ inválido');
      expect(server.callsTo('/pix')).to.equal(0);
    });

    it('sends the payer (document as digits) and shows the PIX code', async () => {
      const el = await renderCheckout();
      await untilStatus(el, 'open');
      fillPayerForm(el, '  Maria Silva ', '529.982.247-25');
      query<HTMLButtonElement>(el, 'button[type=submit]').click();
      await untilStatus(el, 'awaiting_payment');
      const post = server.calls.find((c) => c.path.endsWith('/pix'))!;
      expect(post.method).to.equal('POST');
      expect(post.body).to.deep.equal({ payer: { name: 'Maria Silva', document: '52998224725' } });
    });

    it('goes back to the form with the field the server refused, and reports it', async () => {
      server.pix = () => ({
        status: 400,
        body: { error: { type: 'invalid_request', message: 'bad document', field: 'payer.document' } },
      });
      const el = await renderCheckout();
      await untilStatus(el, 'open');
      const errors = record<ConnectpspErrorEvent>(el, 'connectpsp-error');
      fillPayerForm(el, 'Maria Silva', '52998224725');
      query<HTMLButtonElement>(el, 'button[type=submit]').click();
      await settle(el);
      expect(el.status).to.equal('open');
      expect(query(el, '#payer-document').getAttribute('aria-invalid')).to.equal('true');
      expect(errors.map((e) => [e.detail.reason, e.detail.field])).to.deep.equal([['invalid_request', 'payer.document']]);
      await settle(el);
      expect(query(el, '[role=status]').textContent, 'what to fix is what is said last').to.contain('Corrija os campos destacados');
    });
  });

  describe('method', () => {
    it('offers a choice when the checkout has PIX and Open Finance and method is unset', async () => {
      server.session = () => ({ status: 200, body: makeSession({ methods: ['pix', 'open_finance'] }) });
      const el = await renderCheckout();
      await untilStatus(el, 'open');
      const buttons = [...el.shadowRoot!.querySelectorAll<HTMLButtonElement>('.methods button')];
      expect(buttons).to.have.length(2);
      await expect(el).to.be.accessible();
      buttons[0]!.click();
      await untilStatus(el, 'awaiting_payment');
    });

    it('goes straight to PIX with method="pix"', async () => {
      server.session = () => ({ status: 200, body: makeSession({ methods: ['pix', 'open_finance'] }) });
      const el = await renderCheckout({ method: 'pix' });
      await untilStatus(el, 'awaiting_payment');
      expect(el.shadowRoot!.querySelector('.methods')).to.equal(null);
    });

    it('reports method="open_finance" as unsupported when the checkout only offers PIX', async () => {
      const el = await renderCheckout({ method: 'open_finance' });
      await untilStatus(el, 'error');
      expect(el.error?.reason).to.equal('unsupported_method');
    });

    it('reports a method the checkout does not offer', async () => {
      server.session = () => ({ status: 200, body: makeSession({ methods: [] }) });
      const el = await renderCheckout();
      await untilStatus(el, 'error');
      expect(el.error?.reason).to.equal('unsupported_method');
    });
  });

  describe('awaiting payment', () => {
    it('shows the QR, the Copia e Cola text, amount, merchant and description; is accessible', async () => {
      const charge = makeCharge();
      server.pix = () => ({ status: 200, body: charge });
      const el = await renderCheckout();
      await untilStatus(el, 'awaiting_payment');
      expect(query(el, 'svg.qr[role=img]').getAttribute('aria-label')).to.equal('QR Code Pix');
      expect(query<HTMLTextAreaElement>(el, 'textarea.code').value).to.equal(charge.copyAndPaste);
      expect(query<HTMLTextAreaElement>(el, 'textarea.code').readOnly).to.equal(true);
      expect(text(el)).to.contain('R$ 49,90').and.contain('Loja Exemplo').and.contain('Pedido #1042');
      expect(text(el)).to.contain('Recebedor: LOJA EXEMPLO (SAO PAULO)');
      expect(el.charge).to.deep.equal(charge);
      await expect(el).to.be.accessible();
    });

    it('resumes an active charge after a reload without creating another', async () => {
      const charge = makeCharge({ transactionId: 'txn_resume' });
      server.session = () => ({ status: 200, body: makeSession({ status: 'awaiting_payment', activeCharge: charge }) });
      const el = await renderCheckout();
      await untilStatus(el, 'awaiting_payment');
      expect(el.charge?.transactionId).to.equal('txn_resume');
      expect(server.callsTo('/pix')).to.equal(0);
    });

    it('opens the live stream with the secret in the query (EventSource cannot send headers)', async () => {
      const id = newCheckoutId();
      const el = await renderCheckout({ checkoutId: id });
      await untilStatus(el, 'awaiting_payment');
      expect(FakeEventSource.latest!.url).to.equal(`${SERVER}/v1/checkouts/${id}/events?client_secret=${SECRET}`);
    });

    it('is honest about a lost connection, and accessible while reconnecting', async () => {
      const el = await renderCheckout();
      await untilStatus(el, 'awaiting_payment');
      server.session = () => 'hang';
      FakeEventSource.latest!.fail();
      await el.updateComplete;
      expect(el.connection).to.equal('reconnecting');
      expect(query(el, '[part~=status]').textContent).to.contain('Conexão instável');
      await expect(el).to.be.accessible();
    });

    it('copies the code with the Clipboard API and announces it', async () => {
      const writeText = sinon.stub(navigator.clipboard, 'writeText').resolves();
      const el = await renderCheckout();
      await untilStatus(el, 'awaiting_payment');
      query<HTMLButtonElement>(el, 'button[part~=copy-button]').click();
      await settle(el);
      expect(writeText).to.have.been.calledOnceWith(el.charge!.copyAndPaste);
      expect(query(el, 'button[part~=copy-button]').textContent).to.contain('Código copiado!');
      expect(query(el, '[role=status]').textContent).to.contain('Código copiado!');
    });

    it('selects the code when the Clipboard API is refused, and says so', async () => {
      sinon.stub(navigator.clipboard, 'writeText').rejects(new DOMException('denied', 'NotAllowedError'));
      sinon.stub(document, 'execCommand').returns(false);
      const el = await renderCheckout();
      await untilStatus(el, 'awaiting_payment');
      query<HTMLButtonElement>(el, 'button[part~=copy-button]').click();
      await settle(el);
      const field = query<HTMLTextAreaElement>(el, 'textarea.code');
      expect(el.shadowRoot!.activeElement).to.equal(field);
      expect([field.selectionStart, field.selectionEnd]).to.deep.equal([0, field.value.length]);
      expect(text(el)).to.contain('Não foi possível copiar');
      expect(query(el, '[role=status]').textContent).to.contain('Não foi possível copiar');
      await expect(el).to.be.accessible();
    });

    it('falls back to execCommand("copy") when it works', async () => {
      sinon.stub(navigator.clipboard, 'writeText').rejects(new Error('no'));
      const exec = sinon.stub(document, 'execCommand').returns(true);
      const el = await renderCheckout();
      await untilStatus(el, 'awaiting_payment');
      query<HTMLButtonElement>(el, 'button[part~=copy-button]').click();
      await settle(el);
      expect(exec).to.have.been.calledWith('copy');
      expect(query(el, '[role=status]').textContent).to.contain('Código copiado!');
    });
  });

  describe('events', () => {
    it('fires connectpsp-status on each change, bubbling and composed', async () => {
      const { el, seen } = await mountWithListeners({ 'checkout-id': newCheckoutId(), 'client-secret': SECRET, server: SERVER }, [
        'connectpsp-status',
      ]);
      await untilStatus(el, 'awaiting_payment');
      const events = seen['connectpsp-status'] as ConnectpspStatusEvent[];
      expect(events.map((e) => [e.detail.previous, e.detail.status])).to.deep.equal([
        ['loading', 'open'],
        ['open', 'awaiting_payment'],
      ]);
      expect(events.every((e) => e.bubbles && e.composed)).to.equal(true);
    });

    it('fires connectpsp-paid exactly once, whatever duplicates, replays and polls say', async () => {
      const id = newCheckoutId();
      const { el, seen } = await mountWithListeners({ 'checkout-id': id, 'client-secret': SECRET, server: SERVER }, [
        'connectpsp-paid',
        'connectpsp-status',
      ]);
      await untilStatus(el, 'awaiting_payment');
      const stream = FakeEventSource.latest!;
      stream.open();
      el.refresh(); // a poll that answers "open": stale, ignored
      const paid = { status: 'paid' as const, previous: 'awaiting_payment' as const, endToEndId: E2E, paidAt: '2026-11-30T15:00:00.000Z' };
      stream.emitStatus(2, paid);
      stream.emitStatus(2, paid); // replayed after a reconnect
      stream.emitStatus(3, paid); // a duplicate webhook, relayed
      server.session = () => ({ status: 200, body: makeSession({ status: 'paid', endToEndId: E2E }) });
      el.refresh();
      await untilStatus(el, 'paid');
      await settle(el);
      const events = seen['connectpsp-paid'] as ConnectpspPaidEvent[];
      expect(events).to.have.length(1);
      expect(events[0]!.detail).to.deep.equal({ checkoutId: id, amount: 4990, endToEndId: E2E, paidAt: '2026-11-30T15:00:00.000Z' });
      expect(events[0]!.bubbles && events[0]!.composed).to.equal(true);
      expect(el.getAttribute('status')).to.equal('paid');
      expect(stream.closed, 'paid is not terminal: the stream stays open, a refund may follow').to.equal(false);
      stream.emitStatus(4, { status: 'refunded', previous: 'paid', endToEndId: E2E, refundEndToEndId: 'D12345678202612011200abcdefghijk' });
      await untilStatus(el, 'refunded');
      expect(stream.closed, 'closed at the terminal status').to.equal(true);
      expect(seen['connectpsp-paid']).to.have.length(1);
    });

    it('does not fire connectpsp-paid again for the same checkout in another element (tab, reload)', async () => {
      const id = newCheckoutId();
      server.session = () => ({ status: 200, body: makeSession({ status: 'paid', endToEndId: E2E, paidAt: new Date().toISOString() }) });
      const first = await mountWithListeners({ 'checkout-id': id, 'client-secret': SECRET, server: SERVER }, ['connectpsp-paid']);
      await untilStatus(first.el, 'paid');
      const second = await mountWithListeners({ 'checkout-id': id, 'client-secret': SECRET, server: SERVER }, ['connectpsp-paid']);
      await untilStatus(second.el, 'paid');
      expect(first.seen['connectpsp-paid']).to.have.length(1);
      expect(second.seen['connectpsp-paid']).to.have.length(0);
    });

    it('ignores frames that would move the status backwards', async () => {
      const el = await renderCheckout();
      await untilStatus(el, 'awaiting_payment');
      const stream = FakeEventSource.latest!;
      stream.open();
      stream.emitStatus(5, { status: 'paid', endToEndId: E2E });
      await untilStatus(el, 'paid');
      stream.emitStatus(6, { status: 'awaiting_payment', activeCharge: makeCharge({ transactionId: 'late' }) });
      stream.emitStatus(7, { status: 'open' });
      await settle(el);
      expect(el.status).to.equal('paid');
    });

    it('shows the paid state with the E2E id and time; accessible', async () => {
      const el = await renderCheckout();
      await untilStatus(el, 'awaiting_payment');
      FakeEventSource.latest!.open();
      FakeEventSource.latest!.emitStatus(1, { status: 'paid', endToEndId: E2E, paidAt: '2026-11-30T15:00:00.000Z' });
      await untilStatus(el, 'paid');
      expect(text(el)).to.contain('Pagamento confirmado').and.contain(E2E).and.contain('Data e hora').and.contain('30/11/2026');
      expect(query(el, '[role=status]').textContent).to.contain('Pagamento confirmado');
      await expect(el).to.be.accessible();
    });

    it('fires connectpsp-expired once and offers a new code in one click', async () => {
      let charges = 0;
      server.pix = () => ({ status: 200, body: makeCharge({ transactionId: `txn_${++charges}` }) });
      const el = await renderCheckout();
      await untilStatus(el, 'awaiting_payment');
      const expired = record<ConnectpspExpiredEvent>(el, 'connectpsp-expired');
      const stream = FakeEventSource.latest!;
      stream.open();
      stream.emitStatus(2, { status: 'expired', previous: 'awaiting_payment' });
      stream.emitStatus(3, { status: 'expired', previous: 'awaiting_payment' });
      await untilStatus(el, 'expired');
      expect(expired).to.have.length(1);
      expect(expired[0]!.detail.transactionId).to.equal('txn_1');
      expect(text(el)).to.contain('O código Pix expirou');
      await expect(el).to.be.accessible();

      query<HTMLButtonElement>(el, 'button[part~=new-code-button]').click();
      await untilStatus(el, 'awaiting_payment');
      expect(el.charge?.transactionId).to.equal('txn_2');
      expect(server.callsTo('/pix')).to.equal(2);
      expect(query(el, 'svg.qr')).to.exist;
    });

    it('says so when the gateway no longer knows the code (it ended cancelled), and offers a new one', async () => {
      let charges = 0;
      server.pix = () => ({ status: 200, body: makeCharge({ transactionId: `txn_${++charges}` }) });
      const el = await renderCheckout();
      await untilStatus(el, 'awaiting_payment');
      const stream = FakeEventSource.latest!;
      stream.open();
      stream.emitStatus(2, {
        status: 'expired',
        previous: 'awaiting_payment',
        activeCharge: makeCharge({ transactionId: 'txn_1', status: 'cancelled' }),
      });
      await untilStatus(el, 'expired');
      // The reason first, then what the plain expired screen says (nothing was paid, get a new code).
      expect(text(el)).to.contain('O Pix não reconhece mais este código. Nada foi pago com este código.');

      query<HTMLButtonElement>(el, 'button[part~=new-code-button]').click();
      await untilStatus(el, 'awaiting_payment');
      expect(el.charge?.transactionId).to.equal('txn_2');

      // A code that merely ran out of time keeps the plain expired message.
      FakeEventSource.latest!.open();
      FakeEventSource.latest!.emitStatus(3, {
        status: 'expired',
        previous: 'awaiting_payment',
        activeCharge: makeCharge({ transactionId: 'txn_2', status: 'expired' }),
      });
      await untilStatus(el, 'expired');
      expect(text(el)).to.contain('Nada foi pago com este código').and.not.contain('não reconhece');
    });

    it('moves focus to the new screen only when the payer was working in the widget', async () => {
      const el = await renderCheckout();
      await untilStatus(el, 'awaiting_payment');
      query<HTMLButtonElement>(el, 'button[part~=copy-button]').focus();
      FakeEventSource.latest!.open();
      FakeEventSource.latest!.emitStatus(1, { status: 'paid', endToEndId: E2E });
      await untilStatus(el, 'paid');
      expect(el.shadowRoot!.activeElement?.id).to.equal('result-title');

      const outside = await fixture<HTMLButtonElement>(html`<button>outside</button>`);
      const other = await renderCheckout();
      await untilStatus(other, 'awaiting_payment');
      outside.focus();
      FakeEventSource.latest!.open();
      FakeEventSource.latest!.emitStatus(1, { status: 'paid' });
      await untilStatus(other, 'paid');
      expect(document.activeElement).to.equal(outside);
    });
  });

  describe('other final states', () => {
    it('shows refunded; accessible', async () => {
      server.session = () => ({ status: 200, body: makeSession({ status: 'refunded', endToEndId: E2E }) });
      const el = await renderCheckout();
      await untilStatus(el, 'refunded');
      expect(text(el)).to.contain('Pagamento devolvido');
      await expect(el).to.be.accessible();
    });

    it('shows cancelled; accessible', async () => {
      server.session = () => ({ status: 200, body: makeSession({ status: 'cancelled' }) });
      const el = await renderCheckout();
      await untilStatus(el, 'cancelled');
      expect(text(el)).to.contain('Pagamento cancelado');
      expect(FakeEventSource.instances, 'nothing to follow').to.have.length(0);
      await expect(el).to.be.accessible();
    });

    it('shows an expired checkout after a reload, and follows it (a late payment can land)', async () => {
      server.session = () => ({ status: 200, body: makeSession({ status: 'expired' }) });
      const el = await renderCheckout();
      await untilStatus(el, 'expired');
      expect(FakeEventSource.instances).to.have.length(1);
      FakeEventSource.latest!.open();
      FakeEventSource.latest!.emitStatus(9, { status: 'paid', previous: 'expired', endToEndId: E2E });
      await untilStatus(el, 'paid');
    });

    it('re-reads the session when the charge conflicts (paid elsewhere)', async () => {
      let sessions = 0;
      server.session = () => ({ status: 200, body: makeSession({ status: ++sessions === 1 ? 'open' : 'paid', endToEndId: E2E }) });
      server.pix = () => ({ status: 409, body: { error: { type: 'conflict', message: 'already paid' } } });
      const el = await renderCheckout();
      await untilStatus(el, 'paid');
    });
  });

  describe('brcode check', () => {
    it('refuses a corrupt BR Code: error state, connectpsp-error, no QR', async () => {
      const code = brCodeFor(4990);
      const corrupt = code.slice(0, 40) + (code[40] === 'a' ? 'b' : 'a') + code.slice(41);
      server.pix = () => ({ status: 200, body: makeCharge({ copyAndPaste: corrupt }) });
      const { el, seen } = await mountWithListeners({ 'checkout-id': newCheckoutId(), 'client-secret': SECRET, server: SERVER }, [
        'connectpsp-error',
      ]);
      await untilStatus(el, 'error');
      expect((seen['connectpsp-error']![0] as ConnectpspErrorEvent).detail.reason).to.equal('invalid_brcode');
      expect(el.shadowRoot!.querySelector('svg.qr')).to.equal(null);
      expect(el.shadowRoot!.querySelector('textarea')).to.equal(null);
      await expect(el).to.be.accessible();
    });

    it('refuses a valid BR Code for another amount', async () => {
      server.pix = () => ({ status: 200, body: makeCharge({ copyAndPaste: brCodeFor(1) }) });
      const el = await renderCheckout();
      await untilStatus(el, 'error');
      expect(el.error?.reason).to.equal('invalid_brcode');
      expect(el.error?.message).to.contain('0.01');
    });
  });
});
