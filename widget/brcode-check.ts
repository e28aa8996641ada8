/**
 * The Pix code's self-check before it becomes a QR (docs/anchors.md (b)11): the TLV structure, 00 first,
 * 63 last with a correct CRC16 (server/pix/brcode-core.ts, shared with the server), and — when the
 * code states an amount — that it is the amount the payer is shown. A code that fails is an error,
 * never a QR someone could pay.
 */
import { isProblem, readBrCode } from './contract/brcode-core.js';

/** What the widget shows from the code itself: who receives the money. */
export interface BrCodeInfo {
  merchantName: string;
  merchantCity: string;
}

export type BrCodeCheck = { ok: true; value: BrCodeInfo } | { ok: false; reason: string };

export function checkBrCode(copyAndPaste: string, expectedCentavos: number): BrCodeCheck {
  const objects = readBrCode(copyAndPaste);
  if (isProblem(objects)) return { ok: false, reason: objects.join(' ') };
  const field = (id: string) => objects.find((object) => object.id === id)?.value;
  const amount = field('54');
  const merchantName = field('59');
  const merchantCity = field('60');
  // Object 54 is at most 13 characters, so the float product is exact after rounding.
  if (amount && Math.round(Number(amount) * 100) !== expectedCentavos) {
    return { ok: false, reason: `the code says ${amount} but the checkout amount is ${(expectedCentavos / 100).toFixed(2)}` };
  }
  if (!merchantName || !merchantCity) return { ok: false, reason: 'no merchant name (59) or city (60)' };
  return { ok: true, value: { merchantName, merchantCity } };
}
