import type { RequestHandler, Response } from 'express';
import { HttpError } from './http-error.js';

/**
 * A fixed-window request counter per key, in memory. Per instance: with N instances behind a load
 * balancer a client gets up to N times the limit, which still stops a runaway loop or a scraper
 * guessing ids — the point of these limits. Answers 429 with `Retry-After`.
 */
export class FixedWindowLimiter {
  readonly #counts = new Map<string, { windowStart: number; count: number }>();
  constructor(
    readonly limit: number,
    readonly windowMs = 60_000,
    readonly now: () => number = Date.now,
  ) {}

  /** Seconds until the key may try again, or 0 when this hit is allowed. */
  hit(key: string): number {
    const t = this.now();
    let entry = this.#counts.get(key);
    if (!entry || t - entry.windowStart >= this.windowMs) {
      entry = { windowStart: t, count: 0 };
      this.#counts.set(key, entry);
      if (this.#counts.size > 100_000) this.#sweep(t);
    }
    entry.count++;
    return entry.count > this.limit ? Math.max(1, Math.ceil((entry.windowStart + this.windowMs - t) / 1000)) : 0;
  }

  #sweep(t: number): void {
    for (const [key, entry] of this.#counts) if (t - entry.windowStart >= this.windowMs) this.#counts.delete(key);
  }
}

/** Limits browser routes per client address, before anything else (authentication included). */
export function browserRateLimit(options: { perClient: FixedWindowLimiter }): RequestHandler {
  return (req, res, next) => {
    refuseIfOver(res, options.perClient.hit(`ip:${req.ip ?? 'unknown'}`));
    next();
  };
}

/**
 * Limits one checkout's browser requests, counted only once the client secret was checked: counted
 * before, anyone who knows a checkout id (it is in the Open Finance return URL and the secret's
 * prefix) could lock its payer out.
 */
export function checkoutRateLimit(perCheckout: FixedWindowLimiter): (res: Response, checkoutId: string) => void {
  return (res, checkoutId) => refuseIfOver(res, perCheckout.hit(`checkout:${checkoutId}`));
}

function refuseIfOver(res: Response, wait: number): void {
  if (wait > 0) {
    res.set('Retry-After', String(wait));
    throw new HttpError(429, `Too many requests. Try again in ${wait} s.`);
  }
}
