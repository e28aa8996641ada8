/**
 * RFC 7807 errors the way ConnectPSP writes them (docs/connectpsp.md §5.1):
 * `application/problem+json` with `{ type, title, status, code, detail }`.
 *
 * Codes the docs name are used as they are. Where the docs name none (validation, unknown ids,
 * malformed JSON, idempotency conflicts, sandbox control routes) the code is ours and says so below.
 */
import type { ErrorRequestHandler, RequestHandler, Response } from 'express';

/** `type` URIs follow the docs' examples (`https://connect-psp.redocly.app/errors/insufficient-funds`). */
const TYPE_BASE = 'https://connect-psp.redocly.app/errors/';

/**
 * Every code the sandbox answers with, its HTTP status, its fixed title and where it comes from:
 * `docs` — named by ConnectPSP's error-handling guide or an endpoint page, used as named;
 * `sandbox` — the sandbox's own, where the docs give a status but no code (validation, unknown
 * ids, malformed JSON, idempotency conflicts) or describe nothing at all (control routes). A
 * client must never depend on a `sandbox` code: the real gateway may answer another, or none.
 * README's "Error codes" table lists the same.
 */
export const PROBLEMS = {
  INVALID_CREDENTIALS: { status: 401, title: 'Invalid Credentials', source: 'docs' },
  TOKEN_EXPIRED: { status: 401, title: 'Token Expired', source: 'docs' },
  INVALID_APPLICATION_TOKEN: { status: 401, title: 'Invalid Application Token', source: 'docs' },
  INVALID_SIGNATURE: { status: 422, title: 'Invalid Signature', source: 'docs' },
  INSUFFICIENT_FUNDS: { status: 422, title: 'Insufficient Funds', source: 'docs' },
  CASH_IN_NOT_PAID: { status: 422, title: 'Cash-In Not Paid', source: 'docs' },
  CASH_IN_ALREADY_REFUNDED: { status: 422, title: 'Cash-In Already Refunded', source: 'docs' },
  CASH_IN_EXPIRED: { status: 422, title: 'Cash-In Expired', source: 'docs' },
  CASH_IN_CANCELLED: { status: 422, title: 'Cash-In Cancelled', source: 'docs' },
  MISSING_END_TO_END_ID: { status: 422, title: 'Missing End-To-End Id', source: 'docs' },
  // The docs give 409 for a duplicate on cash-out but name no code for it.
  DUPLICATE_EXTERNAL_REFERENCE: { status: 409, title: 'Duplicate External Reference', source: 'sandbox' },
  // The docs give the status (400/401/404/413/500) but no code.
  INVALID_TOKEN: { status: 401, title: 'Invalid Token', source: 'sandbox' },
  VALIDATION_ERROR: { status: 400, title: 'Validation Error', source: 'sandbox' },
  MALFORMED_JSON: { status: 400, title: 'Malformed JSON', source: 'sandbox' },
  PAYLOAD_TOO_LARGE: { status: 413, title: 'Payload Too Large', source: 'sandbox' },
  CASH_IN_NOT_FOUND: { status: 404, title: 'Cash-In Not Found', source: 'sandbox' },
  CASH_OUT_NOT_FOUND: { status: 404, title: 'Cash-Out Not Found', source: 'sandbox' },
  NOT_FOUND: { status: 404, title: 'Not Found', source: 'sandbox' },
  IDEMPOTENCY_KEY_REUSED: { status: 422, title: 'Idempotency Key Reused', source: 'sandbox' },
  CASH_IN_REFUND_IN_PROGRESS: { status: 422, title: 'Cash-In Refund In Progress', source: 'sandbox' },
  INTERNAL_SERVER_ERROR: { status: 500, title: 'Internal Server Error', source: 'sandbox' },
  BAD_GATEWAY: { status: 502, title: 'Bad Gateway', source: 'sandbox' },
  SERVICE_UNAVAILABLE: { status: 503, title: 'Service Unavailable', source: 'sandbox' },
  // Sandbox control routes only.
  CASH_IN_ALREADY_PAID: { status: 409, title: 'Cash-In Already Paid', source: 'sandbox' },
  CASH_OUT_NOT_PROCESSING: { status: 409, title: 'Cash-Out Not Processing', source: 'sandbox' },
  CASH_OUT_NOT_COMPLETED: { status: 409, title: 'Cash-Out Not Completed', source: 'sandbox' },
} as const satisfies Record<string, { status: number; title: string; source: 'docs' | 'sandbox' }>;

export type ProblemCode = keyof typeof PROBLEMS;

/** The JSON body of an error answer. */
export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  code: ProblemCode;
  detail: string;
}

/** Thrown anywhere in a handler; the router's error handler turns it into a problem answer. */
export class SandboxProblem extends Error {
  readonly code: ProblemCode;
  readonly status: number;

  constructor(code: ProblemCode, detail: string) {
    super(detail);
    this.name = 'SandboxProblem';
    this.code = code;
    this.status = PROBLEMS[code].status;
  }

  toBody(): ProblemBody {
    return problemBody(this.code, this.message);
  }
}

export function problemBody(code: ProblemCode, detail: string): ProblemBody {
  const { status, title } = PROBLEMS[code];
  return { type: TYPE_BASE + code.toLowerCase().replace(/_/g, '-'), title, status, code, detail };
}

export function sendProblem(res: Response, body: ProblemBody): void {
  res.status(body.status).type('application/problem+json').send(JSON.stringify(body));
}

/** Final 404 for paths the router does not serve, as problem+json rather than Express's HTML page. */
export const notFoundHandler: RequestHandler = function notFound(req, res) {
  sendProblem(res, problemBody('NOT_FOUND', `No route for ${req.method} ${req.originalUrl}.`));
};

/**
 * Turns anything thrown into problem+json: our own problems as they are, body-parser failures
 * into 400 (malformed JSON) or 413 (over the 100 kB limit), and anything else into a 500 that
 * hides the internals. Never an HTML error page.
 */
export const problemErrorHandler: ErrorRequestHandler = function problemErrorHandler(err, _req, res, next) {
  if (res.headersSent) return next(err);
  if (err instanceof SandboxProblem) return sendProblem(res, err.toBody());
  const bodyParserType = typeof err === 'object' && err !== null ? (err as { type?: unknown }).type : undefined;
  if (bodyParserType === 'entity.parse.failed') {
    return sendProblem(res, problemBody('MALFORMED_JSON', 'The request body is not valid JSON.'));
  }
  if (bodyParserType === 'entity.too.large') {
    return sendProblem(res, problemBody('PAYLOAD_TOO_LARGE', 'The request body is larger than 100 kB.'));
  }
  console.error('[sandbox] unexpected error', err);
  sendProblem(res, problemBody('INTERNAL_SERVER_ERROR', 'Unexpected error in the ConnectPSP sandbox.'));
};
