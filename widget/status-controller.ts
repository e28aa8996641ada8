/**
 * Follows a checkout's status live, and keeps following it when the network does not cooperate.
 *
 * - **SSE first.** One `EventSource` on `/events`; frames carry increasing numeric ids, so duplicates
 *   after a reconnect are dropped here, and the first frame is always the current state.
 * - **Polling as the fallback.** When the stream errors, the session is polled until the stream is
 *   back: every 2 s, 5 s after the first minute, and with exponential backoff plus jitter while polls
 *   fail. Polls never overlap (each waits for the previous, see Adyen #2499), and a failed poll is
 *   "reconnecting", never "payment failed" (Adyen iOS #692).
 * - **An immediate re-check** when the page becomes visible again, is restored from the back/forward
 *   cache, or comes back online: the payer returns from their bank app and must not wait a cycle.
 * - **Honest connection state** (`live` / `polling` / `reconnecting`) for the UI to show.
 * - **Closed at the end.** Once the status is terminal (refunded, cancelled), the stream is closed
 *   and polling stops. Not at paid: a refund can still follow, and the payer sees it live.
 *
 * Whether a snapshot may change what the payer sees (transitions never go backwards) is the
 * element's decision; this controller only delivers what it hears, deduplicated.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';

import { isTerminal, type ActiveChargeView, type CheckoutStatus } from './contract/wire-contract.js';
import type { ApiClient } from './api-client.js';
import type { ConnectpspError } from './events.js';
import { parseStatusEvent } from './wire.js';

/** How the widget currently hears about the payment. */
export type ConnectionState = 'idle' | 'live' | 'polling' | 'reconnecting' | 'closed';

/** One observation of the checkout, from the stream or from a poll. */
export interface StatusSnapshot {
  status: CheckoutStatus;
  activeCharge: ActiveChargeView | null;
  endToEndId: string | null;
  paidAt: string | null;
  refundEndToEndId: string | null;
  refundedAt: string | null;
  /** Server clock minus device clock, measured by a poll; absent on stream frames. */
  clockOffsetMs?: number | null;
}

export const POLL_INTERVAL_MS = 2_000;
export const SLOW_POLL_INTERVAL_MS = 5_000;
/** After this long without the stream, polls slow down (Adyen's 60 s throttle). */
export const SLOW_POLL_AFTER_MS = 60_000;
export const MAX_POLL_BACKOFF_MS = 30_000;
export const MAX_STREAM_RETRY_MS = 60_000;

/**
 * Delay before the next poll. Successful polls run at a steady pace; failed ones back off
 * exponentially (4 s, 8 s, 16 s, 30 s cap) with ±20 % jitter so that many widgets losing the same
 * server do not all come back in the same millisecond.
 */
export function nextPollDelay(consecutiveFailures: number, pollingForMs: number, random: () => number = Math.random): number {
  if (consecutiveFailures === 0) return pollingForMs < SLOW_POLL_AFTER_MS ? POLL_INTERVAL_MS : SLOW_POLL_INTERVAL_MS;
  const backoff = Math.min(MAX_POLL_BACKOFF_MS, POLL_INTERVAL_MS * 2 ** consecutiveFailures);
  return Math.round(backoff * (0.8 + 0.4 * random()));
}

/** Delay before trying the stream again after it was given up: 10 s, 20 s, 40 s, then every minute. */
export function nextStreamRetryDelay(attempt: number): number {
  return Math.min(MAX_STREAM_RETRY_MS, 10_000 * 2 ** Math.max(0, attempt - 1));
}

export class StatusController implements ReactiveController {
  private _api: ApiClient | null = null;
  private _stream: EventSource | null = null;
  private _streamOpen = false;
  private _streamAttempts = 0;
  private _lastEventId = 0;
  private _pollTimer: ReturnType<typeof setTimeout> | undefined;
  private _streamTimer: ReturnType<typeof setTimeout> | undefined;
  private _pollAbort: AbortController | null = null;
  private _pollFailures = 0;
  private _pollingSince: number | null = null;
  /** Bumped by {@link _discardPending}; a poll that started in an older generation is ignored. */
  private _generation = 0;
  private _connected = false;
  private _state: ConnectionState = 'idle';

  constructor(
    host: ReactiveControllerHost,
    private readonly _onSnapshot: (snapshot: StatusSnapshot) => void,
    private readonly _onConnectionChange: (state: ConnectionState) => void,
    /** The server refused us for good (401/404): following cannot succeed by retrying. */
    private readonly _onFatal: (error: ConnectpspError) => void,
  ) {
    host.addController(this);
  }

  /** How the widget currently hears about the payment. */
  get _connection(): ConnectionState {
    return this._state;
  }

  /** True while the controller is following a checkout (not stopped, not terminal). */
  get _following(): boolean {
    return !!this._api;
  }

  /** Starts following the checkout behind `api`, stream first. Restarts if already following. */
  _follow(api: ApiClient): void {
    this._stop();
    this._api = api;
    this._lastEventId = this._streamAttempts = 0;
    if (this._connected) this._openStream();
  }

  /** Stops following: closes the stream, cancels polls and timers. */
  _stop(state: ConnectionState = 'idle'): void {
    this._api = null;
    this._suspend();
    this._setState(state);
  }

  /**
   * Asks the server right now instead of waiting for the next poll; reopens the stream if it was
   * given up. Called on return to the page, when it comes back online, and when the local countdown
   * reaches zero.
   */
  _checkNow = (): void => {
    if (!this._api || !this._connected) return;
    if (!this._stream) {
      clearTimeout(this._streamTimer);
      this._openStream();
    }
    void this._poll();
  };

  /**
   * Forgets polls already in flight. The element calls this before it changes the checkout itself
   * (a new code after expiry), so an answer that left the server before the change cannot undo it.
   */
  _discardPending(): void {
    this._generation++;
    this._pollAbort?.abort();
  }

  hostConnected(): void {
    this._connected = true;
    this._listen('addEventListener');
    if (this._api && !this._stream) this._openStream();
  }

  hostDisconnected(): void {
    this._connected = false;
    this._listen('removeEventListener');
    this._suspend();
  }

  /**
   * An immediate re-check when the page becomes visible again (the payer is back from the bank
   * app), is restored from the back/forward cache, or comes back online. Closing the stream on
   * `pagehide` lets the page enter the back/forward cache; `pageshow` reopens it.
   */
  private _listen(method: 'addEventListener' | 'removeEventListener'): void {
    document[method]('visibilitychange', this._onVisibility);
    window[method]('pageshow', this._onPageShow as EventListener);
    window[method]('pagehide', this._closeStream);
    window[method]('online', this._checkNow);
  }

  private readonly _onVisibility = (): void => {
    if (document.visibilityState === 'visible') this._checkNow();
  };

  private readonly _onPageShow = (event: PageTransitionEvent): void => {
    if (event.persisted) this._checkNow();
  };

  /** Closes the stream and cancels every timer and request, keeping what to follow. */
  private _suspend(): void {
    this._closeStream();
    clearTimeout(this._pollTimer);
    clearTimeout(this._streamTimer);
    this._pollAbort?.abort();
    this._pollAbort = this._pollingSince = null;
  }

  private _openStream(): void {
    if (!this._api) return;
    this._closeStream();
    if (typeof EventSource === 'undefined') {
      this._startPolling();
      return;
    }
    this._streamAttempts++;
    const stream = (this._stream = new EventSource(this._api._eventsUrl()));
    stream.addEventListener('open', this._onStreamOpen);
    stream.addEventListener('error', this._onStreamError);
    stream.addEventListener('status', this._onStreamStatus);
  }

  private readonly _closeStream = (): void => {
    // Nothing it could still say reaches us: the handlers check that it is the current stream.
    this._stream?.close();
    this._stream = null;
    this._streamOpen = false;
  };

  private readonly _onStreamOpen = (event: Event): void => {
    if (event.target !== this._stream) return;
    this._streamOpen = true;
    this._streamAttempts = this._pollFailures = 0;
    // The stream's first frame is the current state, so polling has nothing left to add.
    clearTimeout(this._pollTimer);
    this._pollingSince = null;
    this._setState('live');
  };

  private readonly _onStreamStatus = (event: MessageEvent<string>): void => {
    if (event.target !== this._stream) return;
    const id = Number(event.lastEventId);
    if (id > 0) {
      if (id <= this._lastEventId) return; // a frame we already delivered, replayed by a reconnect
      this._lastEventId = id;
    }
    let data: unknown;
    try {
      data = JSON.parse(event.data);
    } catch {
      // read as malformed below
    }
    const parsed = parseStatusEvent(data);
    // A frame we cannot read must not be silently lost: ask the session instead.
    if (parsed.ok) this._deliver(parsed.value);
    else void this._poll();
  };

  private readonly _onStreamError = (event: Event): void => {
    if (!this._api || event.target !== this._stream) return;
    this._streamOpen = false;
    if (this._stream!.readyState === 2 /* CLOSED */) {
      // The browser gave up (a 204 after a final status, a non-SSE answer, CORS): so do we, for a while.
      this._closeStream();
      clearTimeout(this._streamTimer);
      this._streamTimer = setTimeout(() => this._openStream(), nextStreamRetryDelay(this._streamAttempts));
    }
    // While the browser retries the stream on its own (readyState CONNECTING), polls cover the gap.
    if (this._state !== 'polling') this._setState('reconnecting');
    this._startPolling();
  };

  private _startPolling(): void {
    if (this._pollingSince !== null) return;
    this._pollingSince = Date.now();
    void this._poll();
  }

  private async _poll(): Promise<void> {
    const api = this._api;
    if (!api || this._pollAbort) return; // no overlapping polls
    clearTimeout(this._pollTimer);
    const generation = this._generation;
    const abort = (this._pollAbort = new AbortController());
    const result = await api._getSession(abort.signal);
    if (this._pollAbort === abort) this._pollAbort = null;
    if (api !== this._api) return;
    if (!abort.signal.aborted && generation === this._generation) {
      if (result.ok) {
        this._pollFailures = 0;
        if (!this._streamOpen) this._setState('polling');
        const { session, clockOffsetMs } = result.value;
        this._deliver({ ...session, clockOffsetMs });
      } else if (result.error.reason === 'unauthorized' || result.error.reason === 'not_found') {
        this._stop();
        this._onFatal(result.error);
      } else {
        this._pollFailures++;
        if (!this._streamOpen) this._setState('reconnecting');
      }
    }
    if (this._api && !this._streamOpen && this._pollingSince !== null) {
      const pollingFor = Date.now() - this._pollingSince;
      clearTimeout(this._pollTimer);
      this._pollTimer = setTimeout(() => void this._poll(), nextPollDelay(this._pollFailures, pollingFor));
    }
  }

  private _deliver(snapshot: StatusSnapshot): void {
    this._onSnapshot(snapshot);
    if (isTerminal(snapshot.status) && this._api) this._stop('closed');
  }

  private _setState(state: ConnectionState): void {
    if (state !== this._state) this._onConnectionChange((this._state = state));
  }
}
