/**
 * Request validation: zod schemas for every body the sandbox reads, and `parseBody`, which turns
 * the first problem into a 400 whose `detail` names the field (`payer.document: must be …`).
 *
 * Limits the docs do not give (lengths, maximum amount, expiry range) are chosen generously, so a
 * client that the real gateway accepts is not refused here; each one says where it comes from.
 */
import type { RequestHandler } from 'express';
import { z } from 'zod';

import { SandboxProblem } from './problem.js';

/** Zod error option: "is required" when the field is absent, `message` when it has the wrong type. */
export function must(message: string) {
  return { error: (issue: { input?: unknown }) => (issue.input === undefined ? 'is required' : message) };
}

/**
 * Decimal reais, as ConnectPSP takes them (`150.5`, `10.00`), turned into integer centavos.
 * A JSON number only: a string amount is a client bug the real gateway's schema (type number)
 * would refuse too. Two decimals at most, because a third cannot be paid.
 */
export function reaisAmount(options: { allowZero?: boolean } = {}) {
  return (
    z
      .number(must('must be a number (decimal reais, e.g. 10.50)'))
      .refine((n) => Number.isFinite(n), 'must be a finite number')
      .refine((n) => (options.allowZero ? n >= 0 : n > 0), options.allowZero ? 'must not be negative' : 'must be a positive number')
      .refine((n) => Math.abs(Math.round(n * 100) - n * 100) < 1e-6, 'must have at most 2 decimal places')
      // The BR Code amount field holds at most 10 integer digits (docs/protocols.md §1.2).
      .refine((n) => n < 10_000_000_000, 'must be less than 10,000,000,000.00')
      .transform((n) => Math.round(n * 100))
  );
}

/** CPF (11 digits) or CNPJ (14 digits), digits only (docs/connectpsp.md §6.4). Check digits are not verified. */
export const documentNumber = z
  .string(must('must be a string of 11 (CPF) or 14 (CNPJ) digits'))
  .regex(/^(\d{11}|\d{14})$/, 'must be 11 (CPF) or 14 (CNPJ) digits, digits only');

export const personName = z.string(must('must be a string')).trim().min(1, 'is required').max(200, 'must be at most 200 characters');

/** Length not documented; 128 fits any order id we have seen. */
export const externalReference = z.string(must('must be a string')).trim().min(1, 'is required').max(128, 'must be at most 128 characters');

export const httpUrl = z.url({ protocol: /^https?$/, ...must('must be an absolute http(s) URL') });

const ispb = z.string(must('must be a string of 8 digits')).regex(/^\d{8}$/, 'must be 8 digits');

export const cashInRequestSchema = z.object({
  amount: reaisAmount(),
  externalReference,
  // Range not documented. At least a minute; at most a year, well past any checkout's need.
  expirationInMinutes: z
    .number(must('must be an integer number of minutes'))
    .int('must be an integer number of minutes')
    .min(1, 'must be at least 1')
    .max(525_600, 'must be at most 525600 (one year)')
    .optional(),
  webhookUrl: httpUrl.optional(),
  payer: z.object({ name: personName, document: documentNumber }, must('must be an object with name and document')),
  // Only `openFinance.redi…` is visible in the docs (docs/connectpsp.md §3.1); a redirect URL is the
  // reading every other Open Finance API supports.
  openFinance: z.object({ redirectUrl: httpUrl }, must('must be an object with redirectUrl')).optional(),
});
export type CashInRequest = z.infer<typeof cashInRequestSchema>;

export const REFUND_REASONS = ['FRAUD', 'DUPLICATED_PAYMENT', 'CUSTOMER_REQUEST', 'MERCHANT_ERROR'] as const;

export const refundRequestSchema = z.object({
  reason: z.enum(REFUND_REASONS, must(`must be one of ${REFUND_REASONS.join(', ')}`)),
  description: z.string(must('must be a string')).max(500, 'must be at most 500 characters').optional(),
});
export type RefundRequest = z.infer<typeof refundRequestSchema>;

export const PIX_KEY_TYPES = ['CPF', 'CNPJ', 'EMAIL', 'PHONE', 'EVP'] as const;

/**
 * Key formats are not documented (docs/connectpsp.md §8); these are the DICT formats (docs/protocols.md §1.3),
 * with the phone accepted with or without `+55` since the docs do not say which one ConnectPSP wants.
 */
const PIX_KEY_PATTERNS: Record<(typeof PIX_KEY_TYPES)[number], { pattern: RegExp; hint: string }> = {
  CPF: { pattern: /^\d{11}$/, hint: '11 digits' },
  CNPJ: { pattern: /^[0-9A-Z]{14}$/, hint: '14 digits (or upper-case alphanumerics)' },
  EMAIL: { pattern: /^[^\s@]{1,64}@[^\s@]+\.[^\s@]+$/, hint: 'an e-mail address' },
  PHONE: { pattern: /^(\+55)?\d{10,11}$/, hint: '+55 followed by area code and number' },
  EVP: { pattern: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, hint: 'a UUID' },
};

const pixDestination = z
  .object({
    type: z.literal('PIX'),
    pixKeyType: z.enum(PIX_KEY_TYPES, must(`must be one of ${PIX_KEY_TYPES.join(', ')}`)),
    pixKey: z.string(must('must be a string')).min(1, 'is required').max(77, 'must be at most 77 characters'),
  })
  .superRefine((destination, ctx) => {
    const { pattern, hint } = PIX_KEY_PATTERNS[destination.pixKeyType];
    if (!pattern.test(destination.pixKey)) {
      ctx.addIssue({ code: 'custom', path: ['pixKey'], message: `must be ${hint} for pixKeyType ${destination.pixKeyType}` });
    }
  });

const bankAccountDestination = z.object({
  type: z.literal('BANK_ACCOUNT'),
  bankAccount: z.object(
    {
      ispb,
      branch: z.string(must('must be a string of digits')).regex(/^\d{1,4}$/, 'must be 1 to 4 digits'),
      account: z.string(must('must be a string of digits')).regex(/^\d{1,20}$/, 'must be 1 to 20 digits'),
      // Only `PAYMENT` is seen in the docs; the other SPI account types are accepted too.
      accountType: z.enum(['PAYMENT', 'CHECKING', 'SAVINGS', 'SALARY'], must('must be PAYMENT, CHECKING, SAVINGS or SALARY')),
    },
    must('must be an object with ispb, branch, account and accountType'),
  ),
});

export const cashOutRequestSchema = z.object({
  amount: reaisAmount(),
  externalReference,
  description: z.string(must('must be a string')).max(140, 'must be at most 140 characters').optional(),
  webhookUrl: httpUrl.optional(),
  payee: z.object(
    {
      name: personName,
      document: documentNumber,
      destination: z.discriminatedUnion(
        'type',
        [pixDestination, bankAccountDestination],
        must('must have type PIX (with pixKeyType and pixKey) or BANK_ACCOUNT (with bankAccount)'),
      ),
    },
    must('must be an object with name, document and destination'),
  ),
});
export type CashOutRequest = z.infer<typeof cashOutRequestSchema>;
export type CashOutPayee = CashOutRequest['payee'];

export const rebalanceRequestSchema = z.object({
  targetAmount: reaisAmount({ allowZero: true }),
});

/** Body of the sandbox's `POST /cash-in/:id/pay` control route. */
export const payRequestSchema = z.object({
  payerName: personName.optional(),
  payerDocument: documentNumber.optional(),
  bankIspb: ispb.optional(),
  allowExpired: z.boolean(must('must be true or false')).optional(),
});
export type PayRequest = z.infer<typeof payRequestSchema>;

/**
 * Parses `body` or throws a 400 `VALIDATION_ERROR` naming the first field at fault. A missing body
 * (no JSON sent) is validated as `{}`, so the answer names the missing fields rather than "body".
 */
export function parseBody<T extends z.ZodType>(schema: T, body: unknown): z.output<T> {
  const result = schema.safeParse(body === undefined ? {} : body);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const field = issue.path.map(String).join('.');
  if (!field) throw new SandboxProblem('VALIDATION_ERROR', 'The request body must be a JSON object.');
  // Zod's own wording for a missing field, where no `must(...)` message was given.
  const message = issue.message.includes('received undefined') ? 'is required' : issue.message;
  throw new SandboxProblem('VALIDATION_ERROR', `${field}: ${message}`);
}

/**
 * A POST body that is not declared as JSON would be skipped by `express.json()` and then reported
 * as "amount: is required"; say what is actually wrong instead.
 */
export const requireJsonContentType: RequestHandler = function requireJsonContentType(req, _res, next) {
  const hasBody = Number(req.get('content-length') ?? 0) > 0 || req.get('transfer-encoding') !== undefined;
  if (req.method === 'POST' && hasBody && !req.is('application/json')) {
    throw new SandboxProblem('VALIDATION_ERROR', `Content-Type: must be application/json, got "${req.get('content-type') ?? 'none'}"`);
  }
  next();
};
