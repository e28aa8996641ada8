/**
 * The merchant's backend, as the chaos run sees it: an HTTP endpoint that verifies every
 * notification by the Standard Webhooks scheme (checked here with node:crypto, independently of
 * the server's own signing code) and records every delivery. It can refuse a share of first
 * attempts, so the outbox's retries are exercised too.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Rng } from './prng.js';

export interface MerchantDelivery {
  webhookId: string;
  timestamp: string;
  receivedAt: number;
  verified: boolean;
  /** Why verification failed, when it did. */
  problem?: string;
  /** The status we answered. */
  answered: number;
  type?: string;
  checkoutId?: string;
  /** For per-charge events (payment_duplicated, payment_refunded). */
  transactionId?: string;
  /** The checkout's updatedAt in the event, which tells two expiries of one checkout apart. */
  checkoutUpdatedAt?: string;
  /** checkout.refund_failed: which refund operation failed. */
  refundRequestedAt?: string;
}

/** A fresh `whsec_` secret: 32 random bytes. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/**
 * Standard Webhooks v1 verification: `webhook-signature` holds space-separated `v1,<base64>`
 * entries, each an HMAC-SHA256 over `{id}.{timestamp}.{body}` keyed by the base64-decoded secret.
 */
export function verifyStandardWebhook(
  secret: string,
  id: string | undefined,
  timestamp: string | undefined,
  signatures: string | undefined,
  body: string,
  nowSeconds = Math.floor(Date.now() / 1000),
): string | null {
  if (!id || !timestamp || !signatures) return 'missing webhook-id, webhook-timestamp or webhook-signature';
  if (!/^\d+$/.test(timestamp)) return 'webhook-timestamp is not an integer';
  if (Math.abs(nowSeconds - Number(timestamp)) > 300) return 'webhook-timestamp outside the 5-minute tolerance';
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest();
  const ok = signatures.split(' ').some((entry) => {
    const [version, value] = entry.split(',', 2);
    if (version !== 'v1' || !value) return false;
    const presented = Buffer.from(value, 'base64');
    return presented.length === expected.length && timingSafeEqual(presented, expected);
  });
  return ok ? null : 'no v1 signature matches';
}

export interface MerchantReceiver {
  url: string;
  secret: string;
  deliveries: MerchantDelivery[];
  /** Share of first attempts (per webhook-id) answered 500, to make the outbox retry. */
  setFailureRate(rate: number): void;
  close(): Promise<void>;
}

export async function startMerchantReceiver(options: {
  rng: Rng;
  failFirstAttemptRate?: number;
  secret?: string;
}): Promise<MerchantReceiver> {
  const secret = options.secret ?? newWebhookSecret();
  const deliveries: MerchantDelivery[] = [];
  const seenIds = new Set<string>();
  let failRate = options.failFirstAttemptRate ?? 0;

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('error', () => undefined);
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const header = (name: string) => {
        const v = req.headers[name];
        return Array.isArray(v) ? v.join(' ') : v;
      };
      const webhookId = header('webhook-id') ?? '';
      const timestamp = header('webhook-timestamp') ?? '';
      const problem = verifyStandardWebhook(secret, webhookId, timestamp, header('webhook-signature'), body);
      const delivery: MerchantDelivery = {
        webhookId,
        timestamp,
        receivedAt: Date.now(),
        verified: problem === null,
        answered: 200,
        ...(problem ? { problem } : {}),
      };
      if (problem === null) {
        try {
          const event = JSON.parse(body) as {
            type?: string;
            data?: { checkout?: { id?: string; updatedAt?: string }; transactionId?: string; refundRequestedAt?: string };
          };
          delivery.type = event.type;
          delivery.checkoutId = event.data?.checkout?.id;
          delivery.transactionId = event.data?.transactionId;
          delivery.checkoutUpdatedAt = event.data?.checkout?.updatedAt;
          if (event.data?.refundRequestedAt) delivery.refundRequestedAt = event.data.refundRequestedAt;
        } catch {
          delivery.problem = 'body is not JSON';
          delivery.verified = false;
        }
      }
      // A verified first attempt may be refused, so the event must come again under the same id.
      const firstAttempt = !seenIds.has(webhookId);
      seenIds.add(webhookId);
      if (!delivery.verified) delivery.answered = 400;
      else if (firstAttempt && failRate > 0 && options.rng.chance(failRate)) delivery.answered = 500;
      deliveries.push(delivery);
      res.writeHead(delivery.answered, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: delivery.answered === 200 }));
    });
  });
  await new Promise<void>((r, j) => {
    server.once('error', j);
    server.listen(0, '127.0.0.1', () => r());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/merchant/webhooks`,
    secret,
    deliveries,
    setFailureRate(rate) {
      failRate = rate;
    },
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}
