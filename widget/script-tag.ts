/**
 * The entry of the single-file `<script>` bundle (`dist/connectpsp-checkout.iife.js`): registers
 * `<connectpsp-checkout>` and exposes the class and events on `window.ConnectpspCheckout` for pages
 * without a bundler.
 */
import './define.js';

export * from './index.js';
