/**
 * Tells live streams that a checkout has a new status event. It carries only the checkout id: every
 * listener reads the events themselves from the store, so a lost or duplicated notice only delays
 * or repeats a read, never a status — which is what lets a cross-instance bus (PostgreSQL
 * LISTEN/NOTIFY) replace this one without changing the streams.
 */
export interface EventBus {
  publish(checkoutId: string): void;
  subscribe(checkoutId: string, listener: () => void): () => void;
  /** Open subscriptions, for /metrics and tests. */
  readonly size: number;
  close(): Promise<void>;
}

/** The single-process bus. */
export class LocalEventBus implements EventBus {
  readonly #listeners = new Map<string, Set<() => void>>();
  #size = 0;

  publish(checkoutId: string): void {
    for (const listener of this.#listeners.get(checkoutId) ?? []) listener();
  }

  subscribe(checkoutId: string, listener: () => void): () => void {
    let set = this.#listeners.get(checkoutId);
    if (!set) this.#listeners.set(checkoutId, (set = new Set()));
    // Wrap so the same function subscribed twice gets two independent subscriptions.
    const entry = () => listener();
    set.add(entry);
    this.#size++;
    let active = true;
    return () => {
      if (!active) return;
      active = false;
      this.#size--;
      set.delete(entry);
      if (set.size === 0) this.#listeners.delete(checkoutId);
    };
  }

  get size(): number {
    return this.#size;
  }

  async close(): Promise<void> {
    this.#listeners.clear();
    this.#size = 0;
  }
}
