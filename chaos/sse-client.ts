/**
 * One payer's browser following a checkout over Server-Sent Events, the way `EventSource` does:
 * it reconnects with `Last-Event-ID` after any break (a server SIGKILL, a cut the chaos run makes
 * on purpose), backs off while the server is down, honours 429 `Retry-After`, and stops for good on
 * 204 (the server's "you already saw the final status"). It records every status frame, so the
 * report can tell whether `paid` reached this logical client exactly once.
 */
import type { StatusEventData } from '../widget/contract/wire-contract.js';
import type { HttpTally } from './http.js';
import type { Rng } from './prng.js';
import { sleep } from './process-supervisor.js';

export interface SseFrameRecord {
  id: number;
  status: string;
  at: number;
  connection: number;
}

export interface SseClientOptions {
  baseUrl: string;
  checkoutId: string;
  clientSecret: string;
  rng: Rng;
  /** Chance that a given connection is cut by us after a random 50–2000 ms. */
  cutProbability: number;
  /**
   * A tab that goes to sleep: after its first frame it disconnects, and reconnects (with its old
   * Last-Event-ID) only once this settles — e.g. after the checkout was paid and refunded.
   */
  sleepAfterFirstFrame?: Promise<void>;
  tally?: HttpTally;
}

export class ChaosSseClient {
  readonly frames: SseFrameRecord[] = [];
  /** Connections opened after the first. */
  reconnects = 0;
  /** Connections we aborted on purpose. */
  cuts = 0;
  /** Connection attempts that got no answer (server down). */
  refused = 0;
  /** Frames whose id was not above the last one seen: a replay the cursor should have prevented. */
  replayedFrames = 0;
  /** Non-200/204/429 answers, by status. */
  readonly unexpected: number[] = [];
  /** Set once the server answered 204: this client is done, as a browser would be. */
  finishedWith204 = false;
  #lastEventId: number | undefined;
  #stopped = false;
  #current: AbortController | undefined;
  #done: Promise<void> | undefined;
  #connections = 0;
  #sleep: 'awake' | 'falling_asleep' | 'slept' = 'awake';

  constructor(readonly options: SseClientOptions) {}

  get paidCount(): number {
    return this.frames.filter((f) => f.status === 'paid').length;
  }

  get lastStatus(): string | undefined {
    return this.frames.at(-1)?.status;
  }

  start(): void {
    this.#done ??= this.#run();
  }

  /** Stops following (end of the run); resolves when the loop has ended. */
  #wake: (() => void) | undefined;

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#wake?.();
    this.#current?.abort();
    await this.#done;
  }

  get done(): boolean {
    return this.finishedWith204 || this.#stopped;
  }

  async #run(): Promise<void> {
    let backoff = 50;
    while (!this.#stopped && !this.finishedWith204) {
      if (this.#connections > 0) this.reconnects += 1;
      this.#connections += 1;
      const connection = this.#connections;
      const controller = new AbortController();
      this.#current = controller;
      const { baseUrl, checkoutId, clientSecret } = this.options;
      const url = `${baseUrl}/v1/checkouts/${encodeURIComponent(checkoutId)}/events?client_secret=${encodeURIComponent(clientSecret)}`;
      let res: Response;
      try {
        res = await fetch(url, {
          headers: {
            accept: 'text/event-stream',
            ...(this.#lastEventId !== undefined ? { 'last-event-id': String(this.#lastEventId) } : {}),
          },
          signal: controller.signal,
        });
      } catch {
        this.options.tally?.record('GET', url, 0, '');
        this.refused += 1;
        await sleep(backoff * (0.5 + this.options.rng() / 2));
        backoff = Math.min(backoff * 2, 1500);
        continue;
      }
      if (res.status === 204) {
        this.options.tally?.record('GET', url, 204, '');
        this.finishedWith204 = true;
        break;
      }
      if (res.status !== 200) {
        const text = await res.text().catch(() => '');
        this.options.tally?.record('GET', url, res.status, text);
        if (res.status === 429) {
          await sleep(Math.min(5000, (Number(res.headers.get('retry-after')) || 1) * 1000));
        } else {
          this.unexpected.push(res.status);
          await sleep(backoff);
          backoff = Math.min(backoff * 2, 1500);
        }
        continue;
      }
      this.options.tally?.record('GET', url, 200, '');
      backoff = 50;
      let cutTimer: NodeJS.Timeout | undefined;
      if (this.options.rng.chance(this.options.cutProbability)) {
        cutTimer = setTimeout(
          () => {
            this.cuts += 1;
            controller.abort();
          },
          50 + Math.floor(this.options.rng() * 1950),
        );
      }
      try {
        await this.#read(res, connection);
      } catch {
        /* aborted by a cut or stop(), or the server died: reconnect below */
      } finally {
        clearTimeout(cutTimer);
      }
      if (this.#sleep === 'falling_asleep') {
        await Promise.race([this.options.sleepAfterFirstFrame, new Promise<void>((r) => (this.#wake = r))]);
        this.#sleep = 'slept';
      }
      // EventSource waits `retry:` (2 s here) before reconnecting; a shorter wait keeps the run quick.
      if (!this.#stopped) await sleep(20 + this.options.rng() * 200);
    }
  }

  async #read(res: Response, connection: number): Promise<void> {
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    let id: string | undefined;
    let event: string | undefined;
    let data: string[] = [];
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl).replace(/\r$/, '');
        buffer = buffer.slice(nl + 1);
        if (line === '') {
          if (data.length > 0) this.#dispatch(event, id, data.join('\n'), connection);
          id = undefined;
          event = undefined;
          data = [];
          continue;
        }
        if (line.startsWith(':')) continue;
        const i = line.indexOf(':');
        const field = i < 0 ? line : line.slice(0, i);
        const val = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
        if (field === 'data') data.push(val);
        else if (field === 'id') id = val;
        else if (field === 'event') event = val;
      }
    }
  }

  #dispatch(event: string | undefined, id: string | undefined, data: string, connection: number): void {
    if (event !== 'status') return;
    const numericId = Number(id);
    if (id !== undefined && Number.isFinite(numericId)) {
      if (this.#lastEventId !== undefined && numericId <= this.#lastEventId) this.replayedFrames += 1;
      this.#lastEventId = Math.max(this.#lastEventId ?? 0, numericId);
    }
    let parsed: StatusEventData;
    try {
      parsed = JSON.parse(data) as StatusEventData;
    } catch {
      return;
    }
    this.frames.push({ id: numericId, status: parsed.status, at: Date.now(), connection });
    if (this.options.sleepAfterFirstFrame && this.#sleep === 'awake') {
      this.#sleep = 'falling_asleep';
      this.#current?.abort();
    }
  }
}
