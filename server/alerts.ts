import type { ConnectPspError } from './connectpsp/errors.js';
import type { Logger } from './logger.js';

/**
 * ConnectPSP errors a person has to act on, with the action (docs/connectpsp.md §5.3). They are logged
 * at error level with `alert: true`, so a log-based alert rule needs one filter.
 */
export const OPERATOR_ACTIONS: Readonly<Record<string, string>> = {
  INVALID_CREDENTIALS: 'ConnectPSP refused CONNECTPSP_CLIENT_ID/CONNECTPSP_CLIENT_SECRET. Check them for this CONNECTPSP_ENV and restart.',
  INVALID_APPLICATION_TOKEN: 'ConnectPSP refused CONNECTPSP_APPLICATION_TOKEN. Check it for this CONNECTPSP_ENV and restart.',
  INVALID_SIGNATURE: 'ConnectPSP refused our DigitalSignature. Check CONNECTPSP_CRYPTO_TOKEN.',
  INSUFFICIENT_FUNDS: 'The ConnectPSP transactional balance cannot cover this operation. Top up or rebalance the account, then retry.',
};

/**
 * A 401 that survives the client's one re-authentication is a credential the gateway no longer
 * takes (revoked, rotated, another environment's), whatever its code says.
 */
const REFUSED_TOKEN_ACTION =
  'ConnectPSP refused a freshly issued access token. Check CONNECTPSP_CLIENT_ID, CONNECTPSP_CLIENT_SECRET and CONNECTPSP_APPLICATION_TOKEN for this CONNECTPSP_ENV (revoked or rotated at ConnectPSP?) and restart.';

export function alertIfNeeded(logger: Logger, err: ConnectPspError): void {
  const action = OPERATOR_ACTIONS[err.code] ?? (err.status === 401 ? REFUSED_TOKEN_ACTION : undefined);
  if (action) logger.error(`ALERT ConnectPSP ${err.code}`, { alert: true, code: err.code, status: err.status, action });
}

/**
 * Counts rejected webhook signatures in a sliding window: one bad signature is noise (a scanner),
 * many mean the CryptoToken was rotated on one side only — or someone is forging payments.
 */
export class SignatureFailureMonitor {
  readonly #times: number[] = [];
  constructor(
    readonly logger: Logger,
    readonly threshold = 5,
    readonly windowMs = 5 * 60_000,
    readonly now: () => number = Date.now,
  ) {}

  record(): void {
    const t = this.now();
    this.#times.push(t);
    while (this.#times.length > 0 && this.#times[0]! < t - this.windowMs) this.#times.shift();
    if (this.#times.length === this.threshold) {
      this.logger.error('ALERT repeated ConnectPSP webhook signature failures', {
        alert: true,
        code: 'WEBHOOK_SIGNATURE_FAILURES',
        count: this.#times.length,
        windowSeconds: this.windowMs / 1000,
        action: 'Check that CONNECTPSP_CRYPTO_TOKEN matches the one ConnectPSP signs with; if it does, someone is sending forged webhooks.',
      });
    }
  }
}
