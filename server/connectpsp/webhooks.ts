/**
 * Turns a ConnectPSP webhook delivery (raw body + headers) into a verified, typed event
 * (docs/connectpsp.md §4). Pure: no I/O, no clock. The route answers 401 on `WebhookSignatureError`,
 * 400 on `WebhookPayloadError`, and 200 for everything else, including unknown event types.
 */
import type { z } from 'zod';
import { cashInSchema, cashOutSchema, describeIssues, firstIssuePath, webhookEnvelopeSchema } from './schemas.js';
import { checkWebhookSignature } from './signing.js';
import type { CashInEventType, CashOutEventType, ConnectPspEvent } from './types.js';

/** Header names ConnectPSP sends with every delivery (§4.2). */
export const WEBHOOK_SIGNATURE_HEADER = 'x-connect-signature';
export const WEBHOOK_EVENT_ID_HEADER = 'x-event-id';

export type WebhookSignatureProblem = 'missing_header' | 'malformed_header' | 'mismatch';

/** The delivery is not provably from ConnectPSP: answer 401 and do not look at the payload. */
export class WebhookSignatureError extends Error {
  readonly problem: WebhookSignatureProblem;

  constructor(problem: WebhookSignatureProblem, message: string) {
    super(message);
    this.name = 'WebhookSignatureError';
    this.problem = problem;
  }
}

/** The signature was valid but the body is not a usable event; `field` names what is wrong. */
export class WebhookPayloadError extends Error {
  /** Dotted path of the offending field (`data.amount`), or `(body)` when the JSON itself is bad. */
  readonly field: string;

  constructor(field: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'WebhookPayloadError';
    this.field = field;
  }
}

export interface WebhookHeaders {
  /** `X-Connect-Signature`. */
  signature?: string;
  /** `X-Event-Id` (unique per delivery attempt; logged, never used to deduplicate). */
  eventId?: string;
}

const CASH_IN_EVENT_TYPES: ReadonlySet<string> = new Set<CashInEventType>(['CASHIN_PAID', 'CASHIN_REFUNDED']);
const CASH_OUT_EVENT_TYPES: ReadonlySet<string> = new Set<CashOutEventType>([
  'CASHOUT_COMPLETED',
  'CASHOUT_FAILED',
  'CASHOUT_REFUNDED',
  'CASHOUT_CANCELLED',
]);

const SIGNATURE_MESSAGES: Record<Exclude<ReturnType<typeof checkWebhookSignature>, 'valid'>, [WebhookSignatureProblem, string]> = {
  missing: ['missing_header', 'No X-Connect-Signature header on the webhook request.'],
  malformed: ['malformed_header', 'X-Connect-Signature is not a 64-character hex HMAC-SHA256 digest.'],
  mismatch: [
    'mismatch',
    'X-Connect-Signature does not match the body. Check the CryptoToken, and that the route passes the raw body bytes (express.raw), not re-serialised JSON.',
  ],
};

/**
 * Verifies and parses one webhook delivery.
 *
 * @param rawBody the request body exactly as received, before any JSON parsing
 * @param headers the `X-Connect-Signature` and `X-Event-Id` values
 * @param cryptoToken the CryptoToken (the same secret that signs outbound calls)
 * @throws WebhookSignatureError when the header is missing, malformed or does not match
 * @throws WebhookPayloadError when the body is not JSON or a known event carries bad data
 * @throws TypeError when `rawBody` is neither a Buffer nor a string (a parsed body was passed)
 */
export function constructConnectPspEvent(rawBody: Buffer | string, headers: WebhookHeaders, cryptoToken: string): ConnectPspEvent {
  if (typeof rawBody !== 'string' && !Buffer.isBuffer(rawBody)) {
    throw new TypeError('constructConnectPspEvent needs the raw request body (a Buffer): mount express.raw() on the webhook route.');
  }

  const check = checkWebhookSignature(rawBody, headers.signature, cryptoToken);
  if (check !== 'valid') throw new WebhookSignatureError(...SIGNATURE_MESSAGES[check]);
  return parseConnectPspEvent(rawBody, headers.eventId ?? null);
}

/**
 * Parses a webhook body whose signature was already verified — for events stored on arrival and
 * applied later (after a crash). Never call it on a body that has not passed
 * `constructConnectPspEvent`.
 *
 * @throws WebhookPayloadError when the body is not JSON or a known event carries bad data
 */
export function parseConnectPspEvent(rawBody: Buffer | string, eventId: string | null = null): ConnectPspEvent {
  const envelope = webhookEnvelopeSchema.safeParse(parseJson(rawBody));
  if (!envelope.success) throw payloadError(envelope.error, '');
  const { eventType, eventAt, data } = envelope.data;

  if (CASH_IN_EVENT_TYPES.has(eventType)) {
    const parsed = cashInSchema.safeParse(data);
    if (!parsed.success) throw payloadError(parsed.error, 'data');
    return { eventType: eventType as CashInEventType, eventAt, eventId, data: parsed.data };
  }
  if (CASH_OUT_EVENT_TYPES.has(eventType)) {
    const parsed = cashOutSchema.safeParse(data);
    if (!parsed.success) throw payloadError(parsed.error, 'data');
    return { eventType: eventType as CashOutEventType, eventAt, eventId, data: parsed.data };
  }
  // The docs' event list was cut off (§4.3), so more types may exist. Throwing would make ConnectPSP
  // redeliver forever; the receiver acknowledges and logs these instead.
  return { eventType: 'UNKNOWN', rawEventType: eventType, eventAt, eventId, data };
}

function parseJson(rawBody: Buffer | string): unknown {
  const text = typeof rawBody === 'string' ? rawBody : rawBody.toString('utf8');
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new WebhookPayloadError('(body)', 'The webhook body is not valid JSON.', { cause: error });
  }
}

function payloadError(error: z.ZodError, pathPrefix: string): WebhookPayloadError {
  return new WebhookPayloadError(
    firstIssuePath(error, pathPrefix),
    `Invalid ConnectPSP webhook payload: ${describeIssues(error, pathPrefix)}`,
  );
}
