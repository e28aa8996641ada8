/**
 * The gateway's money, split across three partner banks, each with a Transactional account (backs
 * cash-outs) and a Proprietary one (reserve), as `GET /account/balance` shows it (docs/connectpsp.md
 * §3.6). How ConnectPSP spreads money across partners is not documented (§8); the sandbox keeps
 * it simple and predictable, as each function says.
 */
import { centavosToReais } from '../money.js';

import { brasiliaDate, utcIso } from './clock.js';
import { SandboxProblem } from './problem.js';
import type { BankLedger } from './state.js';

/** `R$ 500.00`, the way the docs' INSUFFICIENT_FUNDS example writes amounts. */
export function formatReais(centavos: number): string {
  return `R$ ${Math.floor(centavos / 100)}.${String(centavos % 100).padStart(2, '0')}`;
}

export function totalTransactional(banks: readonly BankLedger[]): number {
  return banks.reduce((sum, bank) => sum + bank.transactional.balance, 0);
}

function totalProprietary(banks: readonly BankLedger[]): number {
  return banks.reduce((sum, bank) => sum + bank.proprietary.balance, 0);
}

/** A settled cash-in lands in the first partner's transactional account. Returns that bank's ISPB. */
export function credit(banks: BankLedger[], centavos: number): string {
  const bank = banks[0]!;
  bank.transactional.balance += centavos;
  return bank.ispb;
}

/** Puts money back into one bank's transactional account (a failed cash-out's reservation). */
export function creditBank(banks: BankLedger[], ispb: string, centavos: number): void {
  const bank = banks.find((b) => b.ispb === ispb) ?? banks[0]!;
  bank.transactional.balance += centavos;
}

/**
 * Takes `centavos` out of the transactional accounts, or throws 422 `INSUFFICIENT_FUNDS` against the
 * consolidated transactional balance (the figure the docs' error detail quotes). Drawn from the
 * richest bank first; returns the ISPB of the bank that paid most of it, which signs the E2E id.
 */
export function debit(banks: BankLedger[], centavos: number): string {
  const available = totalTransactional(banks);
  if (centavos > available) {
    throw new SandboxProblem(
      'INSUFFICIENT_FUNDS',
      `The requested amount of ${formatReais(centavos)} exceeds available balance of ${formatReais(available)}.`,
    );
  }
  const byBalance = [...banks].sort((a, b) => b.transactional.balance - a.transactional.balance);
  let remaining = centavos;
  for (const bank of byBalance) {
    const taken = Math.min(remaining, bank.transactional.balance);
    bank.transactional.balance -= taken;
    remaining -= taken;
    if (remaining === 0) break;
  }
  return byBalance[0]!.ispb;
}

/**
 * Sets the consolidated transactional balance to `targetCentavos` (docs/connectpsp.md §3.7): a top-up
 * pulls the difference from the proprietary accounts, a sweep pushes the excess back, bank by bank
 * in partner order, each bank moving money only between its own two accounts. A top-up larger than
 * the proprietary total is refused with 422 `INSUFFICIENT_FUNDS` (the most likely real answer,
 * docs/connectpsp.md §3.7) and moves nothing.
 */
export function rebalance(banks: BankLedger[], targetCentavos: number): void {
  let difference = targetCentavos - totalTransactional(banks);
  if (difference > 0) {
    const reserve = totalProprietary(banks);
    if (difference > reserve) {
      throw new SandboxProblem(
        'INSUFFICIENT_FUNDS',
        `A top-up of ${formatReais(difference)} exceeds the proprietary balance of ${formatReais(reserve)}.`,
      );
    }
    for (const bank of banks) {
      const moved = Math.min(difference, bank.proprietary.balance);
      bank.proprietary.balance -= moved;
      bank.transactional.balance += moved;
      difference -= moved;
    }
  } else {
    let excess = -difference;
    for (const bank of banks) {
      const moved = Math.min(excess, bank.transactional.balance);
      bank.transactional.balance -= moved;
      bank.proprietary.balance += moved;
      excess -= moved;
    }
  }
}

/** The `GET /account/balance` body, amounts in reais. */
export function balanceView(banks: readonly BankLedger[], nowMs: number) {
  const transactional = totalTransactional(banks);
  const proprietary = totalProprietary(banks);
  return {
    currency: 'BRL',
    referenceDate: brasiliaDate(nowMs),
    consolidated: {
      totalBalance: centavosToReais(transactional + proprietary),
      transactionalBalance: centavosToReais(transactional),
      proprietaryBalance: centavosToReais(proprietary),
    },
    banks: banks.map((bank) => ({
      ispb: bank.ispb,
      bank: bank.bank,
      accounts: {
        transactional: { ...bank.transactional, balance: centavosToReais(bank.transactional.balance) },
        // Sub-fields not visible in the docs; the same shape as `transactional` is the natural guess.
        proprietary: { ...bank.proprietary, balance: centavosToReais(bank.proprietary.balance) },
      },
    })),
    updatedAt: utcIso(nowMs),
  };
}
