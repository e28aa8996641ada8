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
 * - **Closed at the end.** Once the status is final for the payer, the stream is closed and polling
 *   stops (browsers allow ~6 connections per origin; STACK.md G11).
 *
 * Whether a snapshot may change what the payer sees (transitions never go backwards) is the
 * element's decision; this controller only delivers what it hears, deduplicated.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';

import { isFinalForPayer, type ActiveChargeView, type CheckoutStatus } from '../server/contract.js';
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
  source: 'stream' | 'poll';
  /** Server clock minus device clock, measured by a poll; absent on stream frames. */
  clockOffsetMs?: number | null;
}

export interface StatusControllerOptions {
  onSnapshot: (snapshot: StatusSnapshot) => void;
  onConnectionChange?: (state: ConnectionState) => void;
  /** The server refused us for good (401/404): following cannot succeed by retrying. */
  onFatal: (error: ConnectpspError) => void;
  /** Randomness for jitter; tests pass a constant. */
  random?: () => number;
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

/** Failures that retrying cannot fix. */
const FATAL_REASONS: ReadonlySet<ConnectpspError['reason']> = new Set(['unauthorized', 'not_found']);

export class StatusController implements ReactiveController {
  private api: ApiClient | null = null;
  private stream: EventSource | null = null;
  private streamOpen = false;
  private streamAttempts = 0;
  private lastEventId = 0;
  private pollTimer: ReturnType<typeof setTimeout> | undefined;
  private streamTimer: ReturnType<typeof setTimeout> | undefined;
  private pollAbort: AbortController | null = null;
  private pollFailures = 0;
  private pollingSince: number | null = null;
  /** Bumped by {@link discardPending}; a poll that started in an older generation is ignored. */
  private generation = 0;
  private connected = false;
  private state: ConnectionState = 'idle';

  constructor(
    host: ReactiveControllerHost,
    private readonly options: StatusControllerOptions,
  ) {
    host.addController(this);
  }

  /** How the widget currently hears about the payment. */
  get connection(): ConnectionState {
    return this.state;
  }

  /** True while the controller is following a checkout (not stopped, not final). */
  get following(): boolean {
    return this.api !== null;
  }

  /** Starts following the checkout behind `api`, stream first. Restarts if already following. */
  follow(api: ApiClient): void {
    this.stop('idle');
    this.api = api;
    this.lastEventId = 0;
    this.streamAttempts = 0;
    if (this.connected) this.openStream();
  }

  /** Stops following: closes the stream, cancels polls and timers. */
  stop(state: ConnectionState = 'idle'): void {
    this.api = null;
    this.suspend();
    this.setState(state);
  }

  /**
   * Asks the server right now instead of waiting for the next poll; reopens the stream if it was
   * given up. Called on return to the page and when the local countdown reaches zero.
   */
  checkNow(): void {
    if (!this.api || !this.connected) return;
    if (!this.stream) {
      clearTimeout(this.streamTimer);
      this.openStream();
    }
    void this.poll();
  }

  /**
   * Forgets polls already in flight. The element calls this before it changes the checkout itself
   * (a new code after expiry), so an answer that left the server before the change cannot undo it.
   */
  discardPending(): void {
    this.generation++;
    this.pollAbort?.abort();
  }

  hostConnected(): void {
    this.connected = true;
    document.addEventListener('visibilitychange', this.handleVisibilityChange);
    window.addEventListener('pageshow', this.handlePageShow);
    window.addEventListener('pagehide', this.handlePageHide);
    window.addEventListener('online', this.handleOnline);
    if (this.api && !this.stream) this.openStream();
  }

  hostDisconnected(): void {
    this.connected = false;
    document.removeEventListener('visibilitychange', this.handleVisibilityChange);
    window.removeEventListener('pageshow', this.handlePageShow);
    window.removeEventListener('pagehide', this.handlePageHide);
    window.removeEventListener('online', this.handleOnline);
    this.suspend();
  }

  private readonly handleVisibilityChange = (): void => {
    if (document.visibilityState === 'visible') this.checkNow();
  };

  private readonly handlePageShow = (event: PageTransitionEvent): void => {
    if (event.persisted) this.checkNow();
  };

  /** Closing the stream lets the page enter the back/forward cache; `pageshow` reopens it. */
  private readonly handlePageHide = (): void => {
    this.closeStream();
  };

  private readonly handleOnline = (): void => this.checkNow();

  /** Closes the stream and cancels every timer and request, keeping what to follow. */
  private suspend(): void {
    this.closeStream();
    clearTimeout(this.pollTimer);
    clearTimeout(this.streamTimer);
    this.pollTimer = this.streamTimer = undefined;
    this.pollAbort?.abort();
    this.pollAbort = null;
    this.pollingSince = null;
  }

  private openStream(): void {
    if (!this.api) return;
    this.closeStream();
    if (typeof EventSource === 'undefined') {
      this.startPolling();
      return;
    }
    this.streamAttempts++;
    const stream = new EventSource(this.api.eventsUrl());
    stream.addEventListener('open', this.handleStreamOpen);
    stream.addEventListener('status', this.handleStreamStatus as EventListener);
    stream.addEventListener('error', this.handleStreamError);
    this.stream = stream;
  }

  private closeStream(): void {
    const stream = this.stream;
    if (!stream) return;
    stream.removeEventListener('open', this.handleStreamOpen);
    stream.removeEventListener('status', this.handleStreamStatus as EventListener);
    stream.removeEventListener('error', this.handleStreamError);
    stream.close();
    this.stream = null;
    this.streamOpen = false;
  }

  private readonly handleStreamOpen = (): void => {
    this.streamOpen = true;
    this.streamAttempts = 0;
    // The stream's first frame is the current state, so polling has nothing left to add.
    clearTimeout(this.pollTimer);
    this.pollingSince = null;
    this.pollFailures = 0;
    this.setState('live');
  };

  private readonly handleStreamStatus = (event: MessageEvent<string>): void => {
    const id = Number(event.lastEventId);
    if (Number.isFinite(id) && id > 0) {
      if (id <= this.lastEventId) return; // a frame we already delivered, replayed by a reconnect
      this.lastEventId = id;
    }
    let data: unknown;
    try {
      data = JSON.parse(event.data);
    } catch {
      data = undefined;
    }
    const parsed = parseStatusEvent(data);
    if (!parsed.ok) {
      // A frame we cannot read must not be silently lost: ask the session instead.
      void this.poll();
      return;
    }
    const { status, activeCharge, endToEndId, paidAt } = parsed.value;
    this.deliver({ status, activeCharge, endToEndId, paidAt, source: 'stream' });
  };

  private readonly handleStreamError = (): void => {
    if (!this.api) return;
    this.streamOpen = false;
    if (this.stream?.readyState === EventSource.CLOSED) {
      // The browser gave up (a 204 after a final status, a non-SSE answer, CORS): so do we, for a while.
      this.closeStream();
      clearTimeout(this.streamTimer);
      this.streamTimer = setTimeout(() => this.openStream(), nextStreamRetryDelay(this.streamAttempts));
    }
    // While the browser retries the stream on its own (readyState CONNECTING), polls cover the gap.
    if (this.state !== 'polling') this.setState('reconnecting');
    this.startPolling();
  };

  private startPolling(): void {
    if (this.pollingSince !== null) return;
    this.pollingSince = Date.now();
    void this.poll();
  }

  private async poll(): Promise<void> {
    const api = this.api;
    if (!api || this.pollAbort) return; // no overlapping polls
    clearTimeout(this.pollTimer);
    const generation = this.generation;
    const abort = new AbortController();
    this.pollAbort = abort;
    const result = await api.getSession(abort.signal);
    if (this.pollAbort === abort) this.pollAbort = null;
    if (abort.signal.aborted || api !== this.api || generation !== this.generation) {
      if (api === this.api && !this.streamOpen && this.pollingSince !== null) this.schedulePoll();
      return;
    }

    if (result.ok) {
      this.pollFailures = 0;
      if (!this.streamOpen) this.setState('polling');
      const { session, clockOffsetMs } = result.value;
      const { status, activeCharge, endToEndId, paidAt } = session;
      this.deliver({ status, activeCharge, endToEndId, paidAt, source: 'poll', clockOffsetMs });
    } else if (FATAL_REASONS.has(result.error.reason)) {
      this.stop('idle');
      this.options.onFatal(result.error);
      return;
    } else {
      this.pollFailures++;
      if (!this.streamOpen) this.setState('reconnecting');
    }
    if (this.api && !this.streamOpen && this.pollingSince !== null) this.schedulePoll();
  }

  private schedulePoll(): void {
    clearTimeout(this.pollTimer);
    const pollingFor = Date.now() - (this.pollingSince ?? Date.now());
    this.pollTimer = setTimeout(() => void this.poll(), nextPollDelay(this.pollFailures, pollingFor, this.options.random));
  }

  private deliver(snapshot: StatusSnapshot): void {
    this.options.onSnapshot(snapshot);
    if (isFinalForPayer(snapshot.status) && this.api) this.stop('closed');
  }

  private setState(state: ConnectionState): void {
    if (state === this.state) return;
    this.state = state;
    this.options.onConnectionChange?.(state);
  }
}
