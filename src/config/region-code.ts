import { isSupportedCountry } from 'libphonenumber-js/max';
import { z } from 'zod';

/**
 * A region as libphonenumber names it. UK for GB is the usual slip: refused here, rather than reading every
 * national number wrongly or a country rule that never matches.
 */
export const regionCode = z
  .string()
  .regex(/^[A-Z]{2}$/, 'must be an ISO 3166 alpha-2 code such as US or GB')
  .refine((r: string): boolean => isSupportedCountry(r), { message: 'is not a region libphonenumber knows (the United Kingdom is GB, not UK)' });
