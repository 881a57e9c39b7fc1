import type { ProviderErrorInit } from '../provider';
import { parseRetryAfter, verdictForStatus } from '../shared/http-call';
import type { BodyMatcher } from './body-matcher';

export interface ResponseRules {
  successStatus: readonly number[];
  returnSuccess?: BodyMatcher;
  returnFail?: BodyMatcher;
}

export interface GatewayAnswer {
  status: number;
  retryAfter?: string;
  /** As received (possibly cut short); matched raw, shown only after `clean`. */
  body: string;
}

export type Judgement = { ok: true; providerMessageId?: string } | { ok: false; message: string; init: ProviderErrorInit };

/** What a reader of the delivery log needs from the answer: one line, bounded. */
export function snippet(body: string, max = 200): string {
  const line = body.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max)}…` : line;
}

/**
 * privacyIDEA's order: the status first (only `successStatus` can succeed), then the body. Unlike privacyIDEA,
 * which checks only RETURN_SUCCESS when both are set, `returnFail` is checked too, and first: an answer that
 * names a failure is a failure whatever else it contains.
 */
export function judgeResponse(answer: GatewayAnswer, rules: ResponseRules, host: string, clean: (text: string) => string): Judgement {
  const { status, body } = answer;
  const vendorMessage = snippet(clean(body)) || undefined;
  const said = vendorMessage ? `: ${vendorMessage}` : '';
  if (!rules.successStatus.includes(status)) {
    if (status >= 300 && status < 400) {
      // Never followed: a redirect could carry the message and credentials to another host.
      return { ok: false, message: `gateway ${host} answered a redirect (${status}), which is not followed; check url`, init: { verdict: 'failover', vendorStatus: status, vendorCode: 'redirect' } };
    }
    const verdict = verdictForStatus(status);
    const what = status === 429 ? 'is throttling (429)' : `answered ${status}`;
    const retryAfterMs = verdict === 'retryable' ? parseRetryAfter(answer.retryAfter) : undefined;
    return { ok: false, message: `gateway ${host} ${what}${said}`, init: { verdict, vendorStatus: status, vendorMessage, retryAfterMs } };
  }
  if (rules.returnFail?.match(body)) {
    return { ok: false, message: `gateway ${host} answered with the returnFail text${said}`, init: { verdict: 'failover', vendorStatus: status, vendorCode: 'returnFail', vendorMessage } };
  }
  if (rules.returnSuccess) {
    const hit = rules.returnSuccess.match(body);
    if (!hit) {
      return { ok: false, message: `gateway ${host} answered without the returnSuccess text${said}`, init: { verdict: 'failover', vendorStatus: status, vendorCode: 'returnSuccess', vendorMessage } };
    }
    return { ok: true, providerMessageId: hit.captured };
  }
  return { ok: true };
}
