/**
 * The PIX QR code, drawn in the browser as SVG built by Lit templates.
 *
 * Why not `QRCode.toString({type:'svg'})` + `unsafeSVG`, or a `data:` image: the code comes from the
 * network, and turning network text into markup is exactly what a strict CSP and Trusted Types are
 * there to stop (docs/anchors.md §10.5). Here `qrcode` only computes the module matrix; the markup is one
 * `<path>` whose `d` is a number-only string we build, bound as an attribute by Lit.
 */
import { html, type TemplateResult } from 'lit';
import { create } from 'qrcode/lib/core/qrcode.js';

import { qrSegments } from './qr-segments.js';

/** Modules of light margin on each side. The QR spec asks for 4; scanners struggle with less. */
export const QUIET_ZONE = 4;

export interface QrMatrix {
  /** Modules per side, without the quiet zone. */
  size: number;
  /** Row-major, `true` = dark. */
  dark: (row: number, col: number) => boolean;
}

/**
 * The module matrix for `text`. Error correction M (15 %) keeps a ~200-character BR Code at a
 * version whose modules stay large on a phone screen, and still survives glare.
 */
export function qrMatrix(text: string): QrMatrix {
  const { modules } = create(qrSegments(text), { errorCorrectionLevel: 'M' });
  return { size: modules.size, dark: (row, col) => Boolean(modules.get(row, col)) };
}

/**
 * An SVG path that paints every dark module: one `M x y h w v 1 h -w z` rectangle per horizontal run,
 * offset by the quiet zone. Runs keep the path ~5× shorter than one square per module.
 */
export function qrPath({ size, dark }: QrMatrix): string {
  let d = '';
  for (let row = 0; row < size; row++) {
    for (let col = 0; col < size; col++) {
      if (!dark(row, col)) continue;
      const start = col;
      while (col + 1 < size && dark(row, col + 1)) col++;
      const width = col + 1 - start;
      d += `M${start + QUIET_ZONE} ${row + QUIET_ZONE}h${width}v1h${-width}z`;
    }
  }
  return d;
}

/**
 * The QR as an inline `<svg>` with an accessible name. Always dark on white, in light and dark
 * themes alike: some scanners cannot read inverted codes. (Inside an HTML template the parser puts
 * `<svg>` and its children in the SVG namespace.)
 */
export function renderQr(text: string, label: string): TemplateResult {
  const matrix = qrMatrix(text);
  const side = matrix.size + 2 * QUIET_ZONE;
  return html`<svg part="qr" class="qr" role="img" aria-label=${label} viewBox="0 0 ${side} ${side}" shape-rendering="crispEdges">
    <rect width="100%" height="100%" fill="#fff"></rect>
    <path d=${qrPath(matrix)}></path>
  </svg>`;
}
