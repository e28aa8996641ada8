/**
 * Runtime checks of what the companion server sends, written by hand so that no schema library
 * reaches the browser bundle. The server validates the same shapes with zod; here we only need to
 * know that an answer is safe to render, and to say precisely what is wrong when it is not.
 *
 * Readers are tolerant where the contract may grow (unknown fields are ignored, unknown payment
 * methods are dropped) and strict where a wrong value would mislead the payer (status, amount,
 * dates, the Copia e Cola text).
 */
import {
  CHECKOUT_STATUSES,
  PAYMENT_METHODS,
  type ActiveChargeView,
  type ChargeStatus,
  type CheckoutSession,
  type ErrorBody,
  type ErrorType,
  type PaymentMethod,
  type PixChargeView,
  type StatusEventData,
} from '../server/contract.js';

export type Parsed<T> = { ok: true; value: T } | { ok: false; problem: string };

const CHARGE_STATUSES: readonly ChargeStatus[] = ['awaiting_payment', 'paid', 'expired', 'refunded', 'cancelled'];
const ERROR_TYPES: readonly ErrorType[] = [
  'invalid_request',
  'unauthorized',
  'not_found',
  'conflict',
  'payload_too_large',
  'rate_limited',
  'gateway_error',
  'internal_error',
];

/** Thrown inside a reader and caught at its boundary; never leaves this module. */
class Invalid extends Error {}

type Json = Record<string, unknown>;

function record(value: unknown, path: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Invalid(`${path} must be an object`);
  return value as Json;
}

function string(o: Json, key: string, path: string): string {
  const value = o[key];
  if (typeof value !== 'string') throw new Invalid(`${path}.${key} must be a string`);
  return value;
}

function nullableString(o: Json, key: string, path: string): string | null {
  return o[key] === null || o[key] === undefined ? null : string(o, key, path);
}

function date(o: Json, key: string, path: string): string {
  const value = string(o, key, path);
  if (Number.isNaN(Date.parse(value))) throw new Invalid(`${path}.${key} must be an ISO date, got "${value}"`);
  return value;
}

function nullableDate(o: Json, key: string, path: string): string | null {
  return o[key] === null || o[key] === undefined ? null : date(o, key, path);
}

function centavos(o: Json, key: string, path: string): number {
  const value = o[key];
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new Invalid(`${path}.${key} must be a non-negative integer (centavos)`);
  }
  return value;
}

function oneOf<T extends string>(o: Json, key: string, allowed: readonly T[], path: string): T {
  const value = o[key];
  if (!allowed.includes(value as T)) throw new Invalid(`${path}.${key} must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`);
  return value as T;
}

function guard<T>(read: () => T): Parsed<T> {
  try {
    return { ok: true, value: read() };
  } catch (error) {
    if (error instanceof Invalid) return { ok: false, problem: error.message };
    throw error;
  }
}

function readActiveCharge(value: unknown, path: string): ActiveChargeView | null {
  if (value === null || value === undefined) return null;
  const o = record(value, path);
  const common = {
    transactionId: string(o, 'transactionId', path),
    status: oneOf(o, 'status', CHARGE_STATUSES, path),
    amount: centavos(o, 'amount', path),
    expiresAt: date(o, 'expiresAt', path),
    createdAt: date(o, 'createdAt', path),
  };
  const method = oneOf(o, 'method', PAYMENT_METHODS, path);
  if (method === 'pix') {
    const copyAndPaste = string(o, 'copyAndPaste', path);
    if (copyAndPaste.length === 0) throw new Invalid(`${path}.copyAndPaste must not be empty`);
    return { ...common, method, copyAndPaste };
  }
  return { ...common, method, paymentUrl: string(o, 'paymentUrl', path) };
}

/** `GET /v1/checkouts/:id/session`. */
export function parseSession(value: unknown): Parsed<CheckoutSession> {
  return guard(() => {
    const o = record(value, 'session');
    const methods = o.methods;
    if (!Array.isArray(methods)) throw new Invalid('session.methods must be an array');
    if (typeof o.payerRequired !== 'boolean') throw new Invalid('session.payerRequired must be a boolean');
    return {
      id: string(o, 'id', 'session'),
      status: oneOf(o, 'status', CHECKOUT_STATUSES, 'session'),
      amount: centavos(o, 'amount', 'session'),
      currency: oneOf(o, 'currency', ['BRL'] as const, 'session'),
      description: nullableString(o, 'description', 'session'),
      merchantName: string(o, 'merchantName', 'session'),
      // A newer server may offer methods this widget does not know; offering fewer is safe.
      methods: methods.filter((m): m is PaymentMethod => PAYMENT_METHODS.includes(m as PaymentMethod)),
      payerRequired: o.payerRequired,
      activeCharge: readActiveCharge(o.activeCharge, 'session.activeCharge'),
      endToEndId: nullableString(o, 'endToEndId', 'session'),
      paidAt: nullableDate(o, 'paidAt', 'session'),
      refundEndToEndId: nullableString(o, 'refundEndToEndId', 'session'),
      refundedAt: nullableDate(o, 'refundedAt', 'session'),
      serverTime: date(o, 'serverTime', 'session'),
    };
  });
}

/** `POST /v1/checkouts/:id/pix`. */
export function parsePixCharge(value: unknown): Parsed<PixChargeView> {
  return guard(() => {
    const charge = readActiveCharge(record(value, 'charge'), 'charge');
    if (charge?.method !== 'pix') throw new Invalid('charge.method must be pix');
    return charge;
  });
}

/** The `data` of an SSE `status` event, already JSON-parsed. */
export function parseStatusEvent(value: unknown): Parsed<StatusEventData> {
  return guard(() => {
    const o = record(value, 'event');
    return {
      checkoutId: string(o, 'checkoutId', 'event'),
      status: oneOf(o, 'status', CHECKOUT_STATUSES, 'event'),
      previous: o.previous === null || o.previous === undefined ? null : oneOf(o, 'previous', CHECKOUT_STATUSES, 'event'),
      activeCharge: readActiveCharge(o.activeCharge, 'event.activeCharge'),
      endToEndId: nullableString(o, 'endToEndId', 'event'),
      paidAt: nullableDate(o, 'paidAt', 'event'),
      refundEndToEndId: nullableString(o, 'refundEndToEndId', 'event'),
      refundedAt: nullableDate(o, 'refundedAt', 'event'),
      at: date(o, 'at', 'event'),
    };
  });
}

/** The `error` of an `ErrorBody`, or `null` when the body is not one (a proxy's HTML page, say). */
export function parseErrorBody(value: unknown): ErrorBody['error'] | null {
  const parsed = guard(() => {
    const e = record(record(value, 'body').error, 'body.error');
    const error: ErrorBody['error'] = { type: oneOf(e, 'type', ERROR_TYPES, 'error'), message: string(e, 'message', 'error') };
    if (typeof e.field === 'string') error.field = e.field;
    if (typeof e.requestId === 'string') error.requestId = e.requestId;
    return error;
  });
  return parsed.ok ? parsed.value : null;
}
