/**
 * Starts, SIGKILLs and restarts the processes of a chaos run — the ConnectPSP sandbox and the
 * companion server — each as a single `node --import tsx <script>` process (not the `tsx` CLI,
 * which forks a second node process that a SIGKILL of the first would leave running).
 *
 * Every child gets `chaos/orphan-guard.ts`, writes its output to a log file, and is tracked here
 * by PID: `stopAll()` ends exactly the processes this supervisor started, and an `exit` hook kills
 * whatever is left even when the run fails.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const GUARD = pathToFileURL(join(REPO_ROOT, 'chaos', 'orphan-guard.ts')).href;

/** Configuration variables of the server and sandbox: never inherited from the caller's shell. */
const CONFIG_PREFIXES = [
  'CONNECTPSP_',
  'SANDBOX_',
  'MERCHANT_',
  'CHECKOUT_',
  'DATABASE_URL',
  'PUBLIC_URL',
  'PORT',
  'HOST',
  'ALLOWED_ORIGINS',
  'LOG_LEVEL',
  'RECONCILE_',
  'CONFIRM_',
  'AUTO_REFUND',
  'RATE_LIMIT',
  'METRICS_',
  'SSE_',
  'DEFAULT_EXPIRES',
  'NODE_TEST',
];

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolvePort(port));
    });
  });
}

export interface ManagedProcessOptions {
  name: string;
  /** Script path relative to the repository root. */
  script: string;
  env: Record<string, string>;
  logFile: string;
  /** A URL that answers 200 once the process is ready. */
  readyUrl: string;
  readyTimeoutMs?: number;
}

export class ManagedProcess {
  #child: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();
  starts = 0;
  kills = 0;
  /** Exits nobody asked for (a crash): the server must only ever die by our SIGKILL. */
  unexpectedExits: { code: number | null; signal: NodeJS.Signals | null; at: number }[] = [];
  #expectingExit = false;
  /** How long each start took until ready, ms (a restart under load is most of the outage). */
  readonly startDurations: number[] = [];

  constructor(readonly options: ManagedProcessOptions) {}

  get pid(): number | undefined {
    return this.#child?.exitCode === null && this.#child.signalCode === null ? this.#child.pid : undefined;
  }

  get running(): boolean {
    return this.pid !== undefined;
  }

  /** Spawns the process and waits until `readyUrl` answers 200. */
  async start(): Promise<void> {
    if (this.running) throw new Error(`${this.options.name} is already running`);
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) {
      if (v !== undefined && !CONFIG_PREFIXES.some((p) => k.startsWith(p))) env[k] = v;
    }
    Object.assign(env, this.options.env, { CHAOS_PARENT_PID: String(process.pid) });
    const fd = openSync(this.options.logFile, 'a');
    const child = spawn(process.execPath, ['--import', 'tsx', '--import', GUARD, this.options.script], {
      cwd: REPO_ROOT,
      env,
      stdio: ['ignore', fd, fd],
    });
    closeSync(fd);
    this.#child = child;
    this.starts += 1;
    this.#expectingExit = false;
    live.add(child);
    this.#exited = new Promise<void>((done) => {
      child.once('exit', (code, signal) => {
        live.delete(child);
        if (!this.#expectingExit) this.unexpectedExits.push({ code, signal, at: Date.now() });
        done();
      });
    });
    const began = Date.now();
    await this.#waitReady(child);
    this.startDurations.push(Date.now() - began);
  }

  async #waitReady(child: ChildProcess): Promise<void> {
    const deadline = Date.now() + (this.options.readyTimeoutMs ?? 30_000);
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(
          `${this.options.name} exited while starting (code ${child.exitCode}, signal ${child.signalCode}). Log tail:\n${this.logTail()}`,
        );
      }
      try {
        const res = await fetch(this.options.readyUrl, { signal: AbortSignal.timeout(1000) });
        void res.body?.cancel();
        if (res.status === 200) return;
      } catch {
        /* not listening yet */
      }
      if (Date.now() > deadline)
        throw new Error(`${this.options.name} not ready within ${this.options.readyTimeoutMs ?? 30_000} ms. Log tail:\n${this.logTail()}`);
      await sleep(50);
    }
  }

  /** SIGKILL: no shutdown hooks, no flushing — a power cut for this process. */
  async kill(): Promise<void> {
    const child = this.#child;
    if (!child || !this.running) return;
    this.#expectingExit = true;
    this.kills += 1;
    child.kill('SIGKILL');
    await this.#exited;
  }

  /** SIGTERM, then SIGKILL if it has not exited after `graceMs`. */
  async stop(graceMs = 3000): Promise<void> {
    const child = this.#child;
    if (!child || !this.running) return;
    this.#expectingExit = true;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await this.#exited;
    clearTimeout(timer);
  }

  logTail(lines = 30): string {
    try {
      return readFileSync(this.options.logFile, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }
}

/** Children alive right now, across all supervisors: killed on exit whatever happened. */
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) {
    try {
      child.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }
});

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
