/**
 * What the sandbox bank does with an Open Finance payment intent: the consent and its 5-minute
 * window, approval (settles the cash-in like a real payment), refusal and timeout. The HTTP side is
 * open-finance-routes.ts; the pages are open-finance-pages.ts.
 *
 * The real journey is not documented beyond `paymentUrl` (docs/connectpsp.md §3.1), so this follows
 * Open Finance Brasil (docs/protocols.md §2.1): a consent starts AWAITING_AUTHORISATION, can be approved
 * only within 5 minutes, and ends REJECTED when the payer refuses or the time runs out. How that
 * shows on the ConnectPSP cash-in is not documented either: approval → PAID with an `E…` id and a
 * CASHIN_PAID webhook (the only outcome the docs describe), refusal or timeout → CANCELLED (see
 * `CashIns.cancel`). Everything here is synchronous, so two requests can never interleave between
 * a check and the change it guards.
 */
import type { CashIns } from './cash-in.js';
import type { SandboxInstitution } from './bank-logos.js';
import type { CashInRecord, OpenFinanceConsent, SandboxStore } from './state.js';

/** AWAITING_AUTHORISATION expires at creation + 5 minutes (docs/protocols.md §2.1). */
export const CONSENT_WINDOW_MS = 5 * 60_000;

/** An Open Finance cash-in, as the journey handles it. */
export type OpenFinanceCashIn = CashInRecord & { openFinance: NonNullable<CashInRecord['openFinance']> };

/**
 * Where an intent stands, for the pages. `open`: it can still be approved; the others are final.
 * Rejection reasons are Open Finance Brasil's consent codes, shown on the pages as the UX rules ask
 * (docs/protocols.md §2.5: "show the error code").
 */
export type JourneyState =
  | { kind: 'open' }
  | { kind: 'paid' }
  | { kind: 'rejected'; code: 'REJEITADO_USUARIO' }
  | { kind: 'timed_out'; code: 'TEMPO_EXPIRADO_AUTORIZACAO' }
  | { kind: 'expired'; code: 'EXPIRED' };

/** A journey that can no longer be approved. */
export type EndedState = Exclude<JourneyState, { kind: 'open' }>;

export type ApproveOutcome =
  | { kind: 'approved'; record: OpenFinanceCashIn }
  | { kind: 'already_paid'; record: OpenFinanceCashIn }
  | { kind: 'no_consent' }
  | { kind: 'refused'; state: EndedState };

export class OpenFinanceJourney {
  constructor(private readonly deps: { cashIns: CashIns; store: SandboxStore; now: () => number }) {}

  /**
   * The Open Finance cash-in behind a `paymentUrl`, with any due expiry or consent timeout applied.
   * Only the transactionId the sandbox put in the URL finds it (not the internal code or an E2E
   * id), and PIX cash-ins are not found: neither has a bank journey.
   */
  find(transactionId: string): OpenFinanceCashIn | undefined {
    const record = this.deps.store.findCashIn(transactionId);
    if (!record || record.transactionId !== transactionId || !record.openFinance) return undefined;
    // get() applies a due expiry or consent timeout and saves it.
    return this.deps.cashIns.get(transactionId) as OpenFinanceCashIn;
  }

  state(record: OpenFinanceCashIn): JourneyState {
    switch (record.status) {
      case 'AWAITING_PAYMENT':
        return { kind: 'open' };
      case 'PAID':
      case 'REFUNDED':
        return { kind: 'paid' };
      case 'EXPIRED':
        return { kind: 'expired', code: 'EXPIRED' };
      case 'CANCELLED':
        // Only this journey cancels a cash-in in the sandbox: by refusal, or else by the window.
        return record.openFinance.consent?.rejectedAt != null
          ? { kind: 'rejected', code: 'REJEITADO_USUARIO' }
          : { kind: 'timed_out', code: 'TEMPO_EXPIRADO_AUTORIZACAO' };
    }
  }

  /**
   * The consent screen is being shown: the window starts now if this is the first time for this
   * transaction, and the chosen institution is remembered. Choosing another bank later does not
   * restart it. (In Open Finance each bank redirect would carry its own consent; the sandbox keeps
   * one window per payment intent, so the 5 minutes the merchant page shows stay true.)
   */
  openConsent(record: OpenFinanceCashIn, institution: SandboxInstitution): OpenFinanceConsent {
    const consent = this.ensureConsent(record, institution.id);
    if (consent.bankId !== institution.id) consent.bankId = institution.id;
    this.deps.store.save();
    return consent;
  }

  /** When approval stops being possible: the end of the window, or the charge's own expiry if sooner. */
  deadline(record: OpenFinanceCashIn, consent: OpenFinanceConsent): number {
    return Math.min(consent.expiresAt, record.expiresAt);
  }

  /**
   * The payer approves at `institution`. Within the window the cash-in is settled exactly like the
   * `pay` control (PAID, `E…` id from the institution's ISPB, its bank data, CASHIN_PAID). Approving
   * again answers `already_paid` and pays nothing. After the window the intent is already
   * CANCELLED (find() applied it) and the approval is refused.
   */
  approve(record: OpenFinanceCashIn, institution: SandboxInstitution): ApproveOutcome {
    const state = this.state(record);
    if (state.kind === 'paid') return { kind: 'already_paid', record };
    if (state.kind !== 'open') return { kind: 'refused', state };
    const consent = record.openFinance.consent;
    // A consent exists only once its screen was shown: nothing can be approved before that.
    if (!consent) return { kind: 'no_consent' };
    // pay() re-applies due expiry first, then settles, saves and sends CASHIN_PAID.
    const paid = this.deps.cashIns.pay(record.transactionId, { bankIspb: institution.ispb }) as OpenFinanceCashIn;
    consent.bankId = institution.id;
    consent.authorisedAt = paid.paidAt;
    this.deps.store.save();
    return { kind: 'approved', record: paid };
  }

  /** The payer refuses: the intent ends CANCELLED. Refusing an ended intent changes nothing. */
  reject(record: OpenFinanceCashIn): JourneyState {
    if (this.state(record).kind !== 'open') return this.state(record);
    this.ensureConsent(record, null).rejectedAt = this.deps.now();
    this.deps.cashIns.cancel(record.transactionId);
    return this.state(record);
  }

  /**
   * Ends the consent window now (sandbox control): the intent becomes CANCELLED as if the payer had
   * let the 5 minutes pass. Works before the consent screen was ever shown too. An intent that has
   * already ended without payment is returned as it is; a paid one is refused by `cancel`.
   */
  timeout(record: OpenFinanceCashIn): OpenFinanceCashIn {
    if (record.status === 'CANCELLED' || record.status === 'EXPIRED') return record;
    if (record.status === 'AWAITING_PAYMENT') this.ensureConsent(record, null).expiresAt = this.deps.now();
    return this.deps.cashIns.cancel(record.transactionId) as OpenFinanceCashIn;
  }

  private ensureConsent(record: OpenFinanceCashIn, bankId: string | null): OpenFinanceConsent {
    if (!record.openFinance.consent) {
      const now = this.deps.now();
      record.openFinance.consent = { bankId, createdAt: now, expiresAt: now + CONSENT_WINDOW_MS, authorisedAt: null, rejectedAt: null };
    }
    return record.openFinance.consent;
  }
}

/** The consent as the timeout control reports it, in Open Finance's terms. */
export function consentView(record: OpenFinanceCashIn, toIso: (ms: number) => string) {
  const consent = record.openFinance.consent;
  if (!consent) return null;
  const status = consent.authorisedAt !== null ? 'CONSUMED' : record.status === 'AWAITING_PAYMENT' ? 'AWAITING_AUTHORISATION' : 'REJECTED';
  return {
    status,
    bankId: consent.bankId,
    createdAt: toIso(consent.createdAt),
    expiresAt: toIso(consent.expiresAt),
    rejectionReason: status !== 'REJECTED' ? null : consent.rejectedAt !== null ? 'REJEITADO_USUARIO' : 'TEMPO_EXPIRADO_AUTORIZACAO',
  };
}
