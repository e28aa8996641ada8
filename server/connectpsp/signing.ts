/**
 * The two HMAC-SHA256 uses of the CryptoToken (docs/connectpsp.md §2.4, §4.2). Pure functions, no I/O.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** A SHA-256 digest as hex is 64 characters. */
const HEX_SHA256_PATTERN = /^[0-9a-f]{64}$/i;

/**
 * The outbound `DigitalSignature` header: lowercase hex HMAC-SHA256 with the CryptoToken as the key
 * and the bare JWT as the message — no `Bearer ` prefix, no newline. This is the docs' one exact
 * recipe (`echo -n "$ACCESS_TOKEN" | openssl dgst -sha256 -hmac "$CRYPTO_TOKEN"`); the looser
 * "hash of JWT + CryptoToken" wording elsewhere does not mean concatenation.
 *
 * It signs only the token, so it must be computed from the very string sent in `Authorization`
 * and recomputed whenever the token changes.
 */
export function digitalSignature(accessToken: string, cryptoToken: string): string {
  return createHmac('sha256', cryptoToken).update(accessToken, 'utf8').digest('hex');
}

/** The expected `X-Connect-Signature` of a webhook: lowercase hex HMAC-SHA256 of the raw body. */
export function webhookSignature(rawBody: Buffer | string, cryptoToken: string): string {
  return createHmac('sha256', cryptoToken).update(rawBody).digest('hex');
}

/** Outcome of checking an `X-Connect-Signature` header, so callers can say what went wrong. */
export type WebhookSignatureCheck = 'valid' | 'missing' | 'malformed' | 'mismatch';

/**
 * Checks `X-Connect-Signature` against the raw body. Never throws. Accepts upper- or lower-case hex
 * (the docs show lowercase; case carries no meaning in hex). The comparison is constant-time:
 * both sides are 32-byte digests, so `timingSafeEqual` always gets equal-length buffers.
 */
export function checkWebhookSignature(
  rawBody: Buffer | string,
  headerValue: string | undefined,
  cryptoToken: string,
): WebhookSignatureCheck {
  if (typeof headerValue !== 'string' || headerValue === '') return 'missing';
  if (!HEX_SHA256_PATTERN.test(headerValue)) return 'malformed';
  // A parsed JSON object (express.json() ran first) can never match the bytes that were signed.
  if (typeof rawBody !== 'string' && !Buffer.isBuffer(rawBody)) return 'mismatch';
  const expected = Buffer.from(webhookSignature(rawBody, cryptoToken), 'hex');
  const received = Buffer.from(headerValue, 'hex');
  return timingSafeEqual(expected, received) ? 'valid' : 'mismatch';
}

/** True when `headerValue` is the correct `X-Connect-Signature` for `rawBody`. Never throws. */
export function verifyWebhookSignature(rawBody: Buffer | string, headerValue: string | undefined, cryptoToken: string): boolean {
  return checkWebhookSignature(rawBody, headerValue, cryptoToken) === 'valid';
}
