import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  ROUTES,
  type CheckoutSession,
  type CheckoutView,
  type ErrorBody,
  type PixChargeView,
} from '../../widget/contract/wire-contract.js';
import { parseBrCode } from '../../server/pix/brcode.js';
import { API_KEY, VALID_CPF, postJson, startTestServer, type TestServer } from './helpers.js';

let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(async () => {
  await server.destroy();
});

async function errorOf(res: Response): Promise<ErrorBody['error']> {
  assert.match(res.headers.get('content-type') ?? '', /application\/json/);
  return ((await res.json()) as ErrorBody).error;
}

describe('POST /v1/checkouts', () => {
  it('creates a checkout and answers 201 with id, clientSecret and status open', async () => {
    const res = await server.merchant('/v1/checkouts', {
      method: 'POST',
      body: JSON.stringify({ amount: 1050, externalReference: 'create-1' }),
    });
    assert.equal(res.status, 201);
    const body = (await res.json()) as CheckoutView & { clientSecret: string };
    assert.match(body.id, /^chk_[0-9A-Za-z]{24}$/);
    assert.ok(body.clientSecret.startsWith(`${body.id}_secret_`));
    assert.equal(body.status, 'open');
    assert.equal(body.amount, 1050);
    assert.deepEqual(body.methods, ['pix']);
    assert.deepEqual(body.charges, []);
  });

  it('createCharge "pix" makes the PIX charge with the checkout, so the first session answer carries it', async () => {
    const payer = { name: 'Ana Souza', document: VALID_CPF };
    const body = JSON.stringify({ amount: 2590, externalReference: 'create-with-pix', payer, createCharge: 'pix' });
    const create = () => server.merchant('/v1/checkouts', { method: 'POST', headers: { 'idempotency-key': 'create-with-pix-key' }, body });
    const res = await create();
    assert.equal(res.status, 201);
    const created = (await res.json()) as CheckoutView & { clientSecret: string };
    assert.equal(created.status, 'awaiting_payment');
    assert.equal(created.charges.length, 1);
    assert.equal(created.charges[0]!.method, 'pix');

    const session = (await (await server.browser(ROUTES.session(created.id), created.clientSecret)).json()) as CheckoutSession;
    assert.equal(session.status, 'awaiting_payment');
    assert.equal(session.activeCharge?.method, 'pix');
    assert.equal(session.activeCharge?.transactionId, created.charges[0]!.transactionId);
    assert.equal(session.payerName, 'Ana Souza', 'the receipt can name the payer');
    assert.ok(!JSON.stringify(session).includes(VALID_CPF), 'the session never carries the document');
    const parsed = parseBrCode((session.activeCharge as PixChargeView).copyAndPaste);
    assert.ok(parsed.ok && parsed.value.amount === '25.90', JSON.stringify(parsed));

    // A replay with the same key is the same checkout with the same single charge.
    const again = (await (await create()).json()) as CheckoutView & { clientSecret: string };
    assert.equal(again.id, created.id);
    assert.deepEqual(
      again.charges.map((c) => c.transactionId),
      [created.charges[0]!.transactionId],
    );
  });

  it('refuses createCharge without a payer, without pix among the methods, or with another value, naming the field', async () => {
    const payer = { name: 'Ana Souza', document: VALID_CPF };
    for (const extra of [
      { createCharge: 'pix' },
      { createCharge: 'pix', payer, methods: ['open_finance'] },
      { createCharge: 'open_finance', payer },
    ]) {
      const res = await server.merchant('/v1/checkouts', {
        method: 'POST',
        body: JSON.stringify({ amount: 100, externalReference: `cc-${JSON.stringify(extra).length}`, ...extra }),
      });
      assert.equal(res.status, 400, JSON.stringify(extra));
      assert.equal((await errorOf(res)).field, 'createCharge');
    }
  });

  it('refuses a missing or wrong API key with 401', async () => {
    const none = await postJson(server.url + '/v1/checkouts', { amount: 100, externalReference: 'x' });
    assert.equal(none.status, 401);
    assert.equal((await errorOf(none)).field, 'Authorization');
    const wrong = await fetch(server.url + '/v1/checkouts', {
      method: 'POST',
      headers: { authorization: `Bearer ${API_KEY}x`, 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(wrong.status, 401);
  });

  const badBodies: [string, unknown, string][] = [
    ['fractional centavos', { amount: 10.5, externalReference: 'b1' }, 'amount'],
    ['negative amount', { amount: -100, externalReference: 'b2' }, 'amount'],
    ['zero amount', { amount: 0, externalReference: 'b3' }, 'amount'],
    ['amount as a string', { amount: '1050', externalReference: 'b4' }, 'amount'],
    ['missing amount', { externalReference: 'b5' }, 'amount'],
    ['missing externalReference', { amount: 100 }, 'externalReference'],
    ['an unknown field', { amount: 100, externalReference: 'b6', amout: 1 }, 'amout'],
    [
      'a CPF with wrong check digits',
      { amount: 100, externalReference: 'b7', payer: { name: 'Ana', document: '12345678900' } },
      'payer.document',
    ],
    ['a document of the wrong length', { amount: 100, externalReference: 'b8', payer: { name: 'Ana', document: '123' } }, 'payer.document'],
    ['an unknown method', { amount: 100, externalReference: 'b9', methods: ['card'] }, 'methods.0'],
    ['expiresInMinutes over a day', { amount: 100, externalReference: 'b10', expiresInMinutes: 5000 }, 'expiresInMinutes'],
    ['a non-URL returnUrl', { amount: 100, externalReference: 'b11', returnUrl: 'javascript:alert(1)' }, 'returnUrl'],
    ['an array body', [1, 2], ''],
  ];
  for (const [what, body, field] of badBodies) {
    it(`answers 400 naming the field for ${what}`, async () => {
      const res = await server.merchant('/v1/checkouts', { method: 'POST', body: JSON.stringify(body) });
      assert.equal(res.status, 400);
      const error = await errorOf(res);
      assert.equal(error.type, 'invalid_request');
      if (field) assert.equal(error.field, field);
      if (field) assert.match(error.message, new RegExp(field.split('.')[0]!));
    });
  }

  it('says "is required" only for a missing field, and what is wrong for a present one', async () => {
    const send = async (body: unknown) =>
      (await errorOf(await server.merchant('/v1/checkouts', { method: 'POST', body: JSON.stringify(body) }))).message;
    assert.match(await send({ externalReference: 'm1' }), /amount is required/);
    assert.doesNotMatch(await send({ amount: '100', externalReference: 'm2' }), /required/);
    assert.doesNotMatch(await send({ amount: 100, externalReference: 5 }), /required/);
    assert.match(await send({ amount: 100, externalReference: 'm3', payer: 'maria' }), /expected object/);
  });

  it('answers 400 for malformed JSON and 413 for an oversized body, never 500', async () => {
    const malformed = await server.merchant('/v1/checkouts', { method: 'POST', body: '{"amount": 10' });
    assert.equal(malformed.status, 400);
    assert.equal((await errorOf(malformed)).field, 'body');
    const huge = await server.merchant('/v1/checkouts', {
      method: 'POST',
      body: JSON.stringify({ amount: 1, externalReference: 'h', description: 'x'.repeat(100_000) }),
    });
    assert.equal(huge.status, 413);
  });

  it('refuses a second checkout with the same externalReference (409) and writes nothing', async () => {
    await server.createCheckout({ externalReference: 'dup-ref' });
    const res = await server.merchant('/v1/checkouts', {
      method: 'POST',
      body: JSON.stringify({ amount: 999, externalReference: 'dup-ref' }),
    });
    assert.equal(res.status, 409);
    assert.equal((await errorOf(res)).field, 'externalReference');
  });

  it('replays the first answer for a repeated Idempotency-Key, and refuses the key with another body', async () => {
    const send = (amount: number) =>
      server.merchant('/v1/checkouts', {
        method: 'POST',
        headers: { 'idempotency-key': 'idem-1' },
        body: JSON.stringify({ amount, externalReference: 'idem-order' }),
      });
    const first = (await (await send(500)).json()) as { id: string; clientSecret: string };
    const again = await send(500);
    assert.equal(again.status, 201);
    const second = (await again.json()) as { id: string; clientSecret: string };
    assert.equal(second.id, first.id);
    assert.equal(second.clientSecret, first.clientSecret);
    const other = await send(600);
    assert.equal(other.status, 409);
    assert.equal((await errorOf(other)).field, 'Idempotency-Key');
  });
});

describe('GET /v1/checkouts/:id', () => {
  it('returns the checkout with its charges and never the full document', async () => {
    const created = await server.createCheckout();
    const res = await server.merchant(ROUTES.checkout(created.id));
    assert.equal(res.status, 200);
    const body = (await res.json()) as CheckoutView;
    assert.equal(body.id, created.id);
    assert.deepEqual(body.payer, { name: 'Maria Silva', documentLast4: VALID_CPF.slice(-4) });
    assert.ok(!JSON.stringify(body).includes(VALID_CPF));
    assert.ok(!('clientSecret' in body));
  });

  it('answers 404 for an unknown id and 401 without the key', async () => {
    assert.equal((await server.merchant(ROUTES.checkout('chk_000000000000000000000000'))).status, 404);
    assert.equal((await server.merchant(ROUTES.checkout('not-an-id'))).status, 404);
    const created = await server.createCheckout();
    assert.equal((await fetch(server.url + ROUTES.checkout(created.id))).status, 401);
  });
});

describe('browser routes', () => {
  it('session: the public view, with payerRequired and serverTime', async () => {
    const withPayer = await server.createCheckout();
    const res = await server.browser(ROUTES.session(withPayer.id), withPayer.clientSecret);
    assert.equal(res.status, 200);
    const session = (await res.json()) as CheckoutSession;
    assert.equal(session.status, 'open');
    assert.equal(session.amount, 1050);
    assert.equal(session.payerRequired, false);
    assert.equal(session.merchantName, 'Loja Exemplo');
    assert.ok(Math.abs(Date.parse(session.serverTime) - Date.now()) < 5000);
    assert.equal(session.activeCharge, null);

    const noPayer = await server.createCheckout({ payer: undefined });
    const s2 = (await (await server.browser(ROUTES.session(noPayer.id), noPayer.clientSecret)).json()) as CheckoutSession;
    assert.equal(s2.payerRequired, true);
  });

  it('a wrong secret and an unknown checkout get the same 401', async () => {
    const c = await server.createCheckout();
    const wrong = await server.browser(ROUTES.session(c.id), c.clientSecret.slice(0, -1) + (c.clientSecret.endsWith('X') ? 'Y' : 'X'));
    const unknown = await server.browser(ROUTES.session('chk_000000000000000000000000'), c.clientSecret);
    const missing = await fetch(server.url + ROUTES.session(c.id));
    assert.equal(wrong.status, 401);
    assert.equal(unknown.status, 401);
    assert.equal(missing.status, 401);
    const [a, b] = [await errorOf(wrong), await errorOf(unknown)];
    assert.equal(a.message, b.message);
    // Another checkout's secret is not this checkout's secret.
    const other = await server.createCheckout();
    assert.equal((await server.browser(ROUTES.session(c.id), other.clientSecret)).status, 401);
  });

  it('POST /pix creates one charge with a valid BR Code and returns the same charge again', async () => {
    const c = await server.createCheckout();
    const res = await server.browser(ROUTES.pix(c.id), c.clientSecret, { method: 'POST', body: '{}' });
    assert.equal(res.status, 200);
    const charge = (await res.json()) as PixChargeView;
    assert.equal(charge.method, 'pix');
    assert.equal(charge.amount, 1050);
    assert.match(charge.transactionId, /^[a-z0-9]{35}$/);
    const parsed = parseBrCode(charge.copyAndPaste);
    assert.ok(parsed.ok, parsed.ok ? '' : parsed.reason);
    const expiresIn = Date.parse(charge.expiresAt) - Date.now();
    assert.ok(expiresIn > 29 * 60_000 && expiresIn <= 30 * 60_000 + 5000, `expires in ${expiresIn} ms`);

    const again = (await (await server.browser(ROUTES.pix(c.id), c.clientSecret, { method: 'POST', body: '{}' })).json()) as PixChargeView;
    assert.equal(again.transactionId, charge.transactionId);

    const view = (await (await server.merchant(ROUTES.checkout(c.id))).json()) as CheckoutView;
    assert.equal(view.status, 'awaiting_payment');
    assert.equal(view.charges.length, 1);
    assert.deepEqual(
      { transactionId: view.charges[0]!.transactionId, method: view.charges[0]!.method, status: view.charges[0]!.status },
      { transactionId: charge.transactionId, method: 'pix', status: 'awaiting_payment' },
    );
  });

  it('POST /pix from many tabs at once creates a single charge', async () => {
    const c = await server.createCheckout();
    const answers = await Promise.all(
      Array.from({ length: 8 }, () =>
        server.browser(ROUTES.pix(c.id), c.clientSecret, { method: 'POST', body: '{}' }).then((r) => r.json() as Promise<PixChargeView>),
      ),
    );
    assert.equal(new Set(answers.map((a) => a.transactionId)).size, 1);
    const view = (await (await server.merchant(ROUTES.checkout(c.id))).json()) as CheckoutView;
    assert.equal(view.charges.length, 1);
  });

  it('POST /pix asks for the payer when the merchant gave none, and validates it', async () => {
    const c = await server.createCheckout({ payer: undefined });
    const missing = await server.browser(ROUTES.pix(c.id), c.clientSecret, { method: 'POST', body: '{}' });
    assert.equal(missing.status, 400);
    assert.equal((await errorOf(missing)).field, 'payer');
    const bad = await server.browser(ROUTES.pix(c.id), c.clientSecret, {
      method: 'POST',
      body: JSON.stringify({ payer: { name: 'Ana', document: '111.111.111-11' } }),
    });
    assert.equal(bad.status, 400);
    assert.equal((await errorOf(bad)).field, 'payer.document');
    const ok = await server.browser(ROUTES.pix(c.id), c.clientSecret, {
      method: 'POST',
      body: JSON.stringify({ payer: { name: 'Ana Souza', document: '123.456.789-09' } }),
    });
    assert.equal(ok.status, 200);
    const session = (await (await server.browser(ROUTES.session(c.id), c.clientSecret)).json()) as CheckoutSession;
    assert.equal(session.payerRequired, false);
    assert.equal(session.status, 'awaiting_payment');
    assert.equal(session.activeCharge?.transactionId, ((await ok.json()) as PixChargeView).transactionId);
  });

  it('POST /pix refuses malformed JSON and unknown fields with 400, never 500', async () => {
    const c = await server.createCheckout();
    const malformed = await server.browser(ROUTES.pix(c.id), c.clientSecret, { method: 'POST', body: '{payer:' });
    assert.equal(malformed.status, 400);
    const unknown = await server.browser(ROUTES.pix(c.id), c.clientSecret, { method: 'POST', body: JSON.stringify({ amount: 1 }) });
    assert.equal(unknown.status, 400);
    assert.equal((await errorOf(unknown)).field, 'amount');
  });

  it("POST /open-finance: only for checkouts that offer it, and only back to the merchant's own origins", async () => {
    const pixOnly = await server.createCheckout();
    const refused = await server.browser(ROUTES.openFinance(pixOnly.id), pixOnly.clientSecret, {
      method: 'POST',
      body: JSON.stringify({ returnUrl: 'https://shop.example/checkout' }),
    });
    assert.equal(refused.status, 409);

    const strict = await startTestServer({ ALLOWED_ORIGINS: 'https://shop.example' });
    try {
      const c = await strict.createCheckout({ methods: ['pix', 'open_finance'], returnUrl: 'https://merchant.example/pay' });
      const evil = await strict.browser(ROUTES.openFinance(c.id), c.clientSecret, {
        method: 'POST',
        body: JSON.stringify({ returnUrl: 'https://evil.example/phish' }),
      });
      assert.equal(evil.status, 400);
      assert.equal((await errorOf(evil)).field, 'returnUrl');
      const notUrl = await strict.browser(ROUTES.openFinance(c.id), c.clientSecret, {
        method: 'POST',
        body: JSON.stringify({ returnUrl: 'javascript:alert(1)' }),
      });
      assert.equal(notUrl.status, 400);
      const ok = await strict.browser(ROUTES.openFinance(c.id), c.clientSecret, {
        method: 'POST',
        body: JSON.stringify({ returnUrl: 'https://shop.example/checkout?order=1' }),
      });
      assert.equal(ok.status, 200);
      const intent = (await ok.json()) as { method: string; paymentUrl: string; expiresAt: string; transactionId: string };
      assert.equal(intent.method, 'open_finance');
      assert.match(intent.paymentUrl, /^http/);
      // Idempotent like /pix: the same intent again.
      const again = (await (
        await strict.browser(ROUTES.openFinance(c.id), c.clientSecret, {
          method: 'POST',
          body: JSON.stringify({ returnUrl: 'https://shop.example/checkout?order=1' }),
        })
      ).json()) as { transactionId: string };
      assert.equal(again.transactionId, intent.transactionId);
      // Without a returnUrl the checkout's own is used.
      const c2 = await strict.createCheckout({ methods: ['open_finance'], returnUrl: 'https://merchant.example/pay' });
      assert.equal((await strict.browser(ROUTES.openFinance(c2.id), c2.clientSecret, { method: 'POST', body: '{}' })).status, 200);
      const c3 = await strict.createCheckout({ methods: ['open_finance'] });
      const none = await strict.browser(ROUTES.openFinance(c3.id), c3.clientSecret, { method: 'POST', body: '{}' });
      assert.equal(none.status, 400);
      assert.equal((await errorOf(none)).field, 'returnUrl');
    } finally {
      await strict.destroy();
    }
  });

  it('answers CORS preflights for browser routes, never for merchant routes', async () => {
    const c = await server.createCheckout();
    const pre = await fetch(server.url + ROUTES.pix(c.id), {
      method: 'OPTIONS',
      headers: {
        origin: 'https://shop.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,content-type',
      },
    });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get('access-control-allow-origin'), '*');
    assert.match(pre.headers.get('access-control-allow-headers') ?? '', /Authorization/);
    const merchant = await server.merchant('/v1/checkouts', {
      method: 'POST',
      headers: { origin: 'https://shop.example' },
      body: JSON.stringify({ amount: 100, externalReference: 'cors-1' }),
    });
    assert.equal(merchant.headers.get('access-control-allow-origin'), null);
  });

  it('answers unknown routes with a JSON 404', async () => {
    const res = await fetch(server.url + '/v1/nope');
    assert.equal(res.status, 404);
    assert.equal((await errorOf(res)).type, 'not_found');
  });
});

describe('health', () => {
  it('/healthz and /readyz answer 200', async () => {
    assert.equal((await fetch(server.url + '/healthz')).status, 200);
    const ready = await fetch(server.url + '/readyz');
    assert.equal(ready.status, 200);
    assert.deepEqual(await ready.json(), { status: 'ready', checks: { store: 'ok' } });
  });
});
