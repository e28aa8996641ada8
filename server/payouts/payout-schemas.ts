/** What the merchant may send for payouts and balances; every refusal names its field. */
import { z } from 'zod';
import { isValidTaxId, onlyDigits } from 'connectpsp-checkout/contract';
import { PAYOUT_STATUSES } from './payout.js';

const MAX_AMOUNT = 1_000_000_000;

const centavos = z
  .number({ error: 'must be an integer number of centavos, e.g. 1050 for R$ 10,50' })
  .int('must be an integer number of centavos (no fractions), e.g. 1050 for R$ 10,50')
  .max(MAX_AMOUNT, `must be at most ${MAX_AMOUNT} centavos`);

const taxId = z
  .string()
  .transform(onlyDigits)
  .refine((d) => d.length === 11 || d.length === 14, 'must be a CPF (11 digits) or a CNPJ (14 digits)')
  .refine(isValidTaxId, 'check digits do not match: not a valid CPF/CNPJ');

/** The PIX key formats of the DICT, as ConnectPSP takes them (digits only for CPF/CNPJ, +55… for phones). */
const PIX_KEY_CHECKS = {
  CPF: { test: (k: string) => /^\d{11}$/.test(k) && isValidTaxId(k), hint: 'a valid CPF of 11 digits' },
  CNPJ: { test: (k: string) => /^\d{14}$/.test(k) && isValidTaxId(k), hint: 'a valid CNPJ of 14 digits' },
  EMAIL: { test: (k: string) => z.email().safeParse(k).success && k.length <= 77, hint: 'an e-mail address' },
  PHONE: { test: (k: string) => /^\+55\d{10,11}$/.test(k), hint: '+55 followed by area code and number' },
  EVP: { test: (k: string) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(k), hint: 'a random key (UUID)' },
} as const;

const pixDestination = z
  .strictObject({
    type: z.literal('PIX'),
    pixKeyType: z.enum(['CPF', 'CNPJ', 'EMAIL', 'PHONE', 'EVP']),
    pixKey: z.string().trim().min(1, 'is required').max(77),
  })
  .superRefine((d, ctx) => {
    const check = PIX_KEY_CHECKS[d.pixKeyType];
    if (!check.test(d.pixKey))
      ctx.addIssue({ code: 'custom', path: ['pixKey'], message: `must be ${check.hint} for pixKeyType ${d.pixKeyType}` });
  });

const bankAccountDestination = z.strictObject({
  type: z.literal('BANK_ACCOUNT'),
  bankAccount: z.strictObject({
    ispb: z.string().regex(/^\d{8}$/, 'must be the 8-digit ISPB of the bank'),
    branch: z.string().regex(/^\d{1,4}$/, 'must be 1 to 4 digits'),
    account: z.string().regex(/^\d{1,20}$/, 'must be 1 to 20 digits (check digit included, no dash)'),
    accountType: z.enum(['PAYMENT', 'CHECKING', 'SAVINGS', 'SALARY']).default('PAYMENT'),
  }),
});

export const createPayoutSchema = z.strictObject({
  amount: centavos.positive('must be greater than zero'),
  externalReference: z
    .string()
    .trim()
    .min(1, 'is required')
    .max(100)
    .regex(/^[\w.:\-/#]+$/, 'may contain letters, digits and . _ - : / # only'),
  description: z.string().trim().max(140).optional(),
  payee: z.strictObject({
    name: z.string().trim().min(2, 'must have at least 2 characters').max(100),
    document: taxId,
    destination: z.discriminatedUnion('type', [pixDestination, bankAccountDestination], {
      error: 'must have type PIX (pixKeyType, pixKey) or BANK_ACCOUNT (bankAccount)',
    }),
  }),
});

export const listPayoutsQuerySchema = z.strictObject({
  limit: z.coerce.number().int('must be an integer').min(1).max(100).default(20),
  cursor: z.string().max(64).optional(),
  status: z.enum(PAYOUT_STATUSES as [string, ...string[]]).optional(),
});

export const rebalanceSchema = z.strictObject({
  /** The consolidated transactional balance to reach, in centavos. */
  targetAmount: centavos.nonnegative('must be zero or more'),
});

export const payoutIdSchema = z.string().regex(/^po_[0-9A-Za-z]{24}$/);

/** `Idempotency-Key` as every merchant route takes it. */
export const idempotencyKeySchema = z.string().regex(/^[\w.:-]{1,255}$/);
