/**
 * Pix via Open Finance through the whole companion server and its embedded sandbox: the browser
 * asks for an intent, the payer follows `paymentUrl` to the sandbox bank, approves (or refuses, or
 * lets the time run out) and is sent back to the merchant page, which learns the outcome from the
 * server, not from the redirect.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import {
  ROUTES,
  type CheckoutSession,
  type CheckoutView,
  type OpenFinanceChargeView,
  type PixChargeView,
} from '../../widget/contract/wire-contract.js';
import { eventually, startTestServer, type TestServer } from './helpers.js';

const E2E = /^E\d{8}\d{12}[A-Za-z0-9]{11}$/;
const RETURN_URL = 'https://shop.example/checkout?order=42';

let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(async () => {
  await server.destroy();
});

async function startOpenFinance() {
  const checkout = await server.createCheckout({ methods: ['pix', 'open_finance'], returnUrl: RETURN_URL });
  const res = await server.browser(ROUTES.openFinance(checkout.id), checkout.clientSecret, { method: 'POST', body: '{}' });
  assert.equal(res.status, 200, await res.clone().text());
  const intent = (await res.json()) as OpenFinanceChargeView;
  assert.equal(intent.method, 'open_finance');
  assert.ok(intent.expiresAt);
  return { checkout, intent };
}

/** The payer at the bank: picker, then the consent screen for `bank`. */
async function visitBank(paymentUrl: string, bank: string): Promise<string> {
  const picker = await fetch(paymentUrl);
  assert.equal(picker.status, 200);
  assert.match(await picker.text(), new RegExp(`value="${bank}"`));
  const consent = await fetch(`${paymentUrl}/consent?bank=${bank}`);
  assert.equal(consent.status, 200);
  return consent.text();
}

function post(url: string, fields: Record<string, string> = {}) {
  return fetch(url, { method: 'POST', body: new URLSearchParams(fields), redirect: 'manual' });
}

async function session(checkoutId: string, secret: string, refresh = false): Promise<CheckoutSession> {
  const res = await server.browser(`${ROUTES.session(checkoutId)}${refresh ? '?refresh=true' : ''}`, secret);
  assert.equal(res.status, 200);
  return (await res.json()) as CheckoutSession;
}

describe('Pix via Open Finance through the sandbox bank', () => {
  it('approve: back on the merchant page with the checkout id, and the checkout is paid with the E2E id', async () => {
    const { checkout, intent } = await startOpenFinance();
    assert.equal(intent.paymentUrl, `${server.publicUrl}/sandbox/open-finance/${intent.transactionId}`);

    const consent = (await visitBank(intent.paymentUrl, 'itau')).replace(/\u00a0/g, ' ');
    assert.match(consent, /R\$ 10,50/);
    assert.match(consent, /<dt>Recebedor<\/dt><dd>Loja Exemplo<\/dd>/);
    assert.match(consent, /<dt>Pagador<\/dt><dd>Maria Silva<\/dd>/);
    assert.match(consent, /<dt>CPF do pagador<\/dt><dd>\*\*\*\.456\.789-\*\*<\/dd>/);

    const approved = await post(`${intent.paymentUrl}/approve`, { bank: 'itau' });
    assert.equal(approved.status, 303);
    const location = new URL(approved.headers.get('location') ?? '');
    assert.equal(`${location.origin}${location.pathname}`, 'https://shop.example/checkout');
    assert.equal(location.searchParams.get('order'), '42');
    assert.equal(location.searchParams.get('connectpsp_checkout'), checkout.id);
    assert.deepEqual([...location.searchParams.keys()].sort(), ['connectpsp_checkout', 'order'], 'no invented status parameter');

    // The merchant learns it from the server (the CASHIN_PAID webhook, confirmed with ConnectPSP).
    const paid = await eventually(
      async () => {
        const res = await server.merchant(ROUTES.checkout(checkout.id));
        const view = (await res.json()) as CheckoutView;
        return view.status === 'paid' && view;
      },
      5000,
      'checkout paid',
    );
    assert.match(paid.endToEndId ?? '', E2E);
    assert.equal(paid.endToEndId!.slice(1, 9), '60701190', 'paid from the chosen institution');
    assert.ok(paid.paidAt);
    const back = await session(checkout.id, checkout.clientSecret, true);
    assert.equal(back.status, 'paid');
    assert.equal(back.endToEndId, paid.endToEndId);
  });

  it('reject: the refreshed session says expired, and the payer can switch to the QR code', async () => {
    const { checkout, intent } = await startOpenFinance();
    await visitBank(intent.paymentUrl, 'bb');
    const rejected = await post(`${intent.paymentUrl}/reject`);
    assert.equal(rejected.status, 303);
    assert.equal(new URL(rejected.headers.get('location') ?? '').searchParams.get('connectpsp_checkout'), checkout.id);

    const back = await session(checkout.id, checkout.clientSecret, true);
    assert.equal(back.status, 'expired');
    assert.equal(back.endToEndId, null);

    const pix = await server.browser(ROUTES.pix(checkout.id), checkout.clientSecret, { method: 'POST', body: '{}' });
    assert.equal(pix.status, 200, await pix.clone().text());
    const charge = (await pix.json()) as PixChargeView;
    assert.equal(charge.method, 'pix');
    assert.match(charge.copyAndPaste, /^000201/);
    assert.equal((await session(checkout.id, checkout.clientSecret)).status, 'awaiting_payment');
  });

  it('timeout: the same, and a new Open Finance attempt gets a new intent', async () => {
    const { checkout, intent } = await startOpenFinance();
    await visitBank(intent.paymentUrl, 'nubank');
    const control = await fetch(`${intent.paymentUrl}/timeout`, { method: 'POST' });
    assert.equal(control.status, 200);
    const late = await post(`${intent.paymentUrl}/approve`, { bank: 'nubank' });
    assert.equal(late.status, 409);
    assert.match(await late.text(), /O tempo para autorizar acabou/);

    assert.equal((await session(checkout.id, checkout.clientSecret, true)).status, 'expired');
    const retry = await server.browser(ROUTES.openFinance(checkout.id), checkout.clientSecret, { method: 'POST', body: '{}' });
    assert.equal(retry.status, 200);
    const again = (await retry.json()) as OpenFinanceChargeView;
    assert.notEqual(again.transactionId, intent.transactionId);
    assert.match(await visitBank(again.paymentUrl, 'nubank'), />05:00</);
  });
});
