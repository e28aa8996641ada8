/**
 * SIGTERM on the real command (`connectpsp-checkout-server start`, what `npm start`, the container
 * and the bin run): readiness says 503 at once, an open stream gets a last `retry:` frame and ends
 * cleanly, a request in flight completes, the process exits 0 within the drain. A second signal
 * exits at once.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, get, request, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { eventually, freePort, VALID_CPF } from './helpers.js';

const API_KEY = 'sk_test_shutdown_0123456789';

interface Started {
  child: ChildProcess;
  base: string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  output: () => string;
}

async function startCli(dir: string, env: Record<string, string> = {}): Promise<Started> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/cli.ts', 'start'], {
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: `sqlite:${join(dir, 'db.sqlite')}`,
      CHECKOUT_API_KEY: API_KEY,
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, at: Date.now() })),
  );
  const base = `http://127.0.0.1:${port}`;
  await eventually(
    () =>
      fetch(`${base}/healthz`)
        .then((r) => r.ok)
        .catch(() => false),
    30_000,
    `the server on ${base} (output: ${out})`,
  );
  return { child, base, exit, output: () => out };
}

async function merchant(base: string, path: string, body: unknown): Promise<Response> {
  return fetch(base + path, {
    method: 'POST',
    headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

/** GET over a given (keep-alive) agent; resolves with the status and the body text. */
function getOver(agent: Agent, url: string): Promise<{ status: number; body: string; connection: string | undefined }> {
  return new Promise((resolve, reject) => {
    get(url, { agent }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, connection: res.headers.connection }));
    }).on('error', reject);
  });
}

/** An SSE stream read on the wire: every byte, and whether it ended cleanly or was cut. */
function openStream(url: string): Promise<{ text: () => string; ended: Promise<'clean' | 'cut'>; firstFrame: Promise<void> }> {
  return new Promise((resolve, reject) => {
    get(url, { headers: { accept: 'text/event-stream' } }, (res: IncomingMessage) => {
      if (res.statusCode !== 200) return reject(new Error(`stream answered ${res.statusCode}`));
      let text = '';
      let onFrame: () => void = () => {};
      const firstFrame = new Promise<void>((r) => (onFrame = r));
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        text += d;
        if (text.includes('event: status')) onFrame();
      });
      // 'end' only fires for a response that finished its chunked encoding; a cut socket gives
      // 'aborted'/'error' (or 'close' without 'end').
      const ended = new Promise<'clean' | 'cut'>((r) => {
        res.on('end', () => r('clean'));
        res.on('aborted', () => r('cut'));
        res.on('error', () => r('cut'));
        res.on('close', () => r(res.complete ? 'clean' : 'cut'));
      });
      resolve({ text: () => text, ended, firstFrame });
    }).on('error', reject);
  });
}

function postInFlight(url: string, secret: string, body: unknown): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const payload = JSON.stringify(body);
    const req = request(
      url,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
      },
      (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

describe('graceful shutdown of `connectpsp-checkout-server start`', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'cpc-shutdown-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('SIGTERM: readyz 503 at once, the stream gets retry: and ends cleanly, the request in flight completes, exit 0 within the drain', async () => {
    const server = await startCli(dir, { SHUTDOWN_DRAIN_SECONDS: '10' });
    try {
      const created = await merchant(server.base, '/v1/checkouts', {
        amount: 2500,
        externalReference: `shutdown-${Date.now()}`,
        payer: { name: 'Maria Silva', document: VALID_CPF },
      });
      assert.equal(created.status, 201);
      const { id, clientSecret } = (await created.json()) as { id: string; clientSecret: string };

      const stream = await openStream(`${server.base}/v1/checkouts/${id}/events?client_secret=${encodeURIComponent(clientSecret)}`);
      await stream.firstFrame;

      // A keep-alive connection opened before the signal, to ask /readyz once the listener is closed.
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      assert.equal((await getOver(agent, `${server.base}/readyz`)).status, 200);

      // The gateway answers the charge creation slowly: that request is in flight at SIGTERM.
      const faults = await fetch(`${server.base}/sandbox/faults`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ delayNext: { count: 1, ms: 1500, path: '/cash-in' } }),
      });
      assert.equal(faults.status, 200);
      const inFlight = postInFlight(`${server.base}/v1/checkouts/${id}/pix`, clientSecret, {});
      // The delay has been taken by the sandbox: the request is inside the gateway call.
      await eventually(
        async () => {
          const state = (await (await fetch(`${server.base}/sandbox/faults`)).json()) as { delayNext?: { count: number } | null };
          return !state.delayNext || state.delayNext.count === 0;
        },
        5000,
        'the slow gateway call to start',
      );

      const signalledAt = Date.now();
      server.child.kill('SIGTERM');

      const ready = await eventually(
        async () => {
          const r = await getOver(agent, `${server.base}/readyz`).catch(() => undefined);
          return r && r.status !== 200 ? r : undefined;
        },
        2000,
        'readyz to stop saying 200',
      );
      assert.equal(ready.status, 503);
      assert.match(ready.body, /draining/);

      assert.equal(await stream.ended, 'clean', 'the stream ends cleanly, not cut');
      assert.match(stream.text(), /retry: \d+\n\n$/, 'the last frame of the stream is a retry:');

      const answer = await inFlight;
      assert.equal(answer.status, 200, `the request in flight completes: ${answer.body}`);
      assert.match(answer.body, /copyAndPaste/);

      const exit = await server.exit;
      assert.equal(exit.code, 0, server.output());
      assert.ok(exit.at - signalledAt < 10_000, `exits within the drain (took ${exit.at - signalledAt} ms)`);
      agent.destroy();
    } finally {
      server.child.kill('SIGKILL');
    }
  });

  it('a second signal exits at once, without waiting for the drain', async () => {
    const server = await startCli(dir, { SHUTDOWN_DRAIN_SECONDS: '60' });
    try {
      const created = await merchant(server.base, '/v1/checkouts', {
        amount: 1200,
        externalReference: `shutdown-twice-${Date.now()}`,
        payer: { name: 'Maria Silva', document: VALID_CPF },
      });
      const { id, clientSecret } = (await created.json()) as { id: string; clientSecret: string };
      await fetch(`${server.base}/sandbox/faults`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ delayNext: { count: 1, ms: 30_000, path: '/cash-in' } }),
      });
      const inFlight = postInFlight(`${server.base}/v1/checkouts/${id}/pix`, clientSecret, {}).catch(() => 'cut');
      await eventually(
        async () => {
          const state = (await (await fetch(`${server.base}/sandbox/faults`)).json()) as { delayNext?: { count: number } | null };
          return !state.delayNext || state.delayNext.count === 0;
        },
        5000,
        'the slow gateway call to start',
      );

      server.child.kill('SIGTERM');
      await eventually(async () => /draining/.test(server.output()), 5000, 'the drain to start');
      const secondAt = Date.now();
      server.child.kill('SIGTERM');
      const exit = await server.exit;
      assert.equal(exit.code, 143);
      assert.ok(exit.at - secondAt < 3000, `exits at once (took ${exit.at - secondAt} ms)`);
      assert.equal(await inFlight, 'cut');
    } finally {
      server.child.kill('SIGKILL');
    }
  });
});
