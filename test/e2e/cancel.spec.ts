/**
 * Cancel in real Chromium: the merchant cancels a checkout whose widget is open and showing a PIX
 * code; the widget turns `cancelled` live (no reload). The old code paid anyway is recorded on its
 * charge and the checkout stays cancelled.
 */
import { expect, test } from '@playwright/test';

import { E2E_API_KEY } from './env.js';
import { fillPayer, recordWidget, widget } from './helpers.js';

const merchant = { Authorization: `Bearer ${E2E_API_KEY}` };

test('a merchant cancel reaches the open widget live; a payment after it is still recorded', async ({ page, request }) => {
  await recordWidget(page);
  await page.goto('/');
  await page.getByRole('button', { name: 'Pagar com Pix' }).click();
  await fillPayer(page);
  const w = widget(page);
  await expect(w.root).toHaveAttribute('status', 'awaiting_payment');
  const { id, code } = await page.evaluate(() => {
    const el = document.querySelector('connectpsp-checkout') as HTMLElement & { checkoutId: string; charge: { copyAndPaste: string } };
    return { id: el.checkoutId, code: el.charge.copyAndPaste };
  });

  const cancelled = await request.post(`/v1/checkouts/${id}/cancel`, { headers: merchant, data: {} });
  expect(cancelled.status()).toBe(200);
  await expect(w.root).toHaveAttribute('status', 'cancelled');
  await expect(w.root.getByRole('heading', { name: 'Pagamento cancelado' })).toBeVisible();

  expect((await request.post('/sandbox/pix/pay', { data: { copyAndPaste: code } })).status()).toBe(200);
  await expect
    .poll(
      async () =>
        ((await (await request.get(`/v1/checkouts/${id}`, { headers: merchant })).json()) as { charges: { status: string }[] }).charges[0]
          ?.status,
    )
    .toBe('paid');
  const after = (await (await request.get(`/v1/checkouts/${id}`, { headers: merchant })).json()) as { status: string };
  expect(after.status).toBe('cancelled');
  await expect(w.root).toHaveAttribute('status', 'cancelled');
  expect(await page.evaluate(() => window.__violations)).toEqual([]);
});
