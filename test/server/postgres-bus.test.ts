import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PgEventBus } from '../../server/bus/pg-bus.js';
import { PgStore } from '../../server/store/postgres-store.js';
import { eventually } from './helpers.js';
import { adminQuery, createTestSchema, pgSkip, TEST_DATABASE_URL, type TestSchema } from './postgres-helpers.js';
import { checkoutRecord, firstEvent } from './store-fixtures.js';

/** Counts calls, so a test can say "exactly once". */
function counter() {
  const fn = () => void fn.calls++;
  fn.calls = 0;
  return fn;
}

const settle = (ms = 150) => new Promise((r) => setTimeout(r, ms));

describe('PgEventBus', { skip: pgSkip }, () => {
  let a: PgEventBus;
  let b: PgEventBus;
  before(async () => {
    a = await PgEventBus.connect(TEST_DATABASE_URL!, { reconnectDelayMs: 50 });
    b = await PgEventBus.connect(TEST_DATABASE_URL!, { reconnectDelayMs: 50 });
  });
  after(async () => {
    await a?.close();
    await b?.close();
  });

  it('a publish on one instance wakes the subscribers of that checkout on every instance, once each', async () => {
    const id = `chk_bus_${Date.now()}`;
    const onA = counter();
    const onB = counter();
    const otherCheckout = counter();
    const offA = a.subscribe(id, onA);
    const offB = b.subscribe(id, onB);
    const offOther = b.subscribe(`${id}_other`, otherCheckout);
    a.publish(id);
    assert.equal(onA.calls, 1, 'local subscribers are woken at once, not after a round trip');
    await eventually(async () => onB.calls === 1, 3000, 'the NOTIFY to reach instance B');
    await settle();
    assert.equal(onA.calls, 1, 'the publisher does not wake its own subscribers again from its NOTIFY');
    assert.equal(onB.calls, 1);
    assert.equal(otherCheckout.calls, 0);
    offA();
    offB();
    offOther();
    assert.equal(a.size, 0);
    assert.equal(b.size, 0);
  });

  it('ids published in a burst all arrive', async () => {
    const ids = Array.from({ length: 200 }, (_, i) => `chk_burst_${Date.now()}_${i}`);
    const woken = new Set<string>();
    const offs = ids.map((id) => b.subscribe(id, () => woken.add(id)));
    for (const id of ids) a.publish(id);
    await eventually(async () => woken.size === ids.length, 5000, 'every id of the burst');
    offs.forEach((off) => off());
  });

  it('after its connection is cut it reconnects, wakes every local subscriber once, and hears notices again', async () => {
    const id = `chk_reconnect_${Date.now()}`;
    const onB = counter();
    const off = b.subscribe(id, onB);
    const oldPid = b.backendPid!;
    await adminQuery('SELECT pg_terminate_backend($1)', [oldPid]);
    await eventually(async () => b.backendPid !== undefined && b.backendPid !== oldPid, 5000, 'the bus to reconnect');
    // Whatever was notified while it was away is unknown: its streams are told to re-read.
    await eventually(async () => onB.calls === 1, 2000, 'the wake-up after reconnecting');
    a.publish(id);
    await eventually(async () => onB.calls === 2, 3000, 'a notice after reconnecting');
    off();
  });

  it('close() ends it; publishing afterwards still wakes nothing and throws nothing', async () => {
    const bus = await PgEventBus.connect(TEST_DATABASE_URL!);
    const listener = counter();
    bus.subscribe('chk_closed', listener);
    await bus.close();
    assert.equal(bus.backendPid, undefined);
    assert.equal(bus.size, 0);
    bus.publish('chk_closed');
    assert.equal(listener.calls, 0);
  });
});

describe('PgEventBus sweep: an event whose NOTIFY never came', { skip: pgSkip }, () => {
  let schema: TestSchema;
  let store: PgStore;
  before(async () => {
    schema = await createTestSchema();
    store = await PgStore.open(schema.url());
  });
  after(async () => {
    await store?.close();
    await schema?.drop();
  });

  // What an instance that died between its commit and its NOTIFY leaves behind: the event is in
  // the table, and no instance was told. The store writes without publishing; only the service
  // publishes, so a write straight through the store is exactly that.
  async function commitWithoutNotify() {
    const checkout = checkoutRecord();
    await store.createCheckout(checkout, firstEvent(checkout));
    return checkout.id;
  }

  it('wakes the streams of that checkout on the next sweep, and only those', async () => {
    const before = await commitWithoutNotify(); // committed before the bus started: not swept
    const bus = await PgEventBus.connect(schema.url(), { sweepMs: 100 });
    try {
      const onBefore = counter();
      bus.subscribe(before, onBefore);
      const id = await commitWithoutNotify();
      const onIt = counter();
      const onOther = counter();
      bus.subscribe(id, onIt);
      bus.subscribe(`${id}_other`, onOther);
      await eventually(async () => onIt.calls >= 1, 3000, 'the sweep to wake the stream');
      await settle(400); // several sweeps: the overlapping window wakes it at most once more
      assert.ok(onIt.calls <= 2, `woken ${onIt.calls} times`);
      assert.equal(onOther.calls, 0);
      assert.equal(onBefore.calls, 0, 'history from before the bus connected is not swept');
    } finally {
      await bus.close();
    }
  });

  it('with sweeping off, nothing wakes it: the NOTIFY was the only path', async () => {
    const bus = await PgEventBus.connect(schema.url(), { sweepMs: 0 });
    try {
      const onIt = counter();
      const id = await commitWithoutNotify();
      bus.subscribe(id, onIt);
      await settle(500);
      assert.equal(onIt.calls, 0);
    } finally {
      await bus.close();
    }
  });
});
