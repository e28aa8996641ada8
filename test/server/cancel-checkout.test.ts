import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  ROUTES,
  type CheckoutView,
  type ErrorBody,
  type PixChargeView,
  type StatusEventData,
} from '../../widget/contract/wire-contract.js';
import type { Balance } from '../../server/connectpsp/types.js';
import { eventually, postJson, startTestServer, type TestServer } from './helpers.js';
import { openSse } from './sse-reader.js';

let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(async () => {
  await server.destroy();
});

async function checkoutWithCharge() {
  const checkout = await server.createCheckout();
  const res = await server.browser(ROUTES.pix(checkout.id), checkout.clientSecret, { method: 'POST', body: '{}' });
  assert.equal(res.status, 200);
  return { checkout, charge: (await res.json()) as PixChargeView };
}

const view = async (id: string) => (await (await server.merchant(ROUTES.checkout(id))).json()) as CheckoutView;
const cancel = (id: string, body = '{}') => server.merchant(`/v1/checkouts/${encodeURIComponent(id)}/cancel`, { method: 'POST', body });
const eventsOf = async (id: string) =>
  (await server.store.getMerchantEvents(100_000)).filter((m) => JSON.stringify(m.data).includes(id)).map((m) => m.type);
const transactional = async () => ((await (await server.merchant('/v1/balance')).json()) as Balance).consolidated.transactionalBalance;

describe('POST /v1/checkouts/:id/cancel', () => {
  it('cancels an open checkout once: 200 cancelled, one checkout.cancelled, a repeat answers the same', async () => {
    const checkout = await server.createCheckout();
    const res = await cancel(checkout.id);
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as CheckoutView).status, 'cancelled');
    const again = await cancel(checkout.id);
    assert.equal(again.status, 200);
    assert.equal(((await again.json()) as CheckoutView).status, 'cancelled');
    assert.deepEqual(await eventsOf(checkout.id), ['checkout.cancelled']);
  });

  it('an open widget learns of it live: the stream sends status cancelled', async () => {
    const { checkout } = await checkoutWithCharge();
    const sse = await openSse(`${server.url}${ROUTES.events(checkout.id)}?client_secret=${encodeURIComponent(checkout.clientSecret)}`);
    assert.equal((JSON.parse((await sse.next())!.data) as StatusEventData).status, 'awaiting_payment');
    assert.equal((await cancel(checkout.id)).status, 200);
    const frame = (await sse.next(5000))!;
    const data = JSON.parse(frame.data) as StatusEventData;
    assert.equal(data.status, 'cancelled');
    assert.equal(data.previous, 'awaiting_payment');
    assert.equal(data.activeCharge, null);
    sse.close();
    // The payer can no longer get a code for it.
    const pix = await server.browser(ROUTES.pix(checkout.id), checkout.clientSecret, { method: 'POST', body: '{}' });
    assert.equal(pix.status, 409);
  });

  it('refuses a paid checkout with 409 and leaves it paid', async () => {
    const { checkout, charge } = await checkoutWithCharge();
    await postJson(`${server.url}/sandbox/cash-in/${charge.transactionId}/pay`);
    await eventually(async () => (await view(checkout.id)).status === 'paid');
    const res = await cancel(checkout.id);
    assert.equal(res.status, 409);
    assert.equal((await view(checkout.id)).status, 'paid');
    assert.equal((await eventsOf(checkout.id)).includes('checkout.cancelled'), false);
  });

  it('a payment that lands after the cancel is recorded, surfaced, and refundable', async () => {
    const { checkout, charge } = await checkoutWithCharge();
    assert.equal((await cancel(checkout.id)).status, 200);
    const before = await transactional();
    assert.equal((await postJson(`${server.url}/sandbox/cash-in/${charge.transactionId}/pay`)).status, 200);
    const recorded = await eventually(async () => {
      const v = await view(checkout.id);
      return v.charges[0]?.status === 'paid' && v;
    });
    assert.equal(recorded.status, 'cancelled', 'the checkout stays cancelled');
    assert.ok(recorded.charges[0]!.endToEndId);
    assert.equal(await transactional(), before + checkout.amount);
    await eventually(
      async () => (await eventsOf(checkout.id)).includes('checkout.payment_after_cancel'),
      5000,
      'checkout.payment_after_cancel',
    );

    const refund = await server.merchant(ROUTES.refund(checkout.id), { method: 'POST', body: '{}' });
    assert.ok(refund.status === 200 || refund.status === 202, `refund answered ${refund.status}`);
    const refunded = await eventually(async () => {
      const v = await view(checkout.id);
      return v.charges[0]?.status === 'refunded' && v;
    });
    assert.equal(refunded.status, 'cancelled');
    assert.equal(await transactional(), before);
    await eventually(async () => (await eventsOf(checkout.id)).includes('checkout.payment_refunded'), 5000, 'checkout.payment_refunded');
    assert.deepEqual(
      (await eventsOf(checkout.id)).filter((t) => t !== 'checkout.payment_refunded'),
      ['checkout.cancelled', 'checkout.payment_after_cancel'],
    );
  });

  it('answers 404 for an unknown checkout and 400 naming an unknown body field', async () => {
    assert.equal((await cancel('chk_000000000000000000000000')).status, 404);
    assert.equal((await cancel('nope')).status, 404);
    const checkout = await server.createCheckout();
    const bad = await cancel(checkout.id, JSON.stringify({ reason: 'x' }));
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as ErrorBody).error.field, 'reason');
    assert.equal((await view(checkout.id)).status, 'open');
  });
});
