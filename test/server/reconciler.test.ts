/**
 * Issue fault 3: the reconciler is fair. Charges whose GET keeps failing are put off with backoff
 * and, when the gateway does not know them, parked with an alert, so they can never hold the front
 * of the queue: every other overdue charge is still asked within a bounded number of passes.
 * The service runs with a fake `Gateway`, the local bus and a real SQLite store.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LocalEventBus } from '../../server/bus/event-bus.js';
import { CheckoutService, type Gateway } from '../../server/checkouts/checkout-service.js';
import { Reconciler } from '../../server/checkouts/reconciler.js';
import { ConnectPspInvalidRequestError } from '../../server/connectpsp/errors.js';
import type { CashIn } from '../../server/connectpsp/types.js';
import { createLogger } from '../../server/logger.js';
import { SqliteStore } from '../../server/store/sqlite-store.js';
import { chargeRecord, checkoutAwaitingPayment } from './store-fixtures.js';

describe('Reconciler', () => {
  let dir: string;
  let store: SqliteStore;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'cpc-reconciler-'));
    store = new SqliteStore(join(dir, 'checkout.db'));
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('charges the gateway does not know cannot starve the others: they are backed off, then parked with an alert', async () => {
    let now = Date.parse('2026-12-01T12:00:00.000Z');
    const clock = () => new Date(now);
    const paidAtGateway = new Set<string>();
    const asked: string[] = [];
    const gateway: Gateway = {
      createCashIn: () => Promise.reject(new Error('not used')),
      refundCashIn: () => Promise.reject(new Error('not used')),
      async getCashIn(id) {
        asked.push(id);
        if (!paidAtGateway.has(id)) throw new ConnectPspInvalidRequestError({ status: 404, code: 'CASH_IN_NOT_FOUND' });
        return {
          transactionId: id,
          internalCode: null,
          externalReference: 'r',
          status: 'PAID',
          amount: 1050,
          payer: null,
          endToEndId: 'E1',
          originalEndToEndId: null,
          pixData: null,
          paymentUrl: null,
          requestedAt: null,
          paidAt: clock().toISOString(),
          refundedAt: null,
          expiredAt: null,
        } satisfies CashIn;
      },
    };
    const lines: string[] = [];
    const logger = createLogger('debug', {}, (l) => lines.push(l));
    const service = new CheckoutService({
      store,
      bus: new LocalEventBus(),
      gateway,
      logger,
      webhookUrl: 'http://127.0.0.1/hook',
      defaultExpiresInMinutes: 30,
      now: clock,
    });
    const reconciler = new Reconciler({ service, store, logger, intervalMs: 1000, batchSize: 3, backoffBaseMs: 1000, now: clock });

    // Six charges the gateway has never heard of, overdue the longest…
    const unknown: string[] = [];
    for (let i = 0; i < 6; i++) {
      const { charge } = await checkoutAwaitingPayment(store, {});
      const ghost = chargeRecord(charge.checkoutId, {
        transactionId: `ghost_${i}_${charge.transactionId}`,
        expiresAt: new Date(now - 3_600_000 + i).toISOString(),
      });
      await store.saveCharge(ghost, 'unused');
      await store.transition(charge.checkoutId, 'awaiting_payment', {
        charge: { transactionId: charge.transactionId, status: 'cancelled' },
      });
      unknown.push(ghost.transactionId);
    }
    // …and one paid at the gateway, overdue the least: last in line by expiry.
    const { checkout } = await checkoutAwaitingPayment(store);
    const real = chargeRecord(checkout.id, { expiresAt: new Date(now - 1000).toISOString() });
    await store.saveCharge(real, 'unused');
    paidAtGateway.add(real.transactionId);

    let passes = 0;
    while ((await store.getCheckout(checkout.id))!.status !== 'paid' && passes < 10) {
      await reconciler.pass();
      passes += 1;
      now += 1000;
    }
    assert.equal((await store.getCheckout(checkout.id))!.status, 'paid', `paid after ${passes} passes`);
    assert.ok(passes <= 4, `reached within a bounded number of passes (took ${passes})`);

    // The unknown ones are parked after repeated 404s, each alerted, and then no longer asked.
    for (let i = 0; i < 40; i++) {
      await reconciler.pass();
      now += 60_000;
    }
    for (const id of unknown) assert.ok((await store.getCharge(id))!.parkedAt, `${id} parked`);
    assert.equal(lines.filter((l) => l.includes('CHARGE_UNKNOWN_AT_GATEWAY')).length, unknown.length);
    const before = asked.length;
    for (let i = 0; i < 5; i++) {
      await reconciler.pass();
      now += 3_600_000;
    }
    assert.equal(asked.length, before, 'parked charges are not asked again');
  });
});
