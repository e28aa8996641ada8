/**
 * Standard Webhooks (v1, symmetric) signing and verification for the notifications this server
 * sends the merchant's backend. Only `node:crypto`: a merchant can import this file, or copy it,
 * to verify our webhooks; any Standard Webhooks library verifies them too.
 *
 *   webhook-id:        stable for one event across every retry — dedupe on it
 *   webhook-timestamp: Unix seconds of this attempt
 *   webhook-signature: "v1,<base64 HMAC-SHA256 over `${id}.${timestamp}.${body}`>"
 *
 * The secret is shown as `whsec_<base64>`; the HMAC key is the base64-decoded bytes.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** How far a timestamp may be from the receiver's clock (the reference libraries use 5 minutes). */
export const DEFAULT_TOLERANCE_SECONDS = 300;

export class WebhookVerificationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebhookVerificationError';
  }
}

function secretKey(secret: string): Buffer {
  const key = Buffer.from(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret, 'base64');
  if (key.length === 0) throw new WebhookVerificationError('The webhook secret is empty.');
  return key;
}

/** The `webhook-signature` value for one attempt. */
export function signWebhook(secret: string, id: string, timestampSeconds: number, body: string): string {
  if (id.includes('.') || String(timestampSeconds).includes('.')) throw new TypeError('webhook id and timestamp must not contain "."');
  const mac = createHmac('sha256', secretKey(secret)).update(`${id}.${timestampSeconds}.${body}`).digest('base64');
  return `v1,${mac}`;
}

export interface WebhookHeaders {
  'webhook-id'?: string | null;
  'webhook-timestamp'?: string | null;
  'webhook-signature'?: string | null;
}

/**
 * Verifies one delivery and returns the parsed body. Pass the raw body exactly as received.
 *
 * @throws WebhookVerificationError with a message saying which check failed.
 */
export function verifyWebhook<T = unknown>(
  rawBody: string | Buffer,
  headers: WebhookHeaders | Headers,
  secret: string,
  options: { toleranceSeconds?: number; now?: () => number } = {},
): T {
  const get = (name: keyof WebhookHeaders) => (headers instanceof Headers ? headers.get(name) : headers[name]) ?? undefined;
  const id = get('webhook-id');
  const timestamp = get('webhook-timestamp');
  const signatures = get('webhook-signature');
  if (!id || !timestamp || !signatures)
    throw new WebhookVerificationError('Missing webhook-id, webhook-timestamp or webhook-signature header.');
  if (!/^\d+$/.test(timestamp)) throw new WebhookVerificationError('webhook-timestamp is not a number of seconds.');
  const nowSeconds = Math.floor((options.now?.() ?? Date.now()) / 1000);
  const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  if (nowSeconds - Number(timestamp) > tolerance) throw new WebhookVerificationError('Message timestamp too old.');
  if (Number(timestamp) - nowSeconds > tolerance) throw new WebhookVerificationError('Message timestamp too new.');

  const body = typeof rawBody === 'string' ? rawBody : rawBody.toString('utf8');
  const expected = Buffer.from(signWebhook(secret, id, Number(timestamp), body).slice('v1,'.length), 'base64');
  // The header may carry several signatures (key rotation); any v1 match is enough.
  const match = signatures.split(' ').some((candidate) => {
    const [version, value] = candidate.split(',', 2);
    if (version !== 'v1' || !value) return false;
    const presented = Buffer.from(value, 'base64');
    return presented.length === expected.length && timingSafeEqual(presented, expected);
  });
  if (!match) throw new WebhookVerificationError('No matching signature: check the secret and pass the raw body.');
  return JSON.parse(body) as T;
}
