/**
 * Runs in its own page with `style-src 'self'; img-src 'none'` (web-test-runner.config.mjs, group
 * "csp"): an inline <style>, a style attribute or a data:/blob: image would be a violation.
 */
import { expect } from '@open-wc/testing';

import { FakeEventSource, FakeServer, makeSession, query, renderCheckout, untilStatus } from './helpers.js';

describe('<connectpsp-checkout> under a strict CSP', () => {
  let server: FakeServer;
  let restoreEventSource: () => void;
  const violations: string[] = [];
  const onViolation = (e: SecurityPolicyViolationEvent) => violations.push(`${e.violatedDirective} ${e.blockedURI}`);

  beforeEach(() => {
    server = new FakeServer();
    restoreEventSource = FakeEventSource.install();
    violations.length = 0;
    document.addEventListener('securitypolicyviolation', onViolation);
  });

  afterEach(() => {
    server.restore();
    restoreEventSource();
    document.removeEventListener('securitypolicyviolation', onViolation);
  });

  it('the page really has the policy', () => {
    const meta = document.querySelector('meta[http-equiv="Content-Security-Policy"]');
    expect(meta?.getAttribute('content')).to.contain("style-src 'self'");
  });

  it('renders the form, the QR and the paid state without a single violation', async () => {
    server.session = () => ({ status: 200, body: makeSession({ payerRequired: true }) });
    const el = await renderCheckout();
    await untilStatus(el, 'open');
    const name = query<HTMLInputElement>(el, '#payer-name');
    name.value = 'Maria Silva';
    name.dispatchEvent(new InputEvent('input'));
    const doc = query<HTMLInputElement>(el, '#payer-document');
    doc.value = '52998224725';
    doc.dispatchEvent(new InputEvent('input'));
    query<HTMLButtonElement>(el, 'button[type=submit]').click();
    await untilStatus(el, 'awaiting_payment');
    expect(el.shadowRoot!.querySelector('svg.qr')).to.exist;
    FakeEventSource.latest!.open();
    FakeEventSource.latest!.emitStatus(1, {
      status: 'paid',
      endToEndId: 'E1234567820261130120000000000001',
      paidAt: new Date().toISOString(),
    });
    await untilStatus(el, 'paid');
    // Violation events are queued as tasks; give them a moment.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(violations).to.deep.equal([]);
    expect(el.shadowRoot!.querySelector('[style]')).to.equal(null);
    expect(el.shadowRoot!.querySelector('style')).to.equal(null);
  });
});
