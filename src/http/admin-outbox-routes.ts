import express, { type RequestHandler, type Router } from 'express';
import { AppError } from '../errors';
import type { OutboxState } from '../store/outbox';
import type { Store } from '../store/store';
import { matchesAny } from './auth-guards';

const STATES: readonly OutboxState[] = ['pending', 'leased', 'dead', 'expired'];

/** The admin API's bearer token: constant-time compare; with no token configured the admin API does not exist (404). */
export function adminBearer(token: string | undefined): RequestHandler {
  return (req, res, next) => {
    if (!token) return next(new AppError('notFound', 'no such path'));
    const auth = req.get('authorization') ?? '';
    const presented = auth.startsWith('Bearer ') ? auth.slice(7) : '';
    if (presented && matchesAny(presented, [token])) return next();
    res.setHeader('WWW-Authenticate', 'Bearer realm="messenger-relay admin"');
    next(new AppError('notAuthorized', 'a valid bearer token is required'));
  };
}

/**
 * `GET /admin/outbox?state=dead&limit=100`: async routes' queue, newest first, without the messages themselves
 * (they hold codes): id, route, state, attempts, times, the last error and the masked number.
 */
export function adminOutboxRouter(store: Store, token: string | undefined): Router {
  const router = express.Router({ caseSensitive: true, strict: true });
  router.get('/admin/outbox', adminBearer(token), async (req, res) => {
    const { state, limit } = req.query;
    if (state !== undefined && !STATES.includes(state as OutboxState)) {
      throw new AppError('invalidRequest', `state must be one of ${STATES.join(', ')}`);
    }
    if (limit !== undefined && !(typeof limit === 'string' && /^\d{1,4}$/.test(limit) && Number(limit) >= 1 && Number(limit) <= 1000)) {
      throw new AppError('invalidRequest', 'limit must be a whole number from 1 to 1000');
    }
    const items = await store.outbox.list({ state: state as OutboxState | undefined, limit: limit ? Number(limit) : 100 });
    res.setHeader('Cache-Control', 'no-store');
    res.json({
      items: items.map((i) => ({
        ...i,
        expiresAt: new Date(i.expiresAt).toISOString(),
        nextAttemptAt: new Date(i.nextAttemptAt).toISOString(),
        leaseUntil: i.leaseUntil === undefined ? undefined : new Date(i.leaseUntil).toISOString(),
      })),
      counts: await store.outbox.counts(),
    });
  });
  return router;
}
