import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { ROUTES } from '../../widget/contract/wire-contract.js';
import { webhookSignature } from '../../server/connectpsp/signing.js';
import { SANDBOX_CREDENTIALS } from '../../server/sandbox/defaults.js';

/** A CASHIN_PAID webhook exactly as ConnectPSP sends it (docs/connectpsp.md §4), amount in reais. */
export function cashInPaidBody(transactionId: string, amountCentavos: number): string {
  const now = new Date().toISOString();
  return JSON.stringify({
    eventType: 'CASHIN_PAID',
    eventAt: now,
    data: {
      transactionId,
      internalCode: 'BENCH',
      externalReference: transactionId,
      endToEndId: `E12345678202611301200${randomBytes(6).toString('hex').slice(0, 11)}`,
      status: 'PAID',
      amount: amountCentavos / 100,
      payer: { name: 'Bench Payer', document: '12345678909', bankData: null },
      paidAt: now,
    },
  });
}

/**
 * Posts signed webhooks over a keep-alive pool of `connections` sockets, as a gateway that
 * delivers in parallel would. Resolves with the HTTP status and the time to answer.
 */
export function webhookSender(baseUrl: string, connections: number) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const url = new URL(ROUTES.connectpspWebhook, baseUrl);
  const send = (body: string) =>
    new Promise<{ status: number; ms: number }>((resolve, reject) => {
      const started = performance.now();
      const request = http.request(
        url,
        {
          method: 'POST',
          agent,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            'x-connect-signature': webhookSignature(body, SANDBOX_CREDENTIALS.cryptoToken),
            'x-event-id': randomBytes(8).toString('hex'),
          },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - started }));
        },
      );
      request.on('error', reject);
      request.end(body);
    });
  return { send, close: () => agent.destroy() };
}
