import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ConnectPspClient } from '../../server/connectpsp/client.js';
import { createLogger } from '../../server/logger.js';
import type { Balance } from '../../server/connectpsp/types.js';
import type { PayoutView } from '../../server/payouts/payout.js';
import { PayoutReconciler } from '../../server/payouts/payout-reconciler.js';
import { PayoutService } from '../../server/payouts/payout-service.js';
import { SANDBOX_CREDENTIALS } from '../../server/sandbox/defaults.js';
import { postJson, startTestServer, type TestServer } from './helpers.js';

// ConnectPSP not answering a payout: the payout stays processing under its stored key, and
// whoever sends it next (the merchant's retry, the reconciler) sends the same key: never twice.
let server: TestServer;
before(async () => {
  server = await startTestServer({ SANDBOX_CASHOUT_SETTLE_MS: '3600000' });
});
after(async () => {
  await server.destroy();
});

let n = 0;
const payee = {
  name: 'João Souza',
  document: '12345678909',
  destination: { type: 'PIX', pixKeyType: 'EVP', pixKey: '123e4567-e89b-42d3-a456-426614174000' },
};
const create = (body: unknown, key: string) =>
  server.merchant('/v1/payouts', { method: 'POST', headers: { 'idempotency-key': key }, body: JSON.stringify(body) });
const transactional = async () => ((await (await server.merchant('/v1/balance')).json()) as Balance).consolidated.transactionalBalance;
const outage = () => postJson(`${server.url}/sandbox/faults`, { failNext: { count: 50, path: '/cash-out', status: 503 } });
const clear = () => fetch(`${server.url}/sandbox/faults`, { method: 'DELETE' });

function reconcilerOnTheSameStore() {
  const logger = createLogger('silent');
  const gateway = new ConnectPspClient({ baseUrl: `${server.url}/sandbox/connectpsp`, ...SANDBOX_CREDENTIALS, sleep: async () => {} });
  const service = new PayoutService({ store: server.store, gateway, logger, webhookUrl: `${server.url}/v1/webhooks/connectpsp` });
  return new PayoutReconciler({ service, store: server.store, logger, intervalMs: 60_000, graceMs: 0 });
}

describe('payouts when ConnectPSP does not answer', () => {
  it('answers 502, keeps the payout processing, and the retry with the same key sends it once', async () => {
    const key = `k-${process.pid}-${++n}`;
    const body = { amount: 4_321, externalReference: `r-${process.pid}-${n}`, payee };
    const before = await transactional();
    await outage();
    const res = await create(body, key);
    await clear();
    assert.equal(res.status, 502);
    const kept = ((await (await server.merchant('/v1/payouts?status=processing&limit=100')).json()) as { data: PayoutView[] }).data.find(
      (p) => p.externalReference === body.externalReference,
    );
    assert.ok(kept, 'the payout is kept');
    assert.equal(kept.transactionId, null);
    assert.equal(await transactional(), before);

    const retry = await create(body, key);
    assert.equal(retry.status, 202);
    const payout = (await retry.json()) as PayoutView;
    assert.equal(payout.id, kept.id);
    assert.ok(payout.transactionId);
    assert.equal((await create(body, key)).status, 202);
    assert.equal(await transactional(), before - 4_321);
  });

  it('the reconciler sends a payout nobody retried, then settles it from GET when its webhook is lost', async () => {
    const key = `k-${process.pid}-${++n}`;
    const body = { amount: 999, externalReference: `r-${process.pid}-${n}`, payee };
    const before = await transactional();
    await outage();
    assert.equal((await create(body, key)).status, 502);
    await clear();
    const reconciler = reconcilerOnTheSameStore();
    await reconciler.pass();
    const sent = ((await (await server.merchant('/v1/payouts?limit=100')).json()) as { data: PayoutView[] }).data.find(
      (p) => p.externalReference === body.externalReference,
    )!;
    assert.ok(sent.transactionId, 'sent by the reconciler');
    assert.equal(await transactional(), before - 999);

    // The completion webhook is held (lost, as far as the server knows); GET tells the reconciler.
    await postJson(`${server.url}/sandbox/faults`, { webhooks: { hold: true } });
    await postJson(`${server.url}/sandbox/cash-out/${sent.transactionId}/complete`);
    assert.equal(((await (await server.merchant(`/v1/payouts/${sent.id}`)).json()) as PayoutView).status, 'processing');
    // Due now (the first pass scheduled its next check a minute out).
    await server.store.changePayout(sent.id, (p) => ({ payout: { ...p, nextReconcileAt: null }, outbox: null }));
    await reconciler.pass();
    assert.equal(((await (await server.merchant(`/v1/payouts/${sent.id}`)).json()) as PayoutView).status, 'completed');
    // The held webhook arriving late changes nothing, and payout.completed is written once.
    await clear();
    const types = (await server.store.getMerchantEvents(100_000))
      .filter((m) => JSON.stringify(m.data).includes(sent.id))
      .map((m) => m.type);
    assert.deepEqual(types, ['payout.completed']);
    await reconciler.stop();
  });

  it('a payout the reconciler sends and ConnectPSP refuses becomes failed with payout.failed', async () => {
    const key = `k-${process.pid}-${++n}`;
    const balance = await transactional();
    const body = { amount: balance + 1, externalReference: `r-${process.pid}-${n}`, payee };
    await outage();
    assert.equal((await create(body, key)).status, 502);
    await clear();
    await reconcilerOnTheSameStore().pass();
    const failed = ((await (await server.merchant('/v1/payouts?status=failed&limit=100')).json()) as { data: PayoutView[] }).data.find(
      (p) => p.externalReference === body.externalReference,
    );
    assert.equal(failed?.failure?.code, 'INSUFFICIENT_FUNDS');
    assert.equal(await transactional(), balance);
  });
});
