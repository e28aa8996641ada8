/**
 * The wire contract that the companion server and the browser share, imported by both as
 * `connectpsp-checkout/contract`: checkout statuses and their one-way transitions, the REST and SSE
 * shapes, the route paths, and the CPF/CNPJ and BR Code checks the widget runs before it draws.
 *
 * Dependency-free on purpose, and part of the widget package: every edit here is an edit to the
 * browser bundle, and counts against its budget (`npm run size`).
 */
export * from './wire-contract.js';
export * from './tax-id.js';
export * from './brcode-core.js';
