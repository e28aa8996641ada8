/**
 * Turns what the chaos run saw into the verdict: the counts that must all be zero, the totals that
 * say how much chaos there was, and the details of anything that went wrong (checkout ids, so a
 * failure can be followed up in the logs and the kept SQLite file).
 */
import type { CheckoutView } from '../widget/contract/wire-contract.js';
import type { CheckoutOutcome } from './driver.js';
import type { FaultCounts } from './fault-injector.js';
import type { HttpTally } from './http.js';
import type { MerchantDelivery } from './merchant-receiver.js';

/** A cash-in as the sandbox's state file keeps it (the fields the report needs). */
export interface SandboxCashIn {
  transactionId: string;
  externalReference: string;
  status: string;
}

export interface ChaosInputs {
  seed: number;
  durationMs: number;
  outcomes: CheckoutOutcome[];
  /** GET /v1/checkouts/:id at the end, by checkout id (undefined when it could not be read). */
  views: Map<string, CheckoutView | undefined>;
  sandboxCashIns: SandboxCashIn[];
  merchantAvailable: boolean;
  deliveries: MerchantDelivery[];
  /** Deliveries we refused on purpose (first attempts answered 500). */
  faults: FaultCounts;
  tally: HttpTally;
  serverStarts: number;
  /** Start-to-ready time of each server start, ms. */
  serverStartMs: number[];
  serverCrashes: { code: number | null; signal: string | null }[];
  sandboxCrashes: number;
  /** Each charge's statuses as the server showed them over the run, in the order seen (changes only). */
  chargeHistory: Map<string, string[]>;
  /** `sqlite` or `postgres`. */
  database: string;
}

export interface ChaosCounts {
  paidNotAnnounced: number;
  paidAnnouncedTwice: number;
  chargesCreatedTwice: number;
  merchantEventsLost: number | null;
  merchantEventsUnderTwoIds: number | null;
  merchantDeliveriesUnverified: number | null;
  paymentsLost: number;
  refundsNotApplied: number;
  serverErrors500: number;
  serverCrashes: number;
  chargesWentBackwards: number;
  refundsAnnouncedNotSettled: number;
  scenariosUnfinished: number;
}

export interface ChaosTotals {
  checkouts: number;
  paidCheckouts: number;
  payments: number;
  paidTwiceCheckouts: number;
  refunds: number;
  /** Refunds that failed at the gateway and were asked for again. */
  refundFailures: number;
  kills: number;
  serverStarts: number;
  /** Slowest restart (start to ready), seconds. */
  slowestRestartSeconds: number;
  faultsInjected: number;
  faults: Omit<FaultCounts, 'log'>;
  sseClients: number;
  sseReconnects: number;
  sseCuts: number;
  sseRefused: number;
  sseReplayedFrames: number;
  pixRetries: number;
  merchantDeliveries: number;
  merchantDistinctIds: number;
  merchantRefusedOnPurpose: number;
  httpStatuses: Record<string, number>;
  durationSeconds: number;
}

export interface ChaosReport {
  ok: boolean;
  seed: number;
  database: string;
  counts: ChaosCounts;
  totals: ChaosTotals;
  details: string[];
}

const PAID_STATES = new Set(['paid', 'refunded']);

export function buildReport(input: ChaosInputs): ChaosReport {
  const details: string[] = [];
  const counts: ChaosCounts = {
    paidNotAnnounced: 0,
    paidAnnouncedTwice: 0,
    chargesCreatedTwice: 0,
    merchantEventsLost: input.merchantAvailable ? 0 : null,
    merchantEventsUnderTwoIds: input.merchantAvailable ? 0 : null,
    merchantDeliveriesUnverified: input.merchantAvailable ? 0 : null,
    paymentsLost: 0,
    refundsNotApplied: 0,
    serverErrors500: input.tally.serverErrors.length,
    serverCrashes: input.serverCrashes.length + input.sandboxCrashes,
    chargesWentBackwards: 0,
    refundsAnnouncedNotSettled: 0,
    scenariosUnfinished: 0,
  };

  // A charge's status is one-way: awaiting → expired/cancelled → paid → refunded, never back.
  const RANK: Record<string, number> = { awaiting_payment: 0, expired: 1, cancelled: 1, paid: 2, refunded: 3 };
  for (const [transactionId, history] of input.chargeHistory) {
    for (let i = 1; i < history.length; i++) {
      if ((RANK[history[i]!] ?? 0) < (RANK[history[i - 1]!] ?? 0)) {
        counts.chargesWentBackwards += 1;
        details.push(`charge went backwards: ${transactionId} ${history.join(' → ')}`);
        break;
      }
    }
  }
  const sandboxStatus = new Map(input.sandboxCashIns.map((c) => [c.transactionId, c.status]));

  const cashInsByCheckout = new Map<string, SandboxCashIn[]>();
  for (const cashIn of input.sandboxCashIns) {
    const checkoutId = /^(chk_[0-9A-Za-z]{24})-/.exec(cashIn.externalReference)?.[1];
    if (!checkoutId) continue;
    const list = cashInsByCheckout.get(checkoutId) ?? [];
    list.push(cashIn);
    cashInsByCheckout.set(checkoutId, list);
  }

  const delivered = input.deliveries.filter((d) => d.verified && d.answered >= 200 && d.answered < 300);
  for (const outcome of input.outcomes) {
    const label = `#${outcome.plan.index} ${outcome.plan.kind} ${outcome.checkoutId ?? '(not created)'}`;
    if (!outcome.completed || outcome.problems.length > 0) {
      counts.scenariosUnfinished += 1;
      details.push(`unfinished ${label}: ${outcome.problems.join('; ') || 'did not complete'}`);
    }
    if (!outcome.checkoutId) continue;
    const view = input.views.get(outcome.checkoutId);
    if (!view) {
      details.push(`could not read ${label} at the end`);
      counts.scenariosUnfinished += 1;
      continue;
    }
    const paid = view.paidAt !== null && PAID_STATES.has(view.status);

    // 1–2. What each logical client (one browser, across all its reconnects) was told.
    outcome.clients.forEach((client, i) => {
      if (paid && client.paidCount === 0) {
        counts.paidNotAnnounced += 1;
        details.push(
          `paid never announced: ${label} client ${i} (server ${view.status}; client saw ${client.frames.map((f) => `${f.id}:${f.status}`).join(',') || 'nothing'}; ${client.reconnects} reconnects)`,
        );
      }
      if (client.paidCount > 1) {
        counts.paidAnnouncedTwice += 1;
        details.push(
          `paid announced ${client.paidCount}×: ${label} client ${i} (frames ${client.frames.map((f) => `${f.id}:${f.status}@c${f.connection}`).join(',')})`,
        );
      }
    });

    // 3. Every cash-in the sandbox holds for this checkout must be a charge the server knows.
    const known = new Set(view.charges.map((c) => c.transactionId));
    const atSandbox = cashInsByCheckout.get(outcome.checkoutId) ?? [];
    const unknown = atSandbox.filter((c) => !known.has(c.transactionId));
    if (unknown.length > 0) {
      counts.chargesCreatedTwice += unknown.length;
      details.push(
        `charges created twice: ${label} has ${atSandbox.length} cash-ins at the sandbox, the server lists ${view.charges.length} (unknown: ${unknown.map((c) => `${c.transactionId} ${c.status}`).join(', ')})`,
      );
    }

    // Payments: every cash-in the sandbox says was paid is paid on the server, and surfaced.
    const paidAtSandbox = atSandbox.filter((c) => c.status === 'PAID' || c.status === 'REFUNDED');
    for (const cashIn of paidAtSandbox) {
      const charge = view.charges.find((c) => c.transactionId === cashIn.transactionId);
      if (!charge || (charge.status !== 'paid' && charge.status !== 'refunded')) {
        counts.paymentsLost += 1;
        details.push(
          `payment lost: ${label} cash-in ${cashIn.transactionId} is ${cashIn.status} at the sandbox, ${charge?.status ?? 'unknown'} on the server`,
        );
      }
    }
    if (paidAtSandbox.length > 0 && !paid) {
      counts.paymentsLost += 1;
      details.push(`payment lost: ${label} has ${paidAtSandbox.length} paid cash-in(s) but the checkout is ${view.status}`);
    }
    if (paidAtSandbox.length > 1 && view.duplicatePayments < paidAtSandbox.length - 1) {
      counts.paymentsLost += 1;
      details.push(
        `duplicate payment not surfaced: ${label} paid ${paidAtSandbox.length}× at the sandbox, duplicatePayments=${view.duplicatePayments}`,
      );
    }
    // Announced refunded (checkout, charge or merchant event) only when the devolution settled at the gateway.
    const settling = view.charges.find((c) => c.endToEndId !== null && c.endToEndId === view.endToEndId);
    const announcedRefunded =
      view.status === 'refunded' ||
      (input.merchantAvailable && delivered.some((d) => d.checkoutId === outcome.checkoutId && d.type === 'checkout.refunded'));
    if (announcedRefunded && (!settling || sandboxStatus.get(settling.transactionId) !== 'REFUNDED')) {
      counts.refundsAnnouncedNotSettled += 1;
      details.push(
        `refund announced, not settled: ${label} is ${view.status}; its payment is ${settling ? sandboxStatus.get(settling.transactionId) : 'unknown'} at the sandbox`,
      );
    }
    for (const charge of view.charges) {
      if (charge.status === 'refunded' && sandboxStatus.get(charge.transactionId) !== 'REFUNDED') {
        counts.refundsAnnouncedNotSettled += 1;
        details.push(
          `charge refunded on the server, not at the sandbox: ${label} ${charge.transactionId} (${sandboxStatus.get(charge.transactionId)})`,
        );
      }
      const atSandbox = sandboxStatus.get(charge.transactionId);
      if ((atSandbox === 'PAID' || atSandbox === 'REFUNDED') && (charge.status === 'expired' || charge.status === 'cancelled')) {
        counts.chargesWentBackwards += 1;
        details.push(`charge left behind: ${label} ${charge.transactionId} is ${atSandbox} at the sandbox, ${charge.status} on the server`);
      }
    }
    if (outcome.refundRequested && view.status !== 'refunded') {
      counts.refundsNotApplied += 1;
      details.push(`refund not applied: ${label} is ${view.status}`);
    }

    // 4. Merchant notifications: each outcome delivered (2xx, verified), each under one id.
    if (input.merchantAvailable) {
      const mine = delivered.filter((d) => d.checkoutId === outcome.checkoutId);
      const has = (type: string) => mine.some((d) => d.type === type);
      if (paid && !has('checkout.paid')) {
        counts.merchantEventsLost! += 1;
        details.push(`merchant event lost: checkout.paid for ${label}`);
      }
      if (view.status === 'refunded' && !has('checkout.refunded')) {
        counts.merchantEventsLost! += 1;
        details.push(`merchant event lost: checkout.refunded for ${label}`);
      }
      const duplicatedTx = new Set(mine.filter((d) => d.type === 'checkout.payment_duplicated').map((d) => d.transactionId));
      if (duplicatedTx.size < view.duplicatePayments) {
        counts.merchantEventsLost! += view.duplicatePayments - duplicatedTx.size;
        details.push(`merchant event lost: checkout.payment_duplicated for ${label} (${duplicatedTx.size} of ${view.duplicatePayments})`);
      }
    }
  }

  if (input.merchantAvailable) {
    const idsByEvent = new Map<string, Set<string>>();
    for (const d of delivered) {
      // One event per change: a checkout can expire more than once, and each failed refund request is its own.
      const occurrence =
        d.type === 'checkout.expired'
          ? (d.checkoutUpdatedAt ?? '')
          : d.type === 'checkout.refund_failed'
            ? (d.refundRequestedAt ?? '')
            : '';
      const key = [d.type, d.checkoutId, d.transactionId ?? '', occurrence].join('|');
      const ids = idsByEvent.get(key) ?? new Set<string>();
      ids.add(d.webhookId);
      idsByEvent.set(key, ids);
    }
    for (const [key, ids] of idsByEvent) {
      if (ids.size > 1) {
        counts.merchantEventsUnderTwoIds! += 1;
        details.push(`merchant event under ${ids.size} ids: ${key} → ${[...ids].join(', ')}`);
      }
    }
    const unverified = input.deliveries.filter((d) => !d.verified);
    counts.merchantDeliveriesUnverified = unverified.length;
    for (const d of unverified.slice(0, 10))
      details.push(`merchant delivery failed verification: ${d.webhookId || '(no id)'}: ${d.problem}`);
  }

  for (const e of input.tally.serverErrors.slice(0, 10)) details.push(`server answered ${e.status} to ${e.method} ${e.path}: ${e.body}`);
  for (const c of input.serverCrashes) details.push(`server exited on its own: code ${c.code} signal ${c.signal}`);

  const clients = input.outcomes.flatMap((o) => o.clients);
  const { log: _log, ...faults } = input.faults;
  const totals: ChaosTotals = {
    checkouts: input.outcomes.filter((o) => o.checkoutId).length,
    paidCheckouts: [...input.views.values()].filter((v) => v && v.paidAt !== null).length,
    payments: input.outcomes.reduce((n, o) => n + o.paid.length, 0),
    paidTwiceCheckouts: input.outcomes.filter((o) => o.paid.length > 1).length,
    refunds: input.outcomes.filter((o) => o.refundRequested).length,
    refundFailures: input.outcomes.reduce((n, o) => n + (o.refundFailures ?? 0), 0),
    kills: input.faults.kills,
    serverStarts: input.serverStarts,
    slowestRestartSeconds: Math.round(Math.max(0, ...input.serverStartMs.slice(1)) / 100) / 10,
    faultsInjected: input.faults.total,
    faults,
    sseClients: clients.length,
    sseReconnects: clients.reduce((n, c) => n + c.reconnects, 0),
    sseCuts: clients.reduce((n, c) => n + c.cuts, 0),
    sseRefused: clients.reduce((n, c) => n + c.refused, 0),
    sseReplayedFrames: clients.reduce((n, c) => n + c.replayedFrames, 0),
    pixRetries: input.outcomes.reduce((n, o) => n + o.pixRetries, 0),
    merchantDeliveries: input.deliveries.length,
    merchantDistinctIds: new Set(input.deliveries.map((d) => d.webhookId)).size,
    merchantRefusedOnPurpose: input.deliveries.filter((d) => d.verified && d.answered === 500).length,
    httpStatuses: Object.fromEntries([...input.tally.byStatus].sort()),
    durationSeconds: Math.round(input.durationMs / 100) / 10,
  };

  const ok = Object.values(counts).every((v) => v === 0 || v === null);
  return { ok, seed: input.seed, database: input.database, counts, totals, details };
}

export function formatReport(report: ChaosReport): string {
  const c = report.counts;
  const t = report.totals;
  const na = (v: number | null) => (v === null ? 'not available (MERCHANT_WEBHOOK_URL not honoured)' : String(v));
  const mark = (v: number | null) => (v === 0 ? '  ok ' : v === null ? '  -- ' : ' FAIL');
  const lines = [
    '',
    `chaos run ${report.ok ? 'PASSED' : 'FAILED'}   seed ${report.seed}   (${t.durationSeconds} s, ${report.database})`,
    '',
    'must be zero:',
    `${mark(c.paidNotAnnounced)}  paid but never announced to a stream     ${c.paidNotAnnounced}`,
    `${mark(c.paidAnnouncedTwice)}  paid announced twice to one client       ${c.paidAnnouncedTwice}`,
    `${mark(c.chargesCreatedTwice)}  charges created twice                    ${c.chargesCreatedTwice}`,
    `${mark(c.merchantEventsLost)}  merchant events lost                     ${na(c.merchantEventsLost)}`,
    `${mark(c.merchantEventsUnderTwoIds)}  merchant events under two ids            ${na(c.merchantEventsUnderTwoIds)}`,
    `${mark(c.merchantDeliveriesUnverified)}  merchant deliveries failing verification ${na(c.merchantDeliveriesUnverified)}`,
    `${mark(c.paymentsLost)}  payments lost / duplicates not surfaced  ${c.paymentsLost}`,
    `${mark(c.refundsNotApplied)}  refunds not applied                      ${c.refundsNotApplied}`,
    `${mark(c.serverErrors500)}  server 500 answers                       ${c.serverErrors500}`,
    `${mark(c.serverCrashes)}  process deaths we did not cause          ${c.serverCrashes}`,
    `${mark(c.chargesWentBackwards)}  charges whose status went backwards      ${c.chargesWentBackwards}`,
    `${mark(c.refundsAnnouncedNotSettled)}  refunds announced and not settled        ${c.refundsAnnouncedNotSettled}`,
    `${mark(c.scenariosUnfinished)}  scenarios unfinished                     ${c.scenariosUnfinished}`,
    '',
    'totals:',
    `  checkouts ${t.checkouts} (paid ${t.paidCheckouts}, paid twice ${t.paidTwiceCheckouts}, refunded ${t.refunds}, refunds failed at the gateway and asked again ${t.refundFailures}); payments ${t.payments}`,
    `  server SIGKILLs ${t.kills} (starts ${t.serverStarts}, slowest restart ${t.slowestRestartSeconds} s); faults injected ${t.faultsInjected}: 5xx ${t.faults.injected5xx}, slow ${t.faults.delayed}, timeouts ${t.faults.timeouts}, duplicate-webhook windows ${t.faults.duplicateWebhookWindows}, hold windows ${t.faults.holdWindows} (${t.faults.webhooksReleasedReversed} webhooks released newest first)`,
    `  token revocations ${t.faults.tokenRevocations}, read-lag windows ${t.faults.readLagWindows}, slow-GET (>5 s) windows ${t.faults.slowGetWindows}, refund fail rate ${t.faults.refundFailRate}, PostgreSQL connections cut ${t.faults.databaseConnectionsCut}`,
    `  SSE clients ${t.sseClients}: reconnects ${t.sseReconnects} (cut on purpose ${t.sseCuts}, refused while down ${t.sseRefused}), replayed frames ${t.sseReplayedFrames}; POST /pix retries ${t.pixRetries}`,
    `  merchant deliveries ${t.merchantDeliveries} (distinct ids ${t.merchantDistinctIds}, refused on purpose ${t.merchantRefusedOnPurpose})`,
    `  HTTP answers seen: ${Object.entries(t.httpStatuses)
      .map(([k, v]) => `${k}×${v}`)
      .join(' ')}`,
  ];
  if (report.details.length > 0) lines.push('', 'details:', ...report.details.slice(0, 60).map((d) => `  - ${d}`));
  if (report.details.length > 60) lines.push(`  … ${report.details.length - 60} more`);
  return lines.join('\n');
}
