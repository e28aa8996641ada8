/** The payout half of the `Store` contract, against SQLite and (with TEST_DATABASE_URL) PostgreSQL. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { planPayoutFromCashOut, type PayoutRecord } from '../../server/payouts/payout.js';
import { PgStore } from '../../server/store/postgres-store.js';
import { SqliteStore } from '../../server/store/sqlite-store.js';
import { DuplicatePayoutReferenceError, type Store } from '../../server/store/store.js';
import { createTestSchema, pgSkip } from './postgres-helpers.js';

const implementations: { name: string; skip: string | false; setup: () => Promise<{ store: Store; cleanup: () => Promise<void> }> }[] = [
  {
    name: 'SqliteStore',
    skip: false,
    async setup() {
      const dir = mkdtempSync(join(tmpdir(), 'cpc-payouts-'));
      const store = new SqliteStore(join(dir, 'store.db'));
      return {
        store,
        cleanup: async () => {
          await store.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  },
  {
    name: 'PgStore',
    skip: pgSkip,
    async setup() {
      const schema = await createTestSchema();
      const store = await PgStore.open(schema.url());
      return {
        store,
        cleanup: async () => {
          await store.close();
          await schema.drop();
        },
      };
    },
  },
];

let n = 0;
function record(overrides: Partial<PayoutRecord> = {}): PayoutRecord {
  const i = ++n;
  const at = new Date(Date.UTC(2026, 11, 1, 12, 0, i)).toISOString();
  return {
    id: `po_${String(i).padStart(24, '0')}`,
    amount: 100 + i,
    externalReference: `ref-${i}`,
    description: null,
    payee: { name: 'Ana', document: '12345678909', destination: { type: 'PIX', pixKeyType: 'EMAIL', pixKey: 'a@b.co' } },
    status: 'processing',
    idempotencyKey: `key-${i}`,
    requestHash: 'h',
    gatewayIdempotencyKey: `g-${i}`,
    gatewayReference: `po_${i}`,
    transactionId: null,
    endToEndId: null,
    originalEndToEndId: null,
    failureCode: null,
    failureMessage: null,
    reconcileAttempts: 0,
    nextReconcileAt: null,
    createdAt: at,
    updatedAt: at,
    ...overrides,
  };
}

for (const impl of implementations) {
  describe(`${impl.name}: payouts`, { skip: impl.skip }, () => {
    let store: Store;
    let cleanup: () => Promise<void>;
    before(async () => ({ store, cleanup } = await impl.setup()));
    after(async () => cleanup?.());

    it('one merchant key is one payout, even when two inserts race; a reused reference is refused', async () => {
      const first = record();
      const [a, b] = await Promise.all([
        store.insertPayout(first),
        store.insertPayout({ ...record(), idempotencyKey: first.idempotencyKey }),
      ]);
      assert.deepEqual([a.created, b.created].sort(), [false, true]);
      assert.equal(a.payout.id, b.payout.id);
      assert.deepEqual((await store.getPayout(first.id))?.payee, first.payee);
      await assert.rejects(store.insertPayout(record({ externalReference: first.externalReference })), DuplicatePayoutReferenceError);
    });

    it('changes are planned under the lock and written with their message once', async () => {
      const p = (await store.insertPayout(record())).payout;
      const cashOut = {
        transactionId: `tx-${p.id}`,
        internalCode: null,
        externalReference: p.gatewayReference,
        status: 'COMPLETED' as const,
        amount: p.amount,
        endToEndId: 'E1',
        originalEndToEndId: null,
        failure: null,
        payee: null,
      };
      const now = new Date().toISOString();
      const results = await Promise.all(
        [1, 2, 3].map(() => store.changePayout(p.id, (current) => planPayoutFromCashOut(current, cashOut, now))),
      );
      assert.equal(results.filter(Boolean).length, 1);
      assert.equal((await store.findPayout({ transactionId: cashOut.transactionId }))?.status, 'completed');
      assert.equal(
        (await store.getMerchantEvents(1000)).filter((m) => m.type === 'payout.completed' && JSON.stringify(m.data).includes(p.id)).length,
        1,
      );
    });

    it('lists newest first by cursor and status; only a payout never accepted can be discarded', async () => {
      const made: PayoutRecord[] = [];
      for (let i = 0; i < 3; i++) made.push((await store.insertPayout(record())).payout);
      const page = await store.listPayouts({ limit: 2 });
      assert.deepEqual(
        page.map((p) => p.id),
        [made[2]!.id, made[1]!.id],
      );
      const next = await store.listPayouts({ limit: 2, beforeSeq: page[1]!.seq });
      assert.equal(next[0]!.id, made[0]!.id);
      assert.ok((await store.listPayouts({ limit: 100, status: 'completed' })).every((p) => p.status === 'completed'));
      const accepted = (await store.insertPayout(record({ transactionId: `tx-accepted-${n}` }))).payout;
      await store.discardPayout(accepted.id);
      assert.ok(await store.getPayout(accepted.id), 'an accepted payout is never forgotten');
      await store.discardPayout(made[0]!.id);
      assert.equal(await store.getPayout(made[0]!.id), undefined);
      const due = await store.payoutsToReconcile(new Date().toISOString(), 1000);
      assert.ok(due.every((p) => p.status === 'processing'));
      assert.ok(due.some((p) => p.id === made[1]!.id));
    });
  });
}
