import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ROUTES, type PixChargeView } from '../../widget/contract/wire-contract.js';
import { eventually, postJson, startTestServer, VALID_CPF, type TestServer } from './helpers.js';

const PASSWORD = 'correct horse battery staple';
let server: TestServer;
before(async () => {
  // A merchant endpoint that is down, so notifications pile up in the outbox with attempts.
  server = await startTestServer({
    CONSOLE_PASSWORD: PASSWORD,
    MERCHANT_WEBHOOK_URL: 'http://127.0.0.1:9/hooks',
    SANDBOX_CASHOUT_SETTLE_MS: '3600000',
  });
});
after(async () => {
  await server.destroy();
});

interface Session {
  cookie: string;
  csrf: string;
  get(path: string): Promise<Response>;
  post(path: string, body?: unknown, headers?: Record<string, string>): Promise<Response>;
}

let clients = 0;
async function signIn(password = PASSWORD, from = `10.1.0.${++clients}`): Promise<Session> {
  const res = await fetch(`${server.url}/console/api/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': from },
    body: JSON.stringify({ password }),
  });
  assert.equal(res.status, 200, await res.clone().text());
  const setCookie = res.headers.get('set-cookie') ?? '';
  const cookie = setCookie.split(';')[0]!;
  const { csrfToken } = (await res.json()) as { csrfToken: string };
  const get = (path: string) => fetch(`${server.url}/console/api${path}`, { headers: { cookie } });
  const post = (path: string, body: unknown = {}, headers: Record<string, string> = {}) =>
    fetch(`${server.url}/console/api${path}`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json', 'x-csrf-token': csrfToken, 'sec-fetch-site': 'same-origin', ...headers },
      body: JSON.stringify(body),
    });
  return { cookie, csrf: csrfToken, get, post };
}

async function paidCheckout(externalReference: string) {
  const checkout = await server.createCheckout({ externalReference });
  const res = await server.browser(ROUTES.pix(checkout.id), checkout.clientSecret, { method: 'POST', body: '{}' });
  const charge = (await res.json()) as PixChargeView;
  await postJson(`${server.url}/sandbox/cash-in/${charge.transactionId}/pay`);
  await eventually(
    async () => ((await (await server.merchant(ROUTES.checkout(checkout.id))).json()) as { status: string }).status === 'paid',
  );
  return checkout;
}

describe('operator console', () => {
  it('is off without CONSOLE_PASSWORD', async () => {
    const plain = await startTestServer();
    try {
      assert.equal((await fetch(`${plain.url}/console`)).status, 404);
      assert.equal((await postJson(`${plain.url}/console/api/session`, { password: 'x' })).status, 404);
    } finally {
      await plain.destroy();
    }
  });

  it('serves its page under the strict CSP', async () => {
    const res = await fetch(`${server.url}/console`);
    assert.equal(res.status, 200);
    const csp = res.headers.get('content-security-policy') ?? '';
    assert.match(csp, /script-src 'self'/);
    assert.doesNotMatch(csp, /unsafe-inline/);
    const html = await res.text();
    assert.doesNotMatch(html, /<script>(?!<\/script>)|<style|style=/);
  });

  it('signs in with an HttpOnly SameSite=Strict cookie; refuses wrong passwords, then rate-limits them', async () => {
    const res = await fetch(`${server.url}/console/api/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': '10.0.0.1' },
      body: JSON.stringify({ password: PASSWORD }),
    });
    const setCookie = res.headers.get('set-cookie') ?? '';
    assert.match(setCookie, /HttpOnly/);
    assert.match(setCookie, /SameSite=Strict/);
    assert.match(setCookie, /Path=\/console/);
    const wrong = () =>
      fetch(`${server.url}/console/api/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': '10.0.0.2' },
        body: JSON.stringify({ password: 'guess' }),
      });
    const statuses = [];
    for (let i = 0; i < 7; i++) statuses.push((await wrong()).status);
    assert.deepEqual(statuses, [401, 401, 401, 401, 401, 429, 429]);
    assert.match((await wrong()).headers.get('retry-after') ?? '', /^\d+$/);
    // The right password from that address is refused too until the window passes: no guessing around the limit.
    const blocked = await fetch(`${server.url}/console/api/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': '10.0.0.2' },
      body: JSON.stringify({ password: PASSWORD }),
    });
    assert.equal(blocked.status, 429);
    assert.equal((await postJson(`${server.url}/console/api/session`, {})).status, 400);
  });

  it('every API call needs the session, and every action its CSRF token from the same origin', async () => {
    assert.equal((await fetch(`${server.url}/console/api/checkouts`)).status, 401);
    assert.equal(
      (
        await fetch(`${server.url}/console/api/checkouts`, {
          headers: { cookie: 'cpc_console=1.aaaaaaaaaaaaaaaaaaaaaaaa.bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb' },
        })
      ).status,
      401,
    );
    const s = await signIn();
    assert.equal((await s.get('/checkouts')).status, 200);
    const checkout = await server.createCheckout();
    const noToken = await fetch(`${server.url}/console/api/checkouts/${checkout.id}/cancel`, {
      method: 'POST',
      headers: { cookie: s.cookie, 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(noToken.status, 403);
    assert.equal((await s.post(`/checkouts/${checkout.id}/cancel`, {}, { 'sec-fetch-site': 'cross-site' })).status, 403);
    assert.equal(
      ((await (await server.merchant(ROUTES.checkout(checkout.id))).json()) as { status: string }).status,
      'open',
      'nothing was cancelled',
    );
    const ok = await s.post(`/checkouts/${checkout.id}/cancel`);
    assert.equal(ok.status, 200);
  });

  it('finds a paid checkout by externalReference and shows its timeline; a refund changes it', async () => {
    const s = await signIn();
    const ref = `console-order-${process.pid}`;
    const checkout = await paidCheckout(ref);
    const found = (await (await s.get(`/checkouts?q=${encodeURIComponent(ref)}`)).json()) as { data: { id: string }[] };
    assert.deepEqual(
      found.data.map((c) => c.id),
      [checkout.id],
    );
    const byStatus = (await (await s.get('/checkouts?status=paid')).json()) as { data: { status: string }[] };
    assert.ok(byStatus.data.length >= 1 && byStatus.data.every((c) => c.status === 'paid'));
    assert.equal((await s.get('/checkouts?status=bogus')).status, 400);

    const timeline = async () =>
      (await (await s.get(`/checkouts/${checkout.id}`)).json()) as {
        checkout: { status: string; charges: { endToEndId: string }[] };
        statusEvents: { status: string }[];
        webhooks: { eventType: string; verdict: string }[];
        deliveries: { type: string; attempts: unknown[] }[];
      };
    const first = await timeline();
    assert.deepEqual(
      first.statusEvents.map((e) => e.status),
      ['open', 'awaiting_payment', 'paid'],
    );
    assert.deepEqual(
      first.webhooks.map((w) => [w.eventType, w.verdict]),
      [['CASHIN_PAID', 'applied']],
    );
    const e2e = first.checkout.charges[0]!.endToEndId;
    assert.deepEqual(
      ((await (await s.get(`/checkouts?q=${e2e}`)).json()) as { data: { id: string }[] }).data.map((c) => c.id),
      [checkout.id],
    );
    await eventually(
      async () => (await timeline()).deliveries.some((d) => d.type === 'checkout.paid' && d.attempts.length > 0),
      5000,
      'a delivery attempt',
    );

    const refund = await s.post(`/checkouts/${checkout.id}/refund`);
    assert.ok(refund.status === 200 || refund.status === 202);
    const after = await eventually(async () => {
      const t = await timeline();
      return t.checkout.status === 'refunded' && t;
    });
    assert.deepEqual(
      after.statusEvents.map((e) => e.status),
      ['open', 'awaiting_payment', 'paid', 'refunded'],
    );
    assert.equal(JSON.stringify(after).includes(VALID_CPF), false, 'no full CPF');
  });

  it('persists alerts with their action and resolves them', async () => {
    const s = await signIn();
    const big = await s.post(
      '/payouts',
      {
        amount: 999_999_999,
        externalReference: `console-big-${process.pid}`,
        payee: { name: 'Ana Lima', document: VALID_CPF, destination: { type: 'PIX', pixKeyType: 'CPF', pixKey: VALID_CPF } },
      },
      { 'idempotency-key': `big-${process.pid}` },
    );
    assert.equal(big.status, 422);
    const alerts = await eventually(async () => {
      const list = (await (await s.get('/alerts')).json()) as { data: { id: number; code: string; action: string }[] };
      return list.data.find((a) => a.code === 'INSUFFICIENT_FUNDS');
    });
    assert.match(alerts.action, /rebalance/i);
    assert.equal((await s.post(`/alerts/${alerts.id}/resolve`)).status, 200);
    assert.equal((await s.post(`/alerts/${alerts.id}/resolve`)).status, 404);
    const open = (await (await s.get('/alerts')).json()) as { data: { id: number }[] };
    assert.equal(
      open.data.some((a) => a.id === alerts.id),
      false,
    );
    const all = (await (await s.get('/alerts?all=1')).json()) as { data: { id: number; resolvedAt: string | null }[] };
    assert.ok(all.data.find((a) => a.id === alerts.id)?.resolvedAt);
  });

  it('lists the outbox backlog with each attempt and redelivers now', async () => {
    const s = await signIn();
    const outbox = await eventually(async () => {
      const o = (await (await s.get('/outbox')).json()) as {
        backlog: number;
        data: { id: string; attempts: { answer: string }[]; nextAttemptAt: string }[];
      };
      return o.data.some((m) => m.attempts.length > 0) && o;
    });
    assert.ok(outbox.backlog >= 1);
    const message = outbox.data.find((m) => m.attempts.length > 0)!;
    const attemptsBefore = message.attempts.length;
    assert.equal((await s.post(`/outbox/${message.id}/redeliver`)).status, 200);
    await eventually(
      async () => {
        const o = (await (await s.get('/outbox')).json()) as { data: { id: string; attempts: unknown[] }[] };
        return (o.data.find((m) => m.id === message.id)?.attempts.length ?? 0) > attemptsBefore;
      },
      5000,
      'another attempt',
    );
    assert.equal((await s.post('/outbox/msg_000000000000000000000000/redeliver')).status, 404);
  });

  it('creates payouts (key required, CPF key masked), reads balances and rebalances', async () => {
    const s = await signIn();
    const body = {
      amount: 1_234,
      externalReference: `console-po-${process.pid}`,
      payee: { name: 'Ana Lima', document: VALID_CPF, destination: { type: 'PIX', pixKeyType: 'CPF', pixKey: VALID_CPF } },
    };
    assert.equal((await s.post('/payouts', body)).status, 400);
    const created = await s.post('/payouts', body, { 'idempotency-key': `po-${process.pid}` });
    assert.equal(created.status, 202);
    const again = await s.post('/payouts', body, { 'idempotency-key': `po-${process.pid}` });
    assert.equal(((await again.json()) as { id: string }).id, ((await created.json()) as { id: string }).id);
    const list = await (await s.get('/payouts')).text();
    assert.equal(list.includes(VALID_CPF), false, 'no full CPF, not even as a PIX key');
    const balance = (await (await s.get('/balance')).json()) as { consolidated: { transactionalBalance: number } };
    const target = balance.consolidated.transactionalBalance + 5_000;
    const rebalanced = (await (await s.post('/balance/rebalance', { targetAmount: target })).json()) as {
      balance: { consolidated: { transactionalBalance: number } };
    };
    assert.equal(rebalanced.balance.consolidated.transactionalBalance, target);
    assert.equal((await s.post('/balance/rebalance', { targetAmount: -5 })).status, 400);
  });
});
