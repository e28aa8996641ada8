import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Settings every benchmark server shares: sandbox credentials, quiet logs, no per-IP rate limit. */
export const BENCH_SERVER_ENV = {
  HOST: '127.0.0.1',
  PORT: '0',
  LOG_LEVEL: 'silent',
  // The load comes from one loopback address; the per-client limit would be the thing measured.
  RATE_LIMIT_PER_MINUTE: '100000000',
  CHECKOUT_RATE_LIMIT_PER_MINUTE: '100000000',
  // The sandbox rewrites its whole state file after every change: fine on a laptop, not under load.
  SANDBOX_STATE_FILE: ':memory:',
};

/**
 * Spawns a TypeScript entry point as a node process with its soft fd limit raised to the hard
 * limit (10,000 streams need 10,000 sockets on each side; many systems default to 1,024).
 */
export function spawnNode(
  entry: string,
  args: string[],
  env: Record<string, string>,
  options: { ipc?: boolean; nodeFlags?: string[] } = {},
): ChildProcess {
  const node = [process.execPath, ...(options.nodeFlags ?? []), '--import', 'tsx', entry, ...args];
  return spawn('/bin/sh', ['-c', 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@"', 'sh', ...node], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: options.ipc ? ['ignore', 'inherit', 'inherit', 'ipc'] : ['ignore', 'inherit', 'inherit'],
  });
}

export interface ServerStats {
  memory: NodeJS.MemoryUsage;
  cpu: NodeJS.CpuUsage;
  /** Open SSE streams (bus subscriptions). */
  streams: number;
}

export interface ServerProcess {
  url: string;
  pid: number;
  /** Memory after a full GC, CPU time so far, open streams. */
  stats(): Promise<ServerStats>;
  stop(): Promise<void>;
}

/**
 * Starts the companion server (`bench/lib/server-child.ts`) with `env` (DATABASE_URL at least), or
 * another entry speaking the same IPC, and waits until it listens.
 */
export async function startServerProcess(env: Record<string, string>, entry = 'bench/lib/server-child.ts'): Promise<ServerProcess> {
  // BENCH_CPU_PROFILE=<dir> writes a V8 CPU profile of each server into <dir> when it stops.
  const profile = process.env.BENCH_CPU_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROFILE}`] : [];
  const child = spawnNode(entry, [], { ...BENCH_SERVER_ENV, ...env }, { ipc: true, nodeFlags: ['--expose-gc', ...profile] });
  const [ready] = (await Promise.race([
    once(child, 'message'),
    once(child, 'exit').then(([code]) => {
      throw new Error(`benchmark server exited with ${code} before it was ready`);
    }),
  ])) as [{ type: string; url: string }];
  const request = async (type: string) => {
    child.send({ type });
    for (;;) {
      const [message] = (await once(child, 'message')) as [{ type: string } & ServerStats];
      if (message.type === type) return message;
    }
  };
  return {
    url: ready.url,
    pid: child.pid!,
    stats: () => request('stats'),
    async stop() {
      if (child.exitCode !== null) return;
      const exited = once(child, 'exit');
      child.send({ type: 'stop' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
