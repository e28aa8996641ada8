import { createRequire } from 'node:module';

import { expect, type Locator, type Page } from '@playwright/test';

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
  await page.addInitScript((types) => {
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
  }, [...EVENT_TYPES]);
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
