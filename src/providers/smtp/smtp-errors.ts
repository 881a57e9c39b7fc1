import type { NodemailerError } from 'nodemailer/lib/errors';
import { scrub } from '../../redact';
import { ProviderError, type Verdict } from '../provider';

/** Socket-level failures: the relay may be back in a moment, so the same provider may succeed on a later try. */
const CONNECTION_CODES = new Set(['ECONNECTION', 'ESOCKET', 'ETIMEDOUT', 'EDNS', 'EPROTOCOL']);

/** Certificate and handshake failures arrive as ESOCKET with Node's TLS code kept in originalCode. */
const TLS_FAILURE = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|ERR_SSL/;

/**
 * How an SMTP failure bears on the route:
 * - 4xx (greylisting, 421, 450/451/452): `retryable`, the relay said "later";
 * - 5xx (550 no such user, 554 refused): `failover`. For `{phone}@gateway` a permanent refusal means this
 *   gateway cannot reach this number (US carriers are switching their email-to-SMS gateways off), while another
 *   provider may; it is never retried blindly on this relay;
 * - authentication refused (535, EAUTH) and TLS failures: `failover`, retrying cannot fix a credential or a
 *   certificate;
 * - refused, reset or timed-out connections: `retryable`;
 * - our own deadline or timeout: `failover`, as the dispatcher treats any provider that runs out of time.
 */
export function verdictFor(err: NodemailerError): Verdict {
  const status = err.responseCode;
  if (err.code === 'EAUTH' || err.code === 'ENOAUTH' || status === 530 || status === 534 || status === 535) return 'failover';
  if (status !== undefined && status >= 500) return 'failover';
  if (status !== undefined && status >= 400) return 'retryable';
  if (err.code === 'ETLS' || TLS_FAILURE.test(err.originalCode ?? '')) return 'failover';
  if (err.code && CONNECTION_CODES.has(err.code)) return 'retryable';
  return 'failover';
}

/**
 * The relay's reply often echoes the recipient (`550 <13035551212@gw>: unknown`), which holds the number; the
 * password never appears in SMTP replies but is scrubbed anyway in case a library error quotes it.
 */
export function smtpProviderError(provider: string, err: NodemailerError, sensitive: readonly string[], aborted: 'deadline' | 'timeout' | false): ProviderError {
  if (aborted || err.code === 'EABORT') {
    const why = aborted === 'timeout' ? 'timeout' : 'aborted';
    return new ProviderError(provider, `SMTP send ${why === 'timeout' ? 'timed out' : 'was aborted'}`, { verdict: 'failover', vendorCode: why });
  }
  const clean = (s: string) => scrub(s, sensitive).replace(/\s+/g, ' ').trim().slice(0, 300);
  const reply = err.response ? clean(err.response) : undefined;
  const step = err.command ? ` at ${err.command.split(' ')[0] === 'AUTH' ? 'AUTH' : err.command}` : '';
  const what = err.responseCode ? `SMTP relay answered ${err.responseCode}${step}` : `SMTP ${err.code ?? 'error'}${step}`;
  return new ProviderError(provider, `${what}: ${reply ?? clean(err.message ?? '')}`, {
    verdict: verdictFor(err),
    vendorStatus: err.responseCode,
    // ECONNREFUSED or DEPTH_ZERO_SELF_SIGNED_CERT says more than the ESOCKET nodemailer wraps it in.
    vendorCode: err.originalCode ?? err.code,
    vendorMessage: reply ?? clean(err.message ?? ''),
  });
}
