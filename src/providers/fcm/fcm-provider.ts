import { resolve } from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../../errors';
import { defineProvider } from '../provider';
import { AccessTokens } from './access-tokens';
import { FcmPushProvider } from './fcm-push';
import { httpUrl } from '../shared/http-url';
import { HttpClient } from './http-client';
import { loadServiceAccount, ServiceAccountProblem } from './service-account';

/**
 * FCM HTTP v1 spoken directly (undici + jose) rather than through firebase-admin, which hard-codes
 * fcm.googleapis.com, ignores the service account's token_uri, and sends sendEach() over HTTP/2 without any agent,
 * so neither `endpointBaseUrl` nor an authenticated proxy could be honoured (reference/push-fcm.md §3).
 */
export const fcmProvider = defineProvider({
  type: 'fcm',
  // A push replaces a text message; a user who asked for a voice call gets one.
  channels: ['sms'],
  secretKeys: ['proxyPassword'],
  configSchema: z.object({
    /** Path to the Firebase service-account JSON, relative to the configuration file. Read and checked at start. */
    serviceAccountJson: z.string().min(1),
    /** Overrides the file's project_id. */
    projectId: z.string().regex(/^[a-z0-9-]{1,64}$/, 'must be a Firebase project id or number').optional(),
    // Plain http to any host stays allowed: the compose demo's mock FCM is reached as http://mock-fcm:4000.
    endpointBaseUrl: httpUrl({ plainHttp: 'any' }).default('https://fcm.googleapis.com'),
    /** Sends `validate_only: true`: FCM checks the message and the token but delivers nothing. */
    dryRun: z.boolean().default(false),
    /** Credentials go in proxyUser and proxyPassword, never in the URL. */
    proxyUrl: httpUrl({ plainHttp: 'any' }).optional(),
    proxyUser: z.string().min(1).optional(),
    proxyPassword: z.string().min(1).optional(),
    /** The public URL of this relay's POST /redeem, put into every push as `redeem_url`. */
    redeemUrl: httpUrl({ plainHttp: 'loopback' }),
    /** How long a push's redeem token stays valid; also the push's time to live at FCM and APNs. */
    redeemTtlSeconds: z.number().int().min(10).max(3600).default(120),
    /** Shown by the phone. Absent (or both empty): a data message, which the app handles silently. */
    notification: z.strictObject({ title: z.string().min(1).max(200).optional(), body: z.string().min(1).max(1000).optional() }).optional(),
    /**
     * One whole push attempt (token and send). FCM answers in a few hundred milliseconds; a short default leaves the
     * rest of the route's deadline (1800 ms by default) to the SMS fallback when FCM is slow.
     */
    timeoutMs: z.number().int().min(10).max(120_000).default(1000),
  }),
  create(config, { logger, store, baseDir }) {
    const problems: string[] = [];
    const at = (key: string) => `providers.${config.name}.${key}`;
    if ((config.proxyUser !== undefined || config.proxyPassword !== undefined) && !config.proxyUrl) problems.push(`${at('proxyUser')}: needs proxyUrl`);
    if ((config.proxyUser === undefined) !== (config.proxyPassword === undefined)) problems.push(`${at('proxyPassword')}: give proxyUser and proxyPassword together`);
    const file = resolve(baseDir, config.serviceAccountJson);
    let account;
    try {
      account = loadServiceAccount(file);
    } catch (e) {
      if (!(e instanceof ServiceAccountProblem)) throw e;
      problems.push(`${at('serviceAccountJson')}: ${file} ${e.message}`);
    }
    if (problems.length || !account) throw new ConfigError(problems);

    const http = new HttpClient({ timeoutMs: config.timeoutMs, proxyUrl: config.proxyUrl, proxyUser: config.proxyUser, proxyPassword: config.proxyPassword });
    return new FcmPushProvider({
      name: config.name,
      projectId: config.projectId ?? account.projectId,
      endpointBaseUrl: config.endpointBaseUrl.replace(/\/+$/, ''),
      dryRun: config.dryRun,
      redeemUrl: config.redeemUrl,
      redeemTtlSeconds: config.redeemTtlSeconds,
      notification: config.notification,
      http,
      tokens: new AccessTokens({ account, http, timeoutMs: config.timeoutMs }),
      store,
      logger,
    });
  },
});
