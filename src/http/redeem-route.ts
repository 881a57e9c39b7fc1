import express, { type Router } from 'express';
import type { Logger } from 'pino';
import { AppError } from '../errors';
import type { FailureBudget } from '../push/failure-limiter';
import { sourceKey } from '../relay/limits/failed-auth';
import { RedeemService } from '../push/redeem';
import type { Store } from '../store/store';

export interface RedeemRouteDeps {
  store: Store;
  logger: Logger;
  /** A seam for tests of expiry. */
  now?: () => number;
  /** Failed redeems per source: shared by every replica with `redis.url`, in this process's memory without it. */
  failures: FailureBudget;
}

/**
 * `POST /redeem {"token": "…"}`: the `redeem_url` in every push. The token is the credential (as in nevisFIDO's
 * Redeem Token Service), so there is no other authentication; failures are limited per source address instead.
 * Unknown, expired and already-redeemed tokens get one and the same answer.
 */
export function redeemRouter(deps: RedeemRouteDeps): Router {
  const log = deps.logger.child({ api: 'redeem' });
  const now = deps.now ?? Date.now;
  const service = new RedeemService(deps.store.redeemTokens, now);
  const limiter = deps.failures;
  const router = express.Router({ caseSensitive: true, strict: true });

  router.post('/redeem', async (req, _res, next) => {
    // IPv6 per /64, as limits.failedAuth counts: one host can rotate addresses inside its /64.
    const source = sourceKey(req.ip);
    const wait = await limiter.blockedFor(source);
    if (wait > 0) {
      log.warn({ source }, 'redeem refused: too many failed attempts from this address');
      const seconds = Math.ceil(wait / 1000);
      throw new AppError('rateLimited', `too many failed redeem attempts; retry in ${seconds} s`, undefined, { 'Retry-After': String(seconds) });
    }
    if (!req.is('application/json')) return next(new AppError('unsupportedMedia', 'the body must be application/json'));
    next();
  }, express.json({ limit: 1024, type: () => true }), async (req, res) => {
    const source = sourceKey(req.ip);
    const token = (req.body as { token?: unknown } | undefined)?.token;
    if (typeof token !== 'string') {
      await limiter.fail(source);
      throw new AppError('invalidBody', 'the body must be {"token": "…"}');
    }
    const content = await service.redeem(token);
    if (!content) {
      await limiter.fail(source);
      log.warn({ source }, 'redeem refused: unknown, expired or used token');
      throw new AppError('invalidRedeemToken', 'the token is unknown, expired or already redeemed');
    }
    log.info({ deliveryId: content.deliveryId }, 'message redeemed');
    res.setHeader('Cache-Control', 'no-store');
    res.json(content);
  });

  router.all('/redeem', (_req, res, next) => {
    res.setHeader('Allow', 'POST');
    next(new AppError('methodNotAllowed', '/redeem accepts POST only'));
  });
  return router;
}
