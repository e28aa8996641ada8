/**
 * Issue fault 1: the database goes away during requests. No pool, client or SQLite error may end
 * the process; requests answer 503 with Retry-After (never 500); /readyz says 503 within a second;
 * everything recovers with no restart. PostgreSQL is reached through a TCP proxy of our own, so a
 * connection can be cut or frozen mid-query without touching the database.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TcpProxy } from '../../chaos/tcp-proxy.js';
import { ROUTES, type ErrorBody } from '../../widget/contract/wire-contract.js';
import { PgStore } from '../../server/store/postgres-store.js';
import { webhookSignature } from '../../server/connectpsp/signing.js';
import { SANDBOX_CREDENTIALS } from '../../server/sandbox/defaults.js';
import { checkoutAwaitingPayment } from './store-fixtures.js';
import { eventually, startTestServer, type TestServer } from './helpers.js';
import { createTestSchema, pgSkip, TEST_DATABASE_URL, type TestSchema } from './postgres-helpers.js';

describe('SQLite busy or failing: 503 with Retry-After, not 500', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    await server.destroy();
  });

  it('a busy database file answers 503 unavailable with Retry-After, and the next request works', async () => {
    const checkout = await server.createCheckout();
    const store = server.store;
    const getCheckout = store.getCheckout;
    store.getCheckout = async () => {
      throw Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
    };
    try {
      const res = await server.merchant(ROUTES.checkout(checkout.id));
      assert.equal(res.status, 503);
      assert.equal(res.headers.get('retry-after'), '2');
      assert.equal(((await res.json()) as ErrorBody).error.type, 'unavailable');
    } finally {
      store.getCheckout = getCheckout;
    }
    assert.equal((await server.merchant(ROUTES.checkout(checkout.id))).status, 200);
  });
});

describe('an event stream whose reads fail', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    await server.destroy();
  });

  it('a notice whose read fails while the stream is still opening ends it cleanly (503), and the process lives', async () => {
    const checkout = await server.createCheckout();
    const store = server.store;
    const { latestEvent, eventsAfter } = store;
    let release!: () => void;
    let reached!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const subscribedAndReading = new Promise<void>((r) => (reached = r));
    let pulls = 0;
    store.latestEvent = async (id) => {
      reached();
      await gate;
      return latestEvent.call(store, id);
    };
    store.eventsAfter = async () => {
      pulls += 1;
      throw new Error('Connection terminated unexpectedly');
    };
    try {
      const answer = fetch(`${server.url}${ROUTES.events(checkout.id)}?client_secret=${encodeURIComponent(checkout.clientSecret)}`);
      await subscribedAndReading;
      server.bus.publish(checkout.id); // the notice's read fails before the stream is open
      await eventually(async () => pulls > 0, 2000, 'the notice read');
      release();
      const res = await answer;
      assert.equal(res.status, 503);
    } finally {
      store.latestEvent = latestEvent;
      store.eventsAfter = eventsAfter;
    }
    assert.equal((await fetch(server.url + '/healthz')).status, 200);
  });
});

describe('PostgreSQL behind a TCP proxy that cuts and freezes connections', { skip: pgSkip }, () => {
  let schema: TestSchema;
  let proxy: TcpProxy;
  before(async () => {
    schema = await createTestSchema();
    const target = new URL(TEST_DATABASE_URL!);
    proxy = await TcpProxy.start({ host: target.hostname, port: Number(target.port || 5432) });
  });
  after(async () => {
    await proxy?.close();
    await schema?.drop();
  });

  for (const preparedStatements of [true, false]) {
    it(
      `connections cut mid-query and mid-transaction end no process, and the store recovers by itself (prepared statements ${preparedStatements})`,
      { timeout: 30_000 },
      async () => {
        const store = await PgStore.open(proxy.urlFor(schema.url()), { preparedStatements, statementTimeoutMs: 1000 });
        try {
          const { checkout, charge } = await checkoutAwaitingPayment(store);
          // Statements and transactions in flight for a while, every connection cut under them again and again.
          const work: Promise<unknown>[] = [];
          const until = Date.now() + 600;
          const load = (async () => {
            while (Date.now() < until) {
              const batch = Array.from({ length: 10 }, (_, i) =>
                i % 2 === 0
                  ? store.getCheckout(checkout.id)
                  : store.transition(checkout.id, 'paid', {
                      charge: { transactionId: charge.transactionId, status: 'paid', endToEndId: 'E1' },
                    }),
              );
              work.push(...batch);
              await Promise.allSettled(batch);
            }
          })();
          let cuts = 0;
          while (Date.now() < until) {
            await new Promise((r) => setTimeout(r, 15));
            cuts += proxy.cut();
          }
          await load;
          await Promise.allSettled(work);
          // The process is still here (an unhandled 'error' on a checked-out client would have ended it).
          assert.ok(cuts > 0, 'connections were cut');
          // Recovery with no restart: the pool opens fresh connections.
          await eventually(async () => (await store.ping().catch(() => false)) === true, 5000, 'the store answering again');
          assert.equal((await store.getCheckout(checkout.id))?.id, checkout.id);
        } finally {
          await store.close();
        }
      },
    );
  }

  it('a frozen network: statements give up within the statement timeout instead of hanging', { timeout: 30_000 }, async () => {
    const store = await PgStore.open(proxy.urlFor(schema.url()), { statementTimeoutMs: 500, connectTimeoutMs: 500 });
    try {
      assert.equal(await store.ping(), true);
      proxy.freeze();
      await assert.rejects(store.ping(), (err: Error) => /timeout/i.test(err.message));
      proxy.thaw();
      await eventually(async () => (await store.ping().catch(() => false)) === true, 5000, 'the store answering again');
    } finally {
      proxy.thaw();
      await store.close();
    }
  });

  describe('the whole server', () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer({
        DATABASE_URL: proxy.urlFor(schema.url()),
        DATABASE_STATEMENT_TIMEOUT_MS: '500',
        DATABASE_CONNECT_TIMEOUT_MS: '500',
      });
    });
    after(async () => {
      proxy.thaw();
      proxy.refuse(false);
      await server?.destroy();
    });

    it('during an outage routes and the webhook answer 503 with Retry-After, /readyz says 503 at once, and it all recovers', async () => {
      const checkout = await server.createCheckout();
      proxy.freeze();
      proxy.cut();
      proxy.refuse();
      try {
        const ready = await fetch(server.url + '/readyz');
        assert.equal(ready.status, 503);
        const read = await server.merchant(ROUTES.checkout(checkout.id));
        assert.equal(read.status, 503);
        assert.ok(Number(read.headers.get('retry-after')) > 0);
        assert.equal(((await read.json()) as ErrorBody).error.type, 'unavailable');
        const session = await server.browser(ROUTES.session(checkout.id), checkout.clientSecret);
        assert.equal(session.status, 503);
        // A verified webhook that cannot be written down is 503 too: ConnectPSP delivers it again.
        const body = JSON.stringify({
          eventType: 'CASHIN_PAID',
          eventAt: new Date().toISOString(),
          data: {
            transactionId: 'tx_outage',
            internalCode: 'X',
            externalReference: 'r',
            endToEndId: 'E1',
            status: 'PAID',
            amount: 10.5,
            payer: null,
          },
        });
        const hook = await fetch(server.url + ROUTES.connectpspWebhook, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-connect-signature': webhookSignature(body, SANDBOX_CREDENTIALS.cryptoToken) },
          body,
        });
        assert.equal(hook.status, 503);
        assert.ok(hook.headers.get('retry-after'));
      } finally {
        proxy.refuse(false);
        proxy.thaw();
      }
      await eventually(async () => (await fetch(server.url + '/readyz')).status === 200, 10_000, '/readyz ready again');
      assert.equal((await server.merchant(ROUTES.checkout(checkout.id))).status, 200);
    });
  });
});
