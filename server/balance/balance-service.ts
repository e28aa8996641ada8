/**
 * The merchant's ConnectPSP account: balances (consolidated and per banking partner, each with a
 * transactional account that backs payouts and refunds and a proprietary reserve) and rebalance,
 * which moves money between the two so the transactional total matches a target
 * (https://docs.connectpsp.com/apis/account.md). Amounts are integer centavos; ConnectPSP's reais are converted
 * by the client.
 */
import { alertIfNeeded } from '../alerts.js';
import type { ConnectPspClient } from '../connectpsp/client.js';
import { ConnectPspAuthenticationError, ConnectPspError, ConnectPspInvalidRequestError } from '../connectpsp/errors.js';
import type { Balance } from '../connectpsp/types.js';
import { DomainError } from '../checkouts/errors.js';
import type { Logger } from '../logger.js';

export type BalanceGateway = Pick<ConnectPspClient, 'getBalance' | 'rebalance'>;

export interface RebalanceOutcome {
  success: boolean;
  message: string | null;
  /** The balance as ConnectPSP reports it after the move (it may lag, per its docs). */
  balance: Balance | null;
}

export class BalanceService {
  constructor(
    private readonly gateway: BalanceGateway,
    private readonly logger: Logger,
  ) {}

  async balance(): Promise<Balance> {
    try {
      return await this.gateway.getBalance();
    } catch (err) {
      throw this.#failure(err, 'read the balance');
    }
  }

  /**
   * Moves money so the consolidated transactional balance becomes `targetAmount`. The target is
   * absolute, so a retry finds nothing left to move; the merchant's Idempotency-Key is passed on
   * when given.
   */
  async rebalance(targetAmount: number, idempotencyKey?: string): Promise<RebalanceOutcome> {
    let result;
    try {
      result = await this.gateway.rebalance({ targetAmount }, idempotencyKey ? { idempotencyKey } : {});
    } catch (err) {
      throw this.#failure(err, 'rebalance');
    }
    if (!result.success) {
      throw new DomainError('unprocessable', `ConnectPSP did not rebalance: ${result.message ?? 'no reason given'}`, {
        field: 'targetAmount',
      });
    }
    this.logger.info('account rebalanced', { targetAmount });
    const balance = await this.gateway.getBalance().catch(() => null);
    return { success: true, message: result.message, balance };
  }

  #failure(err: unknown, what: string): Error {
    if (!(err instanceof ConnectPspError)) return err as Error;
    alertIfNeeded(this.logger, err);
    if (err instanceof ConnectPspInvalidRequestError) {
      return new DomainError(
        err.status === 422 ? 'unprocessable' : 'invalid_input',
        `ConnectPSP refused to ${what}: ${err.code}${err.detail ? ` — ${err.detail}` : ''}`,
        { field: 'targetAmount', cause: err },
      );
    }
    if (err instanceof ConnectPspAuthenticationError) {
      return new DomainError('gateway_auth', 'The payment provider refused our credentials. The operator has been alerted.', {
        cause: err,
      });
    }
    return new DomainError(
      'gateway_unavailable',
      `The payment provider is not answering right now; could not ${what}. Try again in a moment.`,
      { cause: err },
    );
  }
}
