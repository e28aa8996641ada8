/**
 * The Pix code's self-check before it becomes a QR (ANCHORS.md (b)11): the TLV structure and CRC16
 * (server/pix/brcode.ts, shared with the server), and — when the code states an amount — that it is
 * the amount the payer is shown. A code that fails is an error, never a QR someone could pay.
 */
import { parseBrCode, type ParsedBrCode } from '../server/pix/brcode.js';

export type BrCodeCheck = { ok: true; value: ParsedBrCode } | { ok: false; reason: string };

/** "10.50" → 1050. Object 54 is at most 13 characters, so the float product is exact after rounding. */
function toCentavos(amount: string): number {
  return Math.round(Number(amount) * 100);
}

export function checkBrCode(copyAndPaste: string, expectedCentavos: number): BrCodeCheck {
  const parsed = parseBrCode(copyAndPaste);
  if (!parsed.ok) return parsed;
  const { amount } = parsed.value;
  if (amount !== undefined && toCentavos(amount) !== expectedCentavos) {
    return { ok: false, reason: `the code says ${amount} but the checkout amount is ${(expectedCentavos / 100).toFixed(2)}` };
  }
  return parsed;
}
