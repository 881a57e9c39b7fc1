import { ProviderError } from '../provider';

export interface FailureContext {
  provider: string;
  host: string;
  /** The caller's signal (route deadline): its abort is not this gateway's fault. */
  callerSignal: AbortSignal;
  /** This provider's own `timeoutMs`. */
  timeoutSignal: AbortSignal;
  timeoutMs: number;
  viaProxy: boolean;
  clean(text: string): string;
}

const isTlsCode = (code: string) =>
  code.startsWith('CERT_') || code.startsWith('ERR_TLS_') || code.startsWith('ERR_SSL_') || code.startsWith('UNABLE_TO_') || code.endsWith('SELF_SIGNED_CERT') || code === 'SELF_SIGNED_CERT_IN_CHAIN';

/**
 * Socket, TLS and proxy failures from undici, mapped to a verdict:
 * - cannot connect at all (refused, unresolvable, TLS not trusted, proxy refused): `failover`, another provider
 *   may reach its vendor while this one cannot be reached until someone acts;
 * - the connection broke or stalled after the request left (reset, own timeout): `retryable`, the gateway was
 *   reachable a moment ago and the next try usually works. The gateway may have sent the SMS already: for a
 *   one-time code a second SMS is the lesser harm.
 */
export function requestFailure(e: unknown, f: FailureContext): ProviderError {
  const err = e as { code?: unknown; message?: string; name?: string };
  const code = typeof err?.code === 'string' ? err.code : undefined;
  const fail = (message: string, verdict: 'failover' | 'retryable', vendorCode: string) =>
    new ProviderError(f.provider, f.clean(message), { verdict, vendorCode, cause: e });

  if (f.callerSignal.aborted) return fail(`gave up on gateway ${f.host}: the caller's deadline passed`, 'failover', 'aborted');
  if (f.timeoutSignal.aborted || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    return fail(`gateway ${f.host} did not answer within ${f.timeoutMs} ms`, 'retryable', 'timeout');
  }
  const proxyStatus = /^Proxy response \((\d+)\)/.exec(err?.message ?? '')?.[1];
  if (proxyStatus) {
    const hint = proxyStatus === '407' ? ' (proxy authentication required: check the credentials in proxy)' : '';
    return fail(`proxy refused the tunnel to ${f.host} with ${proxyStatus}${hint}`, 'failover', `proxy_${proxyStatus}`);
  }
  const target = f.viaProxy ? `gateway ${f.host} (through the proxy)` : `gateway ${f.host}`;
  if (code && isTlsCode(code)) {
    return fail(`TLS certificate of ${target} is not trusted (${code}); set ca to trust its CA, or checkTls: false`, 'failover', code);
  }
  switch (code) {
    case 'ECONNREFUSED':
      return fail(`cannot connect to ${f.viaProxy ? 'the proxy or ' : ''}${target}: connection refused`, 'failover', code);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return fail(`cannot resolve the host name of ${f.viaProxy ? 'the proxy or ' : ''}${target} (${code})`, 'failover', code);
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return fail(`cannot reach ${target} (${code})`, 'failover', code);
    case 'UND_ERR_SOCKET':
    case 'ECONNRESET':
    case 'EPIPE':
      return fail(`${target} closed the connection before answering`, 'retryable', code);
    default:
      return fail(`request to ${target} failed: ${code ?? err?.name ?? 'error'}${err?.message ? ` ${err.message}` : ''}`, 'failover', code ?? 'request_failed');
  }
}
