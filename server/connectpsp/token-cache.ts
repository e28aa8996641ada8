/**
 * Holds the ConnectPSP JWT and refreshes it before it expires (docs/connectpsp.md §2.2, §9.1).
 *
 * There is no refresh token: a refresh is another `POST /auth/token`. Refreshes are single-flight —
 * however many calls are waiting, at most one token request is in the air — so a burst of traffic
 * at expiry does not become a burst of logins.
 */
import type { AccessToken } from './types.js';

/** Refresh this long before expiry: the docs ask for a proactive refresh; 5 min of a 60 min token. */
export const DEFAULT_REFRESH_AHEAD_MS = 5 * 60_000;

export interface TokenCacheOptions {
  /** Performs `POST /auth/token`. */
  fetchToken: () => Promise<AccessToken>;
  /** Refresh when less than this much lifetime remains. Default {@link DEFAULT_REFRESH_AHEAD_MS}. */
  refreshAheadMs?: number;
  /** Clock in epoch milliseconds; injectable for tests. Default `Date.now`. */
  now?: () => number;
}

interface CachedToken {
  accessToken: string;
  /** Local-clock instant after which we refresh (expiry minus the refresh margin). */
  refreshAt: number;
}

export class ConnectPspTokenCache {
  private readonly fetchToken: () => Promise<AccessToken>;
  private readonly refreshAheadMs: number;
  private readonly now: () => number;
  private current: CachedToken | null = null;
  private inFlight: Promise<CachedToken> | null = null;

  constructor(options: TokenCacheOptions) {
    this.fetchToken = options.fetchToken;
    this.refreshAheadMs = options.refreshAheadMs ?? DEFAULT_REFRESH_AHEAD_MS;
    this.now = options.now ?? Date.now;
  }

  /** A JWT with more than the refresh margin left, fetching one if needed. */
  async getToken(): Promise<string> {
    const current = this.current;
    if (current && this.now() < current.refreshAt) return current.accessToken;
    return (await this.refresh()).accessToken;
  }

  /**
   * Drops the cached token after the gateway said `TOKEN_EXPIRED`. Pass the rejected token: if
   * another caller has already replaced it, the fresh token is kept, so N concurrent rejections
   * still cause one refresh.
   */
  invalidate(rejectedToken?: string): void {
    if (rejectedToken === undefined || this.current?.accessToken === rejectedToken) this.current = null;
  }

  private refresh(): Promise<CachedToken> {
    this.inFlight ??= this.fetchAndStore().finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }

  private async fetchAndStore(): Promise<CachedToken> {
    // Time the lifetime from when we ASKED, not from `issuedAt`: our clock may disagree with the
    // gateway's, and starting early only makes us refresh a little sooner.
    const requestedAt = this.now();
    const token = await this.fetchToken();
    const lifetimeMs = token.expiresIn * 1000;
    // A short-lived token (a sandbox handing out 60 s tokens) would otherwise be "due" forever and
    // trigger a login per call; never refresh earlier than half-way through its life.
    const aheadMs = Math.min(this.refreshAheadMs, lifetimeMs / 2);
    const cached = { accessToken: token.accessToken, refreshAt: requestedAt + lifetimeMs - aheadMs };
    this.current = cached;
    return cached;
  }
}
