import { Router } from 'express';
import type { Logger } from 'pino';
import { AppError } from '../errors';
import { normalizePhone } from '../inbound/phone';
import { phoneDigest } from '../redact';
import type { DeliveryRecord } from '../store/delivery-log';
import type { Store } from '../store/store';
import { regionCode } from '../config/region-code';
import { requireAdminToken } from './admin-auth';

export interface AdminDeliveryDeps {
  store: Store;
  logger: Logger;
  adminToken?: string;
  /** The key of the stored phone digests: a number is found by its digest, never stored or compared in clear. */
  phoneKey: Buffer;
}

/** What an operator sees: masked number, statuses and attempts; the digest is an internal index, not shown. */
function view(r: DeliveryRecord) {
  const { phoneDigest: _digest, ...rest } = r;
  return rest;
}

function query(value: unknown, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new AppError('invalidRequest', `${name} must be given once`);
  return value;
}

/** `GET /admin/deliveries?phone=&since=&limit=&region=` and `GET /admin/deliveries/:id`. */
export function adminDeliveryRoutes(deps: AdminDeliveryDeps): Router {
  const router = Router();
  router.use('/admin/deliveries', requireAdminToken(deps.adminToken, deps.logger));

  router.get('/admin/deliveries', async (req, res) => {
    const phone = query(req.query.phone, 'phone');
    const since = query(req.query.since, 'since');
    const limitText = query(req.query.limit, 'limit');
    const region = query(req.query.region, 'region') ?? 'US';
    if (!regionCode.safeParse(region).success) throw new AppError('invalidRequest', 'region must be an ISO 3166 code libphonenumber knows, such as US or GB');
    if (since !== undefined && Number.isNaN(Date.parse(since))) throw new AppError('invalidRequest', 'since must be an ISO 8601 date or time');
    const limit = limitText === undefined ? 100 : Number(limitText);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new AppError('invalidRequest', 'limit must be a whole number from 1 to 1000');
    const digest = phone === undefined ? undefined : phoneDigest(deps.phoneKey, normalizePhone(phone, region).e164);
    const records = await deps.store.deliveries.list({
      phoneDigest: digest,
      since: since === undefined ? undefined : new Date(since).toISOString(),
      limit,
    });
    res.json({ deliveries: records.map(view) });
  });

  router.get('/admin/deliveries/:id', async (req, res) => {
    const record = await deps.store.deliveries.get(req.params.id);
    if (!record) throw new AppError('notFound', 'no delivery with that id');
    res.json(view(record));
  });

  return router;
}
