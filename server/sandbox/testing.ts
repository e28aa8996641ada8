/**
 * Helpers for integration tests against the sandbox, ours and merchants': a sandbox served on a
 * free loopback port, a minimal signed API caller, and a webhook receiver that records what it
 * gets. Node only (it listens on sockets).
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { createSandboxApp } from './app.js';
import { SANDBOX_CREDENTIALS, type ConnectPspCredentials } from './defaults.js';
import type { Sandbox, SandboxOptions } from './sandbox.js';
import { hmacSha256Hex } from './signing.js';

export interface RunningSandbox {
  /** `http://127.0.0.1:<port>/sandbox`, where the control routes live. */
  publicUrl: string;
  /** `…/sandbox/connectpsp`, the base URL a ConnectPSP client uses. */
  apiUrl: string;
  credentials: ConnectPspCredentials;
  sandbox: Sandbox;
  close(): Promise<void>;
}

export type TestSandboxOptions = Omit<SandboxOptions, 'publicUrl' | 'credentials'> & { credentials?: ConnectPspCredentials };

/** Serves a sandbox on `127.0.0.1:<free port>`; the port is bound first so `publicUrl` is right. */
export async function startSandboxServer(options: TestSandboxOptions = {}): Promise<RunningSandbox> {
  const server = createServer();
  const port = await listen(server);
  const publicUrl = `http://127.0.0.1:${port}/sandbox`;
  const credentials = options.credentials ?? { ...SANDBOX_CREDENTIALS };
  const app = createSandboxApp({ ...options, credentials, publicUrl });
  server.on('request', app);
  return {
    publicUrl,
    apiUrl: `${publicUrl}/connectpsp`,
    credentials,
    sandbox: app.sandbox,
    async close() {
      await app.sandbox.close();
      await closeServer(server);
    },
  };
}

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

export interface ApiCallOptions {
  body?: unknown;
  /** Adds `DigitalSignature`. */
  signed?: boolean;
  idempotencyKey?: string;
  /** Extra or overriding headers; `undefined` removes a default one. */
  headers?: Record<string, string | undefined>;
}

/** A caller of the emulated API that gets a token first and sends the headers the docs require. */
export class SandboxApiClient {
  private accessToken: string | undefined;

  constructor(
    readonly apiUrl: string,
    readonly credentials: ConnectPspCredentials,
  ) {}

  async token(): Promise<string> {
    if (!this.accessToken) {
      const response = await this.request('POST', '/auth/token', {
        body: { clientId: this.credentials.clientId, clientSecret: this.credentials.clientSecret },
        headers: { authorization: undefined, applicationtoken: undefined },
      });
      if (response.status !== 200) throw new Error(`auth failed: ${response.status} ${JSON.stringify(response.body)}`);
      this.accessToken = response.body.accessToken as string;
    }
    return this.accessToken;
  }

  /** Forgets the token, so the next call authenticates again. */
  resetToken(): void {
    this.accessToken = undefined;
  }

  async request<T = any>(method: string, path: string, options: ApiCallOptions = {}): Promise<ApiResponse<T>> {
    const isAuth = path === '/auth/token';
    const token = isAuth ? undefined : await this.token();
    const headers: Record<string, string | undefined> = {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}`, applicationtoken: this.credentials.applicationToken } : {}),
      ...(options.signed && token ? { digitalsignature: hmacSha256Hex(this.credentials.cryptoToken, token) } : {}),
      ...(options.idempotencyKey ? { 'x-idempotency-key': options.idempotencyKey } : {}),
      ...options.headers,
    };
    const response = await fetch(this.apiUrl + path, {
      method,
      headers: Object.fromEntries(Object.entries(headers).filter((entry): entry is [string, string] => entry[1] !== undefined)),
      ...(options.body !== undefined ? { body: typeof options.body === 'string' ? options.body : JSON.stringify(options.body) } : {}),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
  }
}

/** POSTs JSON to a control route (`/sandbox/cash-in/:id/pay`, `/sandbox/faults`, …). */
export async function postControl<T = any>(publicUrl: string, path: string, body?: unknown, method = 'POST'): Promise<ApiResponse<T>> {
  const response = await fetch(publicUrl + path, {
    method,
    ...(body !== undefined ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}

export interface ReceivedWebhook {
  path: string;
  headers: IncomingHttpHeaders;
  /** The exact bytes received, for signature checks. */
  rawBody: string;
  body: any;
}

/** Decides the HTTP status for the n-th (0-based) webhook received; may wait before answering. */
export type WebhookResponder = (hook: ReceivedWebhook, index: number) => number | Promise<number>;

export interface WebhookReceiver {
  url: string;
  received: ReceivedWebhook[];
  /** Changes how the next webhooks are answered (default: 200). */
  respondWith(responder: WebhookResponder): void;
  /** Resolves once `count` webhooks have arrived; rejects after `timeoutMs`. */
  waitFor(count: number, timeoutMs?: number): Promise<ReceivedWebhook[]>;
  close(): Promise<void>;
}

/** An HTTP server on a free loopback port that records every request and answers 200 by default. */
export async function startWebhookReceiver(responder: WebhookResponder = () => 200): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  const waiters = new Set<() => void>();
  let respond = responder;
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const rawBody = Buffer.concat(chunks).toString('utf8');
    let body: unknown;
    try {
      body = JSON.parse(rawBody);
    } catch {
      body = undefined;
    }
    const hook: ReceivedWebhook = { path: req.url ?? '/', headers: req.headers, rawBody, body };
    const index = received.push(hook) - 1;
    for (const wake of waiters) wake();
    let status = 500;
    try {
      status = await respond(hook, index);
    } finally {
      if (!res.destroyed) res.writeHead(status).end();
    }
  });
  const port = await listen(server);
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    respondWith(next) {
      respond = next;
    },
    waitFor(count, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (received.length < count) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(received.slice());
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`expected ${count} webhooks within ${timeoutMs} ms, got ${received.length}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    close: () => closeServer(server),
  };
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
