import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig, SANDBOX_CHECKOUT_API_KEY } from '../../server/config.js';
import { SANDBOX_CREDENTIALS } from '../../server/sandbox/defaults.js';

describe('loadConfig', () => {
  it('defaults to sandbox mode with the embedded sandbox, printed defaults and a SQLite file', () => {
    const c = loadConfig({});
    assert.equal(c.mode, 'sandbox');
    assert.equal(c.embeddedSandbox, true);
    assert.equal(c.port, 3000);
    assert.equal(c.checkoutApiKey, SANDBOX_CHECKOUT_API_KEY);
    assert.equal(c.credentials.cryptoToken, SANDBOX_CREDENTIALS.cryptoToken);
    assert.deepEqual(c.database, { kind: 'sqlite', filename: './data/connectpsp-checkout.db' });
    assert.equal(c.defaultedCredentials.length, 6);
    assert.equal(c.confirmPayments, false);
    assert.equal(c.allowedOrigins, '*');
  });

  it('prepares PostgreSQL statements unless told not to, and names a bad value', () => {
    const url = 'postgres://app@db.internal/checkout';
    const timeouts = { statementTimeoutMs: 5000, connectTimeoutMs: 5000 };
    assert.deepEqual(loadConfig({ DATABASE_URL: url }).database, { kind: 'postgres', url, preparedStatements: true, ...timeouts });
    assert.deepEqual(loadConfig({ DATABASE_URL: url, DATABASE_PREPARED_STATEMENTS: 'false' }).database, {
      kind: 'postgres',
      url,
      preparedStatements: false,
      ...timeouts,
    });
    assert.throws(() => loadConfig({ DATABASE_URL: url, DATABASE_PREPARED_STATEMENTS: 'sometimes' }), /DATABASE_PREPARED_STATEMENTS/);
  });

  it('bounds PostgreSQL statements and connection waits, configurably, and caps event streams per checkout', () => {
    const url = 'postgres://app@db.internal/checkout';
    const config = loadConfig({
      DATABASE_URL: url,
      DATABASE_STATEMENT_TIMEOUT_MS: '750',
      DATABASE_CONNECT_TIMEOUT_MS: '400',
      SSE_MAX_STREAMS_PER_CHECKOUT: '3',
    });
    assert.deepEqual(config.database, { kind: 'postgres', url, preparedStatements: true, statementTimeoutMs: 750, connectTimeoutMs: 400 });
    assert.equal(config.sseMaxStreamsPerCheckout, 3);
    assert.equal(loadConfig({}).sseMaxStreamsPerCheckout, 5);
    assert.throws(() => loadConfig({ DATABASE_URL: url, DATABASE_STATEMENT_TIMEOUT_MS: 'soon' }), /DATABASE_STATEMENT_TIMEOUT_MS/);
  });

  it('lists every problem at once against a real host', () => {
    assert.throws(
      () => loadConfig({ CONNECTPSP_ENV: 'production' }),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        for (const key of [
          'CONNECTPSP_CLIENT_ID',
          'CONNECTPSP_CLIENT_SECRET',
          'CONNECTPSP_APPLICATION_TOKEN',
          'CONNECTPSP_CRYPTO_TOKEN',
          'CHECKOUT_API_KEY',
          'PUBLIC_URL',
        ]) {
          assert.match(err.message, new RegExp(key));
        }
        return true;
      },
    );
  });

  it('accepts a complete live configuration and picks the real host', () => {
    const c = loadConfig({
      CONNECTPSP_ENV: 'staging',
      CONNECTPSP_CLIENT_ID: '123',
      CONNECTPSP_CLIENT_SECRET: 'secret',
      CONNECTPSP_APPLICATION_TOKEN: 'app-token',
      CONNECTPSP_CRYPTO_TOKEN: 'crypto',
      CHECKOUT_API_KEY: 'sk_live_0123456789abcdef',
      PUBLIC_URL: 'https://pay.example.com/',
      ALLOWED_ORIGINS: 'https://shop.example.com, https://www.example.com',
    });
    assert.equal(c.connectpspBaseUrl, 'https://api.homologacao.connectpsp.com');
    assert.equal(c.embeddedSandbox, false);
    assert.equal(c.publicUrl, 'https://pay.example.com');
    assert.deepEqual(c.allowedOrigins, ['https://shop.example.com', 'https://www.example.com']);
    assert.deepEqual(c.defaultedCredentials, ['MERCHANT_WEBHOOK_SECRET']);
    assert.equal(c.confirmPayments, true, 'live mode confirms payments with ConnectPSP by default');
  });

  it('wants a merchant webhook secret with a merchant webhook URL against a real host', () => {
    const live = {
      CONNECTPSP_ENV: 'production',
      CONNECTPSP_CLIENT_ID: '1',
      CONNECTPSP_CLIENT_SECRET: 's',
      CONNECTPSP_APPLICATION_TOKEN: 'a',
      CONNECTPSP_CRYPTO_TOKEN: 'c',
      CHECKOUT_API_KEY: 'sk_live_0123456789abcdef',
      PUBLIC_URL: 'https://pay.example.com',
      MERCHANT_WEBHOOK_URL: 'https://shop.example.com/hooks',
    };
    assert.throws(() => loadConfig(live), /MERCHANT_WEBHOOK_SECRET/);
    assert.throws(() => loadConfig({ ...live, MERCHANT_WEBHOOK_SECRET: 'whsec_c2hvcnQ=' }), /24 random bytes/);
    const secret = 'whsec_' + Buffer.alloc(32, 7).toString('base64');
    assert.equal(loadConfig({ ...live, MERCHANT_WEBHOOK_SECRET: secret }).merchantWebhookSecret, secret);
  });

  it('names each malformed variable', () => {
    assert.throws(
      () => loadConfig({ PORT: 'eighty', CONNECTPSP_ENV: 'prod', DATABASE_URL: 'mysql://x', ALLOWED_ORIGINS: 'shop' }),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.match(err.message, /PORT/);
        assert.match(err.message, /CONNECTPSP_ENV/);
        return true;
      },
    );
    assert.throws(
      () => loadConfig({ DATABASE_URL: 'mysql://x', ALLOWED_ORIGINS: 'shop' }),
      /DATABASE_URL[\s\S]*ALLOWED_ORIGINS|ALLOWED_ORIGINS[\s\S]*DATABASE_URL/,
    );
    assert.throws(() => loadConfig({ CHECKOUT_API_KEY: 'short' }), /CHECKOUT_API_KEY/);
  });

  it('points a sandbox-mode server at a separate sandbox process with CONNECTPSP_BASE_URL', () => {
    const c = loadConfig({ CONNECTPSP_BASE_URL: 'http://127.0.0.1:4010/sandbox/connectpsp' });
    assert.equal(c.embeddedSandbox, false);
    assert.equal(c.connectpspBaseUrl, 'http://127.0.0.1:4010/sandbox/connectpsp');
  });
});
