/**
 * The chaos run's HTTP calls: one attempt with a timeout that never throws (a network error is an
 * answer too, status 0), a retry loop for calls that are safe to repeat, and a tally of what the
 * server answered — a 500 from the companion server is a bug whatever the chaos around it.
 */
import { sleep } from './process-supervisor.js';

export interface HttpAnswer<T = any> {
  /** 0 when there was no HTTP answer (refused, reset, timed out). */
  status: number;
  body: T;
  text: string;
  headers: Headers | undefined;
  error?: string;
}

export class HttpTally {
  readonly byStatus = new Map<string, number>();
  /** Answers with status 500 (or any 5xx other than the gateway's 502/503): bugs. */
  readonly serverErrors: { method: string; path: string; status: number; body: string }[] = [];
  networkErrors = 0;

  record(method: string, url: string, status: number, text: string): void {
    const key = status === 0 ? 'network' : String(status);
    this.byStatus.set(key, (this.byStatus.get(key) ?? 0) + 1);
    if (status === 0) this.networkErrors += 1;
    if (status >= 500 && status !== 502 && status !== 503)
      this.serverErrors.push({ method, path: new URL(url).pathname, status, body: text.slice(0, 300) });
  }
}

export async function call<T = any>(
  tally: HttpTally | undefined,
  method: string,
  url: string,
  options: { body?: unknown; headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<HttpAnswer<T>> {
  const headers: Record<string, string> = {
    ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
    ...options.headers,
  };
  try {
    const res = await fetch(url, {
      method,
      headers,
      ...(options.body !== undefined ? { body: typeof options.body === 'string' ? options.body : JSON.stringify(options.body) } : {}),
      signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
    });
    const text = await res.text();
    let body: any;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    tally?.record(method, url, res.status, text);
    return { status: res.status, body, text, headers: res.headers };
  } catch (err) {
    tally?.record(method, url, 0, '');
    const e = err as Error & { cause?: { code?: string; message?: string } };
    return { status: 0, body: undefined as T, text: '', headers: undefined, error: e.cause?.code ?? e.cause?.message ?? e.message };
  }
}

/**
 * Repeats `attempt` while it answers something worth retrying (no answer, 429, 502, 503 by
 * default), with capped exponential backoff, until it answers otherwise or `deadline` passes.
 * Only for calls that are safe to repeat: idempotency keys, GETs, the server's idempotent routes.
 */
export async function retrying<T>(
  attempt: () => Promise<HttpAnswer<T>>,
  options: { deadline: number; retryOn?: (a: HttpAnswer<T>) => boolean; onRetry?: () => void },
): Promise<HttpAnswer<T>> {
  const retryOn = options.retryOn ?? ((a) => a.status === 0 || a.status === 429 || a.status === 502 || a.status === 503);
  let delay = 100;
  for (;;) {
    const answer = await attempt();
    if (!retryOn(answer) || Date.now() > options.deadline) return answer;
    options.onRetry?.();
    const retryAfter = Number(answer.headers?.get('retry-after'));
    // As a well-behaved client does: a 429 or 503 that says when to come back is taken at its word.
    await sleep(
      (answer.status === 429 || answer.status === 503) && retryAfter > 0
        ? Math.min(retryAfter * 1000, 5000) * (0.75 + Math.random() / 2)
        : delay * (0.5 + Math.random() / 2),
    );
    delay = Math.min(delay * 2, 2000);
  }
}
