/**
 * Payouts (ConnectPSP Cash-Out) as this product keeps them: the record, its one-way status machine
 * and the merchant view. Pure: no I/O and no clock but the `now` handed in, so both stores and the
 * service share one set of rules.
 */
import type { CashOut, CashOutDestination } from '../connectpsp/types.js';
import type { OutboxInput } from '../store/store.js';

/**
 * ConnectPSP's cash-out statuses, in the lowercase the rest of this API uses: `processing` from the
 * moment we write the payout (before ConnectPSP answers) until it settles.
 */
export type PayoutStatus = 'processing' | 'completed' | 'failed' | 'refunded' | 'cancelled';
export const PAYOUT_STATUSES: readonly PayoutStatus[] = ['processing', 'completed', 'failed', 'refunded', 'cancelled'];

/**
 * The payout machine. `processing → refunded` is allowed because a devolution can be the first
 * news we get of a transfer that completed (its COMPLETED webhook lost): the money came back
 * either way. Nothing leaves failed, refunded or cancelled, so a late or replayed event changes
 * nothing.
 */
export const PAYOUT_TRANSITIONS: Readonly<Record<PayoutStatus, readonly PayoutStatus[]>> = {
  processing: ['completed', 'failed', 'cancelled', 'refunded'],
  completed: ['refunded'],
  failed: [],
  refunded: [],
  cancelled: [],
};

export function canPayoutTransition(from: PayoutStatus, to: PayoutStatus): boolean {
  return PAYOUT_TRANSITIONS[from].includes(to);
}

export interface PayoutRecord {
  /** `po_` + 24 base62 characters. */
  id: string;
  /** Insertion order, for cursor pagination; set by the store. */
  seq?: number;
  amount: number;
  /** The merchant's reference, unique among payouts. */
  externalReference: string;
  description: string | null;
  payee: { name: string; document: string; destination: CashOutDestination };
  status: PayoutStatus;
  /** The merchant's `Idempotency-Key`: one key, one payout. */
  idempotencyKey: string;
  /** SHA-256 of the request body the key was first used with. */
  requestHash: string;
  /** Our `X-Idempotency-Key` towards ConnectPSP, written before the first attempt. */
  gatewayIdempotencyKey: string;
  /** The `externalReference` ConnectPSP is given: the payout id (unique per application). */
  gatewayReference: string;
  /** ConnectPSP's id, once it accepted the cash-out. */
  transactionId: string | null;
  endToEndId: string | null;
  originalEndToEndId: string | null;
  failureCode: string | null;
  failureMessage: string | null;
  reconcileAttempts: number;
  nextReconcileAt: string | null;
  createdAt: string;
  updatedAt: string;
}

/** A payout as the merchant API and webhooks show it. The payee's document is never echoed whole. */
export interface PayoutView {
  id: string;
  status: PayoutStatus;
  amount: number;
  currency: 'BRL';
  externalReference: string;
  description: string | null;
  payee: { name: string; documentLast4: string; destination: CashOutDestination };
  transactionId: string | null;
  endToEndId: string | null;
  originalEndToEndId: string | null;
  failure: { code: string; message: string | null } | null;
  createdAt: string;
  updatedAt: string;
}

export function toPayoutView(p: PayoutRecord): PayoutView {
  return {
    id: p.id,
    status: p.status,
    amount: p.amount,
    currency: 'BRL',
    externalReference: p.externalReference,
    description: p.description,
    payee: { name: p.payee.name, documentLast4: p.payee.document.slice(-4), destination: maskDestination(p.payee.destination) },
    transactionId: p.transactionId,
    endToEndId: p.endToEndId,
    originalEndToEndId: p.originalEndToEndId,
    failure: p.failureCode ? { code: p.failureCode, message: p.failureMessage } : null,
    createdAt: p.createdAt,
    updatedAt: p.updatedAt,
  };
}

/** A PIX key that is a CPF or CNPJ is a tax id: shown by its last digits only, like the payee's document. */
export function maskDestination(d: CashOutDestination): CashOutDestination {
  if (d.type === 'PIX' && (d.pixKeyType === 'CPF' || d.pixKeyType === 'CNPJ'))
    return { ...d, pixKey: `${'•'.repeat(d.pixKey.length - 4)}${d.pixKey.slice(-4)}` };
  return d;
}

const FROM_GATEWAY: Record<CashOut['status'], PayoutStatus> = {
  PROCESSING: 'processing',
  COMPLETED: 'completed',
  FAILED: 'failed',
  REFUNDED: 'refunded',
  CANCELLED: 'cancelled',
};

export type PayoutEventType = 'payout.completed' | 'payout.failed' | 'payout.refunded' | 'payout.cancelled';

/** What a store writes for one change of a payout: the payout as it will be and its merchant message. */
export interface PayoutChange {
  payout: PayoutRecord;
  outbox: OutboxInput | null;
}

/**
 * Brings `current` in line with a cash-out as ConnectPSP reports it (the 202, a webhook or a GET):
 * the transaction id is taken when first seen; the status moves only where the machine allows,
 * with its merchant message. Null when nothing changes.
 */
export function planPayoutFromCashOut(current: PayoutRecord, cashOut: CashOut, now: string): PayoutChange | null {
  const to = FROM_GATEWAY[cashOut.status];
  const moves = to !== current.status && canPayoutTransition(current.status, to);
  const learnsId = current.transactionId === null;
  if (!moves && !learnsId) return null;
  const payout: PayoutRecord = {
    ...current,
    transactionId: current.transactionId ?? cashOut.transactionId,
    ...(moves
      ? {
          status: to,
          endToEndId: cashOut.endToEndId ?? current.endToEndId,
          originalEndToEndId: cashOut.originalEndToEndId ?? current.originalEndToEndId,
          ...(to === 'failed' ? { failureCode: cashOut.failure?.code ?? 'FAILED', failureMessage: cashOut.failure?.message ?? null } : {}),
        }
      : {}),
    updatedAt: now,
  };
  return { payout, outbox: moves ? payoutMessage(payout, now) : null };
}

/**
 * ConnectPSP refused a payout after the merchant was already answered (a retry of a create that
 * had no answer): it failed, with ConnectPSP's code as the reason.
 */
export function planPayoutRefused(current: PayoutRecord, code: string, message: string | null, now: string): PayoutChange | null {
  if (!canPayoutTransition(current.status, 'failed') || current.transactionId !== null) return null;
  const payout: PayoutRecord = { ...current, status: 'failed', failureCode: code, failureMessage: message, updatedAt: now };
  return { payout, outbox: payoutMessage(payout, now) };
}

function payoutMessage(payout: PayoutRecord, now: string): OutboxInput | null {
  if (payout.status === 'processing') return null;
  const type = `payout.${payout.status}` as PayoutEventType;
  return { dedupeKey: `${payout.id}:${type}`, type, data: { type, timestamp: now, data: { payout: toPayoutView(payout) } } };
}

/** Opaque cursors: the `seq` of the last payout on a page. */
export function encodeCursor(seq: number): string {
  return Buffer.from(`po:${seq}`).toString('base64url');
}

export function decodeCursor(cursor: string): number | undefined {
  const match = /^po:(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  return match ? Number(match[1]) : undefined;
}
