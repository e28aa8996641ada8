import { createHash } from 'node:crypto';
import pg, { type ClientBase, type CustomTypesConfig, type DatabaseError } from 'pg';
import type { CheckoutStatus, PaymentMethod, StatusEventData } from 'connectpsp-checkout/contract';
import { planChargeSaved, planTransition, type TransitionPlan } from '../checkouts/plan-transition.js';
import { newMerchantEventId } from '../ids.js';
import type { Logger } from '../logger.js';
import { migrate } from './postgres-migrations.js';
import {
  DuplicateExternalReferenceError,
  type ChargeAttempt,
  type ChargeRecord,
  type ChargeUpdate,
  type CheckoutEvent,
  type CheckoutRecord,
  type OutboxInput,
  type OutboxMessage,
  type RefundStateUpdate,
  type Store,
  type StoredResponse,
  type TransitionChange,
  type TransitionResult,
  type WebhookRecord,
} from './store.js';

const TIMESTAMPTZ_OID = 1184;
const INT8_OID = 20;

/**
 * Row values as the rest of the server expects them, whatever the session's time zone:
 * `timestamptz` comes back as the same `toISOString()` text the server wrote (SQLite keeps that
 * text verbatim, and views compare times as strings), and `bigint` (event ids, counts) as a number.
 * Set per pool, so other users of `pg` in the process keep the defaults.
 */
const types: CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid === TIMESTAMPTZ_OID) {
      const toDate = pg.types.getTypeParser(TIMESTAMPTZ_OID, 'text');
      return (value: string) => toDate(value).toISOString();
    }
    if (oid === INT8_OID) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format ?? 'text');
  }) as CustomTypesConfig['getTypeParser'],
};

interface EventRow {
  id: number;
  checkout_id: string;
  data: StatusEventData;
}

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

const toEvent = (r: EventRow): CheckoutEvent => ({ id: r.id, checkoutId: r.checkout_id, data: r.data });

/** `json` parameters go in as text, so what is read back is exactly what was written. */
const json = (value: unknown) => JSON.stringify(value);

/** Parameters for SQL put together from pieces: `$(value)` adds one and answers its `$n`. */
function parameters(): { values: unknown[]; $: (value: unknown) => string } {
  const values: unknown[] = [];
  return { values, $: (value) => `$${values.push(value)}` };
}
type Param = (value: unknown) => string;

/** The insert of a merchant notification (once per dedupe key), due at once; `at` is a parameter already added. */
const enqueueSql = (input: OutboxInput, at: string, $: Param) =>
  `INSERT INTO merchant_outbox (id, dedupe_key, type, data, created_at, next_attempt_at)
   VALUES (${$(newMerchantEventId())}, ${$(input.dedupeKey)}, ${$(input.type)}, ${$(json(input.data))}, ${at}, ${at})
   ON CONFLICT (dedupe_key) DO NOTHING`;

export interface PgStoreOptions {
  logger?: Logger;
  now?: () => Date;
  /** Prepare statements once per connection (default). Off behind a pooler in transaction mode that does not keep them. */
  preparedStatements?: boolean;
  /** Bounds every statement, server side (`statement_timeout`) and client side (a frozen network). Default 5000 ms. */
  statementTimeoutMs?: number;
  /** Bounds the wait for a connection (and for a free one in the pool). Default 5000 ms. */
  connectTimeoutMs?: number;
}

/**
 * The columns the store reads, named rather than `*`: a prepared `SELECT *` fails ("cached plan must
 * not change result type") once a migration adds a column, which a rolling deploy does to the
 * instances still running. Migrations only ever add, so a named list stays valid.
 */
const CHECKOUT_COLUMNS = `id, client_secret_hash, amount, external_reference, description, payer_name, payer_document, methods,
  expires_in_minutes, return_url, metadata, status, end_to_end_id, paid_at, refund_end_to_end_id, refunded_at, created_at, updated_at`;
const CHARGE_COLUMNS = `transaction_id, checkout_id, method, status, amount, internal_code, gateway_reference, copy_and_paste,
  payment_url, expires_at, end_to_end_id, paid_at, refund_end_to_end_id, created_at, updated_at, refund_status,
  refund_idempotency_key, refund_reason, refund_failure, refund_requested_at, reconcile_attempts, next_reconcile_at, parked_at`;
const OUTBOX_COLUMNS = 'id, type, data, created_at, attempts, next_attempt_at, delivered_at, last_error';
/** `columns` with each prefixed by a table alias, for queries that join. */
const qualified = (columns: string, alias: string) => columns.replace(/\w+/g, (column) => `${alias}.${column}`);

/**
 * A client that prepares each statement with parameters once per connection, named by a hash of its
 * text, and from then on only binds and runs it: PostgreSQL no longer parses and plans the same
 * dozen statements on every webhook (10–20% more webhooks per second in `bench/webhook-ingest.ts`,
 * A/B with DATABASE_PREPARED_STATEMENTS). Statements without parameters (BEGIN, COMMIT, the
 * migrations) go as they are.
 */
class PreparingClient extends pg.Client {
  static readonly #names = new Map<string, string>();

  static #name(text: string): string {
    let name = PreparingClient.#names.get(text);
    if (!name) PreparingClient.#names.set(text, (name = `cpc_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`));
    return name;
  }

  // pg's overloads cannot be restated in a subclass; this forwards every form and names one.
  override query(...args: unknown[]): never {
    const [text, values, callback] = args;
    if (typeof text === 'string' && Array.isArray(values)) {
      return (super.query as (...a: unknown[]) => never)({ name: PreparingClient.#name(text), text, values }, callback);
    }
    return (super.query as (...a: unknown[]) => never)(...args);
  }
}

/**
 * The store for several server instances on one PostgreSQL database: the same contract as
 * `SqliteStore`, made safe between processes rather than by running one statement at a time.
 *
 * - Every change to a checkout starts by locking its row (`SELECT … FOR UPDATE`), so two instances
 *   applying the same webhook take turns and the second sees the first's result: `paid` is applied
 *   once, whoever wins.
 * - Inserts that may race (attempts, webhooks, outbox messages) use `ON CONFLICT`, so the loser
 *   reads the winner's row instead of failing.
 * - Event ids come from a `bigserial`. Across checkouts a lower id can commit after a higher one,
 *   and a stream that resumes with `id > lastSent` would skip the late one. Streams read one
 *   checkout at a time, and every event is appended while holding that checkout's row lock (taken
 *   first in every transaction that appends, and implicit in the insert of a new checkout), so the
 *   next id for a checkout is drawn only after the previous one committed: per checkout, ids commit
 *   in increasing order and a cursor never passes an event that is still to come.
 */
export class PgStore implements Store {
  readonly #pool: pg.Pool;
  readonly #now: () => Date;

  private constructor(pool: pg.Pool, now: () => Date) {
    this.#pool = pool;
    this.#now = now;
  }

  /** Connects and migrates (safe when several instances start at once). */
  static async open(connectionString: string, options: PgStoreOptions = {}): Promise<PgStore> {
    const pool = new pg.Pool({
      connectionString,
      ...(options.preparedStatements === false ? {} : { Client: PreparingClient }),
      // Per instance, plus one connection for the bus: size `max_connections` for instances × 11.
      max: 10,
      types,
      application_name: 'connectpsp-checkout',
      keepAlive: true,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
      // Server side: a statement stuck behind a lock or a frozen disk is cancelled. Client side: a
      // network that froze (no answer at all) still ends the wait, a little later.
      statement_timeout: options.statementTimeoutMs ?? 5000,
      query_timeout: (options.statementTimeoutMs ?? 5000) + 500,
    });
    // An idle connection that dies (database restart, network cut) is reported here; without a
    // listener it would crash the process. The pool replaces it on the next query.
    pool.on('error', (err) => options.logger?.warn('PostgreSQL connection lost; the pool will reconnect', { error: err.message }));
    // A connection that dies while checked out (mid-query, mid-transaction) emits 'error' on the
    // client itself, where the pool's listener is not attached: without this one the process ends.
    // The query in flight rejects on its own (the request answers 503); the client is discarded.
    pool.on('connect', (client) => {
      client.on('error', (err) =>
        options.logger?.warn('PostgreSQL connection lost mid-query; it will be replaced', { error: err.message }),
      );
    });
    const store = new PgStore(pool, options.now ?? (() => new Date()));
    try {
      const applied = await store.#tx(migrate);
      if (applied.length > 0) options.logger?.info('PostgreSQL schema migrated', { versions: applied });
    } catch (err) {
      await pool.end();
      throw err;
    }
    return store;
  }

  /** Runs `fn` in one transaction on one connection: all of it commits, or none. */
  async #tx<T>(fn: (client: ClientBase) => Promise<T>): Promise<T> {
    const client = await this.#pool.connect();
    let broken = false;
    try {
      await client.query('BEGIN');
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      // A connection that cannot even roll back is discarded rather than handed to the next caller.
      await client.query('ROLLBACK').catch(() => (broken = true));
      throw err;
    } finally {
      client.release(broken);
    }
  }

  /** Locks the checkout row until the transaction ends; see the class comment for why. */
  async #lockCheckout(client: ClientBase, id: string): Promise<CheckoutRecord> {
    const { rows } = await client.query<CheckoutRow>(`SELECT ${CHECKOUT_COLUMNS} FROM checkouts WHERE id = $1 FOR UPDATE`, [id]);
    if (!rows[0]) throw new Error(`checkout ${id} does not exist`);
    return toCheckout(rows[0]);
  }

  async createCheckout(
    checkout: CheckoutRecord,
    event: Omit<StatusEventData, 'checkoutId'>,
    idempotency?: { key: string; requestHash: string; response: (c: CheckoutRecord) => StoredResponse },
  ): Promise<CheckoutRecord> {
    try {
      await this.#tx(async (client) => {
        await client.query(
          `INSERT INTO checkouts (id, client_secret_hash, amount, external_reference, description, payer_name,
             payer_document, methods, expires_in_minutes, return_url, metadata, status, end_to_end_id, paid_at,
             refund_end_to_end_id, refunded_at, created_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)`,
          [
            checkout.id,
            checkout.clientSecretHash,
            checkout.amount,
            checkout.externalReference,
            checkout.description,
            checkout.payer?.name ?? null,
            checkout.payer?.document ?? null,
            json(checkout.methods),
            checkout.expiresInMinutes,
            checkout.returnUrl,
            json(checkout.metadata),
            checkout.status,
            checkout.endToEndId,
            checkout.paidAt,
            checkout.refundEndToEndId,
            checkout.refundedAt,
            checkout.createdAt,
            checkout.updatedAt,
          ],
        );
        await this.#appendEvent(client, { ...event, checkoutId: checkout.id });
        if (idempotency) {
          const response = idempotency.response(checkout);
          await client.query('INSERT INTO idempotent_responses (key, request_hash, status, body, created_at) VALUES ($1, $2, $3, $4, $5)', [
            idempotency.key,
            idempotency.requestHash,
            response.status,
            json(response.body),
            checkout.createdAt,
          ]);
        }
      });
    } catch (err) {
      if (isUniqueViolation(err, 'checkouts_external_reference_key')) throw new DuplicateExternalReferenceError(checkout.externalReference);
      throw err;
    }
    return checkout;
  }

  async getCheckout(id: string): Promise<CheckoutRecord | undefined> {
    const { rows } = await this.#pool.query<CheckoutRow>(`SELECT ${CHECKOUT_COLUMNS} FROM checkouts WHERE id = $1`, [id]);
    return rows[0] && toCheckout(rows[0]);
  }

  async getIdempotentResponse(key: string): Promise<StoredResponse | undefined> {
    const { rows } = await this.#pool.query<{ request_hash: string; status: number; body: unknown }>(
      'SELECT request_hash, status, body FROM idempotent_responses WHERE key = $1',
      [key],
    );
    return rows[0] && { requestHash: rows[0].request_hash, status: rows[0].status, body: rows[0].body };
  }

  async setPayerIfMissing(checkoutId: string, payer: { name: string; document: string }): Promise<CheckoutRecord> {
    await this.#pool.query(
      'UPDATE checkouts SET payer_name = $1, payer_document = $2, updated_at = $3 WHERE id = $4 AND payer_name IS NULL',
      [payer.name, payer.document, this.#now().toISOString(), checkoutId],
    );
    const checkout = await this.getCheckout(checkoutId);
    if (!checkout) throw new Error(`checkout ${checkoutId} does not exist`);
    return checkout;
  }

  async listCharges(checkoutId: string): Promise<ChargeRecord[]> {
    return this.#listCharges(this.#pool, checkoutId);
  }

  async #listCharges(db: ClientBase | pg.Pool, checkoutId: string): Promise<ChargeRecord[]> {
    const { rows } = await db.query<ChargeRow>(`SELECT ${CHARGE_COLUMNS} FROM charges WHERE checkout_id = $1 ORDER BY created_at, seq`, [
      checkoutId,
    ]);
    return rows.map(toCharge);
  }

  async getCharge(transactionId: string): Promise<ChargeRecord | undefined> {
    const { rows } = await this.#pool.query<ChargeRow>(`SELECT ${CHARGE_COLUMNS} FROM charges WHERE transaction_id = $1`, [transactionId]);
    return rows[0] && toCharge(rows[0]);
  }

  async openChargeAttempt(
    checkoutId: string,
    method: PaymentMethod,
    fresh: () => Omit<ChargeAttempt, 'checkoutId' | 'method' | 'createdAt'>,
  ): Promise<ChargeAttempt> {
    const candidate = { ...fresh(), createdAt: this.#now().toISOString() };
    // One statement, atomic between instances: it inserts the candidate, or (the no-op update) hands
    // back the attempt another request already opened, whose key every retry must reuse.
    const { rows } = await this.#pool.query<{ idempotency_key: string; gateway_reference: string; created_at: string }>(
      `INSERT INTO charge_attempts (checkout_id, method, idempotency_key, gateway_reference, created_at)
       VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (checkout_id, method) DO UPDATE SET method = charge_attempts.method
       RETURNING idempotency_key, gateway_reference, created_at`,
      [checkoutId, method, candidate.idempotencyKey, candidate.gatewayReference, candidate.createdAt],
    );
    const row = rows[0]!;
    return { checkoutId, method, idempotencyKey: row.idempotency_key, gatewayReference: row.gateway_reference, createdAt: row.created_at };
  }

  async discardChargeAttempt(checkoutId: string, method: PaymentMethod, idempotencyKey: string): Promise<void> {
    await this.#pool.query('DELETE FROM charge_attempts WHERE checkout_id = $1 AND method = $2 AND idempotency_key = $3', [
      checkoutId,
      method,
      idempotencyKey,
    ]);
  }

  async saveCharge(charge: ChargeRecord, idempotencyKey: string): Promise<TransitionResult> {
    return this.#tx(async (client) => {
      const current = await this.#lockCheckout(client, charge.checkoutId);
      await client.query(
        `INSERT INTO charges (transaction_id, checkout_id, method, status, amount, internal_code, gateway_reference,
           copy_and_paste, payment_url, expires_at, end_to_end_id, paid_at, refund_end_to_end_id, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
         ON CONFLICT (transaction_id) DO NOTHING`,
        [
          charge.transactionId,
          charge.checkoutId,
          charge.method,
          charge.status,
          charge.amount,
          charge.internalCode,
          charge.gatewayReference,
          charge.copyAndPaste,
          charge.paymentUrl,
          charge.expiresAt,
          charge.endToEndId,
          charge.paidAt,
          charge.refundEndToEndId,
          charge.createdAt,
          charge.updatedAt,
        ],
      );
      await client.query('DELETE FROM charge_attempts WHERE idempotency_key = $1', [idempotencyKey]);
      return this.#persist(
        client,
        current,
        planChargeSaved(current, await this.#listCharges(client, current.id), this.#now().toISOString()),
      );
    });
  }

  async transition(checkoutId: string, to: CheckoutStatus, { receipt, ...change }: TransitionChange = {}): Promise<TransitionResult> {
    const webhook = receipt && !receipt.written ? receipt.record : undefined;
    const result = await this.#tx(async (client) => {
      const checkout = await this.#lockCheckout(client, checkoutId);
      const plan = planTransition(checkout, await this.#listCharges(client, checkoutId), to, change, this.#now().toISOString());
      return this.#persist(client, checkout, plan, webhook);
    });
    if (receipt) receipt.written = true;
    return result;
  }

  /**
   * Writes what the plan says, nothing else; `current` is locked by this transaction. A status
   * change, its event and, when given, the merchant message and the webhook record go in one
   * statement: one round trip instead of four on the path every payment takes.
   */
  async #persist(client: ClientBase, current: CheckoutRecord, plan: TransitionPlan, webhook?: WebhookRecord): Promise<TransitionResult> {
    if (plan.charge) await this.#updateCharge(client, plan.charge);
    const result = { checkout: plan.checkout ?? current, chargeChanged: plan.charge !== null };
    if (!plan.event) {
      if (plan.outbox) await this.#enqueue(client, plan.outbox);
      if (webhook) await this.#recordWebhook(client, webhook, true);
      return { ...result, changed: false, event: null };
    }
    const { values, $ } = parameters();
    // Added only when a part uses it: an unused parameter has no type PostgreSQL can infer.
    let atParam: string | undefined;
    const at = () => (atParam ??= $(plan.event!.at));
    let sql = 'WITH ';
    const parts: string[] = [];
    if (plan.checkout) {
      const updated = plan.checkout;
      parts.push(`checkout AS (
         UPDATE checkouts SET status = ${$(updated.status)}, end_to_end_id = ${$(updated.endToEndId)}, paid_at = ${$(updated.paidAt)},
           refund_end_to_end_id = ${$(updated.refundEndToEndId)}, refunded_at = ${$(updated.refundedAt)}, updated_at = ${at()}
         WHERE id = ${$(updated.id)}
       )`);
    }
    if (plan.outbox) parts.push(`message AS (${enqueueSql(plan.outbox, at(), $)})`);
    if (webhook) parts.push(`webhook AS (${this.#recordWebhookSql(webhook, true, $)})`);
    sql = parts.length > 0 ? sql + parts.join(', ') : '';
    sql += ` INSERT INTO checkout_events (checkout_id, data) VALUES (${$(plan.event.checkoutId)}, ${$(json(plan.event))}) RETURNING id`;
    const { rows } = await client.query<{ id: number }>(sql, values);
    return { ...result, changed: plan.checkout !== null, event: { id: rows[0]!.id, checkoutId: plan.event.checkoutId, data: plan.event } };
  }

  async #updateCharge(client: ClientBase, update: ChargeUpdate): Promise<void> {
    await client.query(
      `UPDATE charges SET status = $2,
         end_to_end_id = COALESCE($3, end_to_end_id),
         paid_at = COALESCE($4, paid_at),
         refund_end_to_end_id = COALESCE($5, refund_end_to_end_id),
         refund_status = CASE WHEN $2 = 'refunded' THEN NULL ELSE refund_status END,
         refund_failure = CASE WHEN $2 = 'refunded' THEN NULL ELSE refund_failure END,
         updated_at = $6
       WHERE transaction_id = $1`,
      [
        update.transactionId,
        update.status,
        update.endToEndId ?? null,
        update.paidAt ?? null,
        update.refundEndToEndId ?? null,
        this.#now().toISOString(),
      ],
    );
  }

  async setRefundState(update: RefundStateUpdate, message?: OutboxInput): Promise<boolean> {
    return this.#tx(async (client) => {
      const { rows } = await client.query<{ status: string; refund_status: string | null }>(
        'SELECT status, refund_status FROM charges WHERE transaction_id = $1 FOR UPDATE',
        [update.transactionId],
      );
      const row = rows[0];
      if (!row || row.status === 'refunded') return false;
      if (update.onlyFrom && !update.onlyFrom.includes(row.refund_status as never)) return false;
      await client.query(
        `UPDATE charges SET refund_status = $2,
           refund_idempotency_key = CASE WHEN $3 THEN $4 ELSE refund_idempotency_key END,
           refund_reason = COALESCE($5, refund_reason),
           refund_failure = $6,
           refund_requested_at = COALESCE($7, refund_requested_at),
           updated_at = $8
         WHERE transaction_id = $1`,
        [
          update.transactionId,
          update.status,
          update.idempotencyKey !== undefined,
          update.idempotencyKey ?? null,
          update.reason ?? null,
          update.failure ?? null,
          update.requestedAt ?? null,
          this.#now().toISOString(),
        ],
      );
      if (message) await this.#enqueue(client, message);
      return true;
    });
  }

  async refundsInFlight(limit: number): Promise<ChargeRecord[]> {
    const { rows } = await this.#pool.query<ChargeRow>(
      `SELECT ${CHARGE_COLUMNS} FROM charges WHERE refund_status IN ('requested', 'processing') AND status = 'paid' ORDER BY refund_requested_at, seq LIMIT $1`,
      [limit],
    );
    return rows.map(toCharge);
  }

  async scheduleReconcile(
    transactionId: string,
    schedule: { attempts: number; nextAt: string | null; parkedAt: string | null },
  ): Promise<void> {
    await this.#pool.query('UPDATE charges SET reconcile_attempts = $2, next_reconcile_at = $3, parked_at = $4 WHERE transaction_id = $1', [
      transactionId,
      schedule.attempts,
      schedule.nextAt,
      schedule.parkedAt,
    ]);
  }

  /** The caller holds the checkout's row lock (or is creating the checkout): ids commit in order. */
  async #appendEvent(client: ClientBase, data: StatusEventData): Promise<CheckoutEvent> {
    const { rows } = await client.query<{ id: number }>('INSERT INTO checkout_events (checkout_id, data) VALUES ($1, $2) RETURNING id', [
      data.checkoutId,
      json(data),
    ]);
    return { id: rows[0]!.id, checkoutId: data.checkoutId, data };
  }

  async eventsAfter(checkoutId: string, afterId: number): Promise<CheckoutEvent[]> {
    const { rows } = await this.#pool.query<EventRow>(
      'SELECT id, checkout_id, data FROM checkout_events WHERE checkout_id = $1 AND id > $2 ORDER BY id',
      [checkoutId, afterId],
    );
    return rows.map(toEvent);
  }

  async latestEvent(checkoutId: string): Promise<CheckoutEvent | undefined> {
    const { rows } = await this.#pool.query<EventRow>(
      'SELECT id, checkout_id, data FROM checkout_events WHERE checkout_id = $1 ORDER BY id DESC LIMIT 1',
      [checkoutId],
    );
    return rows[0] && toEvent(rows[0]);
  }

  async isWebhookProcessed(dedupeKey: string): Promise<boolean> {
    const { rows } = await this.#pool.query<{ processed_at: string | null }>(
      'SELECT processed_at FROM webhook_events WHERE dedupe_key = $1',
      [dedupeKey],
    );
    return rows[0]?.processed_at != null;
  }

  async recordWebhook(record: WebhookRecord, processed: boolean): Promise<void> {
    await this.#recordWebhook(this.#pool, record, processed);
  }

  async #recordWebhook(db: ClientBase | pg.Pool, record: WebhookRecord, processed: boolean): Promise<void> {
    const { values, $ } = parameters();
    await db.query(this.#recordWebhookSql(record, processed, $), values);
  }

  /** The upsert of a webhook record; `$` adds a parameter and names it. A processed record stays processed. */
  #recordWebhookSql(record: WebhookRecord, processed: boolean, $: Param): string {
    return `INSERT INTO webhook_events (dedupe_key, event_type, transaction_id, raw_body, received_at, processed_at)
       VALUES (${$(record.dedupeKey)}, ${$(record.eventType)}, ${$(record.transactionId)}, ${$(record.rawBody)}, ${$(record.receivedAt)}, ${$(processed ? this.#now().toISOString() : null)}::timestamptz)
       ON CONFLICT (dedupe_key) DO UPDATE SET processed_at = COALESCE(webhook_events.processed_at, EXCLUDED.processed_at)`;
  }

  async markWebhookProcessed(dedupeKey: string): Promise<void> {
    await this.#pool.query('UPDATE webhook_events SET processed_at = $2 WHERE dedupe_key = $1', [dedupeKey, this.#now().toISOString()]);
  }

  async deferWebhook(dedupeKey: string, nextAttemptAt: (attempts: number) => string, error: string): Promise<number> {
    return this.#tx(async (client) => {
      const { rows } = await client.query<{ attempts: number }>(
        'UPDATE webhook_events SET attempts = attempts + 1, last_error = $2 WHERE dedupe_key = $1 AND processed_at IS NULL RETURNING attempts',
        [dedupeKey, error.slice(0, 500)],
      );
      const attempts = rows[0]?.attempts;
      if (attempts === undefined) return 0;
      await client.query('UPDATE webhook_events SET next_attempt_at = $2 WHERE dedupe_key = $1', [dedupeKey, nextAttemptAt(attempts)]);
      return attempts;
    });
  }

  async unprocessedWebhooks(dueAt?: string): Promise<WebhookRecord[]> {
    const { rows } = await this.#pool.query<{
      dedupe_key: string;
      event_type: string;
      transaction_id: string | null;
      raw_body: string;
      received_at: string;
    }>(
      `SELECT dedupe_key, event_type, transaction_id, raw_body, received_at FROM webhook_events
       WHERE processed_at IS NULL AND ($1::timestamptz IS NULL OR next_attempt_at IS NULL OR next_attempt_at <= $1::timestamptz)
       ORDER BY received_at, dedupe_key`,
      [dueAt ?? null],
    );
    return rows.map((r) => ({
      dedupeKey: r.dedupe_key,
      eventType: r.event_type,
      transactionId: r.transaction_id,
      rawBody: r.raw_body,
      receivedAt: r.received_at,
    }));
  }

  async #enqueue(db: ClientBase | pg.Pool, input: OutboxInput): Promise<void> {
    const { values, $ } = parameters();
    await db.query(enqueueSql(input, $(this.#now().toISOString()), $), values);
  }

  async enqueueMerchantEvent(input: OutboxInput): Promise<void> {
    await this.#enqueue(this.#pool, input);
  }

  async claimDueMerchantEvents(now: string, leaseUntil: string, limit: number): Promise<OutboxMessage[]> {
    // SKIP LOCKED: a message another instance is claiming right now is left to it, not waited for
    // and then taken again; once that claim commits, its lease keeps the message out of this query.
    const { rows } = await this.#pool.query<OutboxRow & { due_at: string; seq: number }>(
      `WITH due AS (
         SELECT seq, next_attempt_at AS due_at FROM merchant_outbox
         WHERE delivered_at IS NULL AND next_attempt_at <= $1
         ORDER BY next_attempt_at, seq LIMIT $3
         FOR UPDATE SKIP LOCKED
       )
       UPDATE merchant_outbox o SET next_attempt_at = $2, attempts = o.attempts + 1
       FROM due WHERE o.seq = due.seq
       RETURNING ${qualified(OUTBOX_COLUMNS, 'o')}, o.seq, due.due_at`,
      [now, leaseUntil, limit],
    );
    return rows.sort((a, b) => a.due_at.localeCompare(b.due_at) || a.seq - b.seq).map(toOutbox);
  }

  async markMerchantEventDelivered(id: string, at: string): Promise<void> {
    await this.#pool.query('UPDATE merchant_outbox SET delivered_at = $2, last_error = NULL WHERE id = $1', [id, at]);
  }

  async rescheduleMerchantEvent(id: string, nextAttemptAt: string, error: string): Promise<void> {
    await this.#pool.query('UPDATE merchant_outbox SET next_attempt_at = $2, last_error = $3 WHERE id = $1 AND delivered_at IS NULL', [
      id,
      nextAttemptAt,
      error.slice(0, 500),
    ]);
  }

  async merchantEventBacklog(): Promise<number> {
    const { rows } = await this.#pool.query<{ n: number }>('SELECT count(*) AS n FROM merchant_outbox WHERE delivered_at IS NULL');
    return rows[0]!.n;
  }

  async getMerchantEvents(limit: number): Promise<OutboxMessage[]> {
    const { rows } = await this.#pool.query<OutboxRow>(`SELECT ${OUTBOX_COLUMNS} FROM merchant_outbox ORDER BY seq LIMIT $1`, [limit]);
    return rows.map(toOutbox);
  }

  async unrefundedDuplicatePayments(limit: number): Promise<ChargeRecord[]> {
    const { rows } = await this.#pool.query<ChargeRow>(
      `SELECT ${qualified(CHARGE_COLUMNS, 'ch')} FROM charges ch JOIN checkouts co ON co.id = ch.checkout_id
       WHERE ch.status = 'paid' AND co.end_to_end_id IS NOT NULL AND ch.end_to_end_id IS DISTINCT FROM co.end_to_end_id
       ORDER BY ch.updated_at, ch.seq LIMIT $1`,
      [limit],
    );
    return rows.map(toCharge);
  }

  async chargesAwaitingPaymentExpiringBefore(before: string, limit: number): Promise<ChargeRecord[]> {
    const { rows } = await this.#pool.query<ChargeRow>(
      `SELECT ${CHARGE_COLUMNS} FROM charges WHERE status = 'awaiting_payment' AND expires_at < $1 AND parked_at IS NULL
         AND (next_reconcile_at IS NULL OR next_reconcile_at <= $1)
       ORDER BY COALESCE(next_reconcile_at, expires_at), seq LIMIT $2`,
      [before, limit],
    );
    return rows.map(toCharge);
  }

  // ---- Payouts ------------------------------------------------------------------------------------

  async insertPayout(payout: PayoutRecord): Promise<{ payout: PayoutRecord; created: boolean }> {
    const placeholders = PAYOUT_INSERT_COLUMNS.split(',')
      .map((_, i) => `$${i + 1}`)
      .join(', ');
    try {
      // A racing insert under the same merchant key loses quietly and reads the winner's payout.
      const { rows } = await this.#pool.query<PayoutRow>(
        `INSERT INTO payouts (${PAYOUT_INSERT_COLUMNS}) VALUES (${placeholders}) ON CONFLICT (idempotency_key) DO NOTHING RETURNING *`,
        payoutInsertValues(payout),
      );
      if (rows[0]) return { payout: toPayout(rows[0]), created: true };
    } catch (err) {
      if (isUniqueViolation(err, 'payouts_external_reference_key')) throw new DuplicatePayoutReferenceError(payout.externalReference);
      throw err;
    }
    const existing = await this.findPayout({ idempotencyKey: payout.idempotencyKey });
    if (!existing) throw new Error(`payout under key ${payout.idempotencyKey} vanished`);
    return { payout: existing, created: false };
  }

  async #findPayout(
    db: ClientBase | pg.Pool,
    column: 'id' | 'idempotency_key' | 'transaction_id' | 'gateway_reference',
    value: string,
    lock = false,
  ): Promise<PayoutRecord | undefined> {
    const { rows } = await db.query<PayoutRow>(`SELECT * FROM payouts WHERE ${column} = $1${lock ? ' FOR UPDATE' : ''}`, [value]);
    return rows[0] && toPayout(rows[0]);
  }

  async getPayout(id: string): Promise<PayoutRecord | undefined> {
    return this.#findPayout(this.#pool, 'id', id);
  }

  async findPayout(
    by: { idempotencyKey: string } | { transactionId: string } | { gatewayReference: string },
  ): Promise<PayoutRecord | undefined> {
    if ('idempotencyKey' in by) return this.#findPayout(this.#pool, 'idempotency_key', by.idempotencyKey);
    if ('transactionId' in by) return this.#findPayout(this.#pool, 'transaction_id', by.transactionId);
    return this.#findPayout(this.#pool, 'gateway_reference', by.gatewayReference);
  }

  async listPayouts(query: { limit: number; beforeSeq?: number | undefined; status?: PayoutStatus | undefined }): Promise<PayoutRecord[]> {
    const { rows } = await this.#pool.query<PayoutRow>(
      'SELECT * FROM payouts WHERE ($1::bigint IS NULL OR seq < $1) AND ($2::text IS NULL OR status = $2) ORDER BY seq DESC LIMIT $3',
      [query.beforeSeq ?? null, query.status ?? null, query.limit],
    );
    return rows.map(toPayout);
  }

  async changePayout(id: string, plan: (current: PayoutRecord) => PayoutChange | null): Promise<PayoutRecord | undefined> {
    return this.#tx(async (client) => {
      const current = await this.#findPayout(client, 'id', id, true);
      if (!current) return undefined;
      const change = plan(current);
      if (!change) return undefined;
      const { rows } = await client.query<PayoutRow>(
        `UPDATE payouts SET ${PAYOUT_UPDATE_SET} WHERE id = $1 RETURNING *`,
        payoutUpdateValues(change.payout),
      );
      if (change.outbox) await this.#enqueue(client, change.outbox);
      return toPayout(rows[0]!);
    });
  }

  async discardPayout(id: string): Promise<void> {
    await this.#pool.query('DELETE FROM payouts WHERE id = $1 AND transaction_id IS NULL', [id]);
  }

  async payoutsToReconcile(now: string, limit: number): Promise<PayoutRecord[]> {
    const { rows } = await this.#pool.query<PayoutRow>(
      `SELECT * FROM payouts WHERE status = 'processing' AND (next_reconcile_at IS NULL OR next_reconcile_at <= $1)
       ORDER BY COALESCE(next_reconcile_at, created_at), seq LIMIT $2`,
      [now, limit],
    );
    return rows.map(toPayout);
  }

  // ---- Operator console ---------------------------------------------------------------------------

  async searchCheckouts(query: { q?: string | undefined; status?: CheckoutStatus | undefined; limit: number }): Promise<CheckoutRecord[]> {
    const q = query.q?.trim() || null;
    const { rows } = await this.#pool.query<CheckoutRow>(
      `SELECT ${qualified(CHECKOUT_COLUMNS, 'c')} FROM checkouts c WHERE ($2::text IS NULL OR c.status = $2)
         AND ($1::text IS NULL OR c.id = $1 OR c.end_to_end_id = $1 OR c.refund_end_to_end_id = $1
              OR left(c.external_reference, length($1)) = $1
              OR EXISTS (SELECT 1 FROM charges ch WHERE ch.checkout_id = c.id AND (ch.end_to_end_id = $1 OR ch.refund_end_to_end_id = $1 OR ch.transaction_id = $1)))
       ORDER BY c.created_at DESC, c.id LIMIT $3`,
      [q, query.status ?? null, query.limit],
    );
    return rows.map(toCheckout);
  }

  async webhooksFor(transactionIds: readonly string[]): Promise<WebhookVerdict[]> {
    if (transactionIds.length === 0) return [];
    const { rows } = await this.#pool.query<WebhookVerdictRow>(
      'SELECT dedupe_key, event_type, transaction_id, received_at, processed_at, attempts, last_error FROM webhook_events WHERE transaction_id = ANY($1::text[]) ORDER BY received_at, dedupe_key',
      [[...transactionIds]],
    );
    return rows.map(toWebhookVerdict);
  }

  async merchantEventsMentioning(needle: string, limit: number): Promise<OutboxMessage[]> {
    const { rows } = await this.#pool.query<OutboxRow>(
      `SELECT ${OUTBOX_COLUMNS} FROM merchant_outbox WHERE strpos(data::text, $1) > 0 ORDER BY seq LIMIT $2`,
      [needle, limit],
    );
    return rows.map(toOutbox);
  }

  async undeliveredMerchantEvents(limit: number): Promise<OutboxMessage[]> {
    const { rows } = await this.#pool.query<OutboxRow>(
      `SELECT ${OUTBOX_COLUMNS} FROM merchant_outbox WHERE delivered_at IS NULL ORDER BY seq LIMIT $1`,
      [limit],
    );
    return rows.map(toOutbox);
  }

  async redeliverMerchantEventNow(id: string, now: string): Promise<boolean> {
    const { rowCount } = await this.#pool.query('UPDATE merchant_outbox SET next_attempt_at = $2 WHERE id = $1 AND delivered_at IS NULL', [
      id,
      now,
    ]);
    return (rowCount ?? 0) > 0;
  }

  async recordDeliveryAttempt(attempt: DeliveryAttempt): Promise<void> {
    await this.#pool.query('INSERT INTO merchant_delivery_attempts (message_id, at, delivered, answer) VALUES ($1, $2, $3, $4)', [
      attempt.messageId,
      attempt.at,
      attempt.delivered,
      attempt.answer.slice(0, 300),
    ]);
  }

  async deliveryAttempts(messageIds: readonly string[]): Promise<DeliveryAttempt[]> {
    if (messageIds.length === 0) return [];
    const { rows } = await this.#pool.query<{ message_id: string; at: string; delivered: boolean; answer: string }>(
      'SELECT message_id, at, delivered, answer FROM merchant_delivery_attempts WHERE message_id = ANY($1::text[]) ORDER BY seq',
      [[...messageIds]],
    );
    return rows.map((r) => ({ messageId: r.message_id, at: r.at, delivered: r.delivered, answer: r.answer }));
  }

  async recordAlert(alert: NewAlert): Promise<void> {
    await this.#pool.query(
      `INSERT INTO alerts (code, subject, message, action, context, count, first_at, last_at) VALUES ($1, $2, $3, $4, $5, 1, $6, $6)
       ON CONFLICT (code, subject) WHERE resolved_at IS NULL
       DO UPDATE SET count = alerts.count + 1, last_at = excluded.last_at, message = excluded.message, action = excluded.action, context = excluded.context`,
      [alert.code, alert.subject, alert.message, alert.action, JSON.stringify(alert.context), alert.at],
    );
  }

  async listAlerts(query: { includeResolved: boolean; limit: number }): Promise<AlertRecord[]> {
    const { rows } = await this.#pool.query<AlertRow>(
      'SELECT * FROM alerts WHERE ($1 OR resolved_at IS NULL) ORDER BY resolved_at IS NOT NULL, last_at DESC, id DESC LIMIT $2',
      [query.includeResolved, query.limit],
    );
    return rows.map(toAlert);
  }

  async resolveAlert(id: number, at: string): Promise<boolean> {
    const { rowCount } = await this.#pool.query('UPDATE alerts SET resolved_at = $2 WHERE id = $1 AND resolved_at IS NULL', [id, at]);
    return (rowCount ?? 0) > 0;
  }

  async ping(): Promise<boolean> {
    const { rows } = await this.#pool.query<{ ok: number }>('SELECT 1 AS ok');
    return rows[0]?.ok === 1;
  }

  async close(): Promise<void> {
    if (!this.#pool.ended) await this.#pool.end();
  }
}

function isUniqueViolation(err: unknown, constraint: string): boolean {
  return err instanceof Error && (err as DatabaseError).code === '23505' && (err as DatabaseError).constraint === constraint;
}
