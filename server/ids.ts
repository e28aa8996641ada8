import { randomBytes, randomUUID, createHash, timingSafeEqual } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Base62 from a CSPRNG; rejection sampling keeps every character equally likely. */
export function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 248) out += ALPHABET[byte % 62];
      if (out.length === length) break;
    }
  }
  return out;
}

export const newCheckoutId = () => `chk_${randomBase62(24)}`;
/** 190 bits of randomness; the checkout id prefix lets support tell which checkout a secret is for. */
export const newClientSecret = (checkoutId: string) => `${checkoutId}_secret_${randomBase62(32)}`;
export const newIdempotencyKey = () => randomUUID();
/** A merchant notification's `webhook-id`; Standard Webhooks forbids `.` in it. */
export const newMerchantEventId = () => `msg_${randomBase62(24)}`;

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

/** Constant-time string equality; different lengths compare as unequal without an early exit on content. */
export function safeEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb) && a.length === b.length;
}
