import type { LimitsConfig } from '../../config/limits-schema';
import type { Channel } from '../../message';
import type { Destination } from './destination';
import type { Refusal } from './refusal';

/** Types libphonenumber uses when it cannot tell, or does not know: decided by `numberTypes.whenUnsure`. */
const UNSURE = new Set<string | undefined>(['FIXED_LINE_OR_MOBILE', undefined]);

/** Country allow/deny lists and refused number types: fixed policy, no counting. */
export function checkDestination(limits: LimitsConfig, channel: Channel, dest: Destination): Refusal | undefined {
  const { allow, deny } = limits.countries;
  if (allow && (!dest.country || !allow.includes(dest.country))) {
    return { rule: 'country', reason: `numbers in ${dest.country ?? 'no country'} are not on the allow list` };
  }
  if (deny && dest.country && deny.includes(dest.country)) {
    return { rule: 'country', reason: `numbers in ${dest.country} are refused` };
  }
  const refused: readonly string[] = limits.numberTypes[channel];
  if (UNSURE.has(dest.type)) {
    // Only matters when some type is refused at all: then an unknown type may be one of them.
    if (limits.numberTypes.whenUnsure === 'deny' && refused.length > 0) {
      return { rule: 'numberType', reason: `the number's type is ${dest.type ?? 'unknown'} and unsure types are refused` };
    }
    return undefined;
  }
  if (refused.includes(dest.type!)) return { rule: 'numberType', reason: `${dest.type} numbers are refused for ${channel}` };
  return undefined;
}
