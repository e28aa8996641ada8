import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  checkWebhookSignature,
  constructConnectPspEvent,
  digitalSignature,
  verifyWebhookSignature,
  WebhookPayloadError,
  WebhookSignatureError,
  webhookSignature,
} from '../../server/connectpsp/index.js';

const CRYPTO_TOKEN = 'test-crypto-token';

/** A CASHIN_PAID delivery in the shape of docs/connectpsp.md §4.3, plus a field we do not know. */
const CASHIN_PAID_BODY = JSON.stringify({
  eventType: 'CASHIN_PAID',
  eventAt: '2026-03-10T11:22:18Z',
  data: {
    transactionId: 'kk6g232xel65a0daee4dd13kk2912714964',
    internalCode: 'US7B1JQ',
    externalReference: 'test-order-001',
    endToEndId: 'E00416968202603101827cemeFscF6AG',
    status: 'PAID',
    amount: 10.5,
    payer: { name: 'Test User', document: '12345678909', bankData: { ispb: '00000000', bank: 'Banco do Brasil S.A.', branch: '0001' } },
    paidAt: '2026-03-10T11:22:15-03:00',
    someFutureField: true,
  },
});

function signed(body: string, key = CRYPTO_TOKEN) {
  return { rawBody: Buffer.from(body), headers: { signature: webhookSignature(body, key), eventId: 'evt-1' } };
}

describe('digitalSignature', () => {
  it('matches the test vector of docs/connectpsp.md §2.4 (key = CryptoToken, message = bare JWT, hex)', () => {
    assert.equal(
      digitalSignature('header.payload.signature', 'test-crypto-token'),
      '09b3c34989af3f983986b57111b584aae189649cb9b34b127d543631c51e69a7',
    );
  });

  it('changes with the token', () => {
    assert.notEqual(digitalSignature('a.b.c', CRYPTO_TOKEN), digitalSignature('a.b.d', CRYPTO_TOKEN));
  });
});

describe('verifyWebhookSignature', () => {
  const body = Buffer.from(CASHIN_PAID_BODY);
  const good = webhookSignature(body, CRYPTO_TOKEN);

  it('accepts the HMAC-SHA256 of the raw body, as a Buffer or a string', () => {
    assert.match(good, /^[0-9a-f]{64}$/);
    assert.equal(verifyWebhookSignature(body, good, CRYPTO_TOKEN), true);
    assert.equal(verifyWebhookSignature(CASHIN_PAID_BODY, good, CRYPTO_TOKEN), true);
  });

  it('accepts upper-case hex', () => {
    assert.equal(verifyWebhookSignature(body, good.toUpperCase(), CRYPTO_TOKEN), true);
  });

  it('rejects a tampered body', () => {
    const tampered = Buffer.from(CASHIN_PAID_BODY.replace('10.5', '1050'));
    assert.equal(verifyWebhookSignature(tampered, good, CRYPTO_TOKEN), false);
    assert.equal(checkWebhookSignature(tampered, good, CRYPTO_TOKEN), 'mismatch');
  });

  it('rejects a signature made with another key', () => {
    assert.equal(verifyWebhookSignature(body, webhookSignature(body, 'other-token'), CRYPTO_TOKEN), false);
  });

  it('returns false, without throwing, for a missing or malformed header', () => {
    for (const header of [undefined, '', 'abc', `sha256=${good}`, `${good}00`, 'z'.repeat(64)]) {
      assert.equal(verifyWebhookSignature(body, header, CRYPTO_TOKEN), false, String(header));
    }
    assert.equal(checkWebhookSignature(body, undefined, CRYPTO_TOKEN), 'missing');
    assert.equal(checkWebhookSignature(body, 'abc', CRYPTO_TOKEN), 'malformed');
  });
});

describe('constructConnectPspEvent', () => {
  it('returns a typed CASHIN_PAID event with the amount in centavos', () => {
    const { rawBody, headers } = signed(CASHIN_PAID_BODY);
    const event = constructConnectPspEvent(rawBody, headers, CRYPTO_TOKEN);
    assert.equal(event.eventType, 'CASHIN_PAID');
    assert.equal(event.eventAt, '2026-03-10T11:22:18Z');
    assert.equal(event.eventId, 'evt-1');
    if (event.eventType !== 'CASHIN_PAID') return;
    assert.equal(event.data.amount, 1050);
    assert.equal(event.data.status, 'PAID');
    assert.equal(event.data.endToEndId, 'E00416968202603101827cemeFscF6AG');
    assert.equal(event.data.payer?.bankData?.account, null);
    assert.equal(event.data.refundedAt, null);
    assert.equal('someFutureField' in event.data, false);
  });

  it('parses cash-out events with their failure', () => {
    const body = JSON.stringify({
      eventType: 'CASHOUT_FAILED',
      eventAt: '2026-03-10T14:00:00Z',
      data: {
        transactionId: 'dd30446e-6cc5-4664-bf3f-6b7f5e55a1a9',
        internalCode: 'IVKPRMOCDY',
        externalReference: 'withdraw_xyz789',
        endToEndId: null,
        status: 'FAILED',
        amount: 500,
        failure: { code: 'PIX_KEY_NOT_FOUND', message: 'The provided PIX key did not resolve to a valid account.' },
        payee: { name: 'Maria Silva', document: '12345678909', destination: { type: 'PIX', pixKeyType: 'CPF', pixKey: '12345678909' } },
      },
    });
    const { rawBody, headers } = signed(body);
    const event = constructConnectPspEvent(rawBody, headers, CRYPTO_TOKEN);
    assert.equal(event.eventType, 'CASHOUT_FAILED');
    if (event.eventType !== 'CASHOUT_FAILED') return;
    assert.equal(event.data.amount, 50_000);
    assert.deepEqual(event.data.failure, {
      code: 'PIX_KEY_NOT_FOUND',
      message: 'The provided PIX key did not resolve to a valid account.',
    });
  });

  it('returns UNKNOWN, without throwing, for an event type it does not know', () => {
    const body = JSON.stringify({ eventType: 'CASHIN_EXPIRED', eventAt: '2026-03-10T14:00:00Z', data: { anything: 1 } });
    const { rawBody, headers } = signed(body);
    const event = constructConnectPspEvent(rawBody, headers, CRYPTO_TOKEN);
    assert.deepEqual(event, {
      eventType: 'UNKNOWN',
      rawEventType: 'CASHIN_EXPIRED',
      eventAt: '2026-03-10T14:00:00Z',
      eventId: 'evt-1',
      data: { anything: 1 },
    });
  });

  it('throws WebhookSignatureError saying which problem: missing, malformed, mismatch', () => {
    const rawBody = Buffer.from(CASHIN_PAID_BODY);
    const cases = [
      { signature: undefined, problem: 'missing_header', message: /No X-Connect-Signature/ },
      { signature: 'not-hex', problem: 'malformed_header', message: /not a 64-character hex/ },
      { signature: webhookSignature(rawBody, 'wrong-key'), problem: 'mismatch', message: /does not match the body/ },
    ];
    for (const { signature, problem, message } of cases) {
      assert.throws(
        () => constructConnectPspEvent(rawBody, signature === undefined ? {} : { signature }, CRYPTO_TOKEN),
        (error: unknown) => error instanceof WebhookSignatureError && error.problem === problem && message.test(error.message),
      );
    }
  });

  it('checks the signature before looking at the body', () => {
    assert.throws(
      () => constructConnectPspEvent(Buffer.from('not json'), { signature: '0'.repeat(64) }, CRYPTO_TOKEN),
      WebhookSignatureError,
    );
  });

  it('throws WebhookPayloadError on a signed body that is not JSON', () => {
    const { rawBody, headers } = signed('{"eventType":');
    assert.throws(
      () => constructConnectPspEvent(rawBody, headers, CRYPTO_TOKEN),
      (error: unknown) => error instanceof WebhookPayloadError && error.field === '(body)',
    );
  });

  it('throws WebhookPayloadError naming the field of a bad envelope or bad data', () => {
    const noEventAt = JSON.stringify({ eventType: 'CASHIN_PAID', data: {} });
    const badAmount = CASHIN_PAID_BODY.replace('"amount":10.5', '"amount":"10.50"');
    const cases = [
      { body: noEventAt, field: 'eventAt' },
      { body: badAmount, field: 'data.amount' },
      { body: CASHIN_PAID_BODY.replace('"amount":10.5', '"amount":10.505'), field: 'data.amount' },
    ];
    for (const { body, field } of cases) {
      const { rawBody, headers } = signed(body);
      assert.throws(
        () => constructConnectPspEvent(rawBody, headers, CRYPTO_TOKEN),
        (error: unknown) => error instanceof WebhookPayloadError && error.field === field && error.message.includes(field),
        field,
      );
    }
  });

  it('refuses a parsed body with a hint to pass the raw one', () => {
    const parsed = JSON.parse(CASHIN_PAID_BODY) as unknown as Buffer;
    assert.throws(() => constructConnectPspEvent(parsed, { signature: '0'.repeat(64) }, CRYPTO_TOKEN), /raw request body/);
  });
});
