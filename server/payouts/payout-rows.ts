/** Payout rows as both stores read them, and the columns they write. */
import type { PayoutRecord, PayoutStatus } from './payout.js';

export interface PayoutRow {
  seq: number;
  id: string;
  amount: number;
  external_reference: string;
  description: string | null;
  /** JSON text in SQLite, parsed json in PostgreSQL. */
  payee: string | PayoutRecord['payee'];
  status: PayoutStatus;
  idempotency_key: string;
  request_hash: string;
  gateway_idempotency_key: string;
  gateway_reference: string;
  transaction_id: string | null;
  end_to_end_id: string | null;
  original_end_to_end_id: string | null;
  failure_code: string | null;
  failure_message: string | null;
  reconcile_attempts: number;
  next_reconcile_at: string | null;
  created_at: string;
  updated_at: string;
}

export function toPayout(r: PayoutRow): PayoutRecord {
  return {
    id: r.id,
    seq: Number(r.seq),
    amount: r.amount,
    externalReference: r.external_reference,
    description: r.description,
    payee: typeof r.payee === 'string' ? (JSON.parse(r.payee) as PayoutRecord['payee']) : r.payee,
    status: r.status,
    idempotencyKey: r.idempotency_key,
    requestHash: r.request_hash,
    gatewayIdempotencyKey: r.gateway_idempotency_key,
    gatewayReference: r.gateway_reference,
    transactionId: r.transaction_id,
    endToEndId: r.end_to_end_id,
    originalEndToEndId: r.original_end_to_end_id,
    failureCode: r.failure_code,
    failureMessage: r.failure_message,
    reconcileAttempts: r.reconcile_attempts,
    nextReconcileAt: r.next_reconcile_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/** The columns an insert writes, in order, with the record's values. */
export function payoutInsertValues(p: PayoutRecord): unknown[] {
  return [
    p.id,
    p.amount,
    p.externalReference,
    p.description,
    JSON.stringify(p.payee),
    p.status,
    p.idempotencyKey,
    p.requestHash,
    p.gatewayIdempotencyKey,
    p.gatewayReference,
    p.transactionId,
    p.endToEndId,
    p.originalEndToEndId,
    p.failureCode,
    p.failureMessage,
    p.reconcileAttempts,
    p.nextReconcileAt,
    p.createdAt,
    p.updatedAt,
  ];
}

export const PAYOUT_INSERT_COLUMNS =
  'id, amount, external_reference, description, payee, status, idempotency_key, request_hash, gateway_idempotency_key, gateway_reference, transaction_id, end_to_end_id, original_end_to_end_id, failure_code, failure_message, reconcile_attempts, next_reconcile_at, created_at, updated_at';

/** What `changePayout` may rewrite: everything that follows from ConnectPSP's answers, and the schedule. */
export function payoutUpdateValues(p: PayoutRecord): unknown[] {
  return [
    p.id,
    p.status,
    p.transactionId,
    p.endToEndId,
    p.originalEndToEndId,
    p.failureCode,
    p.failureMessage,
    p.reconcileAttempts,
    p.nextReconcileAt,
    p.updatedAt,
  ];
}

export const PAYOUT_UPDATE_SET =
  'status = $2, transaction_id = $3, end_to_end_id = $4, original_end_to_end_id = $5, failure_code = $6, failure_message = $7, reconcile_attempts = $8, next_reconcile_at = $9, updated_at = $10';
