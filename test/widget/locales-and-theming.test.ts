import { expect, waitUntil } from '@open-wc/testing';
import { emulateMedia, setViewport } from '@web/test-runner-commands';
import sinon from 'sinon';

import { resolveLocale } from '../../widget/translations/index.js';
import { FakeEventSource, FakeServer, makeSession, query, renderCheckout, text, untilStatus } from './helpers.js';

describe('<connectpsp-checkout> locales, layout and theming', () => {
  let server: FakeServer;
  let restoreEventSource: () => void;

  beforeEach(() => {
    server = new FakeServer();
    restoreEventSource = FakeEventSource.install();
  });

  afterEach(async () => {
    server.restore();
    restoreEventSource();
    sinon.restore();
    await emulateMedia({ colorScheme: 'light', reducedMotion: 'no-preference' });
    await setViewport({ width: 800, height: 600 });
  });

  describe('locales', () => {
    it('resolves tags to the closest shipped locale', () => {
      expect(resolveLocale(undefined)).to.equal('pt-BR');
      expect(resolveLocale('en-US')).to.equal('en');
      expect(resolveLocale('ES-mx')).to.equal('es');
      expect(resolveLocale('pt')).to.equal('pt-BR');
      expect(resolveLocale('fr')).to.equal('pt-BR');
    });

    const expectations = [
      ['pt-BR', 'Pague com Pix', 'Copiar código', 'R$ 49,90'],
      ['en', 'Pay with Pix', 'Copy code', 'R$49.90'],
      ['es', 'Paga con Pix', 'Copiar código', '49,90 R$'],
    ] as const;
    for (const [locale, title, copy, amount] of expectations) {
      it(`speaks ${locale}, and is accessible in it`, async () => {
        const el = await renderCheckout({ locale });
        await untilStatus(el, 'awaiting_payment');
        expect(query(el, '#pix-title').textContent).to.equal(title);
        expect(query(el, '[part~=copy-button]').textContent!.trim()).to.equal(copy);
        expect(text(el)).to.contain(amount);
        expect(query(el, '[part=base]').getAttribute('lang')).to.equal(locale);
        await expect(el).to.be.accessible();
      });
    }

    it('switches language live when the attribute changes', async () => {
      const el = await renderCheckout();
      await untilStatus(el, 'awaiting_payment');
      el.setAttribute('locale', 'en');
      await el.updateComplete;
      expect(query(el, '#pix-title').textContent).to.equal('Pay with Pix');
      expect(server.callsTo('/session'), 'no reload for a language change').to.equal(1);
    });

    it('lets the page override any string', async () => {
      const el = await renderCheckout({ locale: 'en' });
      el.messages = { pixTitle: 'Pay Loja Exemplo with Pix' };
      await untilStatus(el, 'awaiting_payment');
      expect(query(el, '#pix-title').textContent).to.equal('Pay Loja Exemplo with Pix');
      expect(query(el, '[part~=copy-button]').textContent!.trim()).to.equal('Copy code');
    });

    it('translates errors too', async () => {
      server.session = () => ({ status: 401, body: { error: { type: 'unauthorized', message: 'no' } } });
      const el = await renderCheckout({ locale: 'es' });
      await untilStatus(el, 'error');
      expect(text(el)).to.contain('No pudimos continuar');
    });
  });

  describe('phones', () => {
    it('puts the Copia e Cola code before the QR on a narrow screen, and the QR first on a wide one', async () => {
      const wide = await renderCheckout();
      await untilStatus(wide, 'awaiting_payment');
      const order = (root: ShadowRoot) =>
        [...root.querySelectorAll('svg.qr, textarea.code')].map((e) => (e.localName === 'svg' ? 'qr' : 'code'));
      expect(order(wide.shadowRoot!)).to.deep.equal(['qr', 'code']);

      await setViewport({ width: 360, height: 740 });
      await waitUntil(() => order(wide.shadowRoot!)[0] === 'code', 'the code never came first');
      expect(order(wide.shadowRoot!)).to.deep.equal(['code', 'qr']);
      const instructions = query(wide, '[part=instructions]');
      expect(instructions.textContent).to.contain('cole no app do banco em Pix › Copia e Cola');
    });
  });

  describe('theming', () => {
    it('exposes parts and --connectpsp-* custom properties', async () => {
      const el = await renderCheckout();
      el.style.setProperty('--connectpsp-accent', 'rgb(200, 0, 100)');
      el.style.setProperty('--connectpsp-radius', '3px');
      el.style.setProperty('--connectpsp-qr-size', '200px');
      await untilStatus(el, 'awaiting_payment');
      const button = query(el, '[part~=copy-button]');
      expect(getComputedStyle(button).backgroundColor).to.equal('rgb(200, 0, 100)');
      expect(getComputedStyle(query(el, '[part=base]')).borderRadius).to.equal('3px');
      expect(getComputedStyle(query(el, 'svg.qr')).width).to.equal('200px');
      for (const part of ['base', 'summary', 'amount', 'pix', 'qr', 'code', 'copy-button', 'countdown', 'status', 'instructions']) {
        expect(el.shadowRoot!.querySelector(`[part~="${part}"]`), part).to.exist;
      }
    });

    it('is light by default even on a dark OS; theme="auto" follows it, theme="dark" forces dark', async () => {
      const el = await renderCheckout();
      await untilStatus(el, 'awaiting_payment');
      const background = () => getComputedStyle(query(el, '[part=base]')).backgroundColor;
      expect(background()).to.equal('rgb(255, 255, 255)');
      await emulateMedia({ colorScheme: 'dark' });
      expect(background(), 'a white merchant page keeps a white card').to.equal('rgb(255, 255, 255)');
      el.setAttribute('theme', 'auto');
      expect(background()).to.equal('rgb(28, 28, 30)');
      await expect(el).to.be.accessible();
      await emulateMedia({ colorScheme: 'light' });
      expect(background()).to.equal('rgb(255, 255, 255)');
      el.setAttribute('theme', 'dark');
      expect(background()).to.equal('rgb(28, 28, 30)');
      el.removeAttribute('theme');
      el.style.setProperty('--connectpsp-color-scheme', 'dark');
      expect(background(), 'the custom property works too').to.equal('rgb(28, 28, 30)');
      // The QR stays dark on white in every theme: some scanners cannot read inverted codes.
      el.style.removeProperty('--connectpsp-color-scheme');
      expect(query(el, 'svg.qr rect').getAttribute('fill')).to.equal('#fff');
    });

    it('stops the spinner for prefers-reduced-motion', async () => {
      server.session = () => 'hang';
      const el = await renderCheckout();
      const spinner = query(el, '.spinner');
      expect(getComputedStyle(spinner).animationName).to.equal('spin');
      await emulateMedia({ reducedMotion: 'reduce' });
      expect(getComputedStyle(spinner).animationName).to.equal('none');
    });

    it('reflects status for page styles, e.g. connectpsp-checkout[status="paid"]', async () => {
      server.session = () => ({ status: 200, body: makeSession({ status: 'paid' }) });
      const el = await renderCheckout();
      await untilStatus(el, 'paid');
      expect(el.matches('[status="paid"]')).to.equal(true);
    });
  });
});
