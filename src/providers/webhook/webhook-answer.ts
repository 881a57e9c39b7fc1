import type { ProviderError } from '../provider';
import { statusError, type HttpAnswer, type HttpCall } from '../shared/http-call';

type Who = Pick<HttpCall, 'provider' | 'vendor' | 'sensitive'>;

/** A chained relay (or FusionAuth-style receiver) explains a refusal as `{"generalErrors":[{"code","message"}]}`. */
function generalError(body: string): { code?: string; message?: string } {
  try {
    const first = (JSON.parse(body) as { generalErrors?: { code?: unknown; message?: unknown }[] })?.generalErrors?.[0];
    return {
      code: typeof first?.code === 'string' ? first.code.slice(0, 64) : undefined,
      message: typeof first?.message === 'string' ? first.message : undefined,
    };
  } catch {
    return {};
  }
}

/** The downstream relay answers `{id}`, its delivery record; anything else simply has no id. */
export function downstreamId(body: string): string | undefined {
  try {
    const id = (JSON.parse(body) as { id?: unknown })?.id;
    return typeof id === 'string' && id.length <= 128 ? id : undefined;
  } catch {
    return undefined;
  }
}

/**
 * 4xx: the downstream refuses this relay or this body, so another provider is the way on (failover), except 408 and
 * 429, which pass with time. 5xx and 503 with Retry-After: retryable. A 3xx is never followed, because FusionAuth's
 * own Java client would turn the POST into a GET on it too; the operator should configure the final address.
 */
export function webhookError(who: Who, answer: HttpAnswer): ProviderError {
  const { code, message } = generalError(answer.body);
  const vendorMessage = message;
  if (answer.status >= 200 && answer.status < 300) {
    return statusError(who, answer, { verdict: 'failover', vendorCode: 'unexpectedStatus', reason: 'a success status not listed in successStatus' });
  }
  if (answer.status >= 300 && answer.status < 400) {
    const location = answer.headers.location;
    return statusError(who, answer, {
      vendorCode: 'redirect',
      vendorMessage: location ? `Location: ${String(location)}` : undefined,
      reason: 'redirects are not followed (the POST would become a GET); set url to the final address',
    });
  }
  if (answer.status === 401 || answer.status === 403) {
    return statusError(who, answer, { vendorCode: code, vendorMessage, reason: 'the downstream refused us (credentials or source address), check auth' });
  }
  return statusError(who, answer, { vendorCode: code, vendorMessage });
}
