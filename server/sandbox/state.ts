/**
 * Everything the sandbox remembers: cash-ins, cash-outs, the partner-bank ledgers and the
 * idempotency records, with lookups by every id the API accepts. Money is integer centavos and
 * times are epoch milliseconds here; the views convert to reais and ISO strings on the way out.
 *
 * With a `stateFile`, the whole state is written after every mutation (to a temporary file, then
 * renamed over the old one, so a crash never leaves half a file) and read back at start, so a
 * restart keeps its charges. Pending webhook retries and tokens are not kept: see `sandbox.ts`.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

import { PARTNER_BANKS } from './defaults.js';
import type { CashOutPayee } from './validation.js';

export type CashInStatus = 'AWAITING_PAYMENT' | 'PAID' | 'EXPIRED' | 'REFUNDED' | 'CANCELLED';
export type CashOutStatus = 'PROCESSING' | 'COMPLETED' | 'FAILED' | 'REFUNDED' | 'CANCELLED';

/** The payer's account, known once the payment settles (docs/connectpsp.md §3.2 `payer.bankData`). */
export interface BankData {
  ispb: string;
  bank: string;
  branch: string;
  account: string;
}

export interface CashInRecord {
  transactionId: string;
  internalCode: string;
  externalReference: string;
  status: CashInStatus;
  /** Centavos. */
  amount: number;
  payer: { name: string; document: string; bankData: BankData | null };
  endToEndId: string | null;
  originalEndToEndId: string | null;
  requestedAt: number;
  expiresAt: number;
  paidAt: number | null;
  refundedAt: number | null;
  expiredAt: number | null;
  webhookUrl: string | null;
  /** The BR Code handed out, for PIX cash-ins. */
  copyAndPaste: string | null;
  openFinance: { redirectUrl: string; paymentUrl: string; consent?: OpenFinanceConsent } | null;
  /** The partner bank the payment landed in; a refund goes back out of it. */
  settlementBankIspb: string | null;
  /**
   * The devolution asked for. `status` (sandbox's own, see `cashInView`): PROCESSING while an
   * asynchronous refund settles (`settleAt`), FAILED when it did not; absent for one settled at once.
   */
  refund: {
    reason: string;
    description: string | null;
    status?: 'PROCESSING' | 'COMPLETED' | 'FAILED';
    failure?: { code: string; message: string } | null;
    settleAt?: number;
    fails?: boolean;
  } | null;
}

/**
 * The consent of the sandbox bank journey (open-finance-journey.ts), kept with its cash-in so the
 * 5-minute window survives a restart. Absent until the consent screen is first shown (state files
 * written before it existed simply have none).
 */
export interface OpenFinanceConsent {
  /** The sandbox institution chosen last (bank-logos.ts id); null when ended before any was chosen. */
  bankId: string | null;
  /** When the consent screen was first shown: the window starts here. */
  createdAt: number;
  /** End of the window: createdAt + 5 minutes, or earlier when the timeout control ended it. */
  expiresAt: number;
  /** The payer approved (the cash-in is then PAID). */
  authorisedAt: number | null;
  /** The payer refused (the cash-in is then CANCELLED). */
  rejectedAt: number | null;
}

export interface CashOutRecord {
  transactionId: string;
  internalCode: string;
  externalReference: string;
  status: CashOutStatus;
  /** Centavos. */
  amount: number;
  description: string | null;
  payee: CashOutPayee;
  endToEndId: string | null;
  originalEndToEndId: string | null;
  failure: { code: string; message: string } | null;
  webhookUrl: string | null;
  requestedAt: number;
  /** When the pending settlement is due (PROCESSING only); survives a restart. */
  settleAt: number;
  /** The partner bank the money was reserved from, returned to it if the cash-out fails. */
  sourceBankIspb: string;
}

export interface AccountLedger {
  branch: string;
  account: string;
  /** Centavos. */
  balance: number;
}

export interface BankLedger {
  ispb: string;
  bank: string;
  transactional: AccountLedger;
  proprietary: AccountLedger;
}

/** A replayable answer to a POST that carried `X-Idempotency-Key`. */
export interface IdempotencyRecord {
  key: string;
  /** Method, path and canonical body of the original request. */
  fingerprint: string;
  status: number;
  body: unknown;
  createdAt: number;
}

interface StateFile {
  version: 1;
  cashIns: CashInRecord[];
  cashOuts: CashOutRecord[];
  banks: BankLedger[];
  idempotency: IdempotencyRecord[];
}

/** In-memory state with optional write-through persistence. */
export class SandboxStore {
  readonly banks: BankLedger[];
  readonly idempotency = new Map<string, IdempotencyRecord>();
  private readonly cashIns = new Map<string, CashInRecord>();
  private readonly cashOuts = new Map<string, CashOutRecord>();
  /** transactionId, internalCode and every end-to-end id → record. */
  private readonly cashInIndex = new Map<string, CashInRecord>();
  private readonly cashOutIndex = new Map<string, CashOutRecord>();
  /** Kept apart for cash-ins and cash-outs: an order id and a withdrawal id may coincide. */
  private readonly cashInReferences = new Set<string>();
  private readonly cashOutReferences = new Set<string>();

  constructor(private readonly file?: string) {
    const saved = file ? readStateFile(file) : undefined;
    this.banks = saved?.banks ?? seedBanks();
    for (const record of saved?.cashIns ?? []) this.addCashIn(record, { persist: false });
    for (const record of saved?.cashOuts ?? []) this.addCashOut(record, { persist: false });
    for (const record of saved?.idempotency ?? []) this.idempotency.set(record.key, record);
  }

  findCashIn(id: string): CashInRecord | undefined {
    return this.cashInIndex.get(id);
  }

  findCashOut(id: string): CashOutRecord | undefined {
    return this.cashOutIndex.get(id);
  }

  allCashIns(): IterableIterator<CashInRecord> {
    return this.cashIns.values();
  }

  allCashOuts(): IterableIterator<CashOutRecord> {
    return this.cashOuts.values();
  }

  hasCashInReference(externalReference: string): boolean {
    return this.cashInReferences.has(externalReference);
  }

  hasCashOutReference(externalReference: string): boolean {
    return this.cashOutReferences.has(externalReference);
  }

  addCashIn(record: CashInRecord, { persist = true } = {}): void {
    this.cashIns.set(record.transactionId, record);
    this.cashInReferences.add(record.externalReference);
    this.reindexCashIn(record);
    if (persist) this.save();
  }

  addCashOut(record: CashOutRecord, { persist = true } = {}): void {
    this.cashOuts.set(record.transactionId, record);
    this.cashOutReferences.add(record.externalReference);
    this.reindexCashOut(record);
    if (persist) this.save();
  }

  /** Call after a record gained an end-to-end id, so GET finds it by that id too. */
  reindexCashIn(record: CashInRecord): void {
    for (const id of [record.transactionId, record.internalCode, record.endToEndId, record.originalEndToEndId]) {
      if (id) this.cashInIndex.set(id, record);
    }
  }

  reindexCashOut(record: CashOutRecord): void {
    for (const id of [record.transactionId, record.internalCode, record.endToEndId, record.originalEndToEndId]) {
      if (id) this.cashOutIndex.set(id, record);
    }
  }

  /** Writes the whole state when a file is configured; call after every mutation. */
  save(): void {
    if (!this.file) return;
    const data: StateFile = {
      version: 1,
      cashIns: [...this.cashIns.values()],
      cashOuts: [...this.cashOuts.values()],
      banks: this.banks,
      idempotency: [...this.idempotency.values()],
    };
    mkdirSync(dirname(this.file), { recursive: true });
    const temporary = `${this.file}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify(data));
    renameSync(temporary, this.file);
  }
}

function seedBanks(): BankLedger[] {
  return PARTNER_BANKS.map((seed) => ({
    ispb: seed.ispb,
    bank: seed.bank,
    transactional: { branch: seed.branch, account: seed.transactionalAccount, balance: seed.transactionalBalance },
    proprietary: { branch: seed.branch, account: seed.proprietaryAccount, balance: seed.proprietaryBalance },
  }));
}

/**
 * Reads a state file. A missing file is a fresh start; an unreadable one stops the sandbox rather
 * than silently starting empty, which would look like lost charges.
 */
function readStateFile(file: string): StateFile | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const data = JSON.parse(text) as Partial<StateFile>;
  if (data.version !== 1 || !Array.isArray(data.cashIns) || !Array.isArray(data.cashOuts) || !Array.isArray(data.banks)) {
    throw new Error(`${file} is not a ConnectPSP sandbox state file (version 1); move it away to start afresh.`);
  }
  return { version: 1, cashIns: data.cashIns, cashOuts: data.cashOuts, banks: data.banks, idempotency: data.idempotency ?? [] };
}
