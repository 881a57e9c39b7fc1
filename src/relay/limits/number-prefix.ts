/**
 * The number without its last `drop` digits: `+13035551212` with 3 dropped is `+13035551`, the 1,000-number block
 * the way Twilio's Fraud Guard groups destinations. At least the country code and one digit stay.
 */
export function numberPrefix(e164: string, drop: number): string {
  return e164.slice(0, Math.max(3, e164.length - drop));
}

/** Seconds until the next UTC midnight: when a per-day budget starts again. */
export function secondsToUtcMidnight(now = Date.now()): number {
  const d = new Date(now);
  const midnight = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1);
  return Math.max(1, Math.ceil((midnight - now) / 1000));
}

export const utcDay = (now = Date.now()): string => new Date(now).toISOString().slice(0, 10);
