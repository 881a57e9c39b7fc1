import type { ProviderError } from '../provider';
import { statusError, type HttpAnswer, type HttpCall, type StatusErrorDetail } from '../shared/http-call';

/**
 * What sipgate's statuses mean, from its documented table (sipgate-io/sipgateio-sendsms-node README "HTTP Errors")
 * and its SDK (sipgate-io/sipgateio-node lib/sms/errors/handleSmsError.ts maps 403 to "Invalid SMS extension",
 * lib/core/errors/handleCoreError.ts maps 401 to an authentication error).
 *
 * None is `permanent`: the number was already checked as valid E.164 on the way in, so a 400 here is sipgate
 * refusing this request (blank text, a destination it does not serve), and another provider may still deliver.
 * The body carries no documented error code, so `vendorCode` names the documented meaning of the status.
 */
const KNOWN: Record<number, StatusErrorDetail> = {
  400: { vendorCode: 'badRequest', reason: 'sipgate refused the request (blank text or a recipient it does not accept)' },
  401: { vendorCode: 'unauthorized', reason: 'authentication failed, check tokenId and token' },
  402: { vendorCode: 'insufficientBalance', reason: 'the sipgate account has no balance left' },
  403: {
    vendorCode: 'invalidExtension',
    reason: 'this token may not send from smsId (Web SMS not booked, or the token lacks the sessions:sms:write scope)',
  },
  404: { vendorCode: 'notFound', reason: 'no such endpoint, check baseUrl' },
  405: { vendorCode: 'methodNotAllowed', reason: 'method refused, check baseUrl' },
  415: { vendorCode: 'unsupportedMediaType', reason: 'sipgate did not accept the body as JSON' },
  429: { vendorCode: 'rateLimited', reason: 'too many requests' },
};

export function sipgateError(call: Pick<HttpCall, 'provider' | 'vendor' | 'sensitive'>, answer: HttpAnswer): ProviderError {
  const known = KNOWN[answer.status];
  if (known) return statusError(call, answer, known);
  if (answer.status >= 500) return statusError(call, answer, { vendorCode: 'serverError', reason: 'sipgate failed internally' });
  if (answer.status >= 300 && answer.status < 400) return statusError(call, answer, { vendorCode: 'redirect', reason: 'redirects are not followed, check baseUrl' });
  return statusError(call, answer);
}
