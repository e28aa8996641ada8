/**
 * The emulated ConnectPSP API: auth, signatures, cash-in, idempotency, validation, refund,
 * cash-out, balance and API faults. Webhooks: sandbox-webhooks.test.ts. Expiry and persistence:
 * sandbox-state.test.ts.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';

import { crc16, parseBrCode } from '../../server/pix/brcode.js';
import { hmacSha256Hex } from '../../server/sandbox/signing.js';
import { postControl, SandboxApiClient, startSandboxServer, type RunningSandbox } from '../../server/sandbox/testing.js';

const E2E = /^E\d{8}\d{12}[A-Za-z0-9]{11}$/;
const D2E = /^D\d{8}\d{12}[A-Za-z0-9]{11}$/;
const BRASILIA_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d-03:00$/;
const UTC_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let running: RunningSandbox;
let api: SandboxApiClient;

before(async () => {
  running = await startSandboxServer({ cashOutSettleDelayMs: 50 });
  api = new SandboxApiClient(running.apiUrl, running.credentials);
});
after(() => running.close());

let references = 0;
function cashInBody(overrides: Record<string, unknown> = {}) {
  return {
    amount: 10.5,
    externalReference: `order-${++references}-${randomUUID()}`,
    payer: { name: 'João da Silva', document: '12345678909' },
    ...overrides,
  };
}

function cashOutBody(overrides: Record<string, unknown> = {}) {
  return {
    amount: 50,
    externalReference: `withdraw-${++references}-${randomUUID()}`,
    description: 'Player withdrawal',
    payee: {
      name: 'Maria Silva',
      document: '12345678909',
      destination: { type: 'PIX', pixKeyType: 'CPF', pixKey: '12345678909' },
    },
    ...overrides,
  };
}

async function createCashIn(overrides: Record<string, unknown> = {}) {
  const response = await api.request('POST', '/cash-in', { body: cashInBody(overrides) });
  assert.equal(response.status, 201, JSON.stringify(response.body));
  return response.body;
}

function assertProblem(response: { status: number; headers: Headers; body: any }, status: number, code: string): void {
  assert.equal(response.status, status, JSON.stringify(response.body));
  assert.match(response.headers.get('content-type') ?? '', /^application\/problem\+json/);
  assert.equal(response.body.status, status);
  assert.equal(response.body.code, code);
  assert.equal(typeof response.body.title, 'string');
  assert.equal(typeof response.body.detail, 'string');
  assert.match(response.body.type, /^https:\/\/connect-psp\.redocly\.app\/errors\//);
}

describe('auth', () => {
  test('the configured credentials get a one-hour HS256 JWT', async () => {
    const response = await api.request('POST', '/auth/token', {
      body: { clientId: running.credentials.clientId, clientSecret: running.credentials.clientSecret },
    });
    assert.equal(response.status, 200);
    assert.equal(response.body.tokenType, 'Bearer');
    assert.equal(response.body.expiresIn, 3600);
    assert.match(response.body.issuedAt, UTC_TIME);
    const [header, payload] = (response.body.accessToken as string)
      .split('.')
      .slice(0, 2)
      .map((part) => JSON.parse(Buffer.from(part, 'base64url').toString()));
    assert.deepEqual(header, { alg: 'HS256', typ: 'JWT' });
    assert.equal(payload.exp - payload.iat, 3600);
    assert.equal(payload.sub, running.credentials.clientId);
  });

  test('wrong credentials get 401 INVALID_CREDENTIALS; a numeric clientId is a 400 naming it', async () => {
    const wrong = await api.request('POST', '/auth/token', { body: { clientId: running.credentials.clientId, clientSecret: 'nope' } });
    assertProblem(wrong, 401, 'INVALID_CREDENTIALS');
    const numeric = await api.request('POST', '/auth/token', { body: { clientId: 100200300, clientSecret: 'x' } });
    assertProblem(numeric, 400, 'VALIDATION_ERROR');
    assert.match(numeric.body.detail, /^clientId:/);
  });

  test('a missing or forged token gets 401 INVALID_TOKEN', async () => {
    const missing = await api.request('GET', '/account/balance', { headers: { authorization: undefined } });
    assertProblem(missing, 401, 'INVALID_TOKEN');
    const token = await api.token();
    const [header, payload] = token.split('.');
    const forged = `${header}.${payload}.${'A'.repeat(43)}`;
    const response = await api.request('GET', '/account/balance', { headers: { authorization: `Bearer ${forged}` } });
    assertProblem(response, 401, 'INVALID_TOKEN');
  });

  test('a missing or unknown ApplicationToken gets 401 INVALID_APPLICATION_TOKEN', async () => {
    assertProblem(
      await api.request('GET', '/account/balance', { headers: { applicationtoken: undefined } }),
      401,
      'INVALID_APPLICATION_TOKEN',
    );
    assertProblem(
      await api.request('GET', '/account/balance', { headers: { applicationtoken: randomUUID() } }),
      401,
      'INVALID_APPLICATION_TOKEN',
    );
    assert.equal((await api.request('GET', '/account/balance')).status, 200);
  });

  test('a token is refused with TOKEN_EXPIRED once its hour is over', async () => {
    let clock = Date.parse('2026-03-10T14:00:00Z');
    const timed = await startSandboxServer({ now: () => clock });
    try {
      const client = new SandboxApiClient(timed.apiUrl, timed.credentials);
      await client.token();
      clock += 3599_000;
      assert.equal((await client.request('GET', '/account/balance')).status, 200);
      clock += 1000;
      assertProblem(await client.request('GET', '/account/balance'), 401, 'TOKEN_EXPIRED');
    } finally {
      await timed.close();
    }
  });
});

describe('DigitalSignature', () => {
  const signedCalls: [string, string, () => unknown][] = [
    ['POST', '/cash-out', () => cashOutBody()],
    ['POST', '/account/rebalance', () => ({ targetAmount: 500000 })],
    ['POST', '/cash-in/unknown/refund', () => ({ reason: 'CUSTOMER_REQUEST' })],
  ];

  for (const [method, path, body] of signedCalls) {
    test(`${method} ${path} needs it: missing, wrong key or upper-case hex → 422 INVALID_SIGNATURE`, async () => {
      const token = await api.token();
      const idempotencyKey = randomUUID();
      assertProblem(await api.request(method, path, { body: body(), idempotencyKey }), 422, 'INVALID_SIGNATURE');
      const wrongKey = hmacSha256Hex('another-crypto-token', token);
      assertProblem(
        await api.request(method, path, { body: body(), idempotencyKey, headers: { digitalsignature: wrongKey } }),
        422,
        'INVALID_SIGNATURE',
      );
      const upper = hmacSha256Hex(running.credentials.cryptoToken, token).toUpperCase();
      assertProblem(
        await api.request(method, path, { body: body(), idempotencyKey, headers: { digitalsignature: upper } }),
        422,
        'INVALID_SIGNATURE',
      );
      const signed = await api.request(method, path, { body: body(), idempotencyKey, signed: true });
      assert.notEqual(signed.body?.code, 'INVALID_SIGNATURE');
    });
  }

  test('is not needed on cash-in creation', async () => {
    await createCashIn();
  });
});

describe('POST /cash-in', () => {
  test('answers 201 with the documented shape and a valid dynamic BR Code', async () => {
    const body = cashInBody();
    const response = await api.request('POST', '/cash-in', { body });
    assert.equal(response.status, 201);
    const created = response.body;
    assert.match(created.transactionId, /^[a-z0-9]{35}$/);
    assert.match(created.internalCode, /^[A-Z0-9]{7}$/);
    assert.equal(created.externalReference, body.externalReference);
    assert.equal(created.status, 'AWAITING_PAYMENT');
    assert.equal(created.amount, 10.5);
    assert.deepEqual(created.payer, body.payer);
    assert.match(created.requestedAt, BRASILIA_TIME);
    assert.equal(created.paymentUrl, undefined);

    const code: string = created.pixData.copyAndPaste;
    const parsed = parseBrCode(code);
    assert.ok(parsed.ok, parsed.ok ? '' : parsed.reason);
    assert.equal(parsed.value.crc, crc16(code.slice(0, -4)));
    assert.equal(parsed.value.kind, 'dynamic');
    assert.equal(parsed.value.pointOfInitiation, '12');
    assert.equal(parsed.value.amount, '10.50');
    assert.equal(parsed.value.merchantName, 'CONNECTPSP SANDBOX');
    assert.equal(parsed.value.merchantCity, 'SAO PAULO');
    const host = new URL(running.publicUrl);
    assert.equal(parsed.value.locationUrl, `${host.host}${host.pathname}/pix/v2/${created.transactionId}`);

    const png = Buffer.from(created.pixData.qrCodeImageBase64, 'base64');
    assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  });

  test('with openFinance answers a paymentUrl and no pixData', async () => {
    const created = await createCashIn({ openFinance: { redirectUrl: 'https://shop.example/return' } });
    assert.equal(created.paymentUrl, `${running.publicUrl}/open-finance/${created.transactionId}`);
    assert.equal(created.pixData, undefined);
  });

  test('a duplicate externalReference gets 409 DUPLICATE_EXTERNAL_REFERENCE', async () => {
    const body = cashInBody();
    assert.equal((await api.request('POST', '/cash-in', { body })).status, 201);
    assertProblem(await api.request('POST', '/cash-in', { body }), 409, 'DUPLICATE_EXTERNAL_REFERENCE');
  });

  test('validation failures get 400 naming the field', async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ amount: -1 }, /^amount: must be a positive number$/],
      [{ amount: 0 }, /^amount: must be a positive number$/],
      [{ amount: 10.123 }, /^amount: must have at most 2 decimal places$/],
      [{ amount: '10.00' }, /^amount: must be a number/],
      [{ amount: undefined }, /^amount: is required$/],
      [{ externalReference: '' }, /^externalReference: is required$/],
      [{ payer: { name: 'X', document: '123' } }, /^payer\.document: must be 11 \(CPF\) or 14 \(CNPJ\) digits/],
      [{ payer: { name: 'X', document: '123.456.789-09' } }, /^payer\.document:/],
      [{ payer: undefined }, /^payer: is required$/],
      [{ expirationInMinutes: 1.5 }, /^expirationInMinutes: must be an integer/],
      [{ webhookUrl: 'ftp://example.com/hook' }, /^webhookUrl: must be an absolute http\(s\) URL$/],
      [{ openFinance: { redirectUrl: 'not a url' } }, /^openFinance\.redirectUrl:/],
    ];
    for (const [overrides, detail] of cases) {
      const response = await api.request('POST', '/cash-in', { body: cashInBody(overrides) });
      assertProblem(response, 400, 'VALIDATION_ERROR');
      assert.match(response.body.detail, detail, JSON.stringify(overrides));
    }
  });

  test('malformed JSON gets 400, an oversized body 413, a non-JSON body 400, all problem+json', async () => {
    assertProblem(await api.request('POST', '/cash-in', { body: '{"amount": 10,' }), 400, 'MALFORMED_JSON');
    const huge = JSON.stringify(cashInBody({ padding: 'x'.repeat(110_000) }));
    assertProblem(await api.request('POST', '/cash-in', { body: huge }), 413, 'PAYLOAD_TOO_LARGE');
    const asText = await api.request('POST', '/cash-in', { body: JSON.stringify(cashInBody()), headers: { 'content-type': 'text/plain' } });
    assertProblem(asText, 400, 'VALIDATION_ERROR');
    assert.match(asText.body.detail, /^Content-Type: must be application\/json/);
  });

  test('control routes and unknown paths answer problem+json too', async () => {
    const malformed = await fetch(`${running.publicUrl}/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{',
    });
    assert.equal(malformed.status, 400);
    assert.equal((await malformed.json()).code, 'MALFORMED_JSON');
    assertProblem(await api.request('GET', '/no-such-endpoint'), 404, 'NOT_FOUND');
    assertProblem(await postControl(running.publicUrl, '/no-such-control'), 404, 'NOT_FOUND');
  });
});

describe('X-Idempotency-Key', () => {
  test('the same key and body replay the original answer and create nothing new', async () => {
    const key = randomUUID();
    const body = cashInBody();
    const first = await api.request('POST', '/cash-in', { body, idempotencyKey: key });
    // Same body with keys in another order is the same request.
    const reordered = { payer: body.payer, externalReference: body.externalReference, amount: body.amount };
    const second = await api.request('POST', '/cash-in', { body: reordered, idempotencyKey: key });
    assert.equal(first.status, 201);
    assert.equal(second.status, 201);
    assert.deepEqual(second.body, first.body);
    assert.equal(second.headers.get('idempotent-replayed'), 'true');
    // Without the key the same body is a second request, and the reference is taken by the first.
    assertProblem(await api.request('POST', '/cash-in', { body }), 409, 'DUPLICATE_EXTERNAL_REFERENCE');
  });

  test('concurrent retries with the same key get the same single transaction', async () => {
    const key = randomUUID();
    const body = cashInBody();
    const answers = await Promise.all([1, 2, 3].map(() => api.request('POST', '/cash-in', { body, idempotencyKey: key })));
    assert.deepEqual(
      answers.map((a) => a.status),
      [201, 201, 201],
    );
    assert.equal(new Set(answers.map((a) => a.body.transactionId)).size, 1);
  });

  test('the same key with another body gets 422 IDEMPOTENCY_KEY_REUSED', async () => {
    const key = randomUUID();
    assert.equal((await api.request('POST', '/cash-in', { body: cashInBody(), idempotencyKey: key })).status, 201);
    assertProblem(await api.request('POST', '/cash-in', { body: cashInBody(), idempotencyKey: key }), 422, 'IDEMPOTENCY_KEY_REUSED');
  });

  test('a refused request is not stored: the retry with the same key runs again', async () => {
    const fresh = await startSandboxServer();
    try {
      const client = new SandboxApiClient(fresh.apiUrl, fresh.credentials);
      const key = randomUUID();
      const body = cashOutBody({ amount: 600_000 });
      assertProblem(await client.request('POST', '/cash-out', { body, idempotencyKey: key, signed: true }), 422, 'INSUFFICIENT_FUNDS');
      const topUp = await client.request('POST', '/account/rebalance', { body: { targetAmount: 700_000 }, signed: true });
      assert.equal(topUp.status, 200);
      const retried = await client.request('POST', '/cash-out', { body, idempotencyKey: key, signed: true });
      assert.equal(retried.status, 202, JSON.stringify(retried.body));
    } finally {
      await fresh.close();
    }
  });
});

describe('GET /cash-in/:id', () => {
  test('finds a cash-in by transactionId and internalCode, in the documented GET shape', async () => {
    const created = await createCashIn();
    const byId = await api.request('GET', `/cash-in/${created.transactionId}`);
    const byCode = await api.request('GET', `/cash-in/${created.internalCode}`);
    assert.equal(byId.status, 200);
    assert.deepEqual(byCode.body, byId.body);
    assert.deepEqual(byId.body, {
      transactionId: created.transactionId,
      internalCode: created.internalCode,
      externalReference: created.externalReference,
      endToEndId: null,
      originalEndToEndId: null,
      status: 'AWAITING_PAYMENT',
      amount: 10.5,
      payer: { ...created.payer, bankData: null },
      requestedAt: created.requestedAt,
      paidAt: null,
      refundedAt: null,
      expiredAt: null,
    });
  });

  test('an unknown id gets 404 CASH_IN_NOT_FOUND', async () => {
    assertProblem(await api.request('GET', '/cash-in/doesnotexist'), 404, 'CASH_IN_NOT_FOUND');
  });
});

describe('paying (control routes)', () => {
  test('POST /sandbox/cash-in/:id/pay marks it PAID with a BACEN E2E id and the payer bank', async () => {
    const created = await createCashIn();
    const paid = await postControl(running.publicUrl, `/cash-in/${created.internalCode}/pay`, {
      bankIspb: '18236120',
      payerName: 'Ana Paga',
    });
    assert.equal(paid.status, 200);
    assert.equal(paid.body.status, 'PAID');
    assert.match(paid.body.endToEndId, E2E);
    assert.equal(paid.body.endToEndId.slice(1, 9), '18236120');
    assert.match(paid.body.paidAt, BRASILIA_TIME);
    assert.equal(paid.body.payer.name, 'Ana Paga');
    assert.equal(paid.body.payer.bankData.ispb, '18236120');
    assert.equal(paid.body.payer.bankData.bank, 'Nu Pagamentos S.A.');
    const byE2e = await api.request('GET', `/cash-in/${paid.body.endToEndId}`);
    assert.deepEqual(byE2e.body, paid.body);
    assertProblem(await postControl(running.publicUrl, `/cash-in/${created.transactionId}/pay`), 409, 'CASH_IN_ALREADY_PAID');
  });

  test('POST /sandbox/pix/pay pays the cash-in behind a pasted Copia e Cola', async () => {
    const created = await createCashIn();
    const paid = await postControl(running.publicUrl, '/pix/pay', { copyAndPaste: ` ${created.pixData.copyAndPaste}\n` });
    assert.equal(paid.status, 200, JSON.stringify(paid.body));
    assert.equal(paid.body.transactionId, created.transactionId);
    assert.equal(paid.body.status, 'PAID');
  });

  test('POST /sandbox/pix/pay refuses a broken code with the parser reason', async () => {
    const created = await createCashIn();
    const broken = created.pixData.copyAndPaste.slice(0, -4) + '0000';
    const response = await postControl(running.publicUrl, '/pix/pay', { copyAndPaste: broken });
    assertProblem(response, 400, 'VALIDATION_ERROR');
    assert.match(response.body.detail, /^copyAndPaste: CRC mismatch: expected [0-9A-F]{4}, got 0000$/);
    assert.equal((await api.request('GET', `/cash-in/${created.transactionId}`)).body.status, 'AWAITING_PAYMENT');
  });

  test('an expired cash-in is refused unless allowExpired', async () => {
    const created = await createCashIn();
    assert.equal((await postControl(running.publicUrl, `/cash-in/${created.transactionId}/expire`)).body.status, 'EXPIRED');
    assertProblem(await postControl(running.publicUrl, `/cash-in/${created.transactionId}/pay`), 422, 'CASH_IN_EXPIRED');
    const late = await postControl(running.publicUrl, `/cash-in/${created.transactionId}/pay`, { allowExpired: true });
    assert.equal(late.status, 200);
    assert.equal(late.body.status, 'PAID');
  });
});

describe('POST /cash-in/:id/refund', () => {
  test('refunds a PAID cash-in with a D id and keeps the E id as original', async () => {
    const created = await createCashIn();
    const paid = (await postControl(running.publicUrl, `/cash-in/${created.transactionId}/pay`)).body;
    const refund = await api.request('POST', `/cash-in/${created.transactionId}/refund`, {
      body: { reason: 'CUSTOMER_REQUEST', description: 'ticket #1234' },
      signed: true,
    });
    assert.equal(refund.status, 202, JSON.stringify(refund.body));
    assert.equal(refund.body.status, 'REFUNDED');
    assert.match(refund.body.endToEndId, D2E);
    assert.equal(refund.body.originalEndToEndId, paid.endToEndId);
    assert.match(refund.body.refundedAt, BRASILIA_TIME);
    // GET finds it by either id.
    assert.deepEqual((await api.request('GET', `/cash-in/${refund.body.endToEndId}`)).body, refund.body);
    assert.deepEqual((await api.request('GET', `/cash-in/${paid.endToEndId}`)).body, refund.body);
    const again = await api.request('POST', `/cash-in/${created.transactionId}/refund`, {
      body: { reason: 'CUSTOMER_REQUEST' },
      signed: true,
    });
    assertProblem(again, 422, 'CASH_IN_ALREADY_REFUNDED');
  });

  test('refuses unpaid and expired cash-ins, and validates the reason', async () => {
    const unpaid = await createCashIn();
    const refund = (id: string, reason = 'FRAUD') => api.request('POST', `/cash-in/${id}/refund`, { body: { reason }, signed: true });
    assertProblem(await refund(unpaid.transactionId), 422, 'CASH_IN_NOT_PAID');
    const badReason = await refund(unpaid.transactionId, 'BECAUSE');
    assertProblem(badReason, 400, 'VALIDATION_ERROR');
    assert.match(badReason.body.detail, /^reason: must be one of FRAUD, DUPLICATED_PAYMENT, CUSTOMER_REQUEST, MERCHANT_ERROR$/);
    await postControl(running.publicUrl, `/cash-in/${unpaid.transactionId}/expire`);
    assertProblem(await refund(unpaid.transactionId), 422, 'CASH_IN_EXPIRED');
    assertProblem(await refund('doesnotexist'), 404, 'CASH_IN_NOT_FOUND');
  });
});

describe('cash-out', () => {
  test('is accepted as PROCESSING and settles as COMPLETED with an E id', async () => {
    const body = cashOutBody();
    const created = await api.request('POST', '/cash-out', { body, signed: true, idempotencyKey: randomUUID() });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    assert.match(created.body.transactionId, UUID);
    assert.match(created.body.internalCode, /^[A-Z0-9]{10}$/);
    assert.equal(created.body.status, 'PROCESSING');
    assert.equal(created.body.amount, 50);
    assert.equal(created.body.endToEndId, null);
    assert.deepEqual(created.body.payee, body.payee);
    assert.equal(created.body.failure, undefined);
    await waitUntil(async () => (await api.request('GET', `/cash-out/${created.body.internalCode}`)).body.status === 'COMPLETED');
    const settled = (await api.request('GET', `/cash-out/${created.body.transactionId}`)).body;
    assert.match(settled.endToEndId, E2E);
    assert.deepEqual((await api.request('GET', `/cash-out/${settled.endToEndId}`)).body, settled);
  });

  test('to the key 00000000000 fails with PIX_KEY_NOT_FOUND and gives the money back', async () => {
    const before = (await api.request('GET', '/account/balance')).body.consolidated.transactionalBalance;
    const body = cashOutBody({ payee: { ...cashOutBody().payee, destination: { type: 'PIX', pixKeyType: 'CPF', pixKey: '00000000000' } } });
    const created = await api.request('POST', '/cash-out', { body, signed: true, idempotencyKey: randomUUID() });
    assert.equal(created.status, 202);
    assert.equal((await api.request('GET', '/account/balance')).body.consolidated.transactionalBalance, before - 50);
    await waitUntil(async () => (await api.request('GET', `/cash-out/${created.body.transactionId}`)).body.status === 'FAILED');
    const failed = (await api.request('GET', `/cash-out/${created.body.transactionId}`)).body;
    assert.equal(failed.endToEndId, null);
    assert.deepEqual(failed.failure, { code: 'PIX_KEY_NOT_FOUND', message: 'The provided PIX key did not resolve to a valid account.' });
    assert.equal((await api.request('GET', '/account/balance')).body.consolidated.transactionalBalance, before);
  });

  test('a duplicate externalReference gets 409, more than the balance 422 INSUFFICIENT_FUNDS', async () => {
    const body = cashOutBody();
    assert.equal((await api.request('POST', '/cash-out', { body, signed: true, idempotencyKey: randomUUID() })).status, 202);
    assertProblem(
      await api.request('POST', '/cash-out', { body, signed: true, idempotencyKey: randomUUID() }),
      409,
      'DUPLICATE_EXTERNAL_REFERENCE',
    );
    const tooMuch = await api.request('POST', '/cash-out', {
      body: cashOutBody({ amount: 9_999_999 }),
      signed: true,
      idempotencyKey: randomUUID(),
    });
    assertProblem(tooMuch, 422, 'INSUFFICIENT_FUNDS');
    assert.match(tooMuch.body.detail, /^The requested amount of R\$ 9999999\.00 exceeds available balance of R\$ \d+\.\d\d\.$/);
  });

  test('requires X-Idempotency-Key and validates the destination', async () => {
    const noKey = await api.request('POST', '/cash-out', { body: cashOutBody(), signed: true });
    assertProblem(noKey, 400, 'VALIDATION_ERROR');
    assert.match(noKey.body.detail, /^X-Idempotency-Key:/);
    const badKey = cashOutBody({
      payee: { ...cashOutBody().payee, destination: { type: 'PIX', pixKeyType: 'EMAIL', pixKey: 'not-an-email' } },
    });
    const response = await api.request('POST', '/cash-out', { body: badKey, signed: true, idempotencyKey: randomUUID() });
    assertProblem(response, 400, 'VALIDATION_ERROR');
    assert.match(response.body.detail, /^payee\.destination\.pixKey: must be an e-mail address/);
  });

  test('can be settled or failed by control routes', async () => {
    const slow = await startSandboxServer({ cashOutSettleDelayMs: 60_000 });
    try {
      const client = new SandboxApiClient(slow.apiUrl, slow.credentials);
      const one = await client.request('POST', '/cash-out', { body: cashOutBody(), signed: true, idempotencyKey: randomUUID() });
      const two = await client.request('POST', '/cash-out', { body: cashOutBody(), signed: true, idempotencyKey: randomUUID() });
      const completed = await postControl(slow.publicUrl, `/cash-out/${one.body.transactionId}/complete`);
      assert.equal(completed.body.status, 'COMPLETED');
      const failed = await postControl(slow.publicUrl, `/cash-out/${two.body.transactionId}/fail`, {
        code: 'ACCOUNT_BLOCKED',
        message: 'Blocked.',
      });
      assert.deepEqual(failed.body.failure, { code: 'ACCOUNT_BLOCKED', message: 'Blocked.' });
      assertProblem(await postControl(slow.publicUrl, `/cash-out/${one.body.transactionId}/fail`), 409, 'CASH_OUT_NOT_PROCESSING');
    } finally {
      await slow.close();
    }
  });
});

describe('account', () => {
  test('the balance has the documented shape with three partner banks, in reais', async () => {
    const fresh = await startSandboxServer();
    try {
      const client = new SandboxApiClient(fresh.apiUrl, fresh.credentials);
      const balance = (await client.request('GET', '/account/balance')).body;
      assert.equal(balance.currency, 'BRL');
      assert.match(balance.referenceDate, /^\d{4}-\d\d-\d\d$/);
      assert.match(balance.updatedAt, UTC_TIME);
      assert.deepEqual(balance.consolidated, { totalBalance: 1_500_000, transactionalBalance: 500_000, proprietaryBalance: 1_000_000 });
      assert.deepEqual(
        balance.banks.map((b: any) => b.bank),
        ['BANCO DELBANK S.A.', 'CELCOIN IP S.A.', 'STARK BANK S.A.'],
      );
      const celcoin = balance.banks[1];
      assert.deepEqual(celcoin.accounts.transactional, { branch: '0001', account: '123456', balance: 200_000 });
      assert.equal(typeof celcoin.accounts.proprietary.balance, 'number');
    } finally {
      await fresh.close();
    }
  });

  test('rebalance tops up or sweeps the transactional total; beyond the reserve it is 422', async () => {
    const fresh = await startSandboxServer();
    try {
      const client = new SandboxApiClient(fresh.apiUrl, fresh.credentials);
      const rebalance = (targetAmount: number) => client.request('POST', '/account/rebalance', { body: { targetAmount }, signed: true });
      const consolidated = async () => (await client.request('GET', '/account/balance')).body.consolidated;
      const topUp = await rebalance(800_000.5);
      assert.deepEqual(topUp.body, { success: true, message: 'Rebalancing completed successfully.' });
      assert.deepEqual(await consolidated(), { totalBalance: 1_500_000, transactionalBalance: 800_000.5, proprietaryBalance: 699_999.5 });
      await rebalance(100_000);
      assert.deepEqual(await consolidated(), { totalBalance: 1_500_000, transactionalBalance: 100_000, proprietaryBalance: 1_400_000 });
      assertProblem(await rebalance(1_500_000.01), 422, 'INSUFFICIENT_FUNDS');
      assert.equal((await consolidated()).transactionalBalance, 100_000);
      const invalid = await rebalance(-1);
      assertProblem(invalid, 400, 'VALIDATION_ERROR');
      assert.match(invalid.body.detail, /^targetAmount:/);
    } finally {
      await fresh.close();
    }
  });
});

describe('API faults', () => {
  test('failNext answers the next matching calls with the chosen 5xx, without running them', async () => {
    const faulty = await startSandboxServer();
    try {
      const client = new SandboxApiClient(faulty.apiUrl, faulty.credentials);
      await client.token();
      await postControl(faulty.publicUrl, '/faults', { failNext: { count: 2, status: 503, path: '/cash-in' } });
      const key = randomUUID();
      const body = cashInBody();
      assertProblem(await client.request('POST', '/cash-in', { body, idempotencyKey: key }), 503, 'SERVICE_UNAVAILABLE');
      // Another path is not affected and does not use up the count.
      assert.equal((await client.request('GET', '/account/balance')).status, 200);
      assertProblem(await client.request('POST', '/cash-in', { body, idempotencyKey: key }), 503, 'SERVICE_UNAVAILABLE');
      const third = await client.request('POST', '/cash-in', { body, idempotencyKey: key });
      assert.equal(third.status, 201, 'the failed attempts created nothing, so the retry runs');
      assert.equal(third.headers.get('idempotent-replayed'), null);
    } finally {
      await faulty.close();
    }
  });

  test('delayNext slows the next matching call; DELETE /faults clears everything', async () => {
    const faulty = await startSandboxServer();
    try {
      const client = new SandboxApiClient(faulty.apiUrl, faulty.credentials);
      await client.token();
      await postControl(faulty.publicUrl, '/faults', { delayNext: { count: 1, ms: 300 }, failNext: { count: 5, status: 500 } });
      const started = Date.now();
      assertProblem(await client.request('GET', '/account/balance'), 500, 'INTERNAL_SERVER_ERROR');
      assert.ok(Date.now() - started >= 290, 'delayed');
      const cleared = await postControl(faulty.publicUrl, '/faults', undefined, 'DELETE');
      assert.equal(cleared.body.failNext, null);
      assert.equal((await client.request('GET', '/account/balance')).status, 200);
    } finally {
      await faulty.close();
    }
  });
});

async function waitUntil(check: () => Promise<boolean>, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
