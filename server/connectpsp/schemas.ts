/**
 * zod schemas of every ConnectPSP v2 response body and of the webhook envelope.
 *
 * Three rules, all from docs/connectpsp.md:
 * - Tolerant of extra fields: `z.object` strips unknown keys, so a gateway that adds fields does
 *   not break us (§0: we only saw part of each schema).
 * - Fields the docs show as possibly absent or null become `null` in the output (see `types.ts`).
 * - Every `amount`-like field is decimal reais on the wire and becomes integer centavos here
 *   (§6.3). A value with more than two decimals is an issue, never silently rounded.
 */
import { z } from 'zod';
import { reaisToCentavos } from '../money.js';
import type { AccessToken, Balance, CashIn, CashInRefund, CashOut, RebalanceResult } from './types.js';

/** A reais JSON number, output as integer centavos. */
export const reaisAmountSchema = z.number().transform((reais, ctx) => {
  try {
    return reaisToCentavos(reais);
  } catch (error) {
    ctx.addIssue(error instanceof Error ? error.message : String(error));
    return z.NEVER;
  }
});

/** A string the gateway may omit or send as null; output `string | null`. */
const nullableString = () => z.string().nullable().default(null);

const cashInStatusSchema = z.enum(['AWAITING_PAYMENT', 'PAID', 'EXPIRED', 'REFUNDED', 'CANCELLED']);
const cashOutStatusSchema = z.enum(['PROCESSING', 'COMPLETED', 'FAILED', 'REFUNDED', 'CANCELLED']);

export const accessTokenSchema: z.ZodType<AccessToken> = z.object({
  accessToken: z.string().min(1),
  tokenType: z.string().default('Bearer'),
  expiresIn: z.number().int().positive(),
  issuedAt: nullableString(),
});

const payerBankDataSchema = z.object({
  ispb: nullableString(),
  bank: nullableString(),
  branch: nullableString(),
  account: nullableString(),
});

const pixDataSchema = z.object({
  copyAndPaste: z.string().min(1),
  qrCodeImageBase64: nullableString(),
});

/**
 * `GET /cash-in/{id}` and the `POST /cash-in` 201 body. `paymentUrl` is documented at the top level
 * (§3.1), but the Open Finance response was not visible, so `openFinance.paymentUrl` is accepted too
 * and both end up in `paymentUrl`.
 */
export const cashInSchema: z.ZodType<CashIn> = z
  .object({
    transactionId: z.string().min(1),
    internalCode: nullableString(),
    externalReference: z.string(),
    status: cashInStatusSchema,
    amount: reaisAmountSchema,
    payer: z
      .object({
        name: z.string(),
        document: z.string(),
        bankData: payerBankDataSchema.nullable().default(null),
      })
      .nullable()
      .default(null),
    endToEndId: nullableString(),
    originalEndToEndId: nullableString(),
    pixData: pixDataSchema.nullable().default(null),
    paymentUrl: nullableString(),
    openFinance: z.object({ paymentUrl: nullableString() }).nullable().default(null),
    requestedAt: nullableString(),
    paidAt: nullableString(),
    refundedAt: nullableString(),
    expiredAt: nullableString(),
    refund: z
      .object({
        status: z.enum(['PROCESSING', 'COMPLETED', 'FAILED']),
        failure: z.object({ code: z.string(), message: z.string() }).nullable().default(null),
      })
      .nullable()
      .default(null),
  })
  .transform(({ openFinance, ...cashIn }) => ({
    ...cashIn,
    paymentUrl: cashIn.paymentUrl ?? openFinance?.paymentUrl ?? null,
  }));

/** `POST /cash-in/{id}/refund` 202 body: only the visible head of it is required (§3.3). */
export const cashInRefundSchema: z.ZodType<CashInRefund> = z.object({
  transactionId: z.string().min(1),
  internalCode: nullableString(),
  externalReference: nullableString(),
  endToEndId: z.string().min(1),
  originalEndToEndId: nullableString(),
  status: cashInStatusSchema.nullable().default(null),
  amount: reaisAmountSchema.nullable().default(null),
  refundedAt: nullableString(),
});

const cashOutDestinationSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('PIX'),
    pixKeyType: z.enum(['CPF', 'CNPJ', 'EMAIL', 'PHONE', 'EVP']),
    pixKey: z.string(),
  }),
  z.object({
    type: z.literal('BANK_ACCOUNT'),
    bankAccount: z.object({
      ispb: z.string(),
      branch: z.string(),
      account: z.string(),
      accountType: z.string().optional(),
    }),
  }),
]);

/** `GET /cash-out/{id}`, and the `POST /cash-out` 202 body. */
export const cashOutSchema: z.ZodType<CashOut> = z.object({
  transactionId: z.string().min(1),
  internalCode: nullableString(),
  externalReference: z.string(),
  status: cashOutStatusSchema,
  amount: reaisAmountSchema,
  endToEndId: nullableString(),
  originalEndToEndId: nullableString(),
  failure: z.object({ code: z.string(), message: nullableString() }).nullable().default(null),
  payee: z.object({ name: z.string(), document: z.string(), destination: cashOutDestinationSchema }).nullable().default(null),
});

const bankAccountBalanceSchema = z.object({
  branch: nullableString(),
  account: nullableString(),
  balance: reaisAmountSchema,
});

/** `GET /account/balance`. The `proprietary` shape was not visible; assumed equal to `transactional`. */
export const balanceSchema: z.ZodType<Balance> = z.object({
  currency: z.string(),
  referenceDate: nullableString(),
  consolidated: z.object({
    totalBalance: reaisAmountSchema,
    transactionalBalance: reaisAmountSchema,
    proprietaryBalance: reaisAmountSchema,
  }),
  banks: z
    .array(
      z.object({
        ispb: z.string(),
        bank: nullableString(),
        accounts: z.object({
          transactional: bankAccountBalanceSchema.nullable().default(null),
          proprietary: bankAccountBalanceSchema.nullable().default(null),
        }),
      }),
    )
    .default([]),
  updatedAt: nullableString(),
});

/** `POST /account/rebalance` 200. */
export const rebalanceResultSchema: z.ZodType<RebalanceResult> = z.object({
  success: z.boolean(),
  message: nullableString(),
});

/**
 * The webhook envelope (§4.1). `data` stays `unknown` here: which schema applies depends on
 * `eventType`, and unknown event types must still parse (see `webhooks.ts`).
 */
export const webhookEnvelopeSchema = z.object({
  eventType: z.string().min(1),
  eventAt: z.string().min(1),
  data: z.unknown(),
});

/** RFC 7807 problem details as ConnectPSP sends them (§5.1); every field optional, extra ignored. */
export const problemDetailsSchema = z.object({
  type: z.string().optional().catch(undefined),
  title: z.string().optional().catch(undefined),
  status: z.number().optional().catch(undefined),
  code: z.string().optional().catch(undefined),
  detail: z.string().optional().catch(undefined),
});
export type ProblemDetails = z.infer<typeof problemDetailsSchema>;

/**
 * One line naming the offending fields, e.g. `pixData.copyAndPaste: Invalid input: expected
 * string, received number`. Used in INVALID_RESPONSE errors and webhook payload errors.
 */
export function describeIssues(error: z.ZodError, pathPrefix = ''): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${formatPath(issue.path, pathPrefix)}: ${issue.message}`)
    .join('; ');
}

/** The path of the first issue, e.g. `data.amount`; the root is `(root)`, or the prefix alone. */
export function firstIssuePath(error: z.ZodError, pathPrefix = ''): string {
  return formatPath(error.issues[0]?.path ?? [], pathPrefix);
}

function formatPath(path: readonly PropertyKey[], prefix: string): string {
  const parts = [prefix, ...path.map(String)].filter((part) => part !== '');
  return parts.length > 0 ? parts.join('.') : '(root)';
}
