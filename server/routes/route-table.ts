/**
 * Every API route, with who calls it. The routers register their handlers at these paths, and CORS
 * and the rate limits read the audience from here: a new browser route gets CORS and its limits by
 * being listed, instead of by someone remembering a regular expression elsewhere.
 *
 * - `merchant`: the merchant's backend, with the API key. Never CORS.
 * - `browser`: the payer's browser, with the checkout's client secret. CORS, per-client limits
 *   before authentication and per-checkout limits after it.
 * - `gateway`: ConnectPSP's webhooks, signed. Never CORS.
 * - `operator`: health and metrics probes.
 */
export type Audience = 'merchant' | 'browser' | 'gateway' | 'operator';

export interface RouteEntry {
  method: 'GET' | 'POST';
  /** Express path, as registered. */
  path: string;
  audience: Audience;
}

export const ROUTE_TABLE = {
  createCheckout: { method: 'POST', path: '/v1/checkouts', audience: 'merchant' },
  getCheckout: { method: 'GET', path: '/v1/checkouts/:id', audience: 'merchant' },
  refund: { method: 'POST', path: '/v1/checkouts/:id/refund', audience: 'merchant' },
  cancel: { method: 'POST', path: '/v1/checkouts/:id/cancel', audience: 'merchant' },
  createPayout: { method: 'POST', path: '/v1/payouts', audience: 'merchant' },
  listPayouts: { method: 'GET', path: '/v1/payouts', audience: 'merchant' },
  getPayout: { method: 'GET', path: '/v1/payouts/:id', audience: 'merchant' },
  balance: { method: 'GET', path: '/v1/balance', audience: 'merchant' },
  rebalance: { method: 'POST', path: '/v1/balance/rebalance', audience: 'merchant' },
  session: { method: 'GET', path: '/v1/checkouts/:id/session', audience: 'browser' },
  pix: { method: 'POST', path: '/v1/checkouts/:id/pix', audience: 'browser' },
  openFinance: { method: 'POST', path: '/v1/checkouts/:id/open-finance', audience: 'browser' },
  events: { method: 'GET', path: '/v1/checkouts/:id/events', audience: 'browser' },
  connectpspWebhook: { method: 'POST', path: '/v1/webhooks/connectpsp', audience: 'gateway' },
  healthz: { method: 'GET', path: '/healthz', audience: 'operator' },
  readyz: { method: 'GET', path: '/readyz', audience: 'operator' },
  metrics: { method: 'GET', path: '/metrics', audience: 'operator' },
} as const satisfies Record<string, RouteEntry>;

/** `:param` segments match one non-empty segment; a trailing slash is tolerated, as Express does. */
const MATCHERS = Object.values(ROUTE_TABLE).map((route) => ({
  route: route as RouteEntry,
  regex: new RegExp(`^${route.path.replace(/:[A-Za-z]+/g, '[^/]+')}/?$`),
}));

/**
 * The route a request path belongs to, whatever its method (a CORS preflight is an OPTIONS for a
 * GET or POST route). Undefined for paths outside the table (the sandbox, the demo).
 */
export function routeOf(path: string): RouteEntry | undefined {
  return MATCHERS.find((m) => m.regex.test(path))?.route;
}

export function audienceOf(path: string): Audience | undefined {
  return routeOf(path)?.audience;
}
