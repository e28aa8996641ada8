/**
 * The demo store's products and its pricing rule. Prices live here, on the server: the browser sends
 * only SKUs and quantities, and never states an amount (docs/design.md, "the browser never states the
 * amount"; docs/anchors.md §10.7).
 */
export interface Product {
  sku: string;
  name: string;
  /** Integer centavos. */
  price: number;
}

export const CATALOGUE: readonly Product[] = [
  { sku: 'cafe-250', name: 'Café especial Serra da Mantiqueira, 250 g', price: 3990 },
  { sku: 'caneca', name: 'Caneca esmaltada', price: 5900 },
  { sku: 'pao-de-queijo', name: 'Pão de queijo congelado, 1 kg', price: 3250 },
];

/** At most this many of one item per order: a demo, not a warehouse. */
export const MAX_QTY = 10;

export interface PricedCart {
  /** Integer centavos. */
  amount: number;
  /** "2× Caneca esmaltada, 1× Café…" for the checkout's description. */
  description: string;
}

/** Prices a cart from the catalogue, or says what is wrong with it. Pure. */
export function priceCart(items: unknown): { ok: true; value: PricedCart } | { ok: false; message: string } {
  if (!Array.isArray(items) || items.length === 0) return { ok: false, message: 'items must be a non-empty array' };
  const quantities = new Map<string, number>();
  for (const item of items) {
    const sku = (item as { sku?: unknown })?.sku;
    const qty = (item as { qty?: unknown })?.qty;
    if (typeof sku !== 'string' || !CATALOGUE.some((p) => p.sku === sku))
      return { ok: false, message: `unknown sku ${JSON.stringify(sku)}` };
    if (!Number.isInteger(qty) || (qty as number) < 0 || (qty as number) > MAX_QTY) {
      return { ok: false, message: `qty of ${sku} must be an integer from 0 to ${MAX_QTY}` };
    }
    quantities.set(sku, (quantities.get(sku) ?? 0) + (qty as number));
  }
  let amount = 0;
  const lines: string[] = [];
  for (const product of CATALOGUE) {
    const qty = Math.min(quantities.get(product.sku) ?? 0, MAX_QTY);
    if (qty === 0) continue;
    amount += qty * product.price;
    lines.push(`${qty}× ${product.name}`);
  }
  if (amount === 0) return { ok: false, message: 'the cart is empty' };
  return { ok: true, value: { amount, description: lines.join(', ') } };
}
