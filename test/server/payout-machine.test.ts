import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CashOut } from '../../server/connectpsp/types.js';
import {
  canPayoutTransition,
  decodeCursor,
  encodeCursor,
  maskDestination,
  planPayoutFromCashOut,
  planPayoutRefused,
  PAYOUT_STATUSES,
  type PayoutRecord,
  type PayoutStatus,
} from '../../server/payouts/payout.js';

const NOW = '2026-12-01T12:00:00.000Z';

function payout(status: PayoutStatus, transactionId: string | null = 'tx-1'): PayoutRecord {
  return {
    id: 'po_000000000000000000000001',
    amount: 1000,
    externalReference: 'r',
    description: null,
    payee: { name: 'Ana', document: '12345678909', destination: { type: 'PIX', pixKeyType: 'CPF', pixKey: '12345678909' } },
    status,
    idempotencyKey: 'k',
    requestHash: 'h',
    gatewayIdempotencyKey: 'g',
    gatewayReference: 'po_1',
    transactionId,
    endToEndId: null,
    originalEndToEndId: null,
    failureCode: null,
    failureMessage: null,
    reconcileAttempts: 0,
    nextReconcileAt: null,
    createdAt: NOW,
    updatedAt: NOW,
  };
}

const cashOut = (status: CashOut['status'], extra: Partial<CashOut> = {}): CashOut => ({
  transactionId: 'tx-1',
  internalCode: null,
  externalReference: 'po_1',
  status,
  amount: 1000,
  endToEndId: null,
  originalEndToEndId: null,
  failure: null,
  payee: null,
  ...extra,
});

describe('payout machine', () => {
  it('is one-way: nothing leaves failed, refunded or cancelled; completed only becomes refunded', () => {
    for (const end of ['failed', 'refunded', 'cancelled'] as const)
      for (const to of PAYOUT_STATUSES) assert.equal(canPayoutTransition(end, to), false, `${end} → ${to}`);
    assert.deepEqual(
      PAYOUT_STATUSES.filter((to) => canPayoutTransition('completed', to)),
      ['refunded'],
    );
  });

  it('a late or replayed event changes nothing and writes no message', () => {
    assert.equal(planPayoutFromCashOut(payout('completed'), cashOut('COMPLETED', { endToEndId: 'E1' }), NOW), null);
    assert.equal(planPayoutFromCashOut(payout('completed'), cashOut('FAILED'), NOW), null);
    assert.equal(planPayoutFromCashOut(payout('refunded'), cashOut('COMPLETED'), NOW), null);
    assert.equal(planPayoutFromCashOut(payout('failed'), cashOut('COMPLETED'), NOW), null);
    assert.equal(planPayoutFromCashOut(payout('processing'), cashOut('PROCESSING'), NOW), null);
  });

  it('a failure carries its reason and one payout.failed', () => {
    const plan = planPayoutFromCashOut(
      payout('processing'),
      cashOut('FAILED', { failure: { code: 'PIX_KEY_NOT_FOUND', message: 'no' } }),
      NOW,
    )!;
    assert.equal(plan.payout.status, 'failed');
    assert.equal(plan.payout.failureCode, 'PIX_KEY_NOT_FOUND');
    assert.equal(plan.outbox?.type, 'payout.failed');
    assert.equal(plan.outbox?.dedupeKey, 'po_000000000000000000000001:payout.failed');
  });

  it('the 202 teaches the transaction id without a message; a refusal fails only a payout never accepted', () => {
    const accepted = planPayoutFromCashOut(payout('processing', null), cashOut('PROCESSING'), NOW)!;
    assert.equal(accepted.payout.transactionId, 'tx-1');
    assert.equal(accepted.outbox, null);
    assert.equal(planPayoutRefused(payout('processing', 'tx-1'), 'INSUFFICIENT_FUNDS', null, NOW), null);
    assert.equal(planPayoutRefused(payout('processing', null), 'INSUFFICIENT_FUNDS', null, NOW)?.outbox?.type, 'payout.failed');
  });

  it('masks a CPF key, keeps other keys; cursors round-trip and refuse forgeries', () => {
    assert.equal((maskDestination({ type: 'PIX', pixKeyType: 'CPF', pixKey: '12345678909' }) as { pixKey: string }).pixKey, '•••••••8909');
    assert.equal((maskDestination({ type: 'PIX', pixKeyType: 'EMAIL', pixKey: 'a@b.co' }) as { pixKey: string }).pixKey, 'a@b.co');
    assert.equal(decodeCursor(encodeCursor(42)), 42);
    assert.equal(decodeCursor('bogus'), undefined);
  });
});
