import { parsePhoneNumberFromString, type NumberType } from 'libphonenumber-js/max';

export interface Destination {
  e164: string;
  /** ISO 3166 region; undefined for non-geographic numbers. */
  country?: string;
  /** libphonenumber's type; undefined when its metadata has none for the number. */
  type?: NumberType;
}

/** Reads country and type from full metadata (`/max`): the minimal set cannot tell a mobile from a premium number. */
export function describeDestination(e164: string): Destination {
  const parsed = parsePhoneNumberFromString(e164);
  return { e164, country: parsed?.country, type: parsed?.getType() };
}
