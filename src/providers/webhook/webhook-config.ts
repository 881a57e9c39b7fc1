import { z } from 'zod';
import { httpUrl } from '../shared/http-url';

const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;
/** Set by the HTTP client from the request itself; a configured value would clash with it or corrupt the framing. */
const RESERVED_HEADERS = ['host', 'content-length', 'content-type', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'te', 'trailer', 'expect'];
/** A line break in a header value would start a new header line; refuse it here rather than at every send. */
const oneLine = (what: string) => z.string().min(1).regex(/^[^\r\n\0]*$/, `${what} must be one line`);

const authSchema = z
  .strictObject({
    basic: z
      .strictObject({
        username: oneLine('username').regex(/^[^:]*$/, 'username must not contain ":" (Basic auth splits on it)'),
        password: oneLine('password'),
      })
      .optional(),
    /** Header name → value, e.g. the downstream endpoint's `X-Relay-Key`. Values are secrets. */
    headers: z
      .record(
        z
          .string()
          .regex(HEADER_NAME, 'must be a valid HTTP header name')
          .refine((n) => !RESERVED_HEADERS.includes(n.toLowerCase()), { message: `must not be one the relay sets (${RESERVED_HEADERS.join(', ')})` }),
        oneLine('a header value'),
      )
      .optional(),
  })
  .superRefine((a, ctx) => {
    if (a.basic && Object.keys(a.headers ?? {}).some((n) => n.toLowerCase() === 'authorization')) {
      ctx.addIssue({ code: 'custom', path: ['headers'], message: 'Authorization is already set by auth.basic; use one or the other' });
    }
  });

export const webhookConfigSchema = z
  .object({
    /** The next receiver's endpoint, exactly as FusionAuth would be given it. */
    url: httpUrl({ plainHttp: 'any' }),
    format: z.enum(['fusionauth']).default('fusionauth'),
    auth: authSchema.optional(),
    checkTls: z.boolean().default(true),
    /** PEM file (relative to the configuration file) of the CA or self-signed certificate the downstream presents. */
    ca: z.string().min(1).optional(),
    /** Statuses that mean "accepted"; any 2xx when absent. */
    successStatus: z.array(z.number().int().min(200).max(299)).min(1).optional(),
    timeoutMs: z.number().int().min(10).max(120_000).default(5000),
  })
  .superRefine((c, ctx) => {
    if (c.ca && !c.checkTls) ctx.addIssue({ code: 'custom', path: ['ca'], message: 'has no effect with checkTls: false; remove one of them' });
    if (c.ca && URL.canParse(c.url) && new URL(c.url).protocol === 'http:') ctx.addIssue({ code: 'custom', path: ['ca'], message: 'needs an https url' });
  });

export type WebhookConfig = z.infer<typeof webhookConfigSchema>;
