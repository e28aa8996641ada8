/**
 * Sandbox time and memory: cash-in expiry (lazy and by the sweep), the state file that survives a
 * restart, and what createSandbox refuses at start.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';

import { SANDBOX_CREDENTIALS } from '../../server/sandbox/defaults.js';
import { createSandbox } from '../../server/sandbox/sandbox.js';
import { postControl, SandboxApiClient, startSandboxServer } from '../../server/sandbox/testing.js';

const directory = mkdtempSync(join(tmpdir(), 'connectpsp-sandbox-'));
after(() => rmSync(directory, { recursive: true, force: true }));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function cashInBody(overrides: Record<string, unknown> = {}) {
  return {
    amount: 99.9,
    externalReference: `order-${randomUUID()}`,
    payer: { name: 'Maria Silva', document: '12345678000199' },
    ...overrides,
  };
}

describe('expiry', () => {
  test('a cash-in becomes EXPIRED at requestedAt + expirationInMinutes, seen on read', async () => {
    let clock = Date.parse('2026-03-10T14:20:00Z');
    const running = await startSandboxServer({ now: () => clock });
    try {
      const api = new SandboxApiClient(running.apiUrl, running.credentials);
      const created = (await api.request('POST', '/cash-in', { body: cashInBody({ expirationInMinutes: 1 }) })).body;
      assert.equal(created.requestedAt, '2026-03-10T11:20:00-03:00');
      clock += 59_999;
      assert.equal((await api.request('GET', `/cash-in/${created.transactionId}`)).body.status, 'AWAITING_PAYMENT');
      clock += 1;
      const expired = (await api.request('GET', `/cash-in/${created.transactionId}`)).body;
      assert.equal(expired.status, 'EXPIRED');
      assert.equal(expired.expiredAt, '2026-03-10T11:21:00-03:00');
      assert.equal(expired.paidAt, null);
    } finally {
      await running.close();
    }
  });

  test('defaults to 1440 minutes', async () => {
    let clock = Date.parse('2026-03-10T14:20:00Z');
    const running = await startSandboxServer({ now: () => clock });
    try {
      const api = new SandboxApiClient(running.apiUrl, running.credentials);
      await api.token();
      const created = (await api.request('POST', '/cash-in', { body: cashInBody() })).body;
      clock += 1440 * 60_000 - 1;
      // Tokens live an hour, so ask for a fresh one after the jump.
      api.resetToken();
      assert.equal((await api.request('GET', `/cash-in/${created.internalCode}`)).body.status, 'AWAITING_PAYMENT');
      clock += 1;
      assert.equal((await api.request('GET', `/cash-in/${created.internalCode}`)).body.status, 'EXPIRED');
    } finally {
      await running.close();
    }
  });

  test('the sweep expires charges nobody reads, and writes it to the state file', async () => {
    let clock = Date.now();
    const stateFile = join(directory, `sweep-${randomUUID()}.json`);
    const running = await startSandboxServer({ now: () => clock, stateFile });
    try {
      const api = new SandboxApiClient(running.apiUrl, running.credentials);
      const created = (await api.request('POST', '/cash-in', { body: cashInBody({ expirationInMinutes: 5 }) })).body;
      clock += 5 * 60_000;
      await sleep(1300);
      const saved = JSON.parse(readFileSync(stateFile, 'utf8'));
      const record = saved.cashIns.find((c: { transactionId: string }) => c.transactionId === created.transactionId);
      assert.equal(record.status, 'EXPIRED');
    } finally {
      await running.close();
    }
  });
});

describe('state file', () => {
  test('a new sandbox on the same file keeps cash-ins, cash-outs, balances, references and idempotency keys', async () => {
    const stateFile = join(directory, `restart-${randomUUID()}`, 'state.json');
    const key = randomUUID();
    const body = cashInBody();

    const first = await startSandboxServer({ stateFile, cashOutSettleDelayMs: 10 });
    const firstApi = new SandboxApiClient(first.apiUrl, first.credentials);
    const created = await firstApi.request('POST', '/cash-in', { body, idempotencyKey: key });
    const paid = (await postControl(first.publicUrl, `/cash-in/${created.body.transactionId}/pay`)).body;
    const cashOut = await firstApi.request('POST', '/cash-out', {
      signed: true,
      idempotencyKey: randomUUID(),
      body: {
        amount: 10,
        externalReference: `withdraw-${randomUUID()}`,
        payee: { name: 'Ana', document: '12345678909', destination: { type: 'PIX', pixKeyType: 'CPF', pixKey: '12345678909' } },
      },
    });
    await sleep(100);
    const settled = (await firstApi.request('GET', `/cash-out/${cashOut.body.transactionId}`)).body;
    assert.equal(settled.status, 'COMPLETED');
    const balance = (await firstApi.request('GET', '/account/balance')).body;
    const oldToken = await firstApi.token();
    await first.close();

    const second = await startSandboxServer({ stateFile });
    try {
      const api = new SandboxApiClient(second.apiUrl, second.credentials);
      // Tokens are signed with a per-instance secret, so the old one is refused.
      const stale = await api.request('GET', '/account/balance', { headers: { authorization: `Bearer ${oldToken}` } });
      assert.equal(stale.body.code, 'INVALID_TOKEN');

      assert.deepEqual((await api.request('GET', `/cash-in/${created.body.transactionId}`)).body, paid);
      assert.deepEqual((await api.request('GET', `/cash-in/${paid.endToEndId}`)).body, paid);
      assert.deepEqual((await api.request('GET', `/cash-out/${settled.endToEndId}`)).body, settled);
      assert.deepEqual((await api.request('GET', '/account/balance')).body.consolidated, balance.consolidated);

      const replay = await api.request('POST', '/cash-in', { body, idempotencyKey: key });
      assert.equal(replay.status, 201);
      assert.deepEqual(replay.body, created.body);
      assert.equal((await api.request('POST', '/cash-in', { body })).body.code, 'DUPLICATE_EXTERNAL_REFERENCE');
    } finally {
      await second.close();
    }
    assert.deepEqual(readdirSync(join(stateFile, '..')), ['state.json'], 'no temporary file left behind');
  });

  test('a cash-out interrupted by a restart settles after it', async () => {
    const stateFile = join(directory, `resume-${randomUUID()}.json`);
    const first = await startSandboxServer({ stateFile, cashOutSettleDelayMs: 300 });
    const firstApi = new SandboxApiClient(first.apiUrl, first.credentials);
    const cashOut = await firstApi.request('POST', '/cash-out', {
      signed: true,
      idempotencyKey: randomUUID(),
      body: {
        amount: 1,
        externalReference: `withdraw-${randomUUID()}`,
        payee: { name: 'Ana', document: '12345678909', destination: { type: 'PIX', pixKeyType: 'CPF', pixKey: '12345678909' } },
      },
    });
    assert.equal(cashOut.body.status, 'PROCESSING');
    await first.close();

    const second = await startSandboxServer({ stateFile });
    try {
      const api = new SandboxApiClient(second.apiUrl, second.credentials);
      await sleep(500);
      assert.equal((await api.request('GET', `/cash-out/${cashOut.body.transactionId}`)).body.status, 'COMPLETED');
    } finally {
      await second.close();
    }
  });

  test('an unreadable state file stops the sandbox instead of starting empty', () => {
    const stateFile = join(directory, `corrupt-${randomUUID()}.json`);
    writeFileSync(stateFile, JSON.stringify({ hello: 'world' }));
    assert.throws(
      () => createSandbox({ credentials: SANDBOX_CREDENTIALS, publicUrl: 'http://127.0.0.1:1/sandbox', stateFile }),
      /is not a ConnectPSP sandbox state file/,
    );
  });
});

describe('createSandbox options', () => {
  test('refuses a publicUrl that is not absolute http(s) or too long for a BR Code location', () => {
    const credentials = SANDBOX_CREDENTIALS;
    assert.throws(() => createSandbox({ credentials, publicUrl: '/sandbox' }), /publicUrl must be an absolute URL/);
    assert.throws(() => createSandbox({ credentials, publicUrl: 'ftp://example.com/sandbox' }), /publicUrl must be http\(s\)/);
    const long = `https://${'a'.repeat(60)}.example.com/sandbox`;
    assert.throws(() => createSandbox({ credentials, publicUrl: long }), /too long for a BR Code location/);
  });

  test('a long merchant name is cut to fit the BR Code, not fatal', async () => {
    const running = await startSandboxServer({ merchantName: 'Padaria e Confeitaria São João Ltda', merchantCity: 'São José dos Campos' });
    try {
      const api = new SandboxApiClient(running.apiUrl, running.credentials);
      const created = (await api.request('POST', '/cash-in', { body: cashInBody() })).body;
      assert.match(created.pixData.copyAndPaste, /5925PADARIA E CONFEITARIA SAO6015SAO JOSE DOS CA6207/);
    } finally {
      await running.close();
    }
  });
});
