/** The console half of the `Store` contract, against SQLite and (with TEST_DATABASE_URL) PostgreSQL. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PgStore } from '../../server/store/postgres-store.js';
import { SqliteStore } from '../../server/store/sqlite-store.js';
import type { Store } from '../../server/store/store.js';
import { createTestSchema, pgSkip } from './postgres-helpers.js';
import { chargeRecord, checkoutRecord, firstEvent } from './store-fixtures.js';

const implementations: { name: string; skip: string | false; setup: () => Promise<{ store: Store; cleanup: () => Promise<void> }> }[] = [
  {
    name: 'SqliteStore',
    skip: false,
    async setup() {
      const dir = mkdtempSync(join(tmpdir(), 'cpc-console-'));
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

for (const impl of implementations) {
  describe(`${impl.name}: console`, { skip: impl.skip }, () => {
    let store: Store;
    let cleanup: () => Promise<void>;
    before(async () => ({ store, cleanup } = await impl.setup()));
    after(async () => cleanup?.());

    it('finds checkouts by id, externalReference prefix, a charge E2E id, and filters by status', async () => {
      const a = checkoutRecord({ externalReference: 'shop-2026-0001' });
      const b = checkoutRecord({ externalReference: 'shop-2026-0002' });
      await store.createCheckout(a, firstEvent(a));
      await store.createCheckout(b, firstEvent(b));
      const charge = chargeRecord(b.id);
      await store.saveCharge(charge, 'key-b');
      await store.transition(b.id, 'paid', {
        patch: { endToEndId: 'E99999999202612011200abcdefghijk', paidAt: new Date().toISOString() },
        charge: { transactionId: charge.transactionId, status: 'paid', endToEndId: 'E99999999202612011200abcdefghijk' },
      });
      assert.deepEqual(
        (await store.searchCheckouts({ q: a.id, limit: 10 })).map((c) => c.id),
        [a.id],
      );
      assert.deepEqual(new Set((await store.searchCheckouts({ q: 'shop-2026-', limit: 10 })).map((c) => c.id)), new Set([a.id, b.id]));
      assert.deepEqual(
        (await store.searchCheckouts({ q: 'E99999999202612011200abcdefghijk', limit: 10 })).map((c) => c.id),
        [b.id],
      );
      assert.deepEqual(
        (await store.searchCheckouts({ q: 'shop-2026-', status: 'paid', limit: 10 })).map((c) => c.id),
        [b.id],
      );
      assert.deepEqual(await store.searchCheckouts({ q: 'hop-2026', limit: 10 }), [], 'a prefix, not a substring');

      await store.recordWebhook(
        {
          dedupeKey: `wh-${charge.transactionId}`,
          eventType: 'CASHIN_PAID',
          transactionId: charge.transactionId,
          rawBody: '{}',
          receivedAt: new Date().toISOString(),
        },
        true,
      );
      const verdicts = await store.webhooksFor([charge.transactionId, 'tx-unknown']);
      assert.equal(verdicts.length, 1);
      assert.ok(verdicts[0]!.processedAt);
      assert.deepEqual(await store.webhooksFor([]), []);
    });

    it('keeps alerts: one open row per code and subject, counted, then resolved once', async () => {
      const at = new Date().toISOString();
      const alert = { code: 'INSUFFICIENT_FUNDS', subject: '', message: 'm', action: 'Rebalance.', context: { status: 422 }, at };
      await store.recordAlert(alert);
      await store.recordAlert({ ...alert, at: new Date(Date.now() + 1000).toISOString() });
      await store.recordAlert({ ...alert, code: 'REFUND_FAILED', subject: 'chk_x' });
      const open = await store.listAlerts({ includeResolved: false, limit: 10 });
      const funds = open.find((a) => a.code === 'INSUFFICIENT_FUNDS')!;
      assert.equal(funds.count, 2);
      assert.deepEqual(funds.context, { status: 422 });
      assert.equal(await store.resolveAlert(funds.id, at), true);
      assert.equal(await store.resolveAlert(funds.id, at), false);
      assert.equal(
        (await store.listAlerts({ includeResolved: false, limit: 10 })).some((a) => a.id === funds.id),
        false,
      );
      await store.recordAlert(alert);
      const again = (await store.listAlerts({ includeResolved: true, limit: 10 })).filter((a) => a.code === 'INSUFFICIENT_FUNDS');
      assert.equal(again.length, 2, 'a new occurrence after resolving opens a new alert');
    });

    it('lists the undelivered outbox, redelivers now, and keeps each delivery attempt', async () => {
      await store.enqueueMerchantEvent({
        dedupeKey: 'console-1',
        type: 'payout.completed',
        data: { data: { payout: { id: 'po_console' } } },
      });
      const [message] = await store.merchantEventsMentioning('po_console', 10);
      assert.ok(message);
      assert.ok((await store.undeliveredMerchantEvents(100)).some((m) => m.id === message.id));
      await store.rescheduleMerchantEvent(message.id, '9999-12-31T00:00:00.000Z', 'gave up');
      const now = new Date().toISOString();
      assert.equal(await store.redeliverMerchantEventNow(message.id, now), true);
      assert.ok(
        (await store.claimDueMerchantEvents(now, new Date(Date.now() + 60_000).toISOString(), 100)).some((m) => m.id === message.id),
      );
      await store.recordDeliveryAttempt({ messageId: message.id, at: now, delivered: false, answer: 'HTTP 500' });
      await store.recordDeliveryAttempt({ messageId: message.id, at: now, delivered: true, answer: 'HTTP 200' });
      await store.markMerchantEventDelivered(message.id, now);
      assert.deepEqual(
        (await store.deliveryAttempts([message.id])).map((a) => [a.delivered, a.answer]),
        [
          [false, 'HTTP 500'],
          [true, 'HTTP 200'],
        ],
      );
      assert.equal(await store.redeliverMerchantEventNow(message.id, now), false, 'a delivered message is not sent again');
      assert.deepEqual(await store.deliveryAttempts([]), []);
    });
  });
}
