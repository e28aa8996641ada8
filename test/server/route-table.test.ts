import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ROUTES } from '../../widget/contract/wire-contract.js';
import { audienceOf, ROUTE_TABLE } from '../../server/routes/route-table.js';
import { startTestServer, type TestServer } from './helpers.js';

describe('route table (who calls each route; CORS and limits read it)', () => {
  it('names the audience of every contract path', () => {
    assert.equal(audienceOf(ROUTES.checkouts), 'merchant');
    assert.equal(audienceOf(ROUTES.checkout('chk_1')), 'merchant');
    assert.equal(audienceOf(ROUTES.refund('chk_1')), 'merchant');
    for (const path of [
      ROUTES.session('chk_1'),
      ROUTES.pix('chk_1'),
      ROUTES.openFinance('chk_1'),
      ROUTES.events('chk_1'),
      `${ROUTES.events('chk_1')}/`,
    ])
      assert.equal(audienceOf(path), 'browser', path);
    assert.equal(audienceOf(ROUTES.connectpspWebhook), 'gateway');
    assert.equal(audienceOf('/sandbox/connectpsp/cash-in'), undefined);
    assert.equal(audienceOf('/v1/checkouts/chk_1/session/extra'), undefined);
  });

  describe('served', () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer({ ALLOWED_ORIGINS: 'https://shop.example' });
    });
    after(async () => {
      await server.destroy();
    });

    it('CORS answers exactly the browser routes of the table', async () => {
      for (const [name, route] of Object.entries(ROUTE_TABLE)) {
        const path = route.path.replace(':id', 'chk_000000000000000000000000');
        const res = await fetch(server.url + path, {
          method: 'OPTIONS',
          headers: { origin: 'https://shop.example', 'access-control-request-method': route.method },
        });
        const allowed = res.headers.get('access-control-allow-origin');
        assert.equal(allowed === 'https://shop.example', route.audience === 'browser', `${name} ${route.path}: ${allowed}`);
      }
    });
  });
});
