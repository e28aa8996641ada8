/**
 * Domain types of the ConnectPSP v2 gateway objects, as the rest of the project sees them.
 *
 * ConnectPSP speaks decimal reais (`10.5`); these types carry **integer centavos** (`1050`). The
 * client converts at its edge (request bodies on the way out, `schemas.ts` on the way in), so no
 * code outside `server/connectpsp/` ever handles a reais amount.
 *
 * Optional gateway fields are normalised to `null` rather than left `undefined`, so a consumer
 * checks one "absent" value. Field meanings: docs/connectpsp.md §3.
 */

/** `POST /auth/token` 200 body (docs/connectpsp.md §2.2). */
export interface AccessToken {
  /** The JWT, sent as `Authorization: Bearer <accessToken>` and signed into `DigitalSignature`. */
  accessToken: string;
  /** Always `Bearer` in the docs. */
  tokenType: string;
  /** Lifetime in seconds (3600 in the docs). */
  expiresIn: number;
  /** ISO 8601 UTC; informational only, the cache times expiry with its own clock. */
  issuedAt: string | null;
}

/** Cash-in (PIX charge) status enum of `GET /cash-in/{id}` (docs/connectpsp.md §3.2, §3.8). */
export type CashInStatus = 'AWAITING_PAYMENT' | 'PAID' | 'EXPIRED' | 'REFUNDED' | 'CANCELLED';

/** Cash-out (PIX transfer) status enum of `GET /cash-out/{id}` (docs/connectpsp.md §3.5, §3.8). */
export type CashOutStatus = 'PROCESSING' | 'COMPLETED' | 'FAILED' | 'REFUNDED' | 'CANCELLED';

/** Reasons accepted by `POST /cash-in/{id}/refund` (docs/connectpsp.md §3.3). */
export type RefundReason = 'FRAUD' | 'DUPLICATED_PAYMENT' | 'CUSTOMER_REQUEST' | 'MERCHANT_ERROR';

/** PIX key kinds for a cash-out to a key (docs/connectpsp.md §3.4). */
export type PixKeyType = 'CPF' | 'CNPJ' | 'EMAIL' | 'PHONE' | 'EVP';

/** The payer's bank, filled by the gateway after settlement. */
export interface PayerBankData {
  /** 8-digit ISPB of the payer's institution. */
  ispb: string | null;
  bank: string | null;
  branch: string | null;
  account: string | null;
}

export interface CashInPayer {
  name: string;
  /** CPF (11 digits) or CNPJ (14 digits), digits only. */
  document: string;
  /** Null before settlement. */
  bankData: PayerBankData | null;
}

/** What the payer needs for the standard PIX flow. */
export interface PixData {
  /** The "Pix Copia e Cola" BR Code. */
  copyAndPaste: string;
  /** Base64 PNG without a `data:` prefix; null if the gateway leaves it out. */
  qrCodeImageBase64: string | null;
}

/**
 * A cash-in: the body of `POST /cash-in` (201), `GET /cash-in/{id}`, and the `data` of
 * `CASHIN_*` webhooks (which carry "exactly the shape of the matching GET response").
 */
export interface CashIn {
  /** Opaque id; 35 alphanumerics in the examples, NOT a UUID. */
  transactionId: string;
  /** ConnectPSP's short code (e.g. `US7B1JQ`). */
  internalCode: string | null;
  externalReference: string;
  status: CashInStatus;
  /** Integer centavos. */
  amount: number;
  payer: CashInPayer | null;
  /** `E…` once paid, `D…` after a refund; null before settlement. */
  endToEndId: string | null;
  /** The original `E…` id when `endToEndId` holds a devolution. */
  originalEndToEndId: string | null;
  /** Standard PIX flow only (create response). */
  pixData: PixData | null;
  /** Open Finance flow only: where to send the payer to authorise in their bank. */
  paymentUrl: string | null;
  requestedAt: string | null;
  paidAt: string | null;
  refundedAt: string | null;
  expiredAt: string | null;
  /**
   * The devolution in progress or failed. Not in the docs (they name no refund status and no
   * failure event); the sandbox sends it and the server reads it when present, so a failed
   * devolution can be recorded. Absent at the real gateway, a refund stays PROCESSING on our side
   * until REFUNDED is seen (webhook or GET).
   */
  refund?: { status: 'PROCESSING' | 'COMPLETED' | 'FAILED'; failure: { code: string; message: string } | null } | null;
}

/**
 * `POST /cash-in/{id}/refund` 202 body. The docs show only its first four fields before being cut
 * off (docs/connectpsp.md §3.3), so only the devolution id is required; the rest is read when present.
 */
export interface CashInRefund {
  transactionId: string;
  internalCode: string | null;
  externalReference: string | null;
  /** The new `D…` end-to-end id of the devolution. */
  endToEndId: string;
  originalEndToEndId: string | null;
  status: CashInStatus | null;
  /** Integer centavos, when the gateway echoes it. */
  amount: number | null;
  refundedAt: string | null;
}

export interface PixKeyDestination {
  type: 'PIX';
  pixKeyType: PixKeyType;
  pixKey: string;
}

export interface BankAccountDestination {
  type: 'BANK_ACCOUNT';
  bankAccount: {
    /** 8-digit ISPB. */
    ispb: string;
    branch: string;
    account: string;
    /** `PAYMENT` is the only value the docs show. */
    accountType?: string | undefined;
  };
}

export type CashOutDestination = PixKeyDestination | BankAccountDestination;

export interface CashOutPayee {
  name: string;
  /** CPF or CNPJ, digits only. */
  document: string;
  destination: CashOutDestination;
}

/** Why a cash-out failed; present only when `status` is `FAILED`. */
export interface CashOutFailure {
  /** Machine-readable, e.g. `PIX_KEY_NOT_FOUND`. */
  code: string;
  message: string | null;
}

/**
 * A cash-out: the body of `GET /cash-out/{id}`, of `POST /cash-out` (202; assumed to be the same
 * object in `PROCESSING`, docs/connectpsp.md §3.4) and the `data` of `CASHOUT_*` webhooks.
 */
export interface CashOut {
  /** A UUID in the examples; still treat it as opaque. */
  transactionId: string;
  internalCode: string | null;
  externalReference: string;
  status: CashOutStatus;
  /** Integer centavos. */
  amount: number;
  /** `E…` when completed, `D…` when refunded, null when failed or still processing. */
  endToEndId: string | null;
  originalEndToEndId: string | null;
  failure: CashOutFailure | null;
  /** The response `payee`; its `bankAccount` sub-fields are not visible in the docs. */
  payee: CashOutPayee | null;
}

export interface BankAccountBalance {
  branch: string | null;
  account: string | null;
  /** Integer centavos. */
  balance: number;
}

export interface BankBalance {
  ispb: string;
  bank: string | null;
  accounts: {
    transactional: BankAccountBalance | null;
    proprietary: BankAccountBalance | null;
  };
}

/** `GET /account/balance` 200 body (docs/connectpsp.md §3.6). All amounts are integer centavos. */
export interface Balance {
  currency: string;
  referenceDate: string | null;
  consolidated: {
    totalBalance: number;
    /** Available for cash-out. */
    transactionalBalance: number;
    proprietaryBalance: number;
  };
  banks: BankBalance[];
  /** When the snapshot was taken; it may lag real time. */
  updatedAt: string | null;
}

/** `POST /account/rebalance` 200 body. */
export interface RebalanceResult {
  success: boolean;
  message: string | null;
}

/** Input of `createCashIn`. Amount in integer centavos. */
export interface CreateCashInInput {
  /** Integer centavos; sent to the gateway as decimal reais. */
  amount: number;
  /** Your order id; unique per application. */
  externalReference: string;
  /** Gateway default: 1440 (24 h). */
  expirationInMinutes?: number;
  /** Receives `CASHIN_PAID` and `CASHIN_REFUNDED`. */
  webhookUrl?: string;
  payer: { name: string; document: string };
  /** Present → Open Finance flow: the response carries `paymentUrl` instead of a QR. */
  openFinance?: { redirectUrl: string };
}

/** Input of `refundCashIn` (always a full refund). */
export interface RefundCashInInput {
  reason: RefundReason;
  /** Internal audit note, not shown to the payer. */
  description?: string;
}

/** Input of `createCashOut`. Amount in integer centavos. */
export interface CreateCashOutInput {
  /** Integer centavos; sent to the gateway as decimal reais. */
  amount: number;
  /** Unique; a duplicate gets `409 Conflict`. */
  externalReference: string;
  /** May appear on the payee's bank statement. */
  description?: string;
  /** Receives `CASHOUT_COMPLETED`, `CASHOUT_FAILED`, `CASHOUT_REFUNDED`. */
  webhookUrl?: string;
  payee: CashOutPayee;
}

/** Input of `rebalance`. */
export interface RebalanceInput {
  /** Integer centavos: the total exposure the transactional account must match. */
  targetAmount: number;
}

/** Options of every call that creates or moves money. */
export interface IdempotentCallOptions {
  /**
   * `X-Idempotency-Key`, a UUID v4 the caller generated and STORED before the first attempt, so a
   * crash-and-retry of the whole operation reuses it too. The client sends this same key on every
   * retry and never makes one up.
   */
  idempotencyKey: string;
}

/** Known webhook event types (docs/connectpsp.md §4.3). */
export type CashInEventType = 'CASHIN_PAID' | 'CASHIN_REFUNDED';
/**
 * `CASHOUT_CANCELLED` is not named by the docs (only the CANCELLED status is); the sandbox sends it and
 * the server forwards it if the real gateway ever does.
 */
export type CashOutEventType = 'CASHOUT_COMPLETED' | 'CASHOUT_FAILED' | 'CASHOUT_REFUNDED' | 'CASHOUT_CANCELLED';

interface EventBase {
  /** ISO 8601 UTC dispatch time (not the time of the business event; weak for ordering). */
  eventAt: string;
  /**
   * `X-Event-Id`: unique per DELIVERY ATTEMPT, so useful in logs but useless for deduplication
   * (docs/connectpsp.md §4.5). Null when the header was absent.
   */
  eventId: string | null;
}

export interface CashInEvent extends EventBase {
  eventType: CashInEventType;
  data: CashIn;
}

export interface CashOutEvent extends EventBase {
  eventType: CashOutEventType;
  data: CashOut;
}

/** An event type this code does not know. The receiver acknowledges and logs it. */
export interface UnknownEvent extends EventBase {
  eventType: 'UNKNOWN';
  /** The `eventType` as sent. */
  rawEventType: string;
  data: unknown;
}

/** A verified ConnectPSP webhook, discriminated on `eventType`. */
export type ConnectPspEvent = CashInEvent | CashOutEvent | UnknownEvent;
