import { z } from 'zod';
import { regionCode } from './region-code';

/** The types libphonenumber-js/max `getType()` can report. */
export const numberTypes = [
  'PREMIUM_RATE',
  'TOLL_FREE',
  'SHARED_COST',
  'VOIP',
  'PERSONAL_NUMBER',
  'PAGER',
  'UAN',
  'VOICEMAIL',
  'FIXED_LINE',
  'MOBILE',
] as const;

const country = regionCode;
const window = { max: z.number().int().min(1), windowSeconds: z.number().int().min(1).max(7 * 86_400) };

/**
 * Twilio Verify's default is 5 sends per number per 10 minutes; a person who asked for more than that is not
 * waiting for a code any more.
 */
const perPhone = z.union([z.literal(false), z.strictObject(window)]).default({ max: 5, windowSeconds: 600 });

/**
 * Pumping rings rent contiguous number ranges, so their traffic shares a prefix while real users scatter. Dropping
 * 3 digits groups a 1,000-number block (Twilio's safe list works on 1k prefixes; coss.com drops 4): wide enough
 * to catch a ring, narrow enough that unrelated users rarely share a bucket.
 */
const perPrefix = z
  .union([z.literal(false), z.strictObject({ ...window, dropDigits: z.number().int().min(1).max(6).default(3) })])
  .default({ max: 20, windowSeconds: 3600, dropDigits: 3 });

/** A calendar day in UTC, as GitLab's per-dial-code limit works; off unless configured. */
const perCountry = z
  .strictObject({ maxPerDay: z.number().int().min(1), countries: z.record(country, z.number().int().min(1)).default({}) })
  .optional();

const failedAuth = z
  .union([
    z.literal(false),
    z.strictObject({ ...window, blockSeconds: z.number().int().min(1).max(86_400).default(900) }),
  ])
  .default({ max: 10, windowSeconds: 600, blockSeconds: 900 });

const typeList = z.array(z.enum(numberTypes));

/**
 * Premium-rate and shared-cost numbers are where pumping money goes and no one receives a one-time code there,
 * so they are refused by default. `whenUnsure` covers FIXED_LINE_OR_MOBILE (every US and Canadian number) and
 * numbers without type data: `allow` fails open, `deny` fails closed.
 */
const numberTypesSchema = z
  .strictObject({
    sms: typeList.default(['PREMIUM_RATE', 'SHARED_COST']),
    voice: typeList.default(['PREMIUM_RATE', 'SHARED_COST']),
    whenUnsure: z.enum(['allow', 'deny']).default('allow'),
  })
  .prefault({});

export const limitsSchema = z
  .strictObject({
    perPhone,
    perPrefix,
    perCountry,
    /** Every message through the relay, per UTC day: a spend ceiling. */
    total: z.strictObject({ maxPerDay: z.number().int().min(1) }).optional(),
    failedAuth,
    countries: z
      .strictObject({ allow: z.array(country).min(1).optional(), deny: z.array(country).min(1).optional() })
      .refine((c) => !(c.allow && c.deny), { message: 'give allow or deny, not both' })
      .prefault({}),
    numberTypes: numberTypesSchema,
    /** E.164 prefixes (`+1555`, `+4915199999`) the velocity rules never count or refuse: test phones, a support desk. */
    exempt: z.array(z.string().regex(/^\+\d{1,15}$/, 'must be an E.164 prefix such as +1555')).default([]),
  })
  .prefault({});

/**
 * 60 s covers what duplicates really are (a double-clicked resend, a load balancer or Supabase retry, all within
 * seconds) while a person who asks again a minute later because nothing arrived gets a new send.
 */
export const dedupeSchema = z
  .strictObject({ windowSeconds: z.number().int().min(0).max(3600).default(60) })
  .prefault({});

export type LimitsConfig = z.infer<typeof limitsSchema>;
export type DedupeConfig = z.infer<typeof dedupeSchema>;
