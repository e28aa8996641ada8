/**
 * Runtime checks of what the companion server sends, written by hand so that no schema library
 * reaches the browser bundle. The server validates the full shapes with zod; here we check the
 * fields the widget uses — their types, and the values that would mislead the payer if wrong
 * (status, amount, dates, the Copia e Cola text) — and say precisely which one is wrong.
 *
 * Readers rebuild each object from the fields they checked (missing nullable fields become `null`)
 * and are tolerant where the contract may grow: unknown fields are dropped, unknown payment methods
 * are filtered out.
 */
import {
  TRANSITIONS,
  type ActiveChargeView,
  type CheckoutSession,
  type CheckoutStatus,
  type ErrorType,
  type PaymentMethod,
  type PixChargeView,
  type StatusEventData,
} from './contract/wire-contract.js';

export type Parsed<T> = { ok: true; value: T } | { ok: false; problem: string };

/** What the widget reads of a session (`GET /v1/checkouts/:id/session`). */
export type SessionView = Pick<
  CheckoutSession,
  | 'status'
  | 'amount'
  | 'currency'
  | 'description'
  | 'merchantName'
  | 'methods'
  | 'payerRequired'
  | 'payerName'
  | 'activeCharge'
  | 'endToEndId'
  | 'paidAt'
  | 'refundEndToEndId'
  | 'refundedAt'
  | 'serverTime'
>;

/** What the widget reads of an SSE `status` frame. */
export type StatusEventView = Pick<
  StatusEventData,
  'status' | 'activeCharge' | 'endToEndId' | 'paidAt' | 'refundEndToEndId' | 'refundedAt' | 'at'
>;

export interface ErrorBodyView {
  type: ErrorType;
  message: string;
  field: string | null;
}

/** Thrown inside a reader and caught at its boundary; never leaves this module. */
class Invalid extends Error {}

/** Checks (and returns) one value; `path` names it in the problem. */
type Reader<T> = (value: unknown, path: string) => T;

const invalid = (path: string, what: string): never => {
  throw new Invalid(`${path} must be ${what}`);
};

const string: Reader<string> = (v, path) => (typeof v === 'string' ? v : invalid(path, 'a string'));

const nonEmpty: Reader<string> = (v, path) => (string(v, path) ? (v as string) : invalid(path, 'a non-empty string'));

const date: Reader<string> = (v, path) => (isNaN(Date.parse(string(v, path))) ? invalid(path, 'an ISO date') : (v as string));

const centavos: Reader<number> = (v, path) =>
  Number.isSafeInteger(v) && (v as number) >= 0 ? (v as number) : invalid(path, 'a non-negative integer (centavos)');

const boolean: Reader<boolean> = (v, path) => (typeof v === 'boolean' ? v : invalid(path, 'a boolean'));

const oneOf =
  <T extends string>(allowed: readonly T[]): Reader<T> =>
  (v, path) =>
    allowed.includes(v as T) ? (v as T) : invalid(path, `one of ${allowed}`);

const nullable =
  <T>(read: Reader<T>): Reader<T | null> =>
  (v, path) =>
    v == null ? null : read(v, path);

/** An object with exactly the fields of `shape`, each read by its reader. */
const object =
  <T>(shape: { [K in keyof T]: Reader<T[K]> }): Reader<T> =>
  (v, path) => {
    if (!v || typeof v !== 'object' || Array.isArray(v)) invalid(path, 'an object');
    const out = {} as T;
    for (const key in shape) out[key] = shape[key]((v as Record<string, unknown>)[key], `${path}.${key}`);
    return out;
  };

const METHODS: readonly PaymentMethod[] = ['pix', 'open_finance'];
const checkoutStatus = oneOf(Object.keys(TRANSITIONS) as CheckoutStatus[]);

const chargeCommon = object({
  transactionId: string,
  method: oneOf(METHODS),
  status: string,
  amount: centavos,
  expiresAt: date,
  createdAt: date,
});

const charge: Reader<ActiveChargeView> = (v, path) => {
  const common = chargeCommon(v, path);
  const rest = common.method === 'pix' ? object({ copyAndPaste: nonEmpty })(v, path) : object({ paymentUrl: string })(v, path);
  return { ...common, ...rest } as ActiveChargeView;
};

const activeCharge = nullable(charge);

/** The fields a session and a status frame share: where the checkout is, and the receipt's facts. */
const facts = {
  status: checkoutStatus,
  activeCharge,
  endToEndId: nullable(string),
  paidAt: nullable(date),
  refundEndToEndId: nullable(string),
  refundedAt: nullable(date),
};

const session = object<SessionView>({
  ...facts,
  amount: centavos,
  currency: oneOf(['BRL'] as const),
  description: nullable(string),
  merchantName: string,
  // A newer server may offer methods this widget does not know; offering fewer is safe.
  methods: (v, path) => (Array.isArray(v) ? v.filter((m): m is PaymentMethod => METHODS.includes(m)) : invalid(path, 'an array')),
  payerRequired: boolean,
  // Older servers do not send it: the receipt then names the payer only if they typed it here.
  payerName: nullable(string),
  serverTime: date,
});

const statusEvent = object<StatusEventView>({ ...facts, at: date });

/** Every `ErrorBody` type, mapped to the reason the widget reports. */
export const REASON_BY_ERROR_TYPE = {
  invalid_request: 'invalid_request',
  payload_too_large: 'invalid_request',
  unauthorized: 'unauthorized',
  not_found: 'not_found',
  conflict: 'conflict',
  rate_limited: 'rate_limited',
  gateway_error: 'gateway_error',
  unavailable: 'server_error',
  internal_error: 'server_error',
} as const satisfies Record<ErrorType, string>;

const errorBody = object({
  error: object<ErrorBodyView>({
    type: oneOf(Object.keys(REASON_BY_ERROR_TYPE) as ErrorType[]),
    message: string,
    field: nullable(string),
  }),
});

function guard<T>(read: Reader<T>, value: unknown, path: string): Parsed<T> {
  try {
    return { ok: true, value: read(value, path) };
  } catch (error) {
    if (error instanceof Invalid) return { ok: false, problem: error.message };
    throw error;
  }
}

/** `GET /v1/checkouts/:id/session`. */
export function parseSession(value: unknown): Parsed<SessionView> {
  return guard(session, value, 'session');
}

/** `POST /v1/checkouts/:id/pix` or `…/open-finance`: a charge of that method. */
export const parseCharge =
  <M extends PaymentMethod>(method: M) =>
  (value: unknown): Parsed<Extract<ActiveChargeView, { method: M }>> =>
    guard(
      (v, path) => {
        const read = charge(v, path);
        return (read.method === method ? read : invalid(`${path}.method`, method)) as Extract<ActiveChargeView, { method: M }>;
      },
      value,
      'charge',
    );

/** `POST /v1/checkouts/:id/pix`. */
export const parsePixCharge: (value: unknown) => Parsed<PixChargeView> = parseCharge('pix');

/** The `data` of an SSE `status` event, already JSON-parsed. */
export function parseStatusEvent(value: unknown): Parsed<StatusEventView> {
  return guard(statusEvent, value, 'event');
}

/** The `error` of an `ErrorBody`, or `null` when the body is not one (a proxy's HTML page, say). */
export function parseErrorBody(value: unknown): ErrorBodyView | null {
  const parsed = guard(errorBody, value, 'body');
  return parsed.ok ? parsed.value.error : null;
}
