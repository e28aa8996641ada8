/**
 * Drives one checkout the way a shop and its payer would, through whatever the chaos is doing:
 * the merchant creates it (with an Idempotency-Key, so a retry after a SIGKILL is safe), the
 * payer's browser follows it over SSE and asks for a PIX charge (retried while the server is down
 * or answers 502/503), and the payer pays at the sandbox. Some checkouts are paid twice through a
 * second charge; some are refunded by the merchant afterwards.
 */
import type { CheckoutView, CreatedCheckout, PixChargeView } from '../widget/contract/wire-contract.js';
import { call, retrying, type HttpTally } from './http.js';
import type { Rng } from './prng.js';
import { sleep } from './process-supervisor.js';
import { ChaosSseClient } from './sse-client.js';

/** A CPF with valid check digits. */
const PAYER = { name: 'Maria Chaos', document: '12345678909' };
/** The server stops handing out a charge this close to its expiry and makes a new one. */
const SERVER_MIN_REMAINING_MS = 30_000;

export type CheckoutKind =
  /** One charge, paid once. */
  | 'single'
  /** Two charges (the first left to run out), both paid: a duplicate payment the server must record. */
  | 'paid_twice'
  /** Paid once, then refunded by the merchant. */
  | 'refunded';

export interface CheckoutPlan {
  index: number;
  kind: CheckoutKind;
  /** When to start, ms after the run began. */
  startAfterMs: number;
  /** Wait between getting the charge and paying it. */
  payDelayMs: number;
  /** paid_twice: expire the first charge at the sandbox before paying it late (allowExpired). */
  expireFirstCharge: boolean;
  /** paid_twice: pay the older charge first. */
  payOlderFirst: boolean;
  /** How many browsers follow this checkout (a second tab now and then). */
  clients: number;
}

export interface CheckoutOutcome {
  plan: CheckoutPlan;
  checkoutId?: string;
  /** Every distinct charge the browser was handed. */
  charges: string[];
  /** Charges the sandbox accepted a payment for. */
  paid: string[];
  refundRequested: boolean;
  /** Refunds that failed at the gateway and were requested again (a new operation each). */
  refundFailures?: number;
  clients: ChaosSseClient[];
  /** The scenario ran to its end (it may still be waiting for the server to catch up). */
  completed: boolean;
  problems: string[];
  /** POST /pix answers the browser had to retry (server down, 502, 503, 429). */
  pixRetries: number;
}

export interface DriverContext {
  serverUrl: string;
  /** `http://127.0.0.1:<port>/sandbox` (control routes). */
  sandboxUrl: string;
  apiKey: string;
  runId: string;
  tally: HttpTally;
  rng: Rng;
  /** No scenario step starts after this. */
  deadline: number;
  sseCutProbability: number;
}

export function planCheckouts(
  count: number,
  windowMs: number,
  rng: Rng,
  options: { paidTwiceShare: number; refundShare: number; paidTwicePossible: boolean },
): CheckoutPlan[] {
  const plans: CheckoutPlan[] = [];
  for (let index = 0; index < count; index++) {
    const roll = rng();
    const kind: CheckoutKind =
      options.paidTwicePossible && roll < options.paidTwiceShare
        ? 'paid_twice'
        : roll < options.paidTwiceShare + options.refundShare
          ? 'refunded'
          : 'single';
    plans.push({
      index,
      kind,
      // Checkouts paid twice wait ~30 s for their second charge: start them first.
      startAfterMs:
        kind === 'paid_twice'
          ? rng.int(0, Math.max(0, windowMs - SERVER_MIN_REMAINING_MS - 5000) / 4)
          : rng.int(0, Math.floor(windowMs * 0.75)),
      payDelayMs: rng.int(0, 1500),
      expireFirstCharge: rng.chance(0.5),
      payOlderFirst: rng.chance(0.5),
      clients: rng.chance(0.2) ? 2 : 1,
    });
  }
  return plans;
}

export async function driveCheckout(plan: CheckoutPlan, ctx: DriverContext, outcome: CheckoutOutcome): Promise<void> {
  const { serverUrl, apiKey, runId, tally, deadline } = ctx;
  const rng = ctx.rng.fork(`checkout-${plan.index}`);

  // 1. The merchant's backend creates the checkout; a retry with the same key gets the same one.
  const createBody = {
    amount: 1000 + plan.index,
    externalReference: `chaos-${runId}-${plan.index}`,
    description: `Chaos ${plan.kind}`,
    payer: PAYER,
    ...(plan.kind === 'paid_twice' ? { expiresInMinutes: 1 } : {}),
  };
  const created = await retrying<CreatedCheckout>(
    () =>
      call(tally, 'POST', `${serverUrl}/v1/checkouts`, {
        body: createBody,
        headers: { authorization: `Bearer ${apiKey}`, 'idempotency-key': `chaos-${runId}-${plan.index}` },
      }),
    { deadline },
  );
  if (created.status !== 201 || !created.body?.id) {
    outcome.problems.push(`create answered ${created.status} ${created.error ?? created.text.slice(0, 200)}`);
    return;
  }
  const checkout = created.body;
  outcome.checkoutId = checkout.id;

  // 2. The payer's browser(s) follow the checkout from the start. Before a refund, one more tab
  //    falls asleep after its first frame and wakes up (Last-Event-ID and all) after the refund.
  let wakeSleepyTab: () => void = () => {};
  const sleepyTabWakes = new Promise<void>((r) => (wakeSleepyTab = r));
  for (let i = 0; i < plan.clients + (plan.kind === 'refunded' ? 1 : 0); i++) {
    const sleepy = i === plan.clients;
    const client = new ChaosSseClient({
      baseUrl: serverUrl,
      checkoutId: checkout.id,
      clientSecret: checkout.clientSecret,
      rng: rng.fork(`sse-${i}`),
      cutProbability: sleepy ? 0 : ctx.sseCutProbability,
      tally,
      ...(sleepy ? { sleepAfterFirstFrame: sleepyTabWakes } : {}),
    });
    outcome.clients.push(client);
    client.start();
  }
  try {
    await runScenario(plan, ctx, outcome, checkout, rng);
  } finally {
    wakeSleepyTab();
  }
}

/** Steps 3–4: the charge(s), the payment(s), the refund. */
async function runScenario(
  plan: CheckoutPlan,
  ctx: DriverContext,
  outcome: CheckoutOutcome,
  checkout: CreatedCheckout,
  rng: Rng,
): Promise<void> {
  const { serverUrl, sandboxUrl, apiKey, tally, deadline } = ctx;

  const getPix = async (): Promise<PixChargeView | undefined> => {
    const answer = await retrying<PixChargeView>(
      () =>
        call(tally, 'POST', `${serverUrl}/v1/checkouts/${checkout.id}/pix`, {
          body: {},
          headers: { authorization: `Bearer ${checkout.clientSecret}` },
          timeoutMs: 45_000,
        }),
      { deadline, onRetry: () => (outcome.pixRetries += 1) },
    );
    if (answer.status !== 200 || !answer.body?.transactionId) {
      outcome.problems.push(`POST /pix answered ${answer.status} ${answer.error ?? answer.text.slice(0, 200)}`);
      return undefined;
    }
    if (!outcome.charges.includes(answer.body.transactionId)) outcome.charges.push(answer.body.transactionId);
    return answer.body;
  };

  const pay = async (transactionId: string, allowExpired = false): Promise<boolean> => {
    const answer = await retrying(
      () =>
        call(tally, 'POST', `${sandboxUrl}/cash-in/${encodeURIComponent(transactionId)}/pay`, {
          body: allowExpired ? { allowExpired: true } : {},
        }),
      {
        deadline: deadline + 10_000,
        retryOn: (a) => a.status === 0,
      },
    );
    // A retry after a lost answer finds the charge paid already: that is the same payment.
    if (answer.status === 200 || answer.body?.code === 'CASH_IN_ALREADY_PAID') {
      if (!outcome.paid.includes(transactionId)) outcome.paid.push(transactionId);
      return true;
    }
    outcome.problems.push(`pay ${transactionId} answered ${answer.status} ${answer.error ?? answer.text.slice(0, 200)}`);
    return false;
  };

  // 3. The browser asks for the PIX code.
  const first = await getPix();
  if (!first) return;

  if (plan.kind === 'paid_twice') {
    // Let the first code run out, as far as the server is concerned: it then makes a second one.
    if (plan.expireFirstCharge) {
      await retrying(() => call(tally, 'POST', `${sandboxUrl}/cash-in/${first.transactionId}/expire`, { body: {} }), {
        deadline,
        retryOn: (a) => a.status === 0,
      });
    }
    const handOverAt = Date.parse(first.expiresAt) - SERVER_MIN_REMAINING_MS + 500;
    await sleep(Math.max(0, handOverAt - Date.now()));
    let second: PixChargeView | undefined;
    while (Date.now() < deadline) {
      second = await getPix();
      if (!second || second.transactionId !== first.transactionId) break;
      await sleep(300);
    }
    if (!second || second.transactionId === first.transactionId) {
      outcome.problems.push('never got a second charge');
      return;
    }
    const order = plan.payOlderFirst ? [first, second] : [second, first];
    await pay(order[0]!.transactionId, order[0] === first);
    await sleep(rng.int(0, 800));
    await pay(order[1]!.transactionId, order[1] === first);
    outcome.completed = true;
    return;
  }

  await sleep(plan.payDelayMs);
  if (!(await pay(first.transactionId))) return;

  if (plan.kind === 'refunded') {
    // 4. The merchant refunds once its own API says paid (the webhook may still be on its way).
    for (;;) {
      const view = await retrying<CheckoutView>(
        () => call(tally, 'GET', `${serverUrl}/v1/checkouts/${checkout.id}`, { headers: { authorization: `Bearer ${apiKey}` } }),
        { deadline: deadline + 30_000 },
      );
      if (view.body?.status === 'paid' || view.body?.status === 'refunded') break;
      if (Date.now() > deadline + 30_000) {
        outcome.problems.push(`never saw the checkout paid before refunding (last status ${view.body?.status ?? view.status})`);
        return;
      }
      await sleep(250);
    }
    outcome.refundRequested = true;
    // A refund is an operation: 200 settled, 202 accepted and settling. One that fails (the sandbox's
    // refund failures) is told by refundStatus 'failed'; the merchant asks again, a new operation.
    for (let attempt = 1; ; attempt++) {
      const refund = await retrying<CheckoutView>(
        () =>
          call(tally, 'POST', `${serverUrl}/v1/checkouts/${checkout.id}/refund`, {
            body: {},
            headers: { authorization: `Bearer ${apiKey}` },
          }),
        {
          deadline: deadline + 30_000,
          retryOn: (a) => a.status === 0 || a.status === 409 || a.status === 429 || a.status === 502 || a.status === 503,
        },
      );
      if (refund.status !== 200 && refund.status !== 202) {
        outcome.problems.push(`refund answered ${refund.status} ${refund.error ?? refund.text.slice(0, 200)}`);
        return;
      }
      let failed = false;
      for (;;) {
        const view = await retrying<CheckoutView>(
          () => call(tally, 'GET', `${serverUrl}/v1/checkouts/${checkout.id}`, { headers: { authorization: `Bearer ${apiKey}` } }),
          { deadline: deadline + 30_000 },
        );
        if (view.body?.status === 'refunded') break;
        if (view.body?.charges.some((c) => c.refundStatus === 'failed')) {
          failed = true;
          outcome.refundFailures = (outcome.refundFailures ?? 0) + 1;
          break;
        }
        if (Date.now() > deadline + 30_000) {
          outcome.problems.push(`refund never settled nor failed (last status ${view.body?.status ?? view.status})`);
          return;
        }
        await sleep(300);
      }
      if (!failed) break;
      if (attempt >= 8) {
        outcome.problems.push(`refund failed ${attempt} times`);
        return;
      }
    }
  }
  outcome.completed = true;
}
