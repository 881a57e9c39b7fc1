import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';
import { AppError } from '../errors';

/** What a person may type into a phone field; anything else (letters, `;`, quotes, control characters) is refused. */
const PHONE_CHARS = /^[0-9+()\-.\s/]{3,40}$/;

export interface NormalizedPhone {
  e164: string;
  /** ISO 3166 region the number belongs to, when known. */
  country?: string;
}

/** Reads a number the way the user typed it (`(303) 555-1212`, `0049 151 …`) and returns E.164, or a 400 that says why. */
export function normalizePhone(raw: string, defaultRegion: string): NormalizedPhone {
  if (!PHONE_CHARS.test(raw)) {
    throw new AppError('invalidPhoneNumber', 'phoneNumber may contain only digits, spaces, +, (, ), -, . and / (3 to 40 characters)');
  }
  const parsed = parsePhoneNumberFromString(raw, { defaultCountry: defaultRegion as CountryCode });
  if (!parsed || !parsed.isValid()) {
    throw new AppError('invalidPhoneNumber', `phoneNumber is not a valid number (read with default region ${defaultRegion})`);
  }
  return { e164: parsed.number, country: parsed.country };
}
