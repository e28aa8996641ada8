/**
 * Fault injection, so clients can rehearse what the real gateway does on a bad day: failing or slow
 * API answers, duplicated webhooks, and webhooks held back and then released in any order.
 * Set with `POST /sandbox/faults`, cleared with `DELETE /sandbox/faults`.
 */
import type { RequestHandler } from 'express';
import { z } from 'zod';

import { problemBody, sendProblem, type ProblemCode } from './problem.js';

const countedFault = {
  count: z.number().int().min(0).max(1000),
  /** Only API paths containing this (e.g. `/cash-in`) are affected; every path when absent. */
  path: z.string().min(1).optional(),
};

export const faultsRequestSchema = z.object({
  failNext: z.object({ ...countedFault, status: z.union([z.literal(500), z.literal(502), z.literal(503)]).optional() }).optional(),
  delayNext: z.object({ ...countedFault, ms: z.number().int().min(0).max(60_000) }).optional(),
  webhooks: z.object({ duplicate: z.boolean().optional(), hold: z.boolean().optional() }).optional(),
});
export type FaultsRequest = z.infer<typeof faultsRequestSchema>;

interface CountedFault {
  count: number;
  path?: string;
}

const FAILURE_CODES: Record<500 | 502 | 503, ProblemCode> = {
  500: 'INTERNAL_SERVER_ERROR',
  502: 'BAD_GATEWAY',
  503: 'SERVICE_UNAVAILABLE',
};

/** The current faults, shared by the API router (failures, delays) and the webhook dispatcher. */
export class Faults {
  private failNext: (CountedFault & { status: 500 | 502 | 503 }) | undefined;
  private delayNext: (CountedFault & { ms: number }) | undefined;
  /** Every webhook is delivered twice, each delivery with its own `X-Event-Id`. */
  duplicateWebhooks = false;
  /** Webhooks wait until `POST /sandbox/webhooks/release`. */
  holdWebhooks = false;

  /** Applies a `POST /faults` body; fields left out keep their current value. */
  set(request: FaultsRequest): void {
    if (request.failNext) this.failNext = { status: 503, ...request.failNext };
    if (request.delayNext) this.delayNext = { ...request.delayNext };
    if (request.webhooks?.duplicate !== undefined) this.duplicateWebhooks = request.webhooks.duplicate;
    if (request.webhooks?.hold !== undefined) this.holdWebhooks = request.webhooks.hold;
  }

  reset(): void {
    this.failNext = undefined;
    this.delayNext = undefined;
    this.duplicateWebhooks = false;
    this.holdWebhooks = false;
  }

  describe() {
    return {
      failNext: this.failNext ?? null,
      delayNext: this.delayNext ?? null,
      webhooks: { duplicate: this.duplicateWebhooks, hold: this.holdWebhooks },
    };
  }

  /**
   * Middleware for the emulated API, mounted before auth and body parsing: an injected 5xx stands
   * for a proxy or gateway outage, so the request is answered before it reaches any handler and
   * has no effect; a retry with the same idempotency key then runs for real.
   */
  readonly middleware: RequestHandler = (req, res, next) => {
    const delayMs = take(this.delayNext, req.path) ? this.delayNext!.ms : 0;
    const failStatus = take(this.failNext, req.path) ? this.failNext!.status : undefined;
    const proceed = () => {
      if (failStatus === undefined) return next();
      const detail = `Injected by the sandbox (failNext) for ${req.method} ${req.originalUrl}.`;
      sendProblem(res, problemBody(FAILURE_CODES[failStatus], detail));
    };
    if (delayMs > 0) setTimeout(proceed, delayMs).unref();
    else proceed();
  };
}

/** Consumes one use of a counted fault when it applies to `path`. */
function take(fault: CountedFault | undefined, path: string): boolean {
  if (!fault || fault.count <= 0) return false;
  if (fault.path && !path.includes(fault.path)) return false;
  fault.count -= 1;
  return true;
}
