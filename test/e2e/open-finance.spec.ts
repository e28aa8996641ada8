/**
 * Pix via Open Finance end to end: the demo store, the built script-tag bundle, the real server and
 * its sandbox bank journey. The payer leaves for the bank in the same tab and the page is loaded
 * from scratch on the way back, so the widget must find the pending payment again.
 */
import { expect, test, type Page } from '@playwright/test';

import { events, recordWidget, widget } from './helpers.js';

test.beforeEach(async ({ page }) => {
  await recordWidget(page);
});

test.afterEach(async ({ page }) => {
  const violations = await page.evaluate(() => window.__violations).catch(() => []);
  expect(violations, 'the strict CSP of the demo is never violated').toEqual([]);
});

/** From the demo store to the sandbox bank's consent screen, through the widget's Open Finance path. */
async function goToBank(page: Page): Promise<void> {
  await page.goto('/');
  await page.getByRole('button', { name: 'Pagar com Pix' }).click();
  const w = widget(page);
  await w.name.fill('Maria da Silva');
  await w.document.fill('529.982.247-25');
  await w.submit.click();
  await w.root.getByRole('button', { name: 'Pix pelo app do banco (Open Finance)' }).click();
  // What happens next, before leaving.
  await expect(w.root.locator('[part~=open-finance]')).toContainText('5 minutos');
  await w.root.getByRole('button', { name: 'Continuar' }).click();

  // The sandbox bank: pick an institution, then the consent screen.
  await expect(page.getByRole('heading', { name: 'Escolha sua instituição' })).toBeVisible();
  await page.getByRole('radio').first().check();
  await page.getByRole('button', { name: 'Continuar para a instituição' }).click();
  await expect(page.getByRole('button', { name: /^Autorizar pagamento/ })).toBeVisible();
}

test('Open Finance: choose the bank app, approve at the bank, back on the store page paid with the E2E id', async ({ page }) => {
  await goToBank(page);
  await page.getByRole('button', { name: /^Autorizar pagamento/ }).click();

  // Back on the store page, loaded from scratch, with the return marker.
  await expect(page).toHaveURL(/connectpsp_checkout=/);
  const w = widget(page);
  await expect(w.root).toHaveAttribute('status', 'paid');
  await expect(w.root.getByRole('heading', { name: 'Pagamento confirmado' })).toBeVisible();
  await expect(w.root.locator('[part~=e2e]')).toHaveText(/^E[0-9A-Z]{8}\d{12}[A-Za-z0-9]{11}$/);
  const receipt = w.root.locator('[part~=details]');
  await expect(receipt).toContainText('Pix pelo app do banco (Open Finance)');
  await expect(receipt).toContainText('Recebedor');
  await expect(receipt).toContainText('Data e hora');
  expect(await events(page, 'connectpsp-paid')).toHaveLength(1);
});

test('Open Finance refused at the bank: a plain message, and the QR code instead', async ({ page }) => {
  await goToBank(page);
  await page.getByRole('button', { name: 'Recusar' }).click();

  await expect(page).toHaveURL(/connectpsp_checkout=/);
  const w = widget(page);
  await expect(w.root).toHaveAttribute('status', 'declined');
  await expect(w.root).toContainText('Seu banco não aprovou o pagamento. Nada foi debitado.');
  await expect(w.root.getByRole('button', { name: 'Tentar novamente' })).toBeVisible();
  await w.root.getByRole('button', { name: 'Pagar com QR Code' }).click();
  await expect(w.qr).toBeVisible();
  await expect(w.root).toHaveAttribute('status', 'awaiting_payment');
});

/** The sandbox path of the pending payment's bank journey: `…/open-finance/<transactionId>/…`. */
function transactionIdAtBank(page: Page): string {
  const match = /\/open-finance\/([^/?#]+)/.exec(page.url());
  expect(match, `at the sandbox bank: ${page.url()}`).not.toBeNull();
  return decodeURIComponent(match![1]!);
}

test('a fresh page load while the bank has not answered resumes: not approved yet, then paid when the bank approves', async ({ page }) => {
  await goToBank(page);
  const transactionId = transactionIdAtBank(page);
  const approveUrl = page.url().replace(/\/consent\?.*$/, '/approve');
  expect(approveUrl).toContain(`/${transactionId}/approve`);
  const bank = new URL(page.url()).searchParams.get('bank')!;

  // The payer comes back to the store without answering the bank (or the browser was restarted).
  await page.goto('/');
  const w = widget(page);
  await expect(w.root).toHaveAttribute('status', 'awaiting_payment');
  // Nothing is being confirmed: the payer is told they have not approved yet, with the bank's 5 minutes.
  await expect(w.root.locator('[part~=open-finance]')).toContainText('Você ainda não aprovou no seu banco');
  await expect(w.root.locator('[role=timer]')).toHaveText(/Tempo para aprovar: 0[0-4]:\d\d/);

  // The bank app approves meanwhile (the same form the consent screen posts).
  const approved = await page.request.post(approveUrl, { form: { bank }, maxRedirects: 0 });
  expect(approved.status(), await approved.text()).toBe(303);
  await expect(w.root).toHaveAttribute('status', 'paid');
  await expect(w.root.locator('[part~=e2e]')).toHaveText(/^E/);
});

test('the consent window runs out: back on the store, the bank did not approve, retry or QR', async ({ page }) => {
  await goToBank(page);
  const transactionId = transactionIdAtBank(page);
  const timedOut = await page.request.post(`/sandbox/open-finance/${encodeURIComponent(transactionId)}/timeout`);
  expect(timedOut.status(), await timedOut.text()).toBe(200);

  await page.goto('/');
  const w = widget(page);
  await expect(w.root).toHaveAttribute('status', 'declined');
  await expect(w.root).toContainText('Seu banco não aprovou o pagamento. Nada foi debitado.');
  await w.root.getByRole('button', { name: 'Tentar novamente' }).click();
  // Retry: a new Open Finance payment, straight to the bank.
  await expect(page.getByRole('heading', { name: 'Escolha sua instituição' })).toBeVisible();
  expect(transactionIdAtBank(page)).not.toBe(transactionId);
});
