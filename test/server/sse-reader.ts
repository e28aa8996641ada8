/** A minimal wire-level SSE reader for tests: it keeps every field and comment exactly as sent. */
export interface SseFrame {
  event?: string;
  id?: string;
  data: string;
  retry?: string;
  comments: string[];
}

export interface SseReader {
  response: Response;
  /** The next dispatched frame (one with data), or null when the stream ended. */
  next(timeoutMs?: number): Promise<SseFrame | null>;
  comments: string[];
  close(): void;
}

export async function openSse(url: string, headers: Record<string, string> = {}): Promise<SseReader> {
  const controller = new AbortController();
  const response = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: controller.signal });
  const comments: string[] = [];
  const queue: (SseFrame | null)[] = [];
  const waiters: ((f: SseFrame | null) => void)[] = [];
  const push = (f: SseFrame | null) => {
    const w = waiters.shift();
    if (w) w(f);
    else queue.push(f);
  };
  if (response.status === 200 && response.body) {
    void (async () => {
      let buffer = '';
      let frame: SseFrame = { data: '', comments: [] };
      let hasData = false;
      try {
        const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
        for (;;) {
          const { value: chunk, done } = await reader.read();
          if (done) break;
          buffer += chunk;
          let nl: number;
          while ((nl = buffer.indexOf('\n')) >= 0) {
            const line = buffer.slice(0, nl);
            buffer = buffer.slice(nl + 1);
            if (line === '') {
              if (hasData) push(frame);
              frame = { data: '', comments: [] };
              hasData = false;
            } else if (line.startsWith(':')) {
              comments.push(line.slice(1).trim());
            } else {
              const i = line.indexOf(':');
              const field = i < 0 ? line : line.slice(0, i);
              const value = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
              if (field === 'data') {
                frame.data = hasData ? `${frame.data}\n${value}` : value;
                hasData = true;
              } else if (field === 'event') frame.event = value;
              else if (field === 'id') frame.id = value;
              else if (field === 'retry') frame.retry = value;
            }
          }
        }
      } catch {
        /* aborted */
      }
      push(null);
    })();
  }
  return {
    response,
    comments,
    next(timeoutMs = 5000) {
      const queued = queue.shift();
      if (queued !== undefined) return Promise.resolve(queued);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no SSE frame within timeout')), timeoutMs);
        waiters.push((f) => {
          clearTimeout(timer);
          resolve(f);
        });
      });
    },
    close: () => controller.abort(),
  };
}
