/**
 * Exponential backoff with "equal jitter": half the step is fixed, half random, so retries from many items spread
 * out (no thundering herd when a vendor comes back) yet never come sooner than half the step.
 * `attempt` counts from 1 (the wait after the first failed attempt).
 */
export function backoffMs(attempt: number, initialMs: number, maxMs: number, random: () => number = Math.random): number {
  const step = Math.min(maxMs, initialMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(step / 2 + random() * (step / 2));
}
