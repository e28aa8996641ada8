/**
 * The SQLite store's group commit: writes that arrive in one turn of the event loop share one
 * transaction, yet each stays whole and alone — one that fails is undone without touching the
 * others, none is answered before it is committed, and closing the store writes what is waiting.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { SqliteStore } from '../../server/store/sqlite-store.js';
import { DuplicateExternalReferenceError } from '../../server/store/store.js';
import { checkoutRecord, firstEvent } from './store-fixtures.js';

describe('SqliteStore group commit', () => {
  let dir: string;
  let file: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'cpc-group-commit-'));
    file = join(dir, 'store.db');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('undoes a failing write alone: the writes batched with it are committed', async () => {
    const store = new SqliteStore(file);
    try {
      const a = checkoutRecord();
      const clash = checkoutRecord({ externalReference: a.externalReference });
      const c = checkoutRecord();
      // Issued in the same turn, so they land in the same commit.
      const results = await Promise.allSettled([
        store.createCheckout(a, firstEvent(a)),
        store.createCheckout(clash, firstEvent(clash)),
        store.createCheckout(c, firstEvent(c)),
      ]);
      assert.equal(results[0].status, 'fulfilled');
      assert.equal(results[2].status, 'fulfilled');
      assert.equal(results[1].status, 'rejected');
      assert.ok((results[1] as PromiseRejectedResult).reason instanceof DuplicateExternalReferenceError);
      assert.deepEqual(await store.getCheckout(a.id), a);
      assert.deepEqual(await store.getCheckout(c.id), c);
      assert.equal(await store.getCheckout(clash.id), undefined);
      assert.deepEqual(await store.eventsAfter(clash.id, 0), []);
      assert.equal((await store.eventsAfter(c.id, 0)).length, 1);
    } finally {
      await store.close();
    }
  });

  it('undoes the whole of a failing write, also the statements that had succeeded', async () => {
    const store = new SqliteStore(file);
    try {
      const response = () => ({ status: 201, body: {}, requestHash: 'h' });
      const first = checkoutRecord();
      const late = checkoutRecord();
      // `late` inserts its checkout and its event, then fails on the idempotency key `first` took.
      const results = await Promise.allSettled([
        store.createCheckout(first, firstEvent(first), { key: 'same-key', requestHash: 'h', response }),
        store.createCheckout(late, firstEvent(late), { key: 'same-key', requestHash: 'h', response }),
      ]);
      assert.deepEqual(
        results.map((r) => r.status),
        ['fulfilled', 'rejected'],
      );
      assert.equal(await store.getCheckout(late.id), undefined);
      assert.deepEqual(await store.eventsAfter(late.id, 0), []);
      assert.deepEqual(await store.getCheckout(first.id), first);
    } finally {
      await store.close();
    }
  });

  it('answers a write only once it is committed: another connection sees it then, not before', async () => {
    const store = new SqliteStore(file);
    const reader = new Database(file, { readonly: true });
    try {
      const checkouts = Array.from({ length: 20 }, () => checkoutRecord());
      const count = () =>
        (
          reader
            .prepare(`SELECT COUNT(*) AS n FROM checkouts WHERE id IN (${checkouts.map(() => '?').join(',')})`)
            .get(...checkouts.map((c) => c.id)) as { n: number }
        ).n;
      const writes = checkouts.map((c) => store.createCheckout(c, firstEvent(c)));
      assert.equal(count(), 0, 'nothing is committed within the turn that asked for it');
      await Promise.all(writes);
      assert.equal(count(), checkouts.length);
    } finally {
      reader.close();
      await store.close();
    }
  });

  it('writes what is still waiting when the store closes', async () => {
    const store = new SqliteStore(file);
    const checkout = checkoutRecord();
    const write = store.createCheckout(checkout, firstEvent(checkout));
    await store.close();
    await write;
    const reopened = new SqliteStore(file);
    try {
      assert.deepEqual(await reopened.getCheckout(checkout.id), checkout);
    } finally {
      await reopened.close();
    }
  });
});
