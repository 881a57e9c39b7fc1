import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createTransport } from 'nodemailer';
import type { NodemailerError } from 'nodemailer/lib/errors';
import { ConfigError } from '../../errors';
import { maskPhone } from '../../redact';
import { defineProvider, ProviderError } from '../provider';
import { compilePhoneRewrite } from '../shared/phone-rewrite';
import { fillTemplate, MissingCodeError, noCodeError } from '../shared/template';
import { timeLimit } from '../shared/time-limit';
import { isSingleAddress, smtpConfigSchema } from './smtp-config';
import { smtpProviderError } from './smtp-errors';

/** Header values come from the message text; a CR or LF there must not start a header of its own. */
const headerSafe = (value: string) => value.replace(/[\r\n\0]+/g, ' ');

function readCa(ca: string | undefined, baseDir: string, name: string): string | undefined {
  if (ca === undefined || ca.includes('-----BEGIN')) return ca;
  try {
    return readFileSync(resolve(baseDir, ca), 'utf8');
  } catch (e) {
    throw new ConfigError([`providers.${name}.ca: cannot read ${resolve(baseDir, ca)} (${(e as NodeJS.ErrnoException).code ?? 'error'})`]);
  }
}

/**
 * Email-to-SMS through an SMTP relay (privacyIDEA's SMTP provider): one mail per message to `mailTo`, with the
 * number and text in the address, subject or body. A pooled nodemailer transport keeps connections open so a
 * send does not pay for TCP, STARTTLS and AUTH each time.
 */
export const smtpProvider = defineProvider({
  type: 'smtp',
  channels: ['sms'],
  secretKeys: ['password'],
  configSchema: smtpConfigSchema,
  create(config, { logger, baseDir }) {
    const rewrite = compilePhoneRewrite(config.regexp);
    const ca = readCa(config.ca, baseDir, config.name);
    const transport = createTransport(
      {
        pool: true,
        maxConnections: config.maxConnections,
        host: config.host,
        port: config.port ?? (config.secure ? 465 : 587),
        secure: config.secure,
        requireTLS: config.requireTls ?? !config.secure,
        auth: config.username !== undefined ? { user: config.username, pass: config.password } : undefined,
        tls: { rejectUnauthorized: config.checkTls, minVersion: 'TLSv1.2', ...(ca ? { ca } : {}) },
        connectionTimeout: config.timeoutMs,
        greetingTimeout: config.timeoutMs,
        // nodemailer's own log lines name the recipient, i.e. the phone number in clear: keep them off.
        logger: false,
        debug: false,
        disableFileAccess: true,
        disableUrlAccess: true,
      },
      { from: config.from },
    );
    let closed = false;

    return {
      name: config.name,
      type: 'smtp',
      channels: ['sms'],
      async send(message, ctx) {
        if (closed) throw new ProviderError(config.name, 'provider is closed', { verdict: 'failover', vendorCode: 'closed' });
        const phone = rewrite(message.to);
        const values = { phone, message: message.text, code: message.code };
        let mail: { to: string; subject: string; text: string };
        try {
          mail = { to: fillTemplate(config.mailTo, values), subject: fillTemplate(config.subject, values, headerSafe), text: fillTemplate(config.body, values) };
        } catch (e) {
          if (!(e instanceof MissingCodeError)) throw e;
          throw noCodeError(config.name, e);
        }
        const { to } = mail;
        const sensitive = [to, phone, message.to, message.text, message.code ?? '', config.password ?? ''];
        if (!isSingleAddress(to)) {
          throw new ProviderError(config.name, 'mailTo did not give one e-mail address for this number (check regexp and mailTo)', {
            verdict: 'failover',
            vendorCode: 'bad-recipient',
          });
        }
        const limit = timeLimit(config.timeoutMs, ctx.signal);
        const timeout = limit.timedOut;
        const started = performance.now();
        try {
          const info = await transport.sendMail({ ...mail, signal: limit.signal });
          // The relay's queue id (Postfix, Exim: "250 2.0.0 Ok: queued as 4Xk2…") is what its logs are searched by.
          const queueId = /queued as ([A-Za-z0-9._-]+)/i.exec(info.response ?? '')?.[1];
          const providerMessageId = queueId ?? info.serverMessageId ?? info.messageId;
          logger.debug({ to: maskPhone(message.to), providerMessageId, ms: Math.round(performance.now() - started) }, 'SMTP relay accepted the message');
          return { providerMessageId };
        } catch (e) {
          const aborted = ctx.signal.aborted ? 'deadline' : timeout.aborted ? 'timeout' : false;
          throw smtpProviderError(config.name, e as NodemailerError, sensitive, aborted);
        } finally {
          limit.done();
        }
      },
      async verify() {
        try {
          await transport.verify();
        } catch (e) {
          throw smtpProviderError(config.name, e as NodemailerError, [config.password ?? ''], false);
        }
      },
      async close() {
        if (closed) return;
        closed = true;
        transport.close();
      },
    };
  },
});
