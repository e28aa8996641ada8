/**
 * The Open Finance payment under way, remembered in `localStorage` so it survives the trip to the
 * bank: the page is usually loaded from scratch on the way back, and must know that the payer was
 * at the bank (to say "confirming", then "not approved yet" or "declined", never "the code expired").
 */

/** The bank sends the payer back with this query parameter (the checkout id). */
export const RETURN_PARAM = 'connectpsp_checkout';

const key = (checkoutId: string): string => `connectpsp-checkout:of:${checkoutId}`;

/** True when this checkout has an Open Finance payment under way in this browser, or the URL says the payer is back. */
export function isReturning(checkoutId: string): boolean {
  let stored: string | null = null;
  try {
    stored = localStorage.getItem(key(checkoutId));
  } catch {
    // storage refused: the URL's return parameter still says the payer is back
  }
  return !!stored || new URLSearchParams(location.search).get(RETURN_PARAM) === checkoutId;
}

/** Remembers (`transactionId`) or forgets (null) the pending Open Finance payment. Storage may be refused. */
export function writePending(checkoutId: string, transactionId: string | null): void {
  try {
    if (transactionId) localStorage.setItem(key(checkoutId), transactionId);
    else localStorage.removeItem(key(checkoutId));
  } catch {
    // see isReturning
  }
}
