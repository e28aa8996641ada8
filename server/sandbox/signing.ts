/**
 * The two HMACs of ConnectPSP, both HMAC-SHA256 keyed with the CryptoToken, lowercase hex:
 * `DigitalSignature` over the bare JWT (docs/connectpsp.md §2.4) and `X-Connect-Signature` over the raw
 * webhook body (§4.2). Plus the constant-time comparison every secret check goes through.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** HMAC-SHA256 of the UTF-8 `message`; a string key is used as its UTF-8 bytes, as openssl does. */
export function hmacSha256(key: string | Uint8Array, message: string): Buffer {
  return createHmac('sha256', key).update(message, 'utf8').digest();
}

export function hmacSha256Hex(key: string | Uint8Array, message: string): string {
  return hmacSha256(key, message).toString('hex');
}

/**
 * Constant-time string equality. Both sides are hashed first so the comparison takes the same time
 * whatever their lengths (`timingSafeEqual` itself throws on a length mismatch, which would leak it).
 */
export function safeEqual(a: string, b: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();
  return timingSafeEqual(digest(a), digest(b));
}
