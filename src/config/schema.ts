import { isIP } from 'node:net';
import { z } from 'zod';
import { normalizePhone } from '../inbound/phone';
import { providerDefinitions } from '../providers/registry';
import { dedupeSchema, limitsSchema } from './limits-schema';
import { asyncSchema, breakerOverride, breakerSchema, deliveryMode, metricsSchema, storageKeys } from './reliability-schema';
import { redisSchema } from './redis-schema';
import { regionCode } from './region-code';

const cidr = z.string().refine(
  (v) => {
    const [addr, bits, ...rest] = v.split('/');
    if (rest.length || !isIP(addr)) return false;
    if (bits === undefined) return true;
    const n = Number(bits);
    return /^\d+$/.test(bits) && n >= 0 && n <= (isIP(addr) === 4 ? 32 : 128);
  },
  { message: 'must be an IP address or CIDR range such as 10.0.0.0/8 or 2001:db8::/32' },
);

const headerName = z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, 'must be a valid HTTP header name');
const secret = z.string().min(16, 'secrets must be at least 16 characters');

const tlsSchema = z.strictObject({
  cert: z.string(),
  key: z.string(),
  minVersion: z.enum(['TLSv1.2', 'TLSv1.3']).default('TLSv1.2'),
  /** PEM of the CA(s) that sign client certificates; enables mTLS (`auth.clientCert` on endpoints). */
  clientCa: z.string().optional(),
});

const serverSchema = z.strictObject({
  host: z.string().default('0.0.0.0'),
  port: z.number().int().min(0).max(65535).default(8443),
  tls: z.union([z.literal(false), tlsSchema]),
  /** Which hops' X-Forwarded-For to believe: CIDR list, or a hop count. Default: none. */
  trustProxy: z.union([z.array(cidr), z.number().int().min(0), z.literal(false)]).default(false),
  bodyLimitBytes: z.number().int().min(256).max(1_048_576).default(16_384),
  /** How long SIGTERM waits for in-flight requests before closing connections. */
  shutdownTimeoutMs: z.number().int().min(0).default(10_000),
});

const authSchema = z
  .strictObject({
    basic: z.strictObject({ username: z.string().min(1), password: secret }).optional(),
    /** Header name → accepted values; list several during a rotation. */
    headers: z.record(headerName, z.array(secret).min(1)).optional(),
    allowFrom: z.array(cidr).min(1).optional(),
    /** Requires a client certificate signed by `server.tls.clientCa`; optionally pins subjects' CN. */
    clientCert: z.strictObject({ commonNames: z.array(z.string()).min(1).optional() }).optional(),
    /** Explicitly run without any guard (only behind something else that authenticates). */
    none: z.literal(true).optional(),
  })
  .refine((a) => a.none || a.basic || a.headers || a.allowFrom || a.clientCert, {
    message: 'an endpoint needs at least one of basic, headers, allowFrom, clientCert (or none: true to opt out explicitly)',
  });

const reservedPaths = ['/healthz', '/readyz', '/admin', '/metrics', '/redeem', '/dispatch-targets'];

const endpointSchema = z.strictObject({
  path: z
    .string()
    .regex(/^\/[A-Za-z0-9._~\-/]*$/, 'must start with / and use only URL-safe characters')
    .refine((p) => !reservedPaths.some((r) => p === r || p.startsWith(`${r}/`)), {
      message: `must not use a reserved path (${reservedPaths.join(', ')})`,
    }),
  format: z.enum(['fusionauth']).default('fusionauth'),
  auth: authSchema,
  /** FusionAuth's Test button: `acknowledge` answers 2xx without sending; `deliver` sends it to `testPhoneNumber`. */
  testMessage: z.enum(['acknowledge', 'deliver']).default('acknowledge'),
  testPhoneNumber: z.string().optional(),
  /** ISO 3166 region used to read numbers written without a country code, e.g. "3035551212". */
  defaultRegion: regionCode.default('US'),
  route: z.string(),
});

const routeSchema = z.strictObject({
  strategy: z.enum(['failover']).default('failover'),
  providers: z.array(z.string()).min(1),
  /** The whole attempt, all providers included; keep it under the caller's read timeout. */
  deadlineMs: z.number().int().min(50).max(120_000).default(1800),
  delivery: deliveryMode,
  async: asyncSchema,
  /** For push providers on this route: `redeemOnly` keeps the code and text out of the push (the device redeems them). */
  push: z.strictObject({ content: z.enum(['full', 'redeemOnly']).default('full') }).optional(),
});

/** Settings of the relay's own push endpoints (`/redeem`, device-signed `PATCH /dispatch-targets/:id`). */
const pushSchema = z.strictObject({
  /** Failed redeems one source address may make per window before it gets 429. */
  redeemMaxFailures: z.number().int().min(1).max(10_000).default(10),
  redeemFailureWindowSeconds: z.number().int().min(1).max(86_400).default(300),
  /** How far a signed PATCH's `iat` may be from the relay's clock. */
  patchMaxSkewSeconds: z.number().int().min(10).max(3600).default(300),
});

const storageUrl = z.string().refine(
  (v) => {
    if (v.startsWith('sqlite:')) return v.length > 'sqlite:'.length;
    if (!/^postgres(ql)?:\/\//.test(v)) return false;
    try {
      new URL(v);
      return true;
    } catch {
      return false;
    }
  },
  { message: 'must be sqlite:PATH, sqlite::memory: or postgres://USER:PASSWORD@HOST:5432/DATABASE' },
);

const storageSchema = z.strictObject({
  url: storageUrl.default('sqlite:data/relay.db'),
  /** PostgreSQL only: connections this replica keeps open. */
  poolSize: z.number().int().min(1).max(100).default(10),
  ...storageKeys,
});

/** Keys every provider entry may carry. A vendor may declare its own `timeoutMs` with its own default. */
const providerCommon = { timeoutMs: z.number().int().min(10).max(120_000).optional(), breaker: breakerOverride.optional() };

function providerUnion() {
  const [first, ...rest] = providerDefinitions.map((d) => {
    const common = Object.fromEntries(Object.entries(providerCommon).filter(([k]) => !(k in d.configSchema.shape)));
    return d.configSchema.extend({ type: z.literal(d.type), ...common }).strict();
  });
  return z.discriminatedUnion('type', [first, ...rest]);
}

export const configSchema = z
  .strictObject({
    server: serverSchema,
    storage: storageSchema.prefault({}),
    log: z
      .strictObject({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info') })
      .default({ level: 'info' }),
    endpoints: z.array(endpointSchema).min(1),
    routes: z.record(z.string(), routeSchema),
    providers: z.record(z.string(), providerUnion()),
    admin: z.strictObject({ token: secret.optional() }).default({}),
    limits: limitsSchema,
    dedupe: dedupeSchema,
    breaker: breakerSchema,
    metrics: metricsSchema,
    push: pushSchema.default(pushSchema.parse({})),
    redis: redisSchema,
  })
  .superRefine((c, ctx) => {
    const seen = new Set<string>();
    c.endpoints.forEach((e, i) => {
      if (seen.has(e.path)) ctx.addIssue({ code: 'custom', path: ['endpoints', i, 'path'], message: `duplicate path ${e.path}` });
      seen.add(e.path);
      if (e.auth.clientCert && (c.server.tls === false || !c.server.tls.clientCa)) {
        ctx.addIssue({ code: 'custom', path: ['endpoints', i, 'auth', 'clientCert'], message: 'needs server.tls.clientCa' });
      }
      if (e.testMessage === 'deliver' && !e.testPhoneNumber) {
        ctx.addIssue({ code: 'custom', path: ['endpoints', i, 'testPhoneNumber'], message: 'testMessage: deliver needs a testPhoneNumber' });
      }
      if (e.testPhoneNumber !== undefined) {
        // Checked now: a bad value would turn every press of FusionAuth's Test button into a 400 about its phoneNumber.
        try {
          normalizePhone(e.testPhoneNumber, e.defaultRegion);
        } catch (err) {
          ctx.addIssue({ code: 'custom', path: ['endpoints', i, 'testPhoneNumber'], message: (err as Error).message.replace(/^phoneNumber/, 'not a usable number:') });
        }
      }
    });
    // Route and provider names are checked by validateConfig on the raw document, parsed or not.
    for (const [name, r] of Object.entries(c.routes)) {
      if (r.delivery === 'async' && r.async.maxAgeSeconds * 1000 <= r.deadlineMs) {
        ctx.addIssue({ code: 'custom', path: ['routes', name, 'async', 'maxAgeSeconds'], message: 'must be longer than the route deadlineMs' });
      }
    }
  });

export type Config = z.infer<typeof configSchema>;
export type EndpointConfig = Config['endpoints'][number];
export type RouteConfig = Config['routes'][string];
export type ProviderConfig = Config['providers'][string];
export type AuthConfig = EndpointConfig['auth'];
export type TlsConfig = Exclude<Config['server']['tls'], false>;
