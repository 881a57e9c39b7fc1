/**
 * The one thing every velocity rule needs from a backend: count a hit on a key inside a window. In this process
 * (memory-counter.ts) or in Redis shared by every replica (redis-counter.ts); create-counters.ts picks one.
 */
export interface CounterSpec {
  /** Unique per rule: keys of different rules never meet. */
  name: string;
  max: number;
  windowSeconds: number;
  /** Once over `max`, refuse for this long (instead of until the window ends). */
  blockSeconds?: number;
}

export interface CountResult {
  allowed: boolean;
  /** Until the key's window (or block) ends. */
  retryAfterMs: number;
  /** Hits counted in the current window, this one included. */
  count: number;
}

export interface LimitCounter {
  /** Counts one hit. `windowSeconds` replaces the spec's window for a key that starts now (calendar-day rules). A Redis counter that cannot reach Redis counts in this process instead of rejecting; a rejection means a fault in the relay itself. */
  hit(key: string, windowSeconds?: number): Promise<CountResult>;
  /** Where the key stands, without counting. */
  peek(key: string): Promise<CountResult>;
}

export type CounterFactory = (spec: CounterSpec) => LimitCounter;
