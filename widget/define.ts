/**
 * Registers `<connectpsp-checkout>`. Import this module (or load the script-tag bundle) once; a
 * second registration of the same tag is skipped instead of throwing, so a page that includes the
 * widget twice keeps working.
 */
import { ConnectpspCheckout } from './connectpsp-checkout.js';

// The literal tag (not a constant) lets the manifest analyzer see which class it registers.
if (!customElements.get('connectpsp-checkout')) customElements.define('connectpsp-checkout', ConnectpspCheckout);

export { ConnectpspCheckout };

declare global {
  interface HTMLElementTagNameMap {
    'connectpsp-checkout': ConnectpspCheckout;
  }
}
