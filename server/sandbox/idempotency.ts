/**
 * `X-Idempotency-Key` (docs/connectpsp.md §2.5): a POST repeated with the same key gets the original
 * answer back (same status, same body) and creates nothing new.
 *
 * Where the docs are silent, the sandbox picks the behaviour that can never move money twice:
 * - A key is bound to its request: method, path and body. Reusing it for a different request is
 *   refused with 422 `IDEMPOTENCY_KEY_REUSED` rather than replaying an answer that belongs to
 *   something else or running the new request under a key the client thinks is spent.
 * - Keys are scoped to the application (one per sandbox), not per endpoint, so the same key on two
 *   endpoints is also a reuse.
 * - By default only successful (2xx) answers are stored. A refused request (400, 404, 409, 422)
 *   created nothing, so a retry with the same key runs again and can succeed once its cause is
 *   fixed (for example after a top-up). With the `idempotency.storeRefusals` fault a refusal is
 *   stored and replayed too, which is what the docs' "the original response" reads as: a client
 *   must use a new key for a new attempt after a refusal. An injected 5xx never reaches this far.
 * - A retry that arrives while the original is still running waits for it and gets its answer.
 * - Keys are kept 24 hours, persisted with the rest of the state.
 */
import { createHash } from 'node:crypto';

import type { Request, Response } from 'express';

import { DEFAULTS } from './defaults.js';
import { SandboxProblem, sendProblem, type ProblemBody } from './problem.js';
import type { SandboxStore } from './state.js';

/** What a handler answers: it does not write the response itself, so the answer can be stored. */
export interface Outcome {
  status: number;
  body: unknown;
}

const HEADER = 'X-Idempotency-Key';
const MAX_KEY_LENGTH = 255;

export class IdempotencyKeys {
  private readonly running = new Map<string, { fingerprint: string; outcome: Promise<Outcome> }>();

  constructor(
    private readonly store: SandboxStore,
    private readonly now: () => number,
    private readonly faults: { readonly storeRefusals: boolean } = { storeRefusals: false },
  ) {}

  /**
   * Runs `operation` once per key and answers with its outcome, or replays the stored one (with an
   * `Idempotent-Replayed: true` header, which the real gateway may not send; clients must not rely
   * on it). Without the header, just runs it.
   */
  async run(req: Request, res: Response, operation: () => Outcome | Promise<Outcome>): Promise<void> {
    const key = req.get(HEADER);
    if (key === undefined) return send(res, await settle(operation));
    if (key.length === 0 || key.length > MAX_KEY_LENGTH) {
      throw new SandboxProblem('VALIDATION_ERROR', `${HEADER}: must be 1 to ${MAX_KEY_LENGTH} characters (a UUID v4 is expected)`);
    }
    const fingerprint = fingerprintOf(req);
    this.forgetExpired();

    const stored = this.store.idempotency.get(key);
    if (stored) {
      assertSameRequest(stored.fingerprint, fingerprint, key);
      res.set('Idempotent-Replayed', 'true');
      return send(res, stored);
    }
    const running = this.running.get(key);
    if (running) {
      assertSameRequest(running.fingerprint, fingerprint, key);
      res.set('Idempotent-Replayed', 'true');
      return send(res, await running.outcome);
    }

    const outcome = settle(operation);
    this.running.set(key, { fingerprint, outcome });
    let result: Outcome;
    try {
      result = await outcome;
    } finally {
      this.running.delete(key);
    }
    if ((result.status >= 200 && result.status < 300) || (this.faults.storeRefusals && result.status >= 400 && result.status < 500)) {
      this.store.idempotency.set(key, { key, fingerprint, status: result.status, body: result.body, createdAt: this.now() });
      this.store.save();
    }
    send(res, result);
  }

  private forgetExpired(): void {
    const oldest = this.now() - DEFAULTS.idempotencyRetentionMs;
    for (const [key, record] of this.store.idempotency) if (record.createdAt < oldest) this.store.idempotency.delete(key);
  }
}

/** Runs the operation, turning a refusal (SandboxProblem) into an outcome so waiters share it. */
async function settle(operation: () => Outcome | Promise<Outcome>): Promise<Outcome> {
  try {
    return await operation();
  } catch (error) {
    if (error instanceof SandboxProblem) return { status: error.status, body: error.toBody() };
    throw error;
  }
}

function send(res: Response, outcome: Outcome): void {
  if (outcome.status >= 400) sendProblem(res, outcome.body as ProblemBody);
  else res.status(outcome.status).json(outcome.body);
}

function assertSameRequest(expected: string, actual: string, key: string): void {
  if (expected !== actual) {
    throw new SandboxProblem(
      'IDEMPOTENCY_KEY_REUSED',
      `${HEADER} "${key}" was already used for a different request; use a new key for a new operation.`,
    );
  }
}

function fingerprintOf(req: Request): string {
  const body = canonicalJson(req.body ?? null);
  return createHash('sha256').update(`${req.method} ${req.baseUrl}${req.path}\n${body}`).digest('hex');
}

/** JSON with object keys sorted, so `{a,b}` and `{b,a}` are the same request. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
