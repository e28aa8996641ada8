/**
 * The operator console in real Chromium against `npm start`: sign in, find a paid checkout by its
 * externalReference, refund it and see its timeline change, send a payout and see it complete,
 * rebalance, resolve an alert; axe-core finds no violation on any page, and the strict CSP is
 * never broken. Takes docs/console-timeline.png for the README.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

import { expect, test, type APIRequestContext, type Page } from '@playwright/test';

import { E2E_API_KEY, E2E_CONSOLE_PASSWORD } from './env.js';

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const merchant = { Authorization: `Bearer ${E2E_API_KEY}` };

declare global {
  interface Window {
    __cspViolations: string[];
  }
}

/** axe-core evaluated through the DevTools protocol (a script tag would break the page's CSP), run on the whole page. */
async function expectNoAxeViolations(page: Page, what: string): Promise<void> {
  await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    const axe = (
      window as unknown as {
        axe: { run: (ctx: Document, opts: unknown) => Promise<{ violations: { id: string; nodes: { target: unknown }[] }[] }> };
      }
    ).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => `${v.id}: ${JSON.stringify(v.nodes.map((n) => n.target))}`);
  });
  expect(violations, `axe on ${what}`).toEqual([]);
}

async function paidCheckout(request: APIRequestContext, externalReference: string): Promise<string> {
  const created = await request.post('/v1/checkouts', {
    headers: merchant,
    data: { amount: 4_990, externalReference, description: 'Caneca', payer: { name: 'Maria da Silva', document: '52998224725' } },
  });
  expect(created.status()).toBe(201);
  const { id, clientSecret } = (await created.json()) as { id: string; clientSecret: string };
  const charge = await request.post(`/v1/checkouts/${id}/pix`, { headers: { Authorization: `Bearer ${clientSecret}` }, data: {} });
  expect(charge.status()).toBe(200);
  const { transactionId } = (await charge.json()) as { transactionId: string };
  expect((await request.post(`/sandbox/cash-in/${transactionId}/pay`, { data: {} })).status()).toBe(200);
  await expect
    .poll(async () => ((await (await request.get(`/v1/checkouts/${id}`, { headers: merchant })).json()) as { status: string }).status)
    .toBe('paid');
  return id;
}

test('an operator signs in, refunds, pays out, rebalances and resolves an alert; every page passes axe', async ({ page, request }) => {
  test.setTimeout(120_000);
  const ref = `e2e-console-${Date.now()}`;
  await paidCheckout(request, ref);
  // An alert to resolve: a payout the balance cannot cover (INSUFFICIENT_FUNDS, action: rebalance).
  const refused = await request.post('/v1/payouts', {
    headers: { ...merchant, 'Idempotency-Key': `e2e-big-${Date.now()}` },
    data: {
      amount: 999_999_999,
      externalReference: `e2e-big-${Date.now()}`,
      payee: { name: 'Ana Lima', document: '52998224725', destination: { type: 'PIX', pixKeyType: 'EMAIL', pixKey: 'ana@example.com' } },
    },
  });
  expect(refused.status()).toBe(422);

  await page.addInitScript(() => {
    window.__cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  await page.goto('/console');
  await page
    .getByRole('button', { name: /^(English|Português)$/ })
    .first()
    .waitFor();
  // Portuguese first (the page's language), then the rest of the run in English.
  if ((await page.locator('html').getAttribute('lang')) !== 'pt-BR') await page.getByRole('button', { name: 'Português' }).click();
  await expect(page.getByRole('heading', { name: 'Entrar no console' })).toBeVisible();
  await expectNoAxeViolations(page, 'sign-in');
  await page.getByLabel('Senha').fill('not the password');
  await page.getByRole('button', { name: 'Entrar' }).click();
  await expect(page.getByRole('status')).toContainText(/Wrong password/);
  await page.getByLabel('Senha').fill(E2E_CONSOLE_PASSWORD);
  await page.getByRole('button', { name: 'Entrar' }).click();
  await expect(page.getByRole('heading', { name: 'Console do operador' })).toBeVisible();
  await page.getByRole('button', { name: 'English' }).click();
  await expect(page.locator('html')).toHaveAttribute('lang', 'en');
  await expect(page.getByRole('heading', { name: 'Operator console' })).toBeVisible();

  // Checkouts: search by externalReference, open the timeline.
  await page.getByLabel('ID, externalReference or E2E').fill(ref);
  await page.getByRole('button', { name: 'Search' }).click();
  await page.getByRole('link', { name: ref }).click();
  const events = page.getByTestId('status-events');
  await expect(events).toContainText('paid');
  await expect(page.getByRole('cell', { name: 'CASHIN_PAID' })).toBeVisible();
  await expect(page.locator('main')).not.toContainText('52998224725');
  await expectNoAxeViolations(page, 'checkout timeline');
  await page.screenshot({ path: 'docs/console-timeline.png', fullPage: true });

  // Refund, with its confirmation step; the timeline changes.
  await page.getByRole('button', { name: 'Refund', exact: true }).click();
  await page.getByRole('button', { name: 'Confirm refund' }).click();
  await expect(events.locator('li').last()).toContainText('refunded');
  await expect(page.getByTestId('checkout-status')).toContainText('refunded');
  await expect(page.getByRole('cell', { name: 'CASHIN_REFUNDED' })).toBeVisible();

  await page.getByRole('link', { name: 'Back to the list' }).click();
  await page.getByLabel('Status').selectOption('refunded');
  await page.getByRole('button', { name: 'Search' }).click();
  await expect(page.getByRole('link', { name: ref })).toBeVisible();
  await expectNoAxeViolations(page, 'checkouts search');

  // A payout, reviewed then confirmed, completes (the sandbox settles it by itself).
  const payoutRef = `e2e-payout-${Date.now()}`;
  await page.getByRole('link', { name: 'Payouts' }).click();
  await page.getByLabel('Amount (R$)').fill('12,34');
  await page.getByLabel('Reference').fill(payoutRef);
  await page.getByLabel('Payee name').fill('João Souza');
  await page.getByLabel('Payee CPF/CNPJ').fill('52998224725');
  await page.getByLabel('Key type').selectOption('EMAIL');
  await page.getByLabel('PIX key', { exact: true }).fill('joao@example.com');
  await page.getByRole('button', { name: 'Review' }).click();
  await expect(page.getByRole('heading', { name: 'Check before sending' })).toBeVisible();
  await expectNoAxeViolations(page, 'payout confirmation');
  await page.getByRole('button', { name: 'Confirm payout' }).click();
  const row = page.getByRole('row', { name: new RegExp(payoutRef) });
  await expect(row).toBeVisible();
  await expect(row).toContainText('completed', { timeout: 20_000 });
  await expectNoAxeViolations(page, 'payouts');

  // Balances: rebalance to a new transactional target, with its confirmation.
  await page.getByRole('link', { name: 'Balances' }).click();
  const transactional = page.getByTestId('transactional');
  await expect(transactional).toContainText('R$');
  await expectNoAxeViolations(page, 'balances');
  const balance = (await (await request.get('/v1/balance', { headers: merchant })).json()) as {
    consolidated: { transactionalBalance: number };
  };
  const target = Math.floor(balance.consolidated.transactionalBalance / 100) + 1_000;
  await page.getByLabel('Target transactional balance (R$)').fill(String(target));
  await page.getByRole('button', { name: 'Rebalance', exact: true }).click();
  await page.getByRole('button', { name: /^Rebalance → / }).click();
  await expect(page.getByRole('status')).toContainText('Done.');
  await expect(transactional).toContainText(new Intl.NumberFormat('en', { style: 'currency', currency: 'BRL' }).format(target));

  // Alerts: the refused payout's alert, with its action, resolved.
  await page.getByRole('link', { name: 'Alerts' }).click();
  const alert = page.locator('tr[data-code="INSUFFICIENT_FUNDS"]');
  await expect(alert).toContainText(/rebalance/i);
  await expectNoAxeViolations(page, 'alerts');
  await alert.getByRole('button', { name: 'Mark resolved' }).click();
  await expect(alert).toHaveCount(0);
  await page.getByLabel('Show resolved').check();
  await expect(alert).toContainText(/\d/);

  await page.getByRole('link', { name: 'Merchant notifications' }).click();
  await expect(page.getByTestId('backlog')).toHaveText(/\d+/);
  await expectNoAxeViolations(page, 'outbox');

  expect(await page.evaluate(() => window.__cspViolations)).toEqual([]);
});
