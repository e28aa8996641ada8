import type { Response } from 'express';

export interface SseMessage {
  event?: string;
  id?: number | string;
  data: unknown;
  retry?: number;
}

/** Serialises one Server-Sent Events message; rejects CR/LF where the format cannot carry them. */
export function formatSse({ event, id, data, retry }: SseMessage): string {
  let out = '';
  if (event !== undefined) out += `event: ${singleLine('event', event)}\n`;
  if (id !== undefined) out += `id: ${singleLine('id', String(id))}\n`;
  if (retry !== undefined) out += `retry: ${Math.max(0, Math.floor(retry))}\n`;
  const text = typeof data === 'string' ? data : JSON.stringify(data);
  for (const line of text.split(/\r\n|\r|\n/)) out += `data: ${line}\n`;
  return out + '\n';
}

function singleLine(field: string, value: string): string {
  if (/[\r\n\0]/.test(value)) throw new Error(`SSE ${field} must be one line`);
  return value;
}

/**
 * Starts an event stream. `no-transform` keeps `compression()` and proxies from buffering the
 * stream; `X-Accel-Buffering: no` does the same for nginx (docs/stack.md §6).
 */
export function openSseStream(res: Response, retryMs: number): void {
  res.status(200).set({
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-cache, no-transform',
    Connection: 'keep-alive',
    'X-Accel-Buffering': 'no',
  });
  res.flushHeaders();
  res.write(`retry: ${retryMs}\n\n`);
}
