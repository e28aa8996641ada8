/**
 * The sandbox bank journey behind an Open Finance `paymentUrl`: picker, logos, consent and its
 * 5-minute window, approve / reject / timeout, the redirect back, escaping, and persistence of the
 * window across a restart. Through the companion server: open-finance-flow.test.ts.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { hmacSha256Hex } from '../../server/sandbox/signing.js';
import {
  postControl,
  SandboxApiClient,
  startSandboxServer,
  startWebhookReceiver,
  type RunningSandbox,
  type WebhookReceiver,
} from '../../server/sandbox/testing.js';

const E2E = /^E\d{8}\d{12}[A-Za-z0-9]{11}$/;
const REDIRECT_URL = 'https://shop.example/checkout?order=42&connectpsp_checkout=chk_1';
const MERCHANT = 'Loja <i>"Ó"</i> & Cia';
const MINUTE = 60_000;

let running: RunningSandbox;
let api: SandboxApiClient;
let receiver: WebhookReceiver;
/** The sandbox's clock runs `offset` ms ahead of the real one; tests move it forward. */
let offset = 0;

before(async () => {
  receiver = await startWebhookReceiver();
  running = await startSandboxServer({ defaultWebhookUrl: receiver.url, merchantName: MERCHANT, now: () => Date.now() + offset });
  api = new SandboxApiClient(running.apiUrl, running.credentials);
});
after(async () => {
  await running.close();
  await receiver.close();
});

interface Created {
  transactionId: string;
  internalCode: string;
  paymentUrl: string;
}

async function createIntent(overrides: Record<string, unknown> = {}, client = api): Promise<Created> {
  const response = await client.request('POST', '/cash-in', {
    body: {
      amount: 10.5,
      externalReference: `of-${randomUUID()}`,
      payer: { name: 'Maria Silva', document: '12345678909' },
      openFinance: { redirectUrl: REDIRECT_URL },
      ...overrides,
    },
  });
  assert.equal(response.status, 201, JSON.stringify(response.body));
  return response.body as Created;
}

async function page(url: string) {
  const response = await fetch(url);
  return { status: response.status, headers: response.headers, html: await response.text() };
}

/** Posts one of the consent screen's forms, as a browser would, without following the redirect. */
function submit(url: string, fields: Record<string, string> = {}, headers: Record<string, string> = {}) {
  return fetch(url, { method: 'POST', body: new URLSearchParams(fields), redirect: 'manual', headers });
}

async function cashIn(id: string) {
  const response = await api.request('GET', `/cash-in/${id}`);
  assert.equal(response.status, 200, JSON.stringify(response.body));
  return response.body;
}

/** pt-BR currency uses a no-break space after `R$`. */
function text(html: string): string {
  return html.replace(/\u00a0/g, ' ');
}

function hooksFor(transactionId: string) {
  return receiver.received.filter((hook) => hook.body?.data?.transactionId === transactionId);
}

describe('bank picker', () => {
  test('lists the sandbox institutions with their logos, the amount and the recipient, under a strict CSP', async () => {
    const intent = await createIntent();
    assert.equal(intent.paymentUrl, `${running.publicUrl}/open-finance/${intent.transactionId}`);
    const { status, headers, html } = await page(intent.paymentUrl);
    assert.equal(status, 200);
    assert.match(headers.get('content-type') ?? '', /^text\/html; charset=utf-8/);
    const csp = headers.get('content-security-policy') ?? '';
    for (const directive of [
      "default-src 'none'",
      "style-src 'self'",
      "img-src 'self'",
      "script-src 'self'",
      "form-action 'self' https://shop.example",
      "frame-ancestors 'none'",
    ]) {
      assert.ok(csp.includes(directive), `CSP lacks ${directive}: ${csp}`);
    }
    assert.equal(headers.get('cache-control'), 'no-store');
    assert.equal(headers.get('referrer-policy'), 'no-referrer');

    assert.match(html, /<html lang="pt-BR">/);
    assert.match(html, /SANDBOX<\/strong> — ambiente de testes, sem dinheiro real/);
    assert.match(html, /<h1>Escolha sua instituição<\/h1>/);
    assert.ok(text(html).includes('R$ 10,50'));
    assert.ok(html.includes('Loja &lt;i&gt;&quot;Ó&quot;&lt;/i&gt; &amp; Cia'));
    assert.ok(!html.includes(MERCHANT));
    // No inline script or style anywhere: the CSP would block them.
    assert.doesNotMatch(html, /<script>|<style|style="|\son\w+="/);

    const banks = [...html.matchAll(/<input type="radio" name="bank" value="([a-z]+)"/g)].map((m) => m[1]);
    assert.ok(banks.length >= 4, `several institutions, got ${banks.join(', ')}`);
    const logos = [...html.matchAll(/<img src="([^"]+)"/g)].map((m) => m[1]!);
    assert.equal(logos.length, banks.length);
    for (const logo of logos) {
      assert.match(logo, /^\/sandbox\/open-finance\/logos\/[a-z]+\.svg$/);
      const response = await fetch(new URL(logo, running.publicUrl));
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type') ?? '', /^image\/svg\+xml/);
      const svg = await response.text();
      assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
      assert.doesNotMatch(svg, /<script|href=/);
    }
    // Every institution has a visible name next to its (decorative) logo, inside the radio's label.
    assert.match(html, /<label class="bank-option">\s*<input[^>]*>\s*<img [^>]*alt=""[^>]*>\s*<span>Banco do Brasil<\/span>\s*<\/label>/);
    assert.ok(html.includes(`href="${REDIRECT_URL.replace(/&/g, '&amp;')}"`), 'a way back to the store');
  });

  test('serves its stylesheet and countdown script itself', async () => {
    const css = await fetch(`${running.publicUrl}/open-finance/assets/bank.css`);
    assert.equal(css.status, 200);
    assert.match(css.headers.get('content-type') ?? '', /^text\/css/);
    assert.match(await css.text(), /\.sandbox-banner/);
    const js = await fetch(`${running.publicUrl}/open-finance/assets/countdown.js`);
    assert.equal(js.status, 200);
    assert.match(js.headers.get('content-type') ?? '', /^text\/javascript/);
    assert.match(await js.text(), /consent-timer/);
    assert.equal((await fetch(`${running.publicUrl}/open-finance/logos/nobank.svg`)).status, 404);
    assert.equal((await fetch(`${running.publicUrl}/open-finance/logos/bb.png`)).status, 404);
    // A path no route matches is a 404 page too, not a 500 (the HTML error handler must be one).
    assert.equal((await fetch(`${running.publicUrl}/open-finance/abc/def/ghi`)).status, 404);
  });

  test('unknown ids, PIX cash-ins and other ids of the cash-in answer a plain 404 page', async () => {
    const pix = await api.request('POST', '/cash-in', {
      body: { amount: 5, externalReference: `pix-${randomUUID()}`, payer: { name: 'Ana', document: '12345678909' } },
    });
    const intent = await createIntent();
    for (const id of ['nope', pix.body.transactionId as string, intent.internalCode]) {
      for (const path of ['', '/consent?bank=bb']) {
        const { status, headers, html } = await page(`${running.publicUrl}/open-finance/${id}${path}`);
        assert.equal(status, 404, `${id}${path}`);
        assert.match(headers.get('content-type') ?? '', /^text\/html/);
        assert.match(html, /<h1>Pagamento não encontrado<\/h1>/);
      }
      const approve = await submit(`${running.publicUrl}/open-finance/${id}/approve`, { bank: 'bb' });
      assert.equal(approve.status, 404);
    }
    const control = await postControl(running.publicUrl, '/open-finance/nope/timeout');
    assert.equal(control.status, 404);
    assert.equal(control.body.code, 'CASH_IN_NOT_FOUND');
  });
});

describe('consent screen', () => {
  test('shows amount, recipient, payer with a masked document, the institution, the date and a 5-minute countdown', async () => {
    const intent = await createIntent();
    const { status, headers, html } = await page(`${intent.paymentUrl}/consent?bank=nubank`);
    assert.equal(status, 200);
    assert.match(headers.get('content-security-policy') ?? '', /form-action 'self' https:\/\/shop\.example/);
    const body = text(html);
    assert.match(body, /<dt>Valor<\/dt><dd class="amount">R\$ 10,50<\/dd>/);
    assert.match(body, /<dt>Recebedor<\/dt><dd>Loja &lt;i&gt;&quot;Ó&quot;&lt;\/i&gt; &amp; Cia<\/dd>/);
    assert.match(body, /<dt>Pagador<\/dt><dd>Maria Silva<\/dd>/);
    assert.match(body, /<dt>CPF do pagador<\/dt><dd>\*\*\*\.456\.789-\*\*<\/dd>/);
    assert.ok(!body.includes('12345678909'), 'the full document is never shown');
    assert.match(body, /<dt>Instituição<\/dt><dd>Nubank/);
    assert.match(body, /<dt>Data do pagamento<\/dt><dd>\d\d\/\d\d\/\d{4} \(hoje\)<\/dd>/);
    assert.match(body, /<span id="consent-timer"[^>]*role="timer"[^>]*data-remaining-ms="(29\d{4}|300000)">05:00<\/span>/);
    assert.match(body, /Autorize até <strong>\d\d:\d\d:\d\d<\/strong>/);
    assert.match(body, /<script src="\/sandbox\/open-finance\/assets\/countdown\.js" defer><\/script>/);
    assert.match(body, /SANDBOX/);
    // Three plain forms with real buttons.
    assert.match(
      body,
      new RegExp(
        `<form method="post" action="/sandbox/open-finance/${intent.transactionId}/approve">\\s*<input type="hidden" name="bank" value="nubank">\\s*<button type="submit"`,
      ),
    );
    assert.match(body, new RegExp(`<form method="post" action="/sandbox/open-finance/${intent.transactionId}/reject">`));
    assert.match(body, new RegExp(`<form method="get" action="/sandbox/open-finance/${intent.transactionId}">`));
  });

  test('a CNPJ payer is masked too', async () => {
    const intent = await createIntent({ payer: { name: 'Empresa Ltda', document: '12345678000190' } });
    const { html } = await page(`${intent.paymentUrl}/consent?bank=bb`);
    assert.match(html, /<dt>CNPJ do pagador<\/dt><dd>\*\*\.345\.678\/0001-\*\*<\/dd>/);
  });

  test('escapes a hostile payer name everywhere it appears', async () => {
    const hostile = `<script>alert("x")</script><img src=x onerror='alert(1)'>&amp;`;
    const intent = await createIntent({ payer: { name: hostile, document: '12345678909' } });
    const { status, html } = await page(`${intent.paymentUrl}/consent?bank=bb`);
    assert.equal(status, 200);
    assert.ok(!html.includes('<script>alert'));
    assert.ok(!html.includes('<img src=x'));
    assert.ok(html.includes('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=&#39;alert(1)&#39;&gt;&amp;amp;'));
  });

  test('an unknown or missing institution shows the picker again with a message (400)', async () => {
    const intent = await createIntent();
    for (const query of ['?bank=nobank', '', '?bank=bb&bank=itau']) {
      const { status, html } = await page(`${intent.paymentUrl}/consent${query}`);
      assert.equal(status, 400, query);
      assert.match(html, /role="alert">Escolha uma das instituições/);
      assert.match(html, /<h1>Escolha sua instituição<\/h1>/);
    }
  });

  test('the window starts at the first consent screen and does not restart when the bank changes', async () => {
    const intent = await createIntent();
    // Picking takes a while: the window has not started yet.
    offset += 3 * MINUTE;
    const first = await page(`${intent.paymentUrl}/consent?bank=bb`);
    assert.match(first.html, />05:00</);
    offset += 2 * MINUTE;
    const picker = await page(intent.paymentUrl);
    assert.match(picker.html, /<input type="radio" name="bank" value="bb" required checked>/, 'the last choice is preselected');
    assertRemaining(picker.html, 180, 'the picker shows the running window');
    const second = await page(`${intent.paymentUrl}/consent?bank=itau`);
    assertRemaining(second.html, 180);
    assert.match(second.html, /<span>Itaú<\/span>/);
  });
});

describe('approve', () => {
  test('settles like a real payment, signs CASHIN_PAID and sends the payer back to the redirect URL unchanged', async () => {
    const intent = await createIntent();
    await page(`${intent.paymentUrl}/consent?bank=nubank`);
    const response = await submit(`${intent.paymentUrl}/approve`, { bank: 'nubank' });
    assert.equal(response.status, 303);
    // Exactly the stored URL: no status parameter the real gateway may not send.
    assert.equal(response.headers.get('location'), REDIRECT_URL);

    const paid = await cashIn(intent.transactionId);
    assert.equal(paid.status, 'PAID');
    assert.match(paid.endToEndId, E2E);
    assert.equal(paid.endToEndId.length, 32);
    assert.equal(paid.endToEndId.slice(1, 9), '18236120', 'generated by the chosen institution');
    assert.deepEqual({ ispb: paid.payer.bankData.ispb, bank: paid.payer.bankData.bank }, { ispb: '18236120', bank: 'Nu Pagamentos S.A.' });
    assert.equal(paid.payer.name, 'Maria Silva');
    assert.ok(paid.paidAt);

    const hooks = await waitForHooks(intent.transactionId, 1);
    const hook = hooks[0]!;
    assert.equal(hook.body.eventType, 'CASHIN_PAID');
    assert.equal(hook.body.data.status, 'PAID');
    assert.equal(hook.body.data.endToEndId, paid.endToEndId);
    assert.equal(hook.headers['x-connect-signature'], hmacSha256Hex(running.credentials.cryptoToken, hook.rawBody));

    // Back at the bank afterwards: already paid, with the E2E id and the way back.
    const after = await page(intent.paymentUrl);
    assert.equal(after.status, 200);
    assert.match(after.html, /<h1>Este pagamento já foi feito<\/h1>/);
    assert.ok(after.html.includes(paid.endToEndId));
    assert.ok(after.html.includes(`href="${REDIRECT_URL.replace(/&/g, '&amp;')}"`));
  });

  test('approving twice pays once', async () => {
    const intent = await createIntent();
    await page(`${intent.paymentUrl}/consent?bank=bb`);
    const [first, second] = await Promise.all([
      submit(`${intent.paymentUrl}/approve`, { bank: 'bb' }),
      submit(`${intent.paymentUrl}/approve`, { bank: 'itau' }),
    ]);
    assert.equal(first.status, 303);
    assert.equal(second.status, 303);
    const paid = await cashIn(intent.transactionId);
    const third = await submit(`${intent.paymentUrl}/approve`, { bank: 'bb' });
    assert.equal(third.status, 303);
    assert.equal((await cashIn(intent.transactionId)).endToEndId, paid.endToEndId);
    await waitForHooks(intent.transactionId, 1);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(hooksFor(intent.transactionId).length, 1, 'one CASHIN_PAID');
    // Refusing after paying is not possible either.
    const reject = await submit(`${intent.paymentUrl}/reject`);
    assert.equal(reject.status, 409);
    assert.match(await reject.text(), /Este pagamento já foi feito/);
    assert.equal((await cashIn(intent.transactionId)).status, 'PAID');
  });

  test('is refused before the consent screen was shown', async () => {
    const intent = await createIntent();
    const response = await submit(`${intent.paymentUrl}/approve`, { bank: 'bb' });
    assert.equal(response.status, 409);
    assert.match(await response.text(), /Autorização não iniciada/);
    assert.equal((await cashIn(intent.transactionId)).status, 'AWAITING_PAYMENT');
  });

  test('without a bank field uses the institution of the consent screen', async () => {
    const intent = await createIntent();
    await page(`${intent.paymentUrl}/consent?bank=inter`);
    assert.equal((await submit(`${intent.paymentUrl}/approve`)).status, 303);
    assert.equal((await cashIn(intent.transactionId)).payer.bankData.ispb, '00416968');
  });

  test('a cross-site form post is refused', async () => {
    const intent = await createIntent();
    await page(`${intent.paymentUrl}/consent?bank=bb`);
    const response = await submit(`${intent.paymentUrl}/approve`, { bank: 'bb' }, { 'sec-fetch-site': 'cross-site' });
    assert.equal(response.status, 403);
    assert.equal((await cashIn(intent.transactionId)).status, 'AWAITING_PAYMENT');
    assert.equal((await submit(`${intent.paymentUrl}/approve`, { bank: 'bb' }, { 'sec-fetch-site': 'same-origin' })).status, 303);
  });
});

describe('reject', () => {
  test('cancels the intent and sends the payer back; approval is then refused', async () => {
    const intent = await createIntent();
    await page(`${intent.paymentUrl}/consent?bank=itau`);
    const response = await submit(`${intent.paymentUrl}/reject`, { bank: 'itau' });
    assert.equal(response.status, 303);
    assert.equal(response.headers.get('location'), REDIRECT_URL);
    const cancelled = await cashIn(intent.transactionId);
    assert.equal(cancelled.status, 'CANCELLED');
    assert.equal(cancelled.endToEndId, null);

    const approve = await submit(`${intent.paymentUrl}/approve`, { bank: 'itau' });
    assert.equal(approve.status, 409);
    const html = await approve.text();
    assert.match(html, /<h1>Pagamento recusado<\/h1>/);
    assert.match(html, /REJEITADO_USUARIO/);
    assert.equal((await cashIn(intent.transactionId)).status, 'CANCELLED');
    // Rejecting again changes nothing and goes back the same way.
    assert.equal((await submit(`${intent.paymentUrl}/reject`)).status, 303);
    const picker = await page(intent.paymentUrl);
    assert.match(picker.html, /<h1>Pagamento recusado<\/h1>/);
    // The pay control agrees: a cancelled intent cannot be paid.
    assert.equal((await postControl(running.publicUrl, `/cash-in/${intent.transactionId}/pay`, {})).status, 422);
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(hooksFor(intent.transactionId).length, 0, 'no webhook: none is documented for a cancelled cash-in');
  });
});

describe('timeout', () => {
  test('the control ends the window now: CANCELLED, approval refused with the timeout page and the way back', async () => {
    const intent = await createIntent();
    await page(`${intent.paymentUrl}/consent?bank=bradesco`);
    const control = await postControl(running.publicUrl, `/open-finance/${intent.transactionId}/timeout`);
    assert.equal(control.status, 200, JSON.stringify(control.body));
    assert.equal(control.body.status, 'CANCELLED');
    assert.equal(control.body.consent.status, 'REJECTED');
    assert.equal(control.body.consent.rejectionReason, 'TEMPO_EXPIRADO_AUTORIZACAO');
    assert.equal(control.body.consent.bankId, 'bradesco');

    const approve = await submit(`${intent.paymentUrl}/approve`, { bank: 'bradesco' });
    assert.equal(approve.status, 409);
    const html = await approve.text();
    assert.match(html, /<h1>O tempo para autorizar acabou<\/h1>/);
    assert.match(html, /TEMPO_EXPIRADO_AUTORIZACAO/);
    assert.ok(html.includes(`<a class="button" href="${REDIRECT_URL.replace(/&/g, '&amp;')}">Voltar para a loja</a>`));
    assert.equal((await cashIn(intent.transactionId)).status, 'CANCELLED');
    // Idempotent.
    assert.equal((await postControl(running.publicUrl, `/open-finance/${intent.transactionId}/timeout`)).status, 200);
  });

  test('the control works before the consent screen was ever shown, and refuses a paid intent', async () => {
    const unseen = await createIntent();
    const ended = await postControl(running.publicUrl, `/open-finance/${unseen.transactionId}/timeout`);
    assert.equal(ended.body.status, 'CANCELLED');
    assert.equal(ended.body.consent.bankId, null);
    assert.match((await page(`${unseen.paymentUrl}/consent?bank=bb`)).html, /<h1>O tempo para autorizar acabou<\/h1>/);

    const paid = await createIntent();
    await page(`${paid.paymentUrl}/consent?bank=bb`);
    await submit(`${paid.paymentUrl}/approve`, { bank: 'bb' });
    const refused = await postControl(running.publicUrl, `/open-finance/${paid.transactionId}/timeout`);
    assert.equal(refused.status, 409);
    assert.equal(refused.body.code, 'CASH_IN_ALREADY_PAID');
  });

  test('five minutes after the consent screen the intent is CANCELLED by itself; seconds before, approval works', async () => {
    const late = await createIntent();
    const onTime = await createIntent();
    await page(`${late.paymentUrl}/consent?bank=bb`);
    await page(`${onTime.paymentUrl}/consent?bank=bb`);
    offset += 5 * MINUTE - 5000;
    assert.equal((await cashIn(late.transactionId)).status, 'AWAITING_PAYMENT');
    assertRemaining((await page(`${late.paymentUrl}/consent?bank=bb`)).html, 5);
    assert.equal((await submit(`${onTime.paymentUrl}/approve`, { bank: 'bb' })).status, 303);
    offset += 5000;
    // Without anyone at the bank: the API itself says so, like a charge's expiry.
    assert.equal((await cashIn(late.transactionId)).status, 'CANCELLED');
    const approve = await submit(`${late.paymentUrl}/approve`, { bank: 'bb' });
    assert.equal(approve.status, 409);
    assert.match(await approve.text(), /O tempo para autorizar acabou/);
    assert.equal((await cashIn(onTime.transactionId)).status, 'PAID');
  });

  test('a charge that expires before the window ends shows its own expiry', async () => {
    const intent = await createIntent({ expirationInMinutes: 2 });
    const consent = await page(`${intent.paymentUrl}/consent?bank=bb`);
    assertRemaining(consent.html, 120, 'the deadline is the sooner of the two');
    offset += 2 * MINUTE;
    const approve = await submit(`${intent.paymentUrl}/approve`, { bank: 'bb' });
    assert.equal(approve.status, 409);
    assert.match(await approve.text(), /<h1>Cobrança expirada<\/h1>/);
    assert.equal((await cashIn(intent.transactionId)).status, 'EXPIRED');
  });
});

describe('persistence', () => {
  test('the consent window survives a restart with a stateFile', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sandbox-of-'));
    const stateFile = join(dir, 'state.json');
    const clock = () => Date.now() + offset;
    try {
      const first = await startSandboxServer({ stateFile, now: clock });
      const firstApi = new SandboxApiClient(first.apiUrl, first.credentials);
      const intent = await createIntent({}, firstApi);
      await page(`${intent.paymentUrl}/consent?bank=caixa`);
      await first.close();

      offset += MINUTE;
      const second = await startSandboxServer({ stateFile, now: clock });
      try {
        // The new server listens on another port; the transaction and its window are the same.
        const url = `${second.publicUrl}/open-finance/${intent.transactionId}`;
        const consent = await page(`${url}/consent?bank=caixa`);
        assert.equal(consent.status, 200);
        assertRemaining(consent.html, 240);
        const control = await postControl(second.publicUrl, `/open-finance/${intent.transactionId}/timeout`);
        assert.equal(control.body.consent.bankId, 'caixa');
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/**
 * The countdown shows `seconds` left (rounded up), allowing up to 2 s of real time to have passed
 * between the requests of a test on a slow machine.
 */
function assertRemaining(html: string, seconds: number, message?: string): void {
  const match = /id="consent-timer"[^>]*>(\d\d):(\d\d)</.exec(html);
  assert.ok(match, 'a countdown');
  const shown = Number(match[1]) * 60 + Number(match[2]);
  assert.ok(shown <= seconds && shown >= seconds - 2, `${message ?? 'time left'}: expected ${seconds} s, shown ${match[1]}:${match[2]}`);
}

async function waitForHooks(transactionId: string, count: number, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  while (hooksFor(transactionId).length < count) {
    if (Date.now() > deadline) throw new Error(`expected ${count} webhooks for ${transactionId}, got ${hooksFor(transactionId).length}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return hooksFor(transactionId);
}
