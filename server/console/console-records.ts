/** What the operator console reads and keeps: persisted alerts, webhook verdicts, delivery attempts. */

/** An operator alert, persisted (not only logged): one open row per code and subject, counted. */
export interface AlertRecord {
  id: number;
  /** e.g. INSUFFICIENT_FUNDS, REFUND_FAILED, PAYMENT_AFTER_CANCEL. */
  code: string;
  /** What it is about (a checkout, payout, transaction or webhook id); '' for the whole account. */
  subject: string;
  message: string;
  /** What a person should do about it. */
  action: string;
  /** The log fields, already redacted (no secrets, documents cut to their last digits). */
  context: Record<string, unknown>;
  count: number;
  firstAt: string;
  lastAt: string;
  resolvedAt: string | null;
}

export interface NewAlert {
  code: string;
  subject: string;
  message: string;
  action: string;
  context: Record<string, unknown>;
  at: string;
}

/** A ConnectPSP webhook as received, with what became of it. */
export interface WebhookVerdict {
  dedupeKey: string;
  eventType: string;
  transactionId: string | null;
  receivedAt: string;
  processedAt: string | null;
  attempts: number;
  lastError: string | null;
}

/** One attempt at delivering a merchant notification, with the merchant endpoint's answer. */
export interface DeliveryAttempt {
  messageId: string;
  at: string;
  delivered: boolean;
  /** `HTTP 200`, `HTTP 500`, or the network error. */
  answer: string;
}
