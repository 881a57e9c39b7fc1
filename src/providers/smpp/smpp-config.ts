import { z } from 'zod';
import { phoneRewriteSchema } from '../shared/phone-rewrite';

/**
 * privacyIDEA's parse_int, used for its S_ADDR_TON and friends: decimal first ("10" → 10), then hexadecimal
 * ("0x5", "a"). privacyIDEA turns anything else into 0; we refuse it, because a silently wrong TON is an SMSC
 * rejecting every message later.
 */
export function parseIntLike(v: string | number): number | undefined {
  if (typeof v === 'number') return Number.isInteger(v) ? v : undefined;
  const s = v.trim();
  if (/^\d+$/.test(s)) return Number.parseInt(s, 10);
  if (/^(0x)?[0-9a-f]+$/i.test(s)) return Number.parseInt(s.replace(/^0x/i, ''), 16);
  return undefined;
}

const octet = z.union([z.number(), z.string()]).transform((v, ctx) => {
  const n = parseIntLike(v);
  if (n === undefined || n < 0 || n > 255) {
    ctx.addIssue({ code: 'custom', message: 'must be an integer 0–255, as a number or a string such as "5" or "0x5"' });
    return z.NEVER;
  }
  return n;
});

/**
 * SMPP 3.4 C-Octet strings. Longer values are refused here: python-smpplib (privacyIDEA) cuts them silently, and a
 * password cut to 8 characters fails the bind with nothing in the log to say why. Only printable ASCII, since the
 * package writes them as ASCII and a NUL would end the field early.
 */
const cstring = (max: number) =>
  z
    .string()
    .max(max, `must be at most ${max} characters (SMPP 3.4 limit)`)
    .regex(/^[\x20-\x7e]*$/, 'must be printable ASCII');

const reconnectSchema = z
  .strictObject({
    initialMs: z.number().int().min(10).max(600_000).default(1000),
    maxMs: z.number().int().min(10).max(600_000).default(30_000),
  })
  .refine((r) => r.initialMs <= r.maxMs, { message: 'initialMs must not exceed maxMs', path: ['initialMs'] });

export const smppConfigSchema = z.object({
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535).default(2775),
  /** SMPP over TLS: `true`, or `{ caFile, servername }` to trust a private CA or check another name. */
  tls: z
    .union([z.boolean(), z.strictObject({ caFile: z.string().min(1).optional(), servername: z.string().min(1).optional() })])
    .default(false),
  systemId: cstring(15).min(1),
  password: cstring(8).default(''),
  systemType: cstring(12).default(''),
  sourceAddr: cstring(20).default(''),
  sourceAddrTon: octet.default(0),
  sourceAddrNpi: octet.default(0),
  destAddrTon: octet.default(1),
  destAddrNpi: octet.default(1),
  registeredDelivery: octet.default(0),
  enquireLinkSeconds: z.number().min(0.1).max(3600).default(30),
  responseTimeoutMs: z.number().int().min(50).max(120_000).default(5000),
  reconnect: reconnectSchema.default({ initialMs: 1000, maxMs: 30_000 }),
  regexp: phoneRewriteSchema.optional(),
});

export type SmppConfig = z.infer<typeof smppConfigSchema>;
