/**
 * The sandbox's BR Codes checked by an independent parser (pix-utils), not by our own: a code our
 * parser accepts but a bank app's would refuse is exactly the bug our own tests cannot see.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { hasError, isDynamicPix, parsePix } from 'pix-utils';
import { ROUTES, type PixChargeView } from '../../widget/contract/wire-contract.js';
import { startTestServer, type TestServer } from './helpers.js';

let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(async () => {
  await server.destroy();
});

describe('BR Codes from POST /v1/checkouts/:id/pix', () => {
  for (const amount of [1, 1050, 99_999_99, 123_456]) {
    it(`pix-utils parses the code for ${amount} centavos as a valid dynamic PIX that states the amount`, async () => {
      const c = await server.createCheckout({ amount });
      const charge = (await (
        await server.browser(ROUTES.pix(c.id), c.clientSecret, { method: 'POST', body: '{}' })
      ).json()) as PixChargeView;
      const parsed = parsePix(charge.copyAndPaste);
      assert.ok(!hasError(parsed), JSON.stringify(parsed));
      assert.ok(isDynamicPix(parsed), 'a charge for one payment is a dynamic code with a location URL');
      assert.ok(parsed.url.includes(charge.transactionId), 'the location names the charge');
      assert.equal(parsed.merchantName, 'LOJA EXEMPLO');
      // Dynamic codes carry the amount in the location payload; ours also states it in field 54.
      assert.ok(charge.copyAndPaste.includes(`54${String((amount / 100).toFixed(2).length).padStart(2, '0')}${(amount / 100).toFixed(2)}`));
    });
  }
});
