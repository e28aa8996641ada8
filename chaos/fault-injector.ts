/**
 * The chaos itself, on a schedule drawn from the run's seed: SIGKILLs of the companion server
 * (restarted on the same port and database after a short outage), and sandbox faults — 5xx and
 * slow or timed-out answers on charge creation, webhooks delivered twice, webhooks held back and
 * released newest first, tokens revoked (a gateway restart), reads lagging the webhooks, GETs
 * slower than ConnectPSP's 5 s webhook deadline, refunds that settle later and some that fail —
 * and, on PostgreSQL, every database connection cut mid-query and mid-transaction through the
 * run's own TCP proxy.
 */
import { call, type HttpTally } from './http.js';
import type { Rng } from './prng.js';
import { sleep, type ManagedProcess } from './process-supervisor.js';
import type { TcpProxy } from './tcp-proxy.js';

export interface FaultCounts {
  kills: number;
  /** Sandbox API answers replaced by an injected 500/502/503. */
  injected5xx: number;
  /** Sandbox API answers delayed (1.5–4 s). */
  delayed: number;
  /** Sandbox API answers delayed past the server's 10 s client timeout. */
  timeouts: number;
  /** Windows during which every webhook was delivered twice. */
  duplicateWebhookWindows: number;
  /** Windows during which webhooks were held, then released newest first. */
  holdWindows: number;
  /** Webhooks released out of order at the end of hold windows. */
  webhooksReleasedReversed: number;
  /** Times every token the server held was revoked at the gateway. */
  tokenRevocations: number;
  /** Windows during which GET /cash-in lagged the webhooks. */
  readLagWindows: number;
  /** Windows during which every GET took longer than the 5 s webhook deadline. */
  slowGetWindows: number;
  /** PostgreSQL connections cut under the server (mid-query, mid-transaction). */
  databaseConnectionsCut: number;
  /** Share of refunds made to fail at the gateway after their 202. */
  refundFailRate: number;
  /** Total of the above (kills excluded). */
  total: number;
  log: string[];
}

export interface FaultPlanOptions {
  windowMs: number;
  kills: number;
  /** Include one delay past the server's gateway timeout (costs ~10 s for the charge concerned). */
  gatewayTimeout: boolean;
  /** Mean gap between sandbox faults. */
  faultEveryMs: number;
  /** Longest outage between a SIGKILL and the restart. */
  maxDowntimeMs: number;
  /** Share of refunds that fail after their 202 (0 to turn refund failures off). Default 0.3. */
  refundFailRate?: number;
}

/** The server's ConnectPSP client gives up on an attempt after 10 s (DEFAULT_TIMEOUT_MS). */
const GATEWAY_TIMEOUT_MS = 10_000;

export class FaultInjector {
  readonly counts: FaultCounts = {
    kills: 0,
    injected5xx: 0,
    delayed: 0,
    timeouts: 0,
    duplicateWebhookWindows: 0,
    holdWindows: 0,
    webhooksReleasedReversed: 0,
    tokenRevocations: 0,
    readLagWindows: 0,
    slowGetWindows: 0,
    databaseConnectionsCut: 0,
    refundFailRate: 0,
    total: 0,
    log: [],
  };
  #stopped = false;
  #tasks: Promise<unknown>[] = [];
  #started = 0;

  constructor(
    private readonly deps: {
      server: ManagedProcess;
      sandboxUrl: string;
      tally: HttpTally;
      rng: Rng;
      restartServer: () => Promise<void>;
      databaseProxy?: TcpProxy;
    },
    private readonly options: FaultPlanOptions,
  ) {}

  start(): void {
    this.#started = Date.now();
    this.#tasks.push(this.#killLoop(), this.#faultLoop());
    if (this.deps.databaseProxy) this.#tasks.push(this.#databaseLoop(this.deps.databaseProxy));
  }

  /** Cuts every PostgreSQL connection every few seconds: mid-query, mid-transaction, whatever was in flight. */
  async #databaseLoop(proxy: TcpProxy): Promise<void> {
    const rng = this.deps.rng.fork('database');
    let at = rng.int(1000, 4000);
    while (at < this.options.windowMs - 1000) {
      if (!(await this.#sleepUntil(at))) return;
      const n = proxy.cut();
      this.counts.databaseConnectionsCut += n;
      this.#log(`cut ${n} PostgreSQL connections`);
      at += rng.int(2500, 6000);
    }
  }

  /**
   * Stops injecting sandbox faults, lets the kill loop finish its planned kills (a slow restart on
   * a loaded machine can push the last ones past the window), clears the sandbox's faults (which
   * releases held webhooks) and waits for every loop.
   */
  async stop(): Promise<void> {
    this.#stopped = true;
    await Promise.allSettled(this.#tasks);
    await call(this.deps.tally, 'POST', `${this.deps.sandboxUrl}/faults`, { body: { webhooks: { hold: false, duplicate: false } } });
    await call(this.deps.tally, 'DELETE', `${this.deps.sandboxUrl}/faults`, { timeoutMs: 120_000 });
  }

  #log(message: string): void {
    this.counts.log.push(`+${((Date.now() - this.#started) / 1000).toFixed(1)}s ${message}`);
  }

  async #sleepUntil(offsetMs: number): Promise<boolean> {
    while (!this.#stopped && Date.now() - this.#started < offsetMs) await sleep(Math.min(100, offsetMs - (Date.now() - this.#started)));
    return !this.#stopped;
  }

  async #killLoop(): Promise<void> {
    const { kills, windowMs, maxDowntimeMs } = this.options;
    const rng = this.deps.rng.fork('kills');
    for (let k = 0; k < kills; k++) {
      // Evenly spread, jittered within each slot, never in the first or last second.
      const slot = windowMs / kills;
      const at = Math.min(windowMs - 1000, Math.max(1000, slot * k + slot * (0.2 + 0.6 * rng())));
      // Not cut short by stop(): behind schedule, the remaining kills come one after another.
      while (Date.now() - this.#started < at) await sleep(Math.min(100, at - (Date.now() - this.#started)));
      if (k > 0 && this.#stopped) await sleep(1000); // let some traffic through between late kills
      await this.deps.server.kill();
      this.counts.kills += 1;
      const downtime = rng.int(50, maxDowntimeMs);
      this.#log(`SIGKILL server (down ${downtime} ms before restart)`);
      await sleep(downtime);
      await this.deps.restartServer();
      this.#log('server restarted');
    }
  }

  async #setFaults(body: unknown): Promise<void> {
    const answer = await call(this.deps.tally, 'POST', `${this.deps.sandboxUrl}/faults`, { body });
    if (answer.status !== 200) throw new Error(`POST /sandbox/faults answered ${answer.status}: ${answer.text}`);
  }

  async #faultLoop(): Promise<void> {
    const { windowMs, faultEveryMs, gatewayTimeout } = this.options;
    const rng = this.deps.rng.fork('faults');
    let timeoutAt = gatewayTimeout ? rng.int(Math.floor(windowMs * 0.1), Math.floor(windowMs * 0.5)) : Infinity;
    // Refunds settle after their 202 for the whole window, and some fail there.
    const refundFailRate = this.options.refundFailRate ?? 0.3;
    await this.#setFaults({ refunds: { async: true, settleAfterMs: 800, failRate: refundFailRate, failureCode: 'REFUND_REJECTED' } });
    this.counts.refundFailRate = refundFailRate;
    this.#log(`refunds settle 800 ms after their 202; ${Math.round(refundFailRate * 100)}% fail`);
    let mustHappen: ('revoke' | 'lag' | 'slow-get')[] = ['revoke', 'lag', 'slow-get'];
    let at = rng.int(200, faultEveryMs);
    while (at < windowMs - 1000) {
      if (!(await this.#sleepUntil(at))) return;
      if (at >= timeoutAt) {
        timeoutAt = Infinity;
        const ms = GATEWAY_TIMEOUT_MS + 500;
        await this.#setFaults({ delayNext: { count: 1, ms, path: '/cash-in' } });
        this.counts.timeouts += 1;
        this.#log(`delayNext ${ms} ms on /cash-in (past the client timeout)`);
      } else {
        // Every run has each of the gateway's bad habits at least once: any not drawn by half-time comes next.
        const kind =
          at >= windowMs / 2 && mustHappen.length > 0
            ? mustHappen[0]!
            : rng.pick(['fail', 'fail', 'fail-long', 'delay', 'duplicate', 'hold', 'hold', 'revoke', 'lag', 'slow-get'] as const);
        mustHappen = mustHappen.filter((k) => k !== kind);
        switch (kind) {
          case 'fail':
          case 'fail-long': {
            // 'fail-long' outlasts the server's 5 attempts, so the browser sees 502 and retries.
            const count = kind === 'fail' ? rng.int(1, 3) : 6;
            const status = rng.pick([500, 502, 503] as const);
            await this.#setFaults({ failNext: { count, status, path: '/cash-in' } });
            this.counts.injected5xx += count;
            this.#log(`failNext ${count}× ${status} on /cash-in`);
            break;
          }
          case 'delay': {
            const count = rng.int(1, 2);
            const ms = rng.int(1500, 4000);
            await this.#setFaults({ delayNext: { count, ms, path: '/cash-in' } });
            this.counts.delayed += count;
            this.#log(`delayNext ${count}× ${ms} ms on /cash-in`);
            break;
          }
          case 'duplicate': {
            const ms = rng.int(2000, 5000);
            await this.#setFaults({ webhooks: { duplicate: true } });
            this.counts.duplicateWebhookWindows += 1;
            this.#log(`webhooks delivered twice for ${ms} ms`);
            this.#tasks.push(sleep(ms).then(() => this.#setFaults({ webhooks: { duplicate: false } })));
            break;
          }
          case 'revoke': {
            // The gateway restarted and lost its tokens (or rotated its signing key).
            await this.#setFaults({ tokens: { revoke: true } });
            this.counts.tokenRevocations += 1;
            this.#log('every token revoked at the gateway');
            break;
          }
          case 'lag': {
            const ms = rng.int(2000, 5000);
            await this.#setFaults({ reads: { lagMs: 1500 } });
            this.counts.readLagWindows += 1;
            this.#log(`GET lags webhooks by 1500 ms for ${ms} ms`);
            this.#tasks.push(sleep(ms).then(() => this.#setFaults({ reads: { lagMs: 0 } })));
            break;
          }
          case 'slow-get': {
            const ms = rng.int(1500, 3000);
            await this.#setFaults({ reads: { slowGetMs: 5500 } });
            this.counts.slowGetWindows += 1;
            this.#log(`every GET takes 5500 ms (past the webhook deadline) for ${ms} ms`);
            this.#tasks.push(sleep(ms).then(() => this.#setFaults({ reads: { slowGetMs: 0 } })));
            break;
          }
          case 'hold': {
            const ms = rng.int(2500, 6000);
            await this.#setFaults({ webhooks: { hold: true } });
            this.counts.holdWindows += 1;
            this.#log(`webhooks held for ${ms} ms, then released newest first`);
            this.#tasks.push(
              sleep(ms).then(async () => {
                await this.#setFaults({ webhooks: { hold: false } });
                const released = await call<{ released: number }>(this.deps.tally, 'POST', `${this.deps.sandboxUrl}/webhooks/release`, {
                  body: { order: 'reverse' },
                  timeoutMs: 120_000,
                });
                this.counts.webhooksReleasedReversed += released.body?.released ?? 0;
              }),
            );
            break;
          }
        }
      }
      this.counts.total =
        this.counts.injected5xx +
        this.counts.delayed +
        this.counts.timeouts +
        this.counts.duplicateWebhookWindows +
        this.counts.holdWindows +
        this.counts.tokenRevocations +
        this.counts.readLagWindows +
        this.counts.slowGetWindows;
      at += rng.int(Math.floor(faultEveryMs / 2), Math.floor(faultEveryMs * 1.5));
    }
  }
}
