/**
 * Pure formatting and validation for what the widget shows and the payer types. No DOM, no state:
 * each function is unit-tested on its own (test/widget/format.test.ts).
 */
import { formatTaxId, isValidTaxId, onlyDigits } from './contract/tax-id.js';

// The check-digit rules live in one place for server and widget (widget/contract/tax-id.ts).
export { formatTaxId as maskDocument, onlyDigits };

/** 1050 centavos → "R$ 10,50" (pt-BR), "R$10.50" (en). Integer input only: amounts are centavos. */
export function formatBRL(centavos: number, locale: string): string {
  // narrowSymbol: "R$" in every locale; es would otherwise write "49,90 BRL". Intl rounds to
  // 2 decimals, and centavos / 100 is exact enough there.
  return new Intl.NumberFormat(locale, { style: 'currency', currency: 'BRL', currencyDisplay: 'narrowSymbol' }).format(centavos / 100);
}

/** A date and time in the payer's locale, e.g. "30/11/2026, 21:14". Empty for an unparseable date. */
export function formatDateTime(iso: string, locale: string): string {
  const date = new Date(iso);
  return isNaN(+date) ? '' : date.toLocaleString(locale, { dateStyle: 'short', timeStyle: 'medium' });
}

/**
 * Milliseconds left → "mm:ss", or "h:mm:ss" from one hour up. Rounds *up* to the whole second so the
 * display reads 00:01 until the very end and 00:00 only once the code has expired.
 */
export function formatCountdown(remainingMs: number): string {
  const total = Math.max(0, Math.ceil(remainingMs / 1000));
  const hours = Math.floor(total / 3600);
  const two = (n: number) => String(n).padStart(2, '0');
  return (hours ? `${hours}:` : '') + `${two(Math.floor(total / 60) % 60)}:${two(total % 60)}`;
}

/** What is wrong with a CPF/CNPJ as typed, or `null` when it is valid. */
export type DocumentProblem = 'incomplete' | 'invalid';

/**
 * Checks a CPF (11 digits) or CNPJ (14 digits), masked or not. Lengths other than 11 and 14 are
 * `incomplete` (the payer is still typing, or stopped short); a full length with wrong check digits
 * is `invalid`.
 */
export function checkDocument(value: string): DocumentProblem | null {
  const { length } = onlyDigits(value);
  return length !== 11 && length !== 14 ? 'incomplete' : isValidTaxId(value) ? null : 'invalid';
}

/** A payer name is at least two non-blank characters; the bank does the rest. */
export function checkName(value: string): 'required' | null {
  return value.trim().length >= 2 ? null : 'required';
}
