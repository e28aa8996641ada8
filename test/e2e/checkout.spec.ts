/**
 * The widget end to end: the demo store, the built script-tag bundle, the real server and its
 * ConnectPSP sandbox. The QR is read back from a screenshot by an independent decoder (jsQR).
 */
import { expect, test } from '@playwright/test';

import type { CheckoutSession } from '../../widget/contract/wire-contract.js';
import { E2E_API_KEY } from './env.js';
import { decodeQr, events, fillPayer, payWithSandbox, recordWidget, widget } from './helpers.js';

test.beforeEach(async ({ page }) => {
  await recordWidget(page);
});

test.afterEach(async ({ page }) => {
  const violations = await page.evaluate(() => window.__violations).catch(() => []);
  expect(violations, 'the strict CSP of the demo is never violated').toEqual([]);
});

test('the whole PIX flow in the demo store: pay, scan, the bank pays, paid once', async ({ page }) => {
  await page.goto('/');
  await page.getByRole('button', { name: 'Pagar com Pix' }).click();
  const w = widget(page);
  await fillPayer(page);

  const code = await w.code.inputValue();
  expect(code).toMatch(/^000201/);
  expect(await decodeQr(page, w.qr), 'the QR reads back as exactly the Copia e Cola text').toBe(code);
  await expect(w.root).toHaveAttribute('status', 'awaiting_payment');

  // The payer pastes the code into the sandbox bank app beside the widget.
  await page.locator('#bank-code').fill(code);
  const clickedAt = await page.evaluate(() => {
    (document.getElementById('bank-pay-code') as HTMLButtonElement).click();
    return performance.now();
  });
  await expect(w.root).toHaveAttribute('status', 'paid');
  await expect(w.root.getByRole('heading', { name: 'Pagamento confirmado' })).toBeVisible();
  await expect(w.root.locator('[part~=e2e]')).toHaveText(/^E[0-9A-Z]{8}\d{12}[A-Za-z0-9]{11}$/);

  const paidAt = await page.evaluate(() => window.__paidAt);
  const latency = Math.round(paidAt! - clickedAt);
  test.info().annotations.push({ type: 'pay→DOM latency (demo bank app click → status="paid")', description: `${latency} ms` });
  console.log(`pay→DOM latency (demo): ${latency} ms`);

  await page.waitForTimeout(1_000); // room for a duplicate to show up, if there were one
  const paid = await events(page, 'connectpsp-paid');
  expect(paid).toHaveLength(1);
  expect(paid[0]!.detail.endToEndId).toMatch(/^E/);
  // Paid is not the end: the widget keeps following, so a refund would show live (refund.spec.ts).
  expect(await page.evaluate(() => document.querySelector('connectpsp-checkout')!.connection)).toBe('live');
});

test('a reload in the middle of a payment resumes the same code', async ({ page }) => {
  await page.goto('/');
  await page.getByRole('button', { name: 'Pagar com Pix' }).click();
  await fillPayer(page);
  const w = widget(page);
  const before = await page.evaluate(() => document.querySelector('connectpsp-checkout')!.charge);

  await page.reload();
  await expect(w.qr).toBeVisible();
  const after = await page.evaluate(() => document.querySelector('connectpsp-checkout')!.charge);
  expect(after?.transactionId, 'the same charge, not a new one').toBe(before?.transactionId);
  expect(await w.code.inputValue()).toBe(before?.copyAndPaste);
  await expect(w.root.locator('[role=timer]')).toHaveText(/1[45]:\d\d/);

  await page.getByRole('button', { name: 'Pagar a cobrança exibida' }).click();
  await expect(w.root).toHaveAttribute('status', 'paid');
  expect(await events(page, 'connectpsp-paid')).toHaveLength(1);
});

test('with the SSE route blocked, the widget still reaches paid by polling', async ({ page }) => {
  let blocked = 0;
  await page.route('**/events**', (route) => {
    blocked++;
    return route.abort();
  });
  await page.goto('/');
  await page.getByRole('button', { name: 'Pagar com Pix' }).click();
  await fillPayer(page);
  const w = widget(page);
  await expect.poll(() => page.evaluate(() => document.querySelector('connectpsp-checkout')!.connection)).toBe('polling');

  await payWithSandbox(page, await w.code.inputValue());
  await expect(w.root).toHaveAttribute('status', 'paid', { timeout: 10_000 });
  expect(blocked).toBeGreaterThan(0);
  expect(await events(page, 'connectpsp-paid')).toHaveLength(1);
});

test('done when: the script-tag bundle alone on a bare page draws a scannable QR and turns paid', async ({ page, request, baseURL }) => {
  // The merchant's backend creates the checkout (with the payer, so no form).
  const created = await request.post('/v1/checkouts', {
    headers: { Authorization: `Bearer ${E2E_API_KEY}` },
    data: { amount: 12345, externalReference: `e2e-bare-${Date.now()}`, payer: { name: 'Joao Pereira', document: '11222333000181' } },
  });
  expect(created.status(), await created.text()).toBe(201);
  const { id, clientSecret } = (await created.json()) as { id: string; clientSecret: string };

  // A page with nothing but the script tag and the element.
  const bare = `<!doctype html><html><head><meta charset="utf-8"><title>bare</title>
<script src="/dist/connectpsp-checkout.iife.js"></script></head><body>
<connectpsp-checkout checkout-id="${id}" client-secret="${clientSecret}" server="${baseURL}"></connectpsp-checkout>
</body></html>`;
  await page.route('**/bare.html', (route) => route.fulfill({ contentType: 'text/html', body: bare }));
  await page.goto('/bare.html');

  const w = widget(page);
  await expect(w.qr).toBeVisible();
  const session = (await (
    await request.get(`/v1/checkouts/${id}/session`, { headers: { Authorization: `Bearer ${clientSecret}` } })
  ).json()) as CheckoutSession;
  const copyAndPaste = session.activeCharge?.method === 'pix' ? session.activeCharge.copyAndPaste : '';
  expect(copyAndPaste).toMatch(/^000201/);
  expect(await decodeQr(page, w.qr)).toBe(copyAndPaste);
  expect(await w.code.inputValue(), 'the text is shown for copying').toBe(copyAndPaste);

  const paidBefore = await page.evaluate(() => performance.now());
  await payWithSandbox(page, copyAndPaste);
  await expect(w.root).toHaveAttribute('status', 'paid');
  const latency = Math.round((await page.evaluate(() => window.__paidAt))! - paidBefore);
  test.info().annotations.push({ type: 'pay→DOM latency (sandbox POST → status="paid")', description: `${latency} ms` });
  console.log(`pay→DOM latency (bare page): ${latency} ms`);
  await page.waitForTimeout(1_000);
  expect(await events(page, 'connectpsp-paid')).toHaveLength(1);
});

test('the demo backend prices the cart itself: the browser sends items, never an amount', async ({ request, page }) => {
  const ok = await request.post('/demo/api/checkout', { data: { items: [{ sku: 'caneca', qty: 2 }], amount: 1 } });
  expect(ok.status()).toBe(201);
  const { checkoutId, clientSecret } = (await ok.json()) as { checkoutId: string; clientSecret: string };
  const session = (await (
    await request.get(`/v1/checkouts/${checkoutId}/session`, { headers: { Authorization: `Bearer ${clientSecret}` } })
  ).json()) as CheckoutSession;
  expect(session.amount, '2 × R$ 59,00 from the catalogue, not the amount the client sent').toBe(11800);

  for (const items of [[{ sku: 'unknown', qty: 1 }], [{ sku: 'caneca', qty: 1.5 }], [{ sku: 'caneca', qty: 0 }], []]) {
    expect((await request.post('/demo/api/checkout', { data: { items } })).status()).toBe(400);
  }
  await page.goto('/'); // keeps the CSP check in afterEach meaningful
  await expect(page.getByRole('button', { name: 'Pagar com Pix' })).toBeVisible();
});
