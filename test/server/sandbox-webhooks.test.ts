/**
 * Sandbox webhooks (docs/connectpsp.md §4): envelope, signature, per-attempt event ids, retries with
 * backoff, and the duplicate / hold / release faults.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { afterEach, describe, test } from 'node:test';

import { hmacSha256Hex } from '../../server/sandbox/signing.js';
import {
  postControl,
  SandboxApiClient,
  startSandboxServer,
  startWebhookReceiver,
  type RunningSandbox,
  type TestSandboxOptions,
} from '../../server/sandbox/testing.js';

const E2E = /^E\d{8}\d{12}[A-Za-z0-9]{11}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Fast retries so a test sees several attempts in milliseconds. */
const FAST_RETRY = { baseDelayMs: 10, maxDelayMs: 40, maxAttempts: 15, timeoutMs: 1000 };

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function setup(options: TestSandboxOptions = {}) {
  const receiver = await startWebhookReceiver();
  cleanups.push(() => receiver.close());
  const running = await startSandboxServer({ webhookRetry: FAST_RETRY, cashOutSettleDelayMs: 20, ...options });
  cleanups.push(() => running.close());
  const api = new SandboxApiClient(running.apiUrl, running.credentials);
  return { receiver, running, api };
}

async function createCashIn(api: SandboxApiClient, webhookUrl?: string) {
  const response = await api.request('POST', '/cash-in', {
    body: {
      amount: 25,
      externalReference: `order-${randomUUID()}`,
      payer: { name: 'Maria Silva', document: '12345678909' },
      ...(webhookUrl ? { webhookUrl } : {}),
    },
  });
  assert.equal(response.status, 201, JSON.stringify(response.body));
  return response.body;
}

function pay(running: RunningSandbox, id: string) {
  return postControl(running.publicUrl, `/cash-in/${id}/pay`);
}

function refund(api: SandboxApiClient, id: string) {
  return api.request('POST', `/cash-in/${id}/refund`, { body: { reason: 'CUSTOMER_REQUEST' }, signed: true });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('webhook delivery', () => {
  test('CASHIN_PAID is POSTed with the GET shape, signed over the raw body, with a UUID event id', async () => {
    const { receiver, running, api } = await setup();
    const created = await createCashIn(api, `${receiver.url}/hooks/connectpsp`);
    const paid = await pay(running, created.transactionId);
    const [hook] = await receiver.waitFor(1);
    assert.equal(hook!.path, '/hooks/connectpsp');
    assert.equal(hook!.headers['content-type'], 'application/json');
    assert.equal(hook!.headers['x-connect-signature'], hmacSha256Hex(running.credentials.cryptoToken, hook!.rawBody));
    assert.match(String(hook!.headers['x-event-id']), UUID);
    assert.equal(hook!.body.eventType, 'CASHIN_PAID');
    assert.match(hook!.body.eventAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const current = await api.request('GET', `/cash-in/${created.transactionId}`);
    assert.deepEqual(hook!.body.data, current.body);
    assert.deepEqual(hook!.body.data, paid.body);
    assert.match(hook!.body.data.endToEndId, E2E);
    assert.equal(hook!.body.data.endToEndId.length, 32);
  });

  test('goes to defaultWebhookUrl when the transaction has none, and nowhere when neither exists', async () => {
    const receiver = await startWebhookReceiver();
    cleanups.push(() => receiver.close());
    const { running, api } = await setup({ defaultWebhookUrl: `${receiver.url}/default` });
    const created = await createCashIn(api);
    await pay(running, created.transactionId);
    const [hook] = await receiver.waitFor(1);
    assert.equal(hook!.path, '/default');

    const bare = await setup();
    const silent = await createCashIn(bare.api);
    await pay(bare.running, silent.transactionId);
    await sleep(100);
    assert.deepEqual((await postControl(bare.running.publicUrl, '/webhooks', undefined, 'GET')).body, []);
  });

  test('CASHIN_REFUNDED follows a refund, with the D id and the original E id', async () => {
    const { receiver, running, api } = await setup();
    const created = await createCashIn(api, receiver.url);
    await pay(running, created.transactionId);
    await receiver.waitFor(1);
    const refunded = await refund(api, created.transactionId);
    assert.equal(refunded.status, 202);
    const hooks = await receiver.waitFor(2);
    assert.equal(hooks[1]!.body.eventType, 'CASHIN_REFUNDED');
    assert.deepEqual(hooks[1]!.body.data, refunded.body);
    assert.match(hooks[1]!.body.data.endToEndId, /^D/);
    assert.equal(hooks[1]!.body.data.originalEndToEndId, hooks[0]!.body.data.endToEndId);
  });

  test('cash-outs send CASHOUT_COMPLETED and CASHOUT_FAILED with the GET shape', async () => {
    const { receiver, api } = await setup();
    const send = (pixKey: string) =>
      api.request('POST', '/cash-out', {
        signed: true,
        idempotencyKey: randomUUID(),
        body: {
          amount: 12.34,
          externalReference: `withdraw-${randomUUID()}`,
          webhookUrl: receiver.url,
          payee: { name: 'Maria', document: '12345678909', destination: { type: 'PIX', pixKeyType: 'CPF', pixKey } },
        },
      });
    const ok = await send('12345678909');
    const bad = await send('00000000000');
    const hooks = await receiver.waitFor(2);
    const byId = new Map(hooks.map((h) => [h.body.data.transactionId, h.body]));
    const completed = byId.get(ok.body.transactionId)!;
    const failed = byId.get(bad.body.transactionId)!;
    assert.equal(completed.eventType, 'CASHOUT_COMPLETED');
    assert.match(completed.data.endToEndId, E2E);
    assert.deepEqual(completed.data, (await api.request('GET', `/cash-out/${ok.body.transactionId}`)).body);
    assert.equal(failed.eventType, 'CASHOUT_FAILED');
    assert.equal(failed.data.failure.code, 'PIX_KEY_NOT_FOUND');
    assert.equal(failed.data.endToEndId, null);
  });

  test('expiry sends no webhook', async () => {
    const { receiver, running, api } = await setup();
    const created = await createCashIn(api, receiver.url);
    const expired = await postControl(running.publicUrl, `/cash-in/${created.transactionId}/expire`);
    assert.equal(expired.body.status, 'EXPIRED');
    await sleep(100);
    assert.equal(receiver.received.length, 0);
  });
});

describe('webhook retries', () => {
  test('retried until a 2xx, same body, a new X-Event-Id each attempt, all listed in GET /webhooks', async () => {
    const { receiver, running, api } = await setup();
    receiver.respondWith((_hook, index) => (index < 2 ? 500 : 200));
    const created = await createCashIn(api, receiver.url);
    await pay(running, created.transactionId);
    const hooks = await receiver.waitFor(3);
    await sleep(100);
    assert.equal(receiver.received.length, 3, 'no attempt after the 2xx');
    assert.equal(new Set(hooks.map((h) => h.rawBody)).size, 1);
    assert.equal(new Set(hooks.map((h) => h.headers['x-event-id'])).size, 3);
    for (const hook of hooks)
      assert.equal(hook.headers['x-connect-signature'], hmacSha256Hex(running.credentials.cryptoToken, hook.rawBody));

    const attempts = (await postControl(running.publicUrl, '/webhooks', undefined, 'GET')).body;
    assert.deepEqual(
      attempts.map((a: any) => [a.eventType, a.transactionId, a.attempt, a.status]),
      [
        ['CASHIN_PAID', created.transactionId, 1, 500],
        ['CASHIN_PAID', created.transactionId, 2, 500],
        ['CASHIN_PAID', created.transactionId, 3, 200],
      ],
    );
    assert.deepEqual(
      attempts.map((a: any) => a.eventId),
      hooks.map((h) => h.headers['x-event-id']),
    );
    assert.ok(attempts.every((a: any) => a.url === receiver.url && typeof a.at === 'string'));
  });

  test('gives up after maxAttempts, and an unreachable URL counts as a failed attempt', async () => {
    const { receiver, running, api } = await setup({ webhookRetry: { ...FAST_RETRY, maxAttempts: 3 } });
    receiver.respondWith(() => 503);
    const created = await createCashIn(api, receiver.url);
    await pay(running, created.transactionId);
    await receiver.waitFor(3);
    await sleep(200);
    assert.equal(receiver.received.length, 3);

    const deadUrl = 'http://127.0.0.1:9/hooks';
    const lost = await createCashIn(api, deadUrl);
    await pay(running, lost.transactionId);
    await sleep(300);
    const attempts = (await postControl(running.publicUrl, '/webhooks', undefined, 'GET')).body.filter((a: any) => a.url === deadUrl);
    assert.equal(attempts.length, 3);
    assert.ok(attempts.every((a: any) => a.status === null && typeof a.error === 'string'));
  });

  test('waits longer between later attempts (exponential backoff)', async () => {
    const { receiver, running, api } = await setup({
      webhookRetry: { baseDelayMs: 40, maxDelayMs: 10_000, maxAttempts: 4, timeoutMs: 1000 },
    });
    const times: number[] = [];
    receiver.respondWith(() => {
      times.push(Date.now());
      return 500;
    });
    const created = await createCashIn(api, receiver.url);
    await pay(running, created.transactionId);
    await receiver.waitFor(4);
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    // Equal jitter: gap n is within [base·2^(n-1)/2, base·2^(n-1)] plus scheduling noise.
    assert.ok(gaps[0]! >= 20 && gaps[1]! >= 40 && gaps[2]! >= 80, `gaps ${gaps.join(', ')}`);
  });

  test('events of one transaction stay in order: a later event waits while an earlier one is retried', async () => {
    const { receiver, running, api } = await setup({ webhookRetry: { ...FAST_RETRY, baseDelayMs: 150, maxDelayMs: 150 } });
    receiver.respondWith((_hook, index) => (index === 0 ? 500 : 200));
    const created = await createCashIn(api, receiver.url);
    await pay(running, created.transactionId);
    await receiver.waitFor(1);
    await refund(api, created.transactionId);
    const hooks = await receiver.waitFor(3);
    assert.deepEqual(
      hooks.map((h) => h.body.eventType),
      ['CASHIN_PAID', 'CASHIN_PAID', 'CASHIN_REFUNDED'],
    );
  });

  test('a slow receiver for one transaction does not hold up another', async () => {
    const { receiver, running, api } = await setup();
    let releaseSlow!: () => void;
    const slowAnswered = new Promise<void>((resolve) => (releaseSlow = resolve));
    receiver.respondWith(async (hook) => {
      if (hook.path === '/slow') await slowAnswered;
      return 200;
    });
    const slow = await createCashIn(api, `${receiver.url}/slow`);
    const fast = await createCashIn(api, `${receiver.url}/fast`);
    await pay(running, slow.transactionId);
    await receiver.waitFor(1);
    await pay(running, fast.transactionId);
    const hooks = await receiver.waitFor(2, 1000);
    assert.deepEqual(
      hooks.map((h) => h.path),
      ['/slow', '/fast'],
    );
    releaseSlow();
  });

  test('close() stops pending retries', async () => {
    const { receiver, running, api } = await setup({ webhookRetry: { ...FAST_RETRY, baseDelayMs: 300, maxDelayMs: 300 } });
    receiver.respondWith(() => 500);
    const created = await createCashIn(api, receiver.url);
    await pay(running, created.transactionId);
    await receiver.waitFor(1);
    await running.sandbox.close();
    await sleep(500);
    assert.equal(receiver.received.length, 1);
  });
});

describe('webhook faults', () => {
  test('duplicate delivers every webhook twice, each with its own X-Event-Id', async () => {
    const { receiver, running, api } = await setup();
    await postControl(running.publicUrl, '/faults', { webhooks: { duplicate: true } });
    const created = await createCashIn(api, receiver.url);
    await pay(running, created.transactionId);
    const hooks = await receiver.waitFor(2);
    await sleep(100);
    assert.equal(receiver.received.length, 2);
    assert.equal(hooks[0]!.rawBody, hooks[1]!.rawBody);
    assert.notEqual(hooks[0]!.headers['x-event-id'], hooks[1]!.headers['x-event-id']);
  });

  test('hold keeps webhooks back; release in reverse delivers them out of order', async () => {
    const { receiver, running, api } = await setup();
    await postControl(running.publicUrl, '/faults', { webhooks: { hold: true } });
    const created = await createCashIn(api, receiver.url);
    await pay(running, created.transactionId);
    await refund(api, created.transactionId);
    await sleep(100);
    assert.equal(receiver.received.length, 0, 'held');
    assert.equal((await postControl(running.publicUrl, '/faults', undefined, 'GET')).body.heldWebhooks, 2);

    const released = await postControl(running.publicUrl, '/webhooks/release', { order: 'reverse' });
    assert.deepEqual(released.body, { released: 2 });
    const hooks = await receiver.waitFor(2);
    assert.deepEqual(
      hooks.map((h) => h.body.eventType),
      ['CASHIN_REFUNDED', 'CASHIN_PAID'],
    );
  });

  test('release in fifo order keeps the original order; DELETE /faults releases what is held', async () => {
    const { receiver, running, api } = await setup();
    await postControl(running.publicUrl, '/faults', { webhooks: { hold: true } });
    const first = await createCashIn(api, receiver.url);
    const second = await createCashIn(api, receiver.url);
    await pay(running, first.transactionId);
    await pay(running, second.transactionId);
    await postControl(running.publicUrl, '/webhooks/release', { order: 'fifo' });
    const hooks = await receiver.waitFor(2);
    assert.deepEqual(
      hooks.map((h) => h.body.data.transactionId),
      [first.transactionId, second.transactionId],
    );

    await refund(api, first.transactionId);
    await sleep(50);
    assert.equal(receiver.received.length, 2, 'still holding');
    const cleared = await postControl(running.publicUrl, '/faults', undefined, 'DELETE');
    assert.equal(cleared.body.released, 1);
    await receiver.waitFor(3);
  });
});
