import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ErrorBody } from '../../widget/contract/wire-contract.js';
import type { PayoutView } from '../../server/payouts/payout.js';
import type { Balance } from '../../server/connectpsp/types.js';
import { postJson, eventually, startTestServer, type TestServer } from './helpers.js';

// Payouts stay PROCESSING until a test settles them through the sandbox's control routes.
let server: TestServer;
before(async () => {
  server = await startTestServer({ SANDBOX_CASHOUT_SETTLE_MS: '3600000' });
});
after(async () => {
  await server.destroy();
});

let n = 0;
const key = () => `payout-key-${process.pid}-${++n}`;
const ref = () => `payout-ref-${process.pid}-${++n}`;
const pixPayee = {
  name: 'João Souza',
  document: '12345678909',
  destination: { type: 'PIX', pixKeyType: 'EMAIL', pixKey: 'joao@example.com' },
};

async function createPayout(body: Record<string, unknown>, idempotencyKey = key()): Promise<Response> {
  return server.merchant('/v1/payouts', { method: 'POST', headers: { 'idempotency-key': idempotencyKey }, body: JSON.stringify(body) });
}

async function errorOf(res: Response): Promise<ErrorBody['error']> {
  return ((await res.json()) as ErrorBody).error;
}

async function transactional(): Promise<number> {
  const res = await server.merchant('/v1/balance');
  assert.equal(res.status, 200);
  return ((await res.json()) as Balance).consolidated.transactionalBalance;
}

const payoutEvents = async (id: string) =>
  (await server.store.getMerchantEvents(100_000)).filter((m) => JSON.stringify(m.data).includes(id)).map((m) => m.type);

describe('POST /v1/payouts', () => {
  it('answers 202 processing, moves the money at ConnectPSP, and completes by webhook with payout.completed', async () => {
    const before = await transactional();
    const res = await createPayout({ amount: 12_345, externalReference: ref(), description: 'Saque', payee: pixPayee });
    assert.equal(res.status, 202);
    const payout = (await res.json()) as PayoutView;
    assert.match(payout.id, /^po_[0-9A-Za-z]{24}$/);
    assert.equal(payout.status, 'processing');
    assert.equal(payout.amount, 12_345);
    assert.ok(payout.transactionId);
    assert.equal(payout.payee.documentLast4, '8909');
    assert.equal(JSON.stringify(payout).includes('12345678909'), false, 'the full CPF is never echoed');
    assert.equal(await transactional(), before - 12_345);

    const settle = await postJson(`${server.url}/sandbox/cash-out/${payout.transactionId}/complete`);
    assert.equal(settle.status, 200);
    const done = await eventually(async () => {
      const view = (await (await server.merchant(`/v1/payouts/${payout.id}`)).json()) as PayoutView;
      return view.status === 'completed' && view;
    });
    assert.match(done.endToEndId ?? '', /^E/);
    assert.deepEqual(await payoutEvents(payout.id), ['payout.completed']);
  });

  it('pays to bank account details too', async () => {
    const res = await createPayout({
      amount: 500,
      externalReference: ref(),
      payee: {
        name: 'Empresa Ltda',
        document: '11222333000181',
        destination: { type: 'BANK_ACCOUNT', bankAccount: { ispb: '60701190', branch: '0001', account: '123456' } },
      },
    });
    assert.equal(res.status, 202);
    const payout = (await res.json()) as PayoutView;
    assert.equal(payout.payee.destination.type, 'BANK_ACCOUNT');
  });

  it('never sends twice for one Idempotency-Key: the retry answers the same payout, the money moves once', async () => {
    const k = key();
    const body = { amount: 777, externalReference: ref(), payee: pixPayee };
    const before = await transactional();
    const [a, b] = await Promise.all([createPayout(body, k), createPayout(body, k)]);
    const c = await createPayout(body, k);
    const ids = await Promise.all(
      [a, b, c].map(async (r) => {
        assert.equal(r.status, 202);
        return ((await r.json()) as PayoutView).id;
      }),
    );
    assert.equal(new Set(ids).size, 1);
    assert.equal(await transactional(), before - 777);
    const other = await createPayout({ ...body, amount: 778 }, k);
    assert.equal(other.status, 409);
    assert.equal((await errorOf(other)).field, 'Idempotency-Key');
  });

  it('refuses a second payout with the same externalReference under another key', async () => {
    const body = { amount: 100, externalReference: ref(), payee: pixPayee };
    assert.equal((await createPayout(body)).status, 202);
    const again = await createPayout(body);
    assert.equal(again.status, 409);
    assert.equal((await errorOf(again)).field, 'externalReference');
  });

  it('insufficient funds: 422 naming amount, nothing recorded as sent, balance untouched', async () => {
    const externalReference = ref();
    const before = await transactional();
    const k = key();
    const res = await createPayout({ amount: before + 1, externalReference, payee: pixPayee }, k);
    assert.equal(res.status, 422);
    const error = await errorOf(res);
    assert.equal(error.field, 'amount');
    assert.match(error.message, /INSUFFICIENT_FUNDS/);
    assert.equal(await transactional(), before);
    const list = (await (await server.merchant('/v1/payouts?limit=100')).json()) as { data: PayoutView[] };
    assert.equal(
      list.data.some((p) => p.externalReference === externalReference),
      false,
    );
    // Nothing kept: once funds allow it, the same key and reference make a new payout.
    const retry = await createPayout({ amount: 100, externalReference, payee: pixPayee }, k);
    assert.equal(retry.status, 202);
  });

  it('a failed settlement becomes failed with its reason, gives the money back and sends payout.failed', async () => {
    const before = await transactional();
    const payout = (await (await createPayout({ amount: 2_000, externalReference: ref(), payee: pixPayee })).json()) as PayoutView;
    const fail = await postJson(`${server.url}/sandbox/cash-out/${payout.transactionId}/fail`, { code: 'PIX_KEY_NOT_FOUND' });
    assert.equal(fail.status, 200);
    const failed = await eventually(async () => {
      const view = (await (await server.merchant(`/v1/payouts/${payout.id}`)).json()) as PayoutView;
      return view.status === 'failed' && view;
    });
    assert.equal(failed.failure?.code, 'PIX_KEY_NOT_FOUND');
    assert.equal(await transactional(), before);
    assert.deepEqual(await payoutEvents(payout.id), ['payout.failed']);
    // A late COMPLETED for a failed payout changes nothing.
    assert.equal((await postJson(`${server.url}/sandbox/cash-out/${payout.transactionId}/complete`)).status, 409);
  });

  it('a completed payout returned by the payee bank becomes refunded with payout.refunded', async () => {
    const payout = (await (await createPayout({ amount: 3_000, externalReference: ref(), payee: pixPayee })).json()) as PayoutView;
    await postJson(`${server.url}/sandbox/cash-out/${payout.transactionId}/complete`);
    await eventually(async () => ((await (await server.merchant(`/v1/payouts/${payout.id}`)).json()) as PayoutView).status === 'completed');
    const before = await transactional();
    assert.equal((await postJson(`${server.url}/sandbox/cash-out/${payout.transactionId}/refund`)).status, 200);
    const refunded = await eventually(async () => {
      const view = (await (await server.merchant(`/v1/payouts/${payout.id}`)).json()) as PayoutView;
      return view.status === 'refunded' && view;
    });
    assert.match(refunded.endToEndId ?? '', /^D/);
    assert.match(refunded.originalEndToEndId ?? '', /^E/);
    assert.equal(await transactional(), before + 3_000);
    assert.deepEqual(await payoutEvents(payout.id), ['payout.completed', 'payout.refunded']);
  });

  it('a cancelled cash-out becomes cancelled with payout.cancelled', async () => {
    const payout = (await (await createPayout({ amount: 400, externalReference: ref(), payee: pixPayee })).json()) as PayoutView;
    await postJson(`${server.url}/sandbox/cash-out/${payout.transactionId}/cancel`);
    await eventually(async () => ((await (await server.merchant(`/v1/payouts/${payout.id}`)).json()) as PayoutView).status === 'cancelled');
    assert.deepEqual(await payoutEvents(payout.id), ['payout.cancelled']);
  });

  const bad: [string, Record<string, unknown>, string][] = [
    ['fractional centavos', { amount: 10.5, externalReference: 'x1', payee: pixPayee }, 'amount'],
    ['zero amount', { amount: 0, externalReference: 'x2', payee: pixPayee }, 'amount'],
    ['missing payee', { amount: 100, externalReference: 'x3' }, 'payee'],
    ['an invalid payee CPF', { amount: 100, externalReference: 'x4', payee: { ...pixPayee, document: '12345678900' } }, 'payee.document'],
    [
      'an e-mail key that is not one',
      { amount: 100, externalReference: 'x5', payee: { ...pixPayee, destination: { type: 'PIX', pixKeyType: 'EMAIL', pixKey: 'nope' } } },
      'payee.destination.pixKey',
    ],
    [
      'a phone key without +55',
      {
        amount: 100,
        externalReference: 'x6',
        payee: { ...pixPayee, destination: { type: 'PIX', pixKeyType: 'PHONE', pixKey: '11999998888' } },
      },
      'payee.destination.pixKey',
    ],
    [
      'an unknown destination type',
      { amount: 100, externalReference: 'x7', payee: { ...pixPayee, destination: { type: 'TED' } } },
      'payee.destination.type',
    ],
    [
      'a bad ISPB',
      {
        amount: 100,
        externalReference: 'x8',
        payee: { ...pixPayee, destination: { type: 'BANK_ACCOUNT', bankAccount: { ispb: '123', branch: '1', account: '2' } } },
      },
      'payee.destination.bankAccount.ispb',
    ],
    ['an unknown field', { amount: 100, externalReference: 'x9', payee: pixPayee, amout: 1 }, 'amout'],
  ];
  for (const [what, body, field] of bad) {
    it(`answers 400 naming ${field} for ${what}`, async () => {
      const res = await createPayout(body);
      assert.equal(res.status, 400);
      assert.equal((await errorOf(res)).field, field);
    });
  }

  it('requires an Idempotency-Key and the API key', async () => {
    const res = await server.merchant('/v1/payouts', {
      method: 'POST',
      body: JSON.stringify({ amount: 100, externalReference: ref(), payee: pixPayee }),
    });
    assert.equal(res.status, 400);
    assert.equal((await errorOf(res)).field, 'Idempotency-Key');
    const anon = await fetch(`${server.url}/v1/payouts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': key() },
      body: '{}',
    });
    assert.equal(anon.status, 401);
    assert.equal((await fetch(`${server.url}/v1/balance`)).status, 401);
  });
});

describe('GET /v1/payouts', () => {
  it('pages newest first with a cursor, each payout once, and filters by status', async () => {
    const made: string[] = [];
    for (let i = 0; i < 5; i++)
      made.push(((await (await createPayout({ amount: 10 + i, externalReference: ref(), payee: pixPayee })).json()) as PayoutView).id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await server.merchant(`/v1/payouts?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      assert.equal(res.status, 200);
      const page = (await res.json()) as { data: PayoutView[]; hasMore: boolean; nextCursor: string | null };
      assert.ok(page.data.length <= 2);
      seen.push(...page.data.map((p) => p.id));
      cursor = page.nextCursor;
    } while (cursor);
    assert.equal(new Set(seen).size, seen.length);
    assert.deepEqual(seen.slice(0, 5), [...made].reverse());
    const failedOnly = (await (await server.merchant('/v1/payouts?status=failed&limit=100')).json()) as { data: PayoutView[] };
    assert.ok(failedOnly.data.every((p) => p.status === 'failed'));
    assert.equal((await errorOf(await server.merchant('/v1/payouts?limit=0'))).field, 'limit');
    assert.equal((await errorOf(await server.merchant('/v1/payouts?cursor=bogus'))).field, 'cursor');
    assert.equal((await errorOf(await server.merchant('/v1/payouts?status=paid'))).field, 'status');
  });

  it('answers 404 for an unknown payout', async () => {
    assert.equal((await server.merchant('/v1/payouts/po_000000000000000000000000')).status, 404);
    assert.equal((await server.merchant('/v1/payouts/nope')).status, 404);
  });
});

describe('balance and rebalance', () => {
  it('reads consolidated and per-bank balances in centavos', async () => {
    const balance = (await (await server.merchant('/v1/balance')).json()) as Balance;
    assert.equal(balance.currency, 'BRL');
    assert.equal(balance.banks.length, 3);
    const sum = balance.banks.reduce((s, b) => s + (b.accounts.transactional?.balance ?? 0), 0);
    assert.equal(sum, balance.consolidated.transactionalBalance);
    assert.equal(balance.consolidated.totalBalance, balance.consolidated.transactionalBalance + balance.consolidated.proprietaryBalance);
    assert.ok(Number.isInteger(balance.consolidated.totalBalance));
  });

  it('rebalances to a target, moving money between transactional and proprietary', async () => {
    const before = (await (await server.merchant('/v1/balance')).json()) as Balance;
    const target = before.consolidated.transactionalBalance + 100_000;
    const res = await server.merchant('/v1/balance/rebalance', { method: 'POST', body: JSON.stringify({ targetAmount: target }) });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { success: boolean; balance: Balance };
    assert.equal(body.success, true);
    assert.equal(body.balance.consolidated.transactionalBalance, target);
    assert.equal(body.balance.consolidated.totalBalance, before.consolidated.totalBalance);
  });

  it('a top-up beyond the proprietary reserve is a 422 and moves nothing; bad targets are 400', async () => {
    const before = (await (await server.merchant('/v1/balance')).json()) as Balance;
    const res = await server.merchant('/v1/balance/rebalance', {
      method: 'POST',
      body: JSON.stringify({ targetAmount: before.consolidated.totalBalance + 1 }),
    });
    assert.equal(res.status, 422);
    assert.equal((await errorOf(res)).field, 'targetAmount');
    assert.equal(await transactional(), before.consolidated.transactionalBalance);
    for (const body of [{ targetAmount: -1 }, { targetAmount: 1.5 }, {}, { targetAmount: '10' }]) {
      const bad = await server.merchant('/v1/balance/rebalance', { method: 'POST', body: JSON.stringify(body) });
      assert.equal(bad.status, 400);
      assert.equal((await errorOf(bad)).field, 'targetAmount');
    }
  });
});
