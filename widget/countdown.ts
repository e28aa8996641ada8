/**
 * The expiry countdown, driven by the server's `expiresAt` and corrected for the device clock.
 *
 * Why not "N minutes from mount" (what Adyen does, docs/anchors.md §1.2): that restarts at every reload and
 * drifts in a throttled background tab. Here the remaining time is always *computed* — server expiry
 * minus the device clock plus the measured skew — and the timer only decides when to repaint, so a
 * late or skipped tick can never make the display wrong, only late.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';

/**
 * How far the server clock is ahead of this device (ms), from one request's `serverTime`. The server
 * stamped its answer somewhere between sending and receiving, so the midpoint is the best guess, good
 * to half the round trip. `null` when `serverTime` is unusable.
 */
export function measureClockOffset(serverTime: string, sentAt: number, receivedAt: number): number | null {
  const server = Date.parse(serverTime);
  if (Number.isNaN(server)) return null;
  return server - (sentAt + receivedAt) / 2;
}

/** Milliseconds until `expiresAt` on the server's clock; negative once expired. */
export function remainingMs(expiresAt: string, clockOffsetMs: number, now: number = Date.now()): number {
  return Date.parse(expiresAt) - (now + clockOffsetMs);
}

/**
 * When the remaining time is announced to screen readers. Announcing every tick makes a page
 * unusable (w3c/aria#821); Adyen's screen-reader panel speaks at thresholds, and so do we.
 */
export const ANNOUNCE_AT_MS = [5 * 60_000, 60_000, 30_000] as const;

/** The threshold crossed going from `previousMs` to `currentMs` remaining (the smallest, if several). */
export function crossedThreshold(previousMs: number, currentMs: number): number | null {
  let crossed: number | null = null;
  for (const threshold of ANNOUNCE_AT_MS) {
    if (previousMs > threshold && currentMs <= threshold && currentMs > 0) crossed = threshold;
  }
  return crossed;
}

/**
 * Repaints its host once a second while a deadline is set, and calls `_onExpire` once at zero.
 * Ticks are aligned to the whole second of the *remaining* time so "01:00" turns into "00:59" on time.
 */
export class CountdownController implements ReactiveController {
  private _deadline: string | null = null;
  private _offsetMs = 0;
  private _timer: ReturnType<typeof setTimeout> | undefined;
  private _lastRemaining = Infinity;
  private _expired = false;
  private _connected = false;

  constructor(
    private readonly _host: ReactiveControllerHost,
    /** Called once when the remaining time reaches zero. */
    private readonly _onExpire: () => void,
    /** Called when the remaining time crosses one of {@link ANNOUNCE_AT_MS}. */
    private readonly _onThreshold: (remainingMs: number) => void,
  ) {
    _host.addController(this);
  }

  /** Milliseconds left, or `null` when no deadline is set. Computed on every read. */
  get _remainingMs(): number | null {
    return this._deadline === null ? null : remainingMs(this._deadline, this._offsetMs);
  }

  /** Follows a new deadline (or none). Setting the same deadline again keeps the expiry latch. */
  _set(expiresAt: string | null, clockOffsetMs = 0): void {
    if (expiresAt !== this._deadline) {
      this._expired = false;
      this._lastRemaining = Infinity;
    }
    this._deadline = expiresAt;
    this._offsetMs = clockOffsetMs;
    this._tick();
  }

  hostConnected(): void {
    this._connected = true;
    // A background tab's timers are throttled to once a minute or worse; catch up on return.
    document.addEventListener('visibilitychange', this._tick);
    this._tick();
  }

  hostDisconnected(): void {
    this._connected = false;
    document.removeEventListener('visibilitychange', this._tick);
    clearTimeout(this._timer);
  }

  /** Repaints and re-arms; also the `visibilitychange` listener (a hidden page just ticks once more). */
  private readonly _tick = (): void => {
    clearTimeout(this._timer);
    const remaining = this._remainingMs;
    if (remaining === null || !this._connected) return;

    const crossed = crossedThreshold(this._lastRemaining, remaining);
    this._lastRemaining = remaining;
    this._host.requestUpdate();
    if (crossed !== null) this._onThreshold(remaining);

    if (remaining <= 0) {
      if (!this._expired) {
        this._expired = true;
        this._onExpire();
      }
      return;
    }
    // Wake just after the displayed second changes (the display rounds up, see formatCountdown).
    this._timer = setTimeout(this._tick, (remaining % 1000 || 1000) + 5);
  };
}
