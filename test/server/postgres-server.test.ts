/** The whole server on `DATABASE_URL=postgres://…`: the same code path `npm start` runs. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PgEventBus } from '../../server/bus/pg-bus.js';
import { ROUTES, type CheckoutView, type PixChargeView } from '../../widget/contract/wire-contract.js';
import { PgStore } from '../../server/store/postgres-store.js';
import { eventually, postJson, startTestServer, type TestServer } from './helpers.js';
import { createTestSchema, pgSkip, type TestSchema } from './postgres-helpers.js';
import { openSse } from './sse-reader.js';

describe('server on PostgreSQL', { skip: pgSkip }, () => {
  let schema: TestSchema;
  let server: TestServer;
  before(async () => {
    schema = await createTestSchema();
    server = await startTestServer({ DATABASE_URL: schema.url() });
  });
  after(async () => {
    await server?.destroy();
    await schema?.drop();
  });

  it('selects PgStore and PgEventBus, and /readyz checks the database', async () => {
    assert.ok(server.store instanceof PgStore);
    assert.ok(server.bus instanceof PgEventBus);
    const res = await fetch(server.url + '/readyz');
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: 'ready', checks: { store: 'ok' } });
  });

  it('creates idempotently, charges, takes the paid webhook and streams it, with replay by Last-Event-ID', async () => {
    const body = JSON.stringify({
      amount: 1990,
      externalReference: `pg-order-${Date.now()}`,
      payer: { name: 'Ana Souza', document: '12345678909' },
    });
    const create = () =>
      server.merchant('/v1/checkouts', { method: 'POST', headers: { 'idempotency-key': `pg-key-${body.length}-${schema.name}` }, body });
    const [one, two] = await Promise.all([create(), create()]);
    const checkout = (await one.json()) as { id: string; clientSecret: string };
    assert.equal(((await two.json()) as { id: string }).id, checkout.id, 'two racing requests with one key create one checkout');

    const charge = (await (
      await server.browser(ROUTES.pix(checkout.id), checkout.clientSecret, { method: 'POST', body: '{}' })
    ).json()) as PixChargeView;
    const eventsUrl = `${server.url}${ROUTES.events(checkout.id)}?client_secret=${encodeURIComponent(checkout.clientSecret)}`;
    const stream = await openSse(eventsUrl);
    const first = (await stream.next())!;
    assert.equal(JSON.parse(first.data).status, 'awaiting_payment');

    assert.equal((await postJson(`${server.url}/sandbox/cash-in/${charge.transactionId}/pay`)).status, 200);
    const paid = (await stream.next())!;
    assert.equal(JSON.parse(paid.data).status, 'paid');
    assert.ok(Number(paid.id) > Number(first.id));
    // Paid is not terminal (a refund may follow): the stream stays open until the refund ends it.
    assert.equal((await server.merchant(ROUTES.refund(checkout.id), { method: 'POST', body: '{}' })).status, 200);
    const refunded = (await stream.next())!;
    assert.equal(JSON.parse(refunded.data).status, 'refunded');
    assert.equal(await stream.next(), null, 'the stream ends after refunded');

    const view = (await (await server.merchant(ROUTES.checkout(checkout.id))).json()) as CheckoutView;
    assert.equal(view.status, 'refunded');
    assert.equal(view.charges[0]!.status, 'refunded');

    const resumed = await openSse(eventsUrl, { 'last-event-id': first.id! });
    assert.equal((await resumed.next())!.id, paid.id);
    resumed.close();
    const afterFinal = await openSse(eventsUrl, { 'last-event-id': refunded.id! });
    assert.equal(afterFinal.response.status, 204);
  });

  it('a redelivered webhook changes nothing', async () => {
    const checkout = await server.createCheckout();
    const charge = (await (
      await server.browser(ROUTES.pix(checkout.id), checkout.clientSecret, { method: 'POST', body: '{}' })
    ).json()) as PixChargeView;
    await postJson(`${server.url}/sandbox/faults`, { webhooks: { duplicate: true } });
    await postJson(`${server.url}/sandbox/cash-in/${charge.transactionId}/pay`);
    await eventually(async () => ((await (await server.merchant(ROUTES.checkout(checkout.id))).json()) as CheckoutView).status === 'paid');
    await new Promise((r) => setTimeout(r, 300));
    const statuses = (await server.store.eventsAfter(checkout.id, 0)).map((e) => e.data.status);
    assert.deepEqual(statuses, ['open', 'awaiting_payment', 'paid']);
    await fetch(`${server.url}/sandbox/faults`, { method: 'DELETE' });
  });
});
