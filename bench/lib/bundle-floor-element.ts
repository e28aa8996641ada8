/**
 * The stand-in `bench/bundle-floor.ts` builds in place of the widget: Lit, the QR drawing (qrcode),
 * the widget's styles and every message of the three locales, and nothing else — no status
 * machine, form, checks, live status or API client. What it weighs is the floor under any widget
 * that keeps those parts.
 */
import { html, LitElement } from 'lit';
import { renderQr } from '../../widget/qr.js';
import { styles } from '../../widget/styles.js';
import { LOCALES, resolveLocale } from '../../widget/translations/index.js';

class BundleFloor extends LitElement {
  static override styles = styles;
  static override properties = { locale: {}, code: {} };
  locale?: string;
  code = '';

  override render() {
    const msg = LOCALES[resolveLocale(this.locale)];
    return html`<div class="base">
      ${Object.values(msg).map((m) => html`<p>${typeof m === 'function' ? m('a', 'b') : String(m)}</p>`)}${renderQr(this.code, msg.qrLabel)}
    </div>`;
  }
}
customElements.define('connectpsp-checkout', BundleFloor);
