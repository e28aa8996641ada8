/**
 * Table rows as both stores read them, and their mapping to records. SQLite hands JSON columns
 * back as text and PostgreSQL as values; each store parses its own before calling these, so the
 * mapping itself lives in one place.
 */
import type { CheckoutStatus, PaymentMethod } from 'connectpsp-checkout/contract';
import type { RefundReason } from '../connectpsp/types.js';
import type { ChargeRecord, CheckoutRecord, OutboxMessage, RefundState } from './store.js';

export interface CheckoutRow {
  id: string;
  client_secret_hash: string;
  amount: number;
  external_reference: string;
  description: string | null;
  payer_name: string | null;
  payer_document: string | null;
  methods: PaymentMethod[];
  expires_in_minutes: number;
  return_url: string | null;
  metadata: Record<string, string>;
  status: CheckoutStatus;
  end_to_end_id: string | null;
  paid_at: string | null;
  refund_end_to_end_id: string | null;
  refunded_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface ChargeRow {
  transaction_id: string;
  checkout_id: string;
  method: PaymentMethod;
  status: ChargeRecord['status'];
  amount: number;
  internal_code: string | null;
  gateway_reference: string;
  copy_and_paste: string | null;
  payment_url: string | null;
  expires_at: string;
  end_to_end_id: string | null;
  paid_at: string | null;
  refund_end_to_end_id: string | null;
  created_at: string;
  updated_at: string;
  refund_status: RefundState | null;
  refund_idempotency_key: string | null;
  refund_reason: RefundReason | null;
  refund_failure: string | null;
  refund_requested_at: string | null;
  reconcile_attempts: number;
  next_reconcile_at: string | null;
  parked_at: string | null;
}

export interface OutboxRow {
  id: string;
  type: string;
  data: unknown;
  created_at: string;
  attempts: number;
  next_attempt_at: string;
  delivered_at: string | null;
  last_error: string | null;
}

export const toCheckout = (r: CheckoutRow): CheckoutRecord => ({
  id: r.id,
  clientSecretHash: r.client_secret_hash,
  amount: r.amount,
  externalReference: r.external_reference,
  description: r.description,
  payer: r.payer_name !== null && r.payer_document !== null ? { name: r.payer_name, document: r.payer_document } : null,
  methods: r.methods,
  expiresInMinutes: r.expires_in_minutes,
  returnUrl: r.return_url,
  metadata: r.metadata,
  status: r.status,
  endToEndId: r.end_to_end_id,
  paidAt: r.paid_at,
  refundEndToEndId: r.refund_end_to_end_id,
  refundedAt: r.refunded_at,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export const toCharge = (r: ChargeRow): ChargeRecord => ({
  transactionId: r.transaction_id,
  checkoutId: r.checkout_id,
  method: r.method,
  status: r.status,
  amount: r.amount,
  internalCode: r.internal_code,
  gatewayReference: r.gateway_reference,
  copyAndPaste: r.copy_and_paste,
  paymentUrl: r.payment_url,
  expiresAt: r.expires_at,
  endToEndId: r.end_to_end_id,
  paidAt: r.paid_at,
  refundEndToEndId: r.refund_end_to_end_id,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  refundStatus: r.refund_status,
  refundIdempotencyKey: r.refund_idempotency_key,
  refundReason: r.refund_reason,
  refundFailure: r.refund_failure,
  refundRequestedAt: r.refund_requested_at,
  reconcileAttempts: r.reconcile_attempts,
  nextReconcileAt: r.next_reconcile_at,
  parkedAt: r.parked_at,
});

export const toOutbox = (r: OutboxRow): OutboxMessage => ({
  id: r.id,
  type: r.type,
  data: r.data,
  createdAt: r.created_at,
  attempts: r.attempts,
  nextAttemptAt: r.next_attempt_at,
  deliveredAt: r.delivered_at,
  lastError: r.last_error,
});
