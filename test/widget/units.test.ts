/** The pure modules beside the element: wire readers, the API client's mapping, timing rules. */
import { expect } from '@open-wc/testing';

import { httpError, resolveServerUrl } from '../../widget/api-client.js';
import { checkBrCode } from '../../widget/brcode-check.js';
import { crossedThreshold, measureClockOffset, remainingMs } from '../../widget/countdown.js';
import { errorMessage } from '../../widget/connectpsp-checkout.js';
import type { ConnectpspErrorReason } from '../../widget/events.js';
import { claimOnce } from '../../widget/once.js';
import { LOCALES } from '../../widget/translations/index.js';
import { nextPollDelay, nextStreamRetryDelay } from '../../widget/status-controller.js';
import { parseErrorBody, parsePixCharge, parseSession, parseStatusEvent } from '../../widget/wire.js';
import { brCodeFor, makeCharge, makeSession, statusEvent } from './helpers.js';

describe('wire', () => {
  it('reads a valid session, dropping unknown payment methods', () => {
    const parsed = parseSession({ ...makeSession(), methods: ['pix', 'boleto'], extra: 1 });
    expect(parsed.ok && parsed.value.methods).to.deep.equal(['pix']);
  });

  it('says what is wrong with a session', () => {
    const parsed = parseSession({ ...makeSession(), amount: '49.90' });
    expect(parsed).to.deep.equal({ ok: false, problem: 'session.amount must be a non-negative integer (centavos)' });
    expect(parseSession(null).ok).to.equal(false);
    expect(parseSession([]).ok).to.equal(false);
  });

  it('reads charges and status events', () => {
    expect(parsePixCharge(makeCharge()).ok).to.equal(true);
    expect(parsePixCharge({ ...makeCharge(), copyAndPaste: '' }).ok).to.equal(false);
    expect(parsePixCharge({ ...makeCharge(), method: 'open_finance', paymentUrl: 'https://bank' }).ok).to.equal(false);
    expect(parseStatusEvent(statusEvent({ status: 'paid', previous: 'awaiting_payment' })).ok).to.equal(true);
    expect(parseStatusEvent({ ...statusEvent(), at: 'soon' }).ok).to.equal(false);
  });

  it('reads error bodies, and nothing else', () => {
    expect(parseErrorBody({ error: { type: 'conflict', message: 'paid', field: 'x' } })).to.deep.equal({
      type: 'conflict',
      message: 'paid',
      field: 'x',
    });
    expect(parseErrorBody({ error: { type: 'teapot', message: 'x' } })).to.equal(null);
    expect(parseErrorBody('<html>')).to.equal(null);
  });
});

describe('api-client', () => {
  it('maps HTTP errors to reasons, body first', () => {
    expect(httpError(400, { error: { type: 'invalid_request', message: 'm', field: 'payer.document' } })).to.deep.equal({
      reason: 'invalid_request',
      httpStatus: 400,
      message: 'm',
      field: 'payer.document',
    });
    expect(httpError(500, { error: { type: 'gateway_error', message: 'down' } }).reason).to.equal('gateway_error');
    expect(httpError(401, null).reason).to.equal('unauthorized');
    expect(httpError(404, null).reason).to.equal('not_found');
    expect(httpError(429, null).reason).to.equal('rate_limited');
    expect(httpError(502, 'html').reason).to.equal('gateway_error');
    expect(httpError(504, 'html').reason).to.equal('server_error');
  });

  it('accepts only http(s) servers, relative ones against the page', () => {
    expect(resolveServerUrl('https://pay.example.com/')).to.equal('https://pay.example.com');
    expect(resolveServerUrl('https://shop.example/pay/?x=1#y')).to.equal('https://shop.example/pay');
    expect(resolveServerUrl('/', 'https://shop.example/checkout')).to.equal('https://shop.example');
    expect(resolveServerUrl('javascript:alert(1)')).to.equal(null);
    expect(resolveServerUrl('')).to.equal(null);
    expect(resolveServerUrl(undefined)).to.equal(null);
  });
});

describe('brcode check', () => {
  it('accepts a valid code for the amount and rejects others', () => {
    expect(checkBrCode(brCodeFor(4990), 4990).ok).to.equal(true);
    expect(checkBrCode(brCodeFor(4990), 5000).ok).to.equal(false);
    expect(checkBrCode(brCodeFor(4990).slice(0, -1) + '0', 4990).ok).to.equal(false);
    expect(checkBrCode('hello', 4990).ok).to.equal(false);
  });
});

describe('timing', () => {
  it('measures clock skew from the midpoint of the request', () => {
    expect(
      measureClockOffset('2026-01-01T00:10:00.000Z', Date.parse('2026-01-01T00:00:00.000Z'), Date.parse('2026-01-01T00:00:00.200Z')),
    ).to.equal(10 * 60_000 - 100);
    expect(measureClockOffset('nope', 0, 0)).to.equal(null);
  });

  it('computes the time left on the server clock', () => {
    expect(remainingMs('2026-01-01T00:15:00.000Z', 60_000, Date.parse('2026-01-01T00:00:00.000Z'))).to.equal(14 * 60_000);
  });

  it('announces at 5 min, 1 min and 30 s only', () => {
    expect(crossedThreshold(300_500, 299_500)).to.equal(300_000);
    expect(crossedThreshold(299_500, 298_500)).to.equal(null);
    expect(crossedThreshold(61_000, 59_000)).to.equal(60_000);
    expect(crossedThreshold(Infinity, 20_000), 'not on first sight').to.equal(30_000);
    expect(crossedThreshold(1_000, 0)).to.equal(null);
  });

  it('polls steadily, slower after a minute, and backs off on failure with jitter', () => {
    expect(nextPollDelay(0, 0)).to.equal(2_000);
    expect(nextPollDelay(0, 61_000)).to.equal(5_000);
    expect(nextPollDelay(1, 0, () => 0.5)).to.equal(4_000);
    expect(nextPollDelay(2, 0, () => 0.5)).to.equal(8_000);
    expect(nextPollDelay(10, 0, () => 0.5)).to.equal(30_000);
    expect(nextPollDelay(10, 0, () => 0)).to.equal(24_000);
    expect(nextPollDelay(10, 0, () => 1)).to.equal(36_000);
    expect([1, 2, 3, 4, 10].map(nextStreamRetryDelay)).to.deep.equal([10_000, 20_000, 40_000, 60_000, 60_000]);
  });
});

describe('once', () => {
  it('claims a key once per browser', () => {
    const key = `test:${Math.random()}`;
    expect(claimOnce(key)).to.equal(true);
    expect(claimOnce(key)).to.equal(false);
    expect(localStorage.getItem(key)).to.be.a('string');
    localStorage.removeItem(key);
  });
});

describe('error messages', () => {
  const REASONS: ConnectpspErrorReason[] = [
    'missing_attributes',
    'unauthorized',
    'not_found',
    'network_error',
    'invalid_response',
    'invalid_request',
    'conflict',
    'gateway_error',
    'rate_limited',
    'server_error',
    'invalid_brcode',
    'unsupported_method',
  ];
  it('gives every reason a message in every locale, its own where the payer can act on it', () => {
    for (const msg of Object.values(LOCALES)) {
      for (const reason of REASONS) expect(errorMessage(msg, reason), reason).to.be.a('string').and.not.equal('');
      expect(errorMessage(msg, 'network_error')).to.equal(msg.errorNetwork);
      expect(errorMessage(msg, 'not_found')).to.equal(msg.errorNotFound);
      expect(errorMessage(msg, 'unauthorized')).to.equal(msg.errorUnauthorized);
      expect(errorMessage(msg, 'invalid_brcode')).to.equal(msg.errorInvalidResponse);
      expect(new Set(REASONS.map((r) => errorMessage(msg, r))).size).to.equal(REASONS.length - 2);
    }
  });
});
