/** Payouts and cancel on `DATABASE_URL=postgres://…`: racing requests with one key are one payout. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Balance } from '../../server/connectpsp/types.js';
import type { PayoutView } from '../../server/payouts/payout.js';
import { eventually, postJson, startTestServer, type TestServer } from './helpers.js';
import { createTestSchema, pgSkip, type TestSchema } from './postgres-helpers.js';

describe('payouts on PostgreSQL', { skip: pgSkip }, () => {
  let schema: TestSchema;
  let server: TestServer;
  before(async () => {
    schema = await createTestSchema();
    server = await startTestServer({ DATABASE_URL: schema.url(), SANDBOX_CASHOUT_SETTLE_MS: '3600000' });
  });
  after(async () => {
    await server?.destroy();
    await schema?.drop();
  });

  it('five racing requests with one key send one payout, which settles by webhook', async () => {
    const body = JSON.stringify({
      amount: 2_500,
      externalReference: `pg-po-${schema.name}`,
      payee: { name: 'Ana Souza', document: '12345678909', destination: { type: 'PIX', pixKeyType: 'PHONE', pixKey: '+5511999998888' } },
    });
    const transactional = async () => ((await (await server.merchant('/v1/balance')).json()) as Balance).consolidated.transactionalBalance;
    const before = await transactional();
    const answers = await Promise.all(
      [1, 2, 3, 4, 5].map(() =>
        server.merchant('/v1/payouts', { method: 'POST', headers: { 'idempotency-key': `pg-key-${schema.name}` }, body }),
      ),
    );
    const views = await Promise.all(
      answers.map(async (r) => {
        assert.equal(r.status, 202);
        return (await r.json()) as PayoutView;
      }),
    );
    assert.equal(new Set(views.map((v) => v.id)).size, 1);
    assert.equal(await transactional(), before - 2_500);
    const transactionId = views.find((v) => v.transactionId)!.transactionId!;
    await postJson(`${server.url}/sandbox/cash-out/${transactionId}/complete`);
    await eventually(
      async () => ((await (await server.merchant(`/v1/payouts/${views[0]!.id}`)).json()) as PayoutView).status === 'completed',
    );
    const list = (await (await server.merchant('/v1/payouts')).json()) as { data: PayoutView[] };
    assert.deepEqual(
      list.data.map((p) => p.id),
      [views[0]!.id],
    );
  });

  it('cancels a checkout once', async () => {
    const checkout = await server.createCheckout();
    const [a, b] = await Promise.all(
      [1, 2].map(() => server.merchant(`/v1/checkouts/${checkout.id}/cancel`, { method: 'POST', body: '{}' })),
    );
    assert.deepEqual([a!.status, b!.status], [200, 200]);
    assert.equal(
      (await server.store.getMerchantEvents(1000)).filter(
        (m) => m.type === 'checkout.cancelled' && JSON.stringify(m.data).includes(checkout.id),
      ).length,
      1,
    );
  });
});
