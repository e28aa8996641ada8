/**
 * Types for the `qrcode` entry the widget imports: only the matrix builder, `lib/core/qrcode.js`.
 * The package's main entry also bundles canvas, data-URL and SVG-string renderers the widget never
 * uses (≈1.5 KB gzip in the script-tag bundle); @types/qrcode describes the main entry only.
 */
declare module 'qrcode/lib/core/qrcode.js' {
  export { create } from 'qrcode';
}
