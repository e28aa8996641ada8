import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ROUTES, type PixChargeView } from '../../widget/contract/wire-contract.js';
import { loadConfig } from '../../server/config.js';
import { createLogger } from '../../server/logger.js';
import { startServer } from '../../server/server.js';
import { SANDBOX_CREDENTIALS } from '../../server/sandbox/defaults.js';
import { API_KEY, VALID_CPF, eventually, postJson, startTestServer } from './helpers.js';

describe('rate limits', () => {
  it('answers 429 with Retry-After past the per-checkout limit, and other checkouts are unaffected', async () => {
    const server = await startTestServer({ CHECKOUT_RATE_LIMIT_PER_MINUTE: '5' });
    try {
      const a = await server.createCheckout();
      const b = await server.createCheckout();
      const statuses: number[] = [];
      for (let i = 0; i < 7; i++) statuses.push((await server.browser(ROUTES.session(a.id), a.clientSecret)).status);
      assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429, 429]);
      const limited = await server.browser(ROUTES.session(a.id), a.clientSecret);
      assert.equal(limited.status, 429);
      assert.ok(Number(limited.headers.get('retry-after')) >= 1);
      assert.equal(((await limited.json()) as { error: { type: string } }).error.type, 'rate_limited');
      assert.equal((await server.browser(ROUTES.session(b.id), b.clientSecret)).status, 200);
      // Merchant routes are not browser-limited.
      assert.equal((await server.merchant(ROUTES.checkout(a.id))).status, 200);
    } finally {
      await server.destroy();
    }
  });

  it('limits one client across checkouts', async () => {
    const server = await startTestServer({ RATE_LIMIT_PER_MINUTE: '3' });
    try {
      const ids = await Promise.all([server.createCheckout(), server.createCheckout(), server.createCheckout(), server.createCheckout()]);
      const statuses = [];
      for (const c of ids) statuses.push((await server.browser(ROUTES.session(c.id), c.clientSecret)).status);
      assert.deepEqual(statuses, [200, 200, 200, 429]);
    } finally {
      await server.destroy();
    }
  });
});

describe('headers', () => {
  it('every answer carries security headers; API answers forbid running or framing anything', async () => {
    const server = await startTestServer();
    try {
      for (const path of ['/healthz', '/v1/checkouts/chk_x/session', '/nope']) {
        const res = await fetch(server.url + path);
        assert.equal(res.headers.get('x-content-type-options'), 'nosniff', path);
        assert.equal(res.headers.get('referrer-policy'), 'no-referrer', path);
        assert.ok(res.headers.get('x-request-id'), path);
        assert.equal(res.headers.get('x-powered-by'), null, path);
        assert.equal(res.headers.get('etag'), null, `${path}: no body is hashed for a conditional GET nobody makes`);
      }
      const api = await fetch(server.url + '/v1/checkouts/chk_x/session');
      assert.match(api.headers.get('content-security-policy') ?? '', /default-src 'none'/);
      // The webhook route never sends CORS headers, even to a browser that asks.
      const hook = await fetch(server.url + ROUTES.connectpspWebhook, {
        method: 'POST',
        headers: { origin: 'https://evil.example' },
        body: '{}',
      });
      assert.equal(hook.headers.get('access-control-allow-origin'), null);
    } finally {
      await server.destroy();
    }
  });

  it('answers only the listed origins when ALLOWED_ORIGINS is set', async () => {
    const server = await startTestServer({ ALLOWED_ORIGINS: 'https://shop.example' });
    try {
      const c = await server.createCheckout();
      const good = await server.browser(ROUTES.session(c.id), c.clientSecret, { headers: { origin: 'https://shop.example' } });
      assert.equal(good.headers.get('access-control-allow-origin'), 'https://shop.example');
      const bad = await server.browser(ROUTES.session(c.id), c.clientSecret, { headers: { origin: 'https://evil.example' } });
      assert.equal(bad.headers.get('access-control-allow-origin'), null);
    } finally {
      await server.destroy();
    }
  });
});

describe('metrics', () => {
  it('serves Prometheus text with webhook latency, open streams, gateway calls and outbox backlog', async () => {
    const server = await startTestServer();
    try {
      const c = await server.createCheckout();
      const charge = (await (
        await server.browser(ROUTES.pix(c.id), c.clientSecret, { method: 'POST', body: '{}' })
      ).json()) as PixChargeView;
      await postJson(`${server.url}/sandbox/cash-in/${charge.transactionId}/pay`);
      await eventually(async () =>
        (await (await fetch(server.url + '/metrics')).text()).includes('connectpsp_webhook_ingest_seconds_count{outcome="applied"} 1'),
      );
      const text = await (await fetch(server.url + '/metrics')).text();
      assert.match(text, /connectpsp_sse_open_streams \d+/);
      assert.match(text, /connectpsp_gateway_calls_total\{path="\/cash-in",outcome="ok",code=""\} 1/);
      assert.match(text, /connectpsp_merchant_outbox_backlog 1/); // checkout.paid waits: no MERCHANT_WEBHOOK_URL here
    } finally {
      await server.destroy();
    }
  });

  it('wants the token when METRICS_TOKEN is set', async () => {
    const server = await startTestServer({ METRICS_TOKEN: 'metrics-secret' });
    try {
      assert.equal((await fetch(server.url + '/metrics')).status, 401);
      assert.equal((await fetch(server.url + '/metrics', { headers: { authorization: 'Bearer metrics-secret' } })).status, 200);
    } finally {
      await server.destroy();
    }
  });
});

describe('logs', () => {
  it('a whole payment, with errors along the way, writes no secret, client secret or full document to any log line', async () => {
    const lines: string[] = [];
    const dir = mkdtempSync(join(tmpdir(), 'cpc-logs-'));
    const config = loadConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      CHECKOUT_API_KEY: API_KEY,
      DATABASE_URL: `sqlite:${join(dir, 'db.sqlite')}`,
      LOG_LEVEL: 'debug',
    });
    const server = await startServer(config, { logger: createLogger('debug', {}, (l) => lines.push(l)) });
    try {
      const auth = { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' };
      const c = (await (
        await fetch(server.url + '/v1/checkouts', {
          method: 'POST',
          headers: auth,
          body: JSON.stringify({ amount: 990, externalReference: 'log-1', payer: { name: 'Maria Silva', document: VALID_CPF } }),
        })
      ).json()) as { id: string; clientSecret: string };
      const charge = (await (
        await fetch(server.url + ROUTES.pix(c.id), { method: 'POST', headers: { authorization: `Bearer ${c.clientSecret}` } })
      ).json()) as PixChargeView;
      const stream = await fetch(`${server.url}${ROUTES.events(c.id)}?client_secret=${c.clientSecret}`);
      await fetch(server.url + ROUTES.session(c.id) + '?client_secret=wrong');
      await fetch(server.url + ROUTES.connectpspWebhook, {
        method: 'POST',
        headers: { 'x-connect-signature': 'f'.repeat(64) },
        body: '{}',
      });
      await postJson(`${server.url}/sandbox/cash-in/${charge.transactionId}/pay`);
      await eventually(async () => lines.some((l) => l.includes('webhook applied')));
      await stream.body?.cancel();
    } finally {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
    const text = lines.join('\n');
    assert.ok(lines.length > 5);
    for (const l of lines) JSON.parse(l); // every line is JSON
    for (const secret of [
      API_KEY,
      SANDBOX_CREDENTIALS.clientSecret,
      SANDBOX_CREDENTIALS.cryptoToken,
      SANDBOX_CREDENTIALS.applicationToken,
      VALID_CPF,
      '_secret_',
    ]) {
      assert.ok(!text.includes(secret), `log contains ${secret}`);
    }
  });
});
