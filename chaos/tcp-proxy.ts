/**
 * A TCP proxy on loopback, for putting faults between the server and its PostgreSQL without
 * touching the database itself: `cut()` resets every connection (a restart, a failover, a network
 * reset — mid-query and mid-transaction alike), `freeze()` stops forwarding bytes while keeping
 * the sockets open (a network that went silent), `refuse()` turns new connections away (the
 * database down). Used by `npm run chaos` and by the outage tests.
 */
import { createConnection, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

export class TcpProxy {
  readonly #server: Server;
  readonly #target: { host: string; port: number };
  readonly #pairs = new Set<{ client: Socket; upstream: Socket }>();
  #frozen = false;
  #refusing = false;
  /** Connections cut on purpose, for the chaos report. */
  cuts = 0;

  private constructor(server: Server, target: { host: string; port: number }) {
    this.#server = server;
    this.#target = target;
  }

  /** Listens on 127.0.0.1 (`port` 0: any free port) and forwards to `target`. */
  static async start(target: { host: string; port: number }, port = 0): Promise<TcpProxy> {
    const server = createServer();
    const proxy = new TcpProxy(server, target);
    server.on('connection', (client) => proxy.#accept(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    return proxy;
  }

  get port(): number {
    return (this.#server.address() as AddressInfo).port;
  }

  /** `url` with its host and port replaced by this proxy's. */
  urlFor(url: string): string {
    const u = new URL(url);
    u.hostname = '127.0.0.1';
    u.port = String(this.port);
    return u.toString();
  }

  get openConnections(): number {
    return this.#pairs.size;
  }

  #accept(client: Socket): void {
    if (this.#refusing) {
      client.resetAndDestroy();
      return;
    }
    const upstream = createConnection(this.#target);
    const pair = { client, upstream };
    this.#pairs.add(pair);
    const end = () => {
      this.#pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.on('data', (chunk) => this.#forward(upstream, client, chunk));
    upstream.on('data', (chunk) => this.#forward(client, upstream, chunk));
    if (this.#frozen) {
      client.pause();
      upstream.pause();
    }
  }

  #forward(to: Socket, from: Socket, chunk: Buffer): void {
    if (!to.write(chunk)) {
      from.pause();
      to.once('drain', () => {
        if (!this.#frozen) from.resume();
      });
    }
  }

  /** Resets every open connection now (RST, like a process or a network that died). */
  cut(): number {
    const n = this.#pairs.size;
    for (const { client, upstream } of this.#pairs) {
      client.resetAndDestroy();
      upstream.destroy();
    }
    this.#pairs.clear();
    this.cuts += n;
    return n;
  }

  /** Stops forwarding in both directions; sockets stay open, so the other end just hears nothing. */
  freeze(): void {
    this.#frozen = true;
    for (const { client, upstream } of this.#pairs) {
      client.pause();
      upstream.pause();
    }
  }

  thaw(): void {
    this.#frozen = false;
    for (const { client, upstream } of this.#pairs) {
      client.resume();
      upstream.resume();
    }
  }

  /** New connections are reset at once (the database is down); `false` lets them through again. */
  refuse(on = true): void {
    this.#refusing = on;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
