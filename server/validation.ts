import { z } from 'zod';
import { PAYMENT_METHODS } from 'connectpsp-checkout/contract';
import { HttpError } from './http-error.js';
import { isValidTaxId, onlyDigits } from 'connectpsp-checkout/contract';

/** Largest amount accepted: R$ 10.000.000,00 — far above a PIX checkout, far below float trouble. */
const MAX_AMOUNT = 1_000_000_000;

export const payerSchema = z.object({
  name: z.string().trim().min(2, 'must have at least 2 characters').max(100),
  document: z
    .string()
    .transform(onlyDigits)
    .refine((d) => d.length === 11 || d.length === 14, 'must be a CPF (11 digits) or a CNPJ (14 digits)')
    .refine(isValidTaxId, 'check digits do not match: not a valid CPF/CNPJ'),
});

export const createCheckoutSchema = z
  .strictObject({
    amount: z
      .number({ error: 'must be an integer number of centavos, e.g. 1050 for R$ 10,50' })
      .int('must be an integer number of centavos (no fractions), e.g. 1050 for R$ 10,50')
      .positive('must be greater than zero')
      .max(MAX_AMOUNT, `must be at most ${MAX_AMOUNT} centavos`),
    externalReference: z
      .string()
      .trim()
      .min(1, 'is required')
      .max(100)
      .regex(/^[\w.:\-/#]+$/, 'may contain letters, digits and . _ - : / # only'),
    description: z.string().trim().max(140).optional(),
    payer: payerSchema.optional(),
    methods: z
      .array(z.enum(PAYMENT_METHODS as [string, ...string[]]))
      .min(1)
      .transform((m) => [...new Set(m)] as ('pix' | 'open_finance')[])
      .optional(),
    expiresInMinutes: z.number().int().min(1).max(1440).optional(),
    returnUrl: z.url({ protocol: /^https?$/ }).optional(),
    metadata: z
      .record(
        z
          .string()
          .max(40)
          .refine((k) => !['__proto__', 'constructor', 'prototype'].includes(k), 'may not be __proto__, constructor or prototype'),
        z.string().max(500),
      )
      .refine((m) => Object.keys(m).length <= 20, 'may have at most 20 keys')
      .optional(),
    /**
     * `"pix"`: create the PIX charge now, with the checkout, so the payer's page draws the QR from its
     * first answer (the session) instead of asking for it in a second round trip.
     */
    createCharge: z.literal('pix').optional(),
  })
  .refine((c) => !c.createCharge || c.payer, { path: ['createCharge'], message: 'needs a payer: ConnectPSP requires one on every charge' })
  .refine((c) => !c.createCharge || !c.methods || c.methods.includes('pix'), {
    path: ['createCharge'],
    message: 'needs "pix" among the methods',
  });

export const chargeRequestSchema = z.strictObject({
  payer: payerSchema.optional(),
});

export const openFinanceRequestSchema = z.strictObject({
  payer: payerSchema.optional(),
  /** The merchant page to come back to; defaults to the checkout's returnUrl. */
  returnUrl: z
    .url({ protocol: /^https?$/ })
    .max(500)
    .optional(),
});

export const refundRequestSchema = z.strictObject({
  /** A specific charge (a duplicate payment); by default the payment that settled the checkout. */
  transactionId: z.string().min(1).max(64).optional(),
  reason: z.enum(['FRAUD', 'DUPLICATED_PAYMENT', 'CUSTOMER_REQUEST', 'MERCHANT_ERROR']).optional(),
  description: z.string().trim().max(200).optional(),
});

export const checkoutIdSchema = z.string().regex(/^chk_[0-9A-Za-z]{24}$/);

/**
 * Parses `input` or throws a 400 that names the first field at fault, so a developer reading
 * the answer knows what to fix without reading our source.
 */
export function parseBody<T extends z.ZodType>(schema: T, input: unknown): z.infer<T> {
  if (input === undefined) input = {};
  const result = schema.safeParse(input, { reportInput: true });
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const field = issue.path.map(String).join('.') || undefined;
  const message =
    issue.code === 'unrecognized_keys'
      ? `unknown field${issue.keys.length > 1 ? 's' : ''}: ${issue.keys.join(', ')}`
      : issue.code === 'invalid_type' && issue.input === undefined
        ? `${field ?? 'body'} is required`
        : `${field ?? 'body'} ${issue.message}`;
  const unknownField = issue.code === 'unrecognized_keys' ? [...issue.path.map(String), issue.keys[0]].join('.') : undefined;
  throw new HttpError(400, message, { field: unknownField ?? field });
}
