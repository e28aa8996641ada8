/**
 * Fixed values of the ConnectPSP sandbox: its default credentials, the partner banks behind the
 * balance, and the banks a sandbox payer pays from. Nothing here is secret: the sandbox is for
 * development only and never moves money.
 */

/** The four ConnectPSP credentials (docs/connectpsp.md §2.1). */
export interface ConnectPspCredentials {
  clientId: string;
  clientSecret: string;
  applicationToken: string;
  cryptoToken: string;
}

/** Credentials the sandbox accepts when none are configured (`npm run sandbox`, tests, the demo). */
export const SANDBOX_CREDENTIALS: Readonly<ConnectPspCredentials> = Object.freeze({
  /** Numeric, sent as a JSON string, like the real onboarding gives it. */
  clientId: '100200300',
  /** GUID-shaped, like the real one. */
  clientSecret: '5b0c2d8e-8f3a-4c1e-9a57-3e2f1b7d6c40',
  /** GUID-shaped, like the real one. */
  applicationToken: '0f4d1c2b-7e6a-4b3c-8d9e-a1b2c3d4e5f6',
  cryptoToken: 'sandbox-crypto-token-change-me',
});

export const DEFAULT_MERCHANT_NAME = 'CONNECTPSP SANDBOX';
export const DEFAULT_MERCHANT_CITY = 'SAO PAULO';

/** Defaults of the tunable timings (milliseconds unless the name says otherwise). */
export const DEFAULTS = Object.freeze({
  /** docs/connectpsp.md §3.1: `expirationInMinutes` defaults to 1440 (24 h). */
  expirationInMinutes: 1440,
  /** How long a cash-out stays PROCESSING before it settles. */
  cashOutSettleDelayMs: 2000,
  /** How often AWAITING_PAYMENT cash-ins are checked for expiry (reads also check). */
  expirySweepMs: 1000,
  webhookBaseDelayMs: 1000,
  webhookMaxDelayMs: 60_000,
  webhookMaxAttempts: 15,
  /** docs/connectpsp.md §4.4: receivers must answer within 5 seconds; a slower answer counts as failed. */
  webhookTimeoutMs: 5000,
  /** Delivery attempts kept for `GET /sandbox/webhooks`. */
  webhookLogSize: 1000,
  /** Not documented (docs/connectpsp.md §8): we keep idempotency keys for 24 h, like most gateways. */
  idempotencyRetentionMs: 24 * 60 * 60 * 1000,
});

/** A cash-out to this Pix key fails with `PIX_KEY_NOT_FOUND`, so clients can test the failure path. */
export const FAILING_PIX_KEY = '00000000000';

/** One of the gateway's banking partners (docs/connectpsp.md §3.6), with its opening balances in centavos. */
export interface PartnerBankSeed {
  ispb: string;
  bank: string;
  branch: string;
  transactionalAccount: string;
  proprietaryAccount: string;
  transactionalBalance: number;
  proprietaryBalance: number;
}

/**
 * The three partners of §3.6. Opening balances reproduce the docs' example (R$ 500,000.00
 * transactional, R$ 1,000,000.00 proprietary, R$ 1,500,000.00 in total; Celcoin transactional
 * R$ 200,000.00). Celcoin's ISPB and name are the docs' own; Stark Bank's ISPB is its public one.
 * Delbank's real ISPB could not be confirmed, so it gets an obviously fictitious `99999001`.
 */
export const PARTNER_BANKS: readonly PartnerBankSeed[] = Object.freeze([
  {
    ispb: '99999001',
    bank: 'BANCO DELBANK S.A.',
    branch: '0001',
    transactionalAccount: '100001',
    proprietaryAccount: '100002',
    transactionalBalance: 15_000_000,
    proprietaryBalance: 30_000_000,
  },
  {
    ispb: '13935893',
    bank: 'CELCOIN IP S.A.',
    branch: '0001',
    transactionalAccount: '123456',
    proprietaryAccount: '123457',
    transactionalBalance: 20_000_000,
    proprietaryBalance: 40_000_000,
  },
  {
    ispb: '20018183',
    bank: 'STARK BANK S.A.',
    branch: '0001',
    transactionalAccount: '200001',
    proprietaryAccount: '200002',
    transactionalBalance: 15_000_000,
    proprietaryBalance: 30_000_000,
  },
]);

/** Banks a sandbox payer can pay from (`payer.bankData`). Real ISPBs, so the E2E ids look real. */
export const PAYER_BANKS: readonly { ispb: string; bank: string }[] = Object.freeze([
  { ispb: '00000000', bank: 'Banco do Brasil S.A.' },
  { ispb: '00360305', bank: 'Caixa Econômica Federal' },
  { ispb: '60746948', bank: 'Banco Bradesco S.A.' },
  { ispb: '60701190', bank: 'Itaú Unibanco S.A.' },
  { ispb: '18236120', bank: 'Nu Pagamentos S.A.' },
  { ispb: '00416968', bank: 'Banco Inter S.A.' },
]);
