/**
 * The library API as a merchant with an Express app uses it: the companion server mounted at
 * `/pay`, its background work started by `start()`, stopped by `stop()`. A checkout is created,
 * charged and paid through the embedded sandbox, all under the prefix, and the reconciler and the
 * webhook path run without `startServer()`.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import express from 'express';

import { createCheckoutServer, loadConfig, type CheckoutServer } from '../../server/index.js';
import { eventually, VALID_CPF } from './helpers.js';

const API_KEY = 'sk_test_mounted_0123456789';

describe('createCheckoutServer mounted in an existing Express app at /pay', () => {
  let dir: string;
  let server: Server;
  let checkout: CheckoutServer;
  let base: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cpc-mount-'));
    const app = express();
    app.get('/', (_req, res) => res.send('the merchant’s own shop'));
    // The merchant's app listens first; the checkout server learns where it is mounted.
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    const { port } = server.address() as AddressInfo;
    base = `http://127.0.0.1:${port}`;
    checkout = await createCheckoutServer(
      loadConfig({
        PORT: '0',
        CHECKOUT_API_KEY: API_KEY,
        DATABASE_URL: `sqlite:${join(dir, 'db.sqlite')}`,
        LOG_LEVEL: 'silent',
        RECONCILE_INTERVAL_SECONDS: '1',
      }),
      { selfUrl: `${base}/pay` },
    );
    app.use('/pay', checkout.handler);
    await checkout.start();
  });

  after(async () => {
    await checkout.stop({ drainMs: 2000 });
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the API under the prefix and leaves the rest of the app alone', async () => {
    assert.equal(await (await fetch(`${base}/`)).text(), 'the merchant’s own shop');
    assert.equal((await fetch(`${base}/pay/healthz`)).status, 200);
    assert.equal((await fetch(`${base}/healthz`)).status, 404, 'nothing of the checkout server outside /pay');
  });

  it('a checkout is created, charged and paid under /pay; the webhook from the sandbox comes back to /pay', async () => {
    const created = await fetch(`${base}/pay/v1/checkouts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        amount: 4990,
        externalReference: `mounted-${Date.now()}`,
        payer: { name: 'Maria Silva', document: VALID_CPF },
      }),
    });
    assert.equal(created.status, 201);
    const { id, clientSecret } = (await created.json()) as { id: string; clientSecret: string };

    const pix = await fetch(`${base}/pay/v1/checkouts/${id}/pix`, {
      method: 'POST',
      headers: { authorization: `Bearer ${clientSecret}`, 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(pix.status, 200);
    const charge = (await pix.json()) as { transactionId: string; copyAndPaste: string };
    assert.match(charge.copyAndPaste, /^000201/);

    const paid = await fetch(`${base}/pay/sandbox/cash-in/${charge.transactionId}/pay`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(paid.status, 200);

    const view = await eventually(
      async () => {
        const r = await fetch(`${base}/pay/v1/checkouts/${id}`, { headers: { authorization: `Bearer ${API_KEY}` } });
        const body = (await r.json()) as { status: string };
        return body.status === 'paid' ? body : undefined;
      },
      10_000,
      'the checkout to be paid',
    );
    assert.equal(view.status, 'paid');
  });

  it('stop() turns readiness off and is idempotent', async () => {
    // A second instance on the same app path, stopped here: the first keeps serving the other tests.
    const other = await createCheckoutServer(
      loadConfig({ PORT: '0', CHECKOUT_API_KEY: API_KEY, DATABASE_URL: 'sqlite::memory:', LOG_LEVEL: 'silent' }),
      { selfUrl: `${base}/other` },
    );
    const app = express();
    app.use('/other', other.handler);
    const s = await new Promise<Server>((resolve) => {
      const l = app.listen(0, '127.0.0.1', () => resolve(l));
    });
    const url = `http://127.0.0.1:${(s.address() as AddressInfo).port}/other/readyz`;
    await other.start();
    assert.equal((await fetch(url)).status, 200);
    const stopping = other.stop({ drainMs: 1000 });
    assert.equal(other.stop(), stopping, 'a second stop() is the same stop');
    await stopping;
    const after = await fetch(url);
    assert.equal(after.status, 503);
    await new Promise<void>((resolve) => s.close(() => resolve()));
  });
});
