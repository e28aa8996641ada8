/** Console rows as both stores read them. */
import type { AlertRecord, WebhookVerdict } from './console-records.js';

export interface AlertRow {
  id: number;
  code: string;
  subject: string;
  message: string;
  action: string;
  /** JSON text in SQLite, parsed jsonb in PostgreSQL. */
  context: string | Record<string, unknown>;
  count: number;
  first_at: string;
  last_at: string;
  resolved_at: string | null;
}

export function toAlert(r: AlertRow): AlertRecord {
  return {
    id: Number(r.id),
    code: r.code,
    subject: r.subject,
    message: r.message,
    action: r.action,
    context: typeof r.context === 'string' ? (JSON.parse(r.context) as Record<string, unknown>) : r.context,
    count: r.count,
    firstAt: r.first_at,
    lastAt: r.last_at,
    resolvedAt: r.resolved_at,
  };
}

export interface WebhookVerdictRow {
  dedupe_key: string;
  event_type: string;
  transaction_id: string | null;
  received_at: string;
  processed_at: string | null;
  attempts: number;
  last_error: string | null;
}

export function toWebhookVerdict(r: WebhookVerdictRow): WebhookVerdict {
  return {
    dedupeKey: r.dedupe_key,
    eventType: r.event_type,
    transactionId: r.transaction_id,
    receivedAt: r.received_at,
    processedAt: r.processed_at,
    attempts: r.attempts,
    lastError: r.last_error,
  };
}
