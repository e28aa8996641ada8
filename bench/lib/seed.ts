import { firstStatusEvent } from '../../server/checkouts/views.js';
import { loadConfig } from '../../server/config.js';
import { newCheckoutId, newClientSecret, sha256Hex } from '../../server/ids.js';
import { createStore } from '../../server/store/create-store.js';
import type { ChargeRecord, CheckoutRecord } from '../../server/store/store.js';
import { pool } from './stats.js';

export interface SeededCheckout {
  checkoutId: string;
  clientSecret: string;
  /** Set when the checkout was given a charge awaiting payment (a webhook can pay it). */
  transactionId?: string;
  amount: number;
}

/**
 * Writes checkouts (and charges) straight through the `Store`, before the clock starts: creating
 * thousands through the API and the sandbox would take minutes and measure the wrong thing.
 * The records are the ones the checkout service writes.
 */
export async function seedCheckouts(
  databaseUrl: string,
  count: number,
  options: { withCharge: boolean; tag: string },
): Promise<SeededCheckout[]> {
  const store = await createStore(loadConfig({ DATABASE_URL: databaseUrl }).database);
  try {
    return await pool(count, 8, async (i) => {
      const now = new Date().toISOString();
      const id = newCheckoutId();
      const clientSecret = newClientSecret(id);
      const amount = 1000 + (i % 9000);
      const checkout: CheckoutRecord = {
        id,
        clientSecretHash: sha256Hex(clientSecret),
        amount,
        externalReference: `${options.tag}-${i}`,
        description: null,
        payer: { name: 'Bench Payer', document: '12345678909' },
        methods: ['pix'],
        expiresInMinutes: 60,
        returnUrl: null,
        metadata: {},
        status: 'open',
        endToEndId: null,
        paidAt: null,
        refundEndToEndId: null,
        refundedAt: null,
        createdAt: now,
        updatedAt: now,
      };
      await store.createCheckout(checkout, firstStatusEvent(checkout));
      if (!options.withCharge) return { checkoutId: id, clientSecret, amount };
      const charge: ChargeRecord = {
        transactionId: `bench_${id}`,
        checkoutId: id,
        method: 'pix',
        status: 'awaiting_payment',
        amount,
        internalCode: null,
        gatewayReference: `${id}-bench`,
        copyAndPaste: '00020101021226830014br.gov.bcb.pix',
        paymentUrl: null,
        expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
        endToEndId: null,
        paidAt: null,
        refundEndToEndId: null,
        createdAt: now,
        updatedAt: now,
      };
      await store.saveCharge(charge, `bench-key-${id}`);
      return { checkoutId: id, clientSecret, transactionId: charge.transactionId, amount };
    });
  } finally {
    await store.close();
  }
}
