/**
 * Fuzz: thousands of malformed, oversized and hostile requests to every route of the companion
 * server — merchant routes with and without the key, browser routes with bad and foreign secrets,
 * the SSE route with Last-Event-ID garbage, the ConnectPSP webhook route with missing, malformed
 * and forged signatures and with validly signed hostile bodies, health and metrics, unknown paths,
 * odd methods, odd content types and encodings, deep nesting, huge numbers, `__proto__` keys,
 * unicode, NUL bytes, very long headers, ids and query strings — plus protocol-level garbage on raw
 * sockets.
 *
 * Asserts: no 5xx, ever; no uncaught exception (the server runs in this process); every 4xx that
 * reaches the app is JSON `{ error: { type, message } }`; merchant and webhook routes never send
 * CORS headers; no record changed (the merchant view and the store's events of pre-created
 * checkouts, and every table of the SQLite file but the webhook log); health still 200 at the end.
 *
 * Seeded: FUZZ_SEED=<n> replays a run (the seed is printed); FUZZ_COUNT scales it (default 3200).
 * The embedded sandbox (`/sandbox/*`) is a development tool that moves fake money on request and is
 * left out.
 */
import assert from 'node:assert/strict';
import { Agent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { webhookSignature } from '../../server/connectpsp/signing.js';
import { SANDBOX_CREDENTIALS } from '../../server/sandbox/defaults.js';
import type { CheckoutView, CreatedCheckout, PixChargeView } from '../../widget/contract/wire-contract.js';
import { API_KEY, eventually, startTestServer, type TestServer } from './helpers.js';

const SEED = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) >>> 0 : (Math.random() * 2 ** 32) >>> 0;
const TOTAL = Math.max(500, Number(process.env.FUZZ_COUNT ?? 3200));
const CONCURRENCY = 8;
const REQUEST_TIMEOUT_MS = 5000;
const CRYPTO_TOKEN = SANDBOX_CREDENTIALS.cryptoToken;

// ---------------------------------------------------------------------------------------------
// Seeded randomness (mulberry32)

function rngFrom(seed: number) {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)),
    chance: (p: number) => next() < p,
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!,
  };
}
type Rng = ReturnType<typeof rngFrom>;

// ---------------------------------------------------------------------------------------------
// Hostile values

const LONG = 'x'.repeat(10_000);
const HOSTILE_STRINGS = [
  '',
  ' ',
  '\t',
  'a',
  'null',
  'undefined',
  'true',
  '0',
  '-1',
  '1e309',
  'NaN',
  'Infinity',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  '💩',
  'ümlaut',
  'Ａ',
  '\u0000',
  'a\u0000b',
  '\u202eevil',
  '\ud800',
  '\uffff',
  'é'.normalize('NFD'),
  '%00',
  '%',
  '%E0%A4%A',
  '%2e%2e%2f',
  '../../etc/passwd',
  '..\\..\\windows',
  '<script>alert(1)</script>',
  "' OR 1=1 --",
  '"; DROP TABLE checkouts; --',
  '${jndi:ldap://x/a}',
  '{{7*7}}',
  'chk_',
  'chk_' + 'A'.repeat(24),
  'chk_' + 'A'.repeat(23) + '!',
  'x'.repeat(300),
  LONG,
];
const HOSTILE_NUMBER_LITERALS = [
  '0',
  '-0',
  '-1',
  '0.5',
  '1.005',
  '1e21',
  '-1e21',
  '1e400',
  '-1e400',
  '9007199254740993',
  '123456789012345678901234567890',
  '1e-400',
  '1E2',
  '1000000001',
  '2147483648',
  '-2147483649',
];
const HOSTILE_KEYS = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'valueOf',
  '',
  ' ',
  '💩',
  'a.b',
  'a[b]',
  '$where',
  'x'.repeat(1000),
  '\u0000',
];

/** A random JSON text (not a JS value: keys like __proto__ and literals like 1e400 survive). */
function randomJson(rng: Rng, depth = 0): string {
  const roll = rng.next();
  if (depth > 3 || roll < 0.35) {
    return rng.pick([
      () => rng.pick(HOSTILE_NUMBER_LITERALS),
      () => JSON.stringify(rng.pick(HOSTILE_STRINGS)),
      () => rng.pick(['true', 'false', 'null']),
      () => JSON.stringify(rng.int(-5, 5_000_000)),
    ])();
  }
  if (roll < 0.6) return `[${Array.from({ length: rng.int(0, 4) }, () => randomJson(rng, depth + 1)).join(',')}]`;
  const keys = Array.from({ length: rng.int(0, 5) }, () =>
    rng.chance(0.5)
      ? rng.pick(HOSTILE_KEYS)
      : rng.pick(['amount', 'externalReference', 'payer', 'metadata', 'transactionId', 'status', 'reason', 'data', 'eventType']),
  );
  return `{${keys.map((k) => `${JSON.stringify(k)}:${randomJson(rng, depth + 1)}`).join(',')}}`;
}

/** encodeURIComponent, except that a lone surrogate goes out as the raw (invalid) UTF-8 bytes. */
function enc(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    return [...value]
      .map((ch) => {
        try {
          return encodeURIComponent(ch);
        } catch {
          return '%ED%A0%80';
        }
      })
      .join('');
  }
}

function deepNesting(rng: Rng, levels: number): string {
  return rng.chance(0.5) ? '['.repeat(levels) + ']'.repeat(levels) : '{"a":'.repeat(levels) + '1' + '}'.repeat(levels);
}

/** Bodies that are not JSON, or barely. */
function rawGarbageBody(rng: Rng): string | Buffer {
  return rng.pick<() => string | Buffer>([
    () => '{',
    () => '{"a":}',
    () => "{'a':1}",
    () => '{"a":1,}',
    () => 'NaN',
    () => '\ufeff{"amount":1}',
    () => Buffer.from([0xff, 0xfe, 0x7b, 0x00, 0x7d, 0x00]),
    () => Buffer.from([0xc3, 0x28, 0xa0, 0xa1, 0xe2, 0x28, 0xa1]),
    () => '\u0000\u0000\u0000',
    () => 'null',
    () => '"just a string"',
    () => '12345',
    () => 'amount=100&externalReference=x',
    () => '<xml><amount>1</amount></xml>',
    () => 'x'.repeat(40_000),
    () => `{"a":"${'y'.repeat(40_000)}"}`,
    () => deepNesting(rng, rng.int(1000, 16_000)),
    () => `[${'1,'.repeat(10_000)}1]`,
  ])();
}

/** Serialises `base` and splices in raw `"key":<json>` members (so `__proto__` stays an own key). */
function jsonWith(base: Record<string, unknown>, extra: [string, string][] = []): string {
  const text = JSON.stringify(base);
  if (extra.length === 0) return text;
  const members = extra.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',');
  return text === '{}' ? `{${members}}` : `${text.slice(0, -1)},${members}}`;
}

// ---------------------------------------------------------------------------------------------
// Requests

interface FuzzRequest {
  kind: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string | Buffer;
  /** A 2xx here would mean hostile input was accepted. */
  mustFail?: boolean;
}

interface Fixture {
  name: string;
  checkout: CreatedCheckout;
  transactionId?: string;
  amount: number;
}

const ODD_CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=utf-16',
  'application/json; charset=latin1',
  'application/json; charset=bogus',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/xml',
  '',
  '*/*',
  'application/json, text/html',
  'application/vnd.api+json',
  'ÿ/ÿ',
];
const ODD_ENCODINGS = ['gzip', 'deflate', 'br', 'identity', 'compress', 'gzip, gzip', 'bogus'];
const ODD_METHODS = [
  'PUT',
  'DELETE',
  'PATCH',
  'OPTIONS',
  'HEAD',
  'PROPFIND',
  'SEARCH',
  'MKCOL',
  'LOCK',
  'PURGE',
  'REPORT',
  'MOVE',
  'COPY',
  'TRACE',
  'M-SEARCH',
  'QUERY',
];

function randomIdSegment(rng: Rng, fixtures: Fixture[]): string {
  return rng.pick<() => string>([
    () => rng.pick(fixtures).checkout.id,
    () => rng.pick(fixtures).checkout.id.toLowerCase(),
    () => rng.pick(fixtures).checkout.id + rng.pick(['x', '%00', '%20', '/', '..', '.json', '?', '#']),
    () => enc(rng.pick(HOSTILE_STRINGS)),
    () => rng.pick(['%E0%A4%A', '%', '%zz', '%C0%AF', '%F0%9F%92%A9', '%u0041', '%25', '..%2F..%2F', '%00', '%0d%0a']),
    () => 'chk_' + 'Z'.repeat(rng.int(0, 40)),
    () => 'a'.repeat(rng.int(1000, 7000)),
    () => String(rng.int(-10, 1e9)),
  ])();
}

function randomSecret(rng: Rng, own: Fixture, fixtures: Fixture[]): string | undefined {
  return rng.pick<() => string | undefined>([
    () => undefined,
    () => own.checkout.clientSecret.slice(0, -1) + (own.checkout.clientSecret.endsWith('A') ? 'B' : 'A'),
    () => rng.pick(fixtures.filter((f) => f !== own)).checkout.clientSecret, // a foreign secret
    () => ` ${own.checkout.clientSecret}x`,
    () => own.checkout.clientSecret.toUpperCase(),
    () => API_KEY, // the merchant key is not a client secret
    () => rng.pick(HOSTILE_STRINGS),
    () => 'y'.repeat(rng.int(100, 6000)),
  ])();
}

function merchantAuth(rng: Rng): { header?: string; valid: boolean } {
  return rng.pick<() => { header?: string; valid: boolean }>([
    () => ({ header: `Bearer ${API_KEY}`, valid: true }),
    () => ({ header: `Bearer ${API_KEY}`, valid: true }),
    () => ({ valid: false }),
    () => ({ header: `Bearer ${API_KEY.slice(0, -1)}x`, valid: false }),
    () => ({ header: `bearer ${API_KEY}`, valid: false }),
    () => ({ header: `Bearer  ${API_KEY}`, valid: false }),
    // (Trailing spaces are not a variant: HTTP strips them from header values.)
    () => ({ header: `Bearer ${API_KEY}\t${API_KEY}`, valid: false }),
    () => ({ header: `Basic ${Buffer.from(`${API_KEY}:`).toString('base64')}`, valid: false }),
    () => ({ header: 'Bearer', valid: false }),
    () => ({ header: `Bearer ${'k'.repeat(rng.int(100, 7000))}`, valid: false }),
    () => ({ header: `Bearer ${enc(rng.pick(HOSTILE_STRINGS))}`, valid: false }),
  ])();
}

/** A checkout-creation body that is certainly invalid (so a valid key must still get a 4xx). */
function invalidCreateBody(rng: Rng): string {
  const base: Record<string, unknown> = {
    amount: rng.int(1, 100_000),
    externalReference: `fuzz-${rng.int(0, 1e9)}`,
    payer: { name: 'Maria Silva', document: '12345678909' },
  };
  const extra: [string, string][] = [];
  // Hostility that may or may not be valid on its own…
  if (rng.chance(0.3)) base.description = rng.pick(HOSTILE_STRINGS).slice(0, 140);
  // …then the breaker: each one alone makes the body invalid.
  rng.pick<() => void>([
    () => (base.amount = rng.pick<unknown>([-1, 0, 1.5, '100', null, [], {}, true, 1e21, 1_000_000_001, 'NaN'])),
    () => extra.push(['amount', rng.pick(['1e400', '-1e400', '123456789012345678901234567890', '1.0000000001'])]) && delete base.amount,
    () => delete base.amount,
    () => (base.externalReference = rng.pick<unknown>(['', ' ', 'has space', 'x'.repeat(101), 5, null, '<script>', '\u0000', 'ü', ['a']])),
    () => extra.push([rng.pick(HOSTILE_KEYS), randomJson(rng)]),
    () =>
      (base.payer = rng.pick<unknown>([
        { name: 'M', document: '12345678909' },
        { name: 'Maria', document: '123' },
        { name: 'Maria', document: '12345678900' },
        'string',
        [],
        null,
        { name: 'Maria' },
      ])),
    () => (base.methods = rng.pick<unknown>([[], ['bitcoin'], 'pix', [null], [{}]])),
    () => (base.expiresInMinutes = rng.pick<unknown>([0, 1441, 1.5, '30', -5, null])),
    () => (base.returnUrl = rng.pick<unknown>(['javascript:alert(1)', 'ftp://x.example', 'not a url', '', 5, 'data:text/html,hi'])),
    () =>
      (base.metadata = rng.pick<unknown>([
        { a: 1 },
        { ['k'.repeat(41)]: 'v' },
        Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`k${i}`, 'v'])),
        'str',
        [],
        { a: 'x'.repeat(501) },
        { a: null },
        { a: { b: 'c' } },
      ])),
    () => (base.description = rng.pick<unknown>(['x'.repeat(141), 5, {}, []])),
  ])();
  if (rng.chance(0.2)) extra.push(['metadata', `{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}}}`]);
  return jsonWith(base, extra);
}

function invalidChargeBody(rng: Rng, route: 'pix' | 'open-finance'): string | Buffer {
  return rng.pick<() => string | Buffer>([
    () => rawGarbageBody(rng),
    () => jsonWith({}, [[rng.pick(HOSTILE_KEYS.filter((k) => k !== '')), randomJson(rng)]]),
    () =>
      JSON.stringify({
        payer: rng.pick<unknown>(
          [
            { name: 'M', document: '12345678909' },
            { name: 'Maria', document: '1' },
            'x',
            [],
            null,
            { name: 'Maria Silva', document: '12345678909', extra: { ['__proto__']: 1 } },
          ].slice(0, 5),
        ),
      }),
    () => JSON.stringify({ payer: { name: 'Maria Silva', document: '12345678900' } }),
    () => '[]',
    () => `[${randomJson(rng)}]`,
    () =>
      JSON.stringify(
        route === 'open-finance'
          ? { returnUrl: rng.pick(['javascript:alert(1)', 'ftp://x', 'https://' + 'a'.repeat(600) + '.example', 'not a url']) }
          : { unknown: 1 },
      ),
  ])();
}

function invalidRefundBody(rng: Rng): string | Buffer {
  return rng.pick<() => string | Buffer>([
    () => rawGarbageBody(rng),
    () => JSON.stringify({ reason: rng.pick<unknown>(['fraud', 'OTHER', '', 5, null, ['FRAUD']]) }),
    () => JSON.stringify({ transactionId: rng.pick<unknown>(['', 't'.repeat(65), 5, null, {}, []]) }),
    () => JSON.stringify({ description: rng.pick<unknown>(['d'.repeat(201), 5, {}]) }),
    () => jsonWith({ reason: 'CUSTOMER_REQUEST' }, [[rng.pick(HOSTILE_KEYS), randomJson(rng)]]),
    () => '[]',
    () => '"refund"',
  ])();
}

/** A signed ConnectPSP webhook whose body is hostile, or an unsigned/forged one with any body. */
function webhookRequest(rng: Rng, fixtures: Fixture[]): FuzzRequest {
  const awaiting = fixtures.find((f) => f.name === 'awaiting')!;
  const cashIn = (over: Record<string, unknown> = {}) => ({
    transactionId: `unknown-${rng.int(0, 1e9)}`,
    internalCode: null,
    externalReference: 'x',
    status: 'PAID',
    amount: 10.5,
    payer: { name: 'Maria Silva', document: '12345678909', bankData: null },
    endToEndId: `E${rng.int(0, 1e9)}`,
    originalEndToEndId: null,
    requestedAt: null,
    paidAt: null,
    refundedAt: null,
    expiredAt: null,
    ...over,
  });
  const envelope = (eventType: string, data: unknown) => JSON.stringify({ eventType, eventAt: new Date().toISOString(), data });
  const hostileBodies: (() => string | Buffer)[] = [
    () => rawGarbageBody(rng),
    () => randomJson(rng),
    () => JSON.stringify({ eventType: rng.pick<unknown>(['', null, 5, ['CASHIN_PAID']]), eventAt: 'x', data: {} }),
    () => JSON.stringify({ eventType: 'CASHIN_PAID', data: {} }),
    () => envelope('CASHIN_PAID', rng.pick<unknown>([null, 'x', [], 5, {}])),
    () =>
      envelope(
        rng.pick(['CASHIN_PAID', 'CASHIN_REFUNDED']),
        cashIn({ amount: rng.pick<unknown>([-1, 1e308, 0.001, '10.50', null, Number.MAX_SAFE_INTEGER]) }),
      ),
    () => envelope(rng.pick(['CASHIN_PAID', 'CASHIN_REFUNDED']), cashIn({ status: rng.pick<unknown>(['paid', 'HACKED', '', 5, null]) })),
    () =>
      envelope(
        rng.pick(['CASHIN_PAID', 'CASHIN_REFUNDED']),
        cashIn({ transactionId: rng.pick<unknown>(['', 5, null, {}, 'x'.repeat(5000), '\u0000', '__proto__']) }),
      ),
    // Well-formed events about transactions the server never created: acknowledged, change nothing.
    () =>
      envelope(
        rng.pick(['CASHIN_PAID', 'CASHIN_REFUNDED']),
        cashIn({ status: rng.pick(['PAID', 'REFUNDED', 'EXPIRED', 'CANCELLED', 'AWAITING_PAYMENT']) }),
      ),
    // A "paid" for a real charge: the server confirms with ConnectPSP, which says unpaid.
    () =>
      envelope(
        'CASHIN_PAID',
        cashIn({ transactionId: awaiting.transactionId, amount: awaiting.amount / 100, status: rng.pick(['PAID', 'REFUNDED']) }),
      ),
    // Wrong amount for a real charge: never marks it paid.
    () =>
      envelope(
        'CASHIN_PAID',
        cashIn({ transactionId: awaiting.transactionId, amount: rng.pick([0.01, 999999.99, awaiting.amount]), status: 'PAID' }),
      ),
    () =>
      envelope(
        rng.pick(['CASHOUT_COMPLETED', 'CASHOUT_FAILED', 'CASHOUT_REFUNDED']),
        rng.pick<unknown>([{}, { transactionId: 5 }, null, [], { transactionId: 'x', status: 'NOPE' }]),
      ),
    () =>
      envelope(rng.pick(['SOMETHING_NEW', 'cashin_paid', '__proto__', 'constructor', '💩', 'x'.repeat(3000)]), JSON.parse(randomJson(rng))),
    () => `{"eventType":"FUTURE_EVENT","eventAt":"2024-01-01T00:00:00Z","data":${deepNesting(rng, rng.int(2000, 20_000))}}`,
    () =>
      `{"eventType":"CASHIN_PAID","eventAt":"2024-01-01T00:00:00Z","data":${jsonWith(cashIn(), [
        ['__proto__', '{"status":"PAID","polluted":true}'],
        ['constructor', '{"prototype":{"polluted":true}}'],
      ])}}`,
    () =>
      `{"eventType":"CASHIN_PAID","eventAt":"2024-01-01T00:00:00Z","data":{"transactionId":"t","amount":1e400,"status":"PAID","externalReference":"x"}}`,
    () => 'x'.repeat(rng.int(257, 400) * 1024),
  ];
  const body = rng.pick(hostileBodies)();
  const headers: Record<string, string> = { 'content-type': rng.chance(0.8) ? 'application/json' : rng.pick(ODD_CONTENT_TYPES) };
  if (rng.chance(0.1)) headers['content-encoding'] = rng.pick(ODD_ENCODINGS);
  const signature = rng.pick<() => string | undefined>([
    () => webhookSignature(body, CRYPTO_TOKEN),
    () => webhookSignature(body, CRYPTO_TOKEN),
    () => webhookSignature(body, CRYPTO_TOKEN).toUpperCase(),
    () => undefined,
    () => '',
    () => webhookSignature(body, 'not-the-crypto-token'),
    () => webhookSignature(Buffer.concat([Buffer.from(body), Buffer.from(' ')]), CRYPTO_TOKEN),
    () => 'sha256=' + webhookSignature(body, CRYPTO_TOKEN),
    () => webhookSignature(body, CRYPTO_TOKEN).slice(0, 63),
    () => webhookSignature(body, CRYPTO_TOKEN) + '00',
    () => 'z'.repeat(64),
    () => rng.pick(HOSTILE_STRINGS).slice(0, 5000),
  ])();
  if (signature !== undefined) headers['x-connect-signature'] = signature;
  if (rng.chance(0.5)) headers['x-event-id'] = rng.pick(HOSTILE_STRINGS).slice(0, 5000);
  return {
    kind: 'webhook',
    method: rng.chance(0.95) ? 'POST' : rng.pick(ODD_METHODS.filter((m) => m !== 'HEAD')),
    path: '/v1/webhooks/connectpsp' + (rng.chance(0.1) ? rng.pick(['/', '?x=1', '/extra', '%00']) : ''),
    headers,
    body,
  };
}

function headersOf(headers: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter((e): e is [string, string] => e[1] !== undefined));
}

function withHostileExtras(rng: Rng, req: FuzzRequest): FuzzRequest {
  if (rng.chance(0.15)) req.headers['x-request-id'] = rng.pick(HOSTILE_STRINGS).slice(0, 7000);
  if (rng.chance(0.15))
    req.headers.origin = rng.pick(['https://evil.example', 'null', 'http://localhost:3000', rng.pick(HOSTILE_STRINGS).slice(0, 200)]);
  if (rng.chance(0.1)) req.headers['x-forwarded-for'] = rng.pick(['1.2.3.4', '::1', 'garbage', '1.2.3.4, 5.6.7.8', 'x'.repeat(3000)]);
  if (rng.chance(0.05)) req.headers['x-huge'] = 'h'.repeat(rng.int(4000, 12_000));
  if (rng.chance(0.1))
    req.path +=
      (req.path.includes('?') ? '&' : '?') +
      rng.pick([
        `q=${'v'.repeat(rng.int(100, 8000))}`,
        'a[b][c][d][e][f]=1',
        'a[]=1&a[]=2',
        '__proto__[x]=1',
        'constructor[prototype][x]=1',
        '%',
        '%E0%A4%A=1',
        'x=%00',
        'a=1&'.repeat(500),
      ]);
  return req;
}

function generate(rng: Rng, fixtures: Fixture[], count: number): FuzzRequest[] {
  const kinds: [number, () => FuzzRequest][] = [
    [
      14,
      () => {
        const auth = merchantAuth(rng);
        const body = auth.valid
          ? invalidCreateBody(rng)
          : rng.chance(0.5)
            ? JSON.stringify({ amount: 1050, externalReference: `fuzz-ok-${rng.int(0, 1e9)}` })
            : rng.chance(0.5)
              ? invalidCreateBody(rng)
              : rawGarbageBody(rng);
        const headers: Record<string, string> = { 'content-type': rng.chance(0.85) ? 'application/json' : rng.pick(ODD_CONTENT_TYPES) };
        if (auth.header) headers.authorization = auth.header;
        if (rng.chance(0.3))
          headers['idempotency-key'] = rng.pick([
            'fuzz-key',
            '',
            ' ',
            'k'.repeat(256),
            'a/b',
            '💩',
            rng.pick(HOSTILE_STRINGS).slice(0, 3000),
          ]);
        if (rng.chance(0.05)) headers['content-encoding'] = rng.pick(ODD_ENCODINGS);
        return {
          kind: 'merchant create',
          method: 'POST',
          path: '/v1/checkouts' + (rng.chance(0.05) ? '/' : ''),
          headers,
          body,
          mustFail: true,
        };
      },
    ],
    [
      10,
      () => {
        const auth = merchantAuth(rng);
        return {
          kind: 'merchant read',
          method: rng.chance(0.9) ? 'GET' : 'HEAD',
          path: `/v1/checkouts/${randomIdSegment(rng, fixtures)}`,
          headers: headersOf(auth.header === undefined ? {} : { authorization: auth.header }),
        };
      },
    ],
    [
      10,
      () => {
        const auth = merchantAuth(rng);
        const fixture = rng.pick(fixtures);
        // With the key, only invalid bodies: `{}` would legitimately refund the paid fixture.
        const body = auth.valid ? invalidRefundBody(rng) : rng.chance(0.3) ? '{}' : invalidRefundBody(rng);
        const id = rng.chance(0.7) ? fixture.checkout.id : randomIdSegment(rng, fixtures);
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (auth.header) headers.authorization = auth.header;
        return { kind: 'merchant refund', method: 'POST', path: `/v1/checkouts/${id}/refund`, headers, body, mustFail: true };
      },
    ],
    [
      9,
      () => {
        const fixture = rng.pick(fixtures);
        const secret = rng.chance(0.3) ? fixture.checkout.clientSecret : randomSecret(rng, fixture, fixtures);
        const id = rng.chance(0.8) ? fixture.checkout.id : randomIdSegment(rng, fixtures);
        const inQuery = rng.chance(0.4);
        const path =
          `/v1/checkouts/${id}/session` +
          (secret !== undefined && inQuery ? `?client_secret=${enc(secret)}` : rng.chance(0.2) ? '?client_secret=a&client_secret=b' : '');
        return {
          kind: 'browser session',
          method: rng.chance(0.9) ? 'GET' : rng.pick(['HEAD', 'POST', 'OPTIONS']),
          path,
          headers: headersOf(secret !== undefined && !inQuery ? { authorization: `Bearer ${secret}` } : {}),
        };
      },
    ],
    [
      11,
      () => {
        const fixture = rng.pick(fixtures);
        const route = rng.chance(0.75) ? 'pix' : 'open-finance';
        const valid = rng.chance(0.3);
        const secret = valid ? fixture.checkout.clientSecret : randomSecret(rng, fixture, fixtures);
        // With the right secret only invalid bodies (an empty one would legitimately create a charge).
        const body = valid ? invalidChargeBody(rng, route) : rng.chance(0.5) ? '{}' : invalidChargeBody(rng, route);
        const headers: Record<string, string> = { 'content-type': rng.chance(0.85) ? 'application/json' : rng.pick(ODD_CONTENT_TYPES) };
        if (secret !== undefined) headers.authorization = `Bearer ${secret}`;
        if (rng.chance(0.05)) headers['content-encoding'] = rng.pick(ODD_ENCODINGS);
        let id = valid || rng.chance(0.7) ? fixture.checkout.id : randomIdSegment(rng, fixtures);
        // A random id may name the very checkout a foreign secret belongs to: that pair is valid.
        if (!valid && secret?.startsWith(`${id}_`)) id = fixture.checkout.id;
        return { kind: `browser ${route}`, method: 'POST', path: `/v1/checkouts/${id}/${route}`, headers, body, mustFail: true };
      },
    ],
    [
      12,
      () => {
        const fixture = rng.pick(fixtures);
        const secret = rng.chance(0.5) ? fixture.checkout.clientSecret : randomSecret(rng, fixture, fixtures);
        const id = rng.chance(0.85) ? fixture.checkout.id : randomIdSegment(rng, fixtures);
        const lastEventId = rng.pick<() => string | undefined>([
          () => undefined,
          () => String(rng.int(0, 12)),
          () => String(rng.int(0, 40)),
          () =>
            rng.pick([
              '-1',
              '1.5',
              '1e3',
              ' 1',
              '0x10',
              '999999999999999',
              '9999999999999999',
              '18446744073709551616',
              'abc',
              '',
              '１',
              '1\u0000',
              '%31',
            ]),
          () => rng.pick(HOSTILE_STRINGS).slice(0, 6000),
        ])();
        const headers: Record<string, string> = { accept: rng.pick(['text/event-stream', '*/*', 'application/json', '']) };
        let path = `/v1/checkouts/${id}/events`;
        const query: string[] = [];
        if (secret !== undefined) {
          if (rng.chance(0.7)) query.push(`client_secret=${enc(secret)}`);
          else headers.authorization = `Bearer ${secret}`;
        }
        if (lastEventId !== undefined) {
          if (rng.chance(0.6)) headers['last-event-id'] = lastEventId;
          else query.push(`lastEventId=${enc(lastEventId)}`);
        }
        if (rng.chance(0.1)) query.push(rng.pick(['lastEventId=1&lastEventId=2', 'client_secret[]=x', 'lastEventId[a]=1']));
        if (query.length > 0) path += `?${query.join('&')}`;
        return { kind: 'events', method: rng.chance(0.95) ? 'GET' : rng.pick(['HEAD', 'POST']), path, headers };
      },
    ],
    [22, () => webhookRequest(rng, fixtures)],
    [
      3,
      () => ({
        kind: 'health',
        method: rng.pick(['GET', 'GET', 'HEAD', 'POST', 'PUT', 'DELETE']),
        path: rng.pick(['/healthz', '/readyz', '/healthz/', '/readyz?x=1', '/HEALTHZ', '/healthz%00']),
        headers: headersOf(rng.chance(0.3) ? { 'content-type': 'application/json' } : {}),
        ...(rng.chance(0.3) ? { body: rawGarbageBody(rng) } : {}),
      }),
    ],
    [
      2,
      () => ({
        kind: 'metrics',
        method: rng.pick(['GET', 'POST', 'HEAD']),
        path: '/metrics' + rng.pick(['', '?format=json', '/x']),
        headers: headersOf(rng.chance(0.5) ? { authorization: `Bearer ${rng.pick(HOSTILE_STRINGS).slice(0, 100)}` } : {}),
      }),
    ],
    [
      7,
      () => {
        const method = rng.pick([...ODD_METHODS, 'GET', 'POST']);
        const path = rng.pick<() => string>([
          () => `/v1/checkouts/${rng.pick(fixtures).checkout.id}`,
          () => '/v1/checkouts',
          () =>
            `/v1/checkouts/${rng.pick(fixtures).checkout.id}/${rng.pick(['pix', 'session', 'events', 'refund', 'open-finance', 'cancel', 'admin', ''])}`,
          () => '/v1/webhooks/connectpsp',
          () =>
            rng.pick([
              '/',
              '/v1',
              '/v1/',
              '/v2/checkouts',
              '/admin',
              '/.env',
              '/.git/config',
              '/v1/checkouts/../../etc/passwd',
              '//v1//checkouts',
              '/v1/%2e%2e/%2e%2e/etc/passwd',
              '/%00',
              '/%',
              '/v1/checkouts/%E0%A4%A/session',
              '/💩',
              '/v1/webhooks',
              '/v1/webhooks/connectpsp/../../healthz',
              `/${'p'.repeat(rng.int(1000, 7000))}`,
            ]),
        ])();
        const headers: Record<string, string> = rng.chance(0.5) ? { authorization: `Bearer ${API_KEY}` } : {};
        // A POST with the key always carries garbage: an empty body would be a valid refund request.
        const withBody =
          method !== 'GET' && method !== 'HEAD' && (rng.chance(0.5) || (method === 'POST' && headers.authorization !== undefined));
        if (withBody) headers['content-type'] = rng.pick(ODD_CONTENT_TYPES);
        // Known routes reached with a valid key and an odd body must not succeed either.
        return {
          kind: 'odd method/path',
          method,
          path,
          headers,
          ...(withBody ? { body: rawGarbageBody(rng) } : {}),
          mustFail: method === 'POST',
        };
      },
    ],
  ];
  const weightSum = kinds.reduce((n, [w]) => n + w, 0);
  const out: FuzzRequest[] = [];
  for (let i = 0; i < count; i++) {
    let roll = rng.next() * weightSum;
    const make = kinds.find(([w]) => (roll -= w) < 0)?.[1] ?? kinds[0]![1];
    out.push(withHostileExtras(rng, make()));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Sending and checking

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  error?: string;
}

/**
 * A header value as raw bytes: UTF-8 goes out as its bytes (latin1 on the wire), and the control
 * characters Node's client refuses to send become '?'. (NUL and CR/LF in headers are sent on raw
 * sockets below, where nothing filters them.)
 */
function headerSafe(value: string): string {
  return Buffer.from(value, 'utf8')
    .toString('latin1')
    .replace(/[^\t\x20-\x7e\x80-\xff]/g, '?');
}

function send(baseUrl: string, agent: Agent, req: FuzzRequest): Promise<Answer> {
  return new Promise((resolve) => {
    const url = new URL(baseUrl);
    let settled = false;
    const done = (a: Answer) => {
      if (!settled) {
        settled = true;
        resolve(a);
      }
    };
    let r: ReturnType<typeof httpRequest>;
    // Framed explicitly: Node sends a GET body without Content-Length, and the server would then
    // read the body as a second (garbage) request on the same connection.
    const headers: Record<string, string> = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, headerSafe(v)]));
    if (req.body !== undefined && headers['transfer-encoding'] === undefined)
      headers['content-length'] = String(Buffer.byteLength(req.body));
    try {
      r = httpRequest(
        { host: url.hostname, port: url.port, method: req.method, path: req.path, headers, agent, timeout: REQUEST_TIMEOUT_MS },
        (res) => {
          const isStream = String(res.headers['content-type'] ?? '').startsWith('text/event-stream');
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            size += c.length;
            if (size <= 65_536) chunks.push(c);
            if (isStream) {
              // An open stream never ends by itself: the first bytes are enough.
              done({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') });
              r.destroy();
            }
          });
          res.on('end', () => done({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', () => done({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        },
      );
    } catch (err) {
      // The client refused to send it (e.g. an invalid header character): nothing reached the server.
      done({ status: -1, headers: {}, body: '', error: (err as Error).message });
      return;
    }
    r.on('timeout', () => {
      done({ status: 0, headers: {}, body: '', error: `no answer within ${REQUEST_TIMEOUT_MS} ms` });
      r.destroy();
    });
    r.on('error', (err) => done({ status: 0, headers: {}, body: '', error: err.message }));
    if (req.body !== undefined) r.end(req.body);
    else r.end();
  });
}

const MERCHANT_OR_WEBHOOK = /^\/v1\/(checkouts\/?$|checkouts\/[^/]+\/?$|checkouts\/[^/]+\/refund|webhooks\/)/;

function check(req: FuzzRequest, a: Answer): string | undefined {
  if (a.status === -1) return undefined; // not sent
  if (a.status === 0) return `no HTTP answer (${a.error})`;
  if (a.status >= 500) return `answered ${a.status}: ${a.body.slice(0, 200)}`;
  if (req.mustFail && a.status >= 200 && a.status < 300) return `hostile input accepted with ${a.status}: ${a.body.slice(0, 200)}`;
  if (a.headers['access-control-allow-origin'] !== undefined && MERCHANT_OR_WEBHOOK.test(req.path.split('?')[0]!))
    return `CORS header on a merchant/webhook route: ${a.headers['access-control-allow-origin']}`;
  if (a.status >= 400 && req.method !== 'HEAD') {
    // Every answer of the app carries X-Request-Id; one without it came from Node's HTTP parser.
    const by = a.headers['x-request-id'] === undefined ? " (answered by Node's HTTP parser, before the app)" : '';
    if (!String(a.headers['content-type'] ?? '').includes('application/json'))
      return `${a.status} with content-type "${a.headers['content-type']}"${by}: ${a.body.slice(0, 120)}`;
    let parsed: unknown;
    try {
      parsed = JSON.parse(a.body);
    } catch {
      return `${a.status} with a body that is not JSON${by}: ${a.body.slice(0, 120)}`;
    }
    const error = (parsed as { error?: { type?: unknown; message?: unknown } }).error;
    if (typeof error?.type !== 'string' || typeof error.message !== 'string')
      return `${a.status} without { error: { type, message } }: ${a.body.slice(0, 120)}`;
  }
  return undefined;
}

function describeRequest(req: FuzzRequest): string {
  const body =
    req.body === undefined
      ? ''
      : ` body(${req.body.length}B)=${JSON.stringify((Buffer.isBuffer(req.body) ? req.body.toString('latin1') : req.body).slice(0, 100))}`;
  const headers = Object.entries(req.headers)
    .map(([k, v]) => `${k}: ${JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}…(${v.length})` : v)}`)
    .join('; ');
  return `${req.method} ${req.path.length > 120 ? `${req.path.slice(0, 120)}…(${req.path.length})` : req.path} [${headers}]${body}`;
}

/** Protocol-level garbage on raw sockets: the server must answer 4xx or hang up, and live on. */
const RAW_REQUESTS: string[] = [
  'GARBAGE\r\n\r\n',
  'GET\r\n\r\n',
  'GET / HTTP/9.9\r\nHost: x\r\n\r\n',
  'get /healthz HTTP/1.1\r\nHost: x\r\n\r\n',
  'FOO /healthz HTTP/1.1\r\nHost: x\r\n\r\n',
  `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
  `GET /v1/checkouts/${'i'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`,
  'GET /healthz HTTP/1.1\r\nHost: x\r\nX-Nul: a\u0000b\r\n\r\n',
  'GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header: 1\r\n\r\n',
  'GET /v1/checkouts/x/events HTTP/1.1\r\nHost: x\r\nLast-Event-ID: \u0001\u0002\r\n\r\n',
  'POST /v1/checkouts HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
  'POST /v1/webhooks/connectpsp HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nZZZ\r\nxx\r\n',
  'POST /v1/checkouts HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n',
  'POST /v1/checkouts HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab',
  'POST /v1/checkouts HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"amount":',
  'GET http://evil.example/v1/checkouts HTTP/1.1\r\nHost: evil.example\r\n\r\n',
  'GET * HTTP/1.1\r\nHost: x\r\n\r\n',
  'GET //v1//checkouts HTTP/1.1\r\nHost: x\r\n\r\n',
  'GET /healthz HTTP/1.0\r\n\r\n',
  'GET /healthz\r\n\r\n',
  'OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n',
  'GET /v1/checkouts/%E0%A4%A HTTP/1.1\r\nHost: x\r\n\r\n',
  'GET /v1/checkouts/\u00ff\u00fe HTTP/1.1\r\nHost: x\r\n\r\n',
  `GET /healthz HTTP/1.1\r\nHost: x\r\n${Array.from({ length: 3000 }, (_, i) => `X-H${i}: v`).join('\r\n')}\r\n\r\n`,
  'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n',
  `HEAD /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
  'HEAD /v1/checkouts/%E0%A4%A HTTP/1.1\r\nHost: x\r\n\r\n',
  'HEAD /nope HTTP/1.1\r\nHost: x\r\n\r\n',
];

/**
 * A raw answer: no 5xx; a 4xx carries the JSON error shape — except to HEAD, where any body is a
 * protocol violation (the client would read it as the start of the next response).
 */
function checkRaw(payload: string, status: number | null, raw: string): string | undefined {
  if (status === null) return undefined; // hung up without answering: acceptable for garbage
  if (status >= 500) return `answered ${status}: ${raw.slice(0, 200)}`;
  if (status < 400) return undefined;
  const split = raw.indexOf('\r\n\r\n');
  const head = split < 0 ? raw : raw.slice(0, split);
  const body = split < 0 ? '' : raw.slice(split + 4);
  if (payload.startsWith('HEAD '))
    return body.length > 0 ? `${status} to HEAD with a ${body.length}-byte body: ${JSON.stringify(body.slice(0, 80))}` : undefined;
  if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) return undefined;
  try {
    const error = (JSON.parse(body) as { error?: { type?: unknown; message?: unknown } }).error;
    if (typeof error?.type === 'string' && typeof error.message === 'string') return undefined;
  } catch {
    /* reported below */
  }
  return `${status} without a JSON { error: { type, message } } body: ${JSON.stringify(raw.slice(0, 160))}`;
}

function sendRaw(baseUrl: string, payload: string): Promise<{ status: number | null; raw: string }> {
  const url = new URL(baseUrl);
  return new Promise((resolve) => {
    const socket = connect(Number(url.port), url.hostname);
    let raw = '';
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      socket.destroy();
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(raw);
      resolve({ status: m ? Number(m[1]) : null, raw });
    };
    socket.setTimeout(1500, finish);
    socket.on('data', (d) => {
      raw += d.toString('latin1');
      // Done once one whole answer is in (keep-alive would otherwise hold the socket open).
      const split = raw.indexOf('\r\n\r\n');
      if (split < 0) return;
      const length = /\r\ncontent-length:\s*(\d+)/i.exec(raw.slice(0, split))?.[1];
      if (length !== undefined && raw.length - split - 4 >= Number(length)) setTimeout(finish, 20); // a moment for stray bytes
    });
    socket.on('end', finish);
    socket.on('close', finish);
    socket.on('error', finish);
    socket.write(Buffer.from(payload, 'latin1'));
  });
}

// ---------------------------------------------------------------------------------------------
// Fixtures and snapshots

interface Snapshot {
  views: Record<string, unknown>;
  events: Record<string, unknown>;
  tables: Record<string, unknown[]>;
  webhookLog: Map<string, string>;
  alertCodes: string[];
}

function tableDump(dbFile: string): { tables: Record<string, unknown[]>; webhookLog: Map<string, string>; alertCodes: string[] } {
  const db = new Database(dbFile, { readonly: true, fileMustExist: true });
  try {
    const names = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map(
      (r) => r.name,
    );
    const tables: Record<string, unknown[]> = {};
    const webhookLog = new Map<string, string>();
    let alertCodes: string[] = [];
    for (const name of names) {
      const rows = db.prepare(`SELECT * FROM "${name}" ORDER BY rowid`).all();
      // The webhook log records every verified delivery, hostile ones included ("acknowledged and
      // logged"): rows may be added, existing ones must not change.
      if (name === 'webhook_events')
        for (const row of rows as { dedupe_key: string }[]) webhookLog.set(row.dedupe_key, JSON.stringify(row));
      // Hostile traffic is meant to raise alerts (forged signatures): those are checked by code below.
      else if (name === 'alerts') alertCodes = (rows as { code: string }[]).map((r) => r.code);
      else if (name === 'sqlite_sequence') tables[name] = (rows as { name: string }[]).filter((r) => r.name !== 'alerts');
      else tables[name] = rows;
    }
    return { tables, webhookLog, alertCodes };
  } finally {
    db.close();
  }
}

async function snapshot(server: TestServer, fixtures: Fixture[]): Promise<Snapshot> {
  const views: Record<string, unknown> = {};
  const events: Record<string, unknown> = {};
  for (const f of fixtures) {
    const res = await server.merchant(`/v1/checkouts/${f.checkout.id}`);
    views[f.name] = await res.json();
    events[f.name] = await server.store.eventsAfter(f.checkout.id, 0);
  }
  return { views, events, ...tableDump(join(server.dir, 'checkout.db')) };
}

async function makeFixtures(server: TestServer): Promise<Fixture[]> {
  const pix = async (c: CreatedCheckout) =>
    (await (await server.browser(`/v1/checkouts/${c.id}/pix`, c.clientSecret, { method: 'POST', body: '{}' })).json()) as PixChargeView;
  const status = async (id: string) => ((await (await server.merchant(`/v1/checkouts/${id}`)).json()) as CheckoutView).status;
  const payAndWait = async (c: CreatedCheckout) => {
    const charge = await pix(c);
    const paid = await fetch(`${server.url}/sandbox/cash-in/${charge.transactionId}/pay`, { method: 'POST' });
    assert.equal(paid.status, 200);
    await eventually(async () => (await status(c.id)) === 'paid', 10_000, `${c.id} paid`);
    return charge;
  };
  const open = await server.createCheckout();
  const noPayer = await server.createCheckout({ payer: undefined, metadata: { order: '42' } });
  const awaiting = await server.createCheckout({ amount: 2599 });
  const awaitingCharge = await pix(awaiting);
  const paid = await server.createCheckout({ amount: 3100 });
  const paidCharge = await payAndWait(paid);
  const refunded = await server.createCheckout({ amount: 4200 });
  const refundedCharge = await payAndWait(refunded);
  const refund = await server.merchant(`/v1/checkouts/${refunded.id}/refund`, { method: 'POST', body: '{}' });
  assert.equal(refund.status, 200, await refund.clone().text());
  await eventually(async () => (await status(refunded.id)) === 'refunded', 10_000, 'refunded');
  return [
    { name: 'open', checkout: open, amount: 1050 },
    { name: 'noPayer', checkout: noPayer, amount: 1050 },
    { name: 'awaiting', checkout: awaiting, transactionId: awaitingCharge.transactionId, amount: 2599 },
    { name: 'paid', checkout: paid, transactionId: paidCharge.transactionId, amount: 3100 },
    { name: 'refunded', checkout: refunded, transactionId: refundedCharge.transactionId, amount: 4200 },
  ];
}

/** Uncaught exceptions, one line per distinct error and place, with how often it happened. */
function crashReport(crashes: Error[]): string[] {
  const counts = new Map<string, number>();
  for (const e of crashes) {
    const where =
      e.stack
        ?.split('\n')
        .find((l) => l.includes('/server/'))
        ?.trim() ?? '';
    const key = `${(e as NodeJS.ErrnoException).code ?? e.name}: ${e.message} ${where}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([key, n]) => `${n}× ${key}`);
}

// ---------------------------------------------------------------------------------------------

describe(`fuzz: hostile requests to every route (seed ${SEED})`, () => {
  let server: TestServer;
  let fixtures: Fixture[];
  let before_: Snapshot;
  const crashes: Error[] = [];
  const onCrash = (err: Error) => crashes.push(err);
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });

  before(async () => {
    console.log(`fuzz seed ${SEED} — replay with FUZZ_SEED=${SEED} node --import tsx --test test/server/fuzz.test.ts`);
    // The server runs in this process: an unhandled error in it surfaces here, and is a crash.
    process.on('uncaughtException', onCrash);
    server = await startTestServer({
      // One loopback client sends everything: the limits would answer 429 and hide the routes.
      RATE_LIMIT_PER_MINUTE: '1000000000',
      CHECKOUT_RATE_LIMIT_PER_MINUTE: '1000000000',
      // A signed CASHIN_PAID for a real charge is checked with ConnectPSP before it changes anything.
      CONFIRM_PAYMENTS: 'true',
    });
    fixtures = await makeFixtures(server);
    before_ = await snapshot(server, fixtures);
  });

  after(async () => {
    process.off('uncaughtException', onCrash);
    agent.destroy();
    await server?.destroy();
  });

  it(`sends ${TOTAL}+ hostile requests: no 5xx, JSON errors, no crash, no record changed`, { timeout: 120_000 }, async () => {
    const started = Date.now();
    const rng = rngFrom(SEED);
    const requests = generate(rng, fixtures, TOTAL);
    const failures = new Map<string, { count: number; example: string }>();
    const byKind = new Map<string, number>();
    const statuses = new Map<number, number>();
    const timeByKind = new Map<string, number>();
    let sent = 0;
    const fail = (req: FuzzRequest, index: number, problem: string) => {
      const key = `${req.kind}: ${problem
        .replace(/"requestId":"[^"]+"/, '')
        .replace(/chk_[0-9A-Za-z]+/g, 'chk_…')
        .slice(0, 160)}`;
      const entry = failures.get(key) ?? { count: 0, example: `#${index} ${describeRequest(req)}` };
      entry.count += 1;
      failures.set(key, entry);
    };

    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < requests.length) {
          const index = next++;
          const req = requests[index]!;
          const t = performance.now();
          const answer = await send(server.url, agent, req);
          timeByKind.set(req.kind, (timeByKind.get(req.kind) ?? 0) + performance.now() - t);
          if (answer.status !== -1) sent += 1;
          byKind.set(req.kind, (byKind.get(req.kind) ?? 0) + 1);
          statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
          const problem = check(req, answer);
          if (problem) fail(req, index, problem);
        }
      }),
    );

    // Protocol-level garbage, each a few times.
    const rawStatuses: (number | null)[] = [];
    for (let round = 0; round < 2; round++) {
      const answers = await Promise.all(RAW_REQUESTS.map((payload) => sendRaw(server.url, payload)));
      for (const [i, { status, raw }] of answers.entries()) {
        const payload = RAW_REQUESTS[i]!;
        sent += 1;
        rawStatuses.push(status);
        const problem = checkRaw(payload, status, raw);
        if (problem)
          fail(
            { kind: 'raw socket', method: payload.split(' ', 1)[0]!.slice(0, 10), path: JSON.stringify(payload.slice(0, 80)), headers: {} },
            -1,
            problem,
          );
      }
    }

    const health = await fetch(`${server.url}/healthz`);
    const ready = await fetch(`${server.url}/readyz`);
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    console.log(
      `fuzz: ${sent} requests in ${seconds} s (seed ${SEED}); by kind ${JSON.stringify(Object.fromEntries(byKind))}; statuses ${JSON.stringify(Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])))}; ms by kind ${JSON.stringify(Object.fromEntries([...timeByKind].map(([k, v]) => [k, Math.round(v)])))}; raw-socket statuses ${JSON.stringify(rawStatuses)}`,
    );

    const report = [
      ...crashReport(crashes).map((c) => `uncaught exception in the server (in production: the process dies): ${c}`),
      ...[...failures].map(([key, { count, example }]) => `${count}× ${key}\n      e.g. ${example}`),
    ];
    assert.deepEqual(report, [], `hostile requests got bad answers (seed ${SEED}):\n${report.join('\n')}`);
    assert.ok(sent >= Math.min(3000, TOTAL), `only ${sent} requests were sent`);
    assert.equal(health.status, 200, 'healthz after the fuzz');
    assert.equal(ready.status, 200, 'readyz after the fuzz');
  });

  it('changed no record: fixtures, their events and every table but the webhook log are as before', async () => {
    const after_ = await snapshot(server, fixtures);
    assert.deepEqual(after_.views, before_.views, `merchant views changed (seed ${SEED})`);
    assert.deepEqual(after_.events, before_.events, `status events changed (seed ${SEED})`);
    for (const name of Object.keys(before_.tables))
      assert.deepEqual(after_.tables[name], before_.tables[name], `table ${name} changed (seed ${SEED})`);
    assert.deepEqual(Object.keys(after_.tables).sort(), Object.keys(before_.tables).sort());
    for (const [key, row] of before_.webhookLog)
      assert.equal(after_.webhookLog.get(key), row, `webhook log row ${key} changed (seed ${SEED})`);
    assert.deepEqual(
      [...new Set(after_.alertCodes)].filter((c) => c !== 'WEBHOOK_SIGNATURE_FAILURES'),
      [...new Set(before_.alertCodes)],
      `alerts other than forged signatures (seed ${SEED})`,
    );
  });

  it('a browser resuming with an old Last-Event-ID on a refunded checkout gets its history, and the server lives', async () => {
    // Regression found by the chaos run: the stream ended after `paid`, then wrote `refunded`.
    const refunded = fixtures.find((f) => f.name === 'refunded')!;
    const events = await server.store.eventsAfter(refunded.checkout.id, 0);
    const res = await fetch(
      `${server.url}/v1/checkouts/${refunded.checkout.id}/events?client_secret=${enc(refunded.checkout.clientSecret)}`,
      { headers: { 'last-event-id': String(events[0]!.id) } },
    );
    assert.equal(res.status, 200);
    const text = await res.text();
    assert.match(text, /"status":"paid"/);
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(crashReport(crashes), [], 'the server crashed');
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
  });
});
