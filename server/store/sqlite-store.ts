import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { CheckoutStatus, PaymentMethod, StatusEventData } from 'connectpsp-checkout/contract';
import { planChargeSaved, planTransition, type TransitionPlan } from '../checkouts/plan-transition.js';
import { newMerchantEventId } from '../ids.js';
import {
  DuplicateExternalReferenceError,
  type OutboxInput,
  type RefundStateUpdate,
  type OutboxMessage,
  type ChargeAttempt,
  type ChargeRecord,
  type ChargeUpdate,
  type CheckoutEvent,
  type CheckoutRecord,
  type Store,
  type StoredResponse,
  type TransitionChange,
  type TransitionResult,
  type WebhookRecord,
} from './store.js';
import { toCharge, toCheckout, toOutbox, type ChargeRow, type CheckoutRow, type OutboxRow } from './rows.js';
import { DuplicatePayoutReferenceError } from './store.js';
import type { PayoutChange, PayoutRecord, PayoutStatus } from '../payouts/payout.js';
import type { AlertRecord, DeliveryAttempt, NewAlert, WebhookVerdict } from '../console/console-records.js';
import { toAlert, toWebhookVerdict, type AlertRow, type WebhookVerdictRow } from '../console/console-rows.js';
import {
  PAYOUT_INSERT_COLUMNS,
  PAYOUT_UPDATE_SET,
  payoutInsertValues,
  payoutUpdateValues,
  toPayout,
  type PayoutRow,
} from '../payouts/payout-rows.js';

/**
 * Schema migrations, applied in order; `PRAGMA user_version` remembers how many ran. Append only:
 * never edit a migration that has shipped.
 */
const MIGRATIONS: string[] = [
  `CREATE TABLE checkouts (
     id TEXT PRIMARY KEY,
     client_secret_hash TEXT NOT NULL,
     amount INTEGER NOT NULL CHECK (amount > 0),
     external_reference TEXT NOT NULL UNIQUE,
     description TEXT,
     payer_name TEXT,
     payer_document TEXT,
     methods TEXT NOT NULL,
     expires_in_minutes INTEGER NOT NULL,
     return_url TEXT,
     metadata TEXT NOT NULL,
     status TEXT NOT NULL,
     end_to_end_id TEXT,
     paid_at TEXT,
     created_at TEXT NOT NULL,
     updated_at TEXT NOT NULL
   );
   CREATE TABLE charges (
     transaction_id TEXT PRIMARY KEY,
     checkout_id TEXT NOT NULL REFERENCES checkouts(id),
     method TEXT NOT NULL,
     status TEXT NOT NULL,
     amount INTEGER NOT NULL,
     internal_code TEXT,
     gateway_reference TEXT NOT NULL UNIQUE,
     copy_and_paste TEXT,
     payment_url TEXT,
     expires_at TEXT NOT NULL,
     end_to_end_id TEXT,
     paid_at TEXT,
     created_at TEXT NOT NULL,
     updated_at TEXT NOT NULL
   );
   CREATE INDEX charges_by_checkout ON charges (checkout_id, created_at);
   CREATE INDEX charges_awaiting_by_expiry ON charges (expires_at) WHERE status = 'awaiting_payment';
   CREATE TABLE charge_attempts (
     checkout_id TEXT NOT NULL REFERENCES checkouts(id),
     method TEXT NOT NULL,
     idempotency_key TEXT NOT NULL UNIQUE,
     gateway_reference TEXT NOT NULL UNIQUE,
     created_at TEXT NOT NULL,
     PRIMARY KEY (checkout_id, method)
   );
   CREATE TABLE checkout_events (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     checkout_id TEXT NOT NULL REFERENCES checkouts(id),
     data TEXT NOT NULL
   );
   CREATE INDEX checkout_events_by_checkout ON checkout_events (checkout_id, id);
   CREATE TABLE webhook_events (
     dedupe_key TEXT PRIMARY KEY,
     event_type TEXT NOT NULL,
     transaction_id TEXT,
     raw_body TEXT NOT NULL,
     received_at TEXT NOT NULL,
     processed_at TEXT
   );
   CREATE TABLE idempotent_responses (
     key TEXT PRIMARY KEY,
     request_hash TEXT NOT NULL,
     status INTEGER NOT NULL,
     body TEXT NOT NULL,
     created_at TEXT NOT NULL
   );`,
  `ALTER TABLE checkouts ADD COLUMN refund_end_to_end_id TEXT;
   ALTER TABLE checkouts ADD COLUMN refunded_at TEXT;
   ALTER TABLE charges ADD COLUMN refund_end_to_end_id TEXT;
   CREATE TABLE merchant_outbox (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     id TEXT NOT NULL UNIQUE,
     dedupe_key TEXT NOT NULL UNIQUE,
     type TEXT NOT NULL,
     data TEXT NOT NULL,
     created_at TEXT NOT NULL,
     attempts INTEGER NOT NULL DEFAULT 0,
     next_attempt_at TEXT NOT NULL,
     delivered_at TEXT,
     last_error TEXT
   );
   CREATE INDEX merchant_outbox_due ON merchant_outbox (next_attempt_at) WHERE delivered_at IS NULL;`,
  `ALTER TABLE charges ADD COLUMN refund_status TEXT;
   ALTER TABLE charges ADD COLUMN refund_idempotency_key TEXT;
   ALTER TABLE charges ADD COLUMN refund_reason TEXT;
   ALTER TABLE charges ADD COLUMN refund_failure TEXT;
   ALTER TABLE charges ADD COLUMN refund_requested_at TEXT;
   ALTER TABLE charges ADD COLUMN reconcile_attempts INTEGER NOT NULL DEFAULT 0;
   ALTER TABLE charges ADD COLUMN next_reconcile_at TEXT;
   ALTER TABLE charges ADD COLUMN parked_at TEXT;
   CREATE INDEX charges_refunds_in_flight ON charges (refund_requested_at) WHERE refund_status IN ('requested', 'processing');
   ALTER TABLE webhook_events ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
   ALTER TABLE webhook_events ADD COLUMN next_attempt_at TEXT;
   ALTER TABLE webhook_events ADD COLUMN last_error TEXT;`,
  // Payouts (server/payouts/).
  `CREATE TABLE payouts (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     id TEXT NOT NULL UNIQUE,
     amount INTEGER NOT NULL CHECK (amount > 0),
     external_reference TEXT NOT NULL UNIQUE,
     description TEXT,
     payee TEXT NOT NULL,
     status TEXT NOT NULL,
     idempotency_key TEXT NOT NULL UNIQUE,
     request_hash TEXT NOT NULL,
     gateway_idempotency_key TEXT NOT NULL UNIQUE,
     gateway_reference TEXT NOT NULL UNIQUE,
     transaction_id TEXT UNIQUE,
     end_to_end_id TEXT,
     original_end_to_end_id TEXT,
     failure_code TEXT,
     failure_message TEXT,
     reconcile_attempts INTEGER NOT NULL DEFAULT 0,
     next_reconcile_at TEXT,
     created_at TEXT NOT NULL,
     updated_at TEXT NOT NULL
   );
   CREATE INDEX payouts_processing ON payouts (next_reconcile_at) WHERE status = 'processing';`,
  // The operator console (server/console/).
  `CREATE TABLE alerts (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     code TEXT NOT NULL,
     subject TEXT NOT NULL,
     message TEXT NOT NULL,
     action TEXT NOT NULL,
     context TEXT NOT NULL,
     count INTEGER NOT NULL DEFAULT 1,
     first_at TEXT NOT NULL,
     last_at TEXT NOT NULL,
     resolved_at TEXT
   );
   CREATE UNIQUE INDEX alerts_open ON alerts (code, subject) WHERE resolved_at IS NULL;
   CREATE TABLE merchant_delivery_attempts (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     message_id TEXT NOT NULL,
     at TEXT NOT NULL,
     delivered INTEGER NOT NULL,
     answer TEXT NOT NULL
   );
   CREATE INDEX merchant_delivery_attempts_by_message ON merchant_delivery_attempts (message_id, seq);
   CREATE INDEX charges_by_end_to_end_id ON charges (end_to_end_id);
   CREATE INDEX webhook_events_by_transaction ON webhook_events (transaction_id);`,
];

/** SQLite's JSON columns are text: parse them, then map as every store does. */
type SqliteCheckoutRow = Omit<CheckoutRow, 'methods' | 'metadata'> & { methods: string; metadata: string };
type SqliteOutboxRow = Omit<OutboxRow, 'data'> & { data: string };
const checkoutFrom = (r: SqliteCheckoutRow) =>
  toCheckout({ ...r, methods: JSON.parse(r.methods) as PaymentMethod[], metadata: JSON.parse(r.metadata) as Record<string, string> });
const outboxFrom = (r: SqliteOutboxRow) => toOutbox({ ...r, data: JSON.parse(r.data) as unknown });

type WriteOutcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/** A write waiting for the next group commit. */
interface PendingWrite {
  work: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/**
 * The embedded store: one SQLite file in WAL mode with `synchronous=FULL`, so a write that returned
 * survives a power cut. better-sqlite3 is synchronous; each write runs whole, in a transaction, before
 * another request's code runs, which is what makes check-then-write safe here.
 *
 * Writes are group-committed (`#write`): with FULL, every commit waits for an fsync that blocks the
 * event loop, and the webhook path made three of them per webhook (nearly half the server's
 * time under load went to those fsyncs). Now the writes that reach the store in one turn of the event
 * loop share one commit. Reads run at once and see what is committed.
 */
export class SqliteStore implements Store {
  readonly #db: Database.Database;
  readonly #now: () => Date;

  constructor(filename: string, options: { now?: () => Date } = {}) {
    if (filename !== ':memory:') mkdirSync(dirname(filename), { recursive: true });
    this.#db = new Database(filename);
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma('synchronous = FULL');
    this.#db.pragma('foreign_keys = ON');
    this.#db.pragma('busy_timeout = 5000');
    this.#savepoint = this.#db.transaction((work: () => unknown): unknown => work());
    this.#commit = this.#db.transaction((batch: PendingWrite[]): WriteOutcome[] =>
      batch.map((write) => {
        try {
          return { ok: true, value: this.#savepoint(write.work) };
        } catch (error) {
          return { ok: false, error };
        }
      }),
    );
    this.#now = options.now ?? (() => new Date());
    this.#migrate();
  }

  readonly #statements = new Map<string, Database.Statement>();
  #pending: PendingWrite[] = [];

  /**
   * Runs `work` in the next group commit and resolves with its result once that commit is on disk,
   * so nothing is acknowledged before it is durable. The commit runs on `setImmediate`, after the
   * event loop has handed every request that arrived to its handler. Each work runs in a savepoint
   * of its own: one that throws is undone alone and rejects alone; a failed commit rejects them all.
   */
  #write<T>(work: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.#pending.push({ work, resolve: resolve as (value: unknown) => void, reject }) === 1) setImmediate(this.#flush);
    });
  }

  /**
   * One transaction, one savepoint per write (better-sqlite3 runs a transaction function called
   * inside another as a savepoint). Both are made once, in the constructor: better-sqlite3 builds
   * four wrappers per `transaction()` call, which showed in the webhook path's profile.
   */
  readonly #commit: (batch: PendingWrite[]) => WriteOutcome[];
  readonly #savepoint: (work: () => unknown) => unknown;

  readonly #flush = (): void => {
    const batch = this.#pending;
    this.#pending = [];
    if (batch.length === 0) return;
    let outcomes;
    try {
      if (!this.#db.open) throw new Error('the store is closed');
      outcomes = this.#commit(batch);
    } catch (error) {
      for (const write of batch) write.reject(error);
      return;
    }
    batch.forEach((write, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) write.resolve(outcome.value);
      else write.reject(outcome.error);
    });
  };

  /** Prepared once per SQL text: preparing on every call was a tenth of the webhook path's CPU. */
  #stmt(sql: string): Database.Statement {
    let statement = this.#statements.get(sql);
    if (!statement) this.#statements.set(sql, (statement = this.#db.prepare(sql)));
    return statement;
  }

  #migrate(): void {
    const applied = this.#db.pragma('user_version', { simple: true }) as number;
    for (let i = applied; i < MIGRATIONS.length; i++) {
      this.#db.transaction(() => {
        this.#db.exec(MIGRATIONS[i]!);
        this.#db.pragma(`user_version = ${i + 1}`);
      })();
    }
  }

  async createCheckout(
    checkout: CheckoutRecord,
    event: Omit<StatusEventData, 'checkoutId'>,
    idempotency?: { key: string; requestHash: string; response: (c: CheckoutRecord) => StoredResponse },
  ): Promise<CheckoutRecord> {
    const insert = () => {
      this.#stmt(
        `INSERT INTO checkouts (id, client_secret_hash, amount, external_reference, description, payer_name,
             payer_document, methods, expires_in_minutes, return_url, metadata, status, end_to_end_id, paid_at,
             refund_end_to_end_id, refunded_at, created_at, updated_at)
           VALUES (@id, @clientSecretHash, @amount, @externalReference, @description, @payerName, @payerDocument,
             @methods, @expiresInMinutes, @returnUrl, @metadata, @status, @endToEndId, @paidAt,
             @refundEndToEndId, @refundedAt, @createdAt, @updatedAt)`,
      ).run({
        ...checkout,
        payerName: checkout.payer?.name ?? null,
        payerDocument: checkout.payer?.document ?? null,
        methods: JSON.stringify(checkout.methods),
        metadata: JSON.stringify(checkout.metadata),
      });
      this.#appendEvent({ ...event, checkoutId: checkout.id });
      if (idempotency) {
        const response = idempotency.response(checkout);
        this.#stmt('INSERT INTO idempotent_responses (key, request_hash, status, body, created_at) VALUES (?, ?, ?, ?, ?)').run(
          idempotency.key,
          idempotency.requestHash,
          response.status,
          JSON.stringify(response.body),
          checkout.createdAt,
        );
      }
    };
    try {
      await this.#write(insert);
    } catch (err) {
      if (isUniqueViolation(err, 'checkouts.external_reference')) {
        throw new DuplicateExternalReferenceError(checkout.externalReference);
      }
      throw err;
    }
    return checkout;
  }

  async getCheckout(id: string): Promise<CheckoutRecord | undefined> {
    return this.#getCheckout(id);
  }

  #getCheckout(id: string): CheckoutRecord | undefined {
    const row = this.#stmt('SELECT * FROM checkouts WHERE id = ?').get(id) as SqliteCheckoutRow | undefined;
    return row && checkoutFrom(row);
  }

  async getIdempotentResponse(key: string): Promise<StoredResponse | undefined> {
    const row = this.#stmt('SELECT request_hash, status, body FROM idempotent_responses WHERE key = ?').get(key) as
      { request_hash: string; status: number; body: string } | undefined;
    return row && { requestHash: row.request_hash, status: row.status, body: JSON.parse(row.body) };
  }

  async setPayerIfMissing(checkoutId: string, payer: { name: string; document: string }): Promise<CheckoutRecord> {
    return this.#write(() => {
      this.#stmt('UPDATE checkouts SET payer_name = ?, payer_document = ?, updated_at = ? WHERE id = ? AND payer_name IS NULL').run(
        payer.name,
        payer.document,
        this.#now().toISOString(),
        checkoutId,
      );
      const checkout = this.#getCheckout(checkoutId);
      if (!checkout) throw new Error(`checkout ${checkoutId} does not exist`);
      return checkout;
    });
  }

  async listCharges(checkoutId: string): Promise<ChargeRecord[]> {
    return this.#listCharges(checkoutId);
  }

  #listCharges(checkoutId: string): ChargeRecord[] {
    const rows = this.#stmt('SELECT * FROM charges WHERE checkout_id = ? ORDER BY created_at, rowid').all(checkoutId) as ChargeRow[];
    return rows.map(toCharge);
  }

  async getCharge(transactionId: string): Promise<ChargeRecord | undefined> {
    const row = this.#stmt('SELECT * FROM charges WHERE transaction_id = ?').get(transactionId) as ChargeRow | undefined;
    return row && toCharge(row);
  }

  async openChargeAttempt(
    checkoutId: string,
    method: PaymentMethod,
    fresh: () => Omit<ChargeAttempt, 'checkoutId' | 'method' | 'createdAt'>,
  ): Promise<ChargeAttempt> {
    return this.#write(() => {
      const existing = this.#stmt(
        'SELECT idempotency_key, gateway_reference, created_at FROM charge_attempts WHERE checkout_id = ? AND method = ?',
      ).get(checkoutId, method) as { idempotency_key: string; gateway_reference: string; created_at: string } | undefined;
      if (existing) {
        return {
          checkoutId,
          method,
          idempotencyKey: existing.idempotency_key,
          gatewayReference: existing.gateway_reference,
          createdAt: existing.created_at,
        };
      }
      const attempt: ChargeAttempt = { checkoutId, method, ...fresh(), createdAt: this.#now().toISOString() };
      this.#stmt(
        'INSERT INTO charge_attempts (checkout_id, method, idempotency_key, gateway_reference, created_at) VALUES (?, ?, ?, ?, ?)',
      ).run(checkoutId, method, attempt.idempotencyKey, attempt.gatewayReference, attempt.createdAt);
      return attempt;
    });
  }

  async discardChargeAttempt(checkoutId: string, method: PaymentMethod, idempotencyKey: string): Promise<void> {
    await this.#write(() =>
      this.#stmt('DELETE FROM charge_attempts WHERE checkout_id = ? AND method = ? AND idempotency_key = ?').run(
        checkoutId,
        method,
        idempotencyKey,
      ),
    );
  }

  async saveCharge(charge: ChargeRecord, idempotencyKey: string): Promise<TransitionResult> {
    return this.#write(() => {
      this.#stmt(
        `INSERT INTO charges (transaction_id, checkout_id, method, status, amount, internal_code, gateway_reference,
             copy_and_paste, payment_url, expires_at, end_to_end_id, paid_at, refund_end_to_end_id, created_at, updated_at)
           VALUES (@transactionId, @checkoutId, @method, @status, @amount, @internalCode, @gatewayReference,
             @copyAndPaste, @paymentUrl, @expiresAt, @endToEndId, @paidAt, @refundEndToEndId, @createdAt, @updatedAt)
           ON CONFLICT (transaction_id) DO NOTHING`,
      ).run(charge);
      this.#stmt('DELETE FROM charge_attempts WHERE idempotency_key = ?').run(idempotencyKey);
      const current = this.#getCheckout(charge.checkoutId);
      if (!current) throw new Error(`checkout ${charge.checkoutId} does not exist`);
      return this.#persist(current, planChargeSaved(current, this.#listCharges(current.id), this.#now().toISOString()));
    });
  }

  async transition(checkoutId: string, to: CheckoutStatus, { receipt, ...change }: TransitionChange = {}): Promise<TransitionResult> {
    const result = await this.#write(() => {
      const checkout = this.#getCheckout(checkoutId);
      if (!checkout) throw new Error(`checkout ${checkoutId} does not exist`);
      const result = this.#persist(
        checkout,
        planTransition(checkout, this.#listCharges(checkoutId), to, change, this.#now().toISOString()),
      );
      if (receipt && !receipt.written) this.#recordWebhook(receipt.record, true);
      return result;
    });
    if (receipt) receipt.written = true;
    return result;
  }

  /** Writes what the plan says, nothing else. Must run inside a transaction. */
  #persist(current: CheckoutRecord, plan: TransitionPlan): TransitionResult {
    if (plan.charge) this.#updateCharge(plan.charge);
    if (plan.checkout) {
      this.#stmt(
        `UPDATE checkouts SET status = @status, end_to_end_id = @endToEndId, paid_at = @paidAt,
             refund_end_to_end_id = @refundEndToEndId, refunded_at = @refundedAt, updated_at = @updatedAt
           WHERE id = @id`,
      ).run(plan.checkout);
    }
    const event = plan.event ? this.#appendEvent(plan.event) : null;
    if (plan.outbox) this.#enqueue(plan.outbox);
    return { changed: plan.checkout !== null, checkout: plan.checkout ?? current, event, chargeChanged: plan.charge !== null };
  }

  #updateCharge(update: ChargeUpdate): void {
    this.#stmt(
      `UPDATE charges SET status = @status,
           end_to_end_id = COALESCE(@endToEndId, end_to_end_id),
           paid_at = COALESCE(@paidAt, paid_at),
           refund_end_to_end_id = COALESCE(@refundEndToEndId, refund_end_to_end_id),
           refund_status = CASE WHEN @status = 'refunded' THEN NULL ELSE refund_status END,
           refund_failure = CASE WHEN @status = 'refunded' THEN NULL ELSE refund_failure END,
           updated_at = @now
         WHERE transaction_id = @transactionId`,
    ).run({ endToEndId: null, paidAt: null, refundEndToEndId: null, ...update, now: this.#now().toISOString() });
  }

  async setRefundState(update: RefundStateUpdate, message?: OutboxInput): Promise<boolean> {
    return this.#write(() => {
      const row = this.#stmt('SELECT status, refund_status FROM charges WHERE transaction_id = ?').get(update.transactionId) as
        { status: string; refund_status: string | null } | undefined;
      if (!row || row.status === 'refunded') return false;
      if (update.onlyFrom && !update.onlyFrom.includes(row.refund_status as never)) return false;
      this.#stmt(
        `UPDATE charges SET refund_status = @status,
             refund_idempotency_key = CASE WHEN @keySet THEN @idempotencyKey ELSE refund_idempotency_key END,
             refund_reason = COALESCE(@reason, refund_reason),
             refund_failure = @failure,
             refund_requested_at = COALESCE(@requestedAt, refund_requested_at),
             updated_at = @now
           WHERE transaction_id = @transactionId`,
      ).run({
        transactionId: update.transactionId,
        status: update.status,
        keySet: update.idempotencyKey === undefined ? 0 : 1,
        idempotencyKey: update.idempotencyKey ?? null,
        reason: update.reason ?? null,
        failure: update.failure ?? null,
        requestedAt: update.requestedAt ?? null,
        now: this.#now().toISOString(),
      });
      if (message) this.#enqueue(message);
      return true;
    });
  }

  async refundsInFlight(limit: number): Promise<ChargeRecord[]> {
    const rows = this.#stmt(
      "SELECT * FROM charges WHERE refund_status IN ('requested', 'processing') AND status = 'paid' ORDER BY refund_requested_at LIMIT ?",
    ).all(limit) as ChargeRow[];
    return rows.map(toCharge);
  }

  async scheduleReconcile(
    transactionId: string,
    schedule: { attempts: number; nextAt: string | null; parkedAt: string | null },
  ): Promise<void> {
    await this.#write(() =>
      this.#stmt('UPDATE charges SET reconcile_attempts = ?, next_reconcile_at = ?, parked_at = ? WHERE transaction_id = ?').run(
        schedule.attempts,
        schedule.nextAt,
        schedule.parkedAt,
        transactionId,
      ),
    );
  }

  #enqueue(input: OutboxInput): void {
    const now = this.#now().toISOString();
    this.#stmt(
      `INSERT INTO merchant_outbox (id, dedupe_key, type, data, created_at, next_attempt_at)
         VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (dedupe_key) DO NOTHING`,
    ).run(newMerchantEventId(), input.dedupeKey, input.type, JSON.stringify(input.data), now, now);
  }

  async enqueueMerchantEvent(input: OutboxInput): Promise<void> {
    await this.#write(() => this.#enqueue(input));
  }

  async claimDueMerchantEvents(now: string, leaseUntil: string, limit: number): Promise<OutboxMessage[]> {
    return this.#write(() => {
      const rows = this.#stmt(
        'SELECT * FROM merchant_outbox WHERE delivered_at IS NULL AND next_attempt_at <= ? ORDER BY next_attempt_at, seq LIMIT ?',
      ).all(now, limit) as SqliteOutboxRow[];
      const lease = this.#stmt('UPDATE merchant_outbox SET next_attempt_at = ?, attempts = attempts + 1 WHERE id = ?');
      for (const row of rows) lease.run(leaseUntil, row.id);
      return rows.map((r) => outboxFrom({ ...r, attempts: r.attempts + 1, next_attempt_at: leaseUntil }));
    });
  }

  async markMerchantEventDelivered(id: string, at: string): Promise<void> {
    await this.#write(() => this.#stmt('UPDATE merchant_outbox SET delivered_at = ?, last_error = NULL WHERE id = ?').run(at, id));
  }

  async rescheduleMerchantEvent(id: string, nextAttemptAt: string, error: string): Promise<void> {
    await this.#write(() =>
      this.#stmt('UPDATE merchant_outbox SET next_attempt_at = ?, last_error = ? WHERE id = ? AND delivered_at IS NULL').run(
        nextAttemptAt,
        error.slice(0, 500),
        id,
      ),
    );
  }

  async merchantEventBacklog(): Promise<number> {
    return (this.#stmt('SELECT COUNT(*) AS n FROM merchant_outbox WHERE delivered_at IS NULL').get() as { n: number }).n;
  }

  async getMerchantEvents(limit: number): Promise<OutboxMessage[]> {
    return (this.#stmt('SELECT * FROM merchant_outbox ORDER BY seq LIMIT ?').all(limit) as SqliteOutboxRow[]).map(outboxFrom);
  }

  #appendEvent(data: StatusEventData): CheckoutEvent {
    const info = this.#stmt('INSERT INTO checkout_events (checkout_id, data) VALUES (?, ?)').run(data.checkoutId, JSON.stringify(data));
    return { id: Number(info.lastInsertRowid), checkoutId: data.checkoutId, data };
  }

  async eventsAfter(checkoutId: string, afterId: number): Promise<CheckoutEvent[]> {
    const rows = this.#stmt('SELECT id, checkout_id, data FROM checkout_events WHERE checkout_id = ? AND id > ? ORDER BY id').all(
      checkoutId,
      afterId,
    ) as { id: number; checkout_id: string; data: string }[];
    return rows.map((r) => ({ id: r.id, checkoutId: r.checkout_id, data: JSON.parse(r.data) as StatusEventData }));
  }

  async latestEvent(checkoutId: string): Promise<CheckoutEvent | undefined> {
    const row = this.#stmt('SELECT id, checkout_id, data FROM checkout_events WHERE checkout_id = ? ORDER BY id DESC LIMIT 1').get(
      checkoutId,
    ) as { id: number; checkout_id: string; data: string } | undefined;
    return row && { id: row.id, checkoutId: row.checkout_id, data: JSON.parse(row.data) as StatusEventData };
  }

  async isWebhookProcessed(dedupeKey: string): Promise<boolean> {
    const row = this.#stmt('SELECT processed_at FROM webhook_events WHERE dedupe_key = ?').get(dedupeKey) as
      { processed_at: string | null } | undefined;
    return row?.processed_at != null;
  }

  async recordWebhook(record: WebhookRecord, processed: boolean): Promise<void> {
    await this.#write(() => this.#recordWebhook(record, processed));
  }

  #recordWebhook(record: WebhookRecord, processed: boolean): void {
    this.#stmt(
      `INSERT INTO webhook_events (dedupe_key, event_type, transaction_id, raw_body, received_at, processed_at)
         VALUES (@dedupeKey, @eventType, @transactionId, @rawBody, @receivedAt, @processedAt)
         ON CONFLICT (dedupe_key) DO UPDATE SET processed_at = COALESCE(processed_at, excluded.processed_at)`,
    ).run({ ...record, processedAt: processed ? this.#now().toISOString() : null });
  }

  async markWebhookProcessed(dedupeKey: string): Promise<void> {
    await this.#write(() =>
      this.#stmt('UPDATE webhook_events SET processed_at = ? WHERE dedupe_key = ?').run(this.#now().toISOString(), dedupeKey),
    );
  }

  async deferWebhook(dedupeKey: string, nextAttemptAt: (attempts: number) => string, error: string): Promise<number> {
    return this.#write(() => {
      const row = this.#stmt('SELECT attempts FROM webhook_events WHERE dedupe_key = ? AND processed_at IS NULL').get(dedupeKey) as
        { attempts: number } | undefined;
      if (!row) return 0;
      const attempts = row.attempts + 1;
      this.#stmt('UPDATE webhook_events SET attempts = ?, next_attempt_at = ?, last_error = ? WHERE dedupe_key = ?').run(
        attempts,
        nextAttemptAt(attempts),
        error.slice(0, 500),
        dedupeKey,
      );
      return attempts;
    });
  }

  async unprocessedWebhooks(dueAt?: string): Promise<WebhookRecord[]> {
    const rows = this.#stmt(
      `SELECT dedupe_key, event_type, transaction_id, raw_body, received_at FROM webhook_events
         WHERE processed_at IS NULL AND (@dueAt IS NULL OR next_attempt_at IS NULL OR next_attempt_at <= @dueAt) ORDER BY received_at`,
    ).all({ dueAt: dueAt ?? null }) as {
      dedupe_key: string;
      event_type: string;
      transaction_id: string | null;
      raw_body: string;
      received_at: string;
    }[];
    return rows.map((r) => ({
      dedupeKey: r.dedupe_key,
      eventType: r.event_type,
      transactionId: r.transaction_id,
      rawBody: r.raw_body,
      receivedAt: r.received_at,
    }));
  }

  async unrefundedDuplicatePayments(limit: number): Promise<ChargeRecord[]> {
    const rows = this.#stmt(
      `SELECT ch.* FROM charges ch JOIN checkouts co ON co.id = ch.checkout_id
         WHERE ch.status = 'paid' AND co.end_to_end_id IS NOT NULL AND ch.end_to_end_id IS NOT co.end_to_end_id
         ORDER BY ch.updated_at LIMIT ?`,
    ).all(limit) as ChargeRow[];
    return rows.map(toCharge);
  }

  async chargesAwaitingPaymentExpiringBefore(before: string, limit: number): Promise<ChargeRecord[]> {
    const rows = this.#stmt(
      `SELECT * FROM charges WHERE status = 'awaiting_payment' AND expires_at < @before AND parked_at IS NULL
           AND (next_reconcile_at IS NULL OR next_reconcile_at <= @before)
         ORDER BY COALESCE(next_reconcile_at, expires_at) LIMIT @limit`,
    ).all({ before, limit }) as ChargeRow[];
    return rows.map(toCharge);
  }

  // ---- Payouts ------------------------------------------------------------------------------------

  async insertPayout(payout: PayoutRecord): Promise<{ payout: PayoutRecord; created: boolean }> {
    return this.#write(() => {
      const existing = this.#findPayout('idempotency_key', payout.idempotencyKey);
      if (existing) return { payout: existing, created: false };
      try {
        this.#stmt(
          `INSERT INTO payouts (${PAYOUT_INSERT_COLUMNS}) VALUES (${PAYOUT_INSERT_COLUMNS.split(',')
            .map(() => '?')
            .join(', ')})`,
        ).run(...payoutInsertValues(payout));
      } catch (err) {
        if (isUniqueViolation(err, 'payouts.external_reference')) throw new DuplicatePayoutReferenceError(payout.externalReference);
        throw err;
      }
      return { payout: this.#findPayout('id', payout.id)!, created: true };
    });
  }

  #findPayout(column: 'id' | 'idempotency_key' | 'transaction_id' | 'gateway_reference', value: string): PayoutRecord | undefined {
    const row = this.#stmt(`SELECT * FROM payouts WHERE ${column} = ?`).get(value) as PayoutRow | undefined;
    return row && toPayout(row);
  }

  async getPayout(id: string): Promise<PayoutRecord | undefined> {
    return this.#findPayout('id', id);
  }

  async findPayout(
    by: { idempotencyKey: string } | { transactionId: string } | { gatewayReference: string },
  ): Promise<PayoutRecord | undefined> {
    if ('idempotencyKey' in by) return this.#findPayout('idempotency_key', by.idempotencyKey);
    if ('transactionId' in by) return this.#findPayout('transaction_id', by.transactionId);
    return this.#findPayout('gateway_reference', by.gatewayReference);
  }

  async listPayouts(query: { limit: number; beforeSeq?: number | undefined; status?: PayoutStatus | undefined }): Promise<PayoutRecord[]> {
    const rows = this.#stmt(
      'SELECT * FROM payouts WHERE (@before IS NULL OR seq < @before) AND (@status IS NULL OR status = @status) ORDER BY seq DESC LIMIT @limit',
    ).all({ before: query.beforeSeq ?? null, status: query.status ?? null, limit: query.limit }) as PayoutRow[];
    return rows.map(toPayout);
  }

  async changePayout(id: string, plan: (current: PayoutRecord) => PayoutChange | null): Promise<PayoutRecord | undefined> {
    return this.#write(() => {
      const current = this.#findPayout('id', id);
      if (!current) return undefined;
      const change = plan(current);
      if (!change) return undefined;
      const [pid, ...values] = payoutUpdateValues(change.payout);
      this.#stmt(`UPDATE payouts SET ${PAYOUT_UPDATE_SET.replace(/\$\d+/g, '?')} WHERE id = ?`).run(...values, pid);
      if (change.outbox) this.#enqueue(change.outbox);
      return this.#findPayout('id', id);
    });
  }

  async discardPayout(id: string): Promise<void> {
    await this.#write(() => this.#stmt('DELETE FROM payouts WHERE id = ? AND transaction_id IS NULL').run(id));
  }

  async payoutsToReconcile(now: string, limit: number): Promise<PayoutRecord[]> {
    const rows = this.#stmt(
      `SELECT * FROM payouts WHERE status = 'processing' AND (next_reconcile_at IS NULL OR next_reconcile_at <= ?)
       ORDER BY COALESCE(next_reconcile_at, created_at), seq LIMIT ?`,
    ).all(now, limit) as PayoutRow[];
    return rows.map(toPayout);
  }

  // ---- Operator console ---------------------------------------------------------------------------

  async searchCheckouts(query: { q?: string | undefined; status?: CheckoutStatus | undefined; limit: number }): Promise<CheckoutRecord[]> {
    const q = query.q?.trim() || null;
    const rows = this.#stmt(
      `SELECT * FROM checkouts c WHERE (@status IS NULL OR c.status = @status)
         AND (@q IS NULL OR c.id = @q OR c.end_to_end_id = @q OR c.refund_end_to_end_id = @q
              OR substr(c.external_reference, 1, length(@q)) = @q
              OR EXISTS (SELECT 1 FROM charges ch WHERE ch.checkout_id = c.id AND (ch.end_to_end_id = @q OR ch.refund_end_to_end_id = @q OR ch.transaction_id = @q)))
       ORDER BY c.created_at DESC, c.id LIMIT @limit`,
    ).all({ q, status: query.status ?? null, limit: query.limit }) as SqliteCheckoutRow[];
    return rows.map(checkoutFrom);
  }

  async webhooksFor(transactionIds: readonly string[]): Promise<WebhookVerdict[]> {
    if (transactionIds.length === 0) return [];
    const rows = this.#db
      .prepare(
        `SELECT dedupe_key, event_type, transaction_id, received_at, processed_at, attempts, last_error FROM webhook_events WHERE transaction_id IN (${transactionIds.map(() => '?').join(', ')}) ORDER BY received_at, dedupe_key`,
      )
      .all(...transactionIds) as WebhookVerdictRow[];
    return rows.map(toWebhookVerdict);
  }

  async merchantEventsMentioning(needle: string, limit: number): Promise<OutboxMessage[]> {
    const rows = this.#stmt('SELECT * FROM merchant_outbox WHERE instr(data, ?) > 0 ORDER BY seq LIMIT ?').all(
      needle,
      limit,
    ) as SqliteOutboxRow[];
    return rows.map(outboxFrom);
  }

  async undeliveredMerchantEvents(limit: number): Promise<OutboxMessage[]> {
    const rows = this.#stmt('SELECT * FROM merchant_outbox WHERE delivered_at IS NULL ORDER BY seq LIMIT ?').all(
      limit,
    ) as SqliteOutboxRow[];
    return rows.map(outboxFrom);
  }

  async redeliverMerchantEventNow(id: string, now: string): Promise<boolean> {
    return this.#write(
      () => this.#stmt('UPDATE merchant_outbox SET next_attempt_at = ? WHERE id = ? AND delivered_at IS NULL').run(now, id).changes > 0,
    );
  }

  async recordDeliveryAttempt(attempt: DeliveryAttempt): Promise<void> {
    await this.#write(() =>
      this.#stmt('INSERT INTO merchant_delivery_attempts (message_id, at, delivered, answer) VALUES (?, ?, ?, ?)').run(
        attempt.messageId,
        attempt.at,
        attempt.delivered ? 1 : 0,
        attempt.answer.slice(0, 300),
      ),
    );
  }

  async deliveryAttempts(messageIds: readonly string[]): Promise<DeliveryAttempt[]> {
    if (messageIds.length === 0) return [];
    const rows = this.#db
      .prepare(
        `SELECT message_id, at, delivered, answer FROM merchant_delivery_attempts WHERE message_id IN (${messageIds.map(() => '?').join(', ')}) ORDER BY seq`,
      )
      .all(...messageIds) as { message_id: string; at: string; delivered: number; answer: string }[];
    return rows.map((r) => ({ messageId: r.message_id, at: r.at, delivered: r.delivered === 1, answer: r.answer }));
  }

  async recordAlert(alert: NewAlert): Promise<void> {
    await this.#write(() =>
      this.#stmt(
        `INSERT INTO alerts (code, subject, message, action, context, count, first_at, last_at) VALUES (?, ?, ?, ?, ?, 1, ?, ?)
         ON CONFLICT (code, subject) WHERE resolved_at IS NULL
         DO UPDATE SET count = count + 1, last_at = excluded.last_at, message = excluded.message, action = excluded.action, context = excluded.context`,
      ).run(alert.code, alert.subject, alert.message, alert.action, JSON.stringify(alert.context), alert.at, alert.at),
    );
  }

  async listAlerts(query: { includeResolved: boolean; limit: number }): Promise<AlertRecord[]> {
    const rows = this.#stmt(
      `SELECT * FROM alerts WHERE (? = 1 OR resolved_at IS NULL) ORDER BY resolved_at IS NOT NULL, last_at DESC, id DESC LIMIT ?`,
    ).all(query.includeResolved ? 1 : 0, query.limit) as AlertRow[];
    return rows.map(toAlert);
  }

  async resolveAlert(id: number, at: string): Promise<boolean> {
    return this.#write(() => this.#stmt('UPDATE alerts SET resolved_at = ? WHERE id = ? AND resolved_at IS NULL').run(at, id).changes > 0);
  }

  async ping(): Promise<boolean> {
    return this.#stmt('SELECT 1 AS ok').get() !== undefined;
  }

  async close(): Promise<void> {
    this.#flush(); // what is already waiting still gets written
    if (this.#db.open) this.#db.close();
  }
}

function isUniqueViolation(err: unknown, column: string): boolean {
  return err instanceof Error && (err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE' && err.message.includes(column);
}
