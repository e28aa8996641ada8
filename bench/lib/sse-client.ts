import http from 'node:http';
import { ROUTES, type CheckoutStatus, type StatusEventData } from '../../widget/contract/wire-contract.js';

/**
 * A lean SSE client for holding thousands of streams from one process: one socket per stream
 * (as browsers do), frames parsed just enough to time each status.
 */
export interface Stream {
  /** When each status arrived (performance.now()). */
  readonly arrivals: Map<CheckoutStatus, number>;
  /** Resolves at the first frame (the current state), rejects if the stream cannot open. */
  readonly opened: Promise<void>;
  /** Resolves with the arrival time of `status`. */
  arrival(status: CheckoutStatus): Promise<number>;
  close(): void;
}

/** Unbounded sockets, none reused: a stream holds its socket for as long as it is open. */
export const streamAgent = new http.Agent({ keepAlive: false, maxSockets: Infinity });

export function openStream(baseUrl: string, checkoutId: string, clientSecret: string): Stream {
  const arrivals = new Map<CheckoutStatus, number>();
  const waiters = new Map<CheckoutStatus, (at: number) => void>();
  let markOpened!: () => void;
  let failOpen!: (err: Error) => void;
  const opened = new Promise<void>((resolve, reject) => {
    markOpened = resolve;
    failOpen = reject;
  });
  const url = `${baseUrl}${ROUTES.events(checkoutId)}?client_secret=${encodeURIComponent(clientSecret)}`;
  const request = http.get(url, { agent: streamAgent, headers: { accept: 'text/event-stream' } }, (res) => {
    if (res.statusCode !== 200) {
      failOpen(new Error(`stream answered ${res.statusCode}`));
      res.resume();
      return;
    }
    res.setEncoding('utf8');
    let buffer = '';
    res.on('data', (chunk: string) => {
      const at = performance.now();
      buffer += chunk;
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = /^data: (.*)$/m.exec(frame)?.[1];
        if (!data) continue; // a heartbeat comment
        const { status } = JSON.parse(data) as StatusEventData;
        arrivals.set(status, at);
        waiters.get(status)?.(at);
        markOpened();
      }
    });
  });
  request.on('error', (err) => failOpen(err));
  return {
    arrivals,
    opened,
    arrival: (status) => {
      const at = arrivals.get(status);
      return at !== undefined ? Promise.resolve(at) : new Promise((resolve) => waiters.set(status, resolve));
    },
    close: () => request.destroy(),
  };
}

/** Opens one stream per checkout, `concurrency` handshakes at a time; resolves when all have their first frame. */
export async function openStreams(
  baseUrl: string,
  checkouts: readonly { checkoutId: string; clientSecret: string }[],
  concurrency = 200,
): Promise<Stream[]> {
  const streams: Stream[] = [];
  let next = 0;
  const worker = async () => {
    while (next < checkouts.length) {
      const { checkoutId, clientSecret } = checkouts[next++]!;
      const stream = openStream(baseUrl, checkoutId, clientSecret);
      streams.push(stream);
      await stream.opened;
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, checkouts.length) }, worker));
  } catch (err) {
    streams.forEach((s) => s.close());
    if ((err as NodeJS.ErrnoException).code === 'EMFILE') {
      throw new Error(
        `out of file descriptors after ${streams.length} streams: raise "ulimit -n" (npm run bench raises it to the hard limit)`,
        { cause: err },
      );
    }
    throw err;
  }
  return streams;
}
