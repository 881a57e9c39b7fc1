import type { Logger } from 'pino';
import type { EndpointConfig, RouteConfig } from '../config/schema';
import { maskPhone } from '../redact';
import type { Message } from '../message';
import type { Dedupe, FirstOutcome } from './dedupe';
import type { Limits } from './limits/limits';
import { refusalError } from './limits/refusal';

export interface GuardAnswer<T extends FirstOutcome> {
  outcome: T | FirstOutcome;
  /** The answer is an earlier delivery's: nothing was sent for this request. */
  duplicate: boolean;
}

/**
 * What stands between a parsed message and the dispatcher: duplicates are answered first (a double-click costs
 * nothing, not even limit budget), then the abuse limits, then the delivery. FusionAuth's Test button, answered
 * without sending, passes straight through.
 */
export class RequestGuard {
  constructor(
    private readonly deps: {
      limits?: Limits;
      dedupe?: Dedupe;
      routes: Readonly<Record<string, RouteConfig>>;
      onDuplicate?: (endpoint: string) => void;
    },
  ) {}

  /** `receivedAt`: when the request arrived; a wait for a duplicate in flight elsewhere ends at the route's deadline from then. */
  async admit<T extends FirstOutcome>(
    endpoint: EndpointConfig,
    message: Message,
    log: Logger,
    deliver: () => Promise<T>,
    receivedAt = Date.now(),
  ): Promise<GuardAnswer<T>> {
    if (message.test && endpoint.testMessage === 'acknowledge') return { outcome: await deliver(), duplicate: false };
    const { limits, dedupe } = this.deps;
    const checked = async (): Promise<T> => {
      const refusal = await limits?.check(message);
      if (refusal) {
        const error = refusalError(refusal);
        log.warn({ rule: refusal.rule, to: maskPhone(message.to), retryAfterSeconds: error.data?.retryAfterSeconds }, 'limit reached');
        throw error;
      }
      return deliver();
    };
    if (!dedupe) return { outcome: await checked(), duplicate: false };
    const route = this.deps.routes[endpoint.route];
    const left = Math.max(0, receivedAt + route.deadlineMs - Date.now());
    const answer = await dedupe.run(dedupe.key(endpoint.path, message), left, checked);
    if (answer.duplicate) {
      this.deps.onDuplicate?.(endpoint.path);
      log.info({ deliveryId: answer.outcome.id, status: answer.outcome.status, to: maskPhone(message.to) }, 'duplicate answered with the earlier delivery');
    }
    return answer;
  }
}
