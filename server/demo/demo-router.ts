/**
 * The demo store, mounted by the companion server in sandbox mode (`npm start` → http://localhost:3000/):
 *
 * - `GET /`: the store page (demo/index.html) and `/assets/*` (its script and styles);
 * - `GET /dist/*`: the built widget (`npm run build`), loaded by the page with a plain `<script>`;
 * - `GET /demo/api/catalogue`: the products, for the page to list;
 * - `POST /demo/api/checkout`: the store's backend. It prices the cart here and creates a checkout
 *   through the merchant API, server to server, so the browser never sees the API key or decides
 *   the amount; it answers `{ checkoutId, clientSecret }` for the widget.
 *
 * Every page is served under a strict Content-Security-Policy — no inline script or style, no
 * `data:` — to show that the widget needs nothing more (docs/anchors.md (b)8).
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import express, { type NextFunction, type Request, type Response } from 'express';

import { ROUTES, type CreatedCheckout } from 'connectpsp-checkout/contract';
import { CATALOGUE, priceCart } from './catalogue.js';

export interface DemoRouterOptions {
  /** The merchant API key (`CHECKOUT_API_KEY`); used server-side only. */
  apiKey: string;
  /** Where `npm run build` wrote the widget (the widget package's dist/). */
  distDir: string;
  /** The store's page and assets (the repository's demo/; copied into the server package). */
  siteDir?: string;
}

/**
 * The store's files: `demo-site/` beside the compiled server (the package), else the repository's
 * `demo/` (running from source).
 */
export function findDemoSite(): string {
  const packaged = fileURLToPath(new URL('../demo-site', import.meta.url));
  return existsSync(packaged) ? packaged : fileURLToPath(new URL('../../demo', import.meta.url));
}

/** What the demo pages may do: load their own files, talk to their own origin. Nothing inline. */
export const DEMO_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export function createDemoRouter({ apiKey, distDir, siteDir = findDemoSite() }: DemoRouterOptions): express.Router {
  const router = express.Router();

  const securityHeaders = (_req: Request, res: Response, next: NextFunction) => {
    res.set({ 'Content-Security-Policy': DEMO_CSP, 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'no-referrer' });
    next();
  };

  router.get('/', securityHeaders, (_req, res) => {
    res.set('Cache-Control', 'no-cache').sendFile(join(siteDir, 'index.html'));
  });
  router.use('/assets', securityHeaders, express.static(join(siteDir, 'assets'), { index: false, maxAge: 0 }));
  router.use('/dist', securityHeaders, express.static(distDir, { index: false, maxAge: 0 }));
  router.use('/dist', (_req, res) => {
    const hint = existsSync(distDir) ? 'No such file in dist/.' : 'The widget is not built yet: run `npm run build`.';
    res.status(404).type('text/plain').send(hint);
  });

  router.get('/demo/api/catalogue', (_req, res) => {
    res.json({ products: CATALOGUE });
  });

  router.post('/demo/api/checkout', express.json({ limit: '8kb' }), async (req, res) => {
    const priced = priceCart((req.body as { items?: unknown } | undefined)?.items);
    if (!priced.ok) {
      res.status(400).json({ error: { type: 'invalid_request', message: priced.message, field: 'items' } });
      return;
    }
    const { amount, description } = priced.value;
    let answer: globalThis.Response;
    try {
      answer = await fetch(new URL(ROUTES.checkouts, ownOrigin(req)), {
        method: 'POST',
        headers: {
          Authorization: `Bearer ${apiKey}`,
          'Content-Type': 'application/json',
          'Idempotency-Key': randomUUID(),
        },
        body: JSON.stringify({
          amount,
          externalReference: `demo-${Date.now()}-${randomUUID().slice(0, 8)}`,
          description: description.slice(0, 140),
          expiresInMinutes: 15,
          // Both methods: the payer chooses the QR code or their bank app (Open Finance), and the bank
          // sends them back to the store page.
          methods: ['pix', 'open_finance'],
          returnUrl: demoReturnUrl((req.body as { returnUrl?: unknown }).returnUrl, ownOrigin(req)),
        }),
      });
    } catch (cause) {
      res.status(502).json({ error: { type: 'gateway_error', message: `the merchant API did not answer: ${String(cause)}` } });
      return;
    }
    if (!answer.ok) {
      res.status(502).json({ error: { type: 'gateway_error', message: `the merchant API answered ${answer.status}` } });
      return;
    }
    const created = (await answer.json()) as CreatedCheckout;
    res.status(201).json({ checkoutId: created.id, clientSecret: created.clientSecret });
  });

  return router;
}

/** The store page the browser says it is on (http(s) only), else this server's root. */
function demoReturnUrl(fromPage: unknown, origin: string): string {
  try {
    const url = new URL(String(fromPage));
    if (url.protocol === 'http:' || url.protocol === 'https:') return `${url.origin}${url.pathname}`;
  } catch {
    // not a URL
  }
  return new URL('/', origin).href;
}

/**
 * This server's own address, from the socket the request came in on. Not the `Host` header: a
 * client chooses that, and the API key must never be sent wherever a client points it.
 */
function ownOrigin(req: Request): string {
  const address = (req.socket.localAddress ?? '127.0.0.1').replace(/^::ffff:/, '');
  const host = address.includes(':') ? `[${address}]` : address;
  return `http://${host}:${req.socket.localPort}`;
}
