/**
 * Identifiers in the shapes ConnectPSP uses (docs/connectpsp.md §6.1–§6.2). All random parts come from
 * `crypto.randomInt`, so ids cannot be guessed from one another.
 */
import { randomInt, randomUUID } from 'node:crypto';

import { spiMinute } from './clock.js';

const DIGITS = '0123456789';
const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const UPPER = LOWER.toUpperCase();

function randomString(alphabet: string, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[randomInt(alphabet.length)];
  return out;
}

/** Cash-in `transactionId`: 35 lowercase alphanumerics, the longest PIX txid (`kk6g232xel65a0…`). */
export function newCashInTransactionId(): string {
  return randomString(LOWER + DIGITS, 35);
}

/** Cash-in `internalCode`: 7 uppercase alphanumerics (`US7B1JQ`). */
export function newCashInInternalCode(): string {
  return randomString(UPPER + DIGITS, 7);
}

/** Cash-out `transactionId`: a UUID (`dd30446e-6cc5-4664-bf3f-6b7f5e55a1a9`). */
export function newCashOutTransactionId(): string {
  return randomUUID();
}

/** Cash-out `internalCode`: 10 uppercase alphanumerics (`IVKPRMOCDY`). */
export function newCashOutInternalCode(): string {
  return randomString(UPPER + DIGITS, 10);
}

/**
 * A BACEN end-to-end id: `E` (payment) or `D` (devolution) + the 8-digit ISPB of the institution
 * that generated it + UTC `yyyyMMddHHmm` + 11 alphanumerics; 32 characters (docs/protocols.md §1.9).
 */
export function newEndToEndId(prefix: 'E' | 'D', ispb: string, atMs: number): string {
  if (!/^\d{8}$/.test(ispb)) throw new RangeError(`ISPB must be 8 digits, got "${ispb}"`);
  return prefix + ispb + spiMinute(atMs) + randomString(UPPER + LOWER + DIGITS, 11);
}

/** `X-Event-Id`, one per delivery attempt. */
export function newEventId(): string {
  return randomUUID();
}

/** A random digit string, for sandbox payer account numbers. */
export function randomDigits(length: number): string {
  return randomString(DIGITS, length);
}

/** A random element, for picking a sandbox payer bank. */
export function pickOne<T>(items: readonly T[]): T {
  return items[randomInt(items.length)]!;
}
