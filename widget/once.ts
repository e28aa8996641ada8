/**
 * "Fire once per checkout, whatever reconnects, polls, reloads and tabs happen" (docs/anchors.md (b)9).
 *
 * A claim is remembered in memory (same page) and in `localStorage` (other tabs and reloads of the
 * same origin). Storage can be refused — Safari private mode, sandboxed iframes, a full quota — and
 * then the guarantee narrows to this page rather than failing.
 */
const claimed = new Set<string>();

/** True the first time `key` is claimed in this browser; false ever after. */
export function claimOnce(key: string): boolean {
  if (claimed.has(key)) return false;
  claimed.add(key);
  try {
    if (localStorage.getItem(key) !== null) return false;
    localStorage.setItem(key, new Date().toISOString());
  } catch {
    // Storage refused: the in-memory claim above still holds for this page.
  }
  return true;
}

/** The storage key for a checkout's paid event. */
export function paidEventKey(checkoutId: string): string {
  return `connectpsp-checkout:paid:${checkoutId}`;
}
