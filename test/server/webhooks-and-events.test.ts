import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { EventSource } from 'eventsource';
import { ROUTES, type CheckoutView, type PixChargeView, type StatusEventData } from '../../widget/contract/wire-contract.js';
import { webhookSignature } from '../../server/connectpsp/signing.js';
import { SANDBOX_CREDENTIALS } from '../../server/sandbox/defaults.js';
import { eventually, postJson, startTestServer, type TestServer } from './helpers.js';
import { openSse } from './sse-reader.js';

const E2E = /^E\d{8}\d{12}[A-Za-z0-9]{11}$/;

let server: TestServer;
before(async () => {
  server = await startTestServer({ SSE_HEARTBEAT_SECONDS: '1' });
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

function cashInBody(charge: PixChargeView, checkoutRef: string, overrides: Record<string, unknown> = {}, eventType = 'CASHIN_PAID') {
  return JSON.stringify({
    eventType,
    eventAt: new Date().toISOString(),
    data: {
      transactionId: charge.transactionId,
      internalCode: 'ABC1234',
      externalReference: checkoutRef,
      endToEndId: 'E12345678202611301200abcdefghijk',
      status: 'PAID',
      amount: charge.amount / 100,
      payer: {
        name: 'Maria Silva',
        document: '12345678909',
        bankData: { ispb: '00000000', bank: 'Banco do Brasil S.A.', branch: '0001', account: '123456' },
      },
      requestedAt: '2026-11-30T10:00:00-03:00',
      paidAt: '2026-11-30T10:01:00-03:00',
      ...overrides,
    },
  });
}

function sendWebhook(body: string, key = SANDBOX_CREDENTIALS.cryptoToken, signature = webhookSignature(body, key)) {
  return fetch(server.url + ROUTES.connectpspWebhook, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-connect-signature': signature, 'x-event-id': crypto.randomUUID() },
    body,
  });
}

describe('ConnectPSP webhook', () => {
  it('the sandbox pay call reaches the server by a signed webhook and the checkout becomes paid with an E2E id', async () => {
    const { checkout, charge } = await checkoutWithCharge();
    const pay = await postJson(`${server.url}/sandbox/cash-in/${charge.transactionId}/pay`);
    assert.equal(pay.status, 200);
    const paid = await eventually(async () => {
      const v = await view(checkout.id);
      return v.status === 'paid' ? v : undefined;
    });
    assert.match(paid.endToEndId ?? '', E2E);
    assert.equal(paid.endToEndId!.length, 32);
    assert.equal(paid.charges[0]!.status, 'paid');
    assert.equal(paid.charges[0]!.endToEndId, paid.endToEndId);
  });

  it('a forged webhook gets 401 and changes nothing', async () => {
    const { checkout, charge } = await checkoutWithCharge();
    const body = cashInBody(charge, checkout.externalReference);
    const forged = await sendWebhook(body, 'not-the-crypto-token');
    assert.equal(forged.status, 401);
    const missing = await fetch(server.url + ROUTES.connectpspWebhook, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    assert.equal(missing.status, 401);
    // A valid signature over other bytes: tampering with the amount after signing.
    const tampered = await sendWebhook(
      body.replace('"status":"PAID"', '"status":"PAID" '),
      undefined,
      webhookSignature(body, SANDBOX_CREDENTIALS.cryptoToken),
    );
    assert.equal(tampered.status, 401);
    assert.equal((await view(checkout.id)).status, 'awaiting_payment');
  });

  it('a signed but malformed webhook gets 400 naming the field and changes nothing', async () => {
    const { checkout, charge } = await checkoutWithCharge();
    const notJson = await sendWebhook('{"eventType":');
    assert.equal(notJson.status, 400);
    const badAmount = await sendWebhook(cashInBody(charge, checkout.externalReference, { amount: 'ten' }));
    assert.equal(badAmount.status, 400);
    assert.match(((await badAmount.json()) as { error: { field: string } }).error.field, /amount/);
    assert.equal((await view(checkout.id)).status, 'awaiting_payment');
  });

  it('a duplicated webhook (new X-Event-Id each time) applies once: one paid event', async () => {
    const { checkout, charge } = await checkoutWithCharge();
    const body = cashInBody(charge, checkout.externalReference);
    const answers = await Promise.all([sendWebhook(body), sendWebhook(body), sendWebhook(body)]);
    assert.deepEqual(
      answers.map((a) => a.status),
      [200, 200, 200],
    );
    const events = await server.store.eventsAfter(checkout.id, 0);
    assert.deepEqual(
      events.map((e) => e.data.status),
      ['open', 'awaiting_payment', 'paid'],
    );
  });

  it('out-of-order events never move a checkout backwards: a refund that overtakes its payment implies it, the late payment changes nothing', async () => {
    const { checkout, charge } = await checkoutWithCharge();
    const refunded = cashInBody(
      charge,
      checkout.externalReference,
      { status: 'REFUNDED', endToEndId: 'D12345678202611301300abcdefghijk', originalEndToEndId: 'E12345678202611301200abcdefghijk' },
      'CASHIN_REFUNDED',
    );
    assert.equal((await sendWebhook(refunded)).status, 200);
    const afterRefund = await view(checkout.id);
    assert.equal(afterRefund.status, 'refunded');
    assert.equal(afterRefund.endToEndId, 'E12345678202611301200abcdefghijk');
    assert.equal((await sendWebhook(cashInBody(charge, checkout.externalReference))).status, 200);
    assert.equal((await view(checkout.id)).status, 'refunded');
    const events = await server.store.eventsAfter(checkout.id, 0);
    assert.deepEqual(
      events.map((e) => e.data.status),
      ['open', 'awaiting_payment', 'paid', 'refunded'],
    );
  });

  it('a webhook half applied is not noted as applied: its redelivery finishes the job', async () => {
    const { checkout, charge } = await checkoutWithCharge();
    const refunded = cashInBody(
      charge,
      checkout.externalReference,
      { status: 'REFUNDED', endToEndId: 'D12345678202611301300abcdefghijk', originalEndToEndId: 'E12345678202611301200abcdefghijk' },
      'CASHIN_REFUNDED',
    );
    // The refund overtakes its payment, so applying it takes two changes; the second one fails.
    const store = server.store;
    const transition = store.transition;
    store.transition = async function (this: typeof store, ...args: Parameters<typeof transition>) {
      if (args[1] === 'refunded') throw new Error('the disk is full');
      return transition.apply(this, args);
    };
    try {
      assert.equal((await sendWebhook(refunded)).status, 500);
    } finally {
      store.transition = transition;
    }
    assert.equal((await view(checkout.id)).status, 'paid', 'the first change is in');
    const dedupeKey = `CASHIN_REFUNDED:${charge.transactionId}:REFUNDED:D12345678202611301300abcdefghijk`;
    assert.equal(await store.isWebhookProcessed(dedupeKey), false);
    assert.ok(
      (await store.unprocessedWebhooks()).some((w) => w.dedupeKey === dedupeKey),
      'kept for the reconciler to replay',
    );
    const again = await sendWebhook(refunded);
    assert.equal(again.status, 200);
    assert.equal(((await again.json()) as { duplicate?: boolean }).duplicate, undefined);
    assert.equal((await view(checkout.id)).status, 'refunded');
    assert.equal(await store.isWebhookProcessed(dedupeKey), true);
  });

  it('a late payment webhook after a refund changes nothing', async () => {
    const { checkout, charge } = await checkoutWithCharge();
    assert.equal((await sendWebhook(cashInBody(charge, checkout.externalReference))).status, 200);
    const refunded = cashInBody(
      charge,
      checkout.externalReference,
      { status: 'REFUNDED', endToEndId: 'D12345678202611301300abcdefghijk', originalEndToEndId: 'E12345678202611301200abcdefghijk' },
      'CASHIN_REFUNDED',
    );
    assert.equal((await sendWebhook(refunded)).status, 200);
    assert.equal((await sendWebhook(cashInBody(charge, checkout.externalReference, { paidAt: '2026-11-30T11:00:00-03:00' }))).status, 200);
    assert.equal((await view(checkout.id)).status, 'refunded');
    const events = await server.store.eventsAfter(checkout.id, 0);
    assert.deepEqual(
      events.map((e) => e.data.status),
      ['open', 'awaiting_payment', 'paid', 'refunded'],
    );
  });

  it('a payment of another amount does not mark the checkout paid', async () => {
    const { checkout, charge } = await checkoutWithCharge();
    assert.equal((await sendWebhook(cashInBody(charge, checkout.externalReference, { amount: 0.01 }))).status, 200);
    assert.equal((await view(checkout.id)).status, 'awaiting_payment');
  });

  it('a webhook for an unknown transaction is acknowledged and changes nothing', async () => {
    const { checkout, charge } = await checkoutWithCharge();
    const res = await sendWebhook(cashInBody({ ...charge, transactionId: 'zz'.repeat(17) + 'z' }, checkout.externalReference));
    assert.equal(res.status, 200);
    assert.equal((await view(checkout.id)).status, 'awaiting_payment');
  });

  it('an unknown event type is acknowledged', async () => {
    const res = await sendWebhook(JSON.stringify({ eventType: 'SOMETHING_NEW', eventAt: new Date().toISOString(), data: { x: 1 } }));
    assert.equal(res.status, 200);
  });
});

describe('GET /v1/checkouts/:id/events (SSE)', () => {
  it('speaks the SSE wire format: headers, retry, numeric ids, current state first, heartbeats', async () => {
    const { checkout } = await checkoutWithCharge();
    const sse = await openSse(`${server.url}${ROUTES.events(checkout.id)}?client_secret=${encodeURIComponent(checkout.clientSecret)}`);
    assert.equal(sse.response.status, 200);
    assert.match(sse.response.headers.get('content-type') ?? '', /^text\/event-stream/);
    assert.equal(sse.response.headers.get('cache-control'), 'no-cache, no-transform');
    assert.equal(sse.response.headers.get('x-accel-buffering'), 'no');
    assert.equal(sse.response.headers.get('content-encoding'), null);
    const first = (await sse.next())!;
    assert.equal(first.event, 'status');
    assert.match(first.id!, /^\d+$/);
    const data = JSON.parse(first.data) as StatusEventData;
    assert.equal(data.status, 'awaiting_payment');
    assert.equal(data.activeCharge?.method, 'pix');
    await eventually(async () => sse.comments.includes('heartbeat'), 3000, 'a heartbeat comment');
    sse.close();
  });

  it('delivers paid exactly once to a real EventSource client, keeps the stream open for a refund, then ends it and a reconnect gets 204', async () => {
    const { checkout, charge } = await checkoutWithCharge();
    const url = `${server.url}${ROUTES.events(checkout.id)}?client_secret=${encodeURIComponent(checkout.clientSecret)}`;
    const received: StatusEventData[] = [];
    const ids: string[] = [];
    const es = new EventSource(url);
    es.addEventListener('status', (e) => {
      received.push(JSON.parse(e.data) as StatusEventData);
      ids.push(e.lastEventId);
    });
    await eventually(async () => received.length >= 1, 5000, 'first frame');
    assert.equal(received[0]!.status, 'awaiting_payment');
    await postJson(`${server.url}/sandbox/cash-in/${charge.transactionId}/pay`);
    await eventually(async () => received.some((r) => r.status === 'paid'), 5000, 'paid frame');
    const paid = received[1]!;
    assert.match(paid.endToEndId ?? '', E2E);
    assert.ok(Number(ids[1]) > Number(ids[0]));

    // Paid is not terminal: a reconnect after it is served (200), so a refund can still reach it.
    const afterPaid = await openSse(url, { 'last-event-id': ids[1]! });
    assert.equal(afterPaid.response.status, 200);

    const refund = await server.merchant(ROUTES.refund(checkout.id), { method: 'POST', body: '{}' });
    assert.equal(refund.status, 200, await refund.clone().text());
    const refundedFrame = (await afterPaid.next())!;
    assert.equal((JSON.parse(refundedFrame.data) as StatusEventData).status, 'refunded');
    assert.equal(await afterPaid.next(), null, 'the stream ends after the terminal status');

    // The EventSource sees refunded, its stream ends, its reconnect gets 204 and it closes for good.
    await eventually(async () => es.readyState === EventSource.CLOSED, 10_000, 'EventSource closed by the 204');
    assert.deepEqual(
      received.map((r) => r.status),
      ['awaiting_payment', 'paid', 'refunded'],
    );
    assert.match(received[2]!.refundEndToEndId ?? '', /^D/);
    const reconnect = await fetch(url, { headers: { 'last-event-id': ids[2]! } });
    assert.equal(reconnect.status, 204);
  });

  it('replays only what came after Last-Event-ID', async () => {
    const { checkout, charge } = await checkoutWithCharge();
    const events = await server.store.eventsAfter(checkout.id, 0);
    const openId = events[0]!.id;
    await postJson(`${server.url}/sandbox/cash-in/${charge.transactionId}/pay`);
    await eventually(async () => (await view(checkout.id)).status === 'paid');
    const sse = await openSse(`${server.url}${ROUTES.events(checkout.id)}?client_secret=${encodeURIComponent(checkout.clientSecret)}`, {
      'last-event-id': String(openId),
    });
    const statuses: string[] = [];
    for (let i = 0; i < 2; i++) statuses.push((JSON.parse((await sse.next())!.data) as StatusEventData).status);
    assert.deepEqual(statuses, ['awaiting_payment', 'paid']);
    // Nothing else was stored for it (paid is not terminal, so the stream itself stays open).
    assert.equal((await server.store.eventsAfter(checkout.id, openId)).length, 2);
    sse.close();
  });

  it('refuses a bad secret with 401 and a malformed Last-Event-ID with 400', async () => {
    const { checkout } = await checkoutWithCharge();
    assert.equal((await fetch(`${server.url}${ROUTES.events(checkout.id)}?client_secret=nope`)).status, 401);
    const bad = await fetch(`${server.url}${ROUTES.events(checkout.id)}?client_secret=${encodeURIComponent(checkout.clientSecret)}`, {
      headers: { 'last-event-id': 'abc' },
    });
    assert.equal(bad.status, 400);
  });

  it('unsubscribes when the client goes away', async () => {
    const { checkout } = await checkoutWithCharge();
    const before = server.bus.size;
    const sse = await openSse(`${server.url}${ROUTES.events(checkout.id)}?client_secret=${encodeURIComponent(checkout.clientSecret)}`);
    await sse.next();
    assert.equal(server.bus.size, before + 1);
    sse.close();
    await eventually(async () => server.bus.size === before, 2000, 'the subscription to end');
  });
});
