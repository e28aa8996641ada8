/**
 * The demo store on a phone: it fits the screen at every step (nothing widens the page, so the
 * browser never zooms out) and every control is tapped for real — Playwright refuses a tap on a
 * control another element covers, which is how a too-wide event log showed up.
 */
import { expect, test, type Page } from '@playwright/test';

import { recordWidget, widget } from './helpers.js';

/** The page is no wider than the screen: no sideways scroll, no zoomed-out layout. */
async function expectFits(page: Page, width: number, step: string): Promise<void> {
  const scrollWidth = await page.evaluate(() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth));
  expect(scrollWidth, `${step}: the page is ${scrollWidth} CSS px wide on a ${width} px screen`).toBeLessThanOrEqual(width);
}

for (const size of [
  { width: 390, height: 844 },
  { width: 320, height: 640 },
]) {
  test.describe(`on a ${size.width}×${size.height} phone`, () => {
    test.use({ viewport: size, isMobile: true, hasTouch: true });

    test.beforeEach(async ({ page }) => {
      await recordWidget(page);
    });

    test('the payer taps through the whole PIX flow, and the page never grows wider than the screen', async ({ page }) => {
      await page.goto('/');
      await expectFits(page, size.width, 'the cart');
      await page.getByRole('button', { name: 'Pagar com Pix' }).tap();

      const w = widget(page);
      await w.name.tap();
      await w.name.fill('Maria da Silva');
      await w.document.tap();
      await w.document.fill('529.982.247-25');
      await expectFits(page, size.width, 'the payer form');
      await w.submit.tap();

      const pix = w.root.getByRole('button', { name: 'Pix com QR Code ou Copia e Cola' });
      await expect(pix).toBeVisible();
      await expectFits(page, size.width, 'the method choice');
      await pix.tap();
      await expect(w.qr).toBeVisible();
      // The event log has long JSON lines by now: they must wrap inside their box.
      await expect(page.locator('#event-log li').first()).toBeVisible();
      await expectFits(page, size.width, 'the code with the event log filled');

      const code = await w.code.inputValue();
      await page.locator('#bank-code').tap();
      await page.locator('#bank-code').fill(code);
      await page.getByRole('button', { name: 'Pagar este código' }).tap();
      await expect(w.root).toHaveAttribute('status', 'paid');
      await expect(w.root.getByRole('heading', { name: 'Pagamento confirmado' })).toBeVisible();
      await expectFits(page, size.width, 'paid');

      await page.getByRole('button', { name: 'Novo pedido' }).tap();
      await expect(page.getByRole('button', { name: 'Pagar com Pix' })).toBeVisible();
    });

    test('the payer taps "expire", then "generate a new code", then pays the new code', async ({ page }) => {
      await page.goto('/');
      await page.getByRole('button', { name: 'Pagar com Pix' }).tap();
      const w = widget(page);
      await w.name.fill('Maria da Silva');
      await w.document.fill('529.982.247-25');
      await w.submit.tap();
      await w.root.getByRole('button', { name: 'Pix com QR Code ou Copia e Cola' }).tap();
      await expect(w.qr).toBeVisible();

      await page.getByRole('button', { name: 'Expirar a cobrança exibida' }).tap();
      const newCode = w.root.getByRole('button', { name: 'Gerar novo código' });
      await expect(newCode).toBeVisible({ timeout: 5_000 });
      await expectFits(page, size.width, 'the expired screen');
      await newCode.tap();
      await expect(w.root).toHaveAttribute('status', 'awaiting_payment');
      await page.getByRole('button', { name: 'Pagar a cobrança exibida' }).tap();
      await expect(w.root).toHaveAttribute('status', 'paid');
    });
  });
}
