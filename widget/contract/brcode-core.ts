/**
 * The frame of a PIX BR Code, checked the same way by the server (`brcode.ts`, which builds its full
 * validation on this module) and by the widget, before it draws a QR (`widget/brcode-check.ts`).
 *
 * Dependency-free and small on purpose: it ships in the widget's script-tag bundle. So problems come
 * back as short tuples (`['crc', expected, got]`), not sentences; `brcode.ts` words them.
 *
 * A payload is a flat list of TLV data objects, `ID (2 digits) + LEN (2 digits) + VALUE`. The first
 * object is `000201`; the last is the CRC, `6304` + 4 hex digits computed over everything before
 * those 4 digits.
 */

export interface DataObject {
  id: string;
  value: string;
}

/** Why a TLV list cannot be read: a code, then the position, field id and lengths involved. */
export type TlvProblem =
  | readonly ['empty']
  | readonly ['truncated', at: number]
  | readonly ['id', at: number, id: string]
  | readonly ['length', at: number, id: string, lengthText: string]
  | readonly ['zero', id: string]
  | readonly ['overrun', id: string, length: number, remaining: number];

/** A TLV problem, or a frame problem: 00 not first, 63 not last, a wrong CRC. */
export type BrCodeProblem = TlvProblem | readonly ['first'] | readonly ['last'] | readonly ['crc', expected: string, got: string];

export function isProblem<P extends BrCodeProblem>(result: DataObject[] | P): result is P {
  return typeof result[0] === 'string';
}

/**
 * CRC-16/CCITT-FALSE (polynomial 0x1021, init 0xFFFF, no reflection, xor-out 0) of the UTF-8 bytes
 * of `text`, as 4 uppercase hex digits. For a BR Code, pass everything up to and including `6304`.
 *
 * @example crc16('123456789') === '29B1'
 */
export function crc16(text: string): string {
  let crc = 0xffff;
  for (const byte of new TextEncoder().encode(text)) {
    crc ^= byte << 8;
    // Bits above the 16th are never shifted back down, so masking once at the end is enough.
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? (crc << 1) ^ 0x1021 : crc << 1;
  }
  return (crc & 0xffff).toString(16).toUpperCase().padStart(4, '0');
}

/**
 * Splits a TLV list: every object has a 2-digit id, a 2-digit non-zero length, and that many
 * characters; the text must be consumed exactly.
 */
export function readTlv(text: string): DataObject[] | TlvProblem {
  const objects: DataObject[] = [];
  for (let at = 0; at < text.length;) {
    if (text.length - at < 4) return ['truncated', at];
    const id = text.slice(at, at + 2);
    const lengthText = text.slice(at + 2, at + 4);
    if (!/^\d\d$/.test(id)) return ['id', at, id];
    if (!/^\d\d$/.test(lengthText)) return ['length', at, id, lengthText];
    const length = Number(lengthText);
    if (!length) return ['zero', id];
    const end = at + 4 + length;
    if (end > text.length) return ['overrun', id, length, text.length - at - 4];
    objects.push({ id, value: text.slice(at + 4, end) });
    at = end;
  }
  return objects.length ? objects : ['empty'];
}

/** The top-level objects of a BR Code whose TLV structure, 00 (first, `01`) and 63 (last, CRC) hold. */
export function readBrCode(text: string): DataObject[] | BrCodeProblem {
  const objects = readTlv(text);
  if (isProblem(objects)) return objects;
  const first = objects[0]!;
  const last = objects[objects.length - 1]!;
  if (first.id !== '00' || first.value !== '01') return ['first'];
  if (last.id !== '63' || !text.endsWith('6304' + last.value) || !/^[\dA-F]{4}$/i.test(last.value)) return ['last'];
  const expected = crc16(text.slice(0, -4));
  return last.value.toUpperCase() === expected ? objects : ['crc', expected, last.value];
}
