import addressparser from 'nodemailer/lib/addressparser';
import { z } from 'zod';
import { compilePhoneRewrite, phoneRewriteSchema, type PhoneRewriteFn } from '../shared/phone-rewrite';
import { fillTemplate, TEMPLATE_TAGS, unknownTags } from '../shared/template';

/**
 * One bare address, dot-atom local part and a host name: what an email-to-SMS gateway expects, and nothing a
 * filled-in template could turn into a second recipient (no comma, no group, no display name, no spaces).
 */
const SINGLE_ADDRESS = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

export function isSingleAddress(value: string): boolean {
  return value.length <= 254 && SINGLE_ADDRESS.test(value);
}

/** What the recipient template is checked with at start: numbers as the relay hands them to providers. */
const SAMPLES = [
  { phone: '+13035551212', message: 'Your code is 482913.', code: '482913' },
  { phone: '+4915123456789', message: 'Your code is 482913.', code: '482913' },
];

/** `regexp` has its own issue when it does not compile; the recipient check then reads the number unchanged. */
function safeRewrite(spec: string | undefined): PhoneRewriteFn {
  try {
    return compilePhoneRewrite(spec);
  } catch {
    return (phone) => phone;
  }
}

const noUnknownTags = (what: string) => (template: string, ctx: z.RefinementCtx) => {
  const unknown = unknownTags(template);
  if (unknown.length) {
    ctx.addIssue({ code: 'custom', message: `${what} uses {${unknown.join('}, {')}}; the tags are {${TEMPLATE_TAGS.join('}, {')}}` });
  }
};

const oneLine = (template: string, ctx: z.RefinementCtx) => {
  if (/[\r\n]/.test(template)) ctx.addIssue({ code: 'custom', message: 'must be a single line (it becomes a mail header)' });
};

export const smtpConfigSchema = z
  .object({
    host: z.string().min(1),
    /** Default 587, or 465 with `secure`. */
    port: z.number().int().min(1).max(65535).optional(),
    /** TLS from the first byte (port 465). */
    secure: z.boolean().default(false),
    /** Refuse to send unless the server upgrades with STARTTLS. Default: true unless `secure`. */
    requireTls: z.boolean().optional(),
    /** Verify the server's certificate (host name and chain). */
    checkTls: z.boolean().default(true),
    /** PEM of the CA (or the self-signed certificate) to trust for this relay: the PEM itself or a file path. */
    ca: z.string().min(1).optional(),
    username: z.string().min(1).optional(),
    password: z.string().min(1).optional(),
    from: z.string().superRefine((v, ctx) => {
      const parsed = /[\r\n]/.test(v) ? [] : addressparser(v);
      if (parsed.length !== 1 || parsed[0].group || !isSingleAddress(parsed[0].address ?? '')) {
        ctx.addIssue({ code: 'custom', message: 'must be one sender address, e.g. relay@example.com or "Relay <relay@example.com>"' });
      }
    }),
    /** The recipient, e.g. `{phone}@sms.example.com`; must give exactly one address. */
    mailTo: z.string().min(1).superRefine(noUnknownTags('mailTo')),
    subject: z.string().default('{phone}').superRefine(noUnknownTags('subject')).superRefine(oneLine),
    body: z.string().min(1).default('{otp}').superRefine(noUnknownTags('body')),
    regexp: phoneRewriteSchema.optional(),
    /** The most one send may take, connecting included. */
    timeoutMs: z.number().int().min(10).max(120_000).default(10_000),
    /** Connections the pool keeps open to the relay. */
    maxConnections: z.number().int().min(1).max(50).default(2),
  })
  .superRefine((c, ctx) => {
    // The recipient is checked as a send would build it, after the operator's own rewrite of the number.
    const rewrite = safeRewrite(c.regexp);
    for (const sample of SAMPLES) {
      const filled = fillTemplate(c.mailTo, { ...sample, phone: rewrite(sample.phone) });
      if (!isSingleAddress(filled)) {
        ctx.addIssue({ code: 'custom', path: ['mailTo'], message: `must give one plain e-mail address once its tags are filled (${JSON.stringify(filled)} is not)` });
        break;
      }
    }
    if ((c.username === undefined) !== (c.password === undefined)) {
      ctx.addIssue({ code: 'custom', path: [c.username === undefined ? 'username' : 'password'], message: 'username and password go together' });
    }
    if (c.username !== undefined && !c.secure && c.requireTls === false) {
      ctx.addIssue({
        code: 'custom',
        path: ['requireTls'],
        message: 'with a username and password, TLS is required (secure: true or requireTls: true): the password would cross the network in clear',
      });
    }
  });

export type SmtpConfig = z.infer<typeof smtpConfigSchema>;
