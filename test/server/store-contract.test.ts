/**
 * The `Store` contract, run against every implementation: what SQLite does, PostgreSQL does too.
 * The PostgreSQL half needs TEST_DATABASE_URL and is skipped (saying why) without it.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PgStore } from '../../server/store/postgres-store.js';
import { SqliteStore } from '../../server/store/sqlite-store.js';
import { DuplicateExternalReferenceError, type MerchantEventRule, type Store } from '../../server/store/store.js';
import { createTestSchema, pgSkip } from './postgres-helpers.js';
import { chargeRecord, checkoutAwaitingPayment, checkoutRecord, firstEvent } from './store-fixtures.js';

interface StoreUnderTest {
  /** Opens the store on the same data (a new instance, a new process would do the same). */
  open(): Promise<Store>;
  cleanup(): Promise<void>;
}

const implementations: { name: string; skip: string | false; setup: () => Promise<StoreUnderTest> }[] = [
  {
    name: 'SqliteStore',
    skip: false,
    async setup() {
      const dir = mkdtempSync(join(tmpdir(), 'cpc-contract-'));
      return {
        open: async () => new SqliteStore(join(dir, 'store.db')),
        cleanup: async () => rmSync(dir, { recursive: true, force: true }),
      };
    },
  },
  {
    name: 'PgStore',
    skip: pgSkip,
    async setup() {
      const schema = await createTestSchema();
      return { open: () => PgStore.open(schema.url()), cleanup: () => schema.drop() };
    },
  },
];

const paidRule: MerchantEventRule = ({ changed, checkout }) =>
  changed ? { dedupeKey: `${checkout.id}:checkout.paid`, type: 'checkout.paid', data: { id: checkout.id } } : null;

for (const impl of implementations) {
  describe(`Store contract: ${impl.name}`, { skip: impl.skip }, () => {
    let sut: StoreUnderTest;
    let store: Store;
    before(async () => {
      sut = await impl.setup();
      store = await sut.open();
    });
    after(async () => {
      await store?.close();
      await sut?.cleanup();
    });

    describe('checkouts', () => {
      it('reads back a created checkout exactly, with its first event', async () => {
        const checkout = checkoutRecord({
          returnUrl: 'https://shop.example.com/back',
          methods: ['pix', 'open_finance'],
          metadata: { b: '2', a: '1' },
        });
        assert.deepEqual(await store.createCheckout(checkout, firstEvent(checkout)), checkout);
        assert.deepEqual(await store.getCheckout(checkout.id), checkout);
        const events = await store.eventsAfter(checkout.id, 0);
        assert.equal(events.length, 1);
        assert.deepEqual(events[0]!.data, { ...firstEvent(checkout), checkoutId: checkout.id });
        assert.deepEqual(await store.latestEvent(checkout.id), events[0]);
      });

      it('keeps times as the exact ISO strings it was given', async () => {
        const at = '2026-11-30T12:34:56.789Z';
        const checkout = checkoutRecord({ createdAt: at, updatedAt: '2026-11-30T23:59:59.001Z' });
        await store.createCheckout(checkout, firstEvent(checkout));
        const read = (await store.getCheckout(checkout.id))!;
        assert.equal(read.createdAt, at);
        assert.equal(read.updatedAt, '2026-11-30T23:59:59.001Z');
      });

      it('answers undefined for an unknown id', async () => {
        assert.equal(await store.getCheckout('chk_nope'), undefined);
        assert.equal(await store.latestEvent('chk_nope'), undefined);
        assert.deepEqual(await store.eventsAfter('chk_nope', 0), []);
      });

      it('refuses a second checkout with the same externalReference, writing nothing', async () => {
        const first = checkoutRecord();
        await store.createCheckout(first, firstEvent(first));
        const second = checkoutRecord({ externalReference: first.externalReference });
        await assert.rejects(store.createCheckout(second, firstEvent(second)), DuplicateExternalReferenceError);
        assert.equal(await store.getCheckout(second.id), undefined);
        assert.deepEqual(await store.eventsAfter(second.id, 0), []);
      });

      it('stores the idempotent response with the checkout and answers it back', async () => {
        const checkout = checkoutRecord();
        const key = `idem-${checkout.id}`;
        await store.createCheckout(checkout, firstEvent(checkout), {
          key,
          requestHash: 'h1',
          response: (c) => ({ status: 201, body: { id: c.id, nested: { n: 1 } }, requestHash: 'h1' }),
        });
        assert.deepEqual(await store.getIdempotentResponse(key), {
          requestHash: 'h1',
          status: 201,
          body: { id: checkout.id, nested: { n: 1 } },
        });
        assert.equal(await store.getIdempotentResponse('idem-unknown'), undefined);
      });

      it('sets the payer only when the merchant gave none', async () => {
        const bare = checkoutRecord({ payer: null });
        await store.createCheckout(bare, firstEvent(bare));
        const set = await store.setPayerIfMissing(bare.id, { name: 'João Pereira', document: '11144477735' });
        assert.deepEqual(set.payer, { name: 'João Pereira', document: '11144477735' });
        const kept = await store.setPayerIfMissing(bare.id, { name: 'Other', document: '12345678909' });
        assert.deepEqual(kept.payer, { name: 'João Pereira', document: '11144477735' });
      });
    });

    describe('charge attempts', () => {
      it('hands back the same open attempt until it is closed or discarded', async () => {
        const checkout = checkoutRecord();
        await store.createCheckout(checkout, firstEvent(checkout));
        let n = 0;
        const fresh = () => ({ idempotencyKey: `key-${checkout.id}-${++n}`, gatewayReference: `${checkout.id}-ref${n}` });
        const first = await store.openChargeAttempt(checkout.id, 'pix', fresh);
        assert.equal(first.idempotencyKey, `key-${checkout.id}-1`);
        assert.deepEqual(await store.openChargeAttempt(checkout.id, 'pix', fresh), first);
        // Another method is another attempt.
        assert.notEqual((await store.openChargeAttempt(checkout.id, 'open_finance', fresh)).idempotencyKey, first.idempotencyKey);
        // Discarding with a stale key does nothing; with the right key the next attempt is new.
        await store.discardChargeAttempt(checkout.id, 'pix', 'some-other-key');
        assert.deepEqual(await store.openChargeAttempt(checkout.id, 'pix', fresh), first);
        await store.discardChargeAttempt(checkout.id, 'pix', first.idempotencyKey);
        assert.notEqual((await store.openChargeAttempt(checkout.id, 'pix', fresh)).idempotencyKey, first.idempotencyKey);
      });

      it('gives every concurrent caller the one attempt', async () => {
        const checkout = checkoutRecord();
        await store.createCheckout(checkout, firstEvent(checkout));
        let n = 0;
        const attempts = await Promise.all(
          Array.from({ length: 8 }, () =>
            store.openChargeAttempt(checkout.id, 'pix', () => ({
              idempotencyKey: `k-${checkout.id}-${++n}`,
              gatewayReference: `${checkout.id}-r${n}`,
            })),
          ),
        );
        assert.equal(new Set(attempts.map((a) => a.idempotencyKey)).size, 1);
      });
    });

    describe('charges and transitions', () => {
      it('saving a charge closes its attempt and moves the checkout to awaiting_payment with the code in the event', async () => {
        const { checkout, charge } = await checkoutAwaitingPayment(store);
        assert.equal(checkout.status, 'awaiting_payment');
        assert.deepEqual(await store.getCharge(charge.transactionId), charge);
        const latest = (await store.latestEvent(checkout.id))!;
        assert.equal(latest.data.status, 'awaiting_payment');
        assert.equal(latest.data.previous, 'open');
        assert.equal(latest.data.activeCharge?.transactionId, charge.transactionId);
        const next = await store.openChargeAttempt(checkout.id, 'pix', () => ({
          idempotencyKey: `after-${checkout.id}`,
          gatewayReference: `${checkout.id}-after`,
        }));
        assert.equal(next.idempotencyKey, `after-${checkout.id}`);
      });

      it('a replacement charge while awaiting payment announces the new code without a transition', async () => {
        const { checkout, charge } = await checkoutAwaitingPayment(store);
        const newer = chargeRecord(checkout.id, { createdAt: new Date(Date.now() + 1000).toISOString() });
        const result = await store.saveCharge(newer, 'unused-key');
        assert.equal(result.changed, false);
        assert.equal(result.event?.data.activeCharge?.transactionId, newer.transactionId);
        assert.deepEqual(
          (await store.listCharges(checkout.id)).map((c) => c.transactionId),
          [charge.transactionId, newer.transactionId],
        );
      });

      it('saving the same charge twice keeps one row', async () => {
        const { checkout, charge } = await checkoutAwaitingPayment(store);
        await store.saveCharge(charge, 'unused-key');
        assert.equal((await store.listCharges(checkout.id)).length, 1);
      });

      it('pays once: the charge and the checkout change together, a repeat changes nothing', async () => {
        const { checkout, charge } = await checkoutAwaitingPayment(store);
        const paidAt = '2026-11-30T13:01:00.000Z';
        const patch = { endToEndId: 'E12345678202611301301abcdefghijk', paidAt };
        const update = { transactionId: charge.transactionId, status: 'paid' as const, ...patch };
        const first = await store.transition(checkout.id, 'paid', { patch, charge: update, merchantEvent: paidRule });
        assert.equal(first.changed, true);
        assert.equal(first.checkout.status, 'paid');
        assert.equal(first.checkout.paidAt, paidAt);
        assert.equal(first.event?.data.previous, 'awaiting_payment');
        assert.deepEqual(await store.getCheckout(checkout.id), first.checkout);
        const storedCharge = (await store.getCharge(charge.transactionId))!;
        assert.equal(storedCharge.status, 'paid');
        assert.equal(storedCharge.paidAt, paidAt);

        const again = await store.transition(checkout.id, 'paid', { patch, charge: update, merchantEvent: paidRule });
        assert.equal(again.changed, false);
        assert.equal(again.event, null);
        assert.deepEqual(
          (await store.eventsAfter(checkout.id, 0)).map((e) => e.data.status),
          ['open', 'awaiting_payment', 'paid'],
        );
        assert.equal((await store.getMerchantEvents(1000)).filter((m) => (m.data as { id: string }).id === checkout.id).length, 1);
      });

      it('never moves backwards, and says so without writing', async () => {
        const { checkout } = await checkoutAwaitingPayment(store);
        await store.transition(checkout.id, 'paid', { patch: { paidAt: new Date().toISOString() } });
        const back = await store.transition(checkout.id, 'awaiting_payment');
        assert.equal(back.changed, false);
        assert.equal(back.checkout.status, 'paid');
        assert.equal((await store.eventsAfter(checkout.id, 0)).length, 3);
      });

      it('applies the charge update even when the checkout does not move (a second payment)', async () => {
        const { checkout, charge } = await checkoutAwaitingPayment(store);
        const second = chargeRecord(checkout.id);
        await store.saveCharge(second, 'unused');
        await store.transition(checkout.id, 'paid', {
          patch: { endToEndId: 'E1', paidAt: new Date().toISOString() },
          charge: { transactionId: charge.transactionId, status: 'paid', endToEndId: 'E1' },
        });
        const late = await store.transition(checkout.id, 'paid', {
          charge: { transactionId: second.transactionId, status: 'paid', endToEndId: 'E2' },
        });
        assert.equal(late.changed, false);
        assert.equal((await store.getCharge(second.transactionId))!.status, 'paid');
        const duplicates = await store.unrefundedDuplicatePayments(1000);
        assert.ok(duplicates.some((c) => c.transactionId === second.transactionId));
        assert.ok(!duplicates.some((c) => c.transactionId === charge.transactionId));
      });

      it('a charge never moves backwards either: a late expiry leaves it paid, a late payment leaves it refunded', async () => {
        const { checkout, charge } = await checkoutAwaitingPayment(store);
        await store.transition(checkout.id, 'paid', {
          patch: { endToEndId: 'E1', paidAt: new Date().toISOString() },
          charge: { transactionId: charge.transactionId, status: 'paid', endToEndId: 'E1' },
        });
        const late = await store.transition(checkout.id, 'expired', { charge: { transactionId: charge.transactionId, status: 'expired' } });
        assert.equal(late.changed, false);
        assert.equal(late.chargeChanged, false);
        assert.equal((await store.getCharge(charge.transactionId))!.status, 'paid');
        await store.transition(checkout.id, 'refunded', {
          patch: { refundEndToEndId: 'D1' },
          charge: { transactionId: charge.transactionId, status: 'refunded', refundEndToEndId: 'D1' },
        });
        const latePaid = await store.transition(checkout.id, 'paid', {
          charge: { transactionId: charge.transactionId, status: 'paid', endToEndId: 'E1' },
        });
        assert.equal(latePaid.chargeChanged, false);
        assert.equal((await store.getCharge(charge.transactionId))!.status, 'refunded');
      });

      it('keeps a refund operation one-way: requested, processing, failed; settled clears it', async () => {
        const { checkout, charge } = await checkoutAwaitingPayment(store);
        await store.transition(checkout.id, 'paid', {
          patch: { endToEndId: 'E1', paidAt: new Date().toISOString() },
          charge: { transactionId: charge.transactionId, status: 'paid', endToEndId: 'E1' },
        });
        assert.equal(
          await store.setRefundState({
            transactionId: charge.transactionId,
            status: 'requested',
            idempotencyKey: 'k1',
            reason: 'CUSTOMER_REQUEST',
            requestedAt: new Date().toISOString(),
            onlyFrom: [null, 'failed'],
          }),
          true,
        );
        assert.equal(
          await store.setRefundState({
            transactionId: charge.transactionId,
            status: 'requested',
            idempotencyKey: 'k2',
            onlyFrom: [null, 'failed'],
          }),
          false,
          'one operation at a time',
        );
        assert.deepEqual(
          (await store.refundsInFlight(10_000)).filter((c) => c.transactionId === charge.transactionId).map((c) => c.refundIdempotencyKey),
          ['k1'],
        );
        assert.equal(
          await store.setRefundState({ transactionId: charge.transactionId, status: 'processing', onlyFrom: ['requested'] }),
          true,
        );
        await store.transition(checkout.id, 'refunded', {
          charge: { transactionId: charge.transactionId, status: 'refunded', refundEndToEndId: 'D1' },
        });
        const settled = (await store.getCharge(charge.transactionId))!;
        assert.equal(settled.refundStatus, null);
        assert.equal(
          await store.setRefundState({ transactionId: charge.transactionId, status: 'failed', failure: 'late' }),
          false,
          'a settled refund cannot fail',
        );
      });

      it('throws for an unknown checkout', async () => {
        await assert.rejects(store.transition('chk_missing', 'paid'), /does not exist/);
      });

      it('lists charges awaiting payment by expiry', async () => {
        const { charge } = await checkoutAwaitingPayment(store);
        const soon = new Date(Date.parse(charge.expiresAt) + 1).toISOString();
        const due = await store.chargesAwaitingPaymentExpiringBefore(soon, 10_000);
        assert.ok(due.some((c) => c.transactionId === charge.transactionId));
        assert.ok(
          !(await store.chargesAwaitingPaymentExpiringBefore(charge.expiresAt, 10_000)).some(
            (c) => c.transactionId === charge.transactionId,
          ),
        );
      });
    });

    describe('events', () => {
      it('ids increase and eventsAfter is exclusive', async () => {
        const { checkout } = await checkoutAwaitingPayment(store);
        await store.transition(checkout.id, 'expired');
        await store.transition(checkout.id, 'paid', { patch: { paidAt: new Date().toISOString() } });
        const all = await store.eventsAfter(checkout.id, 0);
        assert.deepEqual(
          all.map((e) => e.data.status),
          ['open', 'awaiting_payment', 'expired', 'paid'],
        );
        for (let i = 1; i < all.length; i++) assert.ok(all[i]!.id > all[i - 1]!.id);
        assert.deepEqual(await store.eventsAfter(checkout.id, all[1]!.id), all.slice(2));
        assert.deepEqual(await store.latestEvent(checkout.id), all.at(-1));
      });
    });

    describe('webhooks', () => {
      const webhookRecord = (transactionId = 'tx') => ({
        dedupeKey: `CASHIN_PAID:${transactionId}-${Date.now()}-${Math.random()}:PAID:E1`,
        eventType: 'CASHIN_PAID',
        transactionId,
        rawBody: '{"a":1}',
        receivedAt: new Date().toISOString(),
      });

      it('keeps one not yet applied for replay, and remembers once it was applied', async () => {
        const record = webhookRecord();
        assert.equal(await store.isWebhookProcessed(record.dedupeKey), false);
        await store.recordWebhook(record, false);
        await store.recordWebhook(record, false); // a redelivery that failed again: still one record
        assert.equal(await store.isWebhookProcessed(record.dedupeKey), false);
        assert.deepEqual(
          (await store.unprocessedWebhooks()).filter((w) => w.dedupeKey === record.dedupeKey),
          [record],
        );
        await store.markWebhookProcessed(record.dedupeKey);
        assert.equal(await store.isWebhookProcessed(record.dedupeKey), true);
        assert.ok(!(await store.unprocessedWebhooks()).some((w) => w.dedupeKey === record.dedupeKey));
      });

      it('records one applied at once as processed, and never un-processes it', async () => {
        const record = webhookRecord();
        await store.recordWebhook(record, true);
        assert.equal(await store.isWebhookProcessed(record.dedupeKey), true);
        await store.recordWebhook(record, false);
        assert.equal(await store.isWebhookProcessed(record.dedupeKey), true);
        assert.ok(!(await store.unprocessedWebhooks()).some((w) => w.dedupeKey === record.dedupeKey));
      });

      it('writes a receipt, processed, in the transaction of the change it brought, once', async () => {
        const { checkout, charge } = await checkoutAwaitingPayment(store);
        const receipt = { record: webhookRecord(charge.transactionId), written: false };
        const paidAt = new Date().toISOString();
        const result = await store.transition(checkout.id, 'paid', {
          patch: { paidAt },
          charge: { transactionId: charge.transactionId, status: 'paid', paidAt },
          merchantEvent: paidRule,
          receipt,
        });
        assert.equal(result.changed, true);
        assert.equal(receipt.written, true);
        assert.equal(await store.isWebhookProcessed(receipt.record.dedupeKey), true);
        // A second change with the same receipt does not write it again (and does not fail on it).
        await store.transition(checkout.id, 'refunded', { receipt });
        assert.equal((await store.getCheckout(checkout.id))!.status, 'refunded');
      });

      it('writes a receipt also when the checkout does not move', async () => {
        const { checkout } = await checkoutAwaitingPayment(store);
        const receipt = { record: webhookRecord(), written: false };
        const result = await store.transition(checkout.id, 'refunded', { merchantEvent: paidRule, receipt }); // not allowed from awaiting_payment
        assert.equal(result.changed, false);
        assert.equal(receipt.written, true);
        assert.equal(await store.isWebhookProcessed(receipt.record.dedupeKey), true);
      });

      it('does not write a receipt when the change fails', async () => {
        const receipt = { record: webhookRecord(), written: false };
        await assert.rejects(store.transition('chk_does_not_exist', 'paid', { receipt }));
        assert.equal(receipt.written, false);
        assert.equal(await store.isWebhookProcessed(receipt.record.dedupeKey), false);
        assert.ok(!(await store.unprocessedWebhooks()).some((w) => w.dedupeKey === receipt.record.dedupeKey));
      });
    });

    describe('merchant outbox', () => {
      it('dedupes, leases, delivers and reschedules', async () => {
        const t0 = Date.parse('2030-01-01T00:00:00.000Z');
        const iso = (ms: number) => new Date(t0 + ms).toISOString();
        const backlogBefore = await store.merchantEventBacklog();
        const dedupeKey = `cashout-${Date.now()}`;
        await store.enqueueMerchantEvent({ dedupeKey, type: 'cashout.completed', data: { n: 1 } });
        await store.enqueueMerchantEvent({ dedupeKey, type: 'cashout.completed', data: { n: 2 } });
        assert.equal(await store.merchantEventBacklog(), backlogBefore + 1);

        const claimed = (await store.claimDueMerchantEvents(iso(0), iso(30_000), 1000)).filter((m) => (m.data as { n?: number }).n === 1);
        assert.equal(claimed.length, 1);
        const message = claimed[0]!;
        assert.equal(message.attempts, 1);
        assert.equal(message.nextAttemptAt, iso(30_000));
        // Leased: not due again until the lease runs out.
        assert.ok(!(await store.claimDueMerchantEvents(iso(1000), iso(31_000), 1000)).some((m) => m.id === message.id));

        await store.rescheduleMerchantEvent(message.id, iso(60_000), 'HTTP 500');
        const retried = (await store.claimDueMerchantEvents(iso(60_000), iso(90_000), 1000)).find((m) => m.id === message.id);
        assert.equal(retried?.attempts, 2);
        assert.equal(retried?.lastError, 'HTTP 500');

        await store.markMerchantEventDelivered(message.id, iso(61_000));
        const delivered = (await store.getMerchantEvents(10_000)).find((m) => m.id === message.id)!;
        assert.equal(delivered.deliveredAt, iso(61_000));
        assert.equal(delivered.lastError, null);
        assert.equal(await store.merchantEventBacklog(), backlogBefore);
      });
    });

    describe('durability', () => {
      it('a reopened store has everything a closed one wrote', async () => {
        const { checkout, charge } = await checkoutAwaitingPayment(store);
        const events = await store.eventsAfter(checkout.id, 0);
        await store.close();
        store = await sut.open();
        assert.equal(await store.ping(), true);
        assert.deepEqual(await store.getCheckout(checkout.id), checkout);
        assert.deepEqual(await store.getCharge(charge.transactionId), charge);
        assert.deepEqual(await store.eventsAfter(checkout.id, 0), events);
      });
    });
  });
}
