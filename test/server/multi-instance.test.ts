/**
 * Three real server instances on one PostgreSQL database behind no load balancer, plus a separate
 * ConnectPSP sandbox process: live status crosses instances, and a stream whose instance dies
 * resumes on another without a lost or repeated status.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import {
  ROUTES,
  isFinalForPayer,
  type CreatedCheckout,
  type PixChargeView,
  type StatusEventData,
} from '../../widget/contract/wire-contract.js';
import { API_KEY, eventually } from './helpers.js';
import { adminQuery, createTestSchema, pgSkip, type TestSchema } from './postgres-helpers.js';
import { openSse } from './sse-reader.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

interface Instance {
  name: string;
  url: string;
  child: ChildProcess;
  output: string[];
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** Runs a TypeScript entry point as its own node process (no tsx wrapper: SIGKILL must hit the server itself). */
function run(name: string, entry: string, url: string, env: Record<string, string>): Instance {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  child.stdout!.on('data', (d: Buffer) => output.push(d.toString()));
  child.stderr!.on('data', (d: Buffer) => output.push(d.toString()));
  return { name, url, child, output };
}

async function waitUntilUp(instance: Instance, path: string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (instance.child.exitCode !== null)
      throw new Error(`${instance.name} exited with ${instance.child.exitCode}:\n${instance.output.join('')}`);
    const res = await fetch(instance.url + path).catch(() => undefined);
    if (res?.ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${instance.name} did not answer ${path} within ${ms} ms:\n${instance.output.join('')}`);
}

async function stop(instance: Instance): Promise<void> {
  const { child } = instance;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

/**
 * What a browser's EventSource does behind a load balancer: on a dropped stream it reconnects
 * after `retry` with Last-Event-ID, and the balancer sends it to whichever instance is up.
 */
function follow(checkout: CreatedCheckout, instances: () => Instance[], first: Instance) {
  const received: { id: number; status: StatusEventData['status']; via: string }[] = [];
  let target = first;
  let connected!: () => void;
  const firstConnection = new Promise<void>((resolve) => (connected = resolve));
  let stopped = false;
  const done = (async () => {
    for (let attempt = 0; attempt < 50 && !stopped; attempt++) {
      const last = received.at(-1);
      const url = `${target.url}${ROUTES.events(checkout.id)}?client_secret=${encodeURIComponent(checkout.clientSecret)}`;
      const stream = await openSse(url, last ? { 'last-event-id': String(last.id) } : {}).catch(() => undefined);
      if (stream?.response.status === 204) return;
      if (stream?.response.status === 200) {
        connected();
        for (;;) {
          const frame = await stream.next(30_000).catch(() => null);
          if (!frame) break;
          const data = JSON.parse(frame.data) as StatusEventData;
          received.push({ id: Number(frame.id), status: data.status, via: target.name });
          if (isFinalForPayer(data.status)) return;
        }
      }
      // The balancer's next pick: round-robin over the instances still listed.
      const live = instances();
      target = live[(live.indexOf(target) + 1) % live.length] ?? live[0]!;
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  return { received, firstConnection, done, stop: () => (stopped = true) };
}

describe('three instances on one PostgreSQL', { skip: pgSkip, timeout: 90_000 }, () => {
  let schema: TestSchema;
  let sandbox: Instance;
  let a: Instance;
  let b: Instance;
  let c: Instance;
  let sandboxUrl: string;

  before(async () => {
    schema = await createTestSchema();
    const [sandboxPort, portA, portB, portC] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
    sandboxUrl = `http://127.0.0.1:${sandboxPort}`;
    const webhookUrlOf = (port: number) => `http://127.0.0.1:${port}${ROUTES.connectpspWebhook}`;
    sandbox = run('sandbox', 'server/sandbox/main.ts', sandboxUrl, {
      SANDBOX_PORT: String(sandboxPort),
      SANDBOX_HOST: '127.0.0.1',
      SANDBOX_WEBHOOK_URL: webhookUrlOf(portA),
    });
    const instance = (name: string, port: number) =>
      run(name, 'server/main.ts', `http://127.0.0.1:${port}`, {
        PORT: String(port),
        HOST: '127.0.0.1',
        PUBLIC_URL: `http://127.0.0.1:${port}`,
        DATABASE_URL: schema.url(),
        CONNECTPSP_ENV: 'sandbox',
        CONNECTPSP_BASE_URL: `${sandboxUrl}/sandbox/connectpsp`,
        CHECKOUT_API_KEY: API_KEY,
        SSE_HEARTBEAT_SECONDS: '2',
        LOG_LEVEL: 'warn',
      });
    // All three start at once: their migrations race, and exactly one of them may do the work.
    [a, b, c] = [instance('A', portA), instance('B', portB), instance('C', portC)];
    await Promise.all([waitUntilUp(sandbox, '/sandbox/webhooks'), ...[a, b, c].map((i) => waitUntilUp(i, '/readyz'))]);
  });

  after(async () => {
    await Promise.all([a, b, c, sandbox].filter(Boolean).map(stop));
    await schema?.drop();
  });

  const merchant = (instance: Instance, path: string, body?: unknown) =>
    fetch(instance.url + path, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const createCheckout = async (instance: Instance) => {
    const res = await merchant(instance, '/v1/checkouts', {
      amount: 2590,
      externalReference: `multi-${Date.now()}-${Math.random()}`,
      payer: { name: 'Maria Silva', document: '12345678909' },
    });
    assert.equal(res.status, 201);
    return (await res.json()) as CreatedCheckout;
  };
  const createCharge = async (instance: Instance, checkout: CreatedCheckout) => {
    const res = await fetch(instance.url + ROUTES.pix(checkout.id), {
      method: 'POST',
      headers: { authorization: `Bearer ${checkout.clientSecret}`, 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(res.status, 200);
    return (await res.json()) as PixChargeView;
  };
  const pay = async (charge: PixChargeView) =>
    assert.equal((await fetch(`${sandboxUrl}/sandbox/cash-in/${charge.transactionId}/pay`, { method: 'POST' })).status, 200);

  it('migrated once although three instances started together', async () => {
    const versions = await adminQuery<{ version: number }>(`SELECT version FROM ${schema.name}.schema_migrations`);
    assert.deepEqual(versions.map((v) => v.version).sort(), [1, 2, 3, 4]);
  });

  it('a checkout paid through A reaches the streams held on B and C', async () => {
    const checkout = await createCheckout(a);
    const charge = await createCharge(a, checkout);
    const eventsUrl = (i: Instance) => `${i.url}${ROUTES.events(checkout.id)}?client_secret=${encodeURIComponent(checkout.clientSecret)}`;
    const streams = await Promise.all([b, c].map((i) => openSse(eventsUrl(i))));
    for (const s of streams) assert.equal(JSON.parse((await s.next())!.data).status, 'awaiting_payment');

    await pay(charge);
    for (const s of streams) {
      const frame = (await s.next(10_000))!;
      assert.equal(JSON.parse(frame.data).status, 'paid');
    }
    // The sandbox logs an attempt once A has answered it, which can be after the streams got paid.
    const paidWebhook = await eventually(
      async () => {
        const deliveries = (await (await fetch(`${sandboxUrl}/sandbox/webhooks`)).json()) as {
          transactionId: string;
          url: string;
          status: number | null;
        }[];
        const forCharge = deliveries.filter((d) => d.transactionId === charge.transactionId);
        return forCharge.length > 0 ? forCharge : undefined;
      },
      5000,
      'the sandbox to log the webhook',
    );
    assert.ok(paidWebhook.length > 0 && paidWebhook.every((d) => d.url.startsWith(a.url)), 'the webhook landed on A');
    streams.forEach((s) => s.close());
  });

  it('when B is killed, its clients resume on another instance with no status lost or repeated', async () => {
    const checkouts = await Promise.all([1, 2, 3, 4].map(() => createCheckout(a)));
    let live = [a, b, c];
    const clients = checkouts.map((checkout) => follow(checkout, () => live, b));
    await Promise.all(clients.map((client) => client.firstConnection));
    await new Promise((r) => setTimeout(r, 200)); // each has its first frame (`open`) from B

    b.child.kill('SIGKILL');
    await new Promise((resolve) => b.child.once('exit', resolve));
    live = [a, c];

    // Status changes while B's clients are between connections: a new code, then the payment.
    const charges = await Promise.all(checkouts.map((checkout) => createCharge(a, checkout)));
    await Promise.all(charges.map(pay));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(clients.map((client) => client.done)), new Promise((r) => (timer = setTimeout(r, 20_000)))]);
    clearTimeout(timer);
    clients.forEach((client) => client.stop());

    for (const [i, client] of clients.entries()) {
      const stored = await adminQuery<{ id: string }>(`SELECT id FROM ${schema.name}.checkout_events WHERE checkout_id = $1 ORDER BY id`, [
        checkouts[i]!.id,
      ]);
      assert.deepEqual(
        client.received.map((r) => r.status),
        ['open', 'awaiting_payment', 'paid'],
        `client ${i} saw ${JSON.stringify(client.received)}`,
      );
      assert.deepEqual(
        client.received.map((r) => r.id),
        stored.map((s) => Number(s.id)),
      );
      assert.equal(client.received[0]!.via, 'B');
      assert.ok(
        client.received.slice(1).every((r) => r.via !== 'B'),
        'resumed elsewhere',
      );
    }
  });
});
