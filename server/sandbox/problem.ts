/**
 * RFC 7807 errors the way ConnectPSP writes them (CONNECTPSP.md §5.1):
 * `application/problem+json` with `{ type, title, status, code, detail }`.
 *
 * Codes the docs name are used as they are. Where the docs name none (validation, unknown ids,
 * malformed JSON, idempotency conflicts, sandbox control routes) the code is ours and says so below.
 */
import type { ErrorRequestHandler, RequestHandler, Response } from 'express';

/** `type` URIs follow the docs' examples (`https://connect-psp.redocly.app/errors/insufficient-funds`). */
const TYPE_BASE = 'https://connect-psp.redocly.app/errors/';

/** Every code the sandbox answers with, its HTTP status and its fixed title. */
export const PROBLEMS = {
  // Documented (CONNECTPSP.md §5.3).
  INVALID_CREDENTIALS: { status: 401, title: 'Invalid Credentials' },
  TOKEN_EXPIRED: { status: 401, title: 'Token Expired' },
  INVALID_APPLICATION_TOKEN: { status: 401, title: 'Invalid Application Token' },
  INVALID_SIGNATURE: { status: 422, title: 'Invalid Signature' },
  INSUFFICIENT_FUNDS: { status: 422, title: 'Insufficient Funds' },
  CASH_IN_NOT_PAID: { status: 422, title: 'Cash-In Not Paid' },
  CASH_IN_ALREADY_REFUNDED: { status: 422, title: 'Cash-In Already Refunded' },
  CASH_IN_EXPIRED: { status: 422, title: 'Cash-In Expired' },
  CASH_IN_CANCELLED: { status: 422, title: 'Cash-In Cancelled' },
  DUPLICATE_EXTERNAL_REFERENCE: { status: 409, title: 'Duplicate External Reference' },
  // Not documented: the docs give the status (400/401/404/413/500) but no code.
  INVALID_TOKEN: { status: 401, title: 'Invalid Token' },
  VALIDATION_ERROR: { status: 400, title: 'Validation Error' },
  MALFORMED_JSON: { status: 400, title: 'Malformed JSON' },
  PAYLOAD_TOO_LARGE: { status: 413, title: 'Payload Too Large' },
  CASH_IN_NOT_FOUND: { status: 404, title: 'Cash-In Not Found' },
  CASH_OUT_NOT_FOUND: { status: 404, title: 'Cash-Out Not Found' },
  NOT_FOUND: { status: 404, title: 'Not Found' },
  IDEMPOTENCY_KEY_REUSED: { status: 422, title: 'Idempotency Key Reused' },
  INTERNAL_SERVER_ERROR: { status: 500, title: 'Internal Server Error' },
  BAD_GATEWAY: { status: 502, title: 'Bad Gateway' },
  SERVICE_UNAVAILABLE: { status: 503, title: 'Service Unavailable' },
  // Sandbox control routes only.
  CASH_IN_ALREADY_PAID: { status: 409, title: 'Cash-In Already Paid' },
  CASH_OUT_NOT_PROCESSING: { status: 409, title: 'Cash-Out Not Processing' },
} as const satisfies Record<string, { status: number; title: string }>;

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
