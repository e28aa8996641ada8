import type { ChargeStatus, CheckoutStatus, PaymentMethod, StatusEventData } from 'connectpsp-checkout/contract';
import type { RefundReason } from '../connectpsp/types.js';
import type { PayoutChange, PayoutRecord, PayoutStatus } from '../payouts/payout.js';
import type { AlertRecord, DeliveryAttempt, NewAlert, WebhookVerdict } from '../console/console-records.js';

/** A checkout as stored. Amounts are integer centavos; times are ISO 8601 UTC strings. */
export interface CheckoutRecord {
  id: string;
  /** SHA-256 of the client secret: the secret itself is never stored. */
  clientSecretHash: string;
  amount: number;
  externalReference: string;
  description: string | null;
  payer: { name: string; document: string } | null;
  methods: PaymentMethod[];
  expiresInMinutes: number;
  returnUrl: string | null;
  metadata: Record<string, string>;
  status: CheckoutStatus;
  endToEndId: string | null;
  paidAt: string | null;
  refundEndToEndId: string | null;
  refundedAt: string | null;
  createdAt: string;
  updatedAt: string;
}

/** One ConnectPSP cash-in made for a checkout. */
export interface ChargeRecord {
  transactionId: string;
  checkoutId: string;
  method: PaymentMethod;
  status: ChargeStatus;
  amount: number;
  internalCode: string | null;
  /** The `externalReference` we gave ConnectPSP (unique per application, so one per charge). */
  gatewayReference: string;
  copyAndPaste: string | null;
  paymentUrl: string | null;
  expiresAt: string;
  endToEndId: string | null;
  paidAt: string | null;
  refundEndToEndId: string | null;
  createdAt: string;
  updatedAt: string;
  /** The refund operation in flight or failed; null when none (or once `status` is `refunded`). */
  refundStatus?: RefundState | null;
  /** The key of the refund operation in flight: every retry of THIS operation sends it, a new operation gets a new one. */
  refundIdempotencyKey?: string | null;
  refundReason?: RefundReason | null;
  /** Why the last refund failed (the gateway's code and detail). */
  refundFailure?: string | null;
  refundRequestedAt?: string | null;
  /** The reconciler's schedule for this charge: asked again after `nextReconcileAt`, with backoff. */
  reconcileAttempts?: number;
  nextReconcileAt?: string | null;
  /** Set when the gateway does not know the charge: no longer asked, an operator was alerted. */
  parkedAt?: string | null;
}

/**
 * A refund operation's life: `requested` (key stored, gateway maybe not reached yet) → `processing`
 * (ConnectPSP accepted it) → the charge becomes `refunded` (webhook or GET), or `failed` (refused or
 * not settled; a new request is a new operation with a new key).
 */
export type RefundState = 'requested' | 'processing' | 'failed';

/** A change to a charge's refund operation, with the merchant message it brings, in one transaction. */
export interface RefundStateUpdate {
  transactionId: string;
  status: RefundState;
  idempotencyKey?: string | null;
  reason?: RefundReason | null;
  failure?: string | null;
  requestedAt?: string | null;
  /** Only write when the charge's refund is currently in one of these states (null: none). */
  onlyFrom?: readonly (RefundState | null)[];
}

/**
 * A charge we have asked, or are about to ask, ConnectPSP for. Written before the first attempt so
 * that every retry — in this process, after a crash, or on another instance — sends the same
 * `X-Idempotency-Key` and ConnectPSP creates the cash-in at most once.
 */
export interface ChargeAttempt {
  checkoutId: string;
  method: PaymentMethod;
  idempotencyKey: string;
  gatewayReference: string;
  createdAt: string;
}

/** One row of a checkout's status history; `id` is the SSE event id (increasing). */
export interface CheckoutEvent {
  id: number;
  checkoutId: string;
  data: StatusEventData;
}

export interface WebhookRecord {
  dedupeKey: string;
  eventType: string;
  transactionId: string | null;
  rawBody: string;
  receivedAt: string;
}

/** What goes with a checkout's move in `Store.transition`, in the same transaction. */
export interface TransitionChange {
  /** Fields of the checkout set along with its status (only when it moves). */
  patch?: CheckoutPatch;
  /** One charge updated alongside, also when the checkout does not move. */
  charge?: ChargeUpdate;
  /** Decides, from the outcome, which merchant notification to queue, if any. */
  merchantEvent?: MerchantEventRule;
  /** A webhook being applied: written, processed, with this change unless already written. */
  receipt?: WebhookReceipt;
}

/**
 * A verified webhook on its way through the service. The first `transition` it is handed to
 * writes `record`, as processed, in the same transaction as the change, and sets `written`: the
 * change and the note that it was applied commit together, once, instead of in three commits.
 */
export interface WebhookReceipt {
  readonly record: WebhookRecord;
  written: boolean;
}

/** A change to one charge, applied in the same transaction as the checkout transition. */
export interface ChargeUpdate {
  transactionId: string;
  status: ChargeStatus;
  endToEndId?: string | null;
  paidAt?: string | null;
  refundEndToEndId?: string | null;
}

/** Checkout fields a transition may set alongside the status. */
export interface CheckoutPatch {
  endToEndId?: string | null;
  paidAt?: string | null;
  refundEndToEndId?: string | null;
  refundedAt?: string | null;
}

/** A merchant notification to write into the outbox. */
export interface OutboxInput {
  /** Same key, same message: a second insert with it is ignored (crash replays, races). */
  dedupeKey: string;
  type: string;
  data: unknown;
}

/** A merchant notification waiting in, or delivered from, the outbox. */
export interface OutboxMessage {
  /** Stable across every delivery attempt: the receiver's dedupe key (`webhook-id`). */
  id: string;
  type: string;
  data: unknown;
  createdAt: string;
  attempts: number;
  nextAttemptAt: string;
  deliveredAt: string | null;
  lastError: string | null;
}

/**
 * Decides, inside the transaction and from its result, which merchant notification (if any) the
 * change produces; the store writes it in the same transaction, so a status change and its
 * notification are committed together or not at all.
 */
export type MerchantEventRule = (result: {
  changed: boolean;
  chargeChanged: boolean;
  checkout: CheckoutRecord;
  charges: readonly ChargeRecord[];
}) => OutboxInput | null;

export interface TransitionResult {
  /** False when the move was not allowed (duplicate, late, out of order): nothing was written. */
  changed: boolean;
  checkout: CheckoutRecord;
  event: CheckoutEvent | null;
  /** Whether the charge update was applied (its own one-way machine allowed it). */
  chargeChanged?: boolean;
}

export interface StoredResponse {
  status: number;
  body: unknown;
  requestHash: string;
}

export class DuplicateExternalReferenceError extends Error {
  constructor(readonly externalReference: string) {
    super(`a checkout with externalReference "${externalReference}" already exists`);
    this.name = 'DuplicateExternalReferenceError';
  }
}

export class DuplicatePayoutReferenceError extends Error {
  constructor(readonly externalReference: string) {
    super(`a payout with externalReference "${externalReference}" already exists`);
    this.name = 'DuplicatePayoutReferenceError';
  }
}

/**
 * Everything the server keeps. Each method is one atomic unit: an implementation runs it in one
 * transaction, so a crash leaves either all of it or none. SQLite is the embedded default; a
 * PostgreSQL implementation serves several instances.
 */
export interface Store {
  /** Inserts the checkout, its first status event and (when given) the idempotent response, atomically. */
  createCheckout(
    checkout: CheckoutRecord,
    event: Omit<StatusEventData, 'checkoutId'>,
    idempotency?: { key: string; requestHash: string; response: (checkout: CheckoutRecord) => StoredResponse },
  ): Promise<CheckoutRecord>;
  getCheckout(id: string): Promise<CheckoutRecord | undefined>;
  getIdempotentResponse(key: string): Promise<StoredResponse | undefined>;
  /** Saves the payer the browser gave, only if the merchant gave none (the merchant's payer wins). */
  setPayerIfMissing(checkoutId: string, payer: { name: string; document: string }): Promise<CheckoutRecord>;

  listCharges(checkoutId: string): Promise<ChargeRecord[]>;
  getCharge(transactionId: string): Promise<ChargeRecord | undefined>;

  /** The pending attempt for this checkout and method, creating it from `fresh()` when there is none. */
  openChargeAttempt(
    checkoutId: string,
    method: PaymentMethod,
    fresh: () => Omit<ChargeAttempt, 'checkoutId' | 'method' | 'createdAt'>,
  ): Promise<ChargeAttempt>;
  /** Forgets an attempt ConnectPSP definitively refused, so the next try uses a new key. */
  discardChargeAttempt(checkoutId: string, method: PaymentMethod, idempotencyKey: string): Promise<void>;
  /**
   * Records the charge ConnectPSP created, closes its attempt, and moves the checkout to
   * `awaiting_payment` — one transaction. A checkout already awaiting payment gets a status event
   * anyway (same status, new `activeCharge`), so open streams learn of the replacement code.
   */
  saveCharge(charge: ChargeRecord, idempotencyKey: string): Promise<TransitionResult>;

  /**
   * Moves a checkout to `to` if `TRANSITIONS` allow it from its current status and appends the
   * status event, with everything `change` carries — all or nothing. The charge update is applied
   * even when the checkout does not move (a second payment still marks its own charge paid), and so
   * is a `receipt` not yet written (see `WebhookReceipt`).
   */
  transition(checkoutId: string, to: CheckoutStatus, change?: TransitionChange): Promise<TransitionResult>;

  /** Status events after `afterId` (exclusive), oldest first. */
  eventsAfter(checkoutId: string, afterId: number): Promise<CheckoutEvent[]>;
  latestEvent(checkoutId: string): Promise<CheckoutEvent | undefined>;

  /** Whether a webhook with this key was applied already: a redelivery needs nothing more. */
  isWebhookProcessed(dedupeKey: string): Promise<boolean>;
  /**
   * Writes a verified webhook that no transition wrote: `processed` when it has been applied (one
   * that changed nothing, a cash-out notice), else kept for `unprocessedWebhooks` to replay (it
   * could not be applied yet). A record already processed stays processed.
   */
  recordWebhook(record: WebhookRecord, processed: boolean): Promise<void>;
  markWebhookProcessed(dedupeKey: string): Promise<void>;
  /**
   * Webhooks recorded but not applied (ConnectPSP could not confirm them yet): replayed by the
   * reconciler. With `dueAt`, only those whose next attempt (see `deferWebhook`) is due by then.
   */
  unprocessedWebhooks(dueAt?: string): Promise<WebhookRecord[]>;
  /**
   * Counts one more failed attempt at an unprocessed webhook and puts the next one off until
   * `nextAttemptAt(attempts)`; answers how many attempts it has had.
   */
  deferWebhook(dedupeKey: string, nextAttemptAt: (attempts: number) => string, error: string): Promise<number>;

  /** Writes a refund operation's new state (and its merchant message) when `onlyFrom` allows; answers whether it wrote. */
  setRefundState(update: RefundStateUpdate, message?: OutboxInput): Promise<boolean>;
  /** Charges whose refund operation is requested or processing: the reconciler finishes them. */
  refundsInFlight(limit: number): Promise<ChargeRecord[]>;
  /** Records a reconciler attempt at a charge: when to ask again, or that it is parked. */
  scheduleReconcile(transactionId: string, schedule: { attempts: number; nextAt: string | null; parkedAt: string | null }): Promise<void>;

  /** Writes a merchant notification that belongs to no checkout change (cash-out events). */
  enqueueMerchantEvent(input: OutboxInput): Promise<void>;
  /**
   * Takes up to `limit` messages due at `now` and leases them until `leaseUntil`, so another worker
   * (another instance) does not deliver them at the same time. A crash mid-delivery just lets the
   * lease run out and the message is taken again: at-least-once, always under the same id.
   */
  claimDueMerchantEvents(now: string, leaseUntil: string, limit: number): Promise<OutboxMessage[]>;
  markMerchantEventDelivered(id: string, at: string): Promise<void>;
  rescheduleMerchantEvent(id: string, nextAttemptAt: string, error: string): Promise<void>;
  /** Messages not yet delivered, for /metrics. */
  merchantEventBacklog(): Promise<number>;
  getMerchantEvents(limit: number): Promise<OutboxMessage[]>;

  /** Paid charges that are not the payment that settled their checkout, and are not refunded. */
  unrefundedDuplicatePayments(limit: number): Promise<ChargeRecord[]>;

  /**
   * Charges still awaiting payment whose expiry is before `before` and whose reconciler schedule is
   * due by then, not parked; the longest-waiting first, so failing ones cannot starve the rest.
   */
  chargesAwaitingPaymentExpiringBefore(before: string, limit: number): Promise<ChargeRecord[]>;

  // ---- Payouts (ConnectPSP Cash-Out; server/payouts/) ------------------------------------------

  /**
   * Writes a new payout before ConnectPSP is asked, so every retry sends its stored gateway key.
   * A payout already written under the same merchant `idempotencyKey` is answered instead
   * (`created: false`); another payout with the same `externalReference` is a
   * `DuplicatePayoutReferenceError`.
   */
  insertPayout(payout: PayoutRecord): Promise<{ payout: PayoutRecord; created: boolean }>;
  getPayout(id: string): Promise<PayoutRecord | undefined>;
  findPayout(by: { idempotencyKey: string } | { transactionId: string } | { gatewayReference: string }): Promise<PayoutRecord | undefined>;
  /** Newest first; `beforeSeq` continues after a page's last payout. */
  listPayouts(query: { limit: number; beforeSeq?: number | undefined; status?: PayoutStatus | undefined }): Promise<PayoutRecord[]>;
  /**
   * Re-reads the payout under a lock, asks `plan` what changes, and writes it with its merchant
   * message in one transaction. Answers the payout as written, or undefined when nothing changed.
   */
  changePayout(id: string, plan: (current: PayoutRecord) => PayoutChange | null): Promise<PayoutRecord | undefined>;
  /** Forgets a payout ConnectPSP refused before accepting it: nothing was sent, nothing is kept. */
  discardPayout(id: string): Promise<void>;
  /** Payouts still processing whose next check is due by `now`, longest-waiting first. */
  payoutsToReconcile(now: string, limit: number): Promise<PayoutRecord[]>;

  // ---- Operator console (server/console/) ---------------------------------------------------------

  /** Checkouts whose id, E2E id (theirs or a charge's) equals `q` or whose externalReference starts with it; newest first. */
  searchCheckouts(query: { q?: string | undefined; status?: CheckoutStatus | undefined; limit: number }): Promise<CheckoutRecord[]>;
  /** Webhooks received about these transactions, oldest first, with their verdicts. */
  webhooksFor(transactionIds: readonly string[]): Promise<WebhookVerdict[]>;
  /** Merchant notifications whose body mentions `needle` (a checkout or payout id), oldest first. */
  merchantEventsMentioning(needle: string, limit: number): Promise<OutboxMessage[]>;
  /** Merchant notifications not delivered yet, oldest first. */
  undeliveredMerchantEvents(limit: number): Promise<OutboxMessage[]>;
  /** Makes an undelivered notification due now (also one given up on); answers whether there was one. */
  redeliverMerchantEventNow(id: string, now: string): Promise<boolean>;
  recordDeliveryAttempt(attempt: DeliveryAttempt): Promise<void>;
  deliveryAttempts(messageIds: readonly string[]): Promise<DeliveryAttempt[]>;
  /** Opens an alert, or counts one more occurrence of the open alert with the same code and subject. */
  recordAlert(alert: NewAlert): Promise<void>;
  listAlerts(query: { includeResolved: boolean; limit: number }): Promise<AlertRecord[]>;
  /** Marks an open alert resolved; answers whether it was open. */
  resolveAlert(id: number, at: string): Promise<boolean>;

  /** True when the store answers; for /readyz. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}
