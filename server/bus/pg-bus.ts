import pg from 'pg';
import type { Logger } from '../logger.js';
import { LocalEventBus, type EventBus } from './event-bus.js';

export const CHECKOUT_EVENTS_CHANNEL = 'checkout_events';

export interface PgEventBusOptions {
  logger?: Logger;
  /** First reconnect delay; doubles up to `maxReconnectDelayMs`, with jitter. */
  reconnectDelayMs?: number;
  maxReconnectDelayMs?: number;
  /** How often the listening connection is checked; a silent dead socket is noticed within this. */
  healthCheckMs?: number;
  /** How often committed events are swept for any whose NOTIFY never came; 0 turns it off. */
  sweepMs?: number;
}

/**
 * The event bus across server instances, on PostgreSQL LISTEN/NOTIFY (docs/protocols.md §4.3).
 *
 * A notification carries only a checkout id; streams read the events themselves from the store.
 * NOTIFY has no replay, so a notice missed while the connection was down is made up for by waking
 * every local stream once on reconnect: each re-reads what came after its last id, which sends what
 * it missed and nothing twice.
 *
 * `publish` wakes local streams at once, then queues the id for NOTIFY. Every notifying commit
 * takes a database-wide lock, so ids queued while a NOTIFY is in flight go out together in the next
 * one; the instance's own notifications are recognised by backend pid and not delivered twice.
 *
 * The NOTIFY follows the store's commit, so an instance that dies between the two would leave the
 * other instances' streams unaware of that event. Sending NOTIFY inside the store's transaction
 * would close that gap at the price of a database-wide lock on every status change; instead, every
 * `sweepMs` each instance reads which checkouts got events lately and wakes its streams among them
 * (`#sweep`): NOTIFY is the fast path, the sweep the guarantee, a few seconds late at worst.
 */
export class PgEventBus implements EventBus {
  readonly #connectionString: string;
  readonly #local = new LocalEventBus();
  /** Checkout ids with local subscribers, and how many: what to wake after a reconnect. */
  readonly #subscribed = new Map<string, number>();
  readonly #pending = new Set<string>();
  readonly #log: Logger | undefined;
  readonly #options: Required<Omit<PgEventBusOptions, 'logger'>>;
  #client: pg.Client | undefined;
  #pid: number | undefined;
  #flushing: Promise<void> | undefined;
  #reconnectTimer: NodeJS.Timeout | undefined;
  #healthTimer: NodeJS.Timeout | undefined;
  #sweepTimer: NodeJS.Timeout | undefined;
  /** Event ids the sweeps have covered: the next one reads from `#sweepFrom`, the max seen at the sweep before last. */
  #sweepFrom = 0;
  #sweepSeen = 0;
  #failures = 0;
  #closed = false;

  private constructor(connectionString: string, options: PgEventBusOptions) {
    this.#connectionString = connectionString;
    this.#log = options.logger;
    this.#options = {
      reconnectDelayMs: options.reconnectDelayMs ?? 250,
      maxReconnectDelayMs: options.maxReconnectDelayMs ?? 10_000,
      healthCheckMs: options.healthCheckMs ?? 15_000,
      sweepMs: options.sweepMs ?? 5_000,
    };
  }

  /** Connects and listens; fails if the first connection fails (later drops are retried). */
  static async connect(connectionString: string, options: PgEventBusOptions = {}): Promise<PgEventBus> {
    const bus = new PgEventBus(connectionString, options);
    await bus.#listen();
    return bus;
  }

  publish(checkoutId: string): void {
    this.#local.publish(checkoutId);
    if (this.#closed) return;
    this.#pending.add(checkoutId);
    void this.#flush();
  }

  subscribe(checkoutId: string, listener: () => void): () => void {
    const unsubscribe = this.#local.subscribe(checkoutId, listener);
    this.#subscribed.set(checkoutId, (this.#subscribed.get(checkoutId) ?? 0) + 1);
    let active = true;
    return () => {
      if (!active) return;
      active = false;
      unsubscribe();
      const left = this.#subscribed.get(checkoutId)! - 1;
      if (left === 0) this.#subscribed.delete(checkoutId);
      else this.#subscribed.set(checkoutId, left);
    };
  }

  get size(): number {
    return this.#local.size;
  }

  /** The LISTEN connection's server process id while it is up (diagnostics, tests); else undefined. */
  get backendPid(): number | undefined {
    return this.#client && this.#pid;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    // Notices already queued still go out: another instance's stream may be waiting for them.
    await this.#flushing;
    this.#closed = true;
    clearTimeout(this.#reconnectTimer);
    clearInterval(this.#healthTimer);
    clearInterval(this.#sweepTimer);
    const client = this.#client;
    this.#client = undefined;
    await client?.end().catch(() => undefined);
    await this.#local.close();
    this.#subscribed.clear();
  }

  async #listen(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.#connectionString,
      application_name: 'connectpsp-checkout bus',
      keepAlive: true,
    });
    // Set before connecting: an error during or after connect must not crash the process.
    client.on('error', (err) => this.#lost(client, err));
    client.on('end', () => this.#lost(client));
    let pid: number | undefined;
    client.on('notification', (message) => {
      if (message.channel !== CHECKOUT_EVENTS_CHANNEL || !message.payload) return;
      if (message.processId === pid) return; // our own publish, already delivered locally
      this.#local.publish(message.payload);
    });
    await client.connect();
    try {
      pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      await client.query(`LISTEN ${CHECKOUT_EVENTS_CHANNEL}`);
    } catch (err) {
      await client.end().catch(() => undefined);
      throw err;
    }
    if (this.#closed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.#client = client;
    this.#pid = pid;
    this.#failures = 0;
    this.#healthTimer = setInterval(
      () => void client.query('SELECT 1').catch((err: Error) => this.#lost(client, err)),
      this.#options.healthCheckMs,
    );
    this.#healthTimer.unref();
    if (this.#options.sweepMs > 0) {
      // History before this connection is not swept: a reconnect wakes every stream instead.
      this.#sweepFrom = this.#sweepSeen = await this.#latestEventId(client);
      this.#sweepTimer = setInterval(() => void this.#sweep(client), this.#options.sweepMs);
      this.#sweepTimer.unref();
    }
    void this.#flush();
  }

  async #latestEventId(client: pg.Client): Promise<number> {
    try {
      return Number((await client.query<{ id: string | null }>('SELECT max(id) AS id FROM checkout_events')).rows[0]!.id ?? 0);
    } catch {
      return 0; // no table yet (the store migrates it at start-up): everything is new
    }
  }

  /**
   * Wakes the local streams of every checkout that got an event since the sweep before last. The
   * windows overlap because event ids (a bigserial) can commit out of order across checkouts: an
   * id drawn before a higher one but committed after it is still inside the next window. A wake is
   * harmless when the NOTIFY already came: the stream re-reads after its last id and sends nothing
   * twice. Streams close at the payer's final status, so most checkouts swept have none left.
   */
  async #sweep(client: pg.Client): Promise<void> {
    if (this.#client !== client) return;
    try {
      const { rows } = await client.query<{ checkout_id: string; id: string }>(
        'SELECT checkout_id, max(id) AS id FROM checkout_events WHERE id > $1 GROUP BY checkout_id',
        [this.#sweepFrom],
      );
      let seen = this.#sweepSeen;
      for (const row of rows) {
        seen = Math.max(seen, Number(row.id));
        if (this.#subscribed.has(row.checkout_id)) this.#local.publish(row.checkout_id);
      }
      this.#sweepFrom = this.#sweepSeen;
      this.#sweepSeen = seen;
    } catch (err) {
      // A lost connection is the health check's business; anything else is worth a line.
      if (this.#client === client) this.#log?.warn('event bus sweep failed; will try again', { error: (err as Error).message });
    }
  }

  #lost(client: pg.Client, err?: Error): void {
    if (this.#client !== client) return; // an old connection, already replaced, or never adopted
    this.#client = undefined;
    clearInterval(this.#healthTimer);
    clearInterval(this.#sweepTimer);
    client.end().catch(() => undefined);
    if (this.#closed) return;
    this.#log?.warn('event bus lost its PostgreSQL connection; reconnecting', { error: err?.message });
    this.#scheduleReconnect();
  }

  #scheduleReconnect(): void {
    const base = Math.min(this.#options.reconnectDelayMs * 2 ** this.#failures, this.#options.maxReconnectDelayMs);
    const delay = base / 2 + Math.random() * (base / 2); // jitter: instances do not reconnect in lockstep
    this.#failures++;
    this.#reconnectTimer = setTimeout(async () => {
      try {
        await this.#listen();
      } catch (err) {
        if (this.#closed) return;
        this.#log?.warn('event bus could not reconnect to PostgreSQL; retrying', {
          error: (err as Error).message,
          attempt: this.#failures,
        });
        this.#scheduleReconnect();
        return;
      }
      this.#log?.info('event bus reconnected to PostgreSQL');
      // Whatever was notified while we were away is lost: every stream re-reads from its last id.
      for (const checkoutId of [...this.#subscribed.keys()]) this.#local.publish(checkoutId);
    }, delay);
    this.#reconnectTimer.unref();
  }

  /** Sends the queued ids in one NOTIFY statement, one at a time; ids queued meanwhile go next. */
  #flush(): Promise<void> {
    if (this.#flushing) return this.#flushing;
    this.#flushing = (async () => {
      while (this.#client && this.#pending.size > 0) {
        const client = this.#client;
        const ids = [...this.#pending];
        this.#pending.clear();
        try {
          await client.query(`SELECT pg_notify('${CHECKOUT_EVENTS_CHANNEL}', id) FROM unnest($1::text[]) AS id`, [ids]);
        } catch (err) {
          // Kept for the next connection, which `#lost` schedules; the loop ends with the client.
          for (const id of ids) this.#pending.add(id);
          this.#lost(client, err as Error);
        }
      }
    })().finally(() => (this.#flushing = undefined));
    return this.#flushing;
  }
}
