import type { Config } from './schema';

/**
 * Valid settings that quietly defeat failover. Each try gets what is left of the route's deadline, never more than
 * its provider's own `timeoutMs`; most vendors' default timeouts are longer than the default deadline, so a first
 * provider that hangs (rather than refusing) can spend the whole deadline and the providers after it are never
 * tried. Said at start and by check-config rather than refused: a single-vendor route, or one whose first vendor
 * is trusted to answer, is a fair choice.
 */
export function routeAdvice(config: Config): string[] {
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
  return advice;
}
