/**
 * The chaos run (`chaos/run.ts`) at a size CI can afford: 30 checkouts over 30 s with 3 SIGKILLs of
 * the server, sandbox 5xx/slow/timed-out answers on charge creation, duplicated and reordered
 * webhooks, cut SSE streams, checkouts paid twice and refunded. It must finish with every count at
 * zero. CHAOS_SEED=<n> replays a run's plan (the seed is printed either way).
 *
 * First, a check that the report really counts what it claims to, so a green run means something.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import type { CheckoutView } from '../../widget/contract/wire-contract.js';
import type { CheckoutOutcome, CheckoutPlan } from '../../chaos/driver.js';
import type { FaultCounts } from '../../chaos/fault-injector.js';
import { HttpTally } from '../../chaos/http.js';
import type { MerchantDelivery } from '../../chaos/merchant-receiver.js';
import { createRng } from '../../chaos/prng.js';
import { buildReport, type SandboxCashIn } from '../../chaos/report.js';
import { ChaosSseClient } from '../../chaos/sse-client.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

function checkoutId(n: number): string {
  return `chk_${String(n).padStart(24, '0')}`;
}

function view(id: string, over: Partial<CheckoutView> = {}): CheckoutView {
  return {
    id,
    status: 'paid',
    amount: 1000,
    currency: 'BRL',
    externalReference: id,
    description: null,
    methods: ['pix'],
    payer: null,
    expiresInMinutes: 30,
    returnUrl: null,
    metadata: {},
    endToEndId: 'E1',
    paidAt: '2026-01-01T00:00:00.000Z',
    refundEndToEndId: null,
    refundedAt: null,
    duplicatePayments: 0,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    charges: [
      {
        transactionId: `tx-${id}`,
        method: 'pix',
        status: 'paid',
        amount: 1000,
        expiresAt: '',
        createdAt: '',
        endToEndId: 'E1',
        paidAt: '',
        refundEndToEndId: null,
        refundStatus: null,
        refundFailure: null,
      },
    ],
    ...over,
  };
}

function client(statuses: string[]): ChaosSseClient {
  const c = new ChaosSseClient({ baseUrl: 'http://127.0.0.1:1', checkoutId: 'x', clientSecret: 'x', rng: createRng(1), cutProbability: 0 });
  statuses.forEach((status, i) => c.frames.push({ id: i + 1, status, at: 0, connection: 1 }));
  c.finishedWith204 = true;
  return c;
}

function outcome(index: number, clients: ChaosSseClient[], paid = 1): CheckoutOutcome {
  const plan: CheckoutPlan = {
    index,
    kind: 'single',
    startAfterMs: 0,
    payDelayMs: 0,
    expireFirstCharge: false,
    payOlderFirst: false,
    clients: clients.length,
  };
  const id = checkoutId(index);
  return {
    plan,
    checkoutId: id,
    charges: [`tx-${id}`],
    paid: Array.from({ length: paid }, () => `tx-${id}`),
    refundRequested: false,
    clients,
    completed: true,
    problems: [],
    pixRetries: 0,
  };
}

function delivery(id: string, type: string, webhookId: string, over: Partial<MerchantDelivery> = {}): MerchantDelivery {
  return { webhookId, timestamp: '0', receivedAt: 0, verified: true, answered: 200, type, checkoutId: id, ...over };
}

const NO_FAULTS: FaultCounts = {
  kills: 0,
  injected5xx: 0,
  delayed: 0,
  timeouts: 0,
  duplicateWebhookWindows: 0,
  holdWindows: 0,
  webhooksReleasedReversed: 0,
  tokenRevocations: 0,
  readLagWindows: 0,
  slowGetWindows: 0,
  databaseConnectionsCut: 0,
  refundFailRate: 0,
  total: 0,
  log: [],
};

describe('chaos report', () => {
  it('counts each kind of failure, and nothing on a clean run', () => {
    const ids = Array.from({ length: 7 }, (_, i) => checkoutId(i));
    const outcomes = [
      outcome(0, [client(['awaiting_payment', 'paid'])]), // clean
      outcome(1, [client(['awaiting_payment'])]), // paid, never announced
      outcome(2, [client(['paid', 'paid'])]), // announced twice
      outcome(3, [client(['paid'])]), // a second cash-in the server does not know
      outcome(4, [client(['paid'])]), // no checkout.paid delivered
      outcome(5, [client(['paid'])]), // checkout.paid under two ids
      outcome(6, [client(['awaiting_payment'])]), // paid at the sandbox, not on the server
    ];
    const views = new Map<string, CheckoutView | undefined>(ids.map((id) => [id, view(id)]));
    views.set(
      ids[6]!,
      view(ids[6]!, {
        status: 'awaiting_payment',
        paidAt: null,
        endToEndId: null,
        charges: [{ ...view(ids[6]!).charges[0]!, status: 'awaiting_payment' }],
      }),
    );
    const cashIns: SandboxCashIn[] = ids.map((id) => ({ transactionId: `tx-${id}`, externalReference: `${id}-abc123`, status: 'PAID' }));
    cashIns.push({ transactionId: 'tx-orphan', externalReference: `${ids[3]}-zzz999`, status: 'AWAITING_PAYMENT' });
    const deliveries = ids.filter((_, i) => i !== 4).map((id, i) => delivery(id, 'checkout.paid', `msg_${i}`));
    deliveries.push(delivery(ids[5]!, 'checkout.paid', 'msg_other'));
    deliveries.push(
      delivery(ids[0]!, 'checkout.paid', 'msg_forged', { verified: false, problem: 'no v1 signature matches', answered: 400 }),
    );
    const tally = new HttpTally();
    tally.record('GET', 'http://127.0.0.1/v1/checkouts/x', 500, 'boom');

    // #0's charge seen paid, then expired: backwards. #1 shown refunded while its payment is only PAID at the sandbox.
    const chargeHistory = new Map([[`tx-${ids[0]}`, ['awaiting_payment', 'paid', 'expired', 'paid']]]);
    views.set(ids[1]!, view(ids[1]!, { status: 'refunded' }));
    const report = buildReport({
      seed: 1,
      durationMs: 1000,
      outcomes,
      views,
      sandboxCashIns: cashIns,
      merchantAvailable: true,
      deliveries,
      faults: NO_FAULTS,
      tally,
      serverStarts: 1,
      serverStartMs: [1000],
      serverCrashes: [{ code: 1, signal: null }],
      sandboxCrashes: 0,
      chargeHistory,
      database: 'sqlite',
    });
    assert.equal(report.ok, false);
    assert.deepEqual(report.counts, {
      paidNotAnnounced: 1,
      paidAnnouncedTwice: 1,
      chargesCreatedTwice: 1,
      merchantEventsLost: 2, // #4's checkout.paid, #1's checkout.refunded
      merchantEventsUnderTwoIds: 1,
      merchantDeliveriesUnverified: 1,
      paymentsLost: 2, // #6: its cash-in is PAID while its charge is not, and the checkout is not paid
      refundsNotApplied: 0,
      serverErrors500: 1,
      serverCrashes: 1,
      chargesWentBackwards: 1,
      refundsAnnouncedNotSettled: 1,
      scenariosUnfinished: 0,
    });

    // Two refund requests of one charge that both failed: two events, each under its own id, not a duplicate.
    const refundFailures = ['2026-01-01T00:00:01.000Z', '2026-01-01T00:00:09.000Z'].map((at, i) =>
      delivery(ids[0]!, 'checkout.refund_failed', `msg_rf_${i}`, { transactionId: `tx-${ids[0]}`, refundRequestedAt: at }),
    );
    const clean = buildReport({
      seed: 1,
      durationMs: 1000,
      outcomes: [outcomes[0]!],
      views: new Map([[ids[0]!, view(ids[0]!)]]),
      sandboxCashIns: [cashIns[0]!],
      merchantAvailable: true,
      deliveries: [deliveries[0]!, ...refundFailures],
      faults: NO_FAULTS,
      tally: new HttpTally(),
      serverStarts: 1,
      serverStartMs: [1000],
      serverCrashes: [],
      sandboxCrashes: 0,
      chargeHistory: new Map([[`tx-${ids[0]}`, ['awaiting_payment', 'expired', 'paid']]]),
      database: 'sqlite',
    });
    assert.equal(clean.ok, true, clean.details.join('\n'));
  });
});

describe('chaos run (CI size)', () => {
  it('survives SIGKILLs, gateway faults, reordered webhooks and cut streams with every count at zero', { timeout: 240_000 }, async () => {
    const args = [
      '--import',
      'tsx',
      'chaos/run.ts',
      '--checkouts',
      '30',
      '--seconds',
      '30',
      '--kills',
      '3',
      '--settle',
      '75',
      '--json',
      ...(process.env.CHAOS_SEED ? ['--seed', process.env.CHAOS_SEED] : []),
    ];
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // If this test times out, SIGTERM lets the run kill its own server and sandbox.
    const timer = setTimeout(() => child.kill('SIGTERM'), 220_000);
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    clearTimeout(timer);
    const line = stdout.split('\n').find((l) => l.startsWith('CHAOS_RESULT '));
    assert.ok(line, `no CHAOS_RESULT line (exit ${code}).\nstdout:\n${stdout}\nstderr:\n${stderr}`);
    const result = JSON.parse(line.slice('CHAOS_RESULT '.length)) as {
      ok: boolean;
      seed: number;
      counts: Record<string, number | null>;
      totals: Record<string, unknown>;
    };
    console.log(`chaos seed ${result.seed}: ${JSON.stringify(result.totals)}`);
    const nonZero = Object.entries(result.counts).filter(([, v]) => v !== 0 && v !== null);
    assert.deepEqual(nonZero, [], `chaos counts not zero (seed ${result.seed}):\n${stdout}`);
    assert.equal(code, 0, stdout);
    assert.ok((result.totals.kills as number) >= 3, 'the server was SIGKILLed 3 times');
  });
});
