import type { RequestHandler } from 'express';

/**
 * CORS for the browser routes only. Merchant and webhook routes never send CORS headers, so a page
 * cannot call them from a browser even by mistake. Origins are matched exactly.
 */
export function browserCors(allowed: '*' | readonly string[]): RequestHandler {
  return (req, res, next) => {
    const origin = req.get('origin');
    if (origin && (allowed === '*' || allowed.includes(origin))) {
      res.set('Access-Control-Allow-Origin', allowed === '*' ? '*' : origin);
      if (allowed !== '*') res.vary('Origin');
      if (req.method === 'OPTIONS') {
        res.set({
          'Access-Control-Allow-Methods': 'GET, POST',
          'Access-Control-Allow-Headers': 'Authorization, Content-Type, Last-Event-ID',
          'Access-Control-Max-Age': '600',
        });
        res.status(204).end();
        return;
      }
    } else if (req.method === 'OPTIONS') {
      res.status(204).end();
      return;
    }
    next();
  };
}
