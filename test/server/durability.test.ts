import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ROUTES, type CheckoutView, type PixChargeView } from '../../widget/contract/wire-contract.js';
import { eventually, postJson, startTestServer } from './helpers.js';

describe('durability', () => {
  it('a restart on the same SQLite file keeps checkouts, charges, events and idempotency records', async () => {
    const first = await startTestServer();
    const created = await first.merchant('/v1/checkouts', {
      method: 'POST',
      headers: { 'idempotency-key': 'restart-key' },
      body: JSON.stringify({ amount: 2500, externalReference: 'restart-order', payer: { name: 'Ana Souza', document: '12345678909' } }),
    });
    const checkout = (await created.json()) as { id: string; clientSecret: string };
    const charge = (await (
      await first.browser(ROUTES.pix(checkout.id), checkout.clientSecret, { method: 'POST', body: '{}' })
    ).json()) as PixChargeView;
    const eventsBefore = await first.store.eventsAfter(checkout.id, 0);
    await first.close(); // keep the directory

    const second = await startTestServer({}, first.dir);
    try {
      const view = (await (await second.merchant(ROUTES.checkout(checkout.id))).json()) as CheckoutView;
      assert.equal(view.status, 'awaiting_payment');
      assert.equal(view.charges[0]!.transactionId, charge.transactionId);
      assert.deepEqual(await second.store.eventsAfter(checkout.id, 0), eventsBefore);
      // The client secret still opens the session (only its hash was stored).
      assert.equal((await second.browser(ROUTES.session(checkout.id), checkout.clientSecret)).status, 200);
      // The idempotent create answers as before.
      const replay = await second.merchant('/v1/checkouts', {
        method: 'POST',
        headers: { 'idempotency-key': 'restart-key' },
        body: JSON.stringify({ amount: 2500, externalReference: 'restart-order', payer: { name: 'Ana Souza', document: '12345678909' } }),
      });
      assert.equal(((await replay.json()) as { id: string }).id, checkout.id);
    } finally {
      await second.destroy();
    }
  });

  it('a webhook written down but not applied (ConnectPSP could not confirm it) is applied at the next start', async () => {
    const first = await startTestServer();
    const c = await first.createCheckout();
    const charge = (await (await first.browser(ROUTES.pix(c.id), c.clientSecret, { method: 'POST', body: '{}' })).json()) as PixChargeView;
    // What the webhook route leaves when applying failed: the event recorded unprocessed.
    const body = JSON.stringify({
      eventType: 'CASHIN_PAID',
      eventAt: new Date().toISOString(),
      data: {
        transactionId: charge.transactionId,
        internalCode: 'X',
        externalReference: 'r',
        endToEndId: 'E12345678202611301200abcdefghijk',
        status: 'PAID',
        amount: 10.5,
        payer: { name: 'Maria Silva', document: '12345678909', bankData: null },
        paidAt: new Date().toISOString(),
      },
    });
    await first.store.recordWebhook(
      {
        dedupeKey: `CASHIN_PAID:${charge.transactionId}:PAID:E12345678202611301200abcdefghijk`,
        eventType: 'CASHIN_PAID',
        transactionId: charge.transactionId,
        rawBody: body,
        receivedAt: new Date().toISOString(),
      },
      false,
    );
    await first.close();
    const second = await startTestServer({}, first.dir);
    try {
      const view = (await (await second.merchant(ROUTES.checkout(c.id))).json()) as CheckoutView;
      assert.equal(view.status, 'paid');
      assert.deepEqual(await second.store.unprocessedWebhooks(), []);
    } finally {
      await second.destroy();
    }
  });
});

describe('gateway failures', () => {
  it('retries 5xx on charge creation with one idempotency key: one cash-in, and the payer gets it', async () => {
    const server = await startTestServer();
    try {
      const c = await server.createCheckout();
      await postJson(`${server.url}/sandbox/faults`, { failNext: { count: 2, status: 503, path: '/cash-in' } });
      const res = await server.browser(ROUTES.pix(c.id), c.clientSecret, { method: 'POST', body: '{}' });
      assert.equal(res.status, 200);
      const view = (await (await server.merchant(ROUTES.checkout(c.id))).json()) as CheckoutView;
      assert.equal(view.charges.length, 1);
    } finally {
      await server.destroy();
    }
  });

  it('when ConnectPSP stays down the payer gets a 502 with a next step, and the retry later reuses the key', async () => {
    const server = await startTestServer();
    try {
      const c = await server.createCheckout();
      await postJson(`${server.url}/sandbox/faults`, { failNext: { count: 5, status: 500, path: '/cash-in' } });
      const down = await server.browser(ROUTES.pix(c.id), c.clientSecret, { method: 'POST', body: '{}' });
      assert.equal(down.status, 502);
      const body = (await down.json()) as { error: { type: string; message: string } };
      assert.equal(body.error.type, 'gateway_error');
      assert.match(body.error.message, /try again/i);
      await fetch(`${server.url}/sandbox/faults`, { method: 'DELETE' });
      const up = await server.browser(ROUTES.pix(c.id), c.clientSecret, { method: 'POST', body: '{}' });
      assert.equal(up.status, 200);
      const view = (await (await server.merchant(ROUTES.checkout(c.id))).json()) as CheckoutView;
      assert.equal(view.charges.length, 1);
    } finally {
      await server.destroy();
    }
  });
});

describe('expiry', () => {
  it('a charge is expired only when ConnectPSP says so; then a new code brings the checkout back to awaiting_payment', async () => {
    const server = await startTestServer();
    try {
      const c = await server.createCheckout({ expiresInMinutes: 1 });
      const charge = (await (
        await server.browser(ROUTES.pix(c.id), c.clientSecret, { method: 'POST', body: '{}' })
      ).json()) as PixChargeView;
      // Our clock says nothing yet; the gateway expires it.
      assert.equal((await postJson(`${server.url}/sandbox/cash-in/${charge.transactionId}/expire`)).status, 200);
      const stored = (await server.store.getCharge(charge.transactionId))!;
      await server.service.reconcileCharge(stored);
      const expired = (await (await server.merchant(ROUTES.checkout(c.id))).json()) as CheckoutView;
      assert.equal(expired.status, 'expired');
      assert.equal(expired.charges[0]!.status, 'expired');

      const fresh = (await (
        await server.browser(ROUTES.pix(c.id), c.clientSecret, { method: 'POST', body: '{}' })
      ).json()) as PixChargeView;
      assert.notEqual(fresh.transactionId, charge.transactionId);
      const view = (await (await server.merchant(ROUTES.checkout(c.id))).json()) as CheckoutView;
      assert.equal(view.status, 'awaiting_payment');
      assert.equal(view.charges.length, 2);
    } finally {
      await server.destroy();
    }
  });

  it('a payment that lands on an expired charge still makes the checkout paid', async () => {
    const server = await startTestServer();
    try {
      const c = await server.createCheckout();
      const charge = (await (
        await server.browser(ROUTES.pix(c.id), c.clientSecret, { method: 'POST', body: '{}' })
      ).json()) as PixChargeView;
      await postJson(`${server.url}/sandbox/cash-in/${charge.transactionId}/expire`);
      await server.service.reconcileCharge((await server.store.getCharge(charge.transactionId))!);
      assert.equal(((await (await server.merchant(ROUTES.checkout(c.id))).json()) as CheckoutView).status, 'expired');
      assert.equal((await postJson(`${server.url}/sandbox/cash-in/${charge.transactionId}/pay`, { allowExpired: true })).status, 200);
      await eventually(async () => ((await (await server.merchant(ROUTES.checkout(c.id))).json()) as CheckoutView).status === 'paid');
    } finally {
      await server.destroy();
    }
  });
});
