export interface TimeLimit {
  /** Aborts when the time is up or any of the given signals aborts. */
  readonly signal: AbortSignal;
  /** Aborts only when the time is up, to tell a timeout from the caller giving up. */
  readonly timedOut: AbortSignal;
  /** Disarms the timer: call it when the work is over, however it ended. */
  done(): void;
}

/**
 * A time limit combined with the caller's signals. Unlike AbortSignal.timeout, its timer is cleared when the work
 * ends: a timeout signal left armed outlives every successful send by the whole limit and then builds errors that
 * nobody reads (the relay's profile showed them on every request).
 */
export function timeLimit(ms: number, ...signals: (AbortSignal | undefined)[]): TimeLimit {
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(new DOMException('the time limit passed', 'TimeoutError')), ms);
  const others = signals.filter((s): s is AbortSignal => s !== undefined);
  return {
    signal: others.length ? AbortSignal.any([timeout.signal, ...others]) : timeout.signal,
    timedOut: timeout.signal,
    done: () => clearTimeout(timer),
  };
}
