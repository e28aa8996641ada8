/**
 * Types for the `qrcode` modules the widget imports: the matrix builder, `lib/core/qrcode.js`, and
 * the segment classes (qrcode-segments.ts). The package's main entry also bundles canvas, data-URL
 * and SVG-string renderers the widget never uses; @types/qrcode describes the main entry only.
 */
declare module 'qrcode/lib/core/qrcode.js' {
  import type { QRCode, QRCodeOptions } from 'qrcode';
  /** As `QRCode.create`, but byte segments may be strings: qrcode's ByteData encodes them as UTF-8. */
  export function create(data: string | { data: string; mode: 'numeric' | 'alphanumeric' | 'byte' }[], options?: QRCodeOptions): QRCode;
}

declare module 'qrcode/lib/core/numeric-data.js' {
  const SegmentData: new (data: string) => unknown;
  export default SegmentData;
}
declare module 'qrcode/lib/core/alphanumeric-data.js' {
  const SegmentData: new (data: string) => unknown;
  export default SegmentData;
}
declare module 'qrcode/lib/core/byte-data.js' {
  const SegmentData: new (data: string) => unknown;
  export default SegmentData;
}

/** qrcode's own segmenter and bit buffer: the tests compare `qrcode-segments.ts` against them. */
declare module 'qrcode/lib/core/segments.js' {
  const segments: { fromArray(segments: { data: string; mode: string }[]): unknown[] };
  export default segments;
}
declare module 'qrcode/lib/core/bit-buffer.js' {
  export default class BitBuffer {
    buffer: number[];
    length: number;
    put(num: number, length: number): void;
  }
}
