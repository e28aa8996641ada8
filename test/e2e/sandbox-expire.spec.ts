/**
 * The sandbox's expire control, as a developer trying the expired screen uses it: the widget shows
 * "the code expired" with "Generate a new code" within seconds (ConnectPSP sends no webhook on
 * expiry; the embedded sandbox tells the companion server to ask about the charge at once), and the
 * new code can be paid.
 */
import { expect, test } from '@playwright/test';

import { events, fillPayer, payWithSandbox, recordWidget, widget } from './helpers.js';

test.beforeEach(async ({ page }) => {
  await recordWidget(page);
});

test('the expire control turns the widget to its expired screen within 5 s, and a new code pays', async ({ page }) => {
  await page.goto('/');
  await page.getByRole('button', { name: 'Pagar com Pix' }).click();
  await fillPayer(page);
  const w = widget(page);
  await expect(w.root).toHaveAttribute('status', 'awaiting_payment');
  const first = await page.evaluate(() => document.querySelector('connectpsp-checkout')!.charge!);

  // The demo's "Expirar a cobrança exibida" calls the control for the code on screen.
  const control = page.waitForResponse((r) => r.url().endsWith(`/sandbox/cash-in/${encodeURIComponent(first.transactionId)}/expire`));
  await page.getByRole('button', { name: 'Expirar a cobrança exibida' }).click();
  expect((await control).status()).toBe(200);
  // The code's own expiry is 15 minutes away: only the control can have ended it.
  await expect(w.root).toHaveAttribute('status', 'expired', { timeout: 5_000 });
  await expect(w.root.getByRole('heading', { name: 'O código Pix expirou' })).toBeVisible();
  expect(await events(page, 'connectpsp-expired')).toHaveLength(1);

  await w.root.getByRole('button', { name: 'Gerar novo código' }).click();
  await expect(w.root).toHaveAttribute('status', 'awaiting_payment');
  const second = await page.evaluate(() => document.querySelector('connectpsp-checkout')!.charge!);
  expect(second.transactionId).not.toBe(first.transactionId);
  await payWithSandbox(page, await w.code.inputValue());
  await expect(w.root).toHaveAttribute('status', 'paid');
});
