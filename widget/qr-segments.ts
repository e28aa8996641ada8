/**
 * How the Copia e Cola text is split into QR segments before `qrcode` builds the matrix.
 *
 * A BR Code is mostly digits (the TLV ids and lengths) and upper case (name, city, `***`), with a
 * lower-case URL or key in the middle. Long digit runs go in numeric mode (3.3 bits a character),
 * long runs of the QR alphanumeric set in alphanumeric mode (5.5 bits), the rest in byte mode
 * (8 bits). A regular expression instead of qrcode's graph search (which the script-tag bundle
 * leaves out, see `qrcode-segments.ts`): on generated codes it reaches the same QR version as that
 * optimal split for all but ~0.3 % of dynamic codes (what a PSP issues) and ~6 % of static ones,
 * which come out one version (4 modules a side) larger.
 */
/** The subset of qrcode's `QRCodeSegment` the widget produces. */
export type Segment = { data: string; mode: 'numeric' } | { data: string; mode: 'alphanumeric' } | { data: string; mode: 'byte' };

/** Shorter runs cost more in segment headers than their mode saves. */
const RUNS = /\d{6,}|[\dA-Z $%*+\-./:]{10,}/g;

export function qrSegments(text: string): Segment[] {
  const segments: Segment[] = [];
  let at = 0;
  const byte = (end: number) => end > at && segments.push({ data: text.slice(at, end), mode: 'byte' });
  for (const { 0: run, index } of text.matchAll(RUNS)) {
    byte(index);
    segments.push({ data: run, mode: /\D/.test(run) ? 'alphanumeric' : 'numeric' });
    at = index + run.length;
  }
  byte(text.length);
  return segments;
}
