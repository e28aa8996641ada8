/**
 * What the friendly sandbox used to hide, reproduced with its faults (`POST /sandbox/faults`):
 * tokens the gateway stops accepting, reads that lag the webhooks, a slow confirming GET, envelopes
 * that claim more than the gateway says, refusals replayed under an idempotency key, refunds that
 * settle later or fail, and browser limits that outsiders could trip.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ROUTES, type CheckoutView, type ErrorBody, type PixChargeView } from '../../widget/contract/wire-contract.js';
import { webhookSignature } from '../../server/connectpsp/signing.js';
import { SANDBOX_CREDENTIALS } from '../../server/sandbox/defaults.js';
import { eventually, postJson, startTestServer, type TestServer } from './helpers.js';
import { openSse } from './sse-reader.js';

async function checkoutWithCharge(server: TestServer) {
  const checkout = await server.createCheckout();
  const res = await server.browser(ROUTES.pix(checkout.id), checkout.clientSecret, { method: 'POST', body: '{}' });
  assert.equal(res.status, 200);
  return { checkout, charge: (await res.json()) as PixChargeView };
}

const view = async (server: TestServer, id: string) => (await (await server.merchant(ROUTES.checkout(id))).json()) as CheckoutView;
const faults = (server: TestServer, body: unknown) => postJson(`${server.url}/sandbox/faults`, body);
const outboxTypes = async (server: TestServer, checkoutId: string) =>
  (await server.store.getMerchantEvents(100_000)).filter((m) => JSON.stringify(m.data).includes(checkoutId)).map((m) => m.type);

function signedWebhook(server: TestServer, body: string) {
  return fetch(server.url + ROUTES.connectpspWebhook, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-connect-signature': webhookSignature(body, SANDBOX_CREDENTIALS.cryptoToken),
      'x-event-id': crypto.randomUUID(),
    },
    body,
  });
}

describe('the gateway stops taking our token (fault 2)', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    await server.destroy();
  });

  it('after a gateway restart that lost every token, the next charge logs in again and succeeds', async () => {
    await checkoutWithCharge(server); // a token is cached now
    assert.equal((await faults(server, { tokens: { revoke: true } })).status, 200);
    const { charge } = await checkoutWithCharge(server);
    assert.ok(charge.copyAndPaste.length > 0);
  });

  it('a credential the gateway refuses even fresh: a clear 502 naming the cause, and no retry loop', async () => {
    await faults(server, { tokens: { refuse: true } });
    try {
      const checkout = await server.createCheckout();
      const res = await server.browser(ROUTES.pix(checkout.id), checkout.clientSecret, { method: 'POST', body: '{}' });
      assert.equal(res.status, 502);
      const body = (await res.json()) as ErrorBody;
      assert.equal(body.error.type, 'gateway_error');
      assert.match(body.error.message, /credentials/);
    } finally {
      await faults(server, { tokens: { refuse: false } });
    }
  });
});

describe('CONFIRM_PAYMENTS: every money event is confirmed, and webhooks are acknowledged first (faults 4, 6, 7)', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ CONFIRM_PAYMENTS: 'true', RECONCILE_INTERVAL_SECONDS: '1' });
  });
  after(async () => {
    await faults(server, { reads: { lagMs: 0, slowGetMs: 0 }, webhooks: { hold: false } });
    await server.destroy();
  });

  const envelope = (charge: PixChargeView, eventType: string, status: string, extra: Record<string, unknown> = {}) =>
    JSON.stringify({
      eventType,
      eventAt: new Date().toISOString(),
      data: {
        transactionId: charge.transactionId,
        internalCode: 'X',
        externalReference: 'r',
        endToEndId: 'E12345678202611301200abcdefghijk',
        status,
        amount: charge.amount / 100,
        payer: { name: 'Maria Silva', document: '12345678909', bankData: null },
        ...extra,
      },
    });
  /** The webhook was tried and put off (no longer due now, still unprocessed). */
  const deferred = async (dedupeKey: string) =>
    !(await server.store.unprocessedWebhooks(new Date().toISOString())).some((w) => w.dedupeKey === dedupeKey) &&
    (await server.store.unprocessedWebhooks()).some((w) => w.dedupeKey === dedupeKey);

  it('a signed CASHIN_REFUNDED envelope carrying PAID for an unpaid charge pays nothing and queues no checkout.paid', async () => {
    const { checkout, charge } = await checkoutWithCharge(server);
    assert.equal((await signedWebhook(server, envelope(charge, 'CASHIN_REFUNDED', 'PAID'))).status, 200);
    await eventually(
      () => deferred(`CASHIN_REFUNDED:${charge.transactionId}:PAID:E12345678202611301200abcdefghijk`),
      10_000,
      'the claim checked and put off',
    );
    assert.equal((await view(server, checkout.id)).status, 'awaiting_payment');
    assert.ok(!(await outboxTypes(server, checkout.id)).includes('checkout.paid'));
  });

  it('a signed envelope carrying EXPIRED for a paid charge leaves it paid', async () => {
    const { checkout, charge } = await checkoutWithCharge(server);
    await postJson(`${server.url}/sandbox/cash-in/${charge.transactionId}/pay`);
    await eventually(async () => (await view(server, checkout.id)).status === 'paid', 10_000, 'paid');
    assert.equal((await signedWebhook(server, envelope(charge, 'CASHIN_REFUNDED', 'EXPIRED'))).status, 200);
    await eventually(
      () => deferred(`CASHIN_REFUNDED:${charge.transactionId}:EXPIRED:E12345678202611301200abcdefghijk`),
      10_000,
      'the claim checked and put off',
    );
    const after = await view(server, checkout.id);
    assert.equal(after.status, 'paid');
    assert.equal(after.charges[0]!.status, 'paid');
  });

  it('when the gateway read lags its webhook, the webhook stays pending and the payment is applied when the read catches up', async () => {
    const { checkout, charge } = await checkoutWithCharge(server);
    await faults(server, { reads: { lagMs: 1500 } });
    try {
      await postJson(`${server.url}/sandbox/cash-in/${charge.transactionId}/pay`);
      await eventually(async () => (await view(server, checkout.id)).status === 'paid', 15_000, 'paid once the read caught up');
    } finally {
      await faults(server, { reads: { lagMs: 0 } });
    }
  });

  it('a verified webhook is answered once recorded, before the slow confirming GET, and applied after', async () => {
    const { checkout, charge } = await checkoutWithCharge(server);
    await faults(server, { webhooks: { hold: true } });
    const paid = (await (await postJson(`${server.url}/sandbox/cash-in/${charge.transactionId}/pay`)).json()) as Record<string, unknown>;
    await faults(server, { reads: { slowGetMs: 2000 } });
    try {
      const body = JSON.stringify({ eventType: 'CASHIN_PAID', eventAt: new Date().toISOString(), data: paid });
      const res = await signedWebhook(server, body);
      assert.equal(res.status, 200);
      // Answered while the GET is still on its way: nothing applied yet, the record kept.
      assert.equal((await view(server, checkout.id)).status, 'awaiting_payment');
      assert.ok((await server.store.unprocessedWebhooks()).some((w) => w.transactionId === charge.transactionId));
      await eventually(async () => (await view(server, checkout.id)).status === 'paid', 15_000, 'paid after the slow GET');
    } finally {
      await faults(server, { reads: { slowGetMs: 0 }, webhooks: { hold: false } });
      await postJson(`${server.url}/sandbox/webhooks/release`);
    }
  });
});

describe('refunds are operations with a life of their own (fault 8)', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ RECONCILE_INTERVAL_SECONDS: '1' });
  });
  after(async () => {
    await server.destroy();
  });
  const refund = (id: string) => server.merchant(ROUTES.refund(id), { method: 'POST', body: '{}' });
  async function paidCheckout() {
    const { checkout, charge } = await checkoutWithCharge(server);
    await postJson(`${server.url}/sandbox/cash-in/${charge.transactionId}/pay`);
    await eventually(async () => (await view(server, checkout.id)).status === 'paid', 10_000, 'paid');
    return { checkout, charge };
  }

  it('a slow EXPIRED answer landing after the payment leaves the charge paid, so the refund still works (fault 5)', async () => {
    const { checkout, charge } = await paidCheckout();
    await server.service.applyCashIn({
      transactionId: charge.transactionId,
      internalCode: null,
      externalReference: 'r',
      status: 'EXPIRED',
      amount: charge.amount,
      payer: null,
      endToEndId: null,
      originalEndToEndId: null,
      pixData: null,
      paymentUrl: null,
      requestedAt: null,
      paidAt: null,
      refundedAt: null,
      expiredAt: new Date().toISOString(),
    });
    const after = await view(server, checkout.id);
    assert.equal(after.status, 'paid');
    assert.equal(after.charges[0]!.status, 'paid');
    assert.equal((await refund(checkout.id)).status, 200);
    // And a late PAID after the refund leaves the charge refunded.
    await server.service.applyCashIn({
      transactionId: charge.transactionId,
      internalCode: null,
      externalReference: 'r',
      status: 'PAID',
      amount: charge.amount,
      payer: null,
      endToEndId: after.endToEndId,
      originalEndToEndId: null,
      pixData: null,
      paymentUrl: null,
      requestedAt: null,
      paidAt: after.paidAt,
      refundedAt: null,
      expiredAt: null,
    });
    const last = await view(server, checkout.id);
    assert.equal(last.status, 'refunded');
    assert.equal(last.charges[0]!.status, 'refunded');
  });

  it('a refusal stored under the idempotency key does not repeat forever: the retry is a new operation with a new key', async () => {
    const { checkout } = await paidCheckout();
    await faults(server, { idempotency: { storeRefusals: true }, refunds: { refuseNext: { count: 1, code: 'INSUFFICIENT_FUNDS' } } });
    try {
      const refused = await refund(checkout.id);
      assert.equal(refused.status, 409);
      assert.match(((await refused.json()) as ErrorBody).error.message, /INSUFFICIENT_FUNDS/);
      const failed = await view(server, checkout.id);
      assert.equal(failed.status, 'paid');
      assert.equal(failed.charges[0]!.refundStatus, 'failed');
      assert.match(failed.charges[0]!.refundFailure ?? '', /INSUFFICIENT_FUNDS/);
      assert.ok((await outboxTypes(server, checkout.id)).includes('checkout.refund_failed'));

      const retried = await refund(checkout.id);
      assert.equal(retried.status, 200);
      assert.equal(((await retried.json()) as CheckoutView).status, 'refunded');
    } finally {
      await faults(server, { idempotency: { storeRefusals: false } });
    }
  });

  it('accepted is not refunded: a 202 while the devolution is processing, refunded (and announced) when it settles', async () => {
    const { checkout } = await paidCheckout();
    await faults(server, { refunds: { async: true, settleAfterMs: 300, outcome: 'succeed' } });
    try {
      const accepted = await refund(checkout.id);
      assert.equal(accepted.status, 202);
      const processing = (await accepted.json()) as CheckoutView;
      assert.equal(processing.status, 'paid');
      assert.equal(processing.charges[0]!.refundStatus, 'processing');
      assert.ok(!(await outboxTypes(server, checkout.id)).includes('checkout.refunded'));
      await eventually(async () => (await view(server, checkout.id)).status === 'refunded', 10_000, 'refunded once settled');
      assert.ok((await outboxTypes(server, checkout.id)).includes('checkout.refunded'));
    } finally {
      await faults(server, { refunds: { async: false } });
    }
  });

  it('a devolution that fails after the 202 is recorded as failed, the merchant told, the checkout still paid', async () => {
    const { checkout } = await paidCheckout();
    await faults(server, { refunds: { async: true, settleAfterMs: 200, outcome: 'fail', failureCode: 'REFUND_REJECTED' } });
    try {
      assert.equal((await refund(checkout.id)).status, 202);
      await eventually(async () => (await view(server, checkout.id)).charges[0]!.refundStatus === 'failed', 10_000, 'the refund failed');
      const after = await view(server, checkout.id);
      assert.equal(after.status, 'paid');
      assert.match(after.charges[0]!.refundFailure ?? '', /REFUND_REJECTED/);
      const types = await outboxTypes(server, checkout.id);
      assert.ok(types.includes('checkout.refund_failed'));
      assert.ok(!types.includes('checkout.refunded'));
    } finally {
      await faults(server, { refunds: { async: false, outcome: 'succeed' } });
    }
  });
});

describe('browser limits (fault 9)', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({
      CHECKOUT_RATE_LIMIT_PER_MINUTE: '5',
      RATE_LIMIT_PER_MINUTE: '100000',
      SSE_MAX_STREAMS_PER_CHECKOUT: '2',
    });
  });
  after(async () => {
    await server.destroy();
  });

  it('requests with a wrong secret do not count against the checkout: its payer is not locked out', async () => {
    const checkout = await server.createCheckout();
    for (let i = 0; i < 20; i++) assert.equal((await server.browser(ROUTES.session(checkout.id), `${checkout.id}_wrong`)).status, 401);
    assert.equal((await server.browser(ROUTES.session(checkout.id), checkout.clientSecret)).status, 200);
  });

  it('authenticated requests past the per-checkout limit get 429 with Retry-After', async () => {
    const checkout = await server.createCheckout();
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await server.browser(ROUTES.session(checkout.id), checkout.clientSecret)).status);
    assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429, 429]);
  });

  it('open event streams per checkout are capped, with a clear 429; closing one makes room', async () => {
    const checkout = await server.createCheckout();
    const url = `${server.url}${ROUTES.events(checkout.id)}?client_secret=${encodeURIComponent(checkout.clientSecret)}`;
    const one = await openSse(url);
    const two = await openSse(url);
    assert.equal(one.response.status, 200);
    assert.equal(two.response.status, 200);
    const three = await fetch(url);
    assert.equal(three.status, 429);
    assert.ok(three.headers.get('retry-after'));
    assert.match(((await three.json()) as ErrorBody).error.message, /open event streams/);
    one.close();
    two.close();
  });
});
