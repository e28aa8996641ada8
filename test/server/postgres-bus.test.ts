import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PgEventBus } from '../../server/bus/pg-bus.js';
import { eventually } from './helpers.js';
import { adminQuery, pgSkip, TEST_DATABASE_URL } from './postgres-helpers.js';

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
