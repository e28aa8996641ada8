import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CHECKOUT_STATUSES, canTransition, isFinalForPayer, isTerminal, type CheckoutStatus } from '../../widget/contract/wire-contract.js';
import { createLogger, redact } from '../../server/logger.js';
import { centavosToReais, reaisToCentavos } from '../../server/money.js';
import { formatTaxId, isValidCnpj, isValidCpf, isValidTaxId } from '../../widget/contract/tax-id.js';
import { formatSse } from '../../server/sse.js';

describe('checkout status machine', () => {
  const allowed: [CheckoutStatus, CheckoutStatus][] = [
    ['open', 'awaiting_payment'],
    ['open', 'cancelled'],
    ['awaiting_payment', 'paid'],
    ['awaiting_payment', 'expired'],
    ['awaiting_payment', 'cancelled'],
    ['expired', 'awaiting_payment'],
    ['expired', 'paid'],
    ['expired', 'cancelled'],
    ['paid', 'refunded'],
  ];
  for (const from of CHECKOUT_STATUSES) {
    for (const to of CHECKOUT_STATUSES) {
      const expected = allowed.some(([f, t]) => f === from && t === to);
      it(`${from} → ${to} is ${expected ? 'allowed' : 'refused'}`, () => assert.equal(canTransition(from, to), expected));
    }
  }
  it('only refunded and cancelled are terminal; paid is final for the payer', () => {
    assert.deepEqual(CHECKOUT_STATUSES.filter(isTerminal), ['refunded', 'cancelled']);
    assert.deepEqual(CHECKOUT_STATUSES.filter(isFinalForPayer), ['paid', 'refunded', 'cancelled']);
  });
});

describe('money', () => {
  it('converts centavos to reais and back exactly', () => {
    for (const c of [1, 10, 99, 1050, 123456, 999999999]) assert.equal(reaisToCentavos(centavosToReais(c)), c);
    assert.equal(centavosToReais(1050), 10.5);
    assert.equal(reaisToCentavos(0.1 + 0.2), 30);
  });
  it('refuses fractions of a centavo and non-integers', () => {
    assert.throws(() => reaisToCentavos(10.505), RangeError);
    assert.throws(() => centavosToReais(10.5), RangeError);
    assert.throws(() => reaisToCentavos(Number.NaN), RangeError);
  });
});

describe('CPF/CNPJ', () => {
  it('checks the digits', () => {
    assert.ok(isValidCpf('123.456.789-09'));
    assert.ok(!isValidCpf('123.456.789-00'));
    assert.ok(!isValidCpf('111.111.111-11'));
    assert.ok(isValidCnpj('11.222.333/0001-81'));
    assert.ok(!isValidCnpj('11.222.333/0001-80'));
    assert.ok(!isValidTaxId('1234'));
  });
  it('masks as the payer types', () => {
    assert.equal(formatTaxId('12345678909'), '123.456.789-09');
    assert.equal(formatTaxId('11222333000181'), '11.222.333/0001-81');
    assert.equal(formatTaxId('1234'), '123.4');
  });
});

describe('SSE formatting', () => {
  it('writes event, id and one data line per line of data', () => {
    assert.equal(formatSse({ event: 'status', id: 7, data: { a: 1 } }), 'event: status\nid: 7\ndata: {"a":1}\n\n');
    assert.equal(formatSse({ data: 'x\ny' }), 'data: x\ndata: y\n\n');
  });
  it('refuses a newline in event or id, which would forge another field', () => {
    assert.throws(() => formatSse({ event: 'status\ndata: evil', data: 1 }));
    assert.throws(() => formatSse({ id: '1\n', data: 1 }));
  });
});

describe('logger', () => {
  it('never writes secrets or full documents', () => {
    const lines: string[] = [];
    const log = createLogger('debug', {}, (l) => lines.push(l));
    log.info('x', {
      clientSecret: 'chk_1_secret_abc',
      headers: { authorization: 'Bearer sk' },
      payer: { document: '12345678909' },
      cryptoToken: 'ct',
    });
    const text = lines.join('\n');
    for (const secret of ['chk_1_secret_abc', 'Bearer sk', '12345678909', '"ct"']) assert.ok(!text.includes(secret), secret);
    assert.deepEqual(redact({ document: '12345678909' }), { document: '***09' });
  });
});

describe('operator alerts', () => {
  it('ConnectPSP errors a person must act on are logged as alerts with the action; others are not', async () => {
    const { alertIfNeeded } = await import('../../server/alerts.js');
    const { connectPspErrorFrom } = await import('../../server/connectpsp/errors.js');
    const lines: string[] = [];
    const log = createLogger('debug', {}, (l) => lines.push(l));
    alertIfNeeded(log, connectPspErrorFrom(401, { code: 'INVALID_CREDENTIALS', status: 401, title: 'x', detail: 'y' }));
    alertIfNeeded(log, connectPspErrorFrom(422, { code: 'INSUFFICIENT_FUNDS', status: 422, title: 'x', detail: 'y' }));
    alertIfNeeded(log, connectPspErrorFrom(422, { code: 'CASH_IN_NOT_PAID', status: 422, title: 'x', detail: 'y' }));
    const records = lines.map((l) => JSON.parse(l) as { level: string; alert?: boolean; code: string; action?: string });
    assert.deepEqual(
      records.map((r) => r.code),
      ['INVALID_CREDENTIALS', 'INSUFFICIENT_FUNDS'],
    );
    for (const r of records) {
      assert.equal(r.level, 'error');
      assert.equal(r.alert, true);
      assert.ok(r.action && r.action.length > 10);
    }
  });

  it('repeated webhook signature failures raise one alert at the threshold, inside the window only', async () => {
    const { SignatureFailureMonitor } = await import('../../server/alerts.js');
    const lines: string[] = [];
    let t = 0;
    const monitor = new SignatureFailureMonitor(
      createLogger('debug', {}, (l) => lines.push(l)),
      3,
      60_000,
      () => t,
    );
    monitor.record();
    t += 70_000; // the first failure leaves the window
    monitor.record();
    monitor.record();
    assert.equal(lines.length, 0);
    monitor.record();
    monitor.record();
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /WEBHOOK_SIGNATURE_FAILURES/);
  });
});

describe('alerts for refused credentials', () => {
  it('a 401 that survived a fresh login alerts and names the credentials to check, whatever its code', async () => {
    const { alertIfNeeded } = await import('../../server/alerts.js');
    const { ConnectPspAuthenticationError } = await import('../../server/connectpsp/errors.js');
    const lines: string[] = [];
    alertIfNeeded(
      createLogger('debug', {}, (l) => lines.push(l)),
      new ConnectPspAuthenticationError({ status: 401, code: 'INVALID_TOKEN' }),
    );
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /"alert":true/);
    assert.match(lines[0]!, /CONNECTPSP_CLIENT_ID/);
    assert.match(lines[0]!, /CONNECTPSP_APPLICATION_TOKEN/);
  });
});

describe('confirms (what a confirming GET must say for a webhook to be applied)', () => {
  it('a payment needs PAID or REFUNDED, a refund needs REFUNDED, an end needs the same end', async () => {
    const { confirms } = await import('../../server/checkouts/checkout-service.js');
    const table: [string, string, boolean][] = [
      ['PAID', 'PAID', true],
      ['REFUNDED', 'PAID', true],
      ['AWAITING_PAYMENT', 'PAID', false],
      ['EXPIRED', 'PAID', false],
      ['PAID', 'REFUNDED', false],
      ['AWAITING_PAYMENT', 'REFUNDED', false],
      ['REFUNDED', 'REFUNDED', true],
      ['PAID', 'EXPIRED', false],
      ['EXPIRED', 'EXPIRED', true],
    ];
    for (const [truth, claimed, expected] of table)
      assert.equal(confirms(truth as never, claimed as never), expected, `${truth} confirms ${claimed}`);
  });
});
