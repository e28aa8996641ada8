/**
 * Cash-ins (PIX charges and Open Finance intents): creation with a real BR Code and QR image,
 * the AWAITING_PAYMENT → PAID → REFUNDED / EXPIRED life of docs/connectpsp.md §3.8, the wire views of
 * §3.1–§3.3, and the webhooks each change sends.
 */
import QRCode from 'qrcode';

import { centavosToReais } from '../money.js';
import { encodeBrCode, fitBrCodeText, formatBrCodeAmount } from '../pix/brcode.js';

import { credit, debit } from './accounts.js';
import { brasiliaIso } from './clock.js';
import { DEFAULT_MERCHANT_CITY, DEFAULT_MERCHANT_NAME, DEFAULTS, PAYER_BANKS } from './defaults.js';
import { newCashInInternalCode, newCashInTransactionId, newEndToEndId, pickOne, randomDigits } from './ids.js';
import { SandboxProblem } from './problem.js';
import type { CashInRecord, SandboxStore } from './state.js';
import type { CashInRequest, PayRequest, RefundRequest } from './validation.js';
import type { WebhookDispatcher } from './webhook-dispatcher.js';
import type { Faults } from './faults.js';

/** The longest location a BR Code may carry (object 26-25, docs/protocols.md §1.3). */
const MAX_LOCATION_LENGTH = 77;
const LOCATION_PATH = '/pix/v2/';

export interface CashInsOptions {
  store: SandboxStore;
  webhooks: WebhookDispatcher;
  now: () => number;
  /** Absolute URL of the sandbox router, without trailing slash. */
  publicUrl: string;
  merchantName: string;
  merchantCity: string;
  defaultWebhookUrl: string | null;
  /** Read lag and refund faults (faults.ts); none when absent. */
  faults?: Faults;
}

/** `GET /cash-in/{id}` (docs/connectpsp.md §3.2); also the `data` of cash-in webhooks and the refund 202. */
export function cashInView(record: CashInRecord) {
  const time = (ms: number | null) => (ms === null ? null : brasiliaIso(ms));
  return {
    transactionId: record.transactionId,
    internalCode: record.internalCode,
    externalReference: record.externalReference,
    endToEndId: record.endToEndId,
    originalEndToEndId: record.originalEndToEndId,
    status: record.status,
    amount: centavosToReais(record.amount),
    payer: { name: record.payer.name, document: record.payer.document, bankData: record.payer.bankData },
    requestedAt: brasiliaIso(record.requestedAt),
    paidAt: time(record.paidAt),
    refundedAt: time(record.refundedAt),
    expiredAt: time(record.expiredAt),
    // Sandbox's own field: the docs show no refund status and no failure event, so this is where
    // an asynchronous devolution's progress and failure are told (only when one was asked for).
    ...(record.refund?.status ? { refund: { status: record.refund.status, failure: record.refund.failure ?? null } } : {}),
  };
}

export class CashIns {
  /** Views the read side still answers with, until `until` (the `reads.lagMs` fault). */
  private readonly lagged = new Map<string, { view: ReturnType<typeof cashInView>; until: number }>();
  private readonly refundTimers = new Map<string, NodeJS.Timeout>();

  /** `host[:port]/path` of the sandbox, the prefix of every BR Code location. */
  private readonly locationBase: string;
  /** The configured names made to fit fields 59 (25) and 60 (15): a long name is cut, not fatal. */
  private readonly merchantName: string;
  private readonly merchantCity: string;

  constructor(private readonly options: CashInsOptions) {
    this.merchantName = fitBrCodeText(options.merchantName, 25) || DEFAULT_MERCHANT_NAME;
    this.merchantCity = fitBrCodeText(options.merchantCity, 15) || DEFAULT_MERCHANT_CITY;
    this.locationBase = options.publicUrl.replace(/^[a-z]+:\/\//i, '');
    // The short form (internal code) must fit, or no BR Code could ever be issued: fail at start.
    const shortest = this.locationBase + LOCATION_PATH + 'X'.repeat(7);
    if (shortest.length > MAX_LOCATION_LENGTH) {
      throw new RangeError(
        `publicUrl is too long for a BR Code location: "${shortest}" is ${shortest.length} characters, the limit is ${MAX_LOCATION_LENGTH}.`,
      );
    }
  }

  /**
   * `POST /cash-in`. All the slow work (the QR image) happens before the uniqueness check, and the
   * check and the insert happen together, so two concurrent requests cannot both take a reference.
   */
  async create(request: CashInRequest) {
    const { store, now } = this.options;
    let transactionId: string;
    let internalCode: string;
    do {
      transactionId = newCashInTransactionId();
      internalCode = newCashInInternalCode();
    } while (store.findCashIn(transactionId) || store.findCashIn(internalCode));

    const requestedAt = now();
    let pixData: { copyAndPaste: string; qrCodeImageBase64: string } | null = null;
    let openFinance: CashInRecord['openFinance'] = null;
    if (request.openFinance) {
      openFinance = { redirectUrl: request.openFinance.redirectUrl, paymentUrl: `${this.options.publicUrl}/open-finance/${transactionId}` };
    } else {
      const copyAndPaste = encodeBrCode({
        kind: 'dynamic',
        locationUrl: this.location(transactionId, internalCode),
        merchantName: this.merchantName,
        merchantCity: this.merchantCity,
        // A dynamic code's amount lives behind its location; it is repeated in field 54 (as many
        // PSPs do) so a reader can show it before fetching anything.
        amount: formatBrCodeAmount(request.amount),
      });
      const png = await QRCode.toBuffer(copyAndPaste, { errorCorrectionLevel: 'M', margin: 2, width: 300 });
      pixData = { copyAndPaste, qrCodeImageBase64: png.toString('base64') };
    }

    // The docs make externalReference unique per application but give no status for a duplicate
    // cash-in (docs/connectpsp.md §3.1); 409 is what they give for cash-out, and a conflict is what it
    // is. The reference stays taken after expiry: a new charge for the same order needs a new one.
    if (store.hasCashInReference(request.externalReference)) {
      throw new SandboxProblem(
        'DUPLICATE_EXTERNAL_REFERENCE',
        `A cash-in with externalReference "${request.externalReference}" already exists.`,
      );
    }
    const record: CashInRecord = {
      transactionId,
      internalCode,
      externalReference: request.externalReference,
      status: 'AWAITING_PAYMENT',
      amount: request.amount,
      payer: { name: request.payer.name, document: request.payer.document, bankData: null },
      endToEndId: null,
      originalEndToEndId: null,
      requestedAt,
      expiresAt: requestedAt + (request.expirationInMinutes ?? DEFAULTS.expirationInMinutes) * 60_000,
      paidAt: null,
      refundedAt: null,
      expiredAt: null,
      webhookUrl: request.webhookUrl ?? null,
      copyAndPaste: pixData?.copyAndPaste ?? null,
      openFinance,
      settlementBankIspb: null,
      refund: null,
    };
    store.addCashIn(record);

    // The 201 body of the docs' tutorial (docs/connectpsp.md §3.1).
    return {
      transactionId,
      internalCode,
      externalReference: record.externalReference,
      status: record.status,
      amount: centavosToReais(record.amount),
      payer: { name: record.payer.name, document: record.payer.document },
      ...(pixData ? { pixData } : { paymentUrl: openFinance!.paymentUrl }),
      requestedAt: brasiliaIso(requestedAt),
    };
  }

  /** By transactionId, internalCode or any of its end-to-end ids; 404 otherwise. Applies due expiry. */
  get(id: string): CashInRecord {
    const record = this.options.store.findCashIn(id);
    if (!record) throw new SandboxProblem('CASH_IN_NOT_FOUND', `No cash-in with id "${id}".`);
    if (this.expireIfDue(record)) this.options.store.save();
    return record;
  }

  /**
   * `GET /cash-in/{id}`: the view, or, within `reads.lagMs` of a change that sent a webhook, the
   * view from before it — a gateway whose read replica lags its webhooks.
   */
  readView(id: string) {
    const record = this.get(id);
    const lagged = this.lagged.get(record.transactionId);
    if (lagged && this.options.now() < lagged.until) return lagged.view;
    this.lagged.delete(record.transactionId);
    return cashInView(record);
  }

  /** Before a change that sends a webhook: remember what the read side will keep saying for a while. */
  private lagReads(record: CashInRecord): void {
    const lagMs = this.options.faults?.readLagMs ?? 0;
    if (lagMs > 0)
      this.lagged.set(record.transactionId, {
        view: this.lagged.get(record.transactionId)?.view ?? cashInView(record),
        until: this.options.now() + lagMs,
      });
  }

  /** The cash-in a sandbox BR Code points at, from its location URL (`…/pix/v2/<id>`). */
  getByLocation(locationUrl: string): CashInRecord {
    const at = locationUrl.lastIndexOf(LOCATION_PATH);
    if (at < 0) throw new SandboxProblem('CASH_IN_NOT_FOUND', `The location "${locationUrl}" is not one this sandbox issues.`);
    return this.get(locationUrl.slice(at + LOCATION_PATH.length));
  }

  /**
   * The payer pays (sandbox control). PAID gets an `E…` id generated by the payer's bank, the
   * payer's bank data, and a CASHIN_PAID webhook. An expired charge is refused unless
   * `allowExpired`, which stands for a settlement that raced the expiry; it then keeps its
   * `expiredAt` as a record of that race.
   */
  pay(id: string, request: PayRequest): CashInRecord {
    const record = this.get(id);
    if (record.status === 'PAID' || record.status === 'REFUNDED') {
      throw new SandboxProblem('CASH_IN_ALREADY_PAID', `Cash-in ${record.transactionId} is already ${record.status}.`);
    }
    if (record.status === 'CANCELLED') throw new SandboxProblem('CASH_IN_CANCELLED', `Cash-in ${record.transactionId} is cancelled.`);
    if (record.status === 'EXPIRED' && !request.allowExpired) {
      throw new SandboxProblem('CASH_IN_EXPIRED', `Cash-in ${record.transactionId} expired; send allowExpired: true to pay it anyway.`);
    }
    const bank = request.bankIspb ? PAYER_BANKS.find((b) => b.ispb === request.bankIspb) : pickOne(PAYER_BANKS);
    if (!bank) {
      throw new SandboxProblem('VALIDATION_ERROR', `bankIspb: must be one of ${PAYER_BANKS.map((b) => b.ispb).join(', ')}`);
    }
    const paidAt = this.options.now();
    this.lagReads(record);
    record.status = 'PAID';
    record.paidAt = paidAt;
    record.endToEndId = newEndToEndId('E', bank.ispb, paidAt);
    record.payer = {
      name: request.payerName ?? record.payer.name,
      document: request.payerDocument ?? record.payer.document,
      bankData: { ispb: bank.ispb, bank: bank.bank, branch: '0001', account: randomDigits(8) },
    };
    record.settlementBankIspb = credit(this.options.store.banks, record.amount);
    this.commit(record);
    this.notify('CASHIN_PAID', record);
    return record;
  }

  /**
   * `POST /cash-in/{id}/refund`: a full devolution of a PAID cash-in (docs/connectpsp.md §3.3). The new
   * `D…` id is generated by the partner bank the money landed in, and a CASHIN_REFUNDED webhook
   * follows. Refunding needs the money: without it, 422 INSUFFICIENT_FUNDS (not documented for
   * refunds, but the only honest answer).
   */
  refund(id: string, request: RefundRequest): CashInRecord {
    const record = this.get(id);
    switch (record.status) {
      case 'PAID':
        break;
      case 'AWAITING_PAYMENT':
        throw new SandboxProblem('CASH_IN_NOT_PAID', `Cash-in ${record.transactionId} has not been paid.`);
      case 'REFUNDED':
        throw new SandboxProblem('CASH_IN_ALREADY_REFUNDED', `Cash-in ${record.transactionId} was already refunded.`);
      case 'EXPIRED':
        throw new SandboxProblem('CASH_IN_EXPIRED', `Cash-in ${record.transactionId} expired without payment.`);
      case 'CANCELLED':
        throw new SandboxProblem('CASH_IN_CANCELLED', `Cash-in ${record.transactionId} is cancelled.`);
    }
    if (record.refund?.status === 'PROCESSING') {
      throw new SandboxProblem('CASH_IN_REFUND_IN_PROGRESS', `Cash-in ${record.transactionId} has a refund in progress.`);
    }
    const faults = this.options.faults;
    const refusal = faults?.takeRefundRefusal();
    if (refusal === 'MISSING_END_TO_END_ID') {
      throw new SandboxProblem(
        'MISSING_END_TO_END_ID',
        `Cash-in ${record.transactionId} has no settlement end-to-end id yet; try again later.`,
      );
    }
    if (refusal === 'INSUFFICIENT_FUNDS') {
      throw new SandboxProblem('INSUFFICIENT_FUNDS', `The balance cannot cover the refund of cash-in ${record.transactionId}.`);
    }
    debit(this.options.store.banks, record.amount);
    if (faults?.refunds.async) {
      // Accepted, not settled: the 202 shows the cash-in still PAID with its refund PROCESSING.
      record.refund = {
        reason: request.reason,
        description: request.description ?? null,
        status: 'PROCESSING',
        failure: null,
        settleAt: this.options.now() + faults.refunds.settleAfterMs,
        fails: faults.refundFails(),
      };
      this.commit(record);
      this.scheduleRefund(record);
      return record;
    }
    this.settleRefund(record, { reason: request.reason, description: request.description ?? null });
    return record;
  }

  /** The devolution reaches the payer: REFUNDED with a `D…` id from the bank the money landed in, and CASHIN_REFUNDED. */
  private settleRefund(record: CashInRecord, refund: NonNullable<CashInRecord['refund']>): void {
    const refundedAt = this.options.now();
    this.lagReads(record);
    record.status = 'REFUNDED';
    record.refundedAt = refundedAt;
    record.originalEndToEndId = record.endToEndId;
    record.endToEndId = newEndToEndId('D', record.settlementBankIspb ?? this.options.store.banks[0]!.ispb, refundedAt);
    record.refund = refund;
    this.commit(record);
    this.notify('CASHIN_REFUNDED', record);
  }

  private scheduleRefund(record: CashInRecord): void {
    const delay = Math.max(0, (record.refund?.settleAt ?? 0) - this.options.now());
    const timer = setTimeout(() => {
      this.refundTimers.delete(record.transactionId);
      const refund = record.refund;
      if (record.status !== 'PAID' || refund?.status !== 'PROCESSING') return;
      if (refund.fails) {
        // The devolution bounced: the money is back in the account, the cash-in stays PAID. The
        // docs name no event for this (docs/connectpsp.md §8), so none is sent: GET tells.
        credit(this.options.store.banks, record.amount);
        record.refund = {
          ...refund,
          status: 'FAILED',
          failure: {
            code: this.options.faults?.refunds.failureCode ?? 'REFUND_REJECTED',
            message: "The payer's bank rejected the devolution.",
          },
        };
        this.commit(record);
        return;
      }
      this.settleRefund(record, { ...refund, status: 'COMPLETED' });
    }, delay);
    timer.unref();
    this.refundTimers.set(record.transactionId, timer);
  }

  /** At start: settle the asynchronous refunds a restart interrupted. */
  resume(): void {
    for (const record of this.options.store.allCashIns())
      if (record.status === 'PAID' && record.refund?.status === 'PROCESSING') this.scheduleRefund(record);
  }

  close(): void {
    for (const timer of this.refundTimers.values()) clearTimeout(timer);
    this.refundTimers.clear();
  }

  /** Expires an unpaid cash-in now (sandbox control). Already expired: unchanged. */
  expireNow(id: string): CashInRecord {
    const record = this.get(id);
    if (record.status === 'EXPIRED') return record;
    if (record.status !== 'AWAITING_PAYMENT') {
      throw new SandboxProblem(
        'CASH_IN_ALREADY_PAID',
        `Cash-in ${record.transactionId} is ${record.status}; only an unpaid one can expire.`,
      );
    }
    record.expiresAt = this.options.now();
    this.expireIfDue(record);
    this.commit(record);
    return record;
  }

  /**
   * Ends an unpaid Open Finance intent without payment (the sandbox bank journey: the payer refused,
   * or the consent window was ended by the timeout control). CANCELLED is in the cash-in enum and is
   * the safe reading of an intent that ended with no money moved; the docs do not say how an Open
   * Finance intent ends (docs/connectpsp.md §3.1, §8). No webhook, for the reason given at
   * `expireIfDue`: clients learn it from GET. Already CANCELLED: unchanged.
   */
  cancel(id: string): CashInRecord {
    const record = this.get(id);
    if (record.status === 'CANCELLED') return record;
    if (record.status !== 'AWAITING_PAYMENT') {
      throw new SandboxProblem(
        'CASH_IN_ALREADY_PAID',
        `Cash-in ${record.transactionId} is ${record.status}; only an unpaid one can be cancelled.`,
      );
    }
    record.status = 'CANCELLED';
    this.commit(record);
    return record;
  }

  /** The periodic sweep: expires every unpaid cash-in whose time is up. */
  expireDue(): void {
    let changed = false;
    for (const record of this.options.store.allCashIns()) changed = this.expireIfDue(record) || changed;
    if (changed) this.options.store.save();
  }

  /**
   * EXPIRED at `expiresAt` (not at the moment we noticed). No webhook: the docs name none for
   * expiry (docs/connectpsp.md §4.3), and inventing one would let a client depend on an event the real
   * gateway may never send; clients learn of expiry by polling GET.
   */
  private expireIfDue(record: CashInRecord): boolean {
    if (record.status !== 'AWAITING_PAYMENT') return false;
    // An Open Finance consent window that ran out before the charge itself ends the intent
    // CANCELLED (see `cancel`), here so that reads and the sweep see it at once, like expiry.
    const consentEnd = record.openFinance?.consent?.expiresAt;
    if (consentEnd !== undefined && consentEnd < record.expiresAt && this.options.now() >= consentEnd) {
      record.status = 'CANCELLED';
      return true;
    }
    if (this.options.now() < record.expiresAt) return false;
    record.status = 'EXPIRED';
    record.expiredAt = record.expiresAt;
    return true;
  }

  /**
   * `host/path/pix/v2/<transactionId>`, or with the internal code when the 35-character id would
   * push it past the 77 characters a BR Code location may have.
   */
  private location(transactionId: string, internalCode: string): string {
    const long = this.locationBase + LOCATION_PATH + transactionId;
    return long.length <= MAX_LOCATION_LENGTH ? long : this.locationBase + LOCATION_PATH + internalCode;
  }

  private commit(record: CashInRecord): void {
    this.options.store.reindexCashIn(record);
    this.options.store.save();
  }

  private notify(eventType: 'CASHIN_PAID' | 'CASHIN_REFUNDED', record: CashInRecord): void {
    this.options.webhooks.publish(eventType, cashInView(record), record.webhookUrl ?? this.options.defaultWebhookUrl);
  }
}
