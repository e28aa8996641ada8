import type { SeededCheckout } from './seed.js';
import type { Stream } from './sse-client.js';
import { cashInPaidBody, webhookSender } from './webhooks.js';

/**
 * Pays each checkout by a signed webhook to `webhookBaseUrl`, one at a time, and times how long
 * after the webhook was sent its stream received `paid`: the whole server path (verify, write,
 * apply, bus, read, SSE write) plus the two loopback hops.
 */
export async function webhookToStreamLatencies(
  webhookBaseUrl: string,
  samples: readonly { checkout: SeededCheckout; stream: Stream }[],
): Promise<number[]> {
  const sender = webhookSender(webhookBaseUrl, 1);
  try {
    const latencies: number[] = [];
    for (const { checkout, stream } of samples) {
      const body = cashInPaidBody(checkout.transactionId!, checkout.amount);
      const sent = performance.now();
      const [answer, arrived] = await Promise.all([sender.send(body), stream.arrival('paid')]);
      if (answer.status !== 200) throw new Error(`webhook answered ${answer.status}`);
      latencies.push(arrived - sent);
      stream.close();
    }
    return latencies;
  } finally {
    sender.close();
  }
}
