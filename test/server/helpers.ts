import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../server/config.js';
import { createLogger } from '../../server/logger.js';
import { startServer, type RunningServer } from '../../server/server.js';
import type { CreatedCheckout } from '../../widget/contract/wire-contract.js';

export const API_KEY = 'sk_test_0123456789abcdef';
export const VALID_CPF = '12345678909';

export interface TestServer extends RunningServer {
  dir: string;
  /** Merchant API call with the API key. */
  merchant(path: string, init?: RequestInit): Promise<Response>;
  createCheckout(body?: Record<string, unknown>): Promise<CreatedCheckout>;
  /** Browser call with a client secret. */
  browser(path: string, secret: string, init?: RequestInit): Promise<Response>;
  /** Stops the server and deletes its data directory. */
  destroy(): Promise<void>;
}

let counter = 0;

/**
 * A whole companion server on a random port with its embedded sandbox and a SQLite file in a fresh
 * temp directory: the same code path `npm start` runs.
 */
export async function startTestServer(
  env: Record<string, string> = {},
  dir = mkdtempSync(join(tmpdir(), 'cpc-test-')),
): Promise<TestServer> {
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    CHECKOUT_API_KEY: API_KEY,
    DATABASE_URL: `sqlite:${join(dir, 'checkout.db')}`,
    LOG_LEVEL: 'silent',
    ...env,
  });
  const running = await startServer(config, { logger: createLogger('silent') });
  const merchant = (path: string, init: RequestInit = {}) =>
    fetch(running.url + path, {
      ...init,
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json', ...(init.headers as Record<string, string>) },
    });
  return {
    ...running,
    dir,
    merchant,
    async createCheckout(body = {}) {
      const res = await merchant('/v1/checkouts', {
        method: 'POST',
        body: JSON.stringify({
          amount: 1050,
          externalReference: `order-${process.pid}-${Date.now()}-${++counter}`,
          description: 'Pedido de teste',
          payer: { name: 'Maria Silva', document: VALID_CPF },
          ...body,
        }),
      });
      if (res.status !== 201) throw new Error(`create checkout: ${res.status} ${await res.text()}`);
      return (await res.json()) as CreatedCheckout;
    },
    browser(path, secret, init = {}) {
      return fetch(running.url + path, {
        ...init,
        headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json', ...(init.headers as Record<string, string>) },
      });
    },
    async destroy() {
      await running.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function postJson(url: string, body: unknown = {}): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

/** Polls `check` until it returns a value, or fails after `ms`. For async effects like webhooks. */
export async function eventually<T>(check: () => Promise<T | undefined | false>, ms = 5000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A TCP port free on 127.0.0.1 right now, for a child process that must be told its port. */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}
