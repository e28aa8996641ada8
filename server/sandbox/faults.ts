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
  /**
   * `revoke`: every token issued so far stops working now (a gateway restart that loses its tokens,
   * a key rotation); `refuse`: every token is refused, fresh ones too, until set false (a revoked
   * credential).
   */
  tokens: z.object({ revoke: z.boolean().optional(), refuse: z.boolean().optional() }).optional(),
  /**
   * `GET /cash-in/{id}` answers the state from before the last change for `ms` after it (the read
   * side lags the webhook), and/or waits `slowGetMs` before answering every GET.
   */
  reads: z
    .object({ lagMs: z.number().int().min(0).max(600_000).optional(), slowGetMs: z.number().int().min(0).max(60_000).optional() })
    .optional(),
  /** Refusals (4xx) are stored under their idempotency key and replayed, as ConnectPSP's docs say answers are. */
  idempotency: z.object({ storeRefusals: z.boolean().optional() }).optional(),
  /**
   * Refunds answer 202 while the devolution is still PROCESSING and settle `settleAfterMs` later:
   * `outcome` `succeed` (REFUNDED + CASHIN_REFUNDED) or `fail` (the cash-in stays PAID, the refund
   * FAILED with `failureCode`). Without it refunds settle at once, as before.
   */
  refunds: z
    .object({
      async: z.boolean().optional(),
      settleAfterMs: z.number().int().min(0).max(600_000).optional(),
      outcome: z.enum(['succeed', 'fail']).optional(),
      /** Share of refunds that fail, drawn per refund; overrides `outcome` when set. */
      failRate: z.number().min(0).max(1).optional(),
      failureCode: z
        .string()
        .regex(/^[A-Z][A-Z0-9_]{1,63}$/)
        .optional(),
      /** The next `count` refund calls are refused with `code` (422), before any money moves. */
      refuseNext: z
        .object({ count: z.number().int().min(0).max(1000), code: z.enum(['INSUFFICIENT_FUNDS', 'MISSING_END_TO_END_ID']) })
        .optional(),
    })
    .optional(),
});
export type FaultsRequest = z.infer<typeof faultsRequestSchema>;

interface CountedFault {
  count: number;
  path?: string;
}

const DEFAULT_REFUNDS = { async: false, settleAfterMs: 2000, outcome: 'succeed' as const, failRate: null, failureCode: 'REFUND_REJECTED' };

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
  /** See `TokenFaults` (auth.ts). */
  generation = 0;
  refuseTokens = false;
  readLagMs = 0;
  slowGetMs = 0;
  storeRefusals = false;
  refunds: { async: boolean; settleAfterMs: number; outcome: 'succeed' | 'fail'; failRate: number | null; failureCode: string } = {
    ...DEFAULT_REFUNDS,
  };
  refuseRefunds: { count: number; code: 'INSUFFICIENT_FUNDS' | 'MISSING_END_TO_END_ID' } | undefined;

  /** Applies a `POST /faults` body; fields left out keep their current value. */
  set(request: FaultsRequest): void {
    if (request.failNext) this.failNext = { status: 503, ...request.failNext };
    if (request.delayNext) this.delayNext = { ...request.delayNext };
    if (request.webhooks?.duplicate !== undefined) this.duplicateWebhooks = request.webhooks.duplicate;
    if (request.webhooks?.hold !== undefined) this.holdWebhooks = request.webhooks.hold;
    if (request.tokens?.revoke) this.generation += 1;
    if (request.tokens?.refuse !== undefined) this.refuseTokens = request.tokens.refuse;
    if (request.reads?.lagMs !== undefined) this.readLagMs = request.reads.lagMs;
    if (request.reads?.slowGetMs !== undefined) this.slowGetMs = request.reads.slowGetMs;
    if (request.idempotency?.storeRefusals !== undefined) this.storeRefusals = request.idempotency.storeRefusals;
    if (request.refunds) {
      const r = request.refunds;
      this.refunds = {
        async: r.async ?? this.refunds.async,
        settleAfterMs: r.settleAfterMs ?? this.refunds.settleAfterMs,
        outcome: r.outcome ?? this.refunds.outcome,
        failRate: r.failRate ?? this.refunds.failRate,
        failureCode: r.failureCode ?? this.refunds.failureCode,
      };
      if (r.refuseNext) this.refuseRefunds = { ...r.refuseNext };
    }
  }

  /** The code to refuse this refund call with, consuming one use, or undefined. */
  takeRefundRefusal(): 'INSUFFICIENT_FUNDS' | 'MISSING_END_TO_END_ID' | undefined {
    if (!this.refuseRefunds || this.refuseRefunds.count <= 0) return undefined;
    this.refuseRefunds.count -= 1;
    return this.refuseRefunds.code;
  }

  /** Whether the refund being settled now fails (drawn per refund when `failRate` is set). */
  refundFails(): boolean {
    return this.refunds.failRate !== null ? Math.random() < this.refunds.failRate : this.refunds.outcome === 'fail';
  }

  reset(): void {
    this.failNext = undefined;
    this.delayNext = undefined;
    this.duplicateWebhooks = false;
    this.holdWebhooks = false;
    // A cleared revocation does not bring old tokens back: `generation` stays.
    this.refuseTokens = false;
    this.readLagMs = 0;
    this.slowGetMs = 0;
    this.storeRefusals = false;
    this.refunds = { ...DEFAULT_REFUNDS };
    this.refuseRefunds = undefined;
  }

  describe() {
    return {
      failNext: this.failNext ?? null,
      delayNext: this.delayNext ?? null,
      webhooks: { duplicate: this.duplicateWebhooks, hold: this.holdWebhooks },
      tokens: { generation: this.generation, refuse: this.refuseTokens },
      reads: { lagMs: this.readLagMs, slowGetMs: this.slowGetMs },
      idempotency: { storeRefusals: this.storeRefusals },
      refunds: { ...this.refunds, refuseNext: this.refuseRefunds ?? null },
    };
  }

  /**
   * Middleware for the emulated API, mounted before auth and body parsing: an injected 5xx stands
   * for a proxy or gateway outage, so the request is answered before it reaches any handler and
   * has no effect; a retry with the same idempotency key then runs for real.
   */
  readonly middleware: RequestHandler = (req, res, next) => {
    const slowGet = req.method === 'GET' && req.path.startsWith('/cash-') ? this.slowGetMs : 0;
    const delayMs = (take(this.delayNext, req.path) ? this.delayNext!.ms : 0) + slowGet;
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
