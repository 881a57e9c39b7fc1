import { z } from 'zod';
import { httpUrl } from '../shared/http-url';

/** Twilio's own patterns (api v2010 OpenAPI: AccountSid, MessagingServiceSid; API keys are SK + 32 hex). */
const sid = (prefix: string) =>
  z.string().regex(new RegExp(`^${prefix}[0-9a-fA-F]{32}$`), `must be ${prefix} followed by 32 hexadecimal digits`);

/** `new URL` that yields undefined instead of throwing, for refinements that run even when the url check failed. */
function parsedUrl(u: string): URL | undefined {
  return URL.canParse(u) ? new URL(u) : undefined;
}

const e164 = /^\+[1-9]\d{6,14}$/;
/** Twilio's alphanumeric sender ids: up to 11 of A-Z a-z 0-9 and space, with at least one letter. */
const alphanumericSender = /^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}$/;

export const twilioConfigSchema = z
  .object({
    accountSid: sid('AC'),
    /** The account's auth token; or use an API key (`apiKeySid` + `apiKeySecret`), which can be revoked alone. */
    authToken: z.string().min(16).optional(),
    apiKeySid: sid('SK').optional(),
    apiKeySecret: z.string().min(16).optional(),
    /** A Twilio number in E.164, or an alphanumeric sender id; exactly one of `from` and `messagingServiceSid`. */
    from: z
      .string()
      .refine((v) => e164.test(v) || alphanumericSender.test(v), { message: 'must be an E.164 number (+15005550006) or an alphanumeric sender id of at most 11 characters' })
      .optional(),
    messagingServiceSid: sid('MG').optional(),
    /** Where Twilio posts delivery status changes for each message. */
    statusCallback: z
      .url({ protocol: /^https$/, message: 'must be an https URL' })
      .max(4000)
      .refine((u) => !parsedUrl(u)?.hostname.includes('_'), { message: 'Twilio refuses underscores in the hostname' })
      .optional(),
    /** Seconds a message may wait in Twilio's queue before it is dropped: 1..36000 (Twilio's range; it defaults to 36000). */
    validityPeriod: z.number().int().min(1).max(36_000).optional(),
    /**
     * Replaces `https://api.twilio.com` (scheme, host and an optional path prefix). For a regional or edge
     * endpoint (`https://api.dublin.ie1.twilio.com`), an egress proxy, or a local test peer.
     */
    // The auth token travels as Basic auth: plain http only to this machine (a local test peer).
    baseUrl: httpUrl({ plainHttp: 'loopback' })
      .refine((u) => !parsedUrl(u)?.search, { message: 'must not carry a query' })
      .optional(),
    timeoutMs: z.number().int().min(100).max(120_000).default(10_000),
  })
  .superRefine((c, ctx) => {
    const token = c.authToken !== undefined;
    const key = c.apiKeySid !== undefined || c.apiKeySecret !== undefined;
    if (token === key) {
      ctx.addIssue({ code: 'custom', path: ['authToken'], message: 'give exactly one of authToken or apiKeySid + apiKeySecret' });
    } else if (key && (!c.apiKeySid || !c.apiKeySecret)) {
      ctx.addIssue({ code: 'custom', path: [c.apiKeySid ? 'apiKeySecret' : 'apiKeySid'], message: 'apiKeySid and apiKeySecret go together' });
    }
    if ((c.from === undefined) === (c.messagingServiceSid === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['from'], message: 'give exactly one of from or messagingServiceSid' });
    }
  });

export type TwilioConfig = z.infer<typeof twilioConfigSchema> & { name: string };

/** Voice calls need a real caller id: a Twilio number, not a messaging service or an alphanumeric sender. */
export function canCall(config: Pick<TwilioConfig, 'from'>): boolean {
  return config.from !== undefined && e164.test(config.from);
}
