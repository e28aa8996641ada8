/**
 * A small seeded PRNG (mulberry32), so a chaos run's choices — which checkouts are paid twice,
 * when faults fire, which streams are cut — can be replayed with `--seed`. Timing still varies
 * from run to run (processes, sockets), so a seed reproduces the plan, not every interleaving.
 */
export interface Rng {
  readonly seed: number;
  /** Uniform in [0, 1). */
  (): number;
  /** Integer in [min, max]. */
  int(min: number, max: number): number;
  /** True with probability p. */
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
  /** An independent stream derived from this one (so adding a consumer does not shift the others). */
  fork(label: string): Rng;
}

export function createRng(seed: number): Rng {
  let state = seed >>> 0;
  const next = (() => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }) as Rng;
  Object.defineProperty(next, 'seed', { value: seed >>> 0 });
  next.int = (min, max) => min + Math.floor(next() * (max - min + 1));
  next.chance = (p) => next() < p;
  next.pick = (items) => items[Math.floor(next() * items.length)]!;
  next.fork = (label) => {
    let h = seed >>> 0;
    for (const ch of label) h = Math.imul(h ^ ch.charCodeAt(0), 2654435761) >>> 0;
    return createRng(h);
  };
  return next;
}

export function randomSeed(): number {
  return Math.floor(Math.random() * 2 ** 32) >>> 0;
}
