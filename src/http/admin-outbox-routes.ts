import express, { type Router } from 'express';
import type { Logger } from 'pino';
import { AppError } from '../errors';
import type { OutboxState } from '../store/outbox';
import type { Store } from '../store/store';
import { requireAdminToken } from './admin-auth';

const STATES: readonly OutboxState[] = ['pending', 'leased', 'dead', 'expired'];

/**
 * `GET /admin/outbox?state=dead&limit=100`: async routes' queue, newest first, without the messages themselves
 * (they hold codes): id, route, state, attempts, times, the last error and the masked number.
 */
export function adminOutboxRouter(store: Store, token: string | undefined, logger: Logger): Router {
  const router = express.Router({ caseSensitive: true, strict: true });
  router.get('/admin/outbox', requireAdminToken(token, logger), async (req, res) => {
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
