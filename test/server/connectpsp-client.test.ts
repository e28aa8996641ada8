import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import {
  ConnectPspApiError,
  ConnectPspAuthenticationError,
  ConnectPspClient,
  type ConnectPspCallInfo,
  type ConnectPspClientOptions,
  ConnectPspConnectionError,
  ConnectPspError,
  connectPspErrorFrom,
  ConnectPspInvalidRequestError,
  ConnectPspTokenCache,
  digitalSignature,
} from '../../server/connectpsp/index.js';

// ---------------------------------------------------------------------------------------------
// A real fake gateway: an HTTP server on a random loopback port, scripted per test.

const CREDENTIALS = {
  clientId: '123456',
  clientSecret: '9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d',
  applicationToken: 'f47ac10b-58cc-4372-a567-0e02b2c3d479',
  cryptoToken: 'test-crypto-token',
};

interface SeenRequest {
  method: string;
  /** Path as received, prefix included. */
  url: string;
  /** Path with the base-URL prefix removed, e.g. `/cash-in`. */
  path: string;
  headers: http.IncomingHttpHeaders;
  body: unknown;
}

interface Reply {
  status: number;
  /** JSON-serialised unless `raw` is given. */
  body?: unknown;
  raw?: string;
  contentType?: string;
  /** Hold the answer this long (to trigger client timeouts). */
  delayMs?: number;
}

type Route = (request: SeenRequest, callIndex: number) => Reply | Promise<Reply>;

interface FakeGateway {
  baseUrl: string;
  /** Every request received, auth included, in arrival order. */
  requests: SeenRequest[];
  /** Requests to one path (prefix removed). */
  calls(path: string): SeenRequest[];
  close(): Promise<void>;
}

const gateways: FakeGateway[] = [];
afterEach(async () => {
  await Promise.all(gateways.splice(0).map((gateway) => gateway.close()));
});

/**
 * Starts a fake ConnectPSP. `/auth/token` hands out `jwt-1`, `jwt-2`, … (valid 3600 s) unless
 * `routes` overrides it; any other unscripted path answers 404.
 */
async function startGateway(routes: Record<string, Route>, prefix = ''): Promise<FakeGateway> {
  const requests: SeenRequest[] = [];
  const counts = new Map<string, number>();
  const routeTable: Record<string, Route> = {
    'POST /auth/token': (_request, index) => ({ status: 200, body: tokenBody(`jwt-${index + 1}`) }),
    ...routes,
  };

  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const url = req.url ?? '';
    const path = url.startsWith(prefix) ? url.slice(prefix.length) : url;
    const request: SeenRequest = {
      method: req.method ?? '',
      url,
      path,
      headers: req.headers,
      body: text === '' ? undefined : JSON.parse(text),
    };
    requests.push(request);

    const key = `${request.method} ${templateOf(path)}`;
    const index = counts.get(key) ?? 0;
    counts.set(key, index + 1);
    const route = routeTable[key];
    const reply = route ? await route(request, index) : problem(404, 'NOT_FOUND', `no route ${key}`);
    if (reply.delayMs) await delay(reply.delayMs);
    if (res.destroyed) return;
    res.writeHead(reply.status, { 'content-type': reply.contentType ?? 'application/json' });
    res.end(reply.raw ?? (reply.body === undefined ? '' : JSON.stringify(reply.body)));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  const gateway: FakeGateway = {
    baseUrl: `http://127.0.0.1:${port}${prefix}`,
    requests,
    calls: (path) => requests.filter((request) => request.path === path),
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
  gateways.push(gateway);
  return gateway;
}

/** `/cash-in/abc/refund` → `/cash-in/{id}/refund`, so routes are written as templates. */
function templateOf(path: string): string {
  return path.replace(/^\/(cash-in|cash-out)\/[^/]+/, '/$1/{id}');
}

function tokenBody(accessToken: string, expiresIn = 3600) {
  return { accessToken, tokenType: 'Bearer', expiresIn, issuedAt: '2026-03-10T14:00:00Z' };
}

function problem(status: number, code: string, detail: string): Reply {
  return {
    status,
    contentType: 'application/problem+json',
    body: { type: `https://connect-psp.redocly.app/errors/${code.toLowerCase()}`, title: code, status, code, detail },
  };
}

function makeClient(gateway: FakeGateway, overrides: Partial<ConnectPspClientOptions> = {}): ConnectPspClient {
  return new ConnectPspClient({ baseUrl: gateway.baseUrl, ...CREDENTIALS, sleep: async () => {}, ...overrides });
}

const CASH_IN = {
  transactionId: 'kk6g232xel65a0daee4dd13kk2912714964',
  internalCode: 'US7B1JQ',
  externalReference: 'order_abc123',
  status: 'AWAITING_PAYMENT',
  amount: 10.5,
  payer: { name: 'João Silva', document: '12345678909' },
  pixData: { copyAndPaste: '00020101021226…6304ABCD', qrCodeImageBase64: 'iVBORw0KGgo=' },
  requestedAt: '2026-03-10T11:20:00-03:00',
};

const CASH_OUT = {
  transactionId: 'dd30446e-6cc5-4664-bf3f-6b7f5e55a1a9',
  internalCode: 'IVKPRMOCDY',
  externalReference: 'withdraw_xyz789',
  endToEndId: null,
  status: 'PROCESSING',
  amount: 500,
  payee: { name: 'Maria Silva', document: '12345678909', destination: { type: 'PIX', pixKeyType: 'CPF', pixKey: '12345678909' } },
};

const REFUND = {
  transactionId: CASH_IN.transactionId,
  internalCode: 'US7B1JQ',
  externalReference: 'order_abc123',
  endToEndId: 'D00416968202603111200abcdefghijk',
  originalEndToEndId: 'E00416968202603101827cemeFscF6AG',
  status: 'REFUNDED',
  amount: 10.5,
};

const BALANCE = {
  currency: 'BRL',
  referenceDate: '2026-03-10',
  consolidated: { totalBalance: 1500000, transactionalBalance: 500000.25, proprietaryBalance: 999999.75 },
  banks: [
    {
      ispb: '13935893',
      bank: 'CELCOIN IP S.A.',
      accounts: { transactional: { branch: '0001', account: '123456', balance: 200000 }, proprietary: null },
    },
  ],
  updatedAt: '2026-03-10T14:35:00Z',
};

const CREATE_CASH_IN = {
  amount: 1050,
  externalReference: 'order_abc123',
  payer: { name: 'João Silva', document: '12345678909' },
};

const CREATE_CASH_OUT = {
  amount: 50_000,
  externalReference: 'withdraw_xyz789',
  payee: {
    name: 'Maria Silva',
    document: '12345678909',
    destination: { type: 'PIX' as const, pixKeyType: 'CPF' as const, pixKey: '12345678909' },
  },
};

const ok =
  (body: unknown, status = 200): Route =>
  () => ({ status, body });

/** Awaits a rejection and hands back the error for further asserts. */
async function rejection(promise: Promise<unknown>): Promise<ConnectPspError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof ConnectPspError, `expected a ConnectPspError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected the call to fail');
}

// ---------------------------------------------------------------------------------------------

describe('ConnectPspClient: authentication', () => {
  it('POSTs string credentials to /auth/token without Authorization, ApplicationToken or DigitalSignature', async () => {
    const gateway = await startGateway({});
    const token = await makeClient(gateway).authenticate();

    assert.deepEqual(token, tokenBody('jwt-1'));
    const [request] = gateway.calls('/auth/token');
    assert.deepEqual(request?.body, { clientId: '123456', clientSecret: CREDENTIALS.clientSecret });
    assert.equal(request?.headers['content-type'], 'application/json');
    assert.equal(request?.headers.authorization, undefined);
    assert.equal(request?.headers.applicationtoken, undefined);
    assert.equal(request?.headers.digitalsignature, undefined);
  });

  it('sends Authorization: Bearer <jwt> and ApplicationToken on every other call', async () => {
    const gateway = await startGateway({ 'GET /account/balance': ok(BALANCE), 'GET /cash-out/{id}': ok(CASH_OUT) });
    const client = makeClient(gateway);
    await client.getBalance();
    await client.getCashOut(CASH_OUT.transactionId);

    for (const request of gateway.requests.filter((r) => r.path !== '/auth/token')) {
      assert.equal(request.headers.authorization, 'Bearer jwt-1', request.path);
      assert.equal(request.headers.applicationtoken, CREDENTIALS.applicationToken, request.path);
    }
  });

  it('makes exactly one POST /auth/token for 20 concurrent calls', async () => {
    const gateway = await startGateway({
      'POST /auth/token': () => ({ status: 200, body: tokenBody('jwt-only'), delayMs: 30 }),
      'GET /account/balance': ok(BALANCE),
    });
    const client = makeClient(gateway);
    await Promise.all(Array.from({ length: 20 }, () => client.getBalance()));

    assert.equal(gateway.calls('/auth/token').length, 1);
    const balanceCalls = gateway.calls('/account/balance');
    assert.equal(balanceCalls.length, 20);
    assert.ok(balanceCalls.every((request) => request.headers.authorization === 'Bearer jwt-only'));
  });

  it('refreshes the token once less than 5 minutes of its life remain', async () => {
    const gateway = await startGateway({ 'GET /account/balance': ok(BALANCE) });
    let clock = 1_000_000;
    const client = makeClient(gateway, { now: () => clock });

    await client.getBalance();
    clock += 3_600_000 - 300_000 - 1; // 55 min minus 1 ms later: still fresh
    await client.getBalance();
    assert.equal(gateway.calls('/auth/token').length, 1);

    clock += 1; // exactly 5 min before expiry: due
    await client.getBalance();
    assert.equal(gateway.calls('/auth/token').length, 2);
    assert.deepEqual(
      gateway.calls('/account/balance').map((request) => request.headers.authorization),
      ['Bearer jwt-1', 'Bearer jwt-1', 'Bearer jwt-2'],
    );
  });

  it('on 401 TOKEN_EXPIRED re-authenticates once and retries with a recomputed DigitalSignature', async () => {
    const gateway = await startGateway({
      'POST /account/rebalance': (request) =>
        request.headers.authorization === 'Bearer jwt-1'
          ? problem(401, 'TOKEN_EXPIRED', 'The access token has expired.')
          : { status: 200, body: { success: true, message: 'Rebalancing completed successfully.' } },
    });
    const result = await makeClient(gateway).rebalance({ targetAmount: 100 });

    assert.deepEqual(result, { success: true, message: 'Rebalancing completed successfully.' });
    assert.equal(gateway.calls('/auth/token').length, 2);
    const attempts = gateway.calls('/account/rebalance');
    assert.equal(attempts.length, 2);
    assert.equal(attempts[1]?.headers.authorization, 'Bearer jwt-2');
    assert.equal(attempts[1]?.headers.digitalsignature, digitalSignature('jwt-2', CREDENTIALS.cryptoToken));
  });

  // The timeout turns an endless re-auth loop into a failure instead of a hang.
  it('surfaces a second TOKEN_EXPIRED as ConnectPspAuthenticationError, after one re-auth only', { timeout: 5_000 }, async () => {
    const gateway = await startGateway({
      'GET /cash-in/{id}': () => problem(401, 'TOKEN_EXPIRED', 'The access token has expired.'),
    });
    const error = await rejection(makeClient(gateway).getCashIn('US7B1JQ'));

    assert.ok(error instanceof ConnectPspAuthenticationError);
    assert.equal(error.code, 'TOKEN_EXPIRED');
    assert.equal(error.status, 401);
    assert.equal(gateway.calls('/auth/token').length, 2);
    assert.equal(gateway.calls('/cash-in/US7B1JQ').length, 2);
  });

  it('re-authenticates once when many concurrent calls all meet TOKEN_EXPIRED', async () => {
    const gateway = await startGateway({
      'GET /account/balance': (request) =>
        request.headers.authorization === 'Bearer jwt-1' ? problem(401, 'TOKEN_EXPIRED', 'expired') : { status: 200, body: BALANCE },
    });
    const client = makeClient(gateway);
    await Promise.all(Array.from({ length: 10 }, () => client.getBalance()));

    assert.equal(gateway.calls('/auth/token').length, 2);
  });

  it('on any other 401 (a gateway that restarted or revoked the token) drops the token and re-authenticates once', async () => {
    const gateway = await startGateway({
      'POST /cash-in': (request) =>
        request.headers.authorization === 'Bearer jwt-1'
          ? problem(401, 'INVALID_TOKEN', 'The access token is not valid.')
          : { status: 201, body: CASH_IN },
    });
    const client = makeClient(gateway);
    await client.createCashIn(CREATE_CASH_IN, { idempotencyKey: 'k-401' });
    assert.equal(gateway.calls('/auth/token').length, 2);
    const attempts = gateway.calls('/cash-in');
    assert.deepEqual(
      attempts.map((a) => a.headers.authorization),
      ['Bearer jwt-1', 'Bearer jwt-2'],
    );
    assert.deepEqual(
      attempts.map((a) => a.headers['x-idempotency-key']),
      ['k-401', 'k-401'],
    );
    // The fresh token is kept for the next call.
    await client.createCashIn(CREATE_CASH_IN, { idempotencyKey: 'k-401b' });
    assert.equal(gateway.calls('/auth/token').length, 2);
  });

  it('surfaces a 401 that a fresh token also meets (INVALID_APPLICATION_TOKEN), after one re-auth; never retries INVALID_CREDENTIALS', async () => {
    const gateway = await startGateway({
      'GET /account/balance': () => problem(401, 'INVALID_APPLICATION_TOKEN', 'Unknown application token.'),
    });
    const error = await rejection(makeClient(gateway).getBalance());
    assert.ok(error instanceof ConnectPspAuthenticationError);
    assert.equal(error.code, 'INVALID_APPLICATION_TOKEN');
    assert.equal(gateway.calls('/account/balance').length, 2);
    assert.equal(gateway.calls('/auth/token').length, 2);

    const badLogin = await startGateway({ 'POST /auth/token': () => problem(401, 'INVALID_CREDENTIALS', 'Bad credentials.') });
    const loginError = await rejection(makeClient(badLogin).getBalance());
    assert.ok(loginError instanceof ConnectPspAuthenticationError);
    assert.equal(loginError.code, 'INVALID_CREDENTIALS');
    assert.equal(badLogin.requests.length, 1);
  });
});

describe('ConnectPspClient: retries and idempotency', () => {
  it('retries 503 with the SAME idempotency key and exponential full-jitter backoff', async () => {
    const gateway = await startGateway({
      'POST /cash-in': (_request, index) => (index < 3 ? problem(503, 'UNAVAILABLE', 'try later') : { status: 201, body: CASH_IN }),
    });
    const sleeps: number[] = [];
    const client = makeClient(gateway, { sleep: async (ms) => void sleeps.push(ms), random: () => 0.5 });

    const cashIn = await client.createCashIn(CREATE_CASH_IN, { idempotencyKey: 'idem-1' });

    assert.equal(cashIn.transactionId, CASH_IN.transactionId);
    const attempts = gateway.calls('/cash-in');
    assert.equal(attempts.length, 4);
    assert.deepEqual(
      attempts.map((request) => request.headers['x-idempotency-key']),
      ['idem-1', 'idem-1', 'idem-1', 'idem-1'],
    );
    assert.deepEqual(sleeps, [150, 300, 600]); // 0.5 × 300 × 2^(n-1)
  });

  it('gives up after maxAttempts with the capped backoff, throwing ConnectPspApiError', async () => {
    const gateway = await startGateway({ 'POST /cash-out': () => problem(503, 'UNAVAILABLE', 'down') });
    const sleeps: number[] = [];
    const client = makeClient(gateway, {
      maxAttempts: 6,
      retryMaxDelayMs: 1_000,
      random: () => 0.5,
      sleep: async (ms) => void sleeps.push(ms),
    });

    const error = await rejection(client.createCashOut(CREATE_CASH_OUT, { idempotencyKey: 'idem-2' }));

    assert.ok(error instanceof ConnectPspApiError);
    assert.equal(error.status, 503);
    assert.equal(gateway.calls('/cash-out').length, 6);
    assert.ok(gateway.calls('/cash-out').every((request) => request.headers['x-idempotency-key'] === 'idem-2'));
    assert.deepEqual(sleeps, [150, 300, 500, 500, 500]); // 0.5 × min(1000, 300 × 2^(n-1))
  });

  for (const [status, code] of [
    [400, 'VALIDATION_ERROR'],
    [404, 'NOT_FOUND'],
    [409, 'DUPLICATE_EXTERNAL_REFERENCE'],
    [422, 'INVALID_SIGNATURE'],
  ] as const) {
    it(`does not retry ${status} ${code}`, async () => {
      const gateway = await startGateway({ 'POST /cash-out': () => problem(status, code, `nope ${status}`) });
      const error = await rejection(makeClient(gateway).createCashOut(CREATE_CASH_OUT, { idempotencyKey: 'idem-3' }));

      assert.ok(error instanceof ConnectPspInvalidRequestError);
      assert.equal(error.status, status);
      assert.equal(error.code, code);
      assert.equal(gateway.calls('/cash-out').length, 1);
    });
  }

  it('retries a timed-out attempt with the same idempotency key', async () => {
    const gateway = await startGateway({
      'POST /cash-out': (_request, index) => ({ status: 202, body: CASH_OUT, delayMs: index === 0 ? 1_000 : 0 }),
    });
    const calls: ConnectPspCallInfo[] = [];
    const client = makeClient(gateway, { timeoutMs: 100, onCall: (info) => calls.push(info) });

    const cashOut = await client.createCashOut(CREATE_CASH_OUT, { idempotencyKey: 'idem-4' });

    assert.equal(cashOut.status, 'PROCESSING');
    const attempts = gateway.calls('/cash-out');
    assert.equal(attempts.length, 2);
    assert.deepEqual(
      attempts.map((request) => request.headers['x-idempotency-key']),
      ['idem-4', 'idem-4'],
    );
    const cashOutCalls = calls.filter((info) => info.path === '/cash-out');
    assert.deepEqual(
      cashOutCalls.map(({ status, code, attempt }) => ({ status, code, attempt })),
      [
        { status: 0, code: 'TIMEOUT', attempt: 1 },
        { status: 202, code: undefined, attempt: 2 },
      ],
    );
  });

  it('throws ConnectPspConnectionError TIMEOUT (status 0) when every attempt times out', async () => {
    const gateway = await startGateway({ 'GET /cash-in/{id}': () => ({ status: 200, body: CASH_IN, delayMs: 1_000 }) });
    const error = await rejection(makeClient(gateway, { timeoutMs: 50, maxAttempts: 2 }).getCashIn('US7B1JQ'));

    assert.ok(error instanceof ConnectPspConnectionError);
    assert.equal(error.code, 'TIMEOUT');
    assert.equal(error.status, 0);
    assert.equal(gateway.calls('/cash-in/US7B1JQ').length, 2);
  });

  it('retries network errors and then throws ConnectPspConnectionError NETWORK_ERROR', async () => {
    const gateway = await startGateway({});
    const deadBaseUrl = gateway.baseUrl;
    await gateway.close();
    gateways.splice(gateways.indexOf(gateway), 1);
    const calls: ConnectPspCallInfo[] = [];
    const client = new ConnectPspClient({
      baseUrl: deadBaseUrl,
      ...CREDENTIALS,
      maxAttempts: 3,
      sleep: async () => {},
      onCall: (info) => calls.push(info),
    });

    const error = await rejection(client.authenticate());

    assert.ok(error instanceof ConnectPspConnectionError);
    assert.equal(error.code, 'NETWORK_ERROR');
    assert.equal(error.status, 0);
    assert.deepEqual(
      calls.map((info) => [info.attempt, info.status, info.code]),
      [
        [1, 0, 'NETWORK_ERROR'],
        [2, 0, 'NETWORK_ERROR'],
        [3, 0, 'NETWORK_ERROR'],
      ],
    );
  });

  it('refuses a money-moving call without an idempotency key, before any request', async () => {
    const gateway = await startGateway({});
    const client = makeClient(gateway);
    const noKey = {} as { idempotencyKey: string };

    assert.throws(() => client.createCashOut(CREATE_CASH_OUT, noKey), TypeError);
    assert.throws(() => client.createCashIn(CREATE_CASH_IN, { idempotencyKey: '' }), TypeError);
    assert.throws(() => client.refundCashIn('US7B1JQ', { reason: 'FRAUD' }, noKey), TypeError);
    assert.equal(gateway.requests.length, 0);
  });
});

describe('ConnectPspClient: DigitalSignature and headers', () => {
  it('signs refund, cash-out and rebalance with the JWT of the same request', async () => {
    const gateway = await startGateway({
      'POST /cash-in/{id}/refund': ok(REFUND, 202),
      'POST /cash-out': ok(CASH_OUT, 202),
      'POST /account/rebalance': ok({ success: true, message: 'ok' }),
    });
    const client = makeClient(gateway);
    await client.refundCashIn('US7B1JQ', { reason: 'CUSTOMER_REQUEST', description: 'ticket #1234' }, { idempotencyKey: 'idem-r' });
    await client.createCashOut(CREATE_CASH_OUT, { idempotencyKey: 'idem-o' });
    await client.rebalance({ targetAmount: 100 });

    const expected = digitalSignature('jwt-1', CREDENTIALS.cryptoToken);
    for (const path of ['/cash-in/US7B1JQ/refund', '/cash-out', '/account/rebalance']) {
      const [request] = gateway.calls(path);
      assert.equal(request?.headers.digitalsignature, expected, path);
      assert.equal(request?.headers.authorization, 'Bearer jwt-1', path);
      assert.equal(request?.headers['content-type'], 'application/json', path);
    }
    assert.equal(gateway.calls('/cash-in/US7B1JQ/refund')[0]?.headers['x-idempotency-key'], 'idem-r');
    assert.equal(gateway.calls('/cash-out')[0]?.headers['x-idempotency-key'], 'idem-o');
    assert.deepEqual(gateway.calls('/cash-in/US7B1JQ/refund')[0]?.body, { reason: 'CUSTOMER_REQUEST', description: 'ticket #1234' });
  });

  it('does not sign createCashIn, getCashIn, getCashOut or getBalance', async () => {
    const gateway = await startGateway({
      'POST /cash-in': ok(CASH_IN, 201),
      'GET /cash-in/{id}': ok(CASH_IN),
      'GET /cash-out/{id}': ok(CASH_OUT),
      'GET /account/balance': ok(BALANCE),
    });
    const client = makeClient(gateway);
    await client.createCashIn(CREATE_CASH_IN, { idempotencyKey: 'idem-5' });
    await client.getCashIn('US7B1JQ');
    await client.getCashOut('IVKPRMOCDY');
    await client.getBalance();

    for (const request of gateway.requests) assert.equal(request.headers.digitalsignature, undefined, request.path);
    assert.equal(gateway.calls('/cash-in')[0]?.headers['x-idempotency-key'], 'idem-5');
  });

  it('joins paths onto a base URL with a path prefix and URL-encodes ids', async () => {
    const gateway = await startGateway({ 'GET /cash-in/{id}': ok(CASH_IN) }, '/sandbox/connectpsp');
    const client = new ConnectPspClient({ ...CREDENTIALS, baseUrl: `${gateway.baseUrl}/`, sleep: async () => {} });
    await client.getCashIn('a/b c?');

    assert.deepEqual(
      gateway.requests.map((request) => request.url),
      ['/sandbox/connectpsp/auth/token', '/sandbox/connectpsp/cash-in/a%2Fb%20c%3F'],
    );
  });

  it('reports every attempt to onCall with the route template and no secrets', async () => {
    const gateway = await startGateway({ 'GET /cash-in/{id}': ok(CASH_IN) });
    const calls: ConnectPspCallInfo[] = [];
    await makeClient(gateway, { onCall: (info) => calls.push(info) }).getCashIn('US7B1JQ');

    assert.deepEqual(
      calls.map(({ method, path, status, attempt }) => ({ method, path, status, attempt })),
      [
        { method: 'POST', path: '/auth/token', status: 200, attempt: 1 },
        { method: 'GET', path: '/cash-in/{id}', status: 200, attempt: 1 },
      ],
    );
    const serialised = JSON.stringify(calls);
    for (const secret of [CREDENTIALS.clientSecret, CREDENTIALS.cryptoToken, CREDENTIALS.applicationToken, 'jwt-1']) {
      assert.equal(serialised.includes(secret), false);
    }
  });
});

describe('ConnectPspClient: amounts and response parsing', () => {
  it('sends 1050 centavos as 10.5 reais and reads 10.5 back as 1050', async () => {
    const gateway = await startGateway({ 'POST /cash-in': ok(CASH_IN, 201) });
    const cashIn = await makeClient(gateway).createCashIn(
      { ...CREATE_CASH_IN, expirationInMinutes: 30, webhookUrl: 'https://merchant.example/webhooks/connectpsp' },
      { idempotencyKey: 'idem-6' },
    );

    assert.deepEqual(gateway.calls('/cash-in')[0]?.body, {
      amount: 10.5,
      externalReference: 'order_abc123',
      expirationInMinutes: 30,
      webhookUrl: 'https://merchant.example/webhooks/connectpsp',
      payer: { name: 'João Silva', document: '12345678909' },
    });
    assert.equal(cashIn.amount, 1050);
    assert.deepEqual(cashIn.pixData, CASH_IN.pixData);
    assert.equal(cashIn.paymentUrl, null);
    assert.equal(cashIn.endToEndId, null);
  });

  it('converts cash-out, refund, rebalance and balance amounts', async () => {
    const gateway = await startGateway({
      'POST /cash-out': ok(CASH_OUT, 202),
      'POST /cash-in/{id}/refund': ok(REFUND, 202),
      'POST /account/rebalance': ok({ success: true }),
      'GET /account/balance': ok(BALANCE),
    });
    const client = makeClient(gateway);

    const cashOut = await client.createCashOut(CREATE_CASH_OUT, { idempotencyKey: 'idem-7' });
    assert.equal((gateway.calls('/cash-out')[0]?.body as { amount: number }).amount, 500);
    assert.equal(cashOut.amount, 50_000);

    const refund = await client.refundCashIn(REFUND.transactionId, { reason: 'FRAUD' }, { idempotencyKey: 'idem-8' });
    assert.equal(refund.amount, 1050);
    assert.equal(refund.endToEndId, REFUND.endToEndId);

    const rebalanced = await client.rebalance({ targetAmount: 100_000_001 });
    assert.deepEqual(gateway.calls('/account/rebalance')[0]?.body, { targetAmount: 1_000_000.01 });
    assert.deepEqual(rebalanced, { success: true, message: null });

    const balance = await client.getBalance();
    assert.deepEqual(balance.consolidated, { totalBalance: 150_000_000, transactionalBalance: 50_000_025, proprietaryBalance: 99_999_975 });
    assert.equal(balance.banks[0]?.accounts.transactional?.balance, 20_000_000);
    assert.equal(balance.banks[0]?.accounts.proprietary, null);
  });

  it('sends openFinance.redirectUrl and reads paymentUrl at the top level or under openFinance', async () => {
    const gateway = await startGateway({
      'POST /cash-in': (_request, index) => ({
        status: 201,
        body:
          index === 0
            ? { ...CASH_IN, pixData: undefined, paymentUrl: 'https://bank.example/authorize/1' }
            : { ...CASH_IN, pixData: null, openFinance: { paymentUrl: 'https://bank.example/authorize/2' } },
      }),
    });
    const client = makeClient(gateway);
    const input = { ...CREATE_CASH_IN, openFinance: { redirectUrl: 'https://merchant.example/return' } };

    const first = await client.createCashIn(input, { idempotencyKey: 'idem-9' });
    const second = await client.createCashIn(input, { idempotencyKey: 'idem-10' });

    assert.deepEqual((gateway.calls('/cash-in')[0]?.body as { openFinance: unknown }).openFinance, {
      redirectUrl: 'https://merchant.example/return',
    });
    assert.equal(first.paymentUrl, 'https://bank.example/authorize/1');
    assert.equal(second.paymentUrl, 'https://bank.example/authorize/2');
    assert.equal(second.pixData, null);
  });

  it('maps problem+json to typed errors carrying code, status, detail, title and type', async () => {
    const gateway = await startGateway({
      'POST /cash-out': () =>
        problem(422, 'INSUFFICIENT_FUNDS', 'The requested amount of R$ 500.00 exceeds available balance of R$ 100.00.'),
    });
    const error = await rejection(makeClient(gateway).createCashOut(CREATE_CASH_OUT, { idempotencyKey: 'idem-11' }));

    assert.ok(error instanceof ConnectPspInvalidRequestError);
    assert.equal(error.status, 422);
    assert.equal(error.code, 'INSUFFICIENT_FUNDS');
    assert.equal(error.detail, 'The requested amount of R$ 500.00 exceeds available balance of R$ 100.00.');
    assert.equal(error.title, 'INSUFFICIENT_FUNDS');
    assert.equal(error.type, 'https://connect-psp.redocly.app/errors/insufficient_funds');
    assert.match(error.message, /422 INSUFFICIENT_FUNDS: The requested amount/);
  });

  it('turns a non-JSON error body into ConnectPspApiError UNKNOWN', async () => {
    const gateway = await startGateway({
      'GET /account/balance': () => ({ status: 502, contentType: 'text/html', raw: '<html>Bad Gateway</html>' }),
    });
    const error = await rejection(makeClient(gateway, { maxAttempts: 1 }).getBalance());

    assert.ok(error instanceof ConnectPspApiError);
    assert.equal(error.status, 502);
    assert.equal(error.code, 'UNKNOWN');
    assert.equal(error.detail, '<html>Bad Gateway</html>');
  });

  it('classifies errors by status in connectPspErrorFrom', () => {
    const table: Array<[number, unknown, new (...args: never[]) => ConnectPspError, string]> = [
      [401, { code: 'INVALID_CREDENTIALS' }, ConnectPspAuthenticationError, 'INVALID_CREDENTIALS'],
      [400, { code: 'VALIDATION_ERROR' }, ConnectPspInvalidRequestError, 'VALIDATION_ERROR'],
      [404, {}, ConnectPspInvalidRequestError, 'UNKNOWN'],
      [409, { code: 'DUPLICATE' }, ConnectPspInvalidRequestError, 'DUPLICATE'],
      [422, { code: 42 }, ConnectPspInvalidRequestError, 'UNKNOWN'],
      [429, { code: 'RATE_LIMITED' }, ConnectPspApiError, 'RATE_LIMITED'],
      [500, null, ConnectPspApiError, 'UNKNOWN'],
      [503, 'Service Unavailable', ConnectPspApiError, 'UNKNOWN'],
    ];
    for (const [status, body, expectedClass, code] of table) {
      const error = connectPspErrorFrom(status, body);
      assert.ok(error instanceof expectedClass, `${status} → ${expectedClass.name}`);
      assert.equal(error.code, code);
      assert.equal(error.status, status);
    }
  });

  it('rejects a 2xx body that breaks the contract with INVALID_RESPONSE naming the field, without retrying', async () => {
    const gateway = await startGateway({
      'GET /cash-in/{id}': (_request, index) =>
        index === 0 ? { status: 200, body: { ...CASH_IN, pixData: { copyAndPaste: 42 } } } : { status: 200, raw: 'not json' },
    });
    const client = makeClient(gateway);

    const badField = await rejection(client.getCashIn('US7B1JQ'));
    assert.ok(badField instanceof ConnectPspApiError);
    assert.equal(badField.code, 'INVALID_RESPONSE');
    assert.equal(badField.status, 200);
    assert.match(badField.detail ?? '', /pixData\.copyAndPaste/);

    const notJson = await rejection(client.getCashIn('US7B1JQ'));
    assert.equal(notJson.code, 'INVALID_RESPONSE');
    assert.equal(gateway.calls('/cash-in/US7B1JQ').length, 2);
  });

  it('rejects an amount with more than two decimals instead of rounding it', async () => {
    const gateway = await startGateway({ 'GET /cash-in/{id}': ok({ ...CASH_IN, amount: 10.505 }) });
    const error = await rejection(makeClient(gateway).getCashIn('US7B1JQ'));
    assert.equal(error.code, 'INVALID_RESPONSE');
    assert.match(error.detail ?? '', /amount/);
  });
});

describe('ConnectPspTokenCache', () => {
  it('shares one failed refresh among waiters, then tries again on the next call', async () => {
    let fetches = 0;
    const cache = new ConnectPspTokenCache({
      fetchToken: async () => {
        fetches += 1;
        await delay(5);
        if (fetches === 1) throw new Error('auth down');
        return tokenBody(`jwt-${fetches}`);
      },
    });

    const results = await Promise.allSettled([cache.getToken(), cache.getToken(), cache.getToken()]);
    assert.deepEqual(
      results.map((result) => result.status),
      ['rejected', 'rejected', 'rejected'],
    );
    assert.equal(fetches, 1);
    assert.equal(await cache.getToken(), 'jwt-2');
  });

  it('invalidate(token) drops only that token', async () => {
    let fetches = 0;
    const cache = new ConnectPspTokenCache({ fetchToken: async () => tokenBody(`jwt-${++fetches}`) });
    assert.equal(await cache.getToken(), 'jwt-1');
    cache.invalidate('jwt-0'); // stale: already replaced, keep the current one
    assert.equal(await cache.getToken(), 'jwt-1');
    cache.invalidate('jwt-1');
    assert.equal(await cache.getToken(), 'jwt-2');
  });

  it('never refreshes earlier than half-way through a short-lived token', async () => {
    let clock = 0;
    let fetches = 0;
    const cache = new ConnectPspTokenCache({ fetchToken: async () => tokenBody(`jwt-${++fetches}`, 60), now: () => clock });
    await cache.getToken();
    clock = 29_999;
    await cache.getToken();
    assert.equal(fetches, 1);
    clock = 30_000;
    await cache.getToken();
    assert.equal(fetches, 2);
  });
});
