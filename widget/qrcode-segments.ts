/**
 * Stands in for `qrcode/lib/core/segments.js` in the script-tag bundle only (vite.config.ts).
 *
 * qrcode's own module finds the optimal split of any text with a graph search (dijkstrajs) and
 * Kanji tables; the widget always hands qrcode segments it already split ({@link qrSegments}), so
 * all the bundle needs from that module is to turn them into qrcode's own segment objects. The
 * matrix — versions, error correction, masks, the modules themselves — is still built by qrcode.
 * test/widget/qr.test.ts checks that both modules encode the widget's segments to the same bits.
 */
import AlphanumericData from 'qrcode/lib/core/alphanumeric-data.js';
import ByteData from 'qrcode/lib/core/byte-data.js';
import NumericData from 'qrcode/lib/core/numeric-data.js';

import { qrSegments, type Segment } from './qr-segments.js';

const DATA = { numeric: NumericData, alphanumeric: AlphanumericData, byte: ByteData };

export function fromArray(segments: Segment[]): unknown[] {
  return segments.map(({ data, mode }) => new DATA[mode](data));
}

/** `create()` with a plain string: split it the widget's way. */
export function fromString(text: string): unknown[] {
  return fromArray(qrSegments(text));
}

export { fromString as rawSplit };
