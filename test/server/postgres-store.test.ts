/**
 * What only PostgreSQL has to prove: several instances (here, several pools) on one database at
 * once. The shared contract is in store-contract.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PgStore } from '../../server/store/postgres-store.js';
import { adminQuery, createTestSchema, pgSkip, type TestSchema } from './postgres-helpers.js';
import { chargeRecord, checkoutAwaitingPayment } from './store-fixtures.js';

describe('PgStore across instances', { skip: pgSkip }, () => {
  let schema: TestSchema;
  let a: PgStore;
  let b: PgStore;
  before(async () => {
    schema = await createTestSchema();
    a = await PgStore.open(schema.url());
    b = await PgStore.open(schema.url());
  });
  after(async () => {
    await a?.close();
    await b?.close();
    await schema?.drop();
  });

  it('three instances starting at once migrate the schema exactly once', async () => {
    const fresh = await createTestSchema();
    try {
      const stores = await Promise.all([1, 2, 3].map(() => PgStore.open(fresh.url())));
      const versions = await adminQuery<{ version: number }>(`SELECT version FROM ${fresh.name}.schema_migrations ORDER BY version`);
      assert.deepEqual(
        versions.map((v) => v.version),
        [1, 2, 3, 4],
      );
      assert.deepEqual(await Promise.all(stores.map((s) => s.ping())), [true, true, true]);
      await Promise.all(stores.map((s) => s.close()));
    } finally {
      await fresh.drop();
    }
  });

  it('the same payment applied by two instances at once is applied once', async () => {
    for (let round = 0; round < 20; round++) {
      const { checkout, charge } = await checkoutAwaitingPayment(a);
      const pay = (store: PgStore) =>
        store.transition(checkout.id, 'paid', {
          patch: { endToEndId: 'E1', paidAt: new Date().toISOString() },
          charge: { transactionId: charge.transactionId, status: 'paid', endToEndId: 'E1' },
          merchantEvent: ({ changed, checkout: c }) =>
            changed ? { dedupeKey: `${c.id}:checkout.paid`, type: 'checkout.paid', data: { id: c.id } } : null,
        });
      const results = await Promise.all([pay(a), pay(b), pay(a), pay(b)]);
      assert.equal(results.filter((r) => r.changed).length, 1, `round ${round}: exactly one instance applies paid`);
      const statuses = (await b.eventsAfter(checkout.id, 0)).map((e) => e.data.status);
      assert.deepEqual(statuses, ['open', 'awaiting_payment', 'paid']);
    }
    const outbox = await a.getMerchantEvents(1000);
    assert.equal(outbox.length, 20, 'one merchant notification per payment');
  });

  it('a stream resuming by id never skips an event that commits late', async () => {
    // Two instances append to one checkout as fast as they can while a reader follows it with
    // `id > lastSeen`, as a stream does; it must end up with every event, in order.
    const { checkout } = await checkoutAwaitingPayment(a);
    let writing = true;
    const seen: number[] = [];
    const reader = (async () => {
      let last = 0;
      for (;;) {
        const done = !writing;
        for (const event of await b.eventsAfter(checkout.id, last)) {
          seen.push(event.id);
          last = event.id;
        }
        if (done) return;
      }
    })();
    const writer = (store: PgStore) => Promise.all(Array.from({ length: 40 }, () => store.saveCharge(chargeRecord(checkout.id), 'unused')));
    await Promise.all([writer(a), writer(b)]);
    writing = false;
    await reader;
    const all = (await a.eventsAfter(checkout.id, 0)).map((e) => e.id);
    assert.equal(all.length, 82);
    assert.deepEqual(seen, all);
  });

  it('two instances claiming the outbox at once never take the same message', async () => {
    const tag = `race-${Date.now()}`;
    for (let i = 0; i < 60; i++) await a.enqueueMerchantEvent({ dedupeKey: `${tag}-${i}`, type: 'cashout.completed', data: { tag } });
    const now = new Date().toISOString();
    const lease = new Date(Date.now() + 60_000).toISOString();
    const claims = await Promise.all([a, b, a, b].map((s) => s.claimDueMerchantEvents(now, lease, 25)));
    const ids = claims
      .flat()
      .filter((m) => (m.data as { tag?: string }).tag === tag)
      .map((m) => m.id);
    assert.equal(ids.length, 60);
    assert.equal(new Set(ids).size, 60);
  });

  it('reads the same ISO times whatever the session time zone', async () => {
    const saoPaulo = await PgStore.open(schema.url({ TimeZone: 'America/Sao_Paulo' }));
    try {
      const { checkout, charge } = await checkoutAwaitingPayment(saoPaulo);
      assert.deepEqual(await a.getCheckout(checkout.id), await saoPaulo.getCheckout(checkout.id));
      assert.equal((await saoPaulo.getCharge(charge.transactionId))!.expiresAt, charge.expiresAt);
    } finally {
      await saoPaulo.close();
    }
  });
});

describe('PgStore prepared statements', { skip: pgSkip }, () => {
  let schema: TestSchema;
  before(async () => {
    schema = await createTestSchema();
  });
  after(async () => {
    await schema?.drop();
  });

  it('keep working on every connection when a later migration adds a column (a rolling deploy)', async () => {
    const store = await PgStore.open(schema.url());
    try {
      const { checkout, charge } = await checkoutAwaitingPayment(store);
      // Many at once, so that most of the pool's connections prepare the reads.
      const readAll = () =>
        Promise.all(
          Array.from({ length: 30 }, () =>
            Promise.all([store.getCheckout(checkout.id), store.getCharge(charge.transactionId), store.listCharges(checkout.id)]),
          ),
        );
      await readAll();
      await adminQuery(`ALTER TABLE ${schema.name}.checkouts ADD COLUMN added_by_a_newer_version text`);
      await adminQuery(`ALTER TABLE ${schema.name}.charges ADD COLUMN added_by_a_newer_version text`);
      for (const [read, charged, charges] of await readAll()) {
        assert.deepEqual(read, checkout);
        assert.deepEqual(charged, charge);
        assert.deepEqual(charges, [charge]);
      }
    } finally {
      await store.close();
    }
  });

  it('work the same with preparation off (behind a pooler in transaction mode)', async () => {
    const store = await PgStore.open(schema.url(), { preparedStatements: false });
    try {
      const { checkout, charge } = await checkoutAwaitingPayment(store);
      assert.deepEqual(await store.getCheckout(checkout.id), checkout);
      assert.deepEqual(await store.listCharges(checkout.id), [charge]);
    } finally {
      await store.close();
    }
  });
});
