/**
 * `npm run chaos -- --checkouts 200 --seconds 60`
 *
 * Runs the companion server and the ConnectPSP sandbox as separate processes on loopback, drives
 * many checkouts through them, and meanwhile SIGKILLs and restarts the server, makes the sandbox
 * fail, stall and time out on charge creation, deliver webhooks twice and out of order, and cuts
 * SSE streams. After a bounded settle period it prints the counts below and exits 1 unless all are
 * zero:
 *
 *   - checkouts paid but never announced as `paid` to a stream (per logical client);
 *   - `paid` announced twice to one logical client across its reconnects;
 *   - charges created twice (cash-ins at the sandbox the server does not list);
 *   - merchant events lost, or delivered under two `webhook-id`s (and deliveries that fail
 *     Standard Webhooks verification);
 *   - payments lost (paid at the sandbox, not on the server), refunds not applied, server 500s,
 *     processes that died without our SIGKILL, charges whose status went backwards, refunds
 *     announced (refunded, checkout.refunded) but not settled at the sandbox, scenarios that could
 *     not finish.
 *
 * With `DATABASE_URL=postgres://…` in the environment the server runs on PostgreSQL, in a schema of
 * the run's own (dropped afterwards), through a TCP proxy of the run's own that cuts every
 * connection every few seconds; otherwise on a SQLite file.
 *
 * Options: --checkouts N (default 200), --seconds S (chaos window, default 60), --kills K (default
 * S/10), --seed N, --settle S (longest wait for retries to finish, default 90), --sse-cut P
 * (default 0.3), --paid-twice P (default 0.12), --refund P (default 0.1), --merchant-fail P
 * (default 0.1), --no-timeout (skip the 10 s gateway timeout fault), --keep (keep the temp dir),
 * --json (also print one `CHAOS_RESULT {…}` line). Loopback only; stops by itself; cleans up.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { CheckoutView } from '../widget/contract/wire-contract.js';
import { driveCheckout, planCheckouts, type CheckoutOutcome, type DriverContext } from './driver.js';
import { FaultInjector } from './fault-injector.js';
import { call, HttpTally } from './http.js';
import { startMerchantReceiver, type MerchantReceiver } from './merchant-receiver.js';
import { createRng, randomSeed } from './prng.js';
import { freePort, ManagedProcess, REPO_ROOT, sleep } from './process-supervisor.js';
import { buildReport, formatReport, type SandboxCashIn } from './report.js';
import { TcpProxy } from './tcp-proxy.js';
import pg from 'pg';

/** The PostgreSQL to run against, when given; read before the supervisor strips DATABASE_URL from children. */
const POSTGRES_URL = /^postgres(ql)?:\/\//.test(process.env.DATABASE_URL ?? '') ? process.env.DATABASE_URL : undefined;

async function adminQuery(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

const API_KEY = 'sk_chaos_0123456789abcdef';
/** The run's temporary directory, so an interrupted run can still remove it. */
let activeDir: string | undefined;

export interface ChaosOptions {
  checkouts: number;
  seconds: number;
  kills: number;
  seed: number;
  settleSeconds: number;
  sseCutProbability: number;
  paidTwiceShare: number;
  refundShare: number;
  merchantFailRate: number;
  gatewayTimeout: boolean;
  keep: boolean;
  json: boolean;
}

function parseOptions(argv: string[]): ChaosOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      checkouts: { type: 'string', default: '200' },
      seconds: { type: 'string', default: '60' },
      kills: { type: 'string' },
      seed: { type: 'string' },
      settle: { type: 'string', default: '90' },
      'sse-cut': { type: 'string', default: '0.3' },
      'paid-twice': { type: 'string', default: '0.12' },
      refund: { type: 'string', default: '0.1' },
      'merchant-fail': { type: 'string', default: '0.1' },
      'no-timeout': { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const num = (name: string, v: string | undefined, min: number, max: number): number => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < min || n > max) throw new Error(`--${name} must be a number from ${min} to ${max}, got "${v}"`);
    return n;
  };
  const seconds = num('seconds', values.seconds, 5, 3600);
  return {
    checkouts: Math.round(num('checkouts', values.checkouts, 1, 5000)),
    seconds,
    kills: Math.round(values.kills === undefined ? Math.max(1, Math.round(seconds / 10)) : num('kills', values.kills, 0, 500)),
    seed: values.seed === undefined ? randomSeed() : Math.round(num('seed', values.seed, 0, 2 ** 32 - 1)),
    settleSeconds: num('settle', values.settle, 5, 600),
    sseCutProbability: num('sse-cut', values['sse-cut'], 0, 1),
    paidTwiceShare: num('paid-twice', values['paid-twice'], 0, 1),
    refundShare: num('refund', values.refund, 0, 1),
    merchantFailRate: num('merchant-fail', values['merchant-fail'], 0, 0.9),
    gatewayTimeout: !values['no-timeout'],
    keep: values.keep,
    json: values.json,
  };
}

/** The merchant outbox is checked once the server reads MERCHANT_WEBHOOK_URL. */
function merchantWebhooksHonoured(): boolean {
  try {
    return readFileSync(join(REPO_ROOT, 'server', 'config.ts'), 'utf8').includes('MERCHANT_WEBHOOK_URL');
  } catch {
    return false;
  }
}

async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!);
      }
    }),
  );
  return out;
}

export async function runChaos(options: ChaosOptions): Promise<{ ok: boolean; output: string; json: unknown; dir: string }> {
  const started = Date.now();
  const rng = createRng(options.seed);
  const runId = `${options.seed.toString(36)}${Date.now().toString(36)}`;
  const dir = mkdtempSync(join(tmpdir(), 'cpc-chaos-'));
  activeDir = dir;
  const progress = (msg: string) => process.stderr.write(`[chaos +${((Date.now() - started) / 1000).toFixed(1)}s] ${msg}\n`);
  const tally = new HttpTally();
  const merchantAvailable = merchantWebhooksHonoured();

  const [serverPort, sandboxPort] = [await freePort(), await freePort()];
  const serverUrl = `http://127.0.0.1:${serverPort}`;
  const sandboxUrl = `http://127.0.0.1:${sandboxPort}/sandbox`;
  const stateFile = join(dir, 'sandbox-state.json');

  let receiver: MerchantReceiver | undefined;
  const sandbox = new ManagedProcess({
    name: 'sandbox',
    script: 'server/sandbox/main.ts',
    env: {
      SANDBOX_PORT: String(sandboxPort),
      SANDBOX_HOST: '127.0.0.1',
      SANDBOX_WEBHOOK_URL: `${serverUrl}/v1/webhooks/connectpsp`,
      SANDBOX_STATE_FILE: stateFile,
    },
    logFile: join(dir, 'sandbox.log'),
    readyUrl: `${sandboxUrl}/`,
  });
  let server: ManagedProcess | undefined;
  const outcomes: CheckoutOutcome[] = [];
  let watchdog: NodeJS.Timeout | undefined;
  let databaseProxy: TcpProxy | undefined;
  const schema = `chaos_${runId.replace(/[^a-z0-9]/g, '')}`;
  let databaseUrl = `sqlite:${join(dir, 'checkout.db')}`;
  /** Every charge's statuses as the server showed them (changes only), to catch one going backwards. */
  const chargeHistory = new Map<string, string[]>();
  const observe = (view: CheckoutView) => {
    for (const charge of view.charges) {
      const history = chargeHistory.get(charge.transactionId) ?? [];
      if (history.at(-1) !== charge.status) history.push(charge.status);
      chargeHistory.set(charge.transactionId, history);
    }
  };

  try {
    if (POSTGRES_URL) {
      await adminQuery(POSTGRES_URL, `CREATE SCHEMA ${schema}`);
      const target = new URL(POSTGRES_URL);
      databaseProxy = await TcpProxy.start({ host: target.hostname, port: Number(target.port || 5432) });
      const url = new URL(databaseProxy.urlFor(POSTGRES_URL));
      url.searchParams.set('options', `-c search_path=${schema}`);
      databaseUrl = url.href;
    }
    if (merchantAvailable)
      receiver = await startMerchantReceiver({ rng: rng.fork('merchant'), failFirstAttemptRate: options.merchantFailRate });
    await sandbox.start();
    server = new ManagedProcess({
      name: 'server',
      script: 'server/main.ts',
      env: {
        PORT: String(serverPort),
        HOST: '127.0.0.1',
        DATABASE_URL: databaseUrl,
        CONNECTPSP_BASE_URL: `${sandboxUrl}/connectpsp`,
        PUBLIC_URL: serverUrl,
        CHECKOUT_API_KEY: API_KEY,
        LOG_LEVEL: 'warn',
        RECONCILE_INTERVAL_SECONDS: '1',
        CONFIRM_PAYMENTS: 'true',
        // One loopback address plays every payer: per-client limits would throttle the whole run.
        RATE_LIMIT_PER_MINUTE: '10000000',
        CHECKOUT_RATE_LIMIT_PER_MINUTE: '10000000',
        ...(receiver ? { MERCHANT_WEBHOOK_URL: receiver.url, MERCHANT_WEBHOOK_SECRET: receiver.secret } : {}),
      },
      logFile: join(dir, 'server.log'),
      readyUrl: `${serverUrl}/readyz`,
    });
    const srv = server;
    await srv.start();
    progress(
      `server ${serverUrl} on ${POSTGRES_URL ? `PostgreSQL (schema ${schema}, through a cutting proxy)` : 'SQLite'}, sandbox ${sandboxUrl}, data ${dir}; seed ${options.seed}; ${options.checkouts} checkouts over ${options.seconds} s with ${options.kills} kills; merchant webhooks ${merchantAvailable ? 'on' : 'not available'}`,
    );

    // One restart at a time, whether after our SIGKILL or after a crash the watchdog noticed.
    let restarting: Promise<void> | undefined;
    const restartServer = () => {
      restarting ??= (async () => {
        for (let attempt = 1; ; attempt++) {
          try {
            if (!srv.running) await srv.start();
            return;
          } catch (err) {
            if (attempt >= 3) throw err;
            await sleep(500);
          }
        }
      })().finally(() => (restarting = undefined));
      return restarting;
    };
    let injectorRestarting = false;
    watchdog = setInterval(() => {
      if (!srv.running && !restarting && !injectorRestarting) void restartServer().catch((err) => progress(`restart failed: ${err}`));
    }, 500);

    const windowMs = options.seconds * 1000;
    const injector = new FaultInjector(
      {
        server: srv,
        sandboxUrl,
        tally,
        rng: rng.fork('chaos'),
        ...(databaseProxy ? { databaseProxy } : {}),
        restartServer: async () => {
          injectorRestarting = true;
          try {
            await restartServer();
          } finally {
            injectorRestarting = false;
          }
        },
      },
      {
        windowMs,
        kills: options.kills,
        gatewayTimeout: options.gatewayTimeout && windowMs >= 15_000,
        faultEveryMs: 2500,
        maxDowntimeMs: 800,
      },
    );
    // The server is down between a SIGKILL and its restart: the watchdog must not race the injector.
    const originalKill = srv.kill.bind(srv);
    srv.kill = async () => {
      injectorRestarting = true;
      await originalKill();
    };

    const plans = planCheckouts(options.checkouts, windowMs, rng.fork('plans'), {
      paidTwiceShare: options.paidTwiceShare,
      refundShare: options.refundShare,
      // A second charge comes ~30 s after the first; only worth it when the run lasts that long anyway.
      paidTwicePossible: windowMs >= 20_000,
    });
    const t0 = Date.now();
    const ctx: DriverContext = {
      serverUrl,
      sandboxUrl,
      apiKey: API_KEY,
      runId,
      tally,
      rng: rng.fork('drivers'),
      deadline: t0 + windowMs + 45_000,
      sseCutProbability: options.sseCutProbability,
    };
    injector.start();
    const drivers = plans.map(async (plan) => {
      const outcome: CheckoutOutcome = {
        plan,
        charges: [],
        paid: [],
        refundRequested: false,
        clients: [],
        completed: false,
        problems: [],
        pixRetries: 0,
      };
      outcomes.push(outcome);
      await sleep(plan.startAfterMs);
      try {
        await driveCheckout(plan, ctx, outcome);
      } catch (err) {
        outcome.problems.push(`driver threw: ${err instanceof Error ? err.stack : String(err)}`);
      }
    });

    // Meanwhile, the merchant's view of every checkout is sampled, to catch a charge going backwards.
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        await mapLimit(
          outcomes.filter((o) => o.checkoutId),
          4,
          async (o) => {
            const answer = await call<CheckoutView>(tally, 'GET', `${serverUrl}/v1/checkouts/${o.checkoutId}`, {
              headers: { authorization: `Bearer ${API_KEY}` },
              timeoutMs: 5000,
            });
            if (answer.status === 200 && answer.body) observe(answer.body);
          },
        );
        await sleep(1000);
      }
    })();
    await sleep(Math.max(0, t0 + windowMs - Date.now()));
    sampling = false;
    await sampler;
    progress('chaos window over: clearing faults, releasing held webhooks');
    await injector.stop();
    if (!srv.running) await restartServer();
    await Promise.all(drivers);
    progress(`all ${outcomes.length} scenarios done; settling (at most ${options.settleSeconds} s)`);

    // Settle: let webhook redeliveries, the reconciler, the outbox and the streams catch up.
    const views = new Map<string, CheckoutView | undefined>();
    const readView = async (id: string) => {
      const answer = await call<CheckoutView>(tally, 'GET', `${serverUrl}/v1/checkouts/${id}`, {
        headers: { authorization: `Bearer ${API_KEY}` },
        timeoutMs: 10_000,
      });
      if (answer.status === 200) views.set(id, answer.body);
      if (answer.status === 200 && answer.body) observe(answer.body);
      return answer.status === 200 ? answer.body : undefined;
    };
    const settled = (o: CheckoutOutcome): boolean => {
      const view = o.checkoutId ? views.get(o.checkoutId) : undefined;
      if (!view) return false;
      const paid = view.paidAt !== null;
      if (o.paid.length > 0 && !paid) return false;
      if (o.refundRequested && view.status !== 'refunded') return false;
      if (view.duplicatePayments < o.paid.length - 1) return false;
      if (paid && o.clients.some((c) => c.paidCount === 0 && !c.finishedWith204)) return false;
      if (receiver && paid) {
        const mine = receiver.deliveries.filter((d) => d.checkoutId === o.checkoutId && d.verified && d.answered === 200);
        if (!mine.some((d) => d.type === 'checkout.paid')) return false;
        if (view.status === 'refunded' && !mine.some((d) => d.type === 'checkout.refunded')) return false;
        if (new Set(mine.filter((d) => d.type === 'checkout.payment_duplicated').map((d) => d.transactionId)).size < view.duplicatePayments)
          return false;
      }
      return true;
    };
    receiver?.setFailureRate(0);
    const settleDeadline = Date.now() + options.settleSeconds * 1000;
    let pending = outcomes.filter((o) => o.checkoutId);
    while (pending.length > 0 && Date.now() < settleDeadline) {
      await mapLimit(pending, 8, (o) => readView(o.checkoutId!));
      pending = pending.filter((o) => !settled(o));
      if (pending.length > 0) await sleep(500);
    }
    progress(pending.length === 0 ? 'settled' : `settle period over with ${pending.length} checkouts still catching up`);
    // Streams that saw `refunded` have normally ended with 204 by now; give stragglers a moment.
    // (Paid ones stay open, since a refund may follow: they are stopped below.)
    const streamsDeadline = Date.now() + 3000;
    while (Date.now() < streamsDeadline && outcomes.some((o) => o.clients.some((c) => !c.done && c.paidCount > 0))) await sleep(100);
    await Promise.all(outcomes.flatMap((o) => o.clients.map((c) => c.stop())));
    await mapLimit(
      outcomes.filter((o) => o.checkoutId),
      8,
      (o) => readView(o.checkoutId!),
    );

    // Written by the sandbox after every change (atomically); absent only if nothing was created.
    const state = existsSync(stateFile) ? (JSON.parse(readFileSync(stateFile, 'utf8')) as { cashIns: SandboxCashIn[] }) : { cashIns: [] };
    clearInterval(watchdog);
    const report = buildReport({
      seed: options.seed,
      durationMs: Date.now() - started,
      outcomes,
      views,
      sandboxCashIns: state.cashIns,
      merchantAvailable,
      deliveries: receiver?.deliveries ?? [],
      faults: injector.counts,
      tally,
      serverStarts: srv.starts,
      serverStartMs: srv.startDurations,
      serverCrashes: srv.unexpectedExits,
      sandboxCrashes: sandbox.unexpectedExits.length,
      chargeHistory,
      database: POSTGRES_URL ? 'postgres' : 'sqlite',
    });
    let output = formatReport(report);
    if (!report.ok) {
      output += `\n\nfault log:\n${injector.counts.log.map((l) => `  ${l}`).join('\n')}`;
      output += `\n\nreproduce the plan with: npm run chaos -- --checkouts ${options.checkouts} --seconds ${options.seconds} --kills ${options.kills} --seed ${options.seed}`;
      output += `\nserver log tail (${join(dir, 'server.log')}):\n${srv.logTail(20)}`;
    }
    return { ok: report.ok, output, json: { ok: report.ok, seed: report.seed, counts: report.counts, totals: report.totals }, dir };
  } finally {
    clearInterval(watchdog);
    await Promise.all(outcomes.flatMap((o) => o.clients.map((c) => c.stop()))).catch(() => undefined);
    await server?.stop().catch(() => undefined);
    await sandbox.stop().catch(() => undefined);
    await receiver?.close().catch(() => undefined);
    await databaseProxy?.close().catch(() => undefined);
    if (POSTGRES_URL && !options.keep) await adminQuery(POSTGRES_URL, `DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
  }
}

async function main(): Promise<void> {
  let options: ChaosOptions;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  }
  // Ctrl-C or a test runner's SIGTERM: the exit hook in process-supervisor.ts kills our children.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      // The exit hook SIGKILLs the children first; their files can then go too.
      process.once('exit', () => {
        if (activeDir && !options.keep) rmSync(activeDir, { recursive: true, force: true });
      });
      process.exit(130);
    });
  }
  const result = await runChaos(options);
  process.stdout.write(result.output + '\n');
  if (options.json) process.stdout.write(`CHAOS_RESULT ${JSON.stringify(result.json)}\n`);
  if (result.ok && !options.keep) rmSync(result.dir, { recursive: true, force: true });
  else process.stdout.write(`\nrun data kept in ${result.dir} (server.log, sandbox.log, checkout.db, sandbox-state.json)\n`);
  process.exit(result.ok ? 0 : 1);
}

if (process.argv[1] && import.meta.url === (await import('node:url')).pathToFileURL(process.argv[1]).href) {
  main().catch((err) => {
    process.stderr.write(`chaos run failed to run: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
}
