import { AppError } from '../../errors';

export type LimitRule = 'perPhone' | 'perPrefix' | 'perCountry' | 'total' | 'failedAuth' | 'country' | 'numberType';

/** Which rule refused a request, why (no number in it), and, for velocity rules, when to try again. */
export interface Refusal {
  rule: LimitRule;
  reason: string;
  retryAfterMs?: number;
}

/**
 * Velocity rules answer 429 with Retry-After (whole seconds, at least 1). Country and number-type rules answer 403:
 * waiting would not change the answer, and a 429 would invite a retry.
 */
export function refusalError(r: Refusal): AppError {
  if (r.retryAfterMs === undefined) return new AppError('destinationRefused', r.reason, { rule: r.rule });
  const seconds = Math.max(1, Math.ceil(r.retryAfterMs / 1000));
  return new AppError('rateLimited', `${r.reason}; retry after ${seconds} s`, { rule: r.rule, retryAfterSeconds: seconds }, { 'Retry-After': String(seconds) });
}
