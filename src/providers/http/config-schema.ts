import { z } from 'zod';
import { httpUrl } from '../shared/http-url';
import { phoneRewriteSchema } from '../shared/phone-rewrite';
import { MatcherSyntaxError, parseBodyMatcher } from './body-matcher';
import { presetNames } from './presets';
import { configProblems } from './resolve-config';

/** Turns a parser's syntax error into a config issue on this key, so a typo stops the start instead of a send. */
function parsedBy(parse: (v: string) => unknown, ErrorType: new (...a: never[]) => Error) {
  return (value: string | undefined, ctx: z.RefinementCtx) => {
    if (value === undefined || value === '') return;
    try {
      parse(value);
    } catch (e) {
      if (!(e instanceof ErrorType)) throw e;
      ctx.addIssue({ code: 'custom', message: e.message });
    }
  };
}

// privacyIDEA takes Basic credentials from the URL; here they would sit in a key that is not secret, so the shared
// check refuses them.
const gatewayUrl = httpUrl({ plainHttp: 'any' }).optional();

const proxyUrl = z
  .string()
  .optional()
  .superRefine((value, ctx) => {
    if (value === undefined) return;
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      return ctx.addIssue({ code: 'custom', message: 'must be a URL such as http://user:password@proxy.example:3128' });
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') ctx.addIssue({ code: 'custom', message: 'must use http:// or https://' });
    if (url.pathname !== '/' || url.search) ctx.addIssue({ code: 'custom', message: 'must not have a path or query' });
  });

// Framing headers are the HTTP client's to write; a configured value would corrupt the request or be dropped.
const reservedHeaders = ['host', 'content-length', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'expect', 'te', 'proxy-authorization'];
// Checked on the whole map so the problem names the header (a failing record key only says "Invalid key").
const headerMap = z.record(z.string(), z.string()).superRefine((headers, ctx) => {
  for (const [name, value] of Object.entries(headers)) {
    if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(name)) ctx.addIssue({ code: 'custom', path: [name], message: 'is not a valid HTTP header name' });
    else if (reservedHeaders.includes(name.toLowerCase())) ctx.addIssue({ code: 'custom', path: [name], message: `is written by the HTTP client; must not be one of ${reservedHeaders.join(', ')}` });
    if (/[\r\n\0]/.test(value)) ctx.addIssue({ code: 'custom', path: [name], message: 'must not contain line breaks' });
  }
});

export const httpBaseSchema = z.object({
  /** Fills the other keys for a known gateway; any key set here wins. */
  preset: z.enum(presetNames).optional(),
  url: gatewayUrl,
  method: z.enum(['GET', 'POST']).optional(),
  /** How a POST carries the values: `form` (application/x-www-form-urlencoded) or `json`. */
  body: z.enum(['form', 'json']).optional(),
  /** Fixed values sent as written (credentials, sender id). Treated as secrets. */
  parameters: z.record(z.string().min(1), z.json()).optional(),
  /** Values with tags: {phone}, {message}, {otp} (= the whole text, as in privacyIDEA), {code}. */
  options: z.record(z.string().min(1), z.json()).optional(),
  /** Extra request headers, sent as written (no tags). Every value is treated as a secret. */
  headers: headerMap.optional(),
  /** A header that carries the relay's delivery id, the same on every retry, for gateways that drop repeats (e.g. Idempotency-Key). */
  idempotencyHeader: z
    .string()
    .regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, 'must be a valid HTTP header name')
    .refine((h) => !reservedHeaders.includes(h.toLowerCase()), { message: 'is written by the HTTP client' })
    .optional(),
  regexp: phoneRewriteSchema.optional(),
  returnSuccess: z.string().optional().superRefine(parsedBy(parseBodyMatcher, MatcherSyntaxError)),
  returnFail: z.string().optional().superRefine(parsedBy(parseBodyMatcher, MatcherSyntaxError)),
  successStatus: z.array(z.number().int().min(100).max(599)).min(1).optional(),
  checkTls: z.boolean().default(true),
  /** PEM file of the CA(s) to trust for the gateway (and an https proxy), relative to the config file. */
  ca: z.string().min(1).optional(),
  proxy: proxyUrl,
  username: z
    .string()
    .min(1)
    .refine((u) => !u.includes(':'), { message: 'must not contain ":" (Basic authentication cannot carry it)' })
    .optional(),
  password: z.string().optional(),
  /** The whole request, connect to last byte of the answer. */
  timeoutMs: z.number().int().min(10).max(120_000).default(3000),
});

export type HttpEntry = z.infer<typeof httpBaseSchema>;

export const httpConfigSchema = httpBaseSchema.superRefine((entry, ctx) => {
  for (const p of configProblems(entry)) ctx.addIssue({ code: 'custom', path: p.path, message: p.message });
});
