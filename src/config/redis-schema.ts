import { z } from 'zod';

const redisUrl = z.string().refine(
  (v) => {
    if (!/^rediss?:\/\//.test(v)) return false;
    try {
      return new URL(v).hostname.length > 0;
    } catch {
      return false;
    }
  },
  { message: 'must be redis://[:PASSWORD@]HOST:6379[/DB] or rediss://… (TLS)' },
);

/**
 * `redis`: where replicas share limit counters, dedupe keys and redeem failures. Without it each process counts
 * for itself. Timeouts are short on purpose: everything kept in Redis fails open (see docs/operations.md), so a
 * slow Redis must cost a request a fraction of its deadline, never all of it.
 */
export const redisSchema = z
  .strictObject({
    url: redisUrl,
    /** Prepended to every key, so several relays (or a relay and other software) can share one Redis database. */
    keyPrefix: z
      .string()
      .regex(/^[A-Za-z0-9:._-]{1,64}$/, 'must be 1–64 characters of letters, digits and : . _ -')
      .default('messenger-relay:'),
    /** One command's answer; past it the command counts as failed (fail open) and the request goes on. */
    commandTimeoutMs: z.number().int().min(10).max(10_000).default(500),
    /** How long a (re)connection may take, and how long start-up waits for the first one. */
    connectTimeoutMs: z.number().int().min(100).max(60_000).default(5000),
  })
  .optional();

export type RedisConfig = NonNullable<z.infer<typeof redisSchema>>;
