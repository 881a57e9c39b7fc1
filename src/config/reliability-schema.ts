import { z } from 'zod';

/**
 * `delivery: async` routes answer 202 once the message is durably queued and a worker delivers it. The defaults
 * fit a one-time code: five minutes is a typical validity, after which a late code is worthless and is expired,
 * not sent.
 */
export const asyncSchema = z
  .strictObject({
    maxAttempts: z.number().int().min(1).max(100).default(8),
    maxAgeSeconds: z.number().int().min(1).max(86_400).default(300),
    backoff: z
      .strictObject({
        initialMs: z.number().int().min(10).max(3_600_000).default(1000),
        maxMs: z.number().int().min(10).max(3_600_000).default(30_000),
      })
      .refine((b) => b.maxMs >= b.initialMs, { message: 'maxMs must be at least initialMs' })
      .prefault({}),
  })
  .prefault({});

export const deliveryMode = z.enum(['sync', 'async']).default('sync');

const breakerFields = {
  /** Consecutive counted failures that open the breaker. */
  failures: z.number().int().min(1).max(1000),
  /** How long an open breaker skips its provider before one probe is let through. */
  cooldownSeconds: z.number().int().min(1).max(3600),
};

export const breakerSchema = z
  .strictObject({ failures: breakerFields.failures.default(5), cooldownSeconds: breakerFields.cooldownSeconds.default(30) })
  .prefault({});

/** Per provider: `false` never skips it; an object overrides the global numbers it names. */
export const breakerOverride = z.union([z.literal(false), z.strictObject({ failures: breakerFields.failures.optional(), cooldownSeconds: breakerFields.cooldownSeconds.optional() })]);

/**
 * `/metrics` on the main port behind a bearer token (`token`, else the admin token), or on a port of its own
 * (`port`, bound to `host`) without auth, for a scraper on a private network.
 */
export const metricsSchema = z
  .strictObject({
    token: z.string().min(16, 'secrets must be at least 16 characters').optional(),
    port: z.number().int().min(0).max(65535).optional(),
    host: z.string().default('127.0.0.1'),
  })
  .prefault({});

const key32 = z.string().refine((v) => /^[A-Za-z0-9+/_-]+={0,2}$/.test(v.trim()) && Buffer.from(v.trim(), 'base64').length === 32, {
  message: 'must be 32 random bytes in base64 (openssl rand -base64 32)',
});

/** The outbox key: kept out of the database it protects. */
export const storageKeys = {
  encryptionKey: key32.optional(),
  /** Keys that may still open queued items during a rotation; items live minutes, so drop them soon after. */
  previousEncryptionKeys: z.array(key32).default([]),
};

export type AsyncConfig = z.infer<typeof asyncSchema>;
export type BreakerConfig = z.infer<typeof breakerSchema>;
export type BreakerOverride = z.infer<typeof breakerOverride>;
export type MetricsConfig = z.infer<typeof metricsSchema>;
