// The demo store's page script: a cart, a Pay button, the widget, and a sandbox "bank app".
// Plain JavaScript served as a file (the page's CSP allows no inline script).

const STORAGE_KEY = 'cafe-aurora:checkout';
const brl = new Intl.NumberFormat('pt-BR', { style: 'currency', currency: 'BRL' });
const $ = (id) => document.getElementById(id);

let products = [];

async function loadCatalogue() {
  const response = await fetch('/demo/api/catalogue');
  ({ products } = await response.json());
  $('products').replaceChildren(
    ...products.map((p, i) => {
      const li = document.createElement('li');
      const label = document.createElement('label');
      label.htmlFor = `qty-${p.sku}`;
      label.textContent = `${p.name} — ${brl.format(p.price / 100)}`;
      const input = document.createElement('input');
      Object.assign(input, { id: `qty-${p.sku}`, type: 'number', min: '0', max: '10', value: i === 0 ? '2' : '0', name: p.sku });
      input.addEventListener('input', showTotal);
      li.append(label, input);
      return li;
    }),
  );
  showTotal();
}

function cartItems() {
  return products.map((p) => ({ sku: p.sku, qty: Number($(`qty-${p.sku}`).value) || 0 }));
}

/** A preview only: the store's server prices the order again and that is what the payer pays. */
function showTotal() {
  const total = cartItems().reduce((sum, item) => sum + item.qty * products.find((p) => p.sku === item.sku).price, 0);
  $('total').textContent = brl.format(total / 100);
}

async function pay(event) {
  event.preventDefault();
  $('cart-error').textContent = '';
  $('pay').disabled = true;
  try {
    const response = await fetch('/demo/api/checkout', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ items: cartItems(), returnUrl: location.href }),
    });
    const body = await response.json();
    if (!response.ok) throw new Error(body.error?.message ?? `HTTP ${response.status}`);
    sessionStorage.setItem(STORAGE_KEY, JSON.stringify(body));
    showCheckout(body);
  } catch (error) {
    $('cart-error').textContent = `Não foi possível iniciar o pagamento: ${error.message}`;
  } finally {
    $('pay').disabled = false;
  }
}

/** Puts the widget on the page — what a merchant's checkout page does with its server's answer. */
function showCheckout({ checkoutId, clientSecret }) {
  const widget = document.createElement('connectpsp-checkout');
  widget.setAttribute('checkout-id', checkoutId);
  widget.setAttribute('client-secret', clientSecret);
  widget.setAttribute('server', location.origin);
  widget.setAttribute('locale', $('locale').value);
  $('checkout').replaceChildren(widget);
  $('cart').hidden = true;
  $('checkout-area').hidden = false;
}

function newOrder() {
  sessionStorage.removeItem(STORAGE_KEY);
  $('checkout').replaceChildren();
  $('checkout-area').hidden = true;
  $('cart').hidden = false;
  $('bank-code').value = '';
  $('bank-result').textContent = '';
}

// ---- the sandbox "bank app" -------------------------------------------------------------------

let paidClickedAt = null;

async function bankPay(url, body) {
  $('bank-result').textContent = 'Pagando…';
  paidClickedAt = performance.now();
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: body ? JSON.stringify(body) : undefined,
  });
  if (response.ok) {
    $('bank-result').textContent = 'Pix enviado pelo banco. Veja o widget.';
  } else {
    const answer = await response.json().catch(() => ({}));
    const problem = answer.error?.message ?? answer.detail ?? answer.title ?? `HTTP ${response.status}`;
    $('bank-result').textContent = `O banco recusou: ${problem}`;
  }
}

function payPastedCode() {
  const copyAndPaste = $('bank-code').value.trim();
  if (!copyAndPaste) {
    $('bank-result').textContent = 'Cole um código Pix Copia e Cola primeiro.';
    return;
  }
  void bankPay('/sandbox/pix/pay', { copyAndPaste });
}

function payShownCharge() {
  const charge = document.querySelector('connectpsp-checkout')?.charge;
  if (!charge) {
    $('bank-result').textContent = 'Nenhuma cobrança Pix na tela.';
    return;
  }
  void bankPay(`/sandbox/cash-in/${encodeURIComponent(charge.transactionId)}/pay`);
}

/** The sandbox's expire control, to see the expired screen without waiting 15 minutes. */
async function expireShownCharge() {
  const charge = document.querySelector('connectpsp-checkout')?.charge;
  if (!charge) {
    $('bank-result').textContent = 'Nenhuma cobrança Pix na tela.';
    return;
  }
  const response = await fetch(`/sandbox/cash-in/${encodeURIComponent(charge.transactionId)}/expire`, { method: 'POST' });
  if (response.ok) {
    $('bank-result').textContent = 'Código expirado no sandbox. Veja o widget.';
  } else {
    const answer = await response.json().catch(() => ({}));
    $('bank-result').textContent = `O sandbox recusou: ${answer.detail ?? answer.title ?? `HTTP ${response.status}`}`;
  }
}

// ---- the widget's events, as a merchant page would listen to them ------------------------------

function log(text) {
  const item = document.createElement('li');
  item.textContent = `${new Date().toLocaleTimeString('pt-BR')} ${text}`;
  $('event-log').prepend(item);
}

for (const type of ['connectpsp-status', 'connectpsp-paid', 'connectpsp-expired', 'connectpsp-error', 'connectpsp-redirect']) {
  document.addEventListener(type, (event) => {
    log(`${type} ${JSON.stringify(event.detail)}`);
    if (type === 'connectpsp-paid' && paidClickedAt !== null) {
      const ms = Math.round(performance.now() - paidClickedAt);
      $('bank-result').textContent = `Pago! O widget mostrou o pagamento ${ms} ms depois do clique no banco.`;
      paidClickedAt = null;
    }
  });
}

$('cart').addEventListener('submit', pay);
$('new-order').addEventListener('click', newOrder);
$('locale').addEventListener('change', () => document.querySelector('connectpsp-checkout')?.setAttribute('locale', $('locale').value));
$('bank-pay-code').addEventListener('click', payPastedCode);
$('bank-pay-shown').addEventListener('click', payShownCharge);
$('bank-expire-shown').addEventListener('click', () => void expireShownCharge());

await loadCatalogue();
// A reload in the middle of a payment picks the same checkout up again.
const saved = sessionStorage.getItem(STORAGE_KEY);
if (saved) showCheckout(JSON.parse(saved));
