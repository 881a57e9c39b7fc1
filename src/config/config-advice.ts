import type { Config } from './schema';

/**
 * Valid settings that quietly defeat what they are there for, said at start and by check-config rather than
 * refused (each has a setting where it is a fair choice).
 *
 * Failover: each try gets what is left of the route's deadline, never more than its provider's own `timeoutMs`;
 * most vendors' default timeouts are longer than the default deadline, so a first provider that hangs (rather than
 * refusing) can spend the whole deadline and the providers after it are never tried.
 */
export function configAdvice(config: Config): string[] {
  const advice: string[] = [];
  for (const [name, route] of Object.entries(config.routes)) {
    route.providers.slice(0, -1).forEach((provider, i) => {
      const timeoutMs = (config.providers[provider] as { timeoutMs?: number } | undefined)?.timeoutMs;
      if (timeoutMs === undefined || timeoutMs < route.deadlineMs) return;
      advice.push(
        `routes.${name}: "${provider}" may take the whole ${route.deadlineMs} ms deadline (its timeoutMs is ${timeoutMs}), ` +
          `so when it hangs "${route.providers[i + 1]}" is never tried; set providers.${provider}.timeoutMs below ${route.deadlineMs}`,
      );
    });
  }
  // A hop count believes the last N hops whoever they are: a caller that reaches the relay around the load balancer
  // forges the address allowFrom judges. A list of the balancers' addresses cannot be fooled that way.
  if (typeof config.server.trustProxy === 'number' && config.server.trustProxy > 0) {
    config.endpoints.forEach((e, i) => {
      if (e.auth.allowFrom) {
        advice.push(
          `endpoints[${i}].auth.allowFrom: server.trustProxy is a hop count, so a caller that reaches the relay directly can forge X-Forwarded-For and pass; ` +
            'list your load balancers\' addresses in server.trustProxy instead',
        );
      }
    });
  }
  return advice;
}
