/**
 * The embedded sandbox as `npm start` runs it: its state outlives a restart beside the SQLite file,
 * its expire control reaches the checkout at once (ConnectPSP sends no webhook on expiry), and a code
 * the gateway no longer knows ends so the payer can get a new one.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { loadConfig } from '../../server/config.js';
import {
  ROUTES,
  type CheckoutSession,
  type CheckoutView,
  type PixChargeView,
  type StatusEventData,
} from '../../widget/contract/wire-contract.js';
import { eventually, postJson, startTestServer, type TestServer } from './helpers.js';
import { openSse } from './sse-reader.js';

async function pixCharge(server: TestServer): Promise<{ id: string; clientSecret: string; charge: PixChargeView }> {
  const checkout = await server.createCheckout();
  const res = await server.browser(ROUTES.pix(checkout.id), checkout.clientSecret, { method: 'POST', body: '{}' });
  assert.equal(res.status, 200);
  return { id: checkout.id, clientSecret: checkout.clientSecret, charge: (await res.json()) as PixChargeView };
}

async function checkoutOf(server: TestServer, id: string): Promise<CheckoutView> {
  return (await (await server.merchant(ROUTES.checkout(id))).json()) as CheckoutView;
}

describe('embedded sandbox state across restarts', () => {
  it('keeps an open charge payable after a restart on the same SQLite file', async () => {
    const first = await startTestServer();
    const { id, charge } = await pixCharge(first);
    await first.close(); // keeps the directory, like stopping `npm start`
    assert.ok(existsSync(join(first.dir, 'checkout.sandbox.json')), 'the sandbox state sits beside the database');

    const second = await startTestServer({}, first.dir);
    try {
      const paid = await postJson(`${second.url}/sandbox/cash-in/${charge.transactionId}/pay`);
      assert.equal(paid.status, 200, await paid.clone().text());
      await eventually(async () => (await checkoutOf(second, id)).status === 'paid', 5000, 'the checkout paid after the restart');
    } finally {
      await second.destroy();
    }
  });

  it('ends a charge the restarted gateway no longer knows, so the payer is offered a new code', async () => {
    // SANDBOX_STATE_FILE=:memory: : the database keeps the checkout, the sandbox forgets the charge.
    const first = await startTestServer({ SANDBOX_STATE_FILE: ':memory:' });
    const { id, clientSecret, charge } = await pixCharge(first);
    await first.close();

    const second = await startTestServer({ SANDBOX_STATE_FILE: ':memory:' }, first.dir);
    try {
      const gone = await postJson(`${second.url}/sandbox/cash-in/${charge.transactionId}/pay`);
      assert.equal(gone.status, 404);
      // The start-up pass asks about every open charge: this one is unknown, so it ends.
      const view = await eventually(
        async () => {
          const v = await checkoutOf(second, id);
          return v.status === 'expired' && v;
        },
        5000,
        'the checkout expired',
      );
      assert.equal(view.charges[0]!.status, 'cancelled');
      // The widget is told which code ended and why, so it can say the gateway no longer knows it.
      const session = (await (await second.browser(ROUTES.session(id), clientSecret)).json()) as CheckoutSession;
      assert.equal(session.activeCharge?.transactionId, charge.transactionId);
      assert.equal(session.activeCharge?.status, 'cancelled');
      // "Generate a new code" works: a fresh charge, payable.
      const fresh = (await (await second.browser(ROUTES.pix(id), clientSecret, { method: 'POST', body: '{}' })).json()) as PixChargeView;
      assert.notEqual(fresh.transactionId, charge.transactionId);
      assert.equal((await postJson(`${second.url}/sandbox/cash-in/${fresh.transactionId}/pay`)).status, 200);
      await eventually(async () => (await checkoutOf(second, id)).status === 'paid', 5000, 'the new code paid');
    } finally {
      await second.destroy();
    }
  });

  it('puts the state file beside a SQLite file, and keeps it in memory otherwise', () => {
    const base = { CHECKOUT_API_KEY: 'sk_test_0123456789abcdef' };
    assert.equal(
      loadConfig({ ...base, DATABASE_URL: 'sqlite:./data/connectpsp-checkout.db' }).sandboxStateFile,
      './data/connectpsp-checkout.sandbox.json',
    );
    assert.equal(loadConfig({ ...base, DATABASE_URL: 'sqlite:/tmp/x/shop' }).sandboxStateFile, '/tmp/x/shop.sandbox.json');
    assert.equal(loadConfig({ ...base, DATABASE_URL: 'sqlite::memory:' }).sandboxStateFile, undefined);
    assert.equal(loadConfig({ ...base, DATABASE_URL: 'postgres://localhost/x' }).sandboxStateFile, undefined);
    assert.equal(
      loadConfig({ ...base, DATABASE_URL: 'postgres://localhost/x', SANDBOX_STATE_FILE: '/tmp/s.json' }).sandboxStateFile,
      '/tmp/s.json',
    );
    assert.equal(loadConfig({ ...base, SANDBOX_STATE_FILE: ':memory:' }).sandboxStateFile, undefined);
    // A separate sandbox (`npm run sandbox`) keeps its own state: nothing for the server to keep.
    assert.equal(loadConfig({ ...base, CONNECTPSP_BASE_URL: 'http://127.0.0.1:4010/sandbox/connectpsp' }).sandboxStateFile, undefined);
  });
});

describe('the sandbox expire control', () => {
  it('turns the checkout expired before it answers, and the widget stream hears it', async () => {
    const server = await startTestServer();
    try {
      const { id, clientSecret, charge } = await pixCharge(server);
      const stream = await openSse(`${server.url}${ROUTES.events(id)}?client_secret=${encodeURIComponent(clientSecret)}`);
      try {
        const first = await stream.next(5000);
        assert.equal((JSON.parse(first!.data) as StatusEventData).status, 'awaiting_payment');

        const res = await postJson(`${server.url}/sandbox/cash-in/${charge.transactionId}/expire`);
        assert.equal(res.status, 200);
        assert.equal(((await res.json()) as { status: string }).status, 'EXPIRED');
        // The code's own expiry is 30 minutes away: only the control's call can have done this.
        const view = await checkoutOf(server, id);
        assert.equal(view.status, 'expired');
        assert.equal(view.charges[0]!.status, 'expired');
        const frame = await stream.next(5000);
        assert.equal((JSON.parse(frame!.data) as StatusEventData).status, 'expired');
      } finally {
        stream.close();
      }
    } finally {
      await server.destroy();
    }
  });

  it('answers 404 for an unknown cash-in and changes nothing', async () => {
    const server = await startTestServer();
    try {
      const { id } = await pixCharge(server);
      const res = await postJson(`${server.url}/sandbox/cash-in/nope/expire`);
      assert.equal(res.status, 404);
      assert.equal((await checkoutOf(server, id)).status, 'awaiting_payment');
    } finally {
      await server.destroy();
    }
  });
});
