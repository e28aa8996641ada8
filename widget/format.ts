/**
 * Pure formatting and validation for what the widget shows and the payer types. No DOM, no state:
 * each function is unit-tested on its own (test/widget/format.test.ts).
 */
import { formatTaxId, isValidCnpj, isValidCpf, onlyDigits } from '../server/pix/tax-id.js';

// The check-digit rules live in one place for server and widget (server/pix/tax-id.ts).
export { formatTaxId as maskDocument, isValidCnpj, isValidCpf, onlyDigits };

const currencyFormats = new Map<string, Intl.NumberFormat>();

/** 1050 centavos → "R$ 10,50" (pt-BR), "R$10.50" (en). Integer input only: amounts are centavos. */
export function formatBRL(centavos: number, locale: string): string {
  let format = currencyFormats.get(locale);
  if (!format) {
    // narrowSymbol: "R$" in every locale; es would otherwise write "49,90 BRL".
    format = new Intl.NumberFormat(locale, { style: 'currency', currency: 'BRL', currencyDisplay: 'narrowSymbol' });
    currencyFormats.set(locale, format);
  }
  // Divide at the last moment: Intl rounds to 2 decimals, and centavos / 100 is exact enough there.
  return format.format(centavos / 100);
}

/** A date and time in the payer's locale, e.g. "30/11/2026, 21:14". Empty for an unparseable date. */
export function formatDateTime(iso: string, locale: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  return new Intl.DateTimeFormat(locale, { dateStyle: 'short', timeStyle: 'medium' }).format(date);
}

/**
 * Milliseconds left → "mm:ss", or "h:mm:ss" from one hour up. Rounds *up* to the whole second so the
 * display reads 00:01 until the very end and 00:00 only once the code has expired.
 */
export function formatCountdown(remainingMs: number): string {
  const total = Math.max(0, Math.ceil(remainingMs / 1000));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  const mm = String(minutes).padStart(2, '0');
  const ss = String(seconds).padStart(2, '0');
  return hours > 0 ? `${hours}:${mm}:${ss}` : `${mm}:${ss}`;
}

/** What is wrong with a CPF/CNPJ as typed, or `null` when it is valid. */
export type DocumentProblem = 'incomplete' | 'invalid';

/**
 * Checks a CPF (11 digits) or CNPJ (14 digits), masked or not. Lengths other than 11 and 14 are
 * `incomplete` (the payer is still typing, or stopped short); a full length with wrong check digits
 * is `invalid`.
 */
export function checkDocument(value: string): DocumentProblem | null {
  const digits = onlyDigits(value);
  if (digits.length === 11) return isValidCpf(digits) ? null : 'invalid';
  if (digits.length === 14) return isValidCnpj(digits) ? null : 'invalid';
  return 'incomplete';
}

/** A payer name is at least two non-blank characters; the bank does the rest. */
export function checkName(value: string): 'required' | null {
  return value.trim().length >= 2 ? null : 'required';
}
