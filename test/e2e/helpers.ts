import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';

import { expect, type APIRequestContext, type Locator, type Page } from '@playwright/test';

import { E2E_API_KEY } from './env.js';

const require = createRequire(import.meta.url);
/** jsQR, an independent decoder, loaded into a blank page of the same browser. */
const JSQR_PATH = require.resolve('jsqr/dist/jsQR.js');

export const EVENT_TYPES = ['connectpsp-status', 'connectpsp-paid', 'connectpsp-expired', 'connectpsp-error'] as const;

export interface RecordedEvent {
  type: string;
  detail: Record<string, unknown>;
  at: number;
}

declare global {
  interface Window {
    __events: RecordedEvent[];
    __violations: string[];
    __paidAt: number | null;
  }
}

/**
 * Before any page script: records every widget event, every CSP violation, and the moment the
 * widget's `status` attribute turns `paid` (for the pay → DOM latency).
 */
export async function recordWidget(page: Page): Promise<void> {
  await page.addInitScript(
    (types) => {
      window.__events = [];
      window.__violations = [];
      window.__paidAt = null;
      for (const type of types) {
        document.addEventListener(type, (e) => window.__events.push({ type, detail: (e as CustomEvent).detail, at: performance.now() }));
      }
      document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`));
      new MutationObserver(() => {
        if (window.__paidAt === null && document.querySelector('connectpsp-checkout[status="paid"]')) window.__paidAt = performance.now();
      }).observe(document, { subtree: true, attributes: true, attributeFilter: ['status'] });
    },
    [...EVENT_TYPES],
  );
}

export async function events(page: Page, type?: string): Promise<RecordedEvent[]> {
  const all = await page.evaluate(() => window.__events);
  return type ? all.filter((e) => e.type === type) : all;
}

/** Screenshots the QR as the payer's camera would see it, and decodes it with jsQR. */
export async function decodeQr(page: Page, qr: Locator): Promise<string | null> {
  const png = (await qr.screenshot()).toString('base64');
  const decoder = await page.context().newPage();
  try {
    await decoder.addScriptTag({ path: JSQR_PATH });
    return await decoder.evaluate(async (b64) => {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const bitmap = await createImageBitmap(new Blob([bytes], { type: 'image/png' }));
      const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
      const context = canvas.getContext('2d')!;
      context.drawImage(bitmap, 0, 0);
      const { data } = context.getImageData(0, 0, bitmap.width, bitmap.height);
      const jsQR = (window as unknown as { jsQR: (d: Uint8ClampedArray, w: number, h: number) => { data: string } | null }).jsQR;
      return jsQR(data, bitmap.width, bitmap.height)?.data ?? null;
    }, png);
  } finally {
    await decoder.close();
  }
}

/** The widget, its parts (Playwright's CSS locators pierce open shadow roots). */
export function widget(page: Page) {
  const root = page.locator('connectpsp-checkout');
  return {
    root,
    qr: root.locator('svg.qr'),
    code: root.locator('textarea.code'),
    name: root.locator('#payer-name'),
    document: root.locator('#payer-document'),
    submit: root.locator('button[type=submit]'),
  };
}

/** Fills the payer form the demo shows (the demo store sends no payer) and asks for the code. */
export async function fillPayer(page: Page): Promise<void> {
  const w = widget(page);
  await w.name.fill('Maria da Silva');
  await w.document.fill('529.982.247-25');
  await w.submit.click();
  // The demo offers both methods: choose the QR code.
  await w.root.getByRole('button', { name: 'Pix com QR Code ou Copia e Cola' }).click();
  await expect(w.qr).toBeVisible();
}

/** Pays the charge with the sandbox bank, as the payer's bank app would. */
export async function payWithSandbox(page: Page, copyAndPaste: string): Promise<void> {
  const response = await page.request.post('/sandbox/pix/pay', { data: { copyAndPaste } });
  expect(response.status(), await response.text()).toBe(200);
}

/** axe-core's browser build, injected into the page under test (CSP does not apply to evaluate). */
const AXE_PATH = require.resolve('axe-core/axe.min.js');

/**
 * The accessibility violations axe-core finds on the page as it is now, open shadow roots included,
 * as `rule: target…` lines so a failure says what to fix.
 */
export async function axeViolations(page: Page): Promise<string[]> {
  const source = await readFile(AXE_PATH, 'utf8');
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(source);
  return page.evaluate(async () => {
    const axe = (
      window as unknown as {
        axe: { run: (context: Document, options: object) => Promise<{ violations: { id: string; nodes: { target: unknown[] }[] }[] }> };
      }
    ).axe;
    const { violations } = await axe.run(document, { resultTypes: ['violations'] });
    return violations.map((v) => `${v.id}: ${v.nodes.map((n) => JSON.stringify(n.target)).join(' ')}`);
  });
}

export interface TestCheckout {
  id: string;
  clientSecret: string;
}

/** Creates a checkout through the merchant API, as the merchant's backend would. */
export async function createCheckout(request: APIRequestContext, body: Record<string, unknown>): Promise<TestCheckout> {
  const response = await request.post('/v1/checkouts', {
    headers: { Authorization: `Bearer ${E2E_API_KEY}` },
    data: {
      amount: 4990,
      externalReference: `e2e-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`,
      description: 'Pedido #1042',
      ...body,
    },
  });
  expect(response.status(), await response.text()).toBe(201);
  return (await response.json()) as TestCheckout;
}

/** The page the fixture is served at (any query string: the bank sends the payer back with one). */
export const FIXTURE_PATH = '/e2e-checkout.html';

/**
 * Serves a merchant page at {@link FIXTURE_PATH}: one h1 above the widget, the built script-tag
 * bundle, and the element with `attributes`. `checkout()` is read on every load, so the page the
 * bank sends the payer back to shows the same checkout.
 */
export async function serveFixture(page: Page, checkout: () => TestCheckout, attributes: Record<string, string> = {}): Promise<void> {
  await page.route(new RegExp(`${FIXTURE_PATH.replace('.', '\\.')}(\\?.*)?$`), (route) => {
    const { id, clientSecret } = checkout();
    const attrs = Object.entries({ 'checkout-id': id, 'client-secret': clientSecret, server: '/', ...attributes })
      .map(([name, value]) => `${name}="${value.replace(/"/g, '&quot;')}"`)
      .join(' ');
    return route.fulfill({
      contentType: 'text/html; charset=utf-8',
      headers: { 'Content-Security-Policy': "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'" },
      body: `<!doctype html>
<html lang="pt-BR">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Finalizar compra</title>
<script src="/dist/connectpsp-checkout.iife.js" defer></script>
</head>
<body>
<main>
<h1>Finalizar compra</h1>
<connectpsp-checkout ${attrs}></connectpsp-checkout>
</main>
</body>
</html>`,
    });
  });
}
