import type { ClientBase } from 'pg';

/**
 * The PostgreSQL schema, one migration per entry, applied in order and recorded in
 * `schema_migrations`. Append only: never edit a migration that has shipped.
 *
 * It mirrors the SQLite schema, with PostgreSQL types: times are `timestamptz` (the store turns them
 * back into the exact ISO strings SQLite keeps), JSON the server only stores is `json` (kept as
 * written, so a replayed SSE event is byte-for-byte the first one), and `bigserial` columns give the
 * insertion order SQLite gets from its rowid.
 */
const MIGRATIONS: string[] = [
  `CREATE TABLE checkouts (
     id text PRIMARY KEY,
     client_secret_hash text NOT NULL,
     amount integer NOT NULL CHECK (amount > 0),
     external_reference text NOT NULL UNIQUE,
     description text,
     payer_name text,
     payer_document text,
     methods jsonb NOT NULL,
     expires_in_minutes integer NOT NULL,
     return_url text,
     metadata jsonb NOT NULL,
     status text NOT NULL,
     end_to_end_id text,
     paid_at timestamptz,
     refund_end_to_end_id text,
     refunded_at timestamptz,
     created_at timestamptz NOT NULL,
     updated_at timestamptz NOT NULL
   );
   CREATE TABLE charges (
     seq bigserial NOT NULL UNIQUE,
     transaction_id text PRIMARY KEY,
     checkout_id text NOT NULL REFERENCES checkouts(id),
     method text NOT NULL,
     status text NOT NULL,
     amount integer NOT NULL,
     internal_code text,
     gateway_reference text NOT NULL UNIQUE,
     copy_and_paste text,
     payment_url text,
     expires_at timestamptz NOT NULL,
     end_to_end_id text,
     paid_at timestamptz,
     refund_end_to_end_id text,
     created_at timestamptz NOT NULL,
     updated_at timestamptz NOT NULL
   );
   CREATE INDEX charges_by_checkout ON charges (checkout_id, created_at, seq);
   CREATE INDEX charges_awaiting_by_expiry ON charges (expires_at) WHERE status = 'awaiting_payment';
   CREATE INDEX charges_paid ON charges (updated_at) WHERE status = 'paid';
   CREATE TABLE charge_attempts (
     checkout_id text NOT NULL REFERENCES checkouts(id),
     method text NOT NULL,
     idempotency_key text NOT NULL UNIQUE,
     gateway_reference text NOT NULL UNIQUE,
     created_at timestamptz NOT NULL,
     PRIMARY KEY (checkout_id, method)
   );
   CREATE TABLE checkout_events (
     id bigserial PRIMARY KEY,
     checkout_id text NOT NULL REFERENCES checkouts(id),
     data json NOT NULL
   );
   CREATE INDEX checkout_events_by_checkout ON checkout_events (checkout_id, id);
   CREATE TABLE webhook_events (
     dedupe_key text PRIMARY KEY,
     event_type text NOT NULL,
     transaction_id text,
     raw_body text NOT NULL,
     received_at timestamptz NOT NULL,
     processed_at timestamptz
   );
   CREATE INDEX webhook_events_unprocessed ON webhook_events (received_at) WHERE processed_at IS NULL;
   CREATE TABLE idempotent_responses (
     key text PRIMARY KEY,
     request_hash text NOT NULL,
     status integer NOT NULL,
     body json NOT NULL,
     created_at timestamptz NOT NULL
   );
   CREATE TABLE merchant_outbox (
     seq bigserial PRIMARY KEY,
     id text NOT NULL UNIQUE,
     dedupe_key text NOT NULL UNIQUE,
     type text NOT NULL,
     data json NOT NULL,
     created_at timestamptz NOT NULL,
     attempts integer NOT NULL DEFAULT 0,
     next_attempt_at timestamptz NOT NULL,
     delivered_at timestamptz,
     last_error text
   );
   CREATE INDEX merchant_outbox_due ON merchant_outbox (next_attempt_at, seq) WHERE delivered_at IS NULL;`,
  `ALTER TABLE charges ADD COLUMN refund_status text;
   ALTER TABLE charges ADD COLUMN refund_idempotency_key text;
   ALTER TABLE charges ADD COLUMN refund_reason text;
   ALTER TABLE charges ADD COLUMN refund_failure text;
   ALTER TABLE charges ADD COLUMN refund_requested_at timestamptz;
   ALTER TABLE charges ADD COLUMN reconcile_attempts integer NOT NULL DEFAULT 0;
   ALTER TABLE charges ADD COLUMN next_reconcile_at timestamptz;
   ALTER TABLE charges ADD COLUMN parked_at timestamptz;
   CREATE INDEX charges_refunds_in_flight ON charges (refund_requested_at) WHERE refund_status IN ('requested', 'processing');
   ALTER TABLE webhook_events ADD COLUMN attempts integer NOT NULL DEFAULT 0;
   ALTER TABLE webhook_events ADD COLUMN next_attempt_at timestamptz;
   ALTER TABLE webhook_events ADD COLUMN last_error text;`,
  // Payouts (server/payouts/).
  `CREATE TABLE payouts (
     seq bigserial PRIMARY KEY,
     id text NOT NULL UNIQUE,
     amount integer NOT NULL CHECK (amount > 0),
     external_reference text NOT NULL UNIQUE,
     description text,
     payee jsonb NOT NULL,
     status text NOT NULL,
     idempotency_key text NOT NULL UNIQUE,
     request_hash text NOT NULL,
     gateway_idempotency_key text NOT NULL UNIQUE,
     gateway_reference text NOT NULL UNIQUE,
     transaction_id text UNIQUE,
     end_to_end_id text,
     original_end_to_end_id text,
     failure_code text,
     failure_message text,
     reconcile_attempts integer NOT NULL DEFAULT 0,
     next_reconcile_at timestamptz,
     created_at timestamptz NOT NULL,
     updated_at timestamptz NOT NULL
   );
   CREATE INDEX payouts_processing ON payouts (next_reconcile_at) WHERE status = 'processing';`,
  // The operator console (server/console/).
  `CREATE TABLE alerts (
     id bigserial PRIMARY KEY,
     code text NOT NULL,
     subject text NOT NULL,
     message text NOT NULL,
     action text NOT NULL,
     context jsonb NOT NULL,
     count integer NOT NULL DEFAULT 1,
     first_at timestamptz NOT NULL,
     last_at timestamptz NOT NULL,
     resolved_at timestamptz
   );
   CREATE UNIQUE INDEX alerts_open ON alerts (code, subject) WHERE resolved_at IS NULL;
   CREATE TABLE merchant_delivery_attempts (
     seq bigserial PRIMARY KEY,
     message_id text NOT NULL,
     at timestamptz NOT NULL,
     delivered boolean NOT NULL,
     answer text NOT NULL
   );
   CREATE INDEX merchant_delivery_attempts_by_message ON merchant_delivery_attempts (message_id, seq);
   CREATE INDEX charges_by_end_to_end_id ON charges (end_to_end_id);
   CREATE INDEX webhook_events_by_transaction ON webhook_events (transaction_id);`,
];

/**
 * Brings the schema up to date; `client` must be inside a transaction. Several instances may start
 * at once: the transaction-scoped advisory lock lets one of them migrate while the others wait,
 * then find nothing left to do. The lock key is derived from the schema name, so test runs in
 * separate schemas do not wait on each other. DDL is transactional in PostgreSQL: a failed
 * migration leaves no half-made table behind.
 *
 * @returns the versions this call applied (empty when another instance got there first)
 */
export async function migrate(client: ClientBase): Promise<number[]> {
  await client.query("SELECT pg_advisory_xact_lock(hashtext('connectpsp-checkout migrations ' || coalesce(current_schema(), '')))");
  await client.query(
    'CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())',
  );
  const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_migrations');
  const done = new Set(rows.map((r) => r.version));
  const applied: number[] = [];
  for (const [index, sql] of MIGRATIONS.entries()) {
    const version = index + 1;
    if (done.has(version)) continue;
    await client.query(sql);
    await client.query('INSERT INTO schema_migrations (version) VALUES ($1)', [version]);
    applied.push(version);
  }
  return applied;
}
