/**
 * Money is integer centavos everywhere in the project. ConnectPSP speaks decimal reais, so these two
 * functions are used only at the ConnectPSP edge (client, sandbox, webhook parsing).
 */

/** 1050 → 10.5 (a JSON number ConnectPSP reads as R$ 10,50). */
export function centavosToReais(centavos: number): number {
  if (!Number.isSafeInteger(centavos)) throw new RangeError(`amount must be integer centavos, got ${centavos}`);
  // Division of an integer by 100 is exact enough for JSON: 1050 / 100 === 10.5 prints as "10.5".
  return centavos / 100;
}

/**
 * 10.5 → 1050. Rejects values with more than two decimals instead of rounding them away: a gateway
 * that reports R$ 10,505 is telling us something we must not silently "fix".
 */
export function reaisToCentavos(reais: number): number {
  if (typeof reais !== 'number' || !Number.isFinite(reais)) throw new RangeError(`amount in reais must be a finite number, got ${reais}`);
  const centavos = Math.round(reais * 100);
  if (Math.abs(centavos - reais * 100) > 1e-6) throw new RangeError(`amount ${reais} has more than two decimal places`);
  return centavos;
}

/** "R$ 10,50" in pt-BR; for logs and the sandbox pages, the widget formats with Intl itself. */
export function formatBrl(centavos: number): string {
  return new Intl.NumberFormat('pt-BR', { style: 'currency', currency: 'BRL' }).format(centavos / 100);
}
