import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { ROUTES, type CheckoutView, type PixChargeView } from '../../widget/contract/wire-contract.js';
import { webhookSignature } from '../../server/connectpsp/signing.js';
import { SANDBOX_MERCHANT_WEBHOOK_SECRET } from '../../server/config.js';
import { createLogger } from '../../server/logger.js';
import { backoffAfter, MerchantWebhookWorker } from '../../server/merchant-webhooks/outbox-worker.js';
import { signWebhook, verifyWebhook, WebhookVerificationError } from '../../server/merchant-webhooks/standard-webhooks.js';
import { SANDBOX_CREDENTIALS } from '../../server/sandbox/defaults.js';
import { SqliteStore } from '../../server/store/sqlite-store.js';
import { eventually, postJson, startTestServer, type TestServer } from './helpers.js';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

interface Delivery {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A merchant backend: records deliveries, answers with the next scripted status (default 200). */
async function startReceiver(statuses: number[] = []) {
  const deliveries: Delivery[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      deliveries.push({ headers: req.headers, body });
      res.statusCode = statuses.shift() ?? 200;
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
  return { url, deliveries, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe('Standard Webhooks signing', () => {
  it('matches the specification test vector', () => {
    const sig = signWebhook(SECRET, 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}');
    assert.equal(sig, 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('our signature verifies with the Standard Webhooks reference library, and theirs with ours', () => {
    const body = JSON.stringify({ type: 'checkout.paid', timestamp: new Date().toISOString(), data: { x: 1 } });
    const ts = Math.floor(Date.now() / 1000);
    const headers = {
      'webhook-id': 'msg_abc',
      'webhook-timestamp': String(ts),
      'webhook-signature': signWebhook(SECRET, 'msg_abc', ts, body),
    };
    assert.deepEqual(new Webhook(SECRET).verify(body, headers), JSON.parse(body));
    const theirs = new Webhook(SECRET).sign('msg_xyz', new Date(ts * 1000), body);
    assert.deepEqual(
      verifyWebhook(body, { 'webhook-id': 'msg_xyz', 'webhook-timestamp': String(ts), 'webhook-signature': theirs }, SECRET),
      JSON.parse(body),
    );
  });

  it('rejects a wrong secret, a changed body, a missing header and an old or future timestamp', () => {
    const body = '{"a":1}';
    const ts = Math.floor(Date.now() / 1000);
    const h = (over: Record<string, string> = {}) => ({
      'webhook-id': 'msg_1',
      'webhook-timestamp': String(ts),
      'webhook-signature': signWebhook(SECRET, 'msg_1', ts, body),
      ...over,
    });
    assert.throws(
      () => verifyWebhook(body, h(), 'whsec_' + Buffer.from('another-secret-of-24-bytes!!').toString('base64')),
      WebhookVerificationError,
    );
    assert.throws(() => verifyWebhook('{"a":2}', h(), SECRET), /No matching signature/);
    assert.throws(() => verifyWebhook(body, { 'webhook-id': 'msg_1', 'webhook-timestamp': String(ts) }, SECRET), /Missing/);
    const old = ts - 600;
    assert.throws(
      () =>
        verifyWebhook(body, h({ 'webhook-timestamp': String(old), 'webhook-signature': signWebhook(SECRET, 'msg_1', old, body) }), SECRET),
      /too old/,
    );
    const future = ts + 600;
    assert.throws(
      () =>
        verifyWebhook(
          body,
          h({ 'webhook-timestamp': String(future), 'webhook-signature': signWebhook(SECRET, 'msg_1', future, body) }),
          SECRET,
        ),
      /too new/,
    );
    // Key rotation: any one matching signature among several is enough.
    assert.deepEqual(verifyWebhook(body, h({ 'webhook-signature': `v1,AAAA ${signWebhook(SECRET, 'msg_1', ts, body)}` }), SECRET), {
      a: 1,
    });
  });
});

describe('outbox worker', () => {
  it('retries a failing endpoint under one webhook-id with growing delays, and survives a restart of the store', async () => {
    const dir = (await import('node:fs')).mkdtempSync((await import('node:path')).join((await import('node:os')).tmpdir(), 'cpc-outbox-'));
    const file = `${dir}/outbox.db`;
    let clock = Date.parse('2026-11-30T12:00:00Z');
    const now = () => new Date(clock);
    const receiver = await startReceiver([500, 503]);
    try {
      const store = new SqliteStore(file, { now });
      await store.enqueueMerchantEvent({
        dedupeKey: 'k1',
        type: 'checkout.paid',
        data: { type: 'checkout.paid', timestamp: now().toISOString(), data: { n: 1 } },
      });
      await store.enqueueMerchantEvent({
        dedupeKey: 'k1',
        type: 'checkout.paid',
        data: { type: 'checkout.paid', timestamp: now().toISOString(), data: { n: 1 } },
      });
      const worker = new MerchantWebhookWorker({ store, url: receiver.url, secret: SECRET, logger: createLogger('silent'), now });
      assert.equal(await worker.runOnce(), 1); // 500
      assert.equal(await worker.runOnce(), 0); // not due yet
      await store.close();

      const reopened = new SqliteStore(file, { now });
      const worker2 = new MerchantWebhookWorker({
        store: reopened,
        url: receiver.url,
        secret: SECRET,
        logger: createLogger('silent'),
        now,
      });
      clock += 10 * 60_000;
      assert.equal(await worker2.runOnce(), 1); // 503
      clock += 10 * 60_000;
      assert.equal(await worker2.runOnce(), 1); // 200
      clock += 24 * 3600_000;
      assert.equal(await worker2.runOnce(), 0); // delivered: never again
      assert.equal(await reopened.merchantEventBacklog(), 0);
      await reopened.close();

      assert.equal(receiver.deliveries.length, 3);
      assert.equal(new Set(receiver.deliveries.map((d) => d.headers['webhook-id'])).size, 1);
      for (const d of receiver.deliveries) {
        const headers = {
          'webhook-id': String(d.headers['webhook-id']),
          'webhook-timestamp': String(d.headers['webhook-timestamp']),
          'webhook-signature': String(d.headers['webhook-signature']),
        };
        // Each attempt is signed at its own (fake) time; verify at that time.
        assert.deepEqual(
          verifyWebhook(d.body, headers, SECRET, { now: () => Number(headers['webhook-timestamp']) * 1000 }),
          JSON.parse(d.body),
        );
      }
    } finally {
      await receiver.close();
    }
  });

  it('backs off from seconds to hours', () => {
    const fixed = () => 0.5;
    assert.equal(backoffAfter(1, fixed), 5_000);
    assert.ok(backoffAfter(5, fixed) >= 15 * 60_000);
    assert.equal(backoffAfter(40, fixed), 12 * 3600_000);
  });
});

describe('merchant notifications end to end', () => {
  let server: TestServer;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  before(async () => {
    receiver = await startReceiver();
    server = await startTestServer({ MERCHANT_WEBHOOK_URL: receiver.url });
  });
  after(async () => {
    await server.destroy();
    await receiver.close();
  });

  const events = (checkoutId: string, type?: string) =>
    receiver.deliveries
      .map((d) => ({
        id: String(d.headers['webhook-id']),
        event: new Webhook(SANDBOX_MERCHANT_WEBHOOK_SECRET).verify(d.body, {
          'webhook-id': String(d.headers['webhook-id']),
          'webhook-timestamp': String(d.headers['webhook-timestamp']),
          'webhook-signature': String(d.headers['webhook-signature']),
        }) as { type: string; data: { checkout: CheckoutView; transactionId?: string } },
      }))
      .filter((e) => e.event.data.checkout?.id === checkoutId && (type === undefined || e.event.type === type));

  async function paidCheckout() {
    const c = await server.createCheckout();
    const charge = (await (await server.browser(ROUTES.pix(c.id), c.clientSecret, { method: 'POST', body: '{}' })).json()) as PixChargeView;
    await postJson(`${server.url}/sandbox/cash-in/${charge.transactionId}/pay`);
    await eventually(async () => events(c.id, 'checkout.paid').length > 0, 5000, 'checkout.paid delivery');
    return { c, charge };
  }

  it('tells the merchant checkout.paid once, signed, even when ConnectPSP delivers its webhook twice', async () => {
    await postJson(`${server.url}/sandbox/faults`, { webhooks: { duplicate: true } });
    try {
      const { c } = await paidCheckout();
      await new Promise((r) => setTimeout(r, 300));
      const paid = events(c.id, 'checkout.paid');
      assert.equal(paid.length, 1);
      assert.equal(paid[0]!.event.data.checkout.status, 'paid');
      assert.match(paid[0]!.id, /^msg_/);
    } finally {
      await fetch(`${server.url}/sandbox/faults`, { method: 'DELETE' });
    }
  });

  it('refunds through the signed refund call: the checkout becomes refunded with a D id, and the merchant is told', async () => {
    const { c } = await paidCheckout();
    const res = await server.merchant(ROUTES.refund(c.id), { method: 'POST', body: JSON.stringify({ reason: 'CUSTOMER_REQUEST' }) });
    assert.equal(res.status, 200);
    const view = (await res.json()) as CheckoutView;
    assert.equal(view.status, 'refunded');
    assert.match(view.refundEndToEndId ?? '', /^D[0-9A-Za-z]{31}$/);
    assert.equal(view.charges[0]!.status, 'refunded');
    await eventually(async () => events(c.id, 'checkout.refunded').length === 1, 5000, 'checkout.refunded');
    // Again: nothing refunds twice.
    const again = await server.merchant(ROUTES.refund(c.id), { method: 'POST', body: '{}' });
    assert.equal(again.status, 200);
    assert.equal(((await again.json()) as CheckoutView).refundEndToEndId, view.refundEndToEndId);
  });

  it('refund: 409 for an unpaid checkout, 404 for an unknown one, 400 for a bad reason', async () => {
    const open = await server.createCheckout();
    assert.equal((await server.merchant(ROUTES.refund(open.id), { method: 'POST', body: '{}' })).status, 409);
    assert.equal((await server.merchant(ROUTES.refund('chk_000000000000000000000000'), { method: 'POST', body: '{}' })).status, 404);
    const bad = await server.merchant(ROUTES.refund(open.id), { method: 'POST', body: JSON.stringify({ reason: 'BECAUSE' }) });
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as { error: { field: string } }).error.field, 'reason');
    assert.equal((await fetch(server.url + ROUTES.refund(open.id), { method: 'POST' })).status, 401);
  });

  it('a second payment of a paid checkout is recorded, surfaced to the merchant, and refundable on its own', async () => {
    const c = await server.createCheckout();
    const first = (await (await server.browser(ROUTES.pix(c.id), c.clientSecret, { method: 'POST', body: '{}' })).json()) as PixChargeView;
    await postJson(`${server.url}/sandbox/cash-in/${first.transactionId}/expire`);
    await server.service.reconcileCharge((await server.store.getCharge(first.transactionId))!);
    const second = (await (await server.browser(ROUTES.pix(c.id), c.clientSecret, { method: 'POST', body: '{}' })).json()) as PixChargeView;
    await postJson(`${server.url}/sandbox/cash-in/${second.transactionId}/pay`);
    await postJson(`${server.url}/sandbox/cash-in/${first.transactionId}/pay`, { allowExpired: true });
    await eventually(async () => events(c.id, 'checkout.payment_duplicated').length === 1, 5000, 'payment_duplicated');
    let view = (await (await server.merchant(ROUTES.checkout(c.id))).json()) as CheckoutView;
    assert.equal(view.status, 'paid');
    assert.equal(view.duplicatePayments, 1);
    assert.equal(events(c.id, 'checkout.paid').length, 1);
    assert.equal(events(c.id, 'checkout.payment_duplicated')[0]!.event.data.transactionId, first.transactionId);

    const res = await server.merchant(ROUTES.refund(c.id), {
      method: 'POST',
      body: JSON.stringify({ transactionId: first.transactionId }),
    });
    assert.equal(res.status, 200);
    view = (await res.json()) as CheckoutView;
    assert.equal(view.status, 'paid', 'refunding the duplicate leaves the order paid');
    assert.equal(view.charges.find((ch) => ch.transactionId === first.transactionId)!.status, 'refunded');
    await eventually(async () => events(c.id, 'checkout.payment_refunded').length === 1, 5000, 'payment_refunded');
  });

  it('relays no cash-out the product did not make; a payout settles as one payout.completed delivery', async () => {
    const body = JSON.stringify({
      eventType: 'CASHOUT_COMPLETED',
      eventAt: new Date().toISOString(),
      data: {
        transactionId: 'dd30446e-6cc5-4664-bf3f-6b7f5e55a1a9',
        internalCode: 'IVKPRMOCDY',
        externalReference: 'withdraw_1',
        endToEndId: 'E12345678202611301200abcdefghijk',
        status: 'COMPLETED',
        amount: 50,
        payee: { name: 'Maria Silva', document: '12345678909', destination: { type: 'PIX', pixKeyType: 'CPF', pixKey: '12345678909' } },
      },
    });
    const send = () =>
      fetch(server.url + ROUTES.connectpspWebhook, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-connect-signature': webhookSignature(body, SANDBOX_CREDENTIALS.cryptoToken) },
        body,
      });
    assert.equal((await send()).status, 200);
    // Written before it is acknowledged: had it queued anything, the outbox would hold it now.
    assert.equal(
      (await server.store.getMerchantEvents(100_000)).some((m) => JSON.stringify(m.data).includes('withdraw_1')),
      false,
    );

    const res = await server.merchant('/v1/payouts', {
      method: 'POST',
      headers: { 'idempotency-key': `mw-payout-${process.pid}` },
      body: JSON.stringify({
        amount: 50,
        externalReference: `mw-payout-${process.pid}`,
        payee: {
          name: 'Maria Silva',
          document: '12345678909',
          destination: { type: 'PIX', pixKeyType: 'EMAIL', pixKey: 'maria@example.com' },
        },
      }),
    });
    assert.equal(res.status, 202);
    const payout = (await res.json()) as { id: string; transactionId: string };
    assert.equal((await fetch(`${server.url}/sandbox/cash-out/${payout.transactionId}/complete`, { method: 'POST' })).status, 200);
    const completed = () => receiver.deliveries.filter((d) => d.body.includes('"payout.completed"') && d.body.includes(payout.id));
    await eventually(async () => completed().length >= 1, 5000, 'payout.completed');
    assert.equal(
      (await server.store.getMerchantEvents(100_000)).filter(
        (m) => m.type === 'payout.completed' && JSON.stringify(m.data).includes(payout.id),
      ).length,
      1,
    );
  });
});

describe('confirming payments with ConnectPSP', () => {
  it('a replayed PAID webhook for a charge ConnectPSP has not seen paid changes nothing', async () => {
    const server = await startTestServer({ CONFIRM_PAYMENTS: 'true' });
    try {
      const c = await server.createCheckout();
      const charge = (await (
        await server.browser(ROUTES.pix(c.id), c.clientSecret, { method: 'POST', body: '{}' })
      ).json()) as PixChargeView;
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
        },
      });
      const res = await fetch(server.url + ROUTES.connectpspWebhook, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-connect-signature': webhookSignature(body, SANDBOX_CREDENTIALS.cryptoToken) },
        body,
      });
      assert.equal(res.status, 200);
      assert.equal(((await (await server.merchant(ROUTES.checkout(c.id))).json()) as CheckoutView).status, 'awaiting_payment');
      // The real payment, confirmed by the GET, does apply.
      await postJson(`${server.url}/sandbox/cash-in/${charge.transactionId}/pay`);
      await eventually(async () => ((await (await server.merchant(ROUTES.checkout(c.id))).json()) as CheckoutView).status === 'paid');
    } finally {
      await server.destroy();
    }
  });

  it('ConnectPSP down for the confirming GET: the webhook is acknowledged once recorded, kept unprocessed, and applied once the GET answers', async () => {
    const server = await startTestServer({ CONFIRM_PAYMENTS: 'true' });
    try {
      const c = await server.createCheckout();
      const charge = (await (
        await server.browser(ROUTES.pix(c.id), c.clientSecret, { method: 'POST', body: '{}' })
      ).json()) as PixChargeView;
      // Paid at ConnectPSP; its own webhook held back, so only the copy below arrives.
      await postJson(`${server.url}/sandbox/faults`, { webhooks: { hold: true } });
      await postJson(`${server.url}/sandbox/cash-in/${charge.transactionId}/pay`);
      await postJson(`${server.url}/sandbox/faults`, { failNext: { count: 1000, path: `/cash-in/${charge.transactionId}`, status: 503 } });
      const endToEndId = 'E12345678202611301200abcdefghijk';
      const body = JSON.stringify({
        eventType: 'CASHIN_PAID',
        eventAt: new Date().toISOString(),
        data: {
          transactionId: charge.transactionId,
          internalCode: 'X',
          externalReference: 'r',
          endToEndId,
          status: 'PAID',
          amount: 10.5,
          payer: { name: 'Maria Silva', document: '12345678909', bankData: null },
        },
      });
      const send = () =>
        fetch(server.url + ROUTES.connectpspWebhook, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-connect-signature': webhookSignature(body, SANDBOX_CREDENTIALS.cryptoToken) },
          body,
        });
      const status = async () => ((await (await server.merchant(ROUTES.checkout(c.id))).json()) as CheckoutView).status;
      const dedupeKey = `CASHIN_PAID:${charge.transactionId}:PAID:${endToEndId}`;

      assert.equal((await send()).status, 200, 'acknowledged once recorded, before any GET');
      assert.ok(
        (await server.store.unprocessedWebhooks()).some((w) => w.dedupeKey === dedupeKey),
        'kept for the reconciler to replay',
      );
      assert.equal(await status(), 'awaiting_payment', 'the confirming GET fails in the background');

      await postJson(`${server.url}/sandbox/faults`, { failNext: { count: 0 } });
      assert.equal((await send()).status, 200);
      await eventually(async () => (await status()) === 'paid', 5000, 'paid after the redelivery');
      await eventually(() => server.store.isWebhookProcessed(dedupeKey), 5000, 'the webhook noted as applied');
    } finally {
      await server.destroy();
    }
  });
});

describe('automatic refund of duplicate payments', () => {
  it('with AUTO_REFUND_DUPLICATES=true a second payment is refunded by itself and the order stays paid', async () => {
    const server = await startTestServer({ AUTO_REFUND_DUPLICATES: 'true' });
    try {
      const c = await server.createCheckout();
      const first = (await (
        await server.browser(ROUTES.pix(c.id), c.clientSecret, { method: 'POST', body: '{}' })
      ).json()) as PixChargeView;
      await postJson(`${server.url}/sandbox/cash-in/${first.transactionId}/expire`);
      await server.service.reconcileCharge((await server.store.getCharge(first.transactionId))!);
      const second = (await (
        await server.browser(ROUTES.pix(c.id), c.clientSecret, { method: 'POST', body: '{}' })
      ).json()) as PixChargeView;
      await postJson(`${server.url}/sandbox/cash-in/${second.transactionId}/pay`);
      await postJson(`${server.url}/sandbox/cash-in/${first.transactionId}/pay`, { allowExpired: true });
      const view = await eventually(
        async () => {
          const v = (await (await server.merchant(ROUTES.checkout(c.id))).json()) as CheckoutView;
          return v.charges.find((ch) => ch.transactionId === first.transactionId)?.status === 'refunded' ? v : undefined;
        },
        5000,
        'the duplicate to be refunded',
      );
      assert.equal(view.status, 'paid');
      assert.match(view.charges.find((ch) => ch.transactionId === first.transactionId)!.refundEndToEndId ?? '', /^D/);
      assert.equal(view.charges.find((ch) => ch.transactionId === second.transactionId)!.status, 'paid');
    } finally {
      await server.destroy();
    }
  });

  it('without it the duplicate stays paid, waiting for the merchant', async () => {
    const server = await startTestServer();
    try {
      const c = await server.createCheckout();
      const first = (await (
        await server.browser(ROUTES.pix(c.id), c.clientSecret, { method: 'POST', body: '{}' })
      ).json()) as PixChargeView;
      await postJson(`${server.url}/sandbox/cash-in/${first.transactionId}/expire`);
      await server.service.reconcileCharge((await server.store.getCharge(first.transactionId))!);
      const second = (await (
        await server.browser(ROUTES.pix(c.id), c.clientSecret, { method: 'POST', body: '{}' })
      ).json()) as PixChargeView;
      await postJson(`${server.url}/sandbox/cash-in/${second.transactionId}/pay`);
      await postJson(`${server.url}/sandbox/cash-in/${first.transactionId}/pay`, { allowExpired: true });
      await eventually(async () => ((await (await server.merchant(ROUTES.checkout(c.id))).json()) as CheckoutView).duplicatePayments === 1);
      await new Promise((r) => setTimeout(r, 300));
      const view = (await (await server.merchant(ROUTES.checkout(c.id))).json()) as CheckoutView;
      assert.equal(view.charges.find((ch) => ch.transactionId === first.transactionId)!.status, 'paid');
    } finally {
      await server.destroy();
    }
  });
});
