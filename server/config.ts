import { z } from 'zod';
import { SANDBOX_CREDENTIALS } from './sandbox/defaults.js';
import { CONNECTPSP_HOSTS } from './connectpsp/client.js';

/** The sandbox's merchant API key: printed at start-up, accepted only in sandbox mode unless set. */
export const SANDBOX_CHECKOUT_API_KEY = 'sk_sandbox_connectpsp_checkout';
/** The sandbox's merchant webhook secret (Standard Webhooks `whsec_` form); printed, sandbox only. */
export const SANDBOX_MERCHANT_WEBHOOK_SECRET = `whsec_${Buffer.from('connectpsp-checkout-sandbox-webhook-key').toString('base64')}`;

const booleanString = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

type CredentialKey =
  'CONNECTPSP_CLIENT_ID' | 'CONNECTPSP_CLIENT_SECRET' | 'CONNECTPSP_APPLICATION_TOKEN' | 'CONNECTPSP_CRYPTO_TOKEN' | 'CHECKOUT_API_KEY';

const optionalString = z
  .string()
  .trim()
  .transform((s) => (s === '' ? undefined : s))
  .optional();

/**
 * Every variable `npm start` reads, with its default; each is described in the README's
 * "Configure" table. `npm run sandbox` (a separate ConnectPSP sandbox) reads its own SANDBOX_*
 * variables in server/sandbox/main.ts, and none of these.
 */
const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: optionalString,
  CONNECTPSP_ENV: z.enum(['sandbox', 'staging', 'production']).default('sandbox'),
  CONNECTPSP_BASE_URL: optionalString.pipe(z.url({ protocol: /^https?$/ }).optional()),
  CONNECTPSP_CLIENT_ID: optionalString,
  CONNECTPSP_CLIENT_SECRET: optionalString,
  CONNECTPSP_APPLICATION_TOKEN: optionalString,
  CONNECTPSP_CRYPTO_TOKEN: optionalString,
  CHECKOUT_API_KEY: optionalString.pipe(z.string().min(16, 'must be at least 16 characters').optional()),
  DATABASE_URL: z.string().trim().default('sqlite:./data/connectpsp-checkout.db'),
  DATABASE_PREPARED_STATEMENTS: booleanString.default(true),
  DATABASE_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(5000),
  DATABASE_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5000),
  PUBLIC_URL: optionalString.pipe(z.url({ protocol: /^https?$/ }).optional()),
  MERCHANT_NAME: z.string().trim().min(1).max(60).default('Loja Exemplo'),
  ALLOWED_ORIGINS: optionalString,
  DEFAULT_EXPIRES_IN_MINUTES: z.coerce.number().int().min(1).max(1440).default(30),
  SSE_HEARTBEAT_SECONDS: z.coerce.number().min(1).max(55).default(15),
  SSE_MAX_STREAMS_PER_CHECKOUT: z.coerce.number().int().min(1).max(1000).default(5),
  RECONCILE_INTERVAL_SECONDS: z.coerce.number().min(1).max(3600).default(30),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
  MERCHANT_WEBHOOK_URL: optionalString.pipe(z.url({ protocol: /^https?$/ }).optional()),
  MERCHANT_WEBHOOK_SECRET: optionalString.pipe(
    z
      .string()
      .regex(/^whsec_[A-Za-z0-9+/]+=*$/, 'must be whsec_ followed by base64')
      .refine((s) => Buffer.from(s.slice(6), 'base64').length >= 24, 'must hold at least 24 random bytes')
      .optional(),
  ),
  CONFIRM_PAYMENTS: booleanString.optional(),
  AUTO_REFUND_DUPLICATES: booleanString.default(false),
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(300),
  CHECKOUT_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(120),
  METRICS_TOKEN: optionalString,
  SHUTDOWN_DRAIN_SECONDS: z.coerce.number().min(0).max(300).default(10),
  /** Built-in sandbox only: where it keeps its charges; see `sandboxStateBeside`. */
  SANDBOX_STATE_FILE: optionalString,
  /** Turns the operator console on at /console; at least 12 characters. Off when unset. */
  CONSOLE_PASSWORD: optionalString.pipe(z.string().min(12, 'must be at least 12 characters').optional()),
  /** The embedded sandbox: how long a cash-out stays PROCESSING before it settles by itself. */
  SANDBOX_CASHOUT_SETTLE_MS: z.coerce.number().int().min(0).max(86_400_000).optional(),
});

export type Database =
  | { kind: 'sqlite'; filename: string /* ':memory:' or a path */ }
  /**
   * `preparedStatements`: off behind a pooler in transaction mode that does not keep them.
   * `statementTimeoutMs` bounds every statement (server side) and every wait for its answer (client
   * side, for a network that froze); `connectTimeoutMs` bounds getting a connection.
   */
  | { kind: 'postgres'; url: string; preparedStatements: boolean; statementTimeoutMs: number; connectTimeoutMs: number };

export interface Config {
  port: number;
  host: string | undefined;
  mode: 'sandbox' | 'staging' | 'production';
  /** True when the embedded sandbox is mounted at /sandbox and used as the gateway. */
  embeddedSandbox: boolean;
  /** ConnectPSP base URL; in embedded-sandbox mode it is only known once the port is. */
  connectpspBaseUrl: string | undefined;
  credentials: { clientId: string; clientSecret: string; applicationToken: string; cryptoToken: string };
  checkoutApiKey: string;
  /** Which credentials fell back to the printed sandbox defaults (said plainly at start-up). */
  defaultedCredentials: string[];
  database: Database;
  publicUrl: string | undefined;
  merchantName: string;
  /** '*' or a list of exact origins the browser routes answer. */
  allowedOrigins: '*' | string[];
  defaultExpiresInMinutes: number;
  sseHeartbeatMs: number;
  /** Open event streams one checkout may have on one instance; more are answered 429. */
  sseMaxStreamsPerCheckout: number;
  reconcileIntervalMs: number;
  /** The operator console's password; undefined: no console. */
  consolePassword?: string | undefined;
  /** The embedded sandbox's cash-out settle delay; undefined: its default (2 s). */
  sandboxCashOutSettleMs?: number | undefined;
  logLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  /** Where merchant notifications go; undefined: they are kept in the outbox, not sent. */
  merchantWebhookUrl: string | undefined;
  merchantWebhookSecret: string;
  confirmPayments: boolean;
  autoRefundDuplicates: boolean;
  rateLimits: { perClientPerMinute: number; perCheckoutPerMinute: number };
  /** When set, /metrics wants `Authorization: Bearer <token>`. */
  metricsToken: string | undefined;
  /** On SIGTERM/SIGINT or `stop()`: how long in-flight requests may take to finish. */
  shutdownDrainMs: number;
  /**
   * Where the embedded sandbox keeps its charges across restarts (`SANDBOX_STATE_FILE`; by default
   * beside the SQLite file); undefined: in memory only (an in-memory or PostgreSQL database).
   */
  sandboxStateFile: string | undefined;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Reads the configuration from the environment, once, at start-up. Every problem is collected into
 * one `ConfigError`, so an operator fixes them all in one go instead of one per restart.
 * No other module reads `process.env`.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.') || 'env'}: ${i.message}`));
  }
  const e = parsed.data;
  const problems: string[] = [];
  const live = e.CONNECTPSP_ENV !== 'sandbox';

  const defaults: Record<CredentialKey, string> = {
    CONNECTPSP_CLIENT_ID: SANDBOX_CREDENTIALS.clientId,
    CONNECTPSP_CLIENT_SECRET: SANDBOX_CREDENTIALS.clientSecret,
    CONNECTPSP_APPLICATION_TOKEN: SANDBOX_CREDENTIALS.applicationToken,
    CONNECTPSP_CRYPTO_TOKEN: SANDBOX_CREDENTIALS.cryptoToken,
    CHECKOUT_API_KEY: SANDBOX_CHECKOUT_API_KEY,
  };
  const defaultedCredentials: string[] = [];
  const value = (key: CredentialKey): string => {
    const v = e[key];
    if (v !== undefined) return v;
    // Against a real host a missing secret is an error, never a silent fallback to a public default.
    if (live) problems.push(`${key}: required when CONNECTPSP_ENV=${e.CONNECTPSP_ENV}`);
    defaultedCredentials.push(key);
    return defaults[key];
  };
  const credentials = {
    clientId: value('CONNECTPSP_CLIENT_ID'),
    clientSecret: value('CONNECTPSP_CLIENT_SECRET'),
    applicationToken: value('CONNECTPSP_APPLICATION_TOKEN'),
    cryptoToken: value('CONNECTPSP_CRYPTO_TOKEN'),
  };
  const checkoutApiKey = value('CHECKOUT_API_KEY');

  let merchantWebhookSecret = e.MERCHANT_WEBHOOK_SECRET;
  if (merchantWebhookSecret === undefined) {
    if (live && e.MERCHANT_WEBHOOK_URL !== undefined)
      problems.push('MERCHANT_WEBHOOK_SECRET: required with MERCHANT_WEBHOOK_URL outside sandbox (whsec_ + base64 of 24+ random bytes)');
    merchantWebhookSecret = SANDBOX_MERCHANT_WEBHOOK_SECRET;
    defaultedCredentials.push('MERCHANT_WEBHOOK_SECRET');
  }

  if (live && e.PUBLIC_URL === undefined) {
    problems.push('PUBLIC_URL: required when CONNECTPSP_ENV is not sandbox (ConnectPSP calls it back)');
  }

  let database: Database | undefined;
  const dbUrl = e.DATABASE_URL;
  if (dbUrl.startsWith('sqlite:')) {
    const filename = dbUrl.slice('sqlite:'.length).replace(/^\/\//, '');
    if (filename === '') problems.push('DATABASE_URL: sqlite: needs a file name, e.g. sqlite:./data/checkout.db or sqlite::memory:');
    else database = { kind: 'sqlite', filename };
  } else if (/^postgres(ql)?:\/\//.test(dbUrl)) {
    database = {
      kind: 'postgres',
      url: dbUrl,
      preparedStatements: e.DATABASE_PREPARED_STATEMENTS,
      statementTimeoutMs: e.DATABASE_STATEMENT_TIMEOUT_MS,
      connectTimeoutMs: e.DATABASE_CONNECT_TIMEOUT_MS,
    };
  } else {
    problems.push('DATABASE_URL: must start with sqlite: or postgres://');
  }

  let allowedOrigins: Config['allowedOrigins'];
  if (e.ALLOWED_ORIGINS === undefined) {
    // Sandbox is for laptops and demos: any page may embed it. Live: nothing cross-origin until listed.
    allowedOrigins = live ? [] : '*';
  } else if (e.ALLOWED_ORIGINS === '*') {
    allowedOrigins = '*';
  } else {
    allowedOrigins = [];
    for (const origin of e.ALLOWED_ORIGINS.split(',')
      .map((s) => s.trim())
      .filter(Boolean)) {
      try {
        const u = new URL(origin);
        if (u.origin !== origin.replace(/\/$/, '')) throw new Error('not an origin');
        allowedOrigins.push(u.origin);
      } catch {
        problems.push(`ALLOWED_ORIGINS: "${origin}" is not an origin like https://shop.example.com`);
      }
    }
  }

  if (problems.length > 0 || database === undefined) throw new ConfigError(problems);

  const embeddedSandbox = !live && e.CONNECTPSP_BASE_URL === undefined;
  const connectpspBaseUrl = e.CONNECTPSP_BASE_URL ?? (live ? CONNECTPSP_HOSTS[e.CONNECTPSP_ENV as 'staging' | 'production'] : undefined);

  return {
    port: e.PORT,
    host: e.HOST,
    mode: e.CONNECTPSP_ENV,
    embeddedSandbox,
    connectpspBaseUrl,
    credentials,
    checkoutApiKey,
    defaultedCredentials,
    database,
    publicUrl: e.PUBLIC_URL?.replace(/\/$/, ''),
    merchantName: e.MERCHANT_NAME,
    allowedOrigins,
    defaultExpiresInMinutes: e.DEFAULT_EXPIRES_IN_MINUTES,
    sseHeartbeatMs: e.SSE_HEARTBEAT_SECONDS * 1000,
    sseMaxStreamsPerCheckout: e.SSE_MAX_STREAMS_PER_CHECKOUT,
    reconcileIntervalMs: e.RECONCILE_INTERVAL_SECONDS * 1000,
    logLevel: e.LOG_LEVEL,
    merchantWebhookUrl: e.MERCHANT_WEBHOOK_URL,
    merchantWebhookSecret,
    // Against real money a webhook is only a hint: confirm with ConnectPSP before saying "paid".
    confirmPayments: e.CONFIRM_PAYMENTS ?? live,
    autoRefundDuplicates: e.AUTO_REFUND_DUPLICATES,
    rateLimits: { perClientPerMinute: e.RATE_LIMIT_PER_MINUTE, perCheckoutPerMinute: e.CHECKOUT_RATE_LIMIT_PER_MINUTE },
    metricsToken: e.METRICS_TOKEN,
    shutdownDrainMs: e.SHUTDOWN_DRAIN_SECONDS * 1000,
    sandboxStateFile:
      !embeddedSandbox || e.SANDBOX_STATE_FILE === ':memory:' ? undefined : (e.SANDBOX_STATE_FILE ?? sandboxStateBeside(database)),
    sandboxCashOutSettleMs: e.SANDBOX_CASHOUT_SETTLE_MS,
    consolePassword: e.CONSOLE_PASSWORD,
  };
}

/**
 * The embedded sandbox is the newcomer's gateway: its charges must outlive a restart as long as the
 * checkouts that point at them do, or the QR still on screen answers 404 after `npm start` again.
 * So its state file sits beside the SQLite file (`data/connectpsp-checkout.db` →
 * `data/connectpsp-checkout.sandbox.json`). An in-memory database forgets its checkouts anyway, and
 * PostgreSQL has no file to sit beside: those keep the sandbox in memory unless SANDBOX_STATE_FILE says.
 * `SANDBOX_STATE_FILE=:memory:` keeps it in memory whatever the database (the benchmarks: the whole
 * state is rewritten after every change, which is right for a laptop and wrong for a load test).
 */
function sandboxStateBeside(database: Database): string | undefined {
  if (database.kind !== 'sqlite' || database.filename === ':memory:' || database.filename.startsWith('file::memory:')) return undefined;
  return `${database.filename.replace(/\.(db|sqlite3?)$/i, '')}.sandbox.json`;
}
