import { errors } from 'smpp';
import type { Verdict } from '../provider';

const NAMES: ReadonlyMap<number, string> = new Map(Object.entries(errors).map(([name, value]) => [value, name]));

/** `ESME_RINVDSTADR` for 0x0B; an SMSC's vendor-specific status (0x400–0x4FF and others) keeps its number. */
export function statusName(status: number): string {
  return NAMES.get(status) ?? `0x${status.toString(16).padStart(8, '0')}`;
}

const PERMANENT = new Set([errors.ESME_RINVDSTADR]);
const RETRYABLE = new Set([errors.ESME_RTHROTTLED, errors.ESME_RMSGQFUL]);

/**
 * A non-zero command_status → what another try can do. Only an invalid destination means no provider can reach
 * the number. Throttling and a full queue pass with time. Everything else (bind and authorisation problems, our own
 * TON/NPI or data coding refused, a system error) may work through another provider.
 */
export function verdictFor(status: number): Verdict {
  if (PERMANENT.has(status)) return 'permanent';
  if (RETRYABLE.has(status)) return 'retryable';
  return 'failover';
}

/** The SMSC says we are not bound (any more): the session must bind again before anything else can go through. */
export function meansUnbound(status: number): boolean {
  return status === errors.ESME_RINVBNDSTS;
}
