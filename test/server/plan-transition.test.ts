import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canChargeTransition, CHARGE_TRANSITIONS, planChargeSaved, planTransition } from '../../server/checkouts/plan-transition.js';
import type { ChargeStatus } from '../../widget/contract/wire-contract.js';
import { chargeRecord, checkoutRecord } from './store-fixtures.js';

const NOW = '2026-12-01T12:00:00.000Z';

describe('planTransition (the rules both stores persist)', () => {
  it('a charge is a one-way machine: nothing leaves refunded, paid only goes to refunded', () => {
    const all = Object.keys(CHARGE_TRANSITIONS) as ChargeStatus[];
    for (const to of all) assert.equal(canChargeTransition('refunded', to), false, `refunded → ${to}`);
    assert.deepEqual(
      all.filter((to) => canChargeTransition('paid', to)),
      ['refunded'],
    );
    // Money that arrives after the gateway said expired is still money.
    assert.equal(canChargeTransition('expired', 'paid'), true);
    assert.equal(canChargeTransition('expired', 'awaiting_payment'), false);
  });

  it('a late EXPIRED for a paid charge of a paid checkout plans nothing at all', () => {
    const checkout = checkoutRecord({ status: 'paid', endToEndId: 'E1', paidAt: NOW });
    const charge = chargeRecord(checkout.id, { status: 'paid', endToEndId: 'E1', paidAt: NOW });
    const plan = planTransition(checkout, [charge], 'expired', { charge: { transactionId: charge.transactionId, status: 'expired' } }, NOW);
    assert.deepEqual(plan, { checkout: null, charge: null, event: null, outbox: null, charges: [charge] });
  });

  it('a second payment moves its own charge, not the checkout, and the merchant rule sees both', () => {
    const checkout = checkoutRecord({ status: 'paid', endToEndId: 'E1', paidAt: NOW });
    const first = chargeRecord(checkout.id, { status: 'paid', endToEndId: 'E1', paidAt: NOW });
    const second = chargeRecord(checkout.id);
    const seen: unknown[] = [];
    const plan = planTransition(
      checkout,
      [first, second],
      'paid',
      {
        charge: { transactionId: second.transactionId, status: 'paid', endToEndId: 'E2', paidAt: NOW },
        merchantEvent: ({ changed, chargeChanged, charges }) => {
          seen.push({ changed, chargeChanged, statuses: charges.map((c) => c.status) });
          return { dedupeKey: 'k', type: 'checkout.payment_duplicated', data: {} };
        },
      },
      NOW,
    );
    assert.equal(plan.checkout, null);
    assert.equal(plan.event, null);
    assert.equal(plan.charge?.transactionId, second.transactionId);
    assert.deepEqual(seen, [{ changed: false, chargeChanged: true, statuses: ['paid', 'paid'] }]);
    assert.equal(plan.outbox?.type, 'checkout.payment_duplicated');
  });

  it('a move writes the patched checkout and its status event, with the previous status', () => {
    const checkout = checkoutRecord({ status: 'awaiting_payment' });
    const charge = chargeRecord(checkout.id);
    const plan = planTransition(
      checkout,
      [charge],
      'paid',
      { patch: { endToEndId: 'E1', paidAt: NOW }, charge: { transactionId: charge.transactionId, status: 'paid', endToEndId: 'E1' } },
      NOW,
    );
    assert.equal(plan.checkout?.status, 'paid');
    assert.equal(plan.checkout?.endToEndId, 'E1');
    assert.equal(plan.event?.previous, 'awaiting_payment');
    assert.equal(plan.event?.activeCharge, null);
  });

  it('a replacement charge while awaiting payment is a same-status event carrying the new code', () => {
    const checkout = checkoutRecord({ status: 'awaiting_payment' });
    const old = chargeRecord(checkout.id, { createdAt: '2026-12-01T11:00:00.000Z' });
    const fresh = chargeRecord(checkout.id, { createdAt: NOW });
    const plan = planChargeSaved(checkout, [old, fresh], NOW);
    assert.equal(plan.checkout, null);
    assert.equal(plan.event?.status, 'awaiting_payment');
    assert.equal(plan.event?.activeCharge?.transactionId, fresh.transactionId);
  });
});
