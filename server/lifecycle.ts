import type { RequestHandler } from 'express';

/** The `retry:` a draining server sends before it ends a stream: reconnect soon, to another instance. */
export const DRAIN_RETRY_MS = 1000;

/**
 * What a graceful stop needs to know about live traffic: whether the server is draining, which
 * Server-Sent Events streams are open, and how many requests are still being answered.
 *
 * A stop (SIGTERM, or `stop()` of the library) goes: draining — `/readyz` answers 503 at once, so a
 * load balancer stops sending; every open stream gets a last `retry:` frame and is ended, so
 * EventSource reconnects (elsewhere) and resumes with `Last-Event-ID`; requests already in flight
 * finish, within a bounded drain. The HTTP listener itself is closed by whoever owns it.
 */
export class Lifecycle {
  #draining = false;
  #inFlight = 0;
  readonly #streams = new Set<() => void>();
  readonly #idleWaiters = new Set<() => void>();

  get draining(): boolean {
    return this.#draining;
  }

  /** Requests being answered now (open streams included until they end). */
  get inFlight(): number {
    return this.#inFlight;
  }

  /**
   * Counts requests from arrival to the end of their answer. While draining, answers carry
   * `Connection: close`, so keep-alive clients open their next connection somewhere else.
   */
  readonly trackRequests: RequestHandler = (_req, res, next) => {
    this.#inFlight++;
    let done = false;
    const release = () => {
      if (done) return;
      done = true;
      this.#inFlight--;
      if (this.#inFlight === 0) for (const wake of this.#idleWaiters) wake();
    };
    res.on('finish', release);
    res.on('close', release);
    if (this.#draining) res.set('Connection', 'close');
    next();
  };

  /**
   * Registers an open stream; `end` writes its last frame and ends it. Returns the function to call
   * when the stream ends by itself. A stream opened while draining is ended at once.
   */
  addStream(end: () => void): () => void {
    if (this.#draining) {
      end();
      return () => {};
    }
    this.#streams.add(end);
    return () => this.#streams.delete(end);
  }

  /**
   * Starts draining: ends every open stream, then waits until no request is in flight or `timeoutMs`
   * passes. Resolves true when everything finished in time.
   */
  async drain(timeoutMs: number): Promise<boolean> {
    this.#draining = true;
    for (const end of [...this.#streams]) end();
    this.#streams.clear();
    if (this.#inFlight === 0) return true;
    return new Promise<boolean>((resolve) => {
      const wake = () => finish(true);
      const timer = setTimeout(() => finish(false), timeoutMs);
      timer.unref();
      const finish = (ok: boolean) => {
        clearTimeout(timer);
        this.#idleWaiters.delete(wake);
        resolve(ok);
      };
      this.#idleWaiters.add(wake);
    });
  }
}
